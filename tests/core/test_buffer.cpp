// test_buffer.cpp - DMA buffers: sizes and page kinds, huge page fallback, IOVA
// layout (holes, guard, alignment, lowest first), DMA entry limit, PREALLOCATED,
// buffer_info and buffer_free.
#include <set>
#include <sys/mman.h>
#include <vector>

#include "core_test_util.h"

static const uint64_t M2 = 2ull << 20, G1 = 1ull << 30;

static unsigned dma_map_count(int cfd)
{
	return vfio_mock_dma_maps(cfd, nullptr, 0);
}

static bool dma_mapped(int cfd, uint64_t iova, uint64_t size, const void *va)
{
	std::vector<vfio_mock_dma_map> m(4096);
	unsigned n = vfio_mock_dma_maps(cfd, m.data(), (unsigned)m.size());
	for (unsigned i = 0; i < n && i < m.size(); i++)
		if (m[i].iova == iova && m[i].size == size && m[i].vaddr == (uint64_t)(uintptr_t)va)
			return true;
	return false;
}

TEST_F(CoreTest, SmallBufferIsOnePageAboveTheGuard)
{
	open_default();
	size_t sz = 100;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(4096u, sz);
	EXPECT_EQ(0u, (uintptr_t)p % 4096);
	EXPECT_GE(iova, 0x10000u) << "IOVA 0 and the first 64 KiB stay unused";
	EXPECT_EQ(0x10000u, iova) << "lowest address first";
	EXPECT_TRUE(dma_mapped(v.cont_fd, iova, 4096, p));
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2)) << "4 KiB uses normal pages";
	memset(p, 0xa5, sz);
	auto *b = opae_vfio_buffer_info(&v, p);
	ASSERT_NE(nullptr, b);
	EXPECT_EQ(p, b->buffer_ptr);
	EXPECT_EQ(4096u, b->buffer_size);
	EXPECT_EQ(iova, b->buffer_iova);
	EXPECT_EQ(0, b->flags);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(0u, dma_map_count(v.cont_fd));
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, p));
}

TEST_F(CoreTest, MidBufferTakesOneTwoMegHugePageNaturallyAligned)
{
	open_default();
	size_t sz = 8192;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(8192u, sz);
	EXPECT_EQ(7u, vfio_mock_hugepages_free(M2));
	EXPECT_EQ(0u, iova % M2);
	EXPECT_NE(0u, iova);
	EXPECT_EQ(1u, leaks_now().huge_maps);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2)) << "the whole huge page is unmapped";
	EXPECT_EQ(0u, leaks_now().huge_maps);
}

TEST_F(CoreTest, LargeBufferTakesGigPages)
{
	sc.huge1g = 2;
	open_default();
	size_t sz = 3u << 20;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(3u << 20, sz);
	EXPECT_EQ(1u, vfio_mock_hugepages_free(G1));
	EXPECT_EQ(0u, iova % G1);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(2u, vfio_mock_hugepages_free(G1));
	// a size above 1 GiB takes as many 1 GiB pages as needed
	sz = G1 + 4096;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(0u, vfio_mock_hugepages_free(G1));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(2u, vfio_mock_hugepages_free(G1));
}

TEST_F(CoreTest, FallsBackToSmallerPagesWhenPoolsAreEmpty)
{
	sc.huge2m = 0;
	sc.huge1g = 0;
	open_default();
	for (size_t want : {size_t(8192), size_t(M2), size_t(3u << 20)}) {
		size_t sz = want;
		uint8_t *p = nullptr;
		uint64_t iova = 0;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova)) << want;
		EXPECT_EQ(want, sz);
		EXPECT_TRUE(dma_mapped(v.cont_fd, iova, sz, p));
		memset(p, 1, sz);
		EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	}
	EXPECT_EQ(0u, leaks_now().huge_maps);
}

TEST_F(CoreTest, GigRequestFallsBackToTwoMegPages)
{
	sc.huge2m = 4;
	sc.huge1g = 0;
	open_default();
	size_t sz = 3u << 20;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(2u, vfio_mock_hugepages_free(M2)) << "3 MiB on two 2 MiB pages";
	EXPECT_EQ(0u, iova % M2);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(4u, vfio_mock_hugepages_free(M2));
}

TEST_F(CoreTest, IovaStaysInsideKernelWindowsAndNeverOverlaps)
{
	sc.ranges = "[[\"0x0\",\"0x2fffff\"],[\"0x400000\",\"0x7fffff\"]]";
	open_default();
	std::vector<std::pair<uint8_t *, uint64_t>> bufs;
	uint64_t last = 0;
	for (;;) {
		size_t sz = 4096;
		uint8_t *p = nullptr;
		uint64_t iova = 0;
		if (opae_vfio_buffer_allocate(&v, &sz, &p, &iova)) {
			EXPECT_EQ(ENOSPC, errno);
			break;
		}
		bool in0 = iova >= 0x10000 && iova + 4096 - 1 <= 0x2fffff;
		bool in1 = iova >= 0x400000 && iova + 4096 - 1 <= 0x7fffff;
		EXPECT_TRUE(in0 || in1) << std::hex << iova;
		EXPECT_GT(iova, last) << "lowest first, no reuse while live";
		last = iova;
		bufs.push_back({p, iova});
	}
	EXPECT_EQ((0x300000u - 0x10000u) / 4096 + 0x400000u / 4096, bufs.size());
	// freeing one in the middle makes exactly that IOVA the next one
	auto mid = bufs[bufs.size() / 2];
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, mid.first));
	size_t sz = 4096;
	uint64_t iova = 0;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(mid.second, iova);
}

TEST_F(CoreTest, HugeBufferSkipsAWindowTooSmallForItsAlignment)
{
	sc.ranges = "[[\"0x0\",\"0x2fffff\"],[\"0x400000\",\"0x7fffff\"]]";
	open_default();
	size_t sz = M2;
	uint64_t iova = 0;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(0x400000u, iova);
	// the space below stays usable for small buffers
	sz = 4096;
	uint8_t *q = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &q, &iova));
	EXPECT_EQ(0x10000u, iova);
}

TEST_F(CoreTest, NeverAllocatesInTheMsiHole)
{
	// only a sliver below the hole: buffers must jump over 0xfee00000..0xfeefffff
	sc.ranges = "[[\"0xfedf0000\",\"0xfedfffff\"],[\"0xfef00000\",\"0xffffffff\"]]";
	open_default();
	for (int i = 0; i < 40; i++) {
		size_t sz = 4096;
		uint64_t iova = 0;
		uint8_t *p = nullptr;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
		EXPECT_FALSE(iova + sz > 0xfee00000u && iova < 0xfef00000u) << std::hex << iova;
	}
}

TEST_F(CoreTest, DmaEntryLimitGivesEnospc)
{
	sc.dma_limit = 4;
	open_default();
	std::vector<uint8_t *> ps;
	for (int i = 0; i < 4; i++) {
		size_t sz = 4096;
		uint8_t *p = nullptr;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr)) << i;
		ps.push_back(p);
	}
	size_t sz = 4096;
	uint8_t *p = nullptr;
	errno = 0;
	EXPECT_NE(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(4u, dma_map_count(v.cont_fd));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, ps[1]));
	EXPECT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
}

TEST_F(CoreTest, PreallocatedMapsExactlyTheCallersRangeAndNeverFreesIt)
{
	open_default();
	size_t len = 64 * 1024;
	uint8_t *mem = (uint8_t *)mmap(nullptr, len, PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	size_t sz = len;
	uint8_t *p = mem;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate_ex(&v, &sz, &p, &iova, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(mem, p);
	EXPECT_EQ(len, sz);
	EXPECT_TRUE(dma_mapped(v.cont_fd, iova, len, mem)) << "exactly the caller's range";
	auto *b = opae_vfio_buffer_info(&v, mem);
	ASSERT_NE(nullptr, b);
	EXPECT_EQ(OPAE_VFIO_BUF_PREALLOCATED, b->flags);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, mem));
	memset(mem, 7, len); // still the caller's memory
	EXPECT_EQ(0u, dma_map_count(v.cont_fd));

	// still mapped at close: close unmaps the DMA but leaves the memory alone
	sz = len;
	p = mem;
	ASSERT_EQ(0, opae_vfio_buffer_allocate_ex(&v, &sz, &p, &iova, OPAE_VFIO_BUF_PREALLOCATED));
	opae_vfio_close(&v);
	memset(mem, 9, len);
	munmap(mem, len);
}

TEST_F(CoreTest, PreallocatedRejectsUnalignedAndMissingPointers)
{
	open_default();
	static uint8_t raw[3 * 4096];
	uint8_t *p = raw + 1;
	if (((uintptr_t)p & 4095) == 0)
		p++;
	size_t sz = 4096;
	errno = 0;
	EXPECT_EQ(1,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(4096u, sz) << "*size untouched on failure";
	EXPECT_EQ(
	    1, opae_vfio_buffer_allocate_ex(&v, &sz, nullptr, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	uint8_t *np = nullptr;
	EXPECT_EQ(1,
	          opae_vfio_buffer_allocate_ex(&v, &sz, &np, nullptr, OPAE_VFIO_BUF_PREALLOCATED));
	EXPECT_EQ(0u, dma_map_count(v.cont_fd));
}

TEST_F(CoreTest, BufAndIovaOutputsAreOptional)
{
	open_default();
	size_t sz = 4096;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	EXPECT_EQ(1u, dma_map_count(v.cont_fd));
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(2u, dma_map_count(v.cont_fd));
	// close frees the one nobody can name
}

TEST_F(CoreTest, BadAllocateArguments)
{
	open_default();
	size_t sz = 0;
	uint8_t *p = nullptr;
	EXPECT_EQ(2, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, opae_vfio_buffer_allocate(&v, nullptr, &p, nullptr));
	sz = 4096;
	EXPECT_EQ(1, opae_vfio_buffer_allocate(nullptr, &sz, &p, nullptr));
	EXPECT_EQ(1, opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr, 0x40));
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	EXPECT_EQ(1, opae_vfio_buffer_allocate(&z, &sz, &p, nullptr));
	sz = (size_t)1 << 60;
	EXPECT_NE(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(0u, dma_map_count(v.cont_fd));
}

TEST_F(CoreTest, FreeRejectsUnknownAndInteriorPointers)
{
	open_default();
	size_t sz = 8192;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_NE(0, opae_vfio_buffer_free(&v, p + 4096));
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(&v, p + 4096));
	EXPECT_NE(0, opae_vfio_buffer_free(&v, nullptr));
	EXPECT_NE(0, opae_vfio_buffer_free(nullptr, p));
	EXPECT_EQ(nullptr, opae_vfio_buffer_info(nullptr, p));
	ASSERT_NE(nullptr, opae_vfio_buffer_info(&v, p)) << "nothing changed";
	EXPECT_TRUE(dma_mapped(v.cont_fd, iova, 8192, p));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	EXPECT_NE(0, opae_vfio_buffer_free(&v, p)) << "double free";
}

TEST_F(CoreTest, CloseReleasesEveryLiveBuffer)
{
	sc.huge1g = 1;
	open_default();
	for (size_t s : {size_t(4096), size_t(8192), size_t(3u << 20), size_t(4096)}) {
		size_t sz = s;
		uint8_t *p = nullptr;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	}
	opae_vfio_close(&v);
	EXPECT_NO_LEAKS();
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2));
	EXPECT_EQ(1u, vfio_mock_hugepages_free(G1));
}

// VFIO_IOMMU_UNMAP_DMA says how much it unmapped; less than the buffer is an
// error, and the buffer stays whole and tracked (its IOVA is not reused).
TEST_F(CoreTest, ShortUnmapIsAnError)
{
	open_default();
	size_t sz = 8192;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	ASSERT_EQ(0, vfio_mock_short_unmap(1));
	testing::internal::CaptureStderr();
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_free(&v, p));
	EXPECT_EQ(EIO, errno);
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos, err.find("VFIO_IOMMU_UNMAP_DMA (iova 0x200000, 8 KiB): the "
	                                      "kernel unmapped 0 bytes"))
	    << err;
	EXPECT_NE(nullptr, opae_vfio_buffer_info(&v, p)) << "still tracked";
	EXPECT_TRUE(dma_mapped(v.cont_fd, iova, 8192, p));
	size_t sz2 = 8192;
	uint64_t iova2 = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz2, nullptr, &iova2));
	EXPECT_NE(iova, iova2) << "the IOVA is not handed out again";
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p)) << "a later free works";
	// a pin too
	uint8_t *mem = (uint8_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, opae_vfio_buffer_map(&v, 4096, mem, 0x800000));
	ASSERT_EQ(0, vfio_mock_short_unmap(1));
	EXPECT_EQ(4, opae_vfio_buffer_unmap(&v, 4096, 0x800000));
	EXPECT_TRUE(dma_mapped(v.cont_fd, 0x800000, 4096, mem));
	EXPECT_EQ(0, opae_vfio_buffer_unmap(&v, 4096, 0x800000));
	munmap(mem, 4096);
}

// close drops every mapping with one UNMAP_DMA; a short one is reported and
// closing the container drops the rest (TearDown checks nothing is left).
TEST_F(CoreTest, CloseUnmapsEverythingWithOneCall)
{
	open_default();
	for (int i = 0; i < 20; i++) {
		size_t sz = (i % 5) ? 4096 : 8192;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	}
	unsigned before = vfio_mock_calls("VFIO_IOMMU_UNMAP_DMA");
	opae_vfio_close(&v);
	EXPECT_EQ(before + 1, vfio_mock_calls("VFIO_IOMMU_UNMAP_DMA"));
	EXPECT_NO_LEAKS();

	open_default();
	for (int i = 0; i < 3; i++) {
		size_t sz = 4096;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	}
	ASSERT_EQ(0, vfio_mock_short_unmap(1));
	testing::internal::CaptureStderr();
	opae_vfio_close(&v);
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos,
	          err.find("VFIO_IOMMU_UNMAP_DMA (all): the kernel unmapped 8 KiB of 12 KiB"))
	    << err;
}
