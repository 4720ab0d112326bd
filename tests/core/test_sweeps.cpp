// SPDX-License-Identifier: BSD-3-Clause
// test_sweeps.cpp - fault sweeps that check each failing call's outcome: open
// (plain, secure, sparse), allocate (4 KiB, huge, > 2 MiB, PREALLOCATED),
// free (4 KiB, huge, PREALLOCATED), buffer_map/unmap, dev_busy, the
// multi-vector and regrow IRQ paths and close. Every call fails with EIO in turn (sweep_util.h);
// the operation must return the code docs/core.md gives for that step with errno EIO, or recover as
// documented, and leave nothing behind.
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "sweep_util.h"

static const char *const PF = "0000:3b:00.0";
static const char *const VF = "0000:3b:00.1";
static const char *const TOKEN = "5b3b1a2e-4c1d-4e5f-8a9b-0c1d2e3f4a5b";

// An SR-IOV PF and its VF ("none" model) beside edu.
static const char *const SRIOV = R"({"devices":[
  {"address":"0000:3b:00.0","model":"none","group":10,"sriov_totalvfs":4,"sriov_numvfs":1,
   "bars":[{"index":0,"size":"0x1000","mmap":true}]},
  {"address":"0000:3b:00.1","model":"none","group":11,"physfn":"0000:3b:00.0",
   "bars":[{"index":0,"size":"0x1000","mmap":true}]}]})";

static std::function<void()> loader(const Scenario &sc)
{
	return [sc] { sc.load(); };
}

// The open code of docs/core.md for the step that failed.
static int open_code(const SweepStep &st)
{
	const std::string &k = st.kind;

	if (k == "readlink") // driver / iommu_group links
		return 3;
	if (k == "open") // 1: the container, 2: the group
		return st.nth == 1 ? 5 : 2;
	if (k == "VFIO_GROUP_GET_STATUS")
		return 2;
	if (k == "VFIO_GET_API_VERSION" || k == "VFIO_CHECK_EXTENSION" ||
	    k == "VFIO_GROUP_SET_CONTAINER" || k == "VFIO_SET_IOMMU" || k == "VFIO_IOMMU_GET_INFO")
		return 5;
	return 6; // device fd, device/region/IRQ info, PCI COMMAND, BAR mmap
}

// A failed open: its code, EIO, a closed struct, nothing left even before
// close, and the same struct opens again.
static std::function<void(struct opae_vfio *, const SweepStep &)> open_failed(const char *addr,
                                                                              const char *token)
{
	return [addr, token](struct opae_vfio *v, const SweepStep &st) {
		EXPECT_EQ(open_code(st), st.r) << "return code";
		EXPECT_EQ(EIO, st.err) << "errno of the failing step";
		EXPECT_CLOSED(v);
		EXPECT_EQ(st.baseline, leak_total()) << "left behind by the failed open";
		int r = token ? opae_vfio_secure_open(v, addr, token) : opae_vfio_open(v, addr);
		EXPECT_EQ(0, r) << "reopen: " << strerror(errno);
	};
}

TEST(Sweep, OpenEveryStepReportsItsCode)
{
	Scenario sc;
	sc.huge2m = 2;
	unsigned n = run_sweep({"open", loader(sc), [](struct opae_vfio *) {},
	                        [](struct opae_vfio *v) { return opae_vfio_open(v, EDU_ADDR); },
	                        open_failed(EDU_ADDR, nullptr)});
	EXPECT_GE(n, 20u);
}

TEST(Sweep, OpenWithASparseRegion)
{
	Scenario sc;
	sc.model = "none";
	sc.bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true,"
	          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x8000\",\"0x2000\"]]}";
	sc.extra_bars = ",{\"index\":2,\"size\":\"0x4000\",\"mmap\":false}";
	run_sweep({"open (sparse)", loader(sc), [](struct opae_vfio *) {},
	           [](struct opae_vfio *v) {
		           int r = opae_vfio_open(v, EDU_ADDR);
		           // the reservation and both areas really happened
		           if (!r) {
			           EXPECT_EQ(2u, leaks_now().bar_maps);
		           }
		           return r;
	           },
	           open_failed(EDU_ADDR, nullptr)});
}

TEST(Sweep, SecureOpenOfThePf)
{
	run_sweep({"secure_open (PF)", [] { ASSERT_EQ(0, vfio_mock_load_scenario(SRIOV)); },
	           [](struct opae_vfio *) {},
	           [](struct opae_vfio *v) { return opae_vfio_secure_open(v, PF, TOKEN); },
	           open_failed(PF, TOKEN)});
}

static struct opae_vfio g_pf;

TEST(Sweep, SecureOpenOfTheVf)
{
	run_sweep({"secure_open (VF)", [] { ASSERT_EQ(0, vfio_mock_load_scenario(SRIOV)); },
	           [](struct opae_vfio *) {
		           memset(&g_pf, 0, sizeof(g_pf));
		           ASSERT_EQ(0, opae_vfio_secure_open(&g_pf, PF, TOKEN)) << strerror(errno);
	           },
	           [](struct opae_vfio *v) { return opae_vfio_secure_open(v, VF, TOKEN); },
	           open_failed(VF, TOKEN), [] { opae_vfio_close(&g_pf); }});
}

// ---- allocate -------------------------------------------------------------

static void open_ok(struct opae_vfio *v)
{
	ASSERT_EQ(0, opae_vfio_open(v, EDU_ADDR)) << strerror(errno);
}

static unsigned dma_maps(struct opae_vfio *v)
{
	return vfio_mock_dma_maps(v->cont_fd, nullptr, 0);
}

// A buffer that works: allocated, mapped once, freed.
static void check_usable(struct opae_vfio *v)
{
	size_t sz = 4096;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &p, nullptr)) << strerror(errno);
	memset(p, 0x5a, sz);
	ASSERT_EQ(0, opae_vfio_buffer_free(v, p));
}

static uint8_t *g_buf;
static size_t g_size;
static uint64_t g_iova;

// Allocation of `size` bytes: a failing memory kind falls back (documented
// page policy), a failing madvise is logged and ignored, anything else is
// code 4 with EIO and leaves no mapping.
static Sweep allocate_sweep(const char *what, const Scenario &sc, size_t size)
{
	Sweep s{what, loader(sc), open_ok,
	        [size](struct opae_vfio *v) {
		        g_size = size;
		        g_buf = nullptr;
		        g_iova = 0;
		        return opae_vfio_buffer_allocate(v, &g_size, &g_buf, &g_iova);
	        },
	        [size](struct opae_vfio *v, const SweepStep &st) {
		        bool recovers = st.kind == "madvise" || st.kind == "mmap_huge";
		        if (recovers) {
			        ASSERT_EQ(0, st.r) << st.kind << " failing is not fatal";
			        EXPECT_EQ((size + 4095) & ~size_t(4095), g_size);
			        ASSERT_NE(nullptr, opae_vfio_buffer_info(v, g_buf));
			        EXPECT_EQ(1u, dma_maps(v));
			        memset(g_buf, 1, g_size); // really backed
			        EXPECT_EQ(0, opae_vfio_buffer_free(v, g_buf));
		        } else {
			        EXPECT_EQ(4, st.r) << "return code";
			        EXPECT_EQ(EIO, st.err) << "errno of the failing step";
			        EXPECT_EQ(0u, dma_maps(v));
			        EXPECT_EQ(0u, leaks_now().huge_maps);
		        }
		        check_usable(v);
	        }};
	return s;
}

TEST(Sweep, AllocateFourKiB)
{
	Scenario sc;
	run_sweep(allocate_sweep("allocate 4 KiB", sc, 4096));
}

TEST(Sweep, AllocateOneHugePage)
{
	Scenario sc;
	sc.huge2m = 2;
	run_sweep(allocate_sweep("allocate 8 KiB (2 MiB page)", sc, 8192));
}

TEST(Sweep, AllocateHugePageFallbackToFourKiB)
{
	Scenario sc;
	sc.huge2m = 0; // the huge page mmap fails by itself: 4 KiB pages are swept
	run_sweep(allocate_sweep("allocate 2 MiB (no pool)", sc, 2u << 20));
}

TEST(Sweep, AllocateAboveTwoMiB)
{
	Scenario sc;
	sc.huge2m = 4;
	sc.huge1g = 1;
	// 1 GiB page first; a failure falls back to two 2 MiB pages
	run_sweep(allocate_sweep("allocate 3 MiB", sc, 3u << 20));
}

TEST(Sweep, AllocateAboveTwoMiBOnTwoMiBPages)
{
	Scenario sc;
	sc.huge2m = 4;
	sc.huge1g = 0;
	run_sweep(allocate_sweep("allocate 3 MiB (2 MiB pages)", sc, 3u << 20));
}

static uint8_t *g_mem;
static const size_t MEM_LEN = 16384;

static void map_caller_memory()
{
	g_mem = (uint8_t *)mmap(nullptr, MEM_LEN, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)g_mem);
}

static void unmap_caller_memory()
{
	// the library never unmaps it: writing proves it is still the caller's
	memset(g_mem, 7, MEM_LEN);
	EXPECT_EQ(0, munmap(g_mem, MEM_LEN));
}

TEST(Sweep, AllocatePreallocated)
{
	Scenario sc;
	unsigned n =
	    run_sweep({"allocate PREALLOCATED", loader(sc),
	               [](struct opae_vfio *v) {
		               open_ok(v);
		               map_caller_memory();
	               },
	               [](struct opae_vfio *v) {
		               g_size = MEM_LEN;
		               g_buf = g_mem;
		               unsigned m = vfio_mock_calls("madvise");
		               int r = opae_vfio_buffer_allocate_ex(v, &g_size, &g_buf, &g_iova,
		                                                    OPAE_VFIO_BUF_PREALLOCATED);
		               EXPECT_EQ(m, vfio_mock_calls("madvise"))
		                   << "never madvises the caller's memory";
		               return r;
	               },
	               [](struct opae_vfio *v, const SweepStep &st) {
		               EXPECT_EQ(4, st.r);
		               EXPECT_EQ(EIO, st.err);
		               EXPECT_EQ(nullptr, opae_vfio_buffer_info(v, g_mem));
		               EXPECT_EQ(0u, dma_maps(v));
	               },
	               unmap_caller_memory});
	EXPECT_EQ(1u, n) << "PREALLOCATED makes exactly one call: MAP_DMA";
}

// ---- free -----------------------------------------------------------------

// Free of a buffer of `size`: a refused UNMAP_DMA is code 4 with EIO and the
// buffer stays whole (tracked, mapped, freeable); a single failing munmap is
// retried (the buffer is gone); the memory is unmapped either way.
static Sweep free_sweep(const char *what, const Scenario &sc, size_t size)
{
	return {
	    what, loader(sc),
	    [size](struct opae_vfio *v) {
		    open_ok(v);
		    g_size = size;
		    ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &g_size, &g_buf, &g_iova));
	    },
	    [](struct opae_vfio *v) { return opae_vfio_buffer_free(v, g_buf); },
	    [](struct opae_vfio *v, const SweepStep &st) {
		    if (st.kind == "VFIO_IOMMU_UNMAP_DMA") {
			    EXPECT_EQ(4, st.r) << "a refused unmap is reported";
			    EXPECT_EQ(EIO, st.err);
			    auto *b = opae_vfio_buffer_info(v, g_buf);
			    ASSERT_NE(nullptr, b) << "the buffer stays tracked";
			    EXPECT_EQ(g_iova, b->buffer_iova);
			    EXPECT_EQ(1u, dma_maps(v)) << "and mapped";
			    memset(g_buf, 3, g_size);
			    EXPECT_EQ(0, opae_vfio_buffer_free(v, g_buf));
		    } else {
			    EXPECT_TRUE(st.kind == "munmap" || st.kind == "munmap_anon") << st.kind;
			    // not retried (issue #8): reported, the buffer is gone from
			    // the IOMMU and the table, its memory is left
			    EXPECT_EQ(4, st.r) << "a failed munmap is reported";
			    EXPECT_EQ(EIO, st.err);
			    EXPECT_EQ(nullptr, opae_vfio_buffer_info(v, g_buf));
			    munmap(g_buf, g_size > 4096 ? 2u << 20 : 4096); // what it left
		    }
		    EXPECT_EQ(0u, dma_maps(v));
		    unsigned char vec;
		    errno = 0;
		    if (g_size == 4096) {
			    // a pool slot (pool.c): it stays the library's, zeroed
			    ASSERT_EQ(0, mincore(g_buf, 4096, &vec)) << "the pool keeps it";
			    for (size_t i = 0; i < 4096; i++)
				    ASSERT_EQ(0, g_buf[i]) << "the freed slot is zeroed at " << i;
		    } else {
			    EXPECT_EQ(-1, mincore(g_buf, 4096, &vec)) << "the memory is unmapped";
			    EXPECT_EQ(ENOMEM, errno);
		    }
		    check_usable(v);
	    }};
}

TEST(Sweep, FreeFourKiB)
{
	Scenario sc;
	// a pool slot: no munmap of its own (the pool stays for the next buffer)
	EXPECT_EQ(1u, run_sweep(free_sweep("free 4 KiB", sc, 4096))) << "UNMAP_DMA";
}

TEST(Sweep, FreeHugePage)
{
	Scenario sc;
	sc.huge2m = 1;
	EXPECT_EQ(2u, run_sweep(free_sweep("free 2 MiB", sc, 2u << 20)));
}

TEST(Sweep, FreePreallocated)
{
	Scenario sc;
	unsigned n = run_sweep(
	    {"free PREALLOCATED", loader(sc),
	     [](struct opae_vfio *v) {
		     open_ok(v);
		     map_caller_memory();
		     g_size = MEM_LEN;
		     g_buf = g_mem;
		     ASSERT_EQ(0, opae_vfio_buffer_allocate_ex(v, &g_size, &g_buf, &g_iova,
		                                               OPAE_VFIO_BUF_PREALLOCATED));
	     },
	     [](struct opae_vfio *v) { return opae_vfio_buffer_free(v, g_mem); },
	     [](struct opae_vfio *v, const SweepStep &st) {
		     EXPECT_EQ(4, st.r);
		     EXPECT_EQ(EIO, st.err);
		     EXPECT_NE(nullptr, opae_vfio_buffer_info(v, g_mem));
		     EXPECT_EQ(1u, dma_maps(v));
		     EXPECT_EQ(0, opae_vfio_buffer_free(v, g_mem));
	     },
	     unmap_caller_memory});
	EXPECT_EQ(1u, n) << "only UNMAP_DMA: the caller's memory is never unmapped";
}

// ---- buffer_map / buffer_unmap / dev_busy (OPAE 2.12) ---------------------

static const uint64_t PIN_IOVA = 0x200000;

TEST(Sweep, BufferMap)
{
	Scenario sc;
	EXPECT_EQ(1u,
	          run_sweep({"buffer_map", loader(sc),
	                     [](struct opae_vfio *v) {
		                     open_ok(v);
		                     map_caller_memory();
	                     },
	                     [](struct opae_vfio *v) {
		                     return opae_vfio_buffer_map(v, MEM_LEN, g_mem, PIN_IOVA);
	                     },
	                     [](struct opae_vfio *v, const SweepStep &st) {
		                     EXPECT_EQ(4, st.r);
		                     EXPECT_EQ(EIO, st.err);
		                     EXPECT_EQ(0u, dma_maps(v));
		                     EXPECT_EQ(3, opae_vfio_buffer_unmap(v, MEM_LEN, PIN_IOVA))
		                         << "nothing tracked";
		                     EXPECT_EQ(0, opae_vfio_buffer_map(v, MEM_LEN, g_mem, PIN_IOVA))
		                         << "the IOVA was given back";
	                     },
	                     unmap_caller_memory}))
	    << "MAP_DMA only";
}

TEST(Sweep, BufferUnmap)
{
	Scenario sc;
	EXPECT_EQ(1u, run_sweep({"buffer_unmap", loader(sc),
	                         [](struct opae_vfio *v) {
		                         open_ok(v);
		                         map_caller_memory();
		                         ASSERT_EQ(
		                             0, opae_vfio_buffer_map(v, MEM_LEN, g_mem, PIN_IOVA));
	                         },
	                         [](struct opae_vfio *v) {
		                         return opae_vfio_buffer_unmap(v, MEM_LEN, PIN_IOVA);
	                         },
	                         [](struct opae_vfio *v, const SweepStep &st) {
		                         EXPECT_EQ(4, st.r);
		                         EXPECT_EQ(EIO, st.err);
		                         EXPECT_EQ(1u, dma_maps(v)) << "still mapped";
		                         EXPECT_EQ(0, opae_vfio_buffer_unmap(v, MEM_LEN, PIN_IOVA))
		                             << "and tracked";
	                         },
	                         unmap_caller_memory}))
	    << "UNMAP_DMA only";
}

TEST(Sweep, DevBusy)
{
	Scenario sc;
	run_sweep({"dev_busy", loader(sc), [](struct opae_vfio *) {},
	           [](struct opae_vfio *) { return opae_vfio_dev_busy(EDU_ADDR); },
	           [](struct opae_vfio *, const SweepStep &st) {
		           if (st.kind == "close") {
			           EXPECT_EQ(0, st.r)
			               << "the group could be opened; the close is logged";
		           } else {
			           EXPECT_EQ(st.kind == "readlink" ? 3 : 2, st.r) << st.kind;
			           EXPECT_EQ(EIO, st.err);
		           }
		           EXPECT_EQ(0u, leak_total());
		           EXPECT_EQ(0, opae_vfio_dev_busy(EDU_ADDR));
	           }});
}

// ---- IRQs: several MSI-X vectors, growing past NORESIZE ---------------------

static int g_efd[4] = {-1, -1, -1, -1};

static void open_eventfds()
{
	for (int &e : g_efd) {
		e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_GE(e, 0);
	}
}

static void close_eventfds()
{
	for (int &e : g_efd) {
		close(e);
		e = -1;
	}
}

// The library's arrays agree with the kernel: each routed vector signals its
// own eventfd and only it, an unrouted vector signals none, and the attached
// count is the mock's.
static void expect_routing_matches_kernel(struct opae_vfio *v, uint32_t index)
{
	struct opae_vfio_device_irq *q = irq_of(v, index);
	ASSERT_NE(nullptr, q);
	unsigned attached = 0;
	for (uint32_t k = 0; k < 4 && k < q->count; k++) {
		attached += q->event_fds[k] >= 0;
		vfio_mock_raise_irq(EDU_ADDR, index, k);
		for (int j = 0; j < 4; j++) {
			uint64_t n = wait_event(g_efd[j], q->event_fds[k] == g_efd[j] ? 2000 : 20);
			EXPECT_EQ(q->event_fds[k] == g_efd[j] ? 1u : 0u, n)
			    << "vector " << k << " raised, eventfd " << j;
		}
	}
	EXPECT_EQ(attached, leaks_now().irqs);
	vfio_mock_clear_iommu_faults(); // detached-but-enabled vectors write to IOVA 0
}

static Scenario msix_scenario()
{
	Scenario sc;
	sc.model = "none";
	sc.msix = 8;
	return sc;
}

TEST(Sweep, MsixSeveralVectorsAndRegrow)
{
	run_sweep(
	    {"MSI-X vectors", loader(msix_scenario()),
	     [](struct opae_vfio *v) {
		     open_ok(v);
		     open_eventfds();
		     ASSERT_EQ(0, opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, g_efd[0]));
	     },
	     [](struct opae_vfio *v) {
		     const uint32_t X = VFIO_PCI_MSIX_IRQ_INDEX;
		     int r = opae_vfio_irq_enable(v, X, 3, g_efd[3]); // regrow 1 -> 4 (NORESIZE)
		     if (!r)
			     r = opae_vfio_irq_enable(v, X, 1,
			                              g_efd[1]); // within the enabled count
		     if (!r)
			     r = opae_vfio_irq_enable(v, X, 1, g_efd[2]); // swap vector 1's eventfd
		     if (!r)
			     r = opae_vfio_irq_disable(v, X, 3); // one of several
		     if (!r)
			     r = opae_vfio_irq_disable(v, X, 1);
		     if (!r)
			     r = opae_vfio_irq_disable(v, X, 0); // the last: the index goes off
		     return r;
	     },
	     [](struct opae_vfio *v, const SweepStep &st) {
		     EXPECT_EQ("VFIO_DEVICE_SET_IRQS", st.kind);
		     EXPECT_EQ(5, st.r) << "a refused SET_IRQS is code 5";
		     EXPECT_EQ(EIO, st.err);
		     expect_routing_matches_kernel(v, VFIO_PCI_MSIX_IRQ_INDEX);
	     },
	     close_eventfds});
}

TEST(Sweep, IntxAndMsiOnOneHandle)
{
	Scenario sc;
	run_sweep({"INTx + MSI", loader(sc),
	           [](struct opae_vfio *v) {
		           open_ok(v);
		           open_eventfds();
	           },
	           [](struct opae_vfio *v) {
		           int r = opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, g_efd[0]);
		           if (!r)
			           r = opae_vfio_irq_mask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		           if (!r)
			           r = opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		           if (!r)
			           r = opae_vfio_irq_disable(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		           if (!r)
			           r = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, g_efd[1]);
		           if (!r)
			           r = opae_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
		           return r;
	           },
	           [](struct opae_vfio *v, const SweepStep &st) {
		           EXPECT_EQ("VFIO_DEVICE_SET_IRQS", st.kind);
		           EXPECT_EQ(5, st.r);
		           EXPECT_EQ(EIO, st.err);
		           unsigned attached = 0;
		           for (auto *q = v->device.irqs; q; q = q->next)
			           for (uint32_t k = 0; k < q->count; k++)
				           attached += q->event_fds[k] >= 0;
		           // the kernel holds the caller's eventfds, and the library's
		           // parking one for an MSI vector without one
		           struct vfio_mock_device_state ds;
		           ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &ds));
		           bool parked =
		               ds.irq_index_enabled == (int)VFIO_PCI_MSI_IRQ_INDEX && !attached;
		           EXPECT_EQ(attached + parked, leaks_now().irqs);
		           EXPECT_TRUE(!attached || ds.irq_index_enabled >= 0);
		           EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	           },
	           close_eventfds});
}

// ---- close ----------------------------------------------------------------

TEST(Sweep, CloseReleasesEverythingWhateverFails)
{
	Scenario sc;
	sc.huge2m = 1;
	sc.msix = 4;
	sc.bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true,"
	          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x8000\",\"0x2000\"]]}";
	sc.model = "none";
	run_sweep(
	    {"close", loader(sc),
	     [](struct opae_vfio *v) {
		     open_ok(v);
		     open_eventfds();
		     map_caller_memory();
		     for (size_t s : {size_t(4096), size_t(8192)}) {
			     size_t sz = s;
			     ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, nullptr, nullptr));
		     }
		     g_size = MEM_LEN;
		     g_buf = g_mem;
		     ASSERT_EQ(0, opae_vfio_buffer_allocate_ex(v, &g_size, &g_buf, nullptr,
		                                               OPAE_VFIO_BUF_PREALLOCATED));
		     ASSERT_EQ(0, opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 1, g_efd[1]));
	     },
	     [](struct opae_vfio *v) {
		     opae_vfio_close(v);
		     return 0;
	     },
	     [](struct opae_vfio *v, const SweepStep &st) {
		     EXPECT_CLOSED(v);
		     // a failed munmap is reported, not retried (issue #8): exactly that
		     // mapping is left (run_sweep accounts for it)
		     EXPECT_LE(leak_total(), st.kind == "munmap" ? 1u : 0u);
	     },
	     [] {
		     close_eventfds();
		     unmap_caller_memory();
	     }});
}
