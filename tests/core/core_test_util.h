/* core_test_util.h - shared helpers of the core gtest suites: scenario JSON
 * for the mock kernel, leak checks, eventfd waits, edu register access. */
#ifndef CORE_TEST_UTIL_H
#define CORE_TEST_UTIL_H

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <poll.h>
#include <stdint.h>
#include <string>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

#include <opae/vfio.h>
#include "vfio_mock.h"

#define EDU_ADDR "0000:00:03.0"

struct Scenario {
	std::string ranges = "[[\"0x0\",\"0xfedfffff\"],[\"0xfef00000\",\"0x7fffffffff\"]]";
	std::string pgsizes = "0x40201000";
	unsigned dma_limit = 65535;
	bool type1v2 = true;
	bool iova_caps = true;
	unsigned huge2m = 8;
	unsigned huge1g = 0;
	std::string model = "edu";
	std::string driver = "vfio-pci";
	std::string bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true}";
	std::string extra_bars; /* appended after bar0, with a leading comma */
	unsigned intx = 1, msi = 1, msix = 0;
	std::string extra_devices; /* appended device objects, leading comma */

	std::string json() const
	{
		return std::string("{\"iommu\":{\"ranges\":") + ranges + ",\"pgsizes\":\"" +
		       pgsizes + "\",\"dma_entry_limit\":" + std::to_string(dma_limit) +
		       ",\"type1v2\":" + (type1v2 ? "true" : "false") +
		       ",\"iova_caps\":" + (iova_caps ? "true" : "false") +
		       "},\"hugepages\":{\"2048kB\":" + std::to_string(huge2m) +
		       ",\"1048576kB\":" + std::to_string(huge1g) +
		       "},\"devices\":[{\"address\":\"" EDU_ADDR "\",\"model\":\"" + model +
		       "\",\"group\":1,\"driver\":\"" + driver + "\",\"bars\":[" + bar0 +
		       extra_bars + "],\"irqs\":{\"intx\":" + std::to_string(intx) +
		       ",\"msi\":" + std::to_string(msi) + ",\"msix\":" + std::to_string(msix) +
		       "}}" + extra_devices + "]}";
	}
	void load() const
	{
		ASSERT_EQ(0, vfio_mock_load_scenario(json().c_str())) << json();
	}
};

static inline struct vfio_mock_leaks leaks_now()
{
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	return l;
}

#define EXPECT_NO_LEAKS()                                                                          \
	do {                                                                                       \
		struct vfio_mock_leaks l_ = leaks_now();                                           \
		EXPECT_EQ(0u, l_.fds) << "fds left open";                                          \
		EXPECT_EQ(0u, l_.bar_maps) << "BAR mappings left";                                 \
		EXPECT_EQ(0u, l_.dma_maps) << "DMA mappings left";                                 \
		EXPECT_EQ(0u, l_.irqs) << "IRQ vectors left attached";                             \
		EXPECT_EQ(0u, l_.huge_maps) << "huge page mappings left";                          \
	} while (0)

/* Read an eventfd if it fires within ms; returns the counter or 0. */
static inline uint64_t wait_event(int efd, int ms)
{
	struct pollfd p = {efd, POLLIN, 0};
	uint64_t n = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	if (read(efd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

static inline uint32_t rd32(uint8_t *bar, size_t off)
{
	return *(volatile uint32_t *)(bar + off);
}
static inline void wr32(uint8_t *bar, size_t off, uint32_t val)
{
	*(volatile uint32_t *)(bar + off) = val;
}
static inline uint64_t rd64(uint8_t *bar, size_t off)
{
	return *(volatile uint64_t *)(bar + off);
}
static inline void wr64(uint8_t *bar, size_t off, uint64_t val)
{
	*(volatile uint64_t *)(bar + off) = val;
}

/* edu registers (QEMU docs/specs/edu.rst) and one polled DMA. */
enum {
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_RAISE = 0x60,
	EDU_IRQ_ACK = 0x64,
	EDU_DMA_SRC = 0x80,
	EDU_DMA_DST = 0x88,
	EDU_DMA_CNT = 0x90,
	EDU_DMA_CMD = 0x98,
	EDU_WINDOW = 0x40000,
	EDU_DMA_TO_RAM = 2,
};

static inline bool edu_dma(uint8_t *bar, uint64_t src, uint64_t dst, uint64_t cnt, uint64_t cmd)
{
	wr64(bar, EDU_DMA_SRC, src);
	wr64(bar, EDU_DMA_DST, dst);
	wr64(bar, EDU_DMA_CNT, cnt);
	wr64(bar, EDU_DMA_CMD, cmd | 1);
	auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (rd64(bar, EDU_DMA_CMD) & 1) {
		if (std::chrono::steady_clock::now() > until)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return true;
}

/* Each test starts from a fresh mock world and must leave nothing open. */
class CoreTest : public ::testing::Test
{
      protected:
	struct opae_vfio v;
	Scenario sc;

	void SetUp() override
	{
		memset(&v, 0, sizeof(v));
		vfio_mock_clear_faults();
		vfio_mock_clear_iommu_faults();
	}
	void TearDown() override
	{
		opae_vfio_close(&v);
		vfio_mock_clear_faults();
		EXPECT_NO_LEAKS();
		vfio_mock_reset();
	}
	void open_default()
	{
		sc.load();
		ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
	}
};

#endif
