/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_mock.h - an in-process stand-in for the mock kernel's model services
 * (BAR memory, IOMMU map, IRQ log, a worker queue the test runs by hand). */
#ifndef FAKE_MOCK_H
#define FAKE_MOCK_H

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "mock_model.h"
}

struct fake_dma_map {
	uint64_t iova;
	uint8_t *mem;
	size_t len;
};

struct fake_work {
	void (*fn)(void *state, void *arg);
	void *arg;
};

struct mock_dev {
	mock_dev_config cfg{};
	const mock_model_ops *ops = nullptr;
	void *state = nullptr;
	std::vector<uint8_t> bar[6];
	std::vector<fake_dma_map> maps;
	int bus_master = 1;
	std::vector<uint64_t> faults;                    /* faulting IOVAs */
	std::vector<std::pair<unsigned, unsigned>> irqs; /* (index, vector) raised */
	std::vector<fake_work> queue;
	unsigned scheduled = 0; /* mock_schedule calls */

	/* Run queued work in order (work may queue more) until empty or `max` steps. */
	unsigned run_worker(unsigned max = 1000000);
	void drop_work()
	{
		queue.clear();
	}
};

#endif
