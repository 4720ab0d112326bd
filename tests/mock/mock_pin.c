/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_pin.c - what VFIO_IOMMU_MAP_DMA does to the process's memory, as
 * Linux 6.1's vfio_pin_pages_remote does it: the pages are faulted in for
 * the mapping's access (pin_user_pages with FOLL_WRITE for a writable
 * mapping), memory the process may not access that way is refused (EFAULT),
 * and the pinned pages count against RLIMIT_MEMLOCK unless the process has
 * CAP_IPC_LOCK (ENOMEM past the limit).
 *
 * Faulting the pages in is also what gives each pinned buffer its own
 * anon_vma, so that adjacent buffers mapped one by one never merge into one
 * memory mapping again: a program that maps many small buffers reaches
 * vm.max_map_count on the mock exactly where it does on the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mock_internal.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif

static uint64_t locked_pages; /* this process's pinned pages (mm->locked_vm share) */

/* the kernel's, not the interposer (which counts the program's calls) */
static int real_madvise(void *p, size_t len, int advice)
{
	return (int)syscall(SYS_madvise, p, len, advice);
}

uint64_t mock_pin_locked_total(void)
{
	return locked_pages;
}

static int has_ipc_lock(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &h, data))
		return 0;
	return (data[CAP_IPC_LOCK / 32].effective >> (CAP_IPC_LOCK % 32)) & 1;
}

/* VmLck of /proc/self/status: memory the program locked itself (mlock),
 * which shares mm->locked_vm with the pins. 0 if it cannot be read. */
static uint64_t mlocked_pages(void)
{
	char text[4096], *p;
	ssize_t n;
	int fd = mock_real.open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = mock_real.read(fd, text, sizeof(text) - 1);
	mock_real.close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	p = strstr(text, "\nVmLck:");
	return p ? strtoull(p + 7, NULL, 10) * 1024 / MOCK_PAGE : 0;
}

/* __account_locked_vm: refuse what would go over the limit. */
static int account(uint64_t pages)
{
	struct rlimit rl;

	if (!has_ipc_lock() && !getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    mlocked_pages() + locked_pages + pages > rl.rlim_cur / MOCK_PAGE) {
		mock_log(1, "MAP_DMA: RLIMIT_MEMLOCK (%llu) exceeded",
		         (unsigned long long)rl.rlim_cur);
		return -ENOMEM;
	}
	locked_pages += pages;
	return 0;
}

/* Read-only pinning of private memory never touched pins the shared zero
 * page: the device keeps reading zeros whatever the CPU writes there later. */
static uint8_t *zero_pages(uint64_t vaddr, uint64_t size)
{
	uint64_t n = size / MOCK_PAGE;
	unsigned char *vec = malloc(n);
	uint8_t *bits = NULL;

	if (vec && !mincore((void *)(uintptr_t)vaddr, size, vec)) {
		for (uint64_t i = 0; i < n; i++) {
			if (vec[i] & 1)
				continue;
			if (!bits)
				bits = calloc((n + 7) / 8, 1);
			if (!bits)
				break;
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		}
	}
	free(vec);
	return bits;
}

/* MADV_POPULATE_* exist since Linux 5.14; before, madvise says EINVAL and
 * only "is it mapped" can be checked (mincore). */
static int populate_supported(void)
{
	static int known, yes;

	if (!known) {
		void *p = mock_real.mmap(NULL, MOCK_PAGE, PROT_READ | PROT_WRITE,
		                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		yes = p != MAP_FAILED && !real_madvise(p, MOCK_PAGE, MADV_POPULATE_READ);
		if (p != MAP_FAILED)
			mock_real.munmap(p, MOCK_PAGE);
		known = 1;
	}
	return yes;
}

static int still_mapped(uint64_t vaddr, uint64_t size)
{
	unsigned char vec[256];

	for (uint64_t at = 0; at < size; at += sizeof(vec) * MOCK_PAGE) {
		uint64_t n = size - at < sizeof(vec) * MOCK_PAGE ? size - at : sizeof(vec) * MOCK_PAGE;

		if (mincore((void *)(uintptr_t)(vaddr + at), n, vec))
			return 0;
	}
	return 1;
}

/* Caller holds the world lock. Returns 0, -EFAULT or -ENOMEM. */
int mock_pin_range(uint64_t vaddr, uint64_t size, int write, struct mock_pin *pin)
{
	void *p = (void *)(uintptr_t)vaddr;
	int huge = 0, prot = 0, need = write ? PROT_WRITE : PROT_READ, err;

	memset(pin, 0, sizeof(*pin));
	if (!vaddr)
		return -EFAULT;
	switch (mock_tracked_range((uintptr_t)vaddr, size, &huge, &prot)) {
	case -1:
		return -EFAULT; /* partly a BAR or huge page mapping: not modelled */
	case 1:
		if (!(prot & need) || !(prot & PROT_READ))
			return -EFAULT;
		/* BAR pages are VM_PFNMAP: reserved, not counted; huge pages are */
		err = huge ? account(size / MOCK_PAGE) : 0;
		if (!err) {
			pin->locked = huge ? size / MOCK_PAGE : 0;
			mock_pinned_add(pin, vaddr, size, huge);
		}
		return err;
	}
	if (!write)
		pin->zero = zero_pages(vaddr, size);
	/* pin_user_pages: fault every page in for this access */
	if (real_madvise(p, size, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ)) {
		err = errno;
		free(pin->zero);
		pin->zero = NULL;
		/* EINVAL: a protection that does not allow the access (or
		 * PROT_NONE); ENOMEM: not mapped; EFAULT: the fault failed */
		if (populate_supported() || !still_mapped(vaddr, size))
			return -EFAULT;
	}
	err = account(size / MOCK_PAGE);
	if (err) {
		free(pin->zero);
		pin->zero = NULL;
		return err;
	}
	pin->locked = size / MOCK_PAGE;
	mock_pinned_add(pin, vaddr, size, 1);
	return 0;
}

void mock_unpin_range(struct mock_pin *pin)
{
	mock_pinned_remove(pin);
	locked_pages -= pin->locked;
	pin->locked = 0;
	free(pin->zero);
	pin->zero = NULL;
}

int mock_pin_zero_page(const struct mock_pin *pin, uint64_t page)
{
	return pin->zero && (pin->zero[page / 8] >> (page % 8) & 1);
}
