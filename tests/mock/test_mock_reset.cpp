// SPDX-License-Identifier: BSD-3-Clause
// BAR mmaps during VFIO_DEVICE_RESET (6.1's vfio_pci_zap_and_down_write_memory_lock):
// an access on another thread waits until the reset is over and then sees the
// registers after it, through the same mapping; never the device mid-reset.
// The observable is the MSI-X PBA, a plain (untrapped) page the reset clears.
#include "mock_test_util.h"

#include <atomic>
#include <thread>

namespace
{

#define RESET_ADDR "0000:00:05.0"
const char kResetScenario[] = R"({ "devices": [
  { "address": "0000:00:05.0", "model": "none", "group": 3, "reset": true,
    "bars": [ { "index": 0, "size": "0x4000", "mmap": true } ],
    "irqs": { "intx": 1, "msi": 0, "msix": 2, "req": 1 } } ] })";
constexpr uint64_t kPba = 0x3000; // the PBA's page (none model: not trapped)

class BarReset : public MockTest
{
      protected:
	const char *scenario() override
	{
		return kResetScenario;
	}
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(3, &cont, &grp);
		dev = device(grp, RESET_ADDR);
		ASSERT_GE(dev, 0);
		efd = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
		bar = (uint8_t *)mmap(nullptr, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
		ASSERT_NE(MAP_FAILED, (void *)bar);
		pba = (volatile uint64_t *)(bar + kPba);
		// vector 1 enabled without an eventfd: a raise leaves it pending
		ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd, -1}));
	}
	void TearDown() override
	{
		vfio_mock_on_reset(nullptr, nullptr);
		if (bar && bar != MAP_FAILED)
			munmap(bar, 0x4000);
		MockTest::TearDown();
	}
	void make_pending()
	{
		ASSERT_EQ(0, vfio_mock_raise_irq(RESET_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
		ASSERT_EQ(2u, *pba);
	}
	int cont = -1, grp = -1, dev = -1, efd = -1;
	uint8_t *bar = nullptr;
	volatile uint64_t *pba = nullptr;
};

// What a reader thread did while the reset was in progress.
struct Reader {
	volatile uint64_t *pba;
	std::atomic<int> go{0}, loading{0}, done{0};
	int done_during_reset = -1;
	uint64_t seen = ~0ull;
};

void in_the_reset(const char *, void *arg)
{
	auto *r = (Reader *)arg;

	r->go = 1;
	for (int i = 0; i < 5000 && !r->loading; i++)
		usleep(1000);
	usleep(20000); // a load that can complete has completed by now
	r->done_during_reset = r->done;
}

} // namespace

TEST_F(BarReset, AnAccessDuringTheResetWaitsAndSeesTheResetValue)
{
	make_pending();
	Reader r;
	r.pba = pba;
	std::thread t([&r] {
		while (!r.go)
			std::this_thread::yield();
		r.loading = 1;
		r.seen = *r.pba;
		r.done = 1;
	});
	vfio_mock_on_reset(in_the_reset, &r);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
	t.join();
	EXPECT_EQ(1, r.loading.load());
	EXPECT_EQ(0, r.done_during_reset) << "the load waited for the reset";
	EXPECT_EQ(0u, r.seen) << "and then saw the PBA the reset cleared, not the stale bit";
	EXPECT_EQ(0u, *pba) << "the same mapping works after the reset";
	*(volatile uint32_t *)bar = 0x1234; // writable again too
	EXPECT_EQ(0x1234u, *(volatile uint32_t *)bar);
}

// Resets with nothing in flight, twice in a row, and with no mapping left:
// nothing stays held.
TEST_F(BarReset, ResetWithoutMappingsOrTwiceInARowIsHarmless)
{
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
	make_pending();
	ASSERT_EQ(0, munmap(bar, 0x4000));
	bar = nullptr;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET)) << "no mapping to hold";
	uint64_t x = 1;
	ASSERT_EQ(8, pread(dev, &x, 8, (off_t)kPba));
	EXPECT_EQ(0u, x);
}

// Another thread reads the BAR in a loop while this one raises and resets:
// whenever no reset is running, it sees what the device holds (pending bit
// set after a raise, clear after a reset), through the same mapping.
TEST_F(BarReset, ResetsWhileAnotherThreadReadsTheBar)
{
	// 4k: reset done; 4k+1 raising; 4k+2 pending; 4k+3 resetting
	std::atomic<unsigned> epoch{0};
	std::atomic<int> stop{0}, wrong{0};
	std::atomic<unsigned long> reads{0};
	std::thread t([&] {
		while (!stop) {
			unsigned e1 = epoch.load(std::memory_order_acquire);
			uint64_t v = *pba;
			unsigned e2 = epoch.load(std::memory_order_acquire);

			if (e1 == e2 && ((e1 % 4 == 0 && v != 0) || (e1 % 4 == 2 && v != 2)))
				wrong++;
			reads++;
		}
	});
	auto reader_moves = [&] { // the reader reads in every phase
		unsigned long r0 = reads.load();
		while (reads.load() == r0)
			std::this_thread::yield();
	};
	reader_moves();
	for (unsigned k = 0; k < 25; k++) {
		epoch.store(4 * k + 1, std::memory_order_release);
		ASSERT_EQ(0, vfio_mock_raise_irq(RESET_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
		epoch.store(4 * k + 2, std::memory_order_release);
		reader_moves();
		epoch.store(4 * k + 3, std::memory_order_release);
		ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
		epoch.store(4 * k + 4, std::memory_order_release);
		ASSERT_EQ(0u, *pba);
		reader_moves();
	}
	stop = 1;
	t.join();
	EXPECT_EQ(0, wrong.load());
}
