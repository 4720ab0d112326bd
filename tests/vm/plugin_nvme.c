// SPDX-License-Identifier: BSD-3-Clause
/* plugin_nvme.c - QEMU's NVMe controller (1b36:0010) driven as a plain
 * accelerator through the OPAE API and libopae-vfio.so only: registers and
 * doorbells with fpgaRead/WriteMMIO32, queues and data in fpgaPrepareBuffer
 * buffers, completions on two MSI-X vectors through fpgaRegisterEvent + poll
 * (vector 0: admin queue, vector 1: I/O queue 1). A block written from one
 * buffer is read back into another. Runs in the VM (run-in-vm.sh --nvme, the
 * real vfio-pci) and on the mock's nvme model.
 *
 * usage: plugin_nvme [PLUGIN.so]   (default: $PLUGIN_NVME_MODULE, else the
 * build tree's plugin)
 *
 * QEMU 7.2: MSI-X must be enabled (a vector registered) before CC.EN=1, or the
 * admin queue's vector is never used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "edu_test.h"
#include "nvme_regs.h"

#define PROG      "plugin_nvme"
#define NVME_GUID "5e1b36a0-0010-4e7d-9a3b-6e766d655f31"
#define QDEPTH    64
#define XFER      8192 /* 16 blocks: PRP1 + PRP2 */
#define WAIT_MS   10000

struct buf {
	uint8_t *ptr;
	uint64_t wsid, iova;
};

struct queue {
	unsigned qid;
	struct buf sq, cq;
	uint16_t tail, head, phase;
	int fd; /* the eventfd of its vector */
};

static fpga_handle h;
static uint16_t next_cid = 1;

static uint32_t rd32(uint64_t off)
{
	uint32_t v = 0;

	fpgaReadMMIO32(h, 0, off, &v);
	return v;
}

static void wr32(uint64_t off, uint32_t v)
{
	fpgaWriteMMIO32(h, 0, off, v);
}

static void wr64(uint64_t off, uint64_t v)
{
	wr32(off, (uint32_t)v);
	wr32(off + 4, (uint32_t)(v >> 32));
}

static int prepare(struct buf *b, uint64_t len)
{
	fpga_result r = fpgaPrepareBuffer(h, len, (void **)&b->ptr, &b->wsid, 0);

	if (r == FPGA_OK)
		r = fpgaGetIOAddress(h, b->wsid, &b->iova);
	if (r != FPGA_OK)
		return -1;
	memset(b->ptr, 0, len);
	return 0;
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

/* Submit c on q, wait for q's vector through its event fd, then take the
 * CQE. Returns the status (0 good), or -1 (no interrupt, no CQE, wrong cid).
 * *irq: the interrupt count seen; *other: the count on `other_fd`. */
static int run(struct queue *q, struct sqe c, uint64_t *irq, int other_fd, uint64_t *other)
{
	volatile struct cqe *slot;
	struct cqe e;

	c.cid = next_cid++;
	memcpy(q->sq.ptr + (size_t)q->tail * sizeof(c), &c, sizeof(c));
	q->tail = (uint16_t)((q->tail + 1) % QDEPTH);
	__asm__ __volatile__("" ::: "memory"); /* the SQE is in memory before the doorbell */
	wr32(REG_DBS + 8 * q->qid, q->tail);
	*irq = wait_eventfd(q->fd, WAIT_MS);
	*other = wait_eventfd(other_fd, 0);
	slot = (volatile struct cqe *)(q->cq.ptr + (size_t)q->head * sizeof(e));
	if (!*irq || (slot->status & 1) != q->phase)
		return -1;
	__asm__ __volatile__("" ::: "memory");
	memcpy(&e, (const void *)slot, sizeof(e));
	if (++q->head == QDEPTH) {
		q->head = 0;
		q->phase ^= 1;
	}
	wr32(REG_DBS + 8 * q->qid + 4, q->head);
	return e.cid == c.cid ? e.status >> 1 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Interrupt latency on q's vector, LAT_RUNS one-block reads into b each:
 * (1) device completion -> poll returning: spin on the CQE's phase tag
 * (the controller wrote its completion), then poll the eventfd;
 * (2) doorbell -> poll returning, blocked in poll (device time included).
 * Prints best and median of each. */
#define LAT_RUNS 20
static void latency(struct queue *q, const struct buf *b)
{
	double cqe_to_poll[LAT_RUNS], bell_to_poll[LAT_RUNS];
	int ok = 1;

	for (int i = 0; i < LAT_RUNS && ok; i++) {
		struct sqe c = nvme_cmd(NVME_CMD_READ, 1, b->iova, 0, 8, 0, 0);
		volatile struct cqe *slot = (volatile struct cqe *)(q->cq.ptr + (size_t)q->head * 16);
		uint64_t n, other;
		double t0, t1;

		c.cid = next_cid++;
		memcpy(q->sq.ptr + (size_t)q->tail * sizeof(c), &c, sizeof(c));
		q->tail = (uint16_t)((q->tail + 1) % QDEPTH);
		__asm__ __volatile__("" ::: "memory");
		wr32(REG_DBS + 8 * q->qid, q->tail);
		t0 = now_ms();
		while ((slot->status & 1) != q->phase && now_ms() - t0 < WAIT_MS)
			;
		t1 = now_ms();
		n = wait_eventfd(q->fd, WAIT_MS);
		cqe_to_poll[i] = (now_ms() - t1) * 1000.0;
		ok = n >= 1 && (slot->status & 1) == q->phase && !(slot->status >> 1);
		if (++q->head == QDEPTH) {
			q->head = 0;
			q->phase ^= 1;
		}
		wr32(REG_DBS + 8 * q->qid + 4, q->head);
		/* the same read, waiting in poll as a program would */
		t0 = now_ms();
		ok &= run(q, nvme_cmd(NVME_CMD_READ, 1, b->iova, 0, 8, 0, 0), &n, -1, &other) == 0;
		bell_to_poll[i] = (now_ms() - t0) * 1000.0;
	}
	check(ok, "%d one-block reads for the latency figures, each completed with an interrupt",
	      2 * LAT_RUNS);
	if (!ok)
		return;
	qsort(cqe_to_poll, LAT_RUNS, sizeof(double), cmp_double);
	qsort(bell_to_poll, LAT_RUNS, sizeof(double), cmp_double);
	info("interrupt latency, MSI-X vector %u: completion (CQE written) to poll returning: "
	     "best %.1f us, median %.1f us; doorbell to poll returning (blocked in poll, "
	     "controller time included): best %.1f us, median %.1f us (%d runs each)",
	     q->qid, cqe_to_poll[0], cqe_to_poll[LAT_RUNS / 2], bell_to_poll[0],
	     bell_to_poll[LAT_RUNS / 2], LAT_RUNS);
}

static void drive(void)
{
	struct buf page[5] = {{0}}, a = {0}, b = {0};
	struct queue admin = {0}, io = {0};
	fpga_event_handle ev[2] = {NULL, NULL};
	int fd[2] = {-1, -1}, ok = 1, st;
	uint64_t n = 0, other = 0;

	for (int i = 0; i < 5; i++)
		ok &= prepare(&page[i], 4096) == 0;
	ok &= prepare(&a, XFER) == 0 && prepare(&b, XFER) == 0;
	check(ok, "fpgaPrepareBuffer: 5 queue pages and 2 data buffers (a at 0x%llx, b at 0x%llx)",
	      (unsigned long long)a.iova, (unsigned long long)b.iova);
	if (!ok)
		return;
	for (int v = 0; v < 2; v++) {
		ok &= fpgaCreateEventHandle(&ev[v]) == FPGA_OK &&
		      fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, ev[v], (uint32_t)v) == FPGA_OK &&
		      fpgaGetOSObjectFromEventHandle(ev[v], &fd[v]) == FPGA_OK;
	}
	check(ok, "fpgaRegisterEvent(FPGA_EVENT_INTERRUPT) on MSI-X vectors 0 and 1 (fds %d, %d)",
	      fd[0], fd[1]);
	check(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, ev[1], 0) == FPGA_BUSY,
	      "an event handle registered twice: FPGA_BUSY");
	if (!ok)
		goto out;
	admin = (struct queue){.qid = 0, .sq = page[0], .cq = page[1], .phase = 1, .fd = fd[0]};
	io = (struct queue){.qid = 1, .sq = page[2], .cq = page[3], .phase = 1, .fd = fd[1]};

	if (rd32(REG_CC) & 1) {
		wr32(REG_CC, 0);
		wait_csts(1, 0);
	}
	wr32(REG_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr64(REG_ASQ, admin.sq.iova);
	wr64(REG_ACQ, admin.cq.iova);
	wr32(REG_CC, CC_ENABLE);
	ok = wait_csts(3, 1) == 0;
	check(ok, "controller enabled, admin queues in prepared buffers (CSTS 0x%x)", rd32(REG_CSTS));
	if (!ok)
		goto out;
	st = run(&admin, nvme_cmd(NVME_ADMIN_IDENTIFY, 0, page[4].iova, 0, 1, 0, 0), &n, fd[1], &other);
	check(st == 0 && !other && !memcmp(page[4].ptr + 24, "QEMU NVMe Ctrl", 14),
	      "Identify (\"%.14s\"): interrupt on vector 0 (count %llu), none on 1", page[4].ptr + 24,
	      (unsigned long long)n);
	st = run(&admin, nvme_cmd(NVME_ADMIN_CREATE_CQ, 0, io.cq.iova, 0, (QDEPTH - 1) << 16 | 1, 1 << 16 | 3, 0), &n,
	         fd[1], &other);
	check(st == 0, "Create I/O CQ 1 on vector 1 (status %d)", st);
	st = run(&admin, nvme_cmd(NVME_ADMIN_CREATE_SQ, 0, io.sq.iova, 0, (QDEPTH - 1) << 16 | 1, 1 << 16 | 1, 0), &n,
	         fd[1], &other);
	check(st == 0, "Create I/O SQ 1 (status %d)", st);

	for (int i = 0; i < XFER; i++)
		a.ptr[i] = (uint8_t)(i * 13 + (i >> 9) + 5);
	memcpy(a.ptr, PROG " block 8", sizeof(PROG " block 8") - 1);
	st = run(&io, nvme_cmd(NVME_CMD_WRITE, 1, a.iova, a.iova + 4096, 8, 0, XFER / 512 - 1), &n, fd[0], &other);
	check(st == 0 && !other, "Write of %d bytes from buffer a: interrupt on vector 1 (count "
	                         "%llu), none on 0 (status %d)",
	      XFER, (unsigned long long)n, st);
	st = run(&io, nvme_cmd(NVME_CMD_READ, 1, b.iova, b.iova + 4096, 8, 0, XFER / 512 - 1), &n, fd[0], &other);
	check(st == 0 && !other, "Read into buffer b: interrupt on vector 1 (count %llu), none on 0",
	      (unsigned long long)n);
	check(!memcmp(a.ptr, b.ptr, XFER), "buffer b holds what buffer a wrote");
	latency(&io, &b);
	wr32(REG_CC, 0);
	check(wait_csts(1, 0) == 0, "controller disabled");
out:
	for (int v = 0; v < 2; v++) {
		if (ev[v] && fd[v] >= 0)
			check(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, ev[v]) == FPGA_OK,
			      "fpgaUnregisterEvent(vector %d)", v);
		if (ev[v])
			fpgaDestroyEventHandle(&ev[v]);
	}
	ok = 1;
	for (int i = 0; i < 5; i++)
		ok &= fpgaReleaseBuffer(h, page[i].wsid) == FPGA_OK;
	ok &= fpgaReleaseBuffer(h, a.wsid) == FPGA_OK && fpgaReleaseBuffer(h, b.wsid) == FPGA_OK;
	check(ok, "fpgaReleaseBuffer of all 7 buffers");
}

static fpga_token find_nvme(void)
{
	fpga_properties f = NULL;
	fpga_token tok = NULL;
	uint32_t n = 0;
	fpga_result r;

	fpgaGetProperties(NULL, &f);
	fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR);
	fpgaPropertiesSetVendorID(f, 0x1b36);
	fpgaPropertiesSetDeviceID(f, 0x0010);
	r = fpgaEnumerate(&f, 1, &tok, 1, &n); /* called before n is read for the message */
	check(r == FPGA_OK && n == 1,
	      "fpgaEnumerate finds the NVMe controller as an accelerator (found %u)", n);
	fpgaDestroyProperties(&f);
	return n == 1 ? tok : NULL;
}

int main(int argc, char **argv)
{
	const char *plugin = argc > 1 ? argv[1] : getenv("PLUGIN_NVME_MODULE");
	const char *list = "{\"devices\":[{\"id\":[\"0x1b36\",\"0x0010\"],\"kind\":\"plain\","
	                   "\"guid\":\"" NVME_GUID "\"}]}";
	int fds_before = count_fds();
	fpga_token tok;

	if (!plugin)
		plugin = PLUGIN_PATH;
	setvbuf(stdout, NULL, _IOLBF, 0);
	check(opae_plugin_mgr_register_plugin(plugin, list) == 0, "opae_plugin_mgr_register_plugin");
	tok = find_nvme();
	if (!tok)
		return summary(PROG);
	check(fpgaOpen(tok, &h, 0) == FPGA_OK, "fpgaOpen");
	if (h) {
		drive();
		check(fpgaClose(h) == FPGA_OK, "fpgaClose");
	}
	check(fpgaDestroyToken(&tok) == FPGA_OK, "fpgaDestroyToken");
	check(count_fds() == fds_before, "no fd left open (%d before, %d after)", fds_before,
	      count_fds());
	return summary(PROG);
}
