// SPDX-License-Identifier: BSD-3-Clause
// test_alloc_faults.cpp - out of memory inside the library: every allocation
// an operation makes (malloc, calloc, strdup, pthread_mutex_init; counted and
// failed through wrap_shim.h) fails in turn, and the operation must return its
// documented out-of-memory code with errno ENOMEM and leave nothing behind.
#include <sys/mman.h>

#include "sweep_util.h"
#include "wrap_shim.h"

namespace
{
#define PLAIN_ADDR "0000:00:04.0" /* a second device, in group 2 */

// Runs op once to count its allocations, then once per allocation with that
// one failing; check() asserts the outcome. Returns the allocations swept.
unsigned alloc_sweep(
    const char *what, const Scenario &sc, const std::function<void(struct opae_vfio *)> &prepare,
    const std::function<int(struct opae_vfio *)> &op,
    const std::function<void(struct opae_vfio *, int r, int err)> &check,
    const std::function<void()> &cleanup = [] {})
{
	struct opae_vfio v;

	memset(&v, 0, sizeof(v));
	sc.load();
	prepare(&v);
	shim_alloc_start();
	int r = op(&v);
	unsigned n = shim_alloc_stop();
	EXPECT_EQ(0, r) << what << " fails without faults: " << strerror(errno);
	opae_vfio_close(&v);
	cleanup();
	EXPECT_GT(n, 0u) << what << " allocates nothing: the sweep tests nothing";
	for (unsigned k = 1; k <= n; k++) {
		SCOPED_TRACE(std::string(what) + ": allocation #" + std::to_string(k) + " of " +
		             std::to_string(n) + " fails");
		memset(&v, 0, sizeof(v));
		sc.load();
		prepare(&v);
		shim_alloc_start(k);
		errno = 0;
		r = op(&v);
		int err = errno;
		EXPECT_GE(shim_alloc_stop(), k) << "the failing allocation was never made";
		check(&v, r, err);
		opae_vfio_close(&v);
		cleanup();
		EXPECT_NO_LEAKS();
	}
	vfio_mock_reset();
	return n;
}

void open_ok(struct opae_vfio *v)
{
	ASSERT_EQ(0, opae_vfio_open(v, EDU_ADDR)) << strerror(errno);
}

// A failed open: code 7, ENOMEM, a closed struct and nothing left before close.
void open_nomem(struct opae_vfio *v, int r, int err)
{
	EXPECT_EQ(7, r);
	EXPECT_EQ(ENOMEM, err);
	EXPECT_CLOSED(v);
	EXPECT_EQ(0u, leak_total()) << "a failed open leaves nothing, even before close";
}

Scenario sparse_scenario()
{
	Scenario sc;
	sc.model = "none";
	sc.msix = 4;
	sc.bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true,"
	          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x8000\",\"0x2000\"]]}";
	sc.extra_bars = ",{\"index\":2,\"size\":\"0x4000\",\"mmap\":false}";
	return sc;
}
} // namespace

TEST(AllocFaults, OpenReturnsSevenForEveryAllocation)
{
	Scenario sc;
	unsigned n = alloc_sweep(
	    "open", sc, [](struct opae_vfio *) {},
	    [](struct opae_vfio *v) { return opae_vfio_open(v, EDU_ADDR); }, open_nomem);
	// state, lock, two tables, two strings, group path, windows, info, IOVA
	// nodes, regions, IRQ indexes
	EXPECT_GE(n, 12u);
}

TEST(AllocFaults, OpenWithoutRangeCapabilityAndWithSparseAreas)
{
	Scenario sc = sparse_scenario();
	sc.iova_caps = false; // the library builds the default windows itself
	alloc_sweep(
	    "open (default windows, sparse BAR, MSI-X)", sc, [](struct opae_vfio *) {},
	    [](struct opae_vfio *v) { return opae_vfio_open(v, EDU_ADDR); }, open_nomem);
}

// allocate: the record (5), the IOVA tree's nodes (4: IOVA space), the buffer
// table growing past its 64 slots at the 33rd buffer (5); the buffer is never
// half made and the others stay.
TEST(AllocFaults, AllocateNeverLeavesAHalfMadeBuffer)
{
	Scenario sc;
	static std::vector<uint8_t *> bufs;
	alloc_sweep(
	    "allocate the 33rd buffer", sc,
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    bufs.clear();
		    for (int i = 0; i < 32; i++) {
			    size_t sz = 4096;
			    uint8_t *p = nullptr;
			    ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &p, nullptr));
			    bufs.push_back(p);
		    }
	    },
	    [](struct opae_vfio *v) {
		    size_t sz = 4096;
		    uint8_t *p = nullptr;
		    return opae_vfio_buffer_allocate(v, &sz, &p, nullptr);
	    },
	    [](struct opae_vfio *v, int r, int err) {
		    EXPECT_TRUE(r == 5 || r == 4) << "code " << r;
		    EXPECT_EQ(ENOMEM, err);
		    EXPECT_EQ(bufs.size(), leaks_now().dma_maps) << "the others stay, no new one";
		    for (uint8_t *p : bufs)
			    EXPECT_EQ(0, opae_vfio_buffer_free(v, p));
		    EXPECT_EQ(0u, leaks_now().dma_maps);
		    size_t sz = 4096;
		    uint8_t *p = nullptr;
		    EXPECT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &p, nullptr))
		        << "the next allocation works";
	    });
}

TEST(AllocFaults, PreallocatedAllocateReturnsItsCode)
{
	Scenario sc;
	static uint8_t *mem;
	mem = (uint8_t *)mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                      -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	alloc_sweep(
	    "allocate PREALLOCATED", sc, open_ok,
	    [](struct opae_vfio *v) {
		    size_t sz = 8192;
		    uint8_t *p = mem;
		    return opae_vfio_buffer_allocate_ex(v, &sz, &p, nullptr,
		                                        OPAE_VFIO_BUF_PREALLOCATED);
	    },
	    [](struct opae_vfio *v, int r, int err) {
		    EXPECT_TRUE(r == 5 || r == 4) << "code " << r;
		    EXPECT_EQ(ENOMEM, err);
		    EXPECT_EQ(0u, leaks_now().dma_maps);
		    EXPECT_EQ(3, opae_vfio_buffer_free(v, mem)) << "not tracked";
	    });
	munmap(mem, 8192);
}

// buffer_map (pin): the record (5), the IOVA node (4), the pin table growing
// past its 64 slots at the 33rd pin (5).
TEST(AllocFaults, BufferMapNeverLeavesAHalfPinnedRange)
{
	Scenario sc;
	static uint8_t *mem;
	const size_t len = 33 * 4096;
	mem = (uint8_t *)mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	                      0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	const uint64_t at = 0x100000, last = at + 32 * 4096;
	alloc_sweep(
	    "buffer_map of the 33rd range", sc,
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    for (unsigned i = 0; i < 32; i++)
			    ASSERT_EQ(0,
			              opae_vfio_buffer_map(v, 4096, mem + i * 4096, at + i * 4096));
	    },
	    [](struct opae_vfio *v) {
		    return opae_vfio_buffer_map(v, 4096, mem + 32 * 4096, last);
	    },
	    [](struct opae_vfio *v, int r, int err) {
		    EXPECT_TRUE(r == 5 || r == 4) << "code " << r;
		    EXPECT_EQ(ENOMEM, err);
		    EXPECT_EQ(32u, leaks_now().dma_maps);
		    EXPECT_EQ(3, opae_vfio_buffer_unmap(v, 4096, last)) << "not tracked";
		    EXPECT_EQ(0, opae_vfio_buffer_unmap(v, 4096, at));
		    EXPECT_EQ(0, opae_vfio_buffer_map(v, 4096, mem + 32 * 4096, last))
		        << "the IOVA is free again";
		    EXPECT_EQ(0, opae_vfio_buffer_unmap(v, 4096, last));
	    });
	munmap(mem, len);
}

// More vectors than fit the SET_IRQS argument on the stack: its heap copy.
TEST(AllocFaults, IrqEnableOfManyVectorsReturnsFiveAndAttachesNothing)
{
	Scenario sc;
	sc.model = "none";
	sc.msix = 80;
	static int efd;
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	alloc_sweep(
	    "irq_enable MSI-X vector 70", sc, open_ok,
	    [](struct opae_vfio *v) {
		    return opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 70, efd);
	    },
	    [](struct opae_vfio *v, int r, int err) {
		    EXPECT_EQ(5, r);
		    EXPECT_EQ(ENOMEM, err);
		    EXPECT_EQ(-1, irq_of(v, VFIO_PCI_MSIX_IRQ_INDEX)->event_fds[70]);
		    EXPECT_EQ(0u, leaks_now().irqs);
		    EXPECT_EQ(0, opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 70, efd))
		        << "the next try works";
	    });
	close(efd);
}

TEST(AllocFaults, GroupConstraintReturnsTwoAndChangesNothing)
{
	Scenario sc;
	sc.extra_devices = ",{\"address\":\"" PLAIN_ADDR "\",\"model\":\"none\",\"group\":2,"
	                   "\"bars\":[{\"index\":0,\"size\":\"0x1000\",\"mmap\":true}]}";
	static struct opae_vfio child;
	static uint64_t child_iova;
	alloc_sweep(
	    "apply_group_constraint", sc,
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    memset(&child, 0, sizeof(child));
		    ASSERT_EQ(0, opae_vfio_open(&child, PLAIN_ADDR));
		    size_t sz = 4096;
		    ASSERT_EQ(0, opae_vfio_buffer_allocate(&child, &sz, nullptr, &child_iova));
	    },
	    [](struct opae_vfio *v) { return opae_vfio_apply_group_constraint(&child, v); },
	    [](struct opae_vfio *v, int r, int err) {
		    EXPECT_EQ(2, r);
		    EXPECT_EQ(ENOMEM, err);
		    size_t sz = 4096;
		    uint64_t iova = 0;
		    ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, nullptr, &iova));
		    EXPECT_EQ(child_iova, iova) << "the space was not constrained";
	    },
	    [] { opae_vfio_close(&child); });
}
