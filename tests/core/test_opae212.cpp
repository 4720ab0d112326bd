// SPDX-License-Identifier: BSD-3-Clause
// test_opae212.cpp - the four calls OPAE 2.12+ declares beyond the documented
// eleven: dev_busy, apply_group_constraint, buffer_map and buffer_unmap.
#include <sys/mman.h>
#include <vector>

#include "core_test_util.h"

#define PLAIN_ADDR "0000:00:04.0" /* a second device, in group 2 */

static const uint64_t PAGE = 4096;

static bool dma_mapped(int cfd, uint64_t iova, uint64_t size, const void *va)
{
	std::vector<vfio_mock_dma_map> m(4096);
	unsigned n = vfio_mock_dma_maps(cfd, m.data(), (unsigned)m.size());
	for (unsigned i = 0; i < n && i < m.size(); i++)
		if (m[i].iova == iova && m[i].size == size && m[i].vaddr == (uint64_t)(uintptr_t)va)
			return true;
	return false;
}

class Opae212 : public CoreTest
{
      protected:
	uint8_t *mem = nullptr;
	size_t mem_len = 16 * PAGE;

	void SetUp() override
	{
		CoreTest::SetUp();
		sc.extra_devices = ",{\"address\":\"" PLAIN_ADDR "\",\"model\":\"none\",\"group\":2,"
		                   "\"bars\":[{\"index\":0,\"size\":\"0x1000\",\"mmap\":true}]}";
		mem = (uint8_t *)mmap(nullptr, mem_len, PROT_READ | PROT_WRITE,
		                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, (void *)mem);
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		munmap(mem, mem_len);
	}
};

TEST_F(Opae212, DevBusyTellsWhetherTheGroupCanBeOpened)
{
	sc.load();
	EXPECT_EQ(0, opae_vfio_dev_busy(EDU_ADDR));
	EXPECT_EQ(0u, leaks_now().fds) << "the probe closes the group again";
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
	errno = 0;
	EXPECT_EQ(2, opae_vfio_dev_busy(EDU_ADDR)) << "open by this very process";
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, opae_vfio_dev_busy(PLAIN_ADDR)) << "another group is free";
	opae_vfio_close(&v);
	EXPECT_EQ(0, opae_vfio_dev_busy(EDU_ADDR));

	errno = 0;
	EXPECT_EQ(1, opae_vfio_dev_busy("0000:00:03"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, opae_vfio_dev_busy(nullptr));
	errno = 0;
	EXPECT_EQ(3, opae_vfio_dev_busy("0000:00:09.0"));
	EXPECT_EQ(ENODEV, errno);
	vfio_mock_fail("open", 1, EACCES);
	errno = 0;
	EXPECT_EQ(2, opae_vfio_dev_busy(EDU_ADDR));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(Opae212, DevBusySaysNoForADeviceOnAnotherDriver)
{
	sc.driver = "ioatdma";
	sc.load();
	errno = 0;
	EXPECT_EQ(3, opae_vfio_dev_busy(EDU_ADDR));
	EXPECT_EQ(ENODEV, errno);
}

// The multi-port pattern: the parent's IOVA space is constrained by the
// child's, so a parent buffer can be pinned in the child at the same IOVA.
TEST_F(Opae212, ConstraintKeepsParentIovasFreeInTheChild)
{
	sc.load();
	struct opae_vfio child;
	memset(&child, 0, sizeof(child));
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR));
	ASSERT_EQ(0, opae_vfio_open(&child, PLAIN_ADDR));
	// the child uses the lowest three pages itself
	std::vector<uint64_t> child_iovas;
	for (int i = 0; i < 3; i++) {
		size_t sz = PAGE;
		uint64_t iova = 0;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&child, &sz, nullptr, &iova));
		child_iovas.push_back(iova);
	}
	ASSERT_EQ(0, opae_vfio_apply_group_constraint(&child, &v)) << strerror(errno);
	size_t sz = PAGE;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	for (uint64_t c : child_iovas)
		EXPECT_NE(c, iova) << "the parent avoids what the child uses";
	EXPECT_EQ(child_iovas.back() + PAGE, iova) << "and still takes the lowest common IOVA";
	// pinning the parent buffer in the child at the same IOVA works
	ASSERT_EQ(0, opae_vfio_buffer_map(&child, PAGE, p, iova)) << strerror(errno);
	EXPECT_TRUE(dma_mapped(child.cont_fd, iova, PAGE, p));
	EXPECT_EQ(0, opae_vfio_buffer_unmap(&child, PAGE, iova));
	// a constraint by itself changes nothing
	EXPECT_EQ(0, opae_vfio_apply_group_constraint(&v, &v));
	opae_vfio_close(&child);
}

TEST_F(Opae212, ConstraintArguments)
{
	sc.load();
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR));
	errno = 0;
	EXPECT_EQ(1, opae_vfio_apply_group_constraint(nullptr, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, opae_vfio_apply_group_constraint(&v, nullptr));
	EXPECT_EQ(1, opae_vfio_apply_group_constraint(&z, &v)) << "a closed device";
	EXPECT_EQ(1, opae_vfio_apply_group_constraint(&v, &z));
	// nothing changed
	size_t sz = PAGE;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, &iova));
	EXPECT_EQ(0x10000u, iova);
}

TEST_F(Opae212, BufferMapPinsCallerMemoryAtTheCallersIova)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	const uint64_t at = 0x100000;
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, 2 * PAGE, mem, at)) << strerror(errno);
	EXPECT_TRUE(dma_mapped(v.cont_fd, at, 2 * PAGE, mem));
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, mem)) << "pins are not buffers";
	// the device reaches the memory through the pinned IOVA
	for (unsigned i = 0; i < 256; i++)
		mem[PAGE - 128 + i] = (uint8_t)i; // crosses the page boundary
	ASSERT_TRUE(edu_dma(bar, at + PAGE - 128, EDU_WINDOW, 256, 0));
	ASSERT_TRUE(edu_dma(bar, EDU_WINDOW, at + 4 * 0, 256, EDU_DMA_TO_RAM));
	for (unsigned i = 0; i < 256; i++)
		ASSERT_EQ((uint8_t)i, mem[i]) << i;
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	// allocations never land on the pinned IOVAs
	for (int i = 0; i < 300; i++) {
		size_t sz = PAGE;
		uint64_t iova = 0;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, &iova));
		EXPECT_FALSE(iova + PAGE > at && iova < at + 2 * PAGE) << std::hex << iova;
	}
	ASSERT_EQ(0, opae_vfio_buffer_unmap(&v, 2 * PAGE, at));
	EXPECT_FALSE(dma_mapped(v.cont_fd, at, 2 * PAGE, mem));
	mem[0] = 1; // still the caller's memory
	// the IOVA is free again
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, PAGE, mem, at));
	// close unmaps what is still pinned (TearDown checks) and leaves the memory
}

TEST_F(Opae212, BufferMapRefusesBadRangesAndLeavesNothing)
{
	open_default();
	size_t sz = PAGE;
	uint64_t buf_iova = 0;
	uint8_t *buf = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &buf, &buf_iova));
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, PAGE, mem, 0x100000));
	struct {
		const char *what;
		size_t size;
		uint8_t *buf;
		uint64_t iova;
		int rc, err;
	} bad[] = {
	    {"unaligned buffer", PAGE, mem + 8, 0x200000, 1, EINVAL},
	    {"unaligned size", PAGE + 1, mem, 0x200000, 1, EINVAL},
	    {"unaligned IOVA", PAGE, mem, 0x200008, 1, EINVAL},
	    {"NULL buffer", PAGE, nullptr, 0x200000, 1, EINVAL},
	    {"size 0", 0, mem, 0x200000, 2, EINVAL},
	    {"wrapping range", 2 * PAGE, mem, 0xfffffffffffff000ull, 1, EINVAL},
	    {"IOVA in the guard", PAGE, mem, 0x1000, 4, EBUSY},
	    {"IOVA 0", PAGE, mem, 0, 4, EBUSY},
	    {"IOVA of a buffer", PAGE, mem, buf_iova, 4, EBUSY},
	    {"IOVA of another pin", PAGE, mem, 0x101000 - PAGE, 4, EBUSY},
	    {"IOVA in the MSI hole", PAGE, mem, 0xfee00000, 4, EBUSY},
	    {"IOVA beyond the windows", PAGE, mem, 0x10000000000ull, 4, EBUSY},
	};
	for (auto &b : bad) {
		SCOPED_TRACE(b.what);
		errno = 0;
		EXPECT_EQ(b.rc, opae_vfio_buffer_map(&v, b.size, b.buf, b.iova));
		EXPECT_EQ(b.err, errno);
	}
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_map(nullptr, PAGE, mem, 0x200000));
	EXPECT_EQ(EINVAL, errno);
	// memory the process does not have: the kernel refuses (EFAULT), the
	// IOVA is given back
	uint8_t *gone = (uint8_t *)mmap(nullptr, PAGE, PROT_READ | PROT_WRITE,
	                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gone, PAGE);
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_map(&v, PAGE, gone, 0x200000));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, opae_vfio_buffer_map(&v, PAGE, mem, 0x200000)) << "the IOVA was given back";
	EXPECT_EQ(3u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
}

TEST_F(Opae212, BufferUnmapOnlyUndoesWhatMapDid)
{
	open_default();
	size_t sz = PAGE;
	uint64_t buf_iova = 0;
	uint8_t *buf = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &buf, &buf_iova));
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, 2 * PAGE, mem, 0x100000));
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_unmap(&v, PAGE, 0x100000)) << "a part of a pin";
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(3, opae_vfio_buffer_unmap(&v, 2 * PAGE, 0x101000));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(3, opae_vfio_buffer_unmap(&v, PAGE, buf_iova)) << "a buffer is not a pin";
	EXPECT_TRUE(dma_mapped(v.cont_fd, buf_iova, PAGE, buf)) << "and stays mapped";
	EXPECT_EQ(1, opae_vfio_buffer_unmap(nullptr, PAGE, 0x100000));
	EXPECT_TRUE(dma_mapped(v.cont_fd, 0x100000, 2 * PAGE, mem)) << "nothing changed";
	EXPECT_EQ(0, opae_vfio_buffer_unmap(&v, 2 * PAGE, 0x100000));
	EXPECT_EQ(3, opae_vfio_buffer_unmap(&v, 2 * PAGE, 0x100000)) << "twice";
	EXPECT_EQ(1u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
}

TEST_F(Opae212, PinsCountAgainstTheDmaEntryLimit)
{
	sc.dma_limit = 2;
	open_default();
	size_t sz = PAGE;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, PAGE, mem, 0x100000));
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_map(&v, PAGE, mem + PAGE, 0x200000));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_NE(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(0, opae_vfio_buffer_unmap(&v, PAGE, 0x100000));
	EXPECT_EQ(0, opae_vfio_buffer_map(&v, PAGE, mem + PAGE, 0x200000));
}
