// SPDX-License-Identifier: MIT
/*
 * core_edu.c - drive QEMU's "edu" PCI device (1234:11e8) through the opae-vfio
 * core API (include/opae/vfio.h) only, and check what the device really does.
 *
 * One unchanged program, two worlds: in the VM of ../shared/vm/run-in-vm.sh it
 * runs against the real vfio-pci driver and an emulated VT-d IOMMU; under the
 * mock kernel (LD_PRELOAD=libvfiomock.so, scenario tests/mock/scenarios/edu.json)
 * it runs against the mock's edu model. Both must pass.
 *
 * Usage: core_edu [BDF]   (default: $VFIO_BDF, else the first 1234:11e8 in
 *                          /sys/bus/pci/devices)
 *
 * Besides the happy path it checks the failures measured in OPAE's own
 * libopaevfio on a real kernel (docs/references.md §5):
 * disabling MSI must really disable it (no signal, no stray device write to
 * IOVA 0 over a live buffer, and in the VM no DMAR fault in the kernel log,
 * where OPAE's detach, tried as a control, makes one), INTx must work after MSI was used, INTx
 * unmask must re-arm the line and deliver an interrupt raised while masked,
 * and MSI masking, which vfio-pci cannot do, must fail with ENOTTY.
 *
 * edu facts used here (docs/references.md §6, QEMU docs/specs/edu.rst): DMA window 0x40000 of
 * 4 KiB; bus addresses are masked to 28 bits; QEMU 7.2 aborts the whole VM on
 * a transfer that ends exactly at the end of the window, so we move 2 KiB;
 * DMA is silently dropped unless bus mastering is on; an interrupt stays
 * raised until acknowledged at 0x64.
 *
 * Output: one "PASS: ..." / "FAIL: ..." line per check, then
 * "core_edu: N passed, M failed". Exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <opae/vfio.h>

#include "edu_test.h"

#define BUF_SIZE 4096
#define DMA_LEN  EDU_DMA_MAX /* 2 KiB: see the QEMU 7.2 pitfall above */
#define QUIET_MS 300         /* how long "no interrupt" is watched for */

/* ---- the checks ------------------------------------------------------------- */

struct dma_buf {
	uint8_t *ptr;
	uint64_t iova;
	size_t size;
};

static void check_registers(struct opae_vfio *v)
{
	uint8_t *ptr = NULL;
	size_t size = 0;
	uint32_t val;

	val = edu_rd32(EDU_REG_ID);
	check((val & 0xff) == 0xed, "edu id register 0x%08x", val);
	edu_wr32(EDU_REG_LIVENESS, 0x12345678);
	val = edu_rd32(EDU_REG_LIVENESS);
	check(val == ~0x12345678u, "liveness: wrote 0x12345678, read 0x%08x", val);
	edu_wr32(EDU_REG_LIVENESS, 0);
	val = edu_rd32(EDU_REG_LIVENESS);
	check(val == 0xffffffffu, "liveness: wrote 0, read 0x%08x", val);

	/* edu implements only BAR0: BAR1 is not mapped, and the outputs of the
	 * failed lookup stay untouched. */
	check(opae_vfio_region_get(v, 1, &ptr, &size) != 0 && !ptr && !size,
	      "opae_vfio_region_get(1) fails for edu's absent BAR1");
	check(opae_vfio_region_get(NULL, 0, &ptr, &size) != 0,
	      "opae_vfio_region_get(NULL handle) fails");
}

static int allocate(struct opae_vfio *v, struct dma_buf *b, const char *name)
{
	b->size = BUF_SIZE;
	b->ptr = NULL;
	b->iova = 0;
	errno = 0;
	if (opae_vfio_buffer_allocate(v, &b->size, &b->ptr, &b->iova)) {
		check(0, "opae_vfio_buffer_allocate(%s, 4 KiB): %s", name, strerror(errno));
		return -1;
	}
	check(b->ptr && b->size == BUF_SIZE,
	      "opae_vfio_buffer_allocate(%s): %p, size %zu, iova 0x%" PRIx64, name, (void *)b->ptr,
	      b->size, b->iova);
	return b->ptr ? 0 : -1;
}

static void check_buffer_info(struct opae_vfio *v, struct dma_buf *b, const char *name)
{
	struct opae_vfio_buffer *bi = opae_vfio_buffer_info(v, b->ptr);

	check(bi && bi->buffer_ptr == b->ptr && bi->buffer_iova == b->iova &&
	          bi->buffer_size == b->size,
	      "opae_vfio_buffer_info(%s) finds ptr, iova and size", name);
	check(opae_vfio_buffer_info(v, b->ptr + 64) == NULL,
	      "opae_vfio_buffer_info(%s + 64) is NULL (only the start is a key)", name);
}

/* Returns 1 when both IOVAs are usable by edu's DMA engine. */
static int check_iovas(const struct dma_buf *a, const struct dma_buf *b)
{
	int ok = 1;

	check(a->iova && b->iova, "IOVAs are non-zero (0x%" PRIx64 ", 0x%" PRIx64 ")", a->iova,
	      b->iova);
	check(a->iova != b->iova && (a->iova + a->size <= b->iova || b->iova + b->size <= a->iova),
	      "IOVAs are distinct and do not overlap");
	ok = a->iova + a->size <= EDU_DMA_LIMIT && b->iova + b->size <= EDU_DMA_LIMIT;
	check(ok, "IOVAs are below 256 MiB (edu's 28-bit DMA mask)");
	return ok;
}

/* RAM (a) -> edu window -> RAM (b), 2 KiB each way. */
static void check_dma(const struct dma_buf *a, const struct dma_buf *b)
{
	int ok = 1;

	for (size_t i = 0; i < a->size; i++)
		a->ptr[i] = (uint8_t)(i * 7 + 3);
	memset(b->ptr, 0xcc, b->size);

	check(edu_dma(a->iova, EDU_DMA_WINDOW, DMA_LEN, 0) == 0, "DMA RAM->edu completed (polled)");
	check(edu_dma(EDU_DMA_WINDOW, b->iova, DMA_LEN, EDU_DMA_TO_RAM) == 0,
	      "DMA edu->RAM completed (polled)");
	check(memcmp(a->ptr, b->ptr, DMA_LEN) == 0, "DMA round trip: %d bytes match", DMA_LEN);
	for (size_t i = DMA_LEN; i < b->size; i++)
		ok &= b->ptr[i] == 0xcc;
	check(ok, "DMA wrote nothing past the %d bytes asked for", DMA_LEN);
}

static void swap_eventfd(struct opae_vfio *v, int efd)
{
	int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rc;
	uint64_t old_cnt, new_cnt;

	if (efd2 < 0) {
		check(0, "eventfd: %s", strerror(errno));
		return;
	}
	rc = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd2);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x5a);
	new_cnt = wait_eventfd(efd2, EDU_WAIT_MS);
	old_cnt = wait_eventfd(efd, QUIET_MS);
	edu_ack();
	check(rc == 0 && new_cnt >= 1 && old_cnt == 0,
	      "irq_enable(MSI, 0) again with a new eventfd: rc %d, new fires %" PRIu64
	      ", old %" PRIu64,
	      rc, new_cnt, old_cnt);
	rc = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x5a);
	old_cnt = wait_eventfd(efd, EDU_WAIT_MS);
	new_cnt = wait_eventfd(efd2, QUIET_MS);
	edu_ack();
	check(rc == 0 && old_cnt >= 1 && new_cnt == 0,
	      "and back to the first eventfd: rc %d, it fires %" PRIu64 ", the other %" PRIu64, rc,
	      old_cnt, new_cnt);
	close(efd2);
}

/* Re-routing the live vector to a pipe fails, and vfio-pci has dropped the
 * old eventfd before it looked at the pipe: the library must put the old one
 * back (or turn MSI off), else edu's next MSI is a write to IOVA 0. */
static void reroute_to_bad_fd(struct opae_vfio *v, int efd)
{
	struct opae_vfio_device_irq *q;
	int p[2], rc, err, routed = -2;
	uint64_t cnt;

	if (pipe(p)) {
		check(0, "pipe: %s", strerror(errno));
		return;
	}
	errno = 0;
	rc = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, p[0]);
	err = errno;
	for (q = v->device.irqs; q; q = q->next)
		if (q->index == VFIO_PCI_MSI_IRQ_INDEX)
			routed = q->event_fds[0];
	check(rc != 0 && err == EINVAL && routed == efd,
	      "irq_enable(MSI, 0, a pipe) fails with EINVAL (rc %d, %s) and the vector is "
	      "reported on its old eventfd (%d)",
	      rc, strerror(err), routed);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x5a);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	edu_ack();
	check(cnt >= 1, "after the failed re-route MSI still reaches the old eventfd (%" PRIu64 ")",
	      cnt);
	close(p[0]);
	close(p[1]);
}

/* The guest kernel's log, for VT-d (DMAR) faults: a device write the IOMMU
 * blocked. Only in the VM ($VFIO_DEVICES is set there): the mock has no
 * IOMMU hardware to log (it counts such writes itself, tests/core). -1 if
 * not available; else an fd positioned after the log's current end. */
static int kmsg_open(void)
{
	int fd;

	if (!getenv("VFIO_DEVICES"))
		return -1;
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* DMAR fault lines logged since kmsg_open (or the last call), watched for
 * up to `ms` (returns as soon as one is seen). */
static int kmsg_dmar_faults(int fd, int ms)
{
	double until = now_ms() + ms;
	char rec[1024];
	int n = 0;

	while (!n) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);

		if (r < 0 && errno == EPIPE)
			continue; /* overwritten records: go on */
		if (r < 0) {
			if (now_ms() >= until)
				break;
			usleep(10000);
			continue;
		}
		rec[r] = 0;
		n += strstr(rec, "DMAR") && strstr(rec, "fault");
	}
	return n;
}

static void check_msi(struct opae_vfio *v, int efd, const struct dma_buf *a,
                      const struct dma_buf *b)
{
	uint8_t a_before[BUF_SIZE], b_before[BUF_SIZE];
	uint64_t cnt;
	uint32_t st;
	double t0;
	int rc, err, n, kmsg = kmsg_open();

	errno = 0;
	rc = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd);
	check(rc == 0, "opae_vfio_irq_enable(MSI, 0, eventfd) (%s)", rc ? strerror(errno) : "ok");

	t0 = now_ms();
	edu_wr32(EDU_REG_IRQ_RAISE, 0x5a);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	st = edu_ack();
	check(cnt >= 1 && (st & 0x5a) == 0x5a,
	      "MSI fires for the raise register: eventfd %" PRIu64 ", status 0x%x, %.2f ms", cnt,
	      st, now_ms() - t0);

	/* Re-enabling a live vector swaps its eventfd: only the new one fires. */
	swap_eventfd(v, efd);
	reroute_to_bad_fd(v, efd);

	/* vfio-pci cannot mask MSI: the kernel's ENOTTY must reach the caller. */
	errno = 0;
	rc = opae_vfio_irq_mask(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
	err = errno;
	check(rc != 0 && err == ENOTTY, "opae_vfio_irq_mask(MSI) fails with ENOTTY (rc %d, %s)", rc,
	      strerror(err));
	errno = 0;
	rc = opae_vfio_irq_unmask(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
	err = errno;
	check(rc != 0 && err == ENOTTY, "opae_vfio_irq_unmask(MSI) fails with ENOTTY (rc %d, %s)",
	      rc, strerror(err));
	edu_wr32(EDU_REG_IRQ_RAISE, 0x5a);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	st = edu_ack();
	check(cnt >= 1, "MSI still fires after the refused mask (eventfd %" PRIu64 ")", cnt);

	errno = 0;
	rc = opae_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
	check(rc == 0, "opae_vfio_irq_disable(MSI, 0) (%s)", rc ? strerror(errno) : "ok");

	/* OPAE's bug: MSI stayed enabled with a zeroed message address, so this
	 * raise made edu write zeros at IOVA 0 - over a live buffer. */
	memcpy(a_before, a->ptr, BUF_SIZE);
	memcpy(b_before, b->ptr, BUF_SIZE);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x77);
	cnt = wait_eventfd(efd, QUIET_MS);
	check(cnt == 0, "after MSI disable a raise does not signal the eventfd (count %" PRIu64 ")",
	      cnt);
	check(memcmp(a_before, a->ptr, BUF_SIZE) == 0 && memcmp(b_before, b->ptr, BUF_SIZE) == 0,
	      "after MSI disable a raise corrupts no buffer (first bytes a %02x%02x%02x%02x, "
	      "b %02x%02x%02x%02x)",
	      a->ptr[0], a->ptr[1], a->ptr[2], a->ptr[3], b->ptr[0], b->ptr[1], b->ptr[2],
	      b->ptr[3]);
	st = edu_ack();
	check(st == 0x77, "the raise reached the device (status 0x%x) and is acknowledged", st);
	wait_eventfd(efd, 0); /* drain, in case the check above failed */
	if (kmsg < 0)
		return;
	n = kmsg_dmar_faults(kmsg, 0);
	check(n == 0, "after MSI disable a raise makes no DMAR fault (the library keeps the "
	              "vector on its own eventfd): %d fault lines",
	      n);

	/* Control: OPAE's disable (a -1 eventfd for the vector) on the same
	 * index; the next raise is edu's write of a zeroed message to IOVA 0. */
	{
		uint8_t raw[sizeof(struct vfio_irq_set) + sizeof(int32_t)]
		    __attribute__((aligned(8)));
		struct vfio_irq_set set = {.argsz = sizeof(raw),
		                           .flags = VFIO_IRQ_SET_DATA_EVENTFD |
		                                    VFIO_IRQ_SET_ACTION_TRIGGER,
		                           .index = VFIO_PCI_MSI_IRQ_INDEX,
		                           .count = 1};
		int32_t none = -1;

		memcpy(raw, &set, sizeof(set));
		memcpy(raw + sizeof(set), &none, sizeof(none));
		rc = ioctl(v->device.device_fd, VFIO_DEVICE_SET_IRQS, raw);
		edu_wr32(EDU_REG_IRQ_RAISE, 0x88);
		n = kmsg_dmar_faults(kmsg, 2000);
		edu_ack();
		check(rc == 0 && n >= 1,
		      "control: OPAE's detach (eventfd -1) then a raise: DMAR fault logged (%d "
		      "lines, expected here)",
		      n);
	}
	close(kmsg);
}

static void check_intx(struct opae_vfio *v, int efd)
{
	uint64_t cnt;
	uint32_t st;
	int rc;

	errno = 0;
	rc = opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd);
	check(rc == 0, "opae_vfio_irq_enable(INTx, 0, eventfd) after MSI was used (%s)",
	      rc ? strerror(errno) : "ok");

	/* vfio-pci masks INTx when it fires: ack the device, then unmask. */
	for (int round = 1; round <= 2; round++) {
		edu_wr32(EDU_REG_IRQ_RAISE, 0x1000);
		cnt = wait_eventfd(efd, EDU_WAIT_MS);
		st = edu_ack();
		rc = opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		check(cnt >= 1 && (st & 0x1000) && rc == 0,
		      "INTx round %d: eventfd %" PRIu64 ", status 0x%x, unmask rc %d", round, cnt,
		      st, rc);
	}

	/* While masked a raise must stay pending; unmask must deliver it. */
	errno = 0;
	rc = opae_vfio_irq_mask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
	check(rc == 0, "opae_vfio_irq_mask(INTx) (%s)", rc ? strerror(errno) : "ok");
	edu_wr32(EDU_REG_IRQ_RAISE, 0x2000);
	cnt = wait_eventfd(efd, QUIET_MS);
	check(cnt == 0, "while INTx is masked a raise does not signal (count %" PRIu64 ")", cnt);
	errno = 0;
	rc = opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	st = edu_ack();
	check(rc == 0 && cnt >= 1 && (st & 0x2000),
	      "INTx unmask delivers the interrupt raised while masked (rc %d, eventfd %" PRIu64
	      ", status 0x%x)",
	      rc, cnt, st);
	rc = opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x4000);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	st = edu_ack();
	check(rc == 0 && cnt >= 1 && (st & 0x4000), "INTx works again after the mask test");

	/* Disabled while the kernel has it masked (after this interrupt, not
	 * unmasked), enabled again: it starts unmasked, as a fresh enable. */
	opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x8000);
	cnt = wait_eventfd(efd, EDU_WAIT_MS);
	edu_ack();
	rc = opae_vfio_irq_disable(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
	rc |= opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd);
	edu_wr32(EDU_REG_IRQ_RAISE, 0x10000);
	cnt += wait_eventfd(efd, EDU_WAIT_MS);
	st = edu_ack();
	check(rc == 0 && cnt >= 2 && (st & 0x10000),
	      "INTx disabled while masked and enabled again starts unmasked (rc %d, eventfds %" PRIu64
	      ", status 0x%x)",
	      rc, cnt, st);
	/* Left enabled on purpose: opae_vfio_close() must tear it down. */
	opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
}

/* OPAE 2.12's buffer_map/unmap: caller memory at a caller IOVA, which edu
 * reaches; after unmap the same DMA is blocked and the memory is untouched. */
static void check_pin(struct opae_vfio *v)
{
	const uint64_t at = 0x800000; /* free, and within edu's 28-bit reach */
	uint8_t *mem = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                    -1, 0);
	int rc, ok;

	if (mem == MAP_FAILED) {
		check(0, "mmap: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < BUF_SIZE; i++)
		mem[i] = i < DMA_LEN ? (uint8_t)(i * 13 + 5) : 0;
	errno = 0;
	rc = opae_vfio_buffer_map(v, BUF_SIZE, mem, at);
	check(rc == 0, "opae_vfio_buffer_map(caller memory at IOVA 0x%" PRIx64 ") (%s)", at,
	      rc ? strerror(errno) : "ok");
	/* there and back through the pinned IOVA: first half -> edu -> second half */
	check(edu_dma(at, EDU_DMA_WINDOW, DMA_LEN, 0) == 0 &&
	          edu_dma(EDU_DMA_WINDOW, at + DMA_LEN, DMA_LEN, EDU_DMA_TO_RAM) == 0,
	      "DMA pinned memory -> edu -> pinned memory completed");
	ok = memcmp(mem, mem + DMA_LEN, DMA_LEN) == 0;
	check(ok, "the device read and wrote the pinned memory through the IOVA");
	check(opae_vfio_buffer_unmap(v, BUF_SIZE, at + BUF_SIZE) != 0,
	      "opae_vfio_buffer_unmap of an IOVA that was not mapped fails");
	rc = opae_vfio_buffer_unmap(v, BUF_SIZE, at);
	check(rc == 0, "opae_vfio_buffer_unmap (%s)", rc ? strerror(errno) : "ok");
	memset(mem, 0x22, BUF_SIZE);
	edu_dma(EDU_DMA_WINDOW, at, DMA_LEN, EDU_DMA_TO_RAM);
	check(mem[0] == 0x22 && mem[DMA_LEN - 1] == 0x22,
	      "after unmap the device's DMA no longer reaches the memory");
	munmap(mem, BUF_SIZE);
}

static void check_free(struct opae_vfio *v, struct dma_buf *a, struct dma_buf *b)
{
	int rc;

	rc = opae_vfio_buffer_free(v, a->ptr + 64);
	check(rc != 0 && opae_vfio_buffer_info(v, a->ptr) != NULL,
	      "opae_vfio_buffer_free(interior pointer) fails and keeps the buffer");
	check(opae_vfio_buffer_free(v, a->ptr) == 0 && opae_vfio_buffer_info(v, a->ptr) == NULL,
	      "opae_vfio_buffer_free(a) succeeds and the buffer is gone");
	check(opae_vfio_buffer_free(v, a->ptr) != 0, "freeing a twice fails");
	check(opae_vfio_buffer_free(v, b->ptr) == 0, "opae_vfio_buffer_free(b) succeeds");
}

/* After close: every fd of the struct is -1, nothing is listed,
 * region_get refuses the struct with EINVAL, and the process holds exactly
 * `fds` fds. */
static void check_closed(struct opae_vfio *v, int fds, const char *what)
{
	uint8_t *ptr = NULL;
	size_t size = 0;
	int rc, err, now;

	check(v->cont_fd == -1 && v->group.group_fd == -1 && v->device.device_fd == -1 &&
	          !v->device.regions && !v->device.irqs,
	      "%s: the struct is closed (fds -1, no regions, no IRQs)", what);
	errno = 0;
	rc = opae_vfio_region_get(v, 0, &ptr, &size);
	err = errno;
	check(rc == 1 && err == EINVAL && !ptr && !size,
	      "%s: region_get(0) then fails with 1/EINVAL (rc %d, %s)", what, rc, strerror(err));
	now = count_fds();
	check(fds >= 0 && now == fds,
	      "%s: %d fds open, want %d (as before the open, + the eventfd)", what, now, fds);
}

int main(int argc, char **argv)
{
	struct opae_vfio v;
	struct dma_buf a = {0}, b = {0};
	char bdf[NAME_MAX + 1] = "";
	size_t size = 0;
	uint8_t *ptr = NULL;
	int fds_before, fds_after, efd, have_bufs = 0, rc, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&v, 0, sizeof(v));

	if (edu_find(argc, argv, bdf, sizeof(bdf))) {
		check(0, "no edu device (1234:11e8) found in /sys/bus/pci/devices");
		return summary("core_edu");
	}
	info("device %s", bdf);

	fds_before = count_fds();
	check(opae_vfio_dev_busy(bdf) == 0, "opae_vfio_dev_busy(%s) before open: free", bdf);
	errno = 0;
	if (opae_vfio_open(&v, bdf)) {
		check(0, "opae_vfio_open(%s): %s", bdf, strerror(errno));
		opae_vfio_close(&v);
		return summary("core_edu");
	}
	check(1, "opae_vfio_open(%s)", bdf);
	errno = 0;
	rc = opae_vfio_dev_busy(bdf);
	err = errno;
	check(rc != 0 && err == EBUSY, "opae_vfio_dev_busy(%s) while open: busy (rc %d, %s)", bdf,
	      rc, strerror(err));

	if (opae_vfio_region_get(&v, 0, &ptr, &size) || !ptr) {
		check(0, "opae_vfio_region_get(0): BAR0 not mapped");
		opae_vfio_close(&v);
		return summary("core_edu");
	}
	check(size >= EDU_BAR0_SIZE, "opae_vfio_region_get(0): %p, size 0x%zx", (void *)ptr, size);
	edu_set_bar0(ptr);

	check_registers(&v);
	edu_enable_bus_master(v.device.device_fd, v.device.device_config_offset);

	if (allocate(&v, &a, "a") == 0 && allocate(&v, &b, "b") == 0) {
		have_bufs = 1;
		check_buffer_info(&v, &a, "a");
		check_buffer_info(&v, &b, "b");
		/* A DMA to an IOVA edu cannot address would land elsewhere. */
		if (check_iovas(&a, &b))
			check_dma(&a, &b);
	}

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		check(0, "eventfd: %s", strerror(errno));
	} else if (have_bufs) {
		check_msi(&v, efd, &a, &b);
		check_intx(&v, efd);
	}

	if (have_bufs) {
		check_pin(&v);
		check_free(&v, &a, &b);
	}

	opae_vfio_close(&v);
	check_closed(&v, fds_before + (efd >= 0), "opae_vfio_close");
	opae_vfio_close(&v);
	check_closed(&v, fds_before + (efd >= 0), "opae_vfio_close a second time");

	/* A closed struct is reusable, and the kernel must have seen the group
	 * and device released (a leaked group fd makes this open fail EBUSY). */
	errno = 0;
	if (opae_vfio_open(&v, bdf) == 0) {
		ptr = NULL;
		check(opae_vfio_region_get(&v, 0, &ptr, &size) == 0 && ptr &&
		          (*(volatile uint32_t *)(ptr + EDU_REG_ID) & 0xff) == 0xed,
		      "reopen on the same struct works and BAR0 reads the edu id");
	} else {
		check(0, "reopen after close: %s", strerror(errno));
	}
	opae_vfio_close(&v);
	if (efd >= 0)
		close(efd);
	fds_after = count_fds();
	check(fds_before >= 0 && fds_after == fds_before,
	      "no fd left open after close (%d before open, %d after close)", fds_before,
	      fds_after);
	return summary("core_edu");
}
