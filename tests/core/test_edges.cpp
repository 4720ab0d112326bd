// SPDX-License-Identifier: BSD-3-Clause
// test_edges.cpp - paths and mutants no other suite takes (scripts/coverage.sh,
// scripts/mutate.sh): an upper-case address, buffer_unmap of size 0, the IOVA
// of a refused allocation given back, the DMA entry limit kept without the
// kernel, READ_ONLY buffers with and without MADV_POPULATE_WRITE, the REQ
// index, masks[] after mask/unmask, a re-route that cannot be undone at all, and the edges of the
// IOVA allocator and of the bounded log append.
#include <cwchar>
#include <sys/mman.h>

#include "sweep_util.h"

extern "C" {
#include "iova.h"
#include "log.h"
}

TEST_F(CoreTest, UpperCaseAddressIsBadArgument)
{
	sc.load();
	errno = 0;
	EXPECT_EQ(1, opae_vfio_open(&v, "0000:00:0A.0"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_CLOSED(&v);
}

TEST_F(CoreTest, BufferUnmapOfSizeZeroIsBadArgument)
{
	open_default();
	errno = 0;
	EXPECT_EQ(1, opae_vfio_buffer_unmap(&v, 0, 0x100000));
	EXPECT_EQ(EINVAL, errno);
}

// READ_ONLY faults the pages writable before the device pins them
// (madvise(MADV_POPULATE_WRITE)); when that is refused (kernels before 5.14)
// the library touches its own fresh pages instead. Either way the device
// reads what the CPU writes after the allocation.
TEST_F(CoreTest, ReadOnlyBufferIsWhatTheDeviceReadsWithAndWithoutPopulateWrite)
{
	open_default();
	uint8_t *bar = nullptr;
	uint64_t bar_size = 0;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, &bar_size));
	size_t dsz = 4096;
	uint8_t *d = nullptr;
	uint64_t diova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &dsz, &d, &diova));
	for (bool refused : {false, true}) {
		SCOPED_TRACE(refused ? "MADV_POPULATE_WRITE refused" : "MADV_POPULATE_WRITE");
		size_t sz = 8192; // (4 KiB buffers come from pools, touched without madvise)
		uint8_t *p = nullptr;
		uint64_t iova = 0;
		unsigned before = vfio_mock_calls("madvise");
		if (refused) {
			ASSERT_EQ(0, vfio_mock_fail("madvise", 1, EINVAL));
		}
		ASSERT_EQ(
		    0, opae_vfio_buffer_allocate_ex(&v, &sz, &p, &iova, OPAE_VFIO_BUF_READ_ONLY));
		vfio_mock_clear_faults();
		EXPECT_GE(vfio_mock_calls("madvise") - before, 1u) << "the populate was asked for";
		for (unsigned i = 0; i < 64; i++)
			p[i] = (uint8_t)(0xa0 + i + refused);
		memset(d, 0, 64);
		ASSERT_TRUE(edu_dma(bar, iova, EDU_WINDOW, 64, 0)) << "RAM -> device";
		ASSERT_TRUE(edu_dma(bar, EDU_WINDOW, diova, 64, EDU_DMA_TO_RAM)) << "device -> RAM";
		for (unsigned i = 0; i < 64; i++)
			ASSERT_EQ((uint8_t)(0xa0 + i + refused), d[i]) << "byte " << i;
		EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	}
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, d));
}

// An allocation the kernel refuses (MAP_DMA) gives its IOVA back: the next
// buffer gets the lowest free IOVA, the one the failed allocation had taken.
TEST_F(CoreTest, RefusedAllocationGivesItsIovaBack)
{
	open_default();
	size_t sz = 4096;
	uint8_t *a = nullptr, *b = nullptr, *c = nullptr;
	uint64_t ia = 0, ib = 0, ic = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &a, &ia));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, ENOSPC));
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &b, &ib));
	vfio_mock_clear_faults();
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &c, &ic));
	EXPECT_EQ(ia + 4096, ic) << "the refused allocation's IOVA is free again";
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, c));
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, a));
}

// The library counts the container's DMA entries (the kernel's DMA_AVAIL):
// the allocation past the limit is refused before any MAP_DMA, which the
// kernel would refuse only after pinning every page.
TEST_F(CoreTest, DmaEntryLimitIsKnownWithoutAskingTheKernel)
{
	sc.dma_limit = 2;
	open_default();
	size_t sz = 4096;
	uint8_t *p[2] = {}, *x = nullptr;
	for (auto &q : p)
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &q, nullptr));
	unsigned maps = vfio_mock_calls("VFIO_IOMMU_MAP_DMA");
	errno = 0;
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, &x, nullptr));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(maps, vfio_mock_calls("VFIO_IOMMU_MAP_DMA")) << "no MAP_DMA past the limit";
	for (auto &q : p)
		EXPECT_EQ(0, opae_vfio_buffer_free(&v, q));
}

// PREALLOCATED: the caller's memory is never written by the library, not
// even to fault it in when the populate fails.
TEST_F(CoreTest, ReadOnlyPreallocatedWithoutPopulateWriteIsLeftAlone)
{
	open_default();
	uint8_t *mem = (uint8_t *)mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
	                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	memset(mem, 0x5a, 8192);
	size_t sz = 8192;
	uint8_t *p = mem;
	ASSERT_EQ(0, vfio_mock_fail("madvise", 1, EINVAL));
	EXPECT_EQ(
	    0, opae_vfio_buffer_allocate_ex(&v, &sz, &p, nullptr,
	                                    OPAE_VFIO_BUF_PREALLOCATED | OPAE_VFIO_BUF_READ_ONLY));
	vfio_mock_clear_faults();
	for (size_t i = 0; i < 8192; i += 512)
		ASSERT_EQ(0x5a, mem[i]);
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, mem));
	munmap(mem, 8192);
}

// The REQ index (vfio-pci offers it on every device) routes like any other.
TEST_F(CoreTest, ReqIndexRoutesAnEventfd)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	struct opae_vfio_device_irq *q = irq_of(&v, VFIO_PCI_REQ_IRQ_INDEX);
	ASSERT_NE(nullptr, q) << "vfio-pci reports the REQ index";
	EXPECT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_REQ_IRQ_INDEX, 0, efd)) << strerror(errno);
	EXPECT_EQ(efd, q->event_fds[0]);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_REQ_IRQ_INDEX, 0));
	EXPECT_EQ(-1, q->event_fds[0]);
	close(efd);
}

// masks[] says what mask/unmask last did, as the kernel has it.
TEST_F(CoreTest, MasksFollowMaskAndUnmask)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	const uint32_t I = VFIO_PCI_INTX_IRQ_INDEX;
	struct opae_vfio_device_irq *q = irq_of(&v, I);
	ASSERT_NE(nullptr, q);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, I, 0, efd));
	struct vfio_mock_device_state ds = {};
	ASSERT_EQ(0, opae_vfio_irq_mask(&v, I, 0));
	EXPECT_EQ(1, q->masks[0]);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
	EXPECT_EQ(1, ds.intx_masked);
	ASSERT_EQ(0, opae_vfio_irq_unmask(&v, I, 0));
	EXPECT_EQ(0, q->masks[0]);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
	EXPECT_EQ(0, ds.intx_masked);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, I, 0));
	close(efd);
}

// Re-routing a live vector fails, putting the old eventfd back fails, and
// disabling the index fails too: the vector then claims no eventfd (the
// kernel has detached it on the failed re-route), and close still releases
// everything.
TEST_F(CoreTest, ReRouteThatCannotBeUndoneLeavesTheVectorWithoutEventfd)
{
	sc.model = "none";
	sc.msix = 4;
	open_default();
	int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	const uint32_t X = VFIO_PCI_MSIX_IRQ_INDEX;
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, X, 0, a));
	for (unsigned n = 1; n <= 3; n++)
		ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", n, EIO));
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, X, 0, b));
	EXPECT_EQ(EIO, errno);
	vfio_mock_clear_faults();
	EXPECT_EQ(-1, irq_of(&v, X)->event_fds[0]);
	opae_vfio_close(&v);
	EXPECT_EQ(0u, leaks_now().irqs);
	vfio_mock_clear_iommu_faults();
	close(a);
	close(b);
}

// ---- the IOVA allocator's edges (internal) ----------------------------------

TEST(IovaEdges, EmptyOrWrappingFreeRangeIsRefused)
{
	struct iova_space s;
	iova_init(&s);
	EXPECT_EQ(-EINVAL, iova_add_free(&s, 0x10000, 0));
	EXPECT_EQ(-EINVAL, iova_add_free(&s, UINT64_MAX - 0xfff, 0x2000));
	EXPECT_EQ(0u, iova_free_bytes(&s, nullptr));
	iova_destroy(&s);
}

TEST(IovaEdges, AlignmentThatWrapsDoesNotFit)
{
	struct iova_space s;
	uint64_t at = 0;
	iova_init(&s);
	ASSERT_EQ(0, iova_add_free(&s, UINT64_MAX - 0xfff, 0x1000)); // the top page only
	EXPECT_EQ(-ENOSPC, iova_reserve(&s, 0x1000, 1ull << 63, &at));
	EXPECT_EQ(0, iova_reserve(&s, 0x1000, 0x1000, &at));
	EXPECT_EQ(UINT64_MAX - 0xfff, at);
	iova_release(&s, at, 0x1000);
	iova_destroy(&s);
}

TEST(IovaEdges, IntersectWithARangeUpToTheTop)
{
	struct iova_space s;
	iova_init(&s);
	ASSERT_EQ(0, iova_add_free(&s, 0x10000, 0 - 0x10000ull)); // [64 KiB, top]
	struct iova_range_list keep = {};
	decltype(keep.r) r = (decltype(keep.r))calloc(1, sizeof(*keep.r));
	ASSERT_NE(nullptr, r);
	r[0].start = 0x40000;
	r[0].len = 0 - 0x40000ull; // to the top: start + len wraps to 0
	keep.r = r;
	keep.n = keep.cap = 1;
	EXPECT_EQ(0, iova_intersect(&s, &keep));
	size_t n = 0;
	EXPECT_EQ(0 - 0x40000ull, iova_free_bytes(&s, &n));
	EXPECT_EQ(1u, n);
	free(r);
	iova_destroy(&s);
}

// ---- the bounded log append (internal) ---------------------------------------

TEST(LogAppend, CutsAtTheEndAndNeverPassesIt)
{
	char buf[8];
	size_t used = 0;
	EXPECT_EQ(-1, log_appendf(buf, 0, &used, "%s", "x")) << "no room at all";
	EXPECT_EQ(-1, log_appendf(buf, sizeof(buf), &used, "%s", "0123456789"));
	EXPECT_EQ(7u, used);
	EXPECT_STREQ("0123456", buf);
	used = sizeof(buf); // a caller that kept appending past the end
	EXPECT_EQ(-1, log_appendf(buf, sizeof(buf), &used, "%s", "more"));
	EXPECT_EQ(7u, used);
	EXPECT_STREQ("0123456", buf);
}

TEST(LogAppend, FormattingErrorLeavesTheTextSoFar)
{
	char buf[32];
	size_t used = 0;
	ASSERT_EQ(0, log_appendf(buf, sizeof(buf), &used, "%s", "ab"));
	// no such character in the C locale: vsnprintf fails (EILSEQ)
	EXPECT_EQ(-1, log_appendf(buf, sizeof(buf), &used, "%lc", (wint_t)0x110000));
	EXPECT_EQ(2u, used);
	EXPECT_STREQ("ab", buf);
}
