// SPDX-License-Identifier: BSD-3-Clause
/*
 * rules61.c - the Linux 6.1 VFIO rules where the mock kernel used to be kinder
 * than the kernel (audit shared/reference/mock-fidelity-6.1.md, §2), checked
 * with raw ioctls on QEMU's edu: run unchanged in the VM (real vfio-pci) and
 * on the mock's edu model, the two must agree.
 *
 * CHECK_EXTENSION values, the packed GET_INFO capability chain, SET_CONTAINER
 * of fd -1, config access past the end, edu's missing function reset, 8-byte
 * BAR pread/pwrite as two 32-bit accesses, MAP_DMA refusing memory the mapping
 * may not access, pages bound at MAP_DMA (zero page, munmap + remap,
 * MADV_DONTNEED), RLIMIT_MEMLOCK without CAP_IPC_LOCK, MAP_DMA/UNMAP_DMA
 * checks and v2 semantics, an MSI enable of 0
 * vectors, MSI's virtual Enable/QSIZE bits in config space, a failed SET_IRQS
 * leaving its vector detached, BAR type bits and sizing (32-bit on edu, 64-bit
 * prefetchable on ivshmem-plain: run with --ivshmem 1M), VFIO_DEVICE_RESET and
 * the reset around close and open on QEMU's NVMe (--nvme 1M), memory decoding off (BAR mmap SIGBUS, pread
 * EIO), COMMAND.INTx-disable masking INTx, a BAR mmap keeping the device
 * open, the last group taking the mappings with it, and the next first open
 * building the virtual config space again.
 *
 * Output: "PASS: ..." / "FAIL: ..." per check, then
 * "rules61: N passed, M failed"; exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edu_test.h"

#define PG        0x1000UL
#define IOVA_OUT  0x100000ULL /* the device writes what it read here */
#define IOVA_TEST 0x200000ULL /* the buffer under test */
#define IOVA_LAST 0x400000ULL

static int cont = -1, grp = -1, dev = -1;
static uint8_t *bar0, *out;

static uint64_t region_offset(unsigned index, uint64_t *size)
{
	struct vfio_region_info r = {.argsz = sizeof(r), .index = index};

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r))
		return 0;
	if (size)
		*size = r.size;
	return r.offset;
}

static int map_dma(void *vaddr, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {.argsz = sizeof(m),
	                                     .flags = flags,
	                                     .vaddr = (uintptr_t)vaddr,
	                                     .iova = iova,
	                                     .size = size};

	return ioctl(cont, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap_dma(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = size};

	return ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* rc and errno of a call, fixed before check() formats its message (the
 * order in which arguments are evaluated is unspecified) */
struct res {
	int rc, err;
};
#define RES(call) ({ errno = 0; int rc_ = (int)(call); (struct res){rc_, errno}; })
#define FAILS_WITH(r, e) ((r).rc == -1 && (r).err == (e))

static void *anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* What the device reads at iova: edu copies it into its buffer, then out
 * into `out` (IOVA_OUT). -1 if a DMA did not complete. */
static int device_reads(uint64_t iova)
{
	memset(out, 0xee, 0x100);
	if (edu_dma(iova, EDU_DMA_WINDOW, 0x100, 0) ||
	    edu_dma(EDU_DMA_WINDOW, IOVA_OUT, 0x100, EDU_DMA_TO_RAM))
		return -1;
	return out[0];
}

static uint16_t cfg16(unsigned off)
{
	uint16_t v = 0xffff;

	if (pread(dev, &v, 2, (off_t)(region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL) + off)) != 2)
		return 0xffff;
	return v;
}

/* Offset of capability `id` in dev's config space, 0 if it has none. */
static unsigned cap_pos(uint8_t id)
{
	uint8_t pos = 0, hdr[2] = {0, 0};
	uint64_t cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	int guard = 0;

	if (pread(dev, &pos, 1, (off_t)(cfg + PCI_CAPABILITY_LIST)) != 1)
		return 0;
	for (; pos && guard < 48; guard++, pos = hdr[1])
		if (pread(dev, hdr, 2, (off_t)(cfg + pos)) != 2 || hdr[0] == id)
			break;
	return pos && hdr[0] == id ? pos : 0;
}

static int set_cfg(unsigned off, const void *v, size_t n)
{
	return pwrite(dev, v, n, (off_t)(region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL) + off)) ==
	       (ssize_t)n;
}

static int set_cfg16(unsigned off, uint16_t v)
{
	return set_cfg(off, &v, 2);
}

/* Does a load from p kill a process with SIGBUS? Asked of a forked child,
 * so no handler has to jump out of a signal (ThreadSanitizer, which the
 * mock's TSan run builds this program with, reports everything after that). */
static int load_raises_sigbus(const volatile uint32_t *p)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

static int set_irq(unsigned index, uint32_t flags, unsigned count, int32_t fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(buf);
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	memcpy(s->data, &fd, sizeof(fd));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
}

#define TRIGGER_NONE (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_EFD  (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define QUIET_MS     200 /* how long "no interrupt" is waited for */

static void extensions(void)
{
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1 &&
	          ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1,
	      "CHECK_EXTENSION TYPE1, TYPE1v2: 1");
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) == 1,
	      "CHECK_EXTENSION UNMAP_ALL before SET_IOMMU: 1");
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU) == 1,
	      "CHECK_EXTENSION TYPE1_NESTING before SET_IOMMU: 1");
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 0 &&
	          ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR) == 0,
	      "CHECK_EXTENSION DMA_CC, UPDATE_VADDR before SET_IOMMU (no IOMMU yet): 0");
}

/* 6.1's vfio_info_cap_add packs the chain: MIGRATION (32 bytes) at 24,
 * DMA_AVAIL (12) at 56, IOVA_RANGE at 68 (4-byte aligned). */
static void info_layout(void)
{
	struct vfio_iommu_type1_info probe = {.argsz = sizeof(probe)};
	struct vfio_info_cap_header h;
	uint32_t want[3] = {VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
	                    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE};
	uint32_t at[3] = {24, 56, 68}, nr = 0, off;
	uint8_t *buf;
	int ok = 1, i = 0;

	check(!ioctl(cont, VFIO_IOMMU_GET_INFO, &probe) && (probe.flags & VFIO_IOMMU_INFO_CAPS) &&
	          probe.argsz > sizeof(probe) && probe.cap_offset == 0,
	      "GET_INFO with a short argsz: CAPS, argsz raised to %u, cap_offset 0", probe.argsz);
	buf = calloc(1, probe.argsz);
	if (!buf)
		return;
	memcpy(buf, &(uint32_t){probe.argsz}, 4);
	if (ioctl(cont, VFIO_IOMMU_GET_INFO, buf)) {
		check(0, "GET_INFO with the raised argsz: %s", strerror(errno));
		free(buf);
		return;
	}
	memcpy(&off, buf + offsetof(struct vfio_iommu_type1_info, cap_offset), 4);
	for (; off && i < 3; i++) {
		memcpy(&h, buf + off, sizeof(h));
		info("cap %u at %u", h.id, off);
		ok &= h.id == want[i] && off == at[i];
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			memcpy(&nr, buf + off + sizeof(h), 4);
		off = h.next;
	}
	check(ok && i == 3 && !off, "GET_INFO chain packed: migration at 24, DMA_AVAIL at 56, "
	                            "IOVA_RANGE at 68 (6.1, not 8-byte aligned)");
	check(probe.argsz == 68 + 16 + 16 * nr, "GET_INFO argsz %u = 68 + 16 + 16 x %u ranges",
	      probe.argsz, nr);
	free(buf);
}

static void config_and_bar(void)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	uint64_t csize = 0, cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, &csize);
	uint64_t b0 = region_offset(VFIO_PCI_BAR0_REGION_INDEX, NULL);
	uint8_t big[4096 + 8];
	uint64_t v64 = 0;
	uint32_t v32 = 0x12345678;
	struct res r;
	ssize_t n;

	di.cap_offset = 0xa5a5a5a5;
	r = RES(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	check(!r.rc && di.flags == VFIO_DEVICE_FLAGS_PCI,
	      "edu DEVICE_GET_INFO flags %#x: PCI, no RESET (QEMU's edu has no function reset)",
	      di.flags);
	check(!r.rc && di.cap_offset == 0, "DEVICE_GET_INFO wrote cap_offset 0 (%#x)",
	      di.cap_offset);
	r = RES(ioctl(dev, VFIO_DEVICE_RESET));
	check(FAILS_WITH(r, EINVAL), "VFIO_DEVICE_RESET on edu: EINVAL (%s)", strerror(r.err));
	info("config region: %" PRIu64 " bytes", csize);
	r = RES(csize < sizeof(big) ? pread(dev, big, csize + 4, (off_t)cfg) : -2);
	check(FAILS_WITH(r, EFAULT), "config read of size+4 bytes: EFAULT, not clipped (%d, %s)",
	      r.rc, strerror(r.err));
	r = RES(pread(dev, big, 4, (off_t)(cfg + csize - 2)));
	check(FAILS_WITH(r, EFAULT), "config read across the end: EFAULT (%d, %s)", r.rc,
	      strerror(r.err));
	check(pread(dev, big, csize, (off_t)cfg) == (ssize_t)csize, "config read of all %" PRIu64
	                                                             " bytes works", csize);

	/* below 0x80 edu answers 32-bit accesses only: an 8-byte access works
	 * only as 6.1 does it, two 32-bit accesses, low dword first */
	n = pwrite(dev, &v32, 4, (off_t)(b0 + EDU_REG_LIVENESS));
	n = pread(dev, &v64, 8, (off_t)b0);
	check(n == 8 && v64 == ((uint64_t)~0x12345678u << 32 | 0x010000ed),
	      "8-byte BAR pread at 0 = ID | liveness << 32 (two 32-bit reads): %#" PRIx64, v64);
	v64 = (uint64_t)0x0badf00d << 32;
	n = pwrite(dev, &v64, 8, (off_t)b0);
	v32 = 0;
	if (n == 8 && pread(dev, &v32, 4, (off_t)(b0 + EDU_REG_LIVENESS)) != 4)
		n = -1;
	check(n == 8 && v32 == ~0x0badf00du,
	      "8-byte BAR pwrite at 0: the high dword reached the liveness register (%#x)", v32);
	edu_enable_bus_master(dev, cfg);
}

static void map_permissions(void)
{
	uint8_t *ro = anon(PG, PROT_READ), *none = anon(PG, PROT_NONE);
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct res r;

	r = RES(ro ? map_dma(ro, IOVA_TEST, PG, rw) : 0);
	check(FAILS_WITH(r, EFAULT), "MAP_DMA READ|WRITE of PROT_READ memory: EFAULT (%s)",
	      strerror(r.err));
	r = RES(none ? map_dma(none, IOVA_TEST, PG, VFIO_DMA_MAP_FLAG_READ) : 0);
	check(FAILS_WITH(r, EFAULT), "MAP_DMA READ of PROT_NONE memory: EFAULT (%s)",
	      strerror(r.err));
	check(ro && map_dma(ro, IOVA_TEST, PG, VFIO_DMA_MAP_FLAG_READ) == 0 &&
	          unmap_dma(IOVA_TEST, PG) == 0,
	      "MAP_DMA READ of PROT_READ memory works");
	if (ro)
		munmap(ro, PG);
	if (none)
		munmap(none, PG);
}

/* The device keeps the pages pinned at MAP_DMA. */
static void pinned_pages(void)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	uint8_t *buf = anon(2 * PG, PROT_READ | PROT_WRITE), *again;

	if (!buf) {
		check(0, "anonymous memory");
		return;
	}
	/* read-only map of never-touched memory pins the shared zero page */
	check(map_dma(buf, IOVA_TEST, 2 * PG, VFIO_DMA_MAP_FLAG_READ) == 0,
	      "MAP_DMA READ of untouched memory");
	memset(buf, 0x5a, 2 * PG);
	check(device_reads(IOVA_TEST) == 0, "the device reads zeros there after the CPU wrote 0x5a "
	                                    "(the zero page was pinned)");
	unmap_dma(IOVA_TEST, 2 * PG);

	/* munmap + a new mapping at the same address */
	memset(buf, 0x11, 2 * PG);
	check(map_dma(buf, IOVA_TEST, 2 * PG, rw) == 0, "MAP_DMA of a buffer holding 0x11");
	munmap(buf, 2 * PG);
	again = mmap(buf, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	             -1, 0);
	if (again != buf) {
		check(0, "remap at %p", (void *)buf);
		unmap_dma(IOVA_TEST, 2 * PG);
		return;
	}
	memset(buf, 0x22, 2 * PG);
	check(device_reads(IOVA_TEST + PG) == 0x11,
	      "after munmap and a new mapping (0x22) at the address the device reads the old 0x11");
	check(edu_dma(EDU_DMA_WINDOW, IOVA_TEST, 0x100, EDU_DMA_TO_RAM) == 0 && buf[0] == 0x22,
	      "and its writes do not reach the new memory");
	unmap_dma(IOVA_TEST, 2 * PG);

	/* MADV_DONTNEED: the CPU gets zero pages, the device keeps the old ones */
	memset(buf, 0x33, 2 * PG);
	check(map_dma(buf, IOVA_TEST, 2 * PG, rw) == 0, "MAP_DMA of a buffer holding 0x33");
	check(madvise(buf, 2 * PG, MADV_DONTNEED) == 0 && buf[PG] == 0,
	      "MADV_DONTNEED: the CPU reads zeros");
	check(device_reads(IOVA_TEST + PG) == 0x33, "the device still reads 0x33");
	unmap_dma(IOVA_TEST, 2 * PG);
	munmap(buf, 2 * PG);

	/* an unmapped IOVA reads as zeros */
	check(edu_dma(EDU_DMA_WINDOW, IOVA_OUT, 0x100, EDU_DMA_TO_RAM) == 0 && out[0] == 0x33 &&
	          device_reads(IOVA_TEST) == 0,
	      "edu reading an unmapped IOVA gets zeros (an IOMMU fault)");
}

/* vfio_dma_do_map / vfio_dma_do_unmap (type1 v2): checks in the kernel's
 * order, bisecting a mapping refused, an empty range "unmapped" with size 0,
 * FLAG_ALL only with iova = size = 0 and returning what it took. */
static void map_unmap_rules(void)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	uint8_t *buf = anon(2 * PG, PROT_READ | PROT_WRITE);
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u)};
	struct res r;

	if (!buf) {
		check(0, "anonymous memory");
		return;
	}
	r = RES(map_dma(buf, IOVA_TEST, 0, rw));
	check(FAILS_WITH(r, EINVAL), "MAP_DMA of size 0: EINVAL (%s)", strerror(r.err));
	r = RES(map_dma(buf, IOVA_TEST + 0x800, PG, rw));
	check(FAILS_WITH(r, EINVAL), "MAP_DMA at an unaligned IOVA: EINVAL (%s)", strerror(r.err));
	r = RES(map_dma(buf, 0xfee00000ULL, PG, rw));
	check(FAILS_WITH(r, EINVAL), "MAP_DMA in the MSI window (no IOVA range): EINVAL (%s)",
	      strerror(r.err));
	check(map_dma(buf, IOVA_TEST, 2 * PG, rw) == 0, "MAP_DMA of 2 pages");
	r = RES(map_dma(buf, IOVA_TEST + PG, PG, rw));
	check(FAILS_WITH(r, EEXIST), "MAP_DMA overlapping it: EEXIST (%s)", strerror(r.err));
	r = RES(unmap_dma(IOVA_TEST, PG));
	check(FAILS_WITH(r, EINVAL), "UNMAP_DMA of its first page (bisecting it): EINVAL (%s)",
	      strerror(r.err));
	u.iova = IOVA_LAST;
	u.size = PG;
	if (ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &u))
		u.size = 1;
	check(u.size == 0, "UNMAP_DMA where nothing is mapped: 0, size 0 (%llu)",
	      (unsigned long long)u.size);
	u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	r = RES(ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &u));
	check(FAILS_WITH(r, EINVAL), "UNMAP_DMA FLAG_ALL with an IOVA and a size: EINVAL (%s)",
	      strerror(r.err));
	u.iova = u.size = 0;
	if (ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &u))
		u.size = 1;
	check(u.size == 2 * PG, "UNMAP_DMA FLAG_ALL: everything, size %llu",
	      (unsigned long long)u.size);
	munmap(buf, 2 * PG);
}

static int set_ipc_lock(int on, uint32_t *saved)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (saved && !on)
		*saved = d[0].effective;
	if (on)
		d[0].effective = *saved;
	else
		d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return (int)syscall(SYS_capset, &h, d);
}

/* Without CAP_IPC_LOCK every pinned page counts against RLIMIT_MEMLOCK. */
static void memlock(void)
{
	struct rlimit old, low;
	uint32_t caps = 0;
	struct res r;
	uint8_t *a = anon(8 * PG, PROT_READ | PROT_WRITE), *b = anon(16 * PG, PROT_READ | PROT_WRITE);

	if (!a || !b || getrlimit(RLIMIT_MEMLOCK, &old) || set_ipc_lock(0, &caps)) {
		check(0, "memlock setup: %s", strerror(errno));
		return;
	}
	low = old;
	low.rlim_cur = 16 * PG;
	check(setrlimit(RLIMIT_MEMLOCK, &low) == 0, "RLIMIT_MEMLOCK lowered to 64 KiB, "
	                                            "CAP_IPC_LOCK dropped");
	check(map_dma(a, IOVA_TEST, 8 * PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0,
	      "MAP_DMA of 32 KiB under the limit");
	r = RES(map_dma(b, IOVA_LAST, 16 * PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	check(FAILS_WITH(r, ENOMEM), "MAP_DMA of 64 KiB more: ENOMEM (%s)", strerror(r.err));
	unmap_dma(IOVA_TEST, 8 * PG);
	check(map_dma(b, IOVA_LAST, 16 * PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0 &&
	          unmap_dma(IOVA_LAST, 16 * PG) == 0,
	      "after UNMAP_DMA the 64 KiB fit");
	setrlimit(RLIMIT_MEMLOCK, &old);
	set_ipc_lock(1, &caps);
	munmap(a, 8 * PG);
	munmap(b, 16 * PG);
}

static void msi_enable_zero(void)
{
	struct vfio_irq_set s = {.argsz = sizeof(s),
	                         .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	                         .index = VFIO_PCI_MSI_IRQ_INDEX};

	struct res r = RES(ioctl(dev, VFIO_DEVICE_SET_IRQS, &s));

	check(FAILS_WITH(r, ERANGE), "SET_IRQS: enabling MSI with 0 vectors: ERANGE (%s)",
	      strerror(r.err));
}

/* MSI's Enable and QSIZE in config space are vfio-pci's virtual bits
 * (vfio_msi_config_write): the ioctl never sets them; a written Enable stays
 * only while the ioctl has MSI on; QSIZE is capped at the enabled vectors. */
static void msi_config_bits(void)
{
	uint64_t cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	uint8_t pos = 0, hdr[2] = {0, 0};
	uint16_t f = 0, w;
	int efd = eventfd(0, EFD_CLOEXEC), guard = 0;
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	struct vfio_irq_set off = {.argsz = sizeof(off),
	                           .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	                           .index = VFIO_PCI_MSI_IRQ_INDEX};

	if (pread(dev, &pos, 1, (off_t)(cfg + 0x34)) != 1)
		pos = 0;
	for (; pos && guard < 48; guard++, pos = hdr[1])
		if (pread(dev, hdr, 2, (off_t)(cfg + pos)) != 2 || hdr[0] == 0x05)
			break;
	if (!pos || hdr[0] != 0x05 || efd < 0) {
		check(0, "edu's MSI capability");
		return;
	}
#define MSI_FLAGS() (pread(dev, &f, 2, (off_t)(cfg + pos + 2)) == 2 ? f : 0xffff)
#define MSI_WRITE(v) (w = (uint16_t)(v), pwrite(dev, &w, 2, (off_t)(cfg + pos + 2)) == 2)
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &efd, sizeof(efd));
	check(ioctl(dev, VFIO_DEVICE_SET_IRQS, s) == 0 && !(MSI_FLAGS() & 1),
	      "MSI enabled by SET_IRQS: the config Enable bit still reads 0 (flags %#x)", f);
	check(MSI_WRITE(f | 1) && (MSI_FLAGS() & 1), "Enable written 1 while MSI is on: reads 1");
	check(MSI_WRITE(f | 0x70) && (MSI_FLAGS() & 0x71) == 1,
	      "QSIZE written 7: capped at 0 (1 vector enabled)");
	check(ioctl(dev, VFIO_DEVICE_SET_IRQS, &off) == 0 && (MSI_FLAGS() & 1),
	      "MSI disabled by SET_IRQS: the Enable bit is left as written");
	check(MSI_WRITE(f | 1) && !(MSI_FLAGS() & 1), "Enable written 1 while MSI is off: reads 0");
#undef MSI_FLAGS
#undef MSI_WRITE
	close(efd);
}

/* Another device of the VM (run-in-vm.sh exports <prefix>_BDF and
 * <prefix>_GROUP) joins the container: its device fd, its group fd in *g;
 * -1 (one FAIL line) if it is not there. */
static int other_device(const char *prefix, const char *vm_arg, int *g)
{
	char name[32], path[64];
	const char *bdf, *group;
	int fd = -1;

	snprintf(name, sizeof(name), "%s_BDF", prefix);
	bdf = getenv(name);
	snprintf(name, sizeof(name), "%s_GROUP", prefix);
	group = getenv(name);
	*g = -1;
	if (!bdf || !group) {
		check(0, "%s_BDF and %s_GROUP are not set (run-in-vm.sh %s)", prefix, prefix, vm_arg);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	*g = open(path, O_RDWR | O_CLOEXEC);
	if (*g < 0 || ioctl(*g, VFIO_GROUP_SET_CONTAINER, &cont) ||
	    (fd = ioctl(*g, VFIO_GROUP_GET_DEVICE_FD, bdf)) < 0) {
		check(0, "%s in group %s: %s", bdf, group, strerror(errno));
		if (*g >= 0)
			close(*g);
		*g = -1;
		return -1;
	}
	return fd;
}

/* ...and leaves it again, so that edu's group is the container's only one. */
static void other_device_done(int fd, int g, const char *what)
{
	close(fd);
	check(ioctl(g, VFIO_GROUP_UNSET_CONTAINER) == 0, "%s's group leaves the container", what);
	close(g);
}

/* BAR registers as vfio_bar_fixup shows them: edu's BAR0 is 32-bit memory;
 * ivshmem-plain's BAR2 is 64-bit prefetchable memory, BAR3 its upper half;
 * a sizing write reads back ~(size-1) over both halves, the type bits stay. */
static void bar_types(void)
{
	struct vfio_region_info r2 = {.argsz = sizeof(r2), .index = VFIO_PCI_BAR2_REGION_INDEX};
	struct vfio_region_info r3 = {.argsz = sizeof(r3), .index = VFIO_PCI_BAR3_REGION_INDEX};
	uint32_t ones = 0xffffffff, bar[2] = {0, 0}, sized[2] = {0, 0}, v = 0;
	int edu_dev = dev, g = -1;
	uint64_t cfg;

	check(pread(dev, &v, 4, (off_t)(region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL) +
	                                PCI_BASE_ADDRESS_0)) == 4 && v && !(v & 0xf) &&
	          set_cfg(PCI_BASE_ADDRESS_0, &ones, 4) &&
	          pread(dev, &ones, 4, (off_t)(region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL) +
	                                       PCI_BASE_ADDRESS_0)) == 4 &&
	          ones == (uint32_t)~(EDU_BAR0_SIZE - 1) && set_cfg(PCI_BASE_ADDRESS_0, &v, 4),
	      "edu BAR0: 32-bit memory (type bits 0), sizing reads ~(1 MiB - 1)");
	dev = other_device("IVSHMEM", "--ivshmem 1M", &g);
	if (dev < 0) {
		dev = edu_dev;
		return;
	}
	cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r2) || ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r3))
		r2.size = 0;
	check(r2.size >= 0x100000 && (r2.flags & VFIO_REGION_INFO_FLAG_MMAP) && r3.size == 0 &&
	          r3.flags == 0,
	      "ivshmem BAR2 region: %llu bytes, mmap-able; BAR3 (its upper half): size 0, flags 0",
	      (unsigned long long)r2.size);
	if (pread(dev, bar, 8, (off_t)(cfg + PCI_BASE_ADDRESS_2)) != 8)
		bar[0] = 0;
	check((bar[0] & 0xf) == (PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH),
	      "ivshmem BAR2 reads %#x: 64-bit prefetchable memory (upper half %#x)", bar[0], bar[1]);
	if (!set_cfg(PCI_BASE_ADDRESS_2, (uint32_t[]){0xffffffff, 0xffffffff}, 8) ||
	    pread(dev, sized, 8, (off_t)(cfg + PCI_BASE_ADDRESS_2)) != 8)
		sized[0] = sized[1] = 0;
	check(sized[0] == ((uint32_t)~(r2.size - 1) | 0xc) &&
	          sized[1] == (uint32_t)(~(r2.size - 1) >> 32),
	      "ivshmem BAR2/BAR3 after a sizing write: %#x %#x (~(size-1), type bits kept)",
	      sized[0], sized[1]);
	check(set_cfg(PCI_BASE_ADDRESS_2, bar, 8), "ivshmem BAR2/BAR3 address written back");
	other_device_done(dev, g, "ivshmem");
	dev = edu_dev;
}

/* A device with a function reset (QEMU's NVMe controller has FLR):
 * VFIO_DEVICE_RESET (vfio_pci_ioctl_reset zaps the BAR mmaps, resets, and the
 * next access faults the BAR back in) leaves the same mapping working, with
 * the registers at their reset values; the last close and the next first
 * open reset it too (vfio_pci_core_disable, vfio_pci_core_enable). */
#define NVME_REG_CC  0x14
#define NVME_CC_SIZES 0x00460000u /* IOSQES 6, IOCQES 4, not enabled */

static void nvme_reset(void)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	int edu_dev = dev, g = -1, ok, efd;
	volatile uint32_t *regs;
	uint32_t cc = 1;
	unsigned msix;

	dev = other_device("NVME", "--nvme 1M", &g);
	if (dev < 0) {
		dev = edu_dev;
		return;
	}
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &di))
		di.flags = 0;
	check(di.flags & VFIO_DEVICE_FLAGS_RESET,
	      "NVMe DEVICE_GET_INFO flags %#x: RESET (QEMU's NVMe has FLR)", di.flags);
	regs = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
	            (off_t)region_offset(VFIO_PCI_BAR0_REGION_INDEX, NULL));
	if (regs == MAP_FAILED) {
		check(0, "NVMe BAR0 mmap: %s", strerror(errno));
	} else {
		regs[NVME_REG_CC / 4] = NVME_CC_SIZES;
		cc = regs[NVME_REG_CC / 4];
		ok = cc == NVME_CC_SIZES;
		check(ok, "NVMe CC written %#x through BAR0's mapping (reads %#x)", NVME_CC_SIZES, cc);
		ok = ioctl(dev, VFIO_DEVICE_RESET) == 0;
		cc = 1;
		if (ok)
			cc = regs[NVME_REG_CC / 4];
		check(ok && cc == 0, "VFIO_DEVICE_RESET: the same mapping works and CC reads 0 (%#x)",
		      cc);
		regs[NVME_REG_CC / 4] = NVME_CC_SIZES;
		munmap((void *)regs, 0x1000);
	}
	/* left enabled at the last close: vfio_pci_core_disable turns it off */
	msix = cap_pos(PCI_CAP_ID_MSIX);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	check(msix && efd >= 0 && set_irq(VFIO_PCI_MSIX_IRQ_INDEX, TRIGGER_EFD, 1, efd) == 0 &&
	          (cfg16(msix + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE),
	      "NVMe MSI-X enabled (vector 0), its Enable bit set");
	close(dev);
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, getenv("NVME_BDF"));
	cc = 1;
	if (dev < 0 || pread(dev, &cc, 4, (off_t)(region_offset(VFIO_PCI_BAR0_REGION_INDEX, NULL) +
	                                          NVME_REG_CC)) != 4)
		cc = 1;
	check(cc == 0, "CC written, device closed and opened again: CC reads 0 (%#x)", cc);
	errno = 0;
	check(msix && !(cfg16(msix + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE) &&
	          set_irq(VFIO_PCI_MSIX_IRQ_INDEX, TRIGGER_NONE, 1, 0) == -1 && errno == EINVAL,
	      "reopened: MSI-X's Enable bit is 0 and the index is off (a loopback is EINVAL)");
	if (efd >= 0)
		close(efd);
	other_device_done(dev, g, "NVMe");
	dev = edu_dev;
}

/* vfio_msi_set_block: a vector whose new eventfd is bad ends up detached (a
 * fresh enable is rolled back); the index stays as it was. */
static void msi_bad_fd(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	const int32_t bad = 1000; /* no such fd */
	struct res r;

	r = RES(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_EFD, 1, bad));
	check(FAILS_WITH(r, EBADF), "MSI enable with a bad eventfd: EBADF (%s)", strerror(r.err));
	r = RES(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_NONE, 1, 0));
	check(FAILS_WITH(r, EINVAL), "and MSI is not enabled: a loopback trigger is EINVAL (%s)",
	      strerror(r.err));
	check(efd >= 0 && set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_EFD, 1, efd) == 0 &&
	          set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_NONE, 1, 0) == 0 &&
	          wait_eventfd(efd, EDU_WAIT_MS) == 1,
	      "MSI enabled with an eventfd: a loopback trigger signals it");
	r = RES(set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_EFD, 1, efd));
	check(FAILS_WITH(r, EINVAL), "INTx enable while MSI is on: EINVAL (%s)", strerror(r.err));
	r = RES(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_EFD, 1, bad));
	check(FAILS_WITH(r, EBADF), "vector 0 given a bad eventfd: EBADF (%s)", strerror(r.err));
	check(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_NONE, 1, 0) == 0 &&
	          wait_eventfd(efd, QUIET_MS) == 0,
	      "MSI still enabled, but the old eventfd was detached: the loopback signals nothing");
	check(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_NONE, 0, 0) == 0, "MSI disabled");
	if (efd >= 0)
		close(efd);
}

/* Memory decoding off: vfio_basic_config_write zaps the BAR mmaps and
 * vfio_pci_mmap_fault answers SIGBUS; pread/pwrite are EIO; decoding on
 * again, the same mapping works. */
static void decode_off(void)
{
	uint16_t cmd = cfg16(PCI_COMMAND);
	volatile uint32_t *id = (volatile uint32_t *)bar0;
	uint32_t v = 0;
	struct res r;

	check(cmd != 0xffff && (cmd & PCI_COMMAND_MEMORY) &&
	          set_cfg16(PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_MEMORY)),
	      "COMMAND.MEM cleared (was %#x)", cmd);
	check(load_raises_sigbus(id), "BAR0 mmap with memory decoding off: a load raises SIGBUS");
	r = RES(pread(dev, &v, 4, (off_t)region_offset(VFIO_PCI_BAR0_REGION_INDEX, NULL)));
	check(FAILS_WITH(r, EIO), "BAR0 pread with memory decoding off: EIO (%s)", strerror(r.err));
	v = 0;
	if (set_cfg16(PCI_COMMAND, cmd))
		v = *id;
	check(v == 0x010000ed, "COMMAND.MEM set again: the same mapping reads the ID (%#x)", v);
	check(!load_raises_sigbus(id), "and a load in a child raises no SIGBUS");
}

/* COMMAND.INTx-disable is virtual (vfio_basic_config_write): setting it
 * masks INTx, so a loopback trigger sends nothing; clearing it unmasks,
 * whatever the mask ioctls did, and sends a line asserted meanwhile. */
static void intx_disable(void)
{
	uint16_t cmd = cfg16(PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE;
	uint16_t dis = cmd | PCI_COMMAND_INTX_DISABLE;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	const uint32_t mask = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	const uint32_t unmask = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;

	if (efd < 0 || set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_EFD, 1, efd)) {
		check(0, "INTx enabled with an eventfd: %s", strerror(errno));
		return;
	}
	errno = 0;
	check(set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_EFD, 1, efd) == -1 && errno == EINVAL,
	      "MSI enable while INTx is on: EINVAL");
	check(set_cfg16(PCI_COMMAND, dis) && set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_NONE, 1, 0) == 0 &&
	          wait_eventfd(efd, QUIET_MS) == 0,
	      "INTx-disable set: a loopback trigger signals nothing");
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, QUIET_MS) == 0, "INTx-disable set: edu's interrupt is held back");
	check(set_cfg16(PCI_COMMAND, cmd) && wait_eventfd(efd, EDU_WAIT_MS) == 1,
	      "INTx-disable cleared: the pending interrupt is sent");
	edu_ack();
	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask, 1, 0) == 0 &&
	          set_irq(VFIO_PCI_INTX_IRQ_INDEX, mask, 1, 0) == 0,
	      "INTx unmasked, then masked with ACTION_MASK");
	check(set_cfg16(PCI_COMMAND, dis) && set_cfg16(PCI_COMMAND, cmd), "INTx-disable set, cleared");
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, EDU_WAIT_MS) == 1,
	      "clearing INTx-disable unmasked INTx although ACTION_MASK had masked it");
	edu_ack();
	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask, 1, 0) == 0 &&
	          set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_NONE, 0, 0) == 0,
	      "INTx unmasked and disabled");
	close(efd);
}

/* vfio_pci_set_intx_unmask: an eventfd whose signal unmasks INTx (virqfd:
 * the write runs the unmask handler and consumes the count; a line still
 * asserted is sent again). fd -1, closing the eventfd and disabling INTx
 * each take it away; a count pending at attach unmasks once. */
static void intx_unmask_eventfd(void)
{
	const uint32_t unmask_efd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ufd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ufd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct res r;

	r = RES(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd));
	check(FAILS_WITH(r, EINVAL), "INTx unmask eventfd with INTx off: EINVAL (%s)",
	      strerror(r.err));
	if (efd < 0 || ufd < 0 || ufd2 < 0 || set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_EFD, 1, efd)) {
		check(0, "INTx enabled with an eventfd: %s", strerror(errno));
		goto out;
	}
	r = RES(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, 1000));
	check(FAILS_WITH(r, EBADF), "unmask eventfd 1000 (no such fd): EBADF (%s)", strerror(r.err));
	r = RES(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, dev));
	check(FAILS_WITH(r, EINVAL), "unmask eventfd that is a device fd: EINVAL (%s)",
	      strerror(r.err));
	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd) == 0, "unmask eventfd attached");
	r = RES(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd2));
	check(FAILS_WITH(r, EBUSY), "a second unmask eventfd: EBUSY (%s)", strerror(r.err));
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, EDU_WAIT_MS) == 1, "edu's interrupt arrives (INTx masks itself)");
	check(eventfd_write(ufd, 1) == 0 && wait_eventfd(efd, EDU_WAIT_MS) == 1,
	      "unmask eventfd signalled while edu still asserts: the interrupt is sent again");
	check(wait_eventfd(ufd, 0) == 0, "the kernel consumed the unmask eventfd's count");
	edu_ack();
	check(eventfd_write(ufd, 1) == 0, "acked, unmask eventfd signalled");
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, EDU_WAIT_MS) == 1, "INTx unmasked: the next interrupt arrives");
	edu_ack();

	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, -1) == 0, "unmask eventfd -1: detached");
	check(eventfd_write(ufd, 1) == 0 && wait_eventfd(ufd, 0) == 1,
	      "detached: a write stays in the eventfd");
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, QUIET_MS) == 0, "and INTx stayed masked: no interrupt");
	edu_ack();
	check(eventfd_write(ufd, 1) == 0 && set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd) == 0,
	      "an eventfd with a count pending attached");
	edu_wr32(EDU_REG_IRQ_RAISE, 1);
	check(wait_eventfd(efd, EDU_WAIT_MS) == 1 && wait_eventfd(ufd, 0) == 1,
	      "the pending count unmasked INTx at attach and stayed in the eventfd");
	edu_ack();

	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, -1) == 0 &&
	          set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd2) == 0 && close(ufd2) == 0,
	      "another unmask eventfd attached, then closed");
	ufd2 = -1;
	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, unmask_efd, 1, ufd) == 0,
	      "closing it detached it: a new one attaches (no EBUSY)");
	check(set_irq(VFIO_PCI_INTX_IRQ_INDEX, TRIGGER_NONE, 0, 0) == 0 &&
	          eventfd_write(ufd, 1) == 0 && wait_eventfd(ufd, 0) == 1,
	      "INTx disabled: the unmask eventfd went with it (a write stays in it)");
out:
	if (efd >= 0)
		close(efd);
	if (ufd >= 0)
		close(ufd);
	if (ufd2 >= 0)
		close(ufd2);
}

/* Values the next first open must not show again (vfio_config_init). */
static struct {
	uint32_t bar0;
	uint8_t line;
	unsigned msi;
	int efd;
} dirty = {.efd = -1};


/* Before the last close: write what a user may leave behind in config. */
static void dirty_config(void)
{
	uint64_t cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	uint32_t ones = 0xffffffff, now = 0;
	uint8_t line;
	int ok;

	dirty.msi = cap_pos(PCI_CAP_ID_MSI);
	dirty.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pread(dev, &dirty.bar0, 4, (off_t)(cfg + PCI_BASE_ADDRESS_0)) != 4 ||
	    pread(dev, &dirty.line, 1, (off_t)(cfg + PCI_INTERRUPT_LINE)) != 1 || !dirty.msi ||
	    dirty.efd < 0) {
		check(0, "config before the last close");
		return;
	}
	line = (uint8_t)(dirty.line ^ 0x5a);
	ok = set_cfg(PCI_BASE_ADDRESS_0, &ones, 4) &&
	     pread(dev, &now, 4, (off_t)(cfg + PCI_BASE_ADDRESS_0)) == 4 && now != dirty.bar0 &&
	     set_cfg(PCI_INTERRUPT_LINE, &line, 1) &&
	     set_cfg16(PCI_COMMAND, cfg16(PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE) &&
	     set_irq(VFIO_PCI_MSI_IRQ_INDEX, TRIGGER_EFD, 1, dirty.efd) == 0 &&
	     set_cfg16(dirty.msi + PCI_MSI_FLAGS, cfg16(dirty.msi + PCI_MSI_FLAGS) | 1) &&
	     (cfg16(dirty.msi + PCI_MSI_FLAGS) & 1);
	check(ok, "left behind: BAR0 sizing value %#x, interrupt line %u, INTx-disable, MSI on and "
	          "its Enable bit written", now, line);
}

/* After the last close: the first open builds the virtual config again. */
static void reopen_config(const char *bdf)
{
	uint64_t cfg;
	uint32_t bar = 0;
	uint8_t line = 0;
	uint16_t cmd;

	dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		check(0, "GET_DEVICE_FD again: %s", strerror(errno));
		return;
	}
	cfg = region_offset(VFIO_PCI_CONFIG_REGION_INDEX, NULL);
	cmd = cfg16(PCI_COMMAND);
	check((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)) ==
	          PCI_COMMAND_MEMORY,
	      "reopened: COMMAND %#x: memory on, bus master and INTx-disable off", cmd);
	if (pread(dev, &bar, 4, (off_t)(cfg + PCI_BASE_ADDRESS_0)) != 4)
		bar = 0;
	check(bar == dirty.bar0, "reopened: BAR0 reads its address %#x again (%#x)", dirty.bar0,
	      bar);
	if (pread(dev, &line, 1, (off_t)(cfg + PCI_INTERRUPT_LINE)) != 1)
		line = 0xff;
	check(line == dirty.line, "reopened: the interrupt line is the device's %u (%u)", dirty.line,
	      line);
	check(!(cfg16(dirty.msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE),
	      "reopened: MSI's Enable bit reads 0");
	close(dev);
	dev = -1;
	close(dirty.efd);
}

/* A BAR mmap holds the device file; the last group leaving the container
 * takes every mapping with it. */
static void device_lifetime(uint8_t *last)
{
	struct res r;

	check(map_dma(last, IOVA_LAST, PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) == 0,
	      "MAP_DMA at %#llx", (unsigned long long)IOVA_LAST);
	close(dev);
	dev = -1;
	r = RES(ioctl(grp, VFIO_GROUP_UNSET_CONTAINER));
	check(FAILS_WITH(r, EBUSY), "device fd closed, BAR0 still mapped: UNSET_CONTAINER EBUSY (%s)",
	      strerror(r.err));
	check(edu_rd32(EDU_REG_ID) == 0x010000ed, "the registers still answer through the mapping");
	munmap(bar0, EDU_BAR0_SIZE);
	bar0 = NULL;
	check(ioctl(grp, VFIO_GROUP_UNSET_CONTAINER) == 0, "after munmap: UNSET_CONTAINER works");
	check(ioctl(grp, VFIO_GROUP_SET_CONTAINER, &cont) == 0 &&
	          ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0,
	      "the group back in the container, IOMMU set again");
	r = RES(map_dma(last, IOVA_LAST, PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	check(r.rc == 0, "MAP_DMA of the same IOVA works: the old mapping went with the last group "
	                 "(%s)", strerror(r.err));
	unmap_dma(IOVA_LAST, PG);
}

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *env = getenv("VFIO_GROUP"), *slash;
	ssize_t n;

	if (env && *env)
		return atoi(env);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : -1;
}

int main(int argc, char **argv)
{
	char bdf[64], path[64];
	struct vfio_group_status st = {.argsz = sizeof(st)};
	int fds = count_fds(), minus1 = -1, id;
	struct res r;
	uint8_t *last = NULL;

	if (edu_find(argc, argv, bdf, sizeof(bdf)) || (id = group_of(bdf)) < 0) {
		check(0, "no edu device (1234:11e8) with an IOMMU group");
		return summary("rules61");
	}
	info("device %s, group %d", bdf, id);
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	cont = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (cont < 0 || grp < 0 || ioctl(grp, VFIO_GROUP_GET_STATUS, &st)) {
		check(0, "open the container and %s: %s", path, strerror(errno));
		return summary("rules61");
	}
	r = RES(ioctl(grp, VFIO_GROUP_SET_CONTAINER, &minus1));
	check(FAILS_WITH(r, EBADF), "SET_CONTAINER with fd -1: EBADF (%s)", strerror(r.err));
	check(ioctl(grp, VFIO_GROUP_SET_CONTAINER, &cont) == 0, "SET_CONTAINER");
	extensions();
	check(ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0, "SET_IOMMU TYPE1v2");
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) == 1,
	      "CHECK_EXTENSION UNMAP_ALL after SET_IOMMU: 1");
	check(ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 0,
	      "CHECK_EXTENSION DMA_CC_IOMMU after SET_IOMMU: 0 (QEMU's VT-d has no snoop control)");
	info("after SET_IOMMU: UPDATE_VADDR %d (6.1: 1; not modelled by the mock)",
	     ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	info_layout();

	dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		check(0, "GET_DEVICE_FD(%s): %s", bdf, strerror(errno));
		return summary("rules61");
	}
	config_and_bar();
	bar_types();
	nvme_reset();
	bar0 = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
	            (off_t)region_offset(VFIO_PCI_BAR0_REGION_INDEX, NULL));
	out = anon(PG, PROT_READ | PROT_WRITE);
	last = anon(PG, PROT_READ | PROT_WRITE);
	if (bar0 == MAP_FAILED || !out || !last ||
	    map_dma(out, IOVA_OUT, PG, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) {
		check(0, "BAR0 mmap and the output buffer: %s", strerror(errno));
		return summary("rules61");
	}
	edu_set_bar0(bar0);
	decode_off();
	map_permissions();
	pinned_pages();
	unmap_dma(IOVA_OUT, PG);
	memlock();
	map_unmap_rules();
	msi_enable_zero();
	msi_config_bits();
	msi_bad_fd();
	intx_disable();
	intx_unmask_eventfd();
	dirty_config();
	device_lifetime(last);
	reopen_config(bdf);

	close(grp);
	close(cont);
	munmap(out, PG);
	munmap(last, PG);
	check(count_fds() == fds, "no fd left open (%d at start, %d at end)", fds, count_fds());
	return summary("rules61");
}
