// test_faults.cpp - fault-injection sweeps: every kernel call of open,
// allocate, free, the IRQ calls and close fails in turn (EIO); afterwards
// nothing may be left behind and v must be usable or cleanly closed. The one
// exception is a failed munmap: the library reports it (once: a retry would
// fail the same way) and exactly that mapping is left.
#include <functional>
#include <sys/mman.h>
#include <sys/eventfd.h>

#include "core_test_util.h"

// Huge pages in the pool, so the sweep also fails the MAP_HUGETLB mmaps.
static Scenario sweep_scenario()
{
	Scenario s;
	s.huge2m = 2;
	return s;
}

static void check_usable(struct opae_vfio *v)
{
	size_t sz = 4096;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &p, nullptr)) << strerror(errno);
	ASSERT_EQ(0, opae_vfio_buffer_free(v, p));
}

// Set by sweep() when the injected failure hit a munmap (the library's log
// says so): that one mapping may be left, nothing else.
static bool g_munmap_failed;

static void check_clean(const char *what, unsigned n)
{
	struct vfio_mock_leaks l = leaks_now();
	unsigned maps = l.bar_maps + l.huge_maps;
	EXPECT_EQ(0u, l.fds + l.dma_maps + l.irqs + (g_munmap_failed ? 0 : maps))
	    << what << ": failing call " << n << " left fds " << l.fds << " bar " << l.bar_maps
	    << " dma " << l.dma_maps << " irq " << l.irqs << " huge " << l.huge_maps;
	EXPECT_LE(maps, 1u) << what << ": failing call " << n << ": a failed munmap leaves one "
	                    << "mapping, not " << maps;
}

/* Runs prepare (not failed), then op with the nth kernel call failing. */
static void sweep(const char *what, std::function<void(struct opae_vfio *)> prepare,
                  std::function<int(struct opae_vfio *)> op,
                  std::function<void(struct opae_vfio *, int)> after)
{
	struct opae_vfio v;
	Scenario sc = sweep_scenario();

	// count the calls of a clean run
	sc.load();
	memset(&v, 0, sizeof(v));
	prepare(&v);
	unsigned c0 = vfio_mock_calls("any");
	ASSERT_EQ(0, op(&v)) << what << " fails without faults: " << strerror(errno);
	unsigned count = vfio_mock_calls("any") - c0;
	opae_vfio_close(&v);
	ASSERT_GT(count, 0u) << what;

	for (unsigned n = 1; n <= count; n++) {
		SCOPED_TRACE(std::string(what) + " failing call " + std::to_string(n));
		sc.load();
		vfio_mock_clear_faults();
		memset(&v, 0, sizeof(v));
		prepare(&v);
		ASSERT_EQ(0, vfio_mock_fail("any", n, EIO));
		testing::internal::CaptureStderr();
		int r = op(&v);
		int err = errno;
		vfio_mock_clear_faults();
		std::string log = testing::internal::GetCapturedStderr();
		g_munmap_failed = log.find(": munmap of ") != std::string::npos;
		errno = err;
		after(&v, r);
		opae_vfio_close(&v);
		check_clean(what, n);
		opae_vfio_close(&v);
		g_munmap_failed = false;
	}
	vfio_mock_reset();
}

static void open_ok(struct opae_vfio *v)
{
	ASSERT_EQ(0, opae_vfio_open(v, EDU_ADDR)) << strerror(errno);
}

TEST(FaultSweep, Open)
{
	sweep(
	    "open", [](struct opae_vfio *) {},
	    [](struct opae_vfio *v) { return opae_vfio_open(v, EDU_ADDR); },
	    [](struct opae_vfio *v, int r) {
		    if (r) {
			    EXPECT_EQ(EIO, errno) << "errno of the failing step";
			    EXPECT_EQ(-1, v->cont_fd);
			    EXPECT_EQ(nullptr, v->device.regions);
			    EXPECT_EQ(nullptr, v->cont_pciaddr);
			    check_clean("open (failed)", 0);
			    // the struct can be opened again right away
			    ASSERT_EQ(0, opae_vfio_open(v, EDU_ADDR)) << strerror(errno);
		    }
		    check_usable(v);
	    });
}

TEST(FaultSweep, Allocate)
{
	for (size_t size : {size_t(4096), size_t(8192)}) {
		sweep(
		    "allocate", open_ok,
		    [size](struct opae_vfio *v) {
			    size_t sz = size;
			    uint8_t *p = nullptr;
			    return opae_vfio_buffer_allocate(v, &sz, &p, nullptr);
		    },
		    [](struct opae_vfio *v, int r) {
			    if (r) {
				    EXPECT_EQ(EIO, errno) << "errno of the failing step";
				    EXPECT_EQ(0u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
			    }
			    check_usable(v);
		    });
	}
}

static uint8_t *g_buf;

TEST(FaultSweep, Free)
{
	sweep(
	    "free",
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    size_t sz = 8192;
		    ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &g_buf, nullptr));
	    },
	    [](struct opae_vfio *v) { return opae_vfio_buffer_free(v, g_buf); },
	    [](struct opae_vfio *v, int r) {
		    if (r && opae_vfio_buffer_info(v, g_buf)) {
			    // refused before anything changed: still mapped, freeable
			    EXPECT_EQ(1u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
			    EXPECT_EQ(0, opae_vfio_buffer_free(v, g_buf));
		    } else if (r) {
			    // gone from the IOMMU and the table; only its memory is left
			    EXPECT_EQ(4, r);
			    EXPECT_TRUE(g_munmap_failed);
			    EXPECT_EQ(0u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
		    }
		    check_usable(v);
	    });
}

static int g_efd = -1;

TEST(FaultSweep, Irq)
{
	g_efd = eventfd(0, EFD_CLOEXEC);
	sweep(
	    "irq", open_ok,
	    [](struct opae_vfio *v) {
		    int r = opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, g_efd);
		    if (!r)
			    r = opae_vfio_irq_mask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		    if (!r)
			    r = opae_vfio_irq_unmask(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		    if (!r)
			    r = opae_vfio_irq_disable(v, VFIO_PCI_INTX_IRQ_INDEX, 0);
		    if (!r)
			    r = opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, g_efd);
		    if (!r)
			    r = opae_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
		    return r;
	    },
	    [](struct opae_vfio *v, int) {
		    // whatever failed, the public arrays match the kernel's state
		    struct vfio_mock_device_state st;
		    ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
		    int attached = 0;
		    for (auto *q = v->device.irqs; q; q = q->next)
			    for (uint32_t k = 0; k < q->count; k++)
				    attached += q->event_fds[k] >= 0;
		    EXPECT_EQ((unsigned)attached, leaks_now().irqs);
		    check_usable(v);
	    });
	close(g_efd);
}

TEST(FaultSweep, Close)
{
	g_efd = eventfd(0, EFD_CLOEXEC);
	sweep(
	    "close",
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    for (size_t s : {size_t(4096), size_t(8192)}) {
			    size_t sz = s;
			    uint8_t *p = nullptr;
			    ASSERT_EQ(0, opae_vfio_buffer_allocate(v, &sz, &p, nullptr));
		    }
		    ASSERT_EQ(0, opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, g_efd));
	    },
	    [](struct opae_vfio *v) {
		    opae_vfio_close(v);
		    return 0;
	    },
	    [](struct opae_vfio *v, int) { EXPECT_EQ(-1, v->cont_fd); });
	close(g_efd);
}

TEST(FaultSweep, DevBusy)
{
	sweep(
	    "dev_busy", [](struct opae_vfio *) {},
	    [](struct opae_vfio *) { return opae_vfio_dev_busy(EDU_ADDR); },
	    [](struct opae_vfio *, int r) {
		    if (r) {
			    // 3: a sysfs link cannot be read, 2: the group cannot be opened
			    EXPECT_TRUE(r == 2 || r == 3) << r;
			    EXPECT_EQ(EIO, errno) << "errno of the failing step";
		    }
		    check_clean("dev_busy", 0);
		    EXPECT_EQ(0, opae_vfio_dev_busy(EDU_ADDR));
	    });
}

static uint8_t *g_mem;
static const uint64_t PIN_IOVA = 0x100000;

TEST(FaultSweep, BufferMap)
{
	g_mem = (uint8_t *)mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)g_mem);
	sweep(
	    "buffer_map", open_ok,
	    [](struct opae_vfio *v) { return opae_vfio_buffer_map(v, 8192, g_mem, PIN_IOVA); },
	    [](struct opae_vfio *v, int r) {
		    if (r) {
			    EXPECT_EQ(EIO, errno) << "errno of the failing step";
			    EXPECT_EQ(0u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
			    // nothing is left reserved or tracked
			    EXPECT_EQ(3, opae_vfio_buffer_unmap(v, 8192, PIN_IOVA));
			    ASSERT_EQ(0, opae_vfio_buffer_map(v, 8192, g_mem, PIN_IOVA));
		    }
		    ASSERT_EQ(0, opae_vfio_buffer_unmap(v, 8192, PIN_IOVA));
		    check_usable(v);
	    });
	munmap(g_mem, 8192);
}

TEST(FaultSweep, BufferUnmap)
{
	g_mem = (uint8_t *)mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)g_mem);
	sweep(
	    "buffer_unmap",
	    [](struct opae_vfio *v) {
		    open_ok(v);
		    ASSERT_EQ(0, opae_vfio_buffer_map(v, 8192, g_mem, PIN_IOVA));
	    },
	    [](struct opae_vfio *v) { return opae_vfio_buffer_unmap(v, 8192, PIN_IOVA); },
	    [](struct opae_vfio *v, int r) {
		    if (r) {
			    // refused before anything changed: still mapped, unmappable
			    EXPECT_EQ(EIO, errno);
			    EXPECT_EQ(1u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
			    EXPECT_EQ(0, opae_vfio_buffer_unmap(v, 8192, PIN_IOVA));
		    }
		    EXPECT_EQ(0u, vfio_mock_dma_maps(v->cont_fd, nullptr, 0));
		    check_usable(v);
	    });
	munmap(g_mem, 8192);
}
