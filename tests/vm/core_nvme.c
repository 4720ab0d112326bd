// SPDX-License-Identifier: MIT
/*
 * core_nvme.c - MSI-X through the opae-vfio core API (include/opae/vfio.h)
 * only, on QEMU's emulated NVMe controller (1b36:0010).
 *
 * One unchanged program, two worlds: in the VM (../shared/vm/run-in-vm.sh
 * --nvme 1M, the real vfio-pci of Linux 6.1) and on the mock kernel's nvme
 * model (LD_PRELOAD=libvfiomock.so, scenario tests/mock/scenarios/nvme.json).
 * Both must pass.
 *
 * Usage: core_nvme [BDF]   (default: $NVME_BDF, else the first device of
 *                           class 0x010802 in /sys/bus/pci/devices)
 *
 * What it checks: the MSI-X BAR (registers, doorbells, table, PBA) is mapped
 * whole by opae_vfio_region_get; opae_vfio_irq_enable on VFIO_PCI_MSIX_IRQ_INDEX
 * for vectors 0..3 one after the other (the library regrows a NORESIZE index);
 * queues and data live in opae_vfio_buffer_allocate buffers; a block written
 * from one buffer (I/O queue 1, vector 1) and read back into another (queue
 * 2, vector 2) matches, and every completion signals its own vector only;
 * opae_vfio_irq_disable of one vector leaves its completion pending in the
 * PBA, and enabling the vector again delivers it (vfio-pci 6.1 masks a
 * detached MSI-X vector); after every vector is disabled the index stays on
 * with every vector masked, commands complete (polled) and no eventfd fires;
 * a further disable turns MSI-X off; no fd is left after close.
 *
 * QEMU 7.2 pitfall (vm/README.md): MSI-X must be enabled before CC.EN=1, or
 * the admin queue's vector stays "unused" and its completions are dropped.
 *
 * Output: "PASS: ..." / "FAIL: ..." per check, then "core_nvme: N passed, M
 * failed". Exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <opae/vfio.h>

#include "edu_test.h"
#include "nvme_regs.h"


#define NVEC     4    /* MSI-X vectors wired to eventfds */
#define QDEPTH   64   /* entries per queue: one 4 KiB page of SQEs */
#define XFER     8192 /* bytes per I/O: 16 blocks, PRP1 + PRP2 */
#define WAIT_MS  10000
#define QUIET_MS 200

struct buf {
	uint8_t *ptr;
	uint64_t iova;
	size_t size;
};

struct queue {
	unsigned qid, vector;
	struct buf sq, cq;
	uint16_t tail, head, phase;
};

/* x86-64 keeps stores in order (and an uncached MMIO store after the
 * cacheable ones before it), and loads likewise: only the compiler must not
 * reorder. A fence would also do, but ThreadSanitizer refuses fences. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

static volatile uint8_t *bar;
static int efd[NVEC];
static uint16_t next_cid = 1;

static uint32_t rd32(uint32_t off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void wr32(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

static void wr64(uint32_t off, uint64_t v)
{
	wr32(off, (uint32_t)v);
	wr32(off + 4, (uint32_t)(v >> 32));
}

static uint64_t rd64(uint32_t off)
{
	return rd32(off) | (uint64_t)rd32(off + 4) << 32;
}

/* ---- finding the controller and its MSI-X capability ---------------------- */

static int find_nvme(int argc, char **argv, char *bdf, size_t len)
{
	const char *env = getenv("NVME_BDF");
	DIR *d;
	struct dirent *e;
	int found = 0;

	if (argc > 1 || (env && *env)) {
		snprintf(bdf, len, "%s", argc > 1 ? argv[1] : env);
		return 0;
	}
	d = opendir("/sys/bus/pci/devices");
	while (d && !found && (e = readdir(d))) {
		char path[PATH_MAX], txt[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(txt, sizeof(txt), f) && strtoul(txt, NULL, 16) == NVME_CLASS) {
			snprintf(bdf, len, "%s", e->d_name);
			found = 1;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

static uint32_t cfg_read(struct opae_vfio *v, unsigned off, unsigned size)
{
	uint32_t val = 0;

	if (pread(v->device.device_fd, &val, size, (off_t)(v->device.device_config_offset + off)) !=
	    (ssize_t)size)
		return 0;
	return val;
}

/* Offset of the MSI-X capability in config space, 0 if none. */
static unsigned msix_cap(struct opae_vfio *v)
{
	unsigned pos = cfg_read(v, PCI_CAPABILITY_LIST, 1) & ~3u;

	for (int guard = 0; pos && guard < 48; guard++) {
		if (cfg_read(v, pos, 1) == PCI_CAP_ID_MSIX)
			return pos;
		pos = cfg_read(v, pos + 1, 1) & ~3u;
	}
	return 0;
}

/* ---- queues ------------------------------------------------------------------ */

static int alloc(struct opae_vfio *v, struct buf *b, size_t size, const char *name)
{
	b->size = size;
	errno = 0;
	if (opae_vfio_buffer_allocate(v, &b->size, &b->ptr, &b->iova) || !b->ptr) {
		check(0, "opae_vfio_buffer_allocate(%s, %zu): %s", name, size, strerror(errno));
		b->ptr = NULL;
		return -1;
	}
	memset(b->ptr, 0, b->size);
	return 0;
}

static void submit(struct queue *q, struct sqe *c)
{
	c->cid = next_cid++;
	memcpy(q->sq.ptr + (size_t)q->tail * sizeof(*c), c, sizeof(*c));
	q->tail = (uint16_t)((q->tail + 1) % QDEPTH);
	compiler_barrier(); /* the SQE is in memory before the doorbell */
	wr32(REG_DBS + 8 * q->qid, q->tail);
}

static volatile struct cqe *cq_slot(struct queue *q)
{
	return (volatile struct cqe *)(q->cq.ptr + (size_t)q->head * sizeof(struct cqe));
}

/* Poll for the next CQE; consume it and ring the CQ head doorbell. */
static int reap(struct queue *q, struct cqe *out, int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while ((cq_slot(q)->status & 1) != q->phase) {
		if (now_ms() > end)
			return -1;
		usleep(50);
	}
	compiler_barrier(); /* the entry is read after its phase bit */
	memcpy(out, (const void *)cq_slot(q), sizeof(*out));
	if (++q->head == QDEPTH) {
		q->head = 0;
		q->phase ^= 1;
	}
	wr32(REG_DBS + 8 * q->qid + 4, q->head);
	return 0;
}

struct outcome {
	int ok;              /* completed, matching cid, status 0 */
	uint16_t status;     /* status field */
	uint64_t cnt[NVEC];  /* eventfd counts seen */
	int irq_before_poll; /* with wait_irq: the vector fired and the CQE was there */
};

static void drain(void)
{
	for (int i = 0; i < NVEC; i++)
		wait_eventfd(efd[i], 0);
}

/* Submit, wait for q's vector (when wait_irq) or poll, then collect every
 * vector's count after QUIET_MS. */
static struct outcome run(struct queue *q, struct sqe c, int wait_irq)
{
	struct outcome o = {0};
	struct cqe cqe;

	drain();
	submit(q, &c);
	if (wait_irq) {
		o.cnt[q->vector] = wait_eventfd(efd[q->vector], WAIT_MS);
		o.irq_before_poll = o.cnt[q->vector] && (cq_slot(q)->status & 1) == q->phase;
	}
	if (reap(q, &cqe, WAIT_MS) == 0) {
		o.status = cqe.status >> 1;
		o.ok = cqe.cid == c.cid && cqe.sq_id == q->qid && o.status == 0;
	}
	usleep(QUIET_MS * 1000);
	for (int i = 0; i < NVEC; i++)
		o.cnt[i] += wait_eventfd(efd[i], 0);
	return o;
}

static int only(const struct outcome *o, int vec) /* vec -1: none at all */
{
	for (int i = 0; i < NVEC; i++)
		if ((i == vec) != (o->cnt[i] != 0))
			return 0;
	return 1;
}

static const char *counts(const struct outcome *o)
{
	static char s[64];

	snprintf(s, sizeof(s), "v0=%" PRIu64 " v1=%" PRIu64 " v2=%" PRIu64 " v3=%" PRIu64,
	         o->cnt[0], o->cnt[1], o->cnt[2], o->cnt[3]);
	return s;
}

static int wait_csts(uint32_t mask, uint32_t want)
{
	double end = now_ms() + WAIT_MS;

	while ((rd32(REG_CSTS) & mask) != want) {
		if (now_ms() > end)
			return -1;
		usleep(200);
	}
	return 0;
}

/* ---- the checks -------------------------------------------------------------- */

/* What vfio-pci 6.1 shows of the BAR holding the MSI-X table, beside the
 * library's mapping of it: GET_REGION_INFO asks for 40 bytes and lists
 * VFIO_REGION_INFO_CAP_MSIX_MAPPABLE; region read/write over the table reads
 * 0xff and drops writes; the PBA reads through. */
static void check_msix_region(struct opae_vfio *v, uint32_t tbl_off, uint32_t pba_off)
{
	struct {
		struct vfio_region_info ri;
		struct vfio_info_cap_header cap;
	} q = {.ri = {.argsz = sizeof(struct vfio_region_info), .index = 0}};
	int fd = v->device.device_fd, ok;
	uint8_t in[16];
	uint32_t zero = 0, ctrl;
	uint64_t pba_rd = 1, pba_map;

	ok = ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &q.ri) == 0 &&
	     (q.ri.flags & VFIO_REGION_INFO_FLAG_CAPS) && q.ri.argsz == sizeof(q) &&
	     !q.ri.cap_offset;
	q.ri.argsz = sizeof(q);
	ok = ok && ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &q.ri) == 0 &&
	     q.ri.cap_offset == sizeof(q.ri) && q.cap.id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE &&
	     q.cap.next == 0;
	check(ok, "GET_REGION_INFO(BAR0): FLAG_CAPS, argsz %u, cap id %u (MSIX_MAPPABLE)",
	      q.ri.argsz, q.cap.id);
	memset(in, 0, sizeof(in));
	ok = pread(fd, in, sizeof(in), (off_t)(q.ri.offset + tbl_off)) == (ssize_t)sizeof(in);
	for (size_t i = 0; i < sizeof(in); i++)
		ok &= in[i] == 0xff;
	ok &= pwrite(fd, &zero, 4, (off_t)(q.ri.offset + tbl_off + 12)) == 4;
	memcpy(&ctrl, (const void *)(bar + tbl_off + 12), 4);
	check(ok && (ctrl & 1),
	      "pread over the MSI-X table reads 0xff, a pwrite of its mask bit "
	      "is dropped (the entry stays masked: %u)",
	      ctrl & 1);
	memcpy(&pba_map, (const void *)(bar + pba_off), 8);
	check(pread(fd, &pba_rd, 8, (off_t)(q.ri.offset + pba_off)) == 8 && pba_rd == pba_map,
	      "pread of the PBA reads the device (0x%" PRIx64 ")", pba_rd);
}

static int enable_vectors(struct opae_vfio *v)
{
	struct opae_vfio_device_irq *irq;
	int rc = 0;

	for (irq = v->device.irqs; irq && irq->index != VFIO_PCI_MSIX_IRQ_INDEX; irq = irq->next)
		;
	check(irq && irq->count >= NVEC && (irq->flags & VFIO_IRQ_INFO_EVENTFD),
	      "MSI-X index: %u vectors, flags 0x%x (NORESIZE %d)", irq ? irq->count : 0,
	      irq ? irq->flags : 0, irq ? !!(irq->flags & VFIO_IRQ_INFO_NORESIZE) : -1);
	for (int i = 0; i < NVEC; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		errno = 0;
		rc |= efd[i] < 0 || opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, i, efd[i]);
		if (rc) {
			check(0, "opae_vfio_irq_enable(MSI-X, %d): %s", i, strerror(errno));
			return -1;
		}
	}
	check(irq && irq->event_fds[0] == efd[0] && irq->event_fds[NVEC - 1] == efd[NVEC - 1],
	      "opae_vfio_irq_enable(MSI-X) for vectors 0..%d, one after the other", NVEC - 1);
	/* A vector already pending in the device fires as soon as it is unmasked. */
	usleep(QUIET_MS * 1000);
	{
		uint64_t c[NVEC];

		for (int i = 0; i < NVEC; i++)
			c[i] = wait_eventfd(efd[i], 0);
		info("eventfds right after enabling: v0=%" PRIu64 " v1=%" PRIu64 " v2=%" PRIu64
		     " v3=%" PRIu64,
		     c[0], c[1], c[2], c[3]);
	}
	return 0;
}

static int create_pair(struct queue *admin, struct queue *q)
{
	struct outcome o;

	o = run(admin,
	        nvme_cmd(0x05, 0, q->cq.iova, 0, (QDEPTH - 1) << 16 | q->qid, q->vector << 16 | 3, 0),
	        1);
	check(o.ok && only(&o, 0), "Create I/O CQ %u (vector %u): status 0x%x, %s", q->qid,
	      q->vector, o.status, counts(&o));
	o = run(admin,
	        nvme_cmd(0x01, 0, q->sq.iova, 0, (QDEPTH - 1) << 16 | q->qid, q->qid << 16 | 1, 0), 1);
	check(o.ok && only(&o, 0), "Create I/O SQ %u: status 0x%x, %s", q->qid, o.status,
	      counts(&o));
	return o.ok ? 0 : -1;
}

static void io_checks(struct opae_vfio *v, struct queue *admin, struct queue *q1, struct queue *q2,
                      struct buf *wb, struct buf *rb, unsigned pba_off)
{
	struct outcome o;
	uint64_t pba = 0;
	int ok;

	for (size_t i = 0; i < XFER; i++)
		wb->ptr[i] = (uint8_t)(i * 29 + (i >> 9) + 1);
	memcpy(wb->ptr, "core_nvme block 8", 17);
	o = run(q1, nvme_cmd(0x01, 1, wb->iova, wb->iova + 4096, 8, 0, XFER / 512 - 1), 1);
	check(o.ok && o.irq_before_poll && only(&o, 1),
	      "Write of %d bytes from buffer a (queue 1) signalled vector 1 only, CQE first (%s)",
	      XFER, counts(&o));
	memset(rb->ptr, 0, XFER);
	o = run(q2, nvme_cmd(0x02, 1, rb->iova, rb->iova + 4096, 8, 0, XFER / 512 - 1), 1);
	check(o.ok && o.irq_before_poll && only(&o, 2),
	      "Read into buffer b (queue 2) signalled vector 2 only, CQE first (%s)", counts(&o));
	check(memcmp(wb->ptr, rb->ptr, XFER) == 0, "buffer b holds what buffer a wrote (%d bytes)",
	      XFER);

	/* One vector off: vfio-pci masks it, the device keeps the message pending. */
	ok = opae_vfio_irq_disable(v, VFIO_PCI_MSIX_IRQ_INDEX, 2) == 0;
	memset(rb->ptr, 0, XFER);
	o = run(q2, nvme_cmd(0x02, 1, rb->iova, rb->iova + 4096, 8, 0, XFER / 512 - 1), 0);
	memcpy(&pba, (const void *)(bar + pba_off), sizeof(pba));
	check(ok && o.ok && only(&o, -1) && memcmp(wb->ptr, rb->ptr, XFER) == 0,
	      "after irq_disable(MSI-X, 2): the Read completes (polled), no eventfd fires (%s)",
	      counts(&o));
	check(pba & (1u << 2), "vector 2's completion is pending in the PBA (0x%" PRIx64 ")", pba);
	ok = opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 2, efd[2]) == 0;
	o.cnt[2] = wait_eventfd(efd[2], WAIT_MS);
	memcpy(&pba, (const void *)(bar + pba_off), sizeof(pba));
	check(ok && o.cnt[2] >= 1 && !(pba & (1u << 2)),
	      "irq_enable(MSI-X, 2) again delivers the pending message (count %" PRIu64
	      ", PBA 0x%" PRIx64 ")",
	      o.cnt[2], pba);

	/* Every vector off: the library keeps the index on (cheap churn) and
	 * vfio-pci has masked each vector in the table: nothing can fire. */
	ok = 1;
	for (int i = 0; i < NVEC; i++)
		ok &= opae_vfio_irq_disable(v, VFIO_PCI_MSIX_IRQ_INDEX, i) == 0;
	unsigned cap = msix_cap(v), table = cfg_read(v, cap + PCI_MSIX_TABLE, 4) & ~7u, masked = 0;
	for (int i = 0; i < NVEC; i++)
		masked += (unsigned)((*(const volatile uint32_t *)(bar + table + 16u * (unsigned)i +
		                                        PCI_MSIX_ENTRY_VECTOR_CTRL) &
		                      PCI_MSIX_ENTRY_CTRL_MASKBIT) != 0);
	check(ok && (cfg_read(v, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE) && masked == NVEC,
	      "opae_vfio_irq_disable(MSI-X) of vectors 0..%d: MSI-X stays enabled, %u of %d "
	      "vectors masked in the table",
	      NVEC - 1, masked, NVEC);
	o = run(q1, nvme_cmd(0x02, 1, rb->iova, rb->iova + 4096, 8, 0, XFER / 512 - 1), 0);
	check(o.ok && only(&o, -1), "after disable: a Read completes (polled), no eventfd (%s)",
	      counts(&o));
	o = run(admin, nvme_cmd(0x06, 0, rb->iova, 0, 1, 0, 0), 0);
	check(o.ok && only(&o, -1), "after disable: an admin Identify completes, no eventfd (%s)",
	      counts(&o));
	/* asked again with no vector left: the index goes off for real */
	ok = opae_vfio_irq_disable(v, VFIO_PCI_MSIX_IRQ_INDEX, 0) == 0;
	check(ok && !(cfg_read(v, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE),
	      "irq_disable(MSI-X) again with no vector attached: MSI-X Enable is clear");
}

static void nvme_checks(struct opae_vfio *v, unsigned pba_off)
{
	struct buf ctl[7] = {{0}}, wb = {0}, rb = {0};
	struct queue admin = {0}, q1 = {0}, q2 = {0};
	struct outcome o;
	int ok = 1;

	for (int i = 0; i < 7; i++)
		ok &= alloc(v, &ctl[i], 4096, "queue page") == 0;
	ok &= alloc(v, &wb, XFER, "buffer a") == 0 && alloc(v, &rb, XFER, "buffer b") == 0;
	if (!ok)
		return;
	for (int i = 0; i < 7; i++)
		ok &= (ctl[i].iova & 4095) == 0;
	check(ok,
	      "9 buffers allocated, queue IOVAs page aligned (a at 0x%" PRIx64 ", b at 0x%" PRIx64
	      ")",
	      wb.iova, rb.iova);
	admin = (struct queue){.qid = 0, .vector = 0, .sq = ctl[0], .cq = ctl[1], .phase = 1};
	q1 = (struct queue){.qid = 1, .vector = 1, .sq = ctl[2], .cq = ctl[3], .phase = 1};
	q2 = (struct queue){.qid = 2, .vector = 2, .sq = ctl[4], .cq = ctl[5], .phase = 1};

	/* MSI-X first (QEMU 7.2), then the controller. */
	if (enable_vectors(v))
		return;
	if (rd32(REG_CC) & 1) {
		wr32(REG_CC, 0);
		wait_csts(CSTS_RDY, 0);
	}
	wr32(REG_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr64(REG_ASQ, admin.sq.iova);
	wr64(REG_ACQ, admin.cq.iova);
	wr32(REG_CC, CC_ENABLE);
	ok = wait_csts(CSTS_RDY | CSTS_CFS, CSTS_RDY) == 0;
	check(ok, "controller enabled with queues in library buffers (CSTS 0x%x)", rd32(REG_CSTS));
	if (!ok)
		return;

	o = run(&admin, nvme_cmd(0x06, 0, ctl[6].iova, 0, 1, 0, 0), 1);
	check(o.ok && o.irq_before_poll && only(&o, 0) &&
	          memcmp(ctl[6].ptr + 24, "QEMU NVMe Ctrl", 14) == 0,
	      "Identify Controller (\"%.14s\") signalled vector 0 only (%s)", ctl[6].ptr + 24,
	      counts(&o));
	if (create_pair(&admin, &q1) == 0 && create_pair(&admin, &q2) == 0)
		io_checks(v, &admin, &q1, &q2, &wb, &rb, pba_off);

	wr32(REG_CC, 0);
	check(wait_csts(CSTS_RDY, 0) == 0, "controller disabled (CC.EN=0)");
	ok = 1;
	for (int i = 0; i < 7; i++)
		ok &= opae_vfio_buffer_free(v, ctl[i].ptr) == 0;
	ok &= opae_vfio_buffer_free(v, wb.ptr) == 0 && opae_vfio_buffer_free(v, rb.ptr) == 0;
	check(ok, "opae_vfio_buffer_free of all 9 buffers");
}

int main(int argc, char **argv)
{
	struct opae_vfio v;
	char bdf[NAME_MAX + 1] = "";
	uint8_t *ptr = NULL;
	size_t size = 0;
	unsigned cap, pba_off = 0;
	uint32_t tbl = 0, pba = 0, ctrl0;
	int fds_before;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&v, 0, sizeof(v));
	for (int i = 0; i < NVEC; i++)
		efd[i] = -1;
	if (find_nvme(argc, argv, bdf, sizeof(bdf))) {
		check(0, "no NVMe controller (class 0x%06x) in /sys/bus/pci/devices", NVME_CLASS);
		return summary("core_nvme");
	}
	info("device %s", bdf);
	fds_before = count_fds();
	errno = 0;
	if (opae_vfio_open(&v, bdf)) {
		check(0, "opae_vfio_open(%s): %s", bdf, strerror(errno));
		opae_vfio_close(&v);
		return summary("core_nvme");
	}
	check(1, "opae_vfio_open(%s)", bdf);
	if (opae_vfio_region_get(&v, 0, &ptr, &size) || !ptr) {
		check(0, "opae_vfio_region_get(0): BAR0 not mapped");
		opae_vfio_close(&v);
		return summary("core_nvme");
	}
	bar = ptr;
	cap = msix_cap(&v);
	if (cap) {
		tbl = cfg_read(&v, cap + PCI_MSIX_TABLE, 4);
		pba = cfg_read(&v, cap + PCI_MSIX_PBA, 4);
		pba_off = pba & PCI_MSIX_PBA_OFFSET;
	}
	memcpy(&ctrl0, (const void *)(bar + (tbl & PCI_MSIX_TABLE_OFFSET) + 12), 4);
	check(cap && (tbl & 7) == 0 && (pba & 7) == 0 && pba_off + 8 <= size && (ctrl0 & 1),
	      "opae_vfio_region_get(0): 0x%zx bytes incl. the MSI-X table at 0x%x (entry 0 "
	      "masked: %u) and the PBA at 0x%x",
	      size, tbl & PCI_MSIX_TABLE_OFFSET, ctrl0 & 1, pba_off);
	check((rd64(REG_CAP) & 0xffff) + 1 >= QDEPTH && rd32(REG_VS) >= 0x00010000,
	      "CAP 0x%016" PRIx64 ", VS 0x%08x", rd64(REG_CAP), rd32(REG_VS));
	edu_enable_bus_master(v.device.device_fd, v.device.device_config_offset);
	if (cap)
		check_msix_region(&v, tbl & PCI_MSIX_TABLE_OFFSET, pba_off);

	if (cap && pba_off + 8 <= size)
		nvme_checks(&v, pba_off);

	opae_vfio_close(&v);
	check(1, "opae_vfio_close");
	for (int i = 0; i < NVEC; i++)
		if (efd[i] >= 0)
			close(efd[i]);
	check(count_fds() == fds_before, "no fd left open after close (%d before open)",
	      fds_before);
	return summary("core_nvme");
}
