/* SPDX-License-Identifier: BSD-3-Clause */
/* core_test_util.h - shared helpers of the core gtest suites: leak checks,
 * eventfd waits, edu register access (scenarios: tests/common/scenario.h). */
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
#include "scenario.h"
#include "vfio_mock.h"

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
