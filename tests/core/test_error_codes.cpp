// SPDX-License-Identifier: BSD-3-Clause
// test_error_codes.cpp - each return code and errno of docs/core.md's table
// that the mock kernel can produce, and the behaviours the table relies on:
// Type1v2 preferred, MADV_DONTFORK in effect, sparse holes not readable, a
// busy device's code, disabling a vector other than 0, free's two code-4
// cases.
#include <csignal>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <vector>

#include "sweep_util.h"

// ---- open -----------------------------------------------------------------

struct OpenCase {
	const char *kind;
	unsigned nth;
	int err;
	int code;
};

TEST_F(CoreTest, OpenCodesByFailingStep)
{
	const OpenCase cases[] = {
	    // 2: group cannot be opened, or the device is already open
	    {"open", 2, EBUSY, 2},
	    {"open", 2, ENOENT, 2},
	    {"VFIO_GROUP_GET_DEVICE_FD", 1, EBUSY, 2},
	    // 3: no device / driver / group: a sysfs link that cannot be read
	    {"readlink", 1, EACCES, 3},
	    // 5: container and IOMMU set-up, with the kernel's errno
	    {"open", 1, EACCES, 5},
	    {"VFIO_GET_API_VERSION", 1, EIO, 5},
	    {"VFIO_CHECK_EXTENSION", 1, EINVAL, 5},
	    {"VFIO_GROUP_SET_CONTAINER", 1, EPERM, 5},
	    {"VFIO_SET_IOMMU", 1, ENODEV, 5},
	    {"VFIO_IOMMU_GET_INFO", 2, EFAULT, 5},
	    // 6: device, with the kernel's errno (a wrong VF token is EACCES)
	    {"VFIO_GROUP_GET_DEVICE_FD", 1, EACCES, 6},
	    {"VFIO_DEVICE_GET_INFO", 1, EIO, 6},
	    {"VFIO_DEVICE_GET_REGION_INFO", 3, EIO, 6},
	    {"VFIO_DEVICE_GET_IRQ_INFO", 2, EIO, 6}, // not "index absent": only EINVAL is
	    {"pwrite", 1, EIO, 6},                   // the PCI COMMAND write
	    {"mmap_bar", 1, EAGAIN, 6},
	    // 7: out of memory, wherever the kernel says so
	    {"mmap_bar", 1, ENOMEM, 7},
	    {"VFIO_IOMMU_GET_INFO", 1, ENOMEM, 7},
	    {"VFIO_DEVICE_GET_IRQ_INFO", 1, ENOMEM, 7},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(std::string(c.kind) + " #" + std::to_string(c.nth) + " " +
		             strerror(c.err));
		sc.load();
		ASSERT_EQ(0, vfio_mock_fail(c.kind, c.nth, c.err));
		errno = 0;
		EXPECT_EQ(c.code, opae_vfio_open(&v, EDU_ADDR));
		EXPECT_EQ(c.err, errno);
		vfio_mock_clear_faults();
		EXPECT_CLOSED(&v);
		EXPECT_EQ(0u, leak_total());
	}
}

TEST_F(CoreTest, OpenOfASparseRegionWithoutMemoryIsCodeSeven)
{
	sc.model = "none";
	sc.bar0 =
	    "{\"index\":0,\"size\":\"0x10000\",\"mmap\":true,\"sparse\":[[\"0x0\",\"0x1000\"]]}";
	sc.load();
	ASSERT_EQ(0, vfio_mock_fail("mmap_anon", 1, ENOMEM)); // the PROT_NONE reservation
	errno = 0;
	EXPECT_EQ(7, opae_vfio_open(&v, EDU_ADDR));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0u, leak_total());
}

TEST_F(CoreTest, BusyDeviceIsCodeTwo)
{
	open_default();
	struct opae_vfio v2;
	memset(&v2, 0, sizeof(v2));
	errno = 0;
	EXPECT_EQ(2, opae_vfio_open(&v2, EDU_ADDR)) << "the group is open";
	EXPECT_EQ(EBUSY, errno);
	EXPECT_CLOSED(&v2);
	// the first handle is untouched
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	EXPECT_EQ(0xedu, rd32(bar, 0) & 0xff);
}

TEST_F(CoreTest, OpenPrefersType1v2)
{
	// v2 refuses to unmap part of a mapping (EINVAL); v1 would remove the
	// whole mapping that starts inside the range
	for (bool v2 : {true, false}) {
		SCOPED_TRACE(v2 ? "Type1v2 offered" : "Type1 only");
		sc.type1v2 = v2;
		open_default();
		size_t sz = 8192;
		uint64_t iova = 0;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, &iova));
		struct vfio_iommu_type1_dma_unmap u = {};
		u.argsz = sizeof(u);
		u.iova = iova;
		u.size = 4096;
		int r = ioctl(v.cont_fd, VFIO_IOMMU_UNMAP_DMA, &u);
		if (v2) {
			EXPECT_EQ(-1, r) << "Type1v2 was not chosen";
			EXPECT_EQ(EINVAL, errno);
			EXPECT_EQ(1u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
		} else {
			EXPECT_EQ(0, r) << strerror(errno);
			EXPECT_EQ(8192u, u.size);
		}
		opae_vfio_close(&v);
	}
}

TEST_F(CoreTest, OpenSetsMemoryAndBusMaster)
{
	open_default();
	struct vfio_mock_device_state ds;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
	EXPECT_EQ(0x6, ds.command & 0x6) << "COMMAND 0x" << std::hex << ds.command;
}

// ---- region_get -----------------------------------------------------------

TEST_F(CoreTest, RegionGetCodes)
{
	uint8_t *p = (uint8_t *)0x1234;
	size_t sz = 77;
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	for (struct opae_vfio *bad : {(struct opae_vfio *)nullptr, &z}) {
		errno = 0;
		EXPECT_EQ(1, opae_vfio_region_get(bad, 0, &p, &sz));
		EXPECT_EQ(EINVAL, errno);
	}
	open_default();
	for (uint32_t index : {1u, (uint32_t)VFIO_PCI_CONFIG_REGION_INDEX, 1000u}) {
		errno = 0;
		EXPECT_EQ(2, opae_vfio_region_get(&v, index, &p, &sz)) << index;
		EXPECT_EQ(ENOENT, errno);
	}
	EXPECT_EQ((uint8_t *)0x1234, p) << "outputs untouched";
	EXPECT_EQ(77u, sz);
	opae_vfio_close(&v);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_region_get(&v, 0, &p, &sz)) << "closed";
	EXPECT_EQ(EINVAL, errno);
}

// The child reads `addr`: exit 0 if it could, 3 on SIGSEGV/SIGBUS.
static int child_reads(const volatile uint8_t *addr)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {};
		sa.sa_handler = [](int) { _exit(3); };
		sigaction(SIGSEGV, &sa, nullptr);
		sigaction(SIGBUS, &sa, nullptr);
		(void)*addr;
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(CoreTest, SparseHolesAreNotReadable)
{
	sc.model = "none";
	sc.bar0 = "{\"index\":0,\"size\":\"0x10000\",\"mmap\":true,"
	          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x8000\",\"0x1000\"]]}";
	open_default();
	uint8_t *bar = nullptr;
	size_t sz = 0;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, &sz));
	ASSERT_EQ(0x10000u, sz);
	EXPECT_EQ(0, child_reads(bar)) << "an area is readable";
	EXPECT_EQ(0, child_reads(bar + 0x8000));
	EXPECT_EQ(3, child_reads(bar + 0x1000)) << "the hole after the first area";
	EXPECT_EQ(3, child_reads(bar + 0xf000)) << "the hole at the end";
}

// ---- allocate -------------------------------------------------------------

TEST_F(CoreTest, AllocateCodes)
{
	size_t sz = 4096;
	uint8_t *p = nullptr;
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_allocate(&z, &sz, &p, nullptr)) << "not open";
	EXPECT_EQ(EINVAL, errno);
	sc.huge2m = 0; // 8 KiB below: normal pages in a mapping of its own
	open_default();
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_allocate(nullptr, &sz, &p, nullptr));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_allocate(&v, nullptr, &p, nullptr));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, 0x100)) << "unknown flag";
	EXPECT_EQ(EINVAL, errno);
	sz = 0;
	errno = 0;
	EXPECT_EQ(2, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(EINVAL, errno);

	// PREALLOCATED memory mapped twice: EEXIST, the first mapping stays
	uint8_t *mem = (uint8_t *)mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	sz = 8192;
	p = mem;
	ASSERT_EQ(0,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	errno = 0;
	EXPECT_EQ(1,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(1u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, mem));

	// 4: the kernel's MAP_DMA errno, memory exhausted, IOVA space exhausted
	for (int err : {ENOMEM, EFAULT, EEXIST}) {
		ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, err));
		sz = 4096;
		errno = 0;
		EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
		EXPECT_EQ(err, errno);
		EXPECT_EQ(4096u, sz);
	}
	ASSERT_EQ(0, vfio_mock_fail("mmap_anon", 1, ENOMEM));
	sz = 8192; // its own mapping (4 KiB ones come from a pool that has room)
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(ENOMEM, errno);
	sz = size_t(1) << 40; // 1 TiB: more IOVA than the windows hold (no memory is touched)
	errno = 0;
	EXPECT_EQ(4,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &mem, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	munmap(mem, 8192);
}

TEST_F(CoreTest, DmaEntryLimitIsCodeFourEnospc)
{
	sc.dma_limit = 2;
	open_default();
	size_t sz = 4096;
	uint8_t *p[2] = {};
	for (auto &q : p)
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &q, nullptr));
	uint8_t *x = nullptr;
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &x, nullptr));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p[0]));
	EXPECT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &x, nullptr))
	    << "a freed entry is reusable";
}

// Whether a forked child has a copy of `p`: 0 a copy, 1 none. The parent
// marks the page first. Unmapped in the child (mincore ENOMEM) is no copy; so
// is memory there without the mark: the child may map something of its own in
// the hole (under ASan its allocator does, for the thread the mock's at-fork
// handler starts). Read through a pipe, so an unreadable page is EFAULT.
static int child_has_mapping(void *p)
{
	static const char mark[16] = "opae-vfio mark";
	memcpy(p, mark, sizeof(mark));
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char vec;
		char seen[sizeof(mark)];
		int fds[2];
		if (mincore(p, 4096, &vec) != 0)
			_exit(errno == ENOMEM ? 1 : 2);
		if (pipe(fds) || write(fds[1], p, sizeof(seen)) != (ssize_t)sizeof(seen) ||
		    read(fds[0], seen, sizeof(seen)) != (ssize_t)sizeof(seen))
			_exit(1);
		_exit(memcmp(seen, mark, sizeof(mark)) ? 1 : 0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(CoreTest, BuffersAreNotInheritedByFork)
{
	sc.huge2m = 1;
	open_default();
	uint8_t *small = nullptr, *huge = nullptr;
	size_t sz = 4096;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &small, nullptr));
	sz = 2u << 20;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &huge, nullptr));
	EXPECT_EQ(1, child_has_mapping(small)) << "MADV_DONTFORK: a child has no copy to write";
	EXPECT_EQ(1, child_has_mapping(huge));

	// the caller's PREALLOCATED memory is the caller's business: not advised
	uint8_t *mem = (uint8_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	uint8_t *p = mem;
	sz = 4096;
	ASSERT_EQ(0,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(0, child_has_mapping(mem));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, mem));
	munmap(mem, 4096);
}

TEST_F(CoreTest, FailingMadviseIsNotFatal)
{
	open_default();
	ASSERT_EQ(0, vfio_mock_fail("madvise", 1, EINVAL));
	size_t sz = 4096;
	uint8_t *p = nullptr;
	EXPECT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
}

// ---- free -----------------------------------------------------------------

TEST_F(CoreTest, FreeCodes)
{
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	uint8_t dummy[8];
	for (struct opae_vfio *bad : {(struct opae_vfio *)nullptr, &z}) {
		errno = 0;
		EXPECT_EQ(1, opae_vfio_buffer_free(bad, dummy));
		EXPECT_EQ(EINVAL, errno);
	}
	open_default();
	size_t sz = 8192;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	for (uint8_t *bad : {p + 4096, p + 1, dummy, (uint8_t *)nullptr}) {
		errno = 0;
		EXPECT_EQ(3, opae_vfio_buffer_free(&v, bad));
		EXPECT_EQ(ENOENT, errno);
	}
	EXPECT_NE(nullptr, opae_vfio_buffer_info(&v, p)) << "nothing changed";
	EXPECT_EQ(1u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	errno = 0;
	EXPECT_EQ(3, opae_vfio_buffer_free(&v, p)) << "twice";
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(CoreTest, FreeWithARefusedUnmapKeepsTheBuffer)
{
	open_default();
	size_t sz = 4096;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_UNMAP_DMA", 1, EBUSY));
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(EBUSY, errno);
	auto *b = opae_vfio_buffer_info(&v, p);
	ASSERT_NE(nullptr, b);
	EXPECT_EQ(iova, b->buffer_iova);
	EXPECT_EQ(1u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	p[0] = 1; // still the buffer's memory
	// its IOVA is not handed out again
	uint64_t iova2 = 0;
	uint8_t *q = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &q, &iova2));
	EXPECT_NE(iova, iova2);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, q));
}

TEST_F(CoreTest, FreeWhoseMunmapFailsIsCodeFourAndForgetsTheBuffer)
{
	sc.huge2m = 0;
	open_default();
	size_t sz = 8192; // its own mapping: a 4 KiB buffer's slot stays in its pool
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	// no retry: munmap does not fail for a transient reason (issue #8)
	ASSERT_EQ(0, vfio_mock_fail("munmap_anon", 1, EINVAL));
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, p)) << "gone from the table";
	EXPECT_EQ(0u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0)) << "and from the IOMMU";
	errno = 0;
	EXPECT_EQ(3, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(ENOENT, errno);
	munmap(p, 8192); // what the library could not
}

// 4 KiB buffers come from pools of 64 (pool.c): one mmap and one madvise per
// pool, not per buffer; freed slots are zeroed and reused; one wholly free
// pool is kept for churn, a second one is unmapped; close unmaps the rest.
TEST_F(CoreTest, SmallBuffersComeFromPools)
{
	open_default();
	unsigned mm = vfio_mock_calls("mmap_anon"), ma = vfio_mock_calls("madvise"),
	         mu = vfio_mock_calls("munmap_anon");
	std::vector<uint8_t *> b(65);
	for (auto &p : b) {
		size_t sz = 4096;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
		memset(p, 0xa5, 4096);
	}
	EXPECT_EQ(mm + 2, vfio_mock_calls("mmap_anon")) << "65 buffers, 2 pools";
	EXPECT_EQ(ma + 2, vfio_mock_calls("madvise"));
	EXPECT_EQ(65u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0)) << "one IOMMU entry each";
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, b[3]));
	size_t sz = 4096;
	uint8_t *again = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &again, nullptr));
	EXPECT_EQ(b[3], again) << "the freed slot is reused";
	for (size_t i = 0; i < 4096; i++)
		ASSERT_EQ(0, again[i]) << "and zeroed, as fresh memory";
	b[3] = again;
	for (auto p : b)
		ASSERT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(mu + 1, vfio_mock_calls("munmap_anon")) << "one wholly free pool kept";
	mm = vfio_mock_calls("mmap_anon");
	for (int i = 0; i < 100; i++) { // churn: no mmap, madvise or munmap at all
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &again, nullptr));
		ASSERT_EQ(0, opae_vfio_buffer_free(&v, again));
	}
	EXPECT_EQ(mm, vfio_mock_calls("mmap_anon"));
	EXPECT_EQ(mu + 1, vfio_mock_calls("munmap_anon"));
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &again, nullptr));
	opae_vfio_close(&v);
	EXPECT_EQ(mu + 2, vfio_mock_calls("munmap_anon")) << "close: one munmap per pool";
	EXPECT_NO_LEAKS();
}

// A pool that cannot be mapped fails the allocation cleanly (code 4, mmap's
// errno); a failing munmap of a second wholly free pool is reported by the
// free that emptied it (code 4): that buffer is gone from IOMMU and table.
TEST_F(CoreTest, PoolMmapAndMunmapFailures)
{
	open_default();
	ASSERT_EQ(0, vfio_mock_fail("mmap_anon", 1, ENOMEM));
	size_t sz = 4096;
	uint8_t *p = nullptr;
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	std::vector<uint8_t *> b(65);
	for (auto &q : b) {
		sz = 4096;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &q, nullptr));
	}
	for (unsigned i = 0; i < 64; i++) // the first pool: now the spare
		ASSERT_EQ(0, opae_vfio_buffer_free(&v, b[i]));
	ASSERT_EQ(0, vfio_mock_fail("munmap_anon", 1, EINVAL));
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_free(&v, b[64])) << "the second pool's munmap failed";
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, b[64]));
	EXPECT_EQ(0u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
	munmap(b[64], 0x40000); // what it left: the second pool, b[64] its first slot
}

TEST_F(CoreTest, BufferInfoErrno)
{
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	errno = 0;
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&z, nullptr));
	EXPECT_EQ(EINVAL, errno);
	open_default();
	size_t sz = 4096;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	errno = 0;
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, p + 8));
	EXPECT_EQ(ENOENT, errno);
}

// ---- IRQs -----------------------------------------------------------------

TEST_F(CoreTest, IrqCodes)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_enable(&z, VFIO_PCI_MSI_IRQ_INDEX, 0, efd)) << "not open";
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_disable(nullptr, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_mask(&z, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_unmask(&z, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(EINVAL, errno);

	open_default();
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, -1));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(3, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 1, efd)) << "edu has 1 MSI";
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(3, opae_vfio_irq_unmask(&v, VFIO_PCI_INTX_IRQ_INDEX, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(4, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0, efd)) << "0 vectors";
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(4, opae_vfio_irq_disable(&v, 9, 0)) << "no such index";
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_DEVICE_SET_IRQS")) << "all refused before the kernel";

	// 5: the kernel's refusal, with its errno
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_mask(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd)) << "MSI is on";
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 1, EIO));
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(efd, irq_of(&v, VFIO_PCI_MSI_IRQ_INDEX)->event_fds[0])
	    << "still routed, as in the kernel";
	EXPECT_EQ(1u, leaks_now().irqs);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	close(efd);
}

TEST_F(CoreTest, DisablingOneVectorLeavesTheOthers)
{
	sc.model = "none";
	sc.msix = 4;
	open_default();
	int e[3];
	for (int k = 0; k < 3; k++) {
		e[k] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, k, e[k]));
	}
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ(2u, leaks_now().irqs);
	for (int k = 0; k < 3; k++) {
		ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, k));
		EXPECT_EQ(k == 1 ? 0u : 1u, wait_event(e[k], k == 1 ? 50 : 2000)) << "vector " << k;
	}
	vfio_mock_clear_iommu_faults();
	// the last one of an index leaves it on with every vector masked
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 2));
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	struct vfio_mock_device_state ds;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
	EXPECT_EQ((int)VFIO_PCI_MSIX_IRQ_INDEX, ds.irq_index_enabled);
	EXPECT_EQ(0u, leaks_now().irqs);
	for (int k = 0; k < 3; k++) {
		ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, k));
		EXPECT_EQ(0u, wait_event(e[k], 20)) << "vector " << k;
	}
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	for (int k : e)
		close(k);
}

TEST_F(CoreTest, RegrowThatCannotRestoreLeavesTheIndexOff)
{
	sc.model = "none";
	sc.msix = 4;
	open_default();
	int e0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
	    e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0, e0));
	// regrow: disable (ok), re-enable with 3 (fails), restore 1 (fails)
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 2, EIO));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 3, ENOSPC));
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 2, e2));
	EXPECT_EQ(EIO, errno) << "the growing step's errno, not the restore's";
	struct vfio_mock_device_state ds;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
	EXPECT_EQ(-1, ds.irq_index_enabled);
	auto *q = irq_of(&v, VFIO_PCI_MSIX_IRQ_INDEX);
	ASSERT_NE(nullptr, q);
	for (uint32_t k = 0; k < q->count; k++)
		EXPECT_EQ(-1, q->event_fds[k]) << "the arrays say what the kernel has: nothing";
	EXPECT_EQ(0u, leaks_now().irqs);
	// and the index can be enabled afresh
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 2, e2));
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 2));
	EXPECT_EQ(1u, wait_event(e2, 2000));
	close(e0);
	close(e2);
}

// ---- close ----------------------------------------------------------------

TEST_F(CoreTest, CloseWhoseCallsFailStillReleasesEverything)
{
	sc.huge2m = 1;
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	size_t sz = 8192;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	for (const char *k : {"VFIO_IOMMU_UNMAP_DMA", "VFIO_DEVICE_SET_IRQS", "close"})
		ASSERT_EQ(0, vfio_mock_fail(k, 1, EIO));
	ASSERT_EQ(0, vfio_mock_fail("close", 2, EIO));
	ASSERT_EQ(0, vfio_mock_fail("close", 3, EIO));
	opae_vfio_close(&v);
	EXPECT_CLOSED(&v);
	EXPECT_EQ(0u, leak_total());
	close(efd);
}
