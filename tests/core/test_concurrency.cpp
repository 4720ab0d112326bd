// SPDX-License-Identifier: BSD-3-Clause
// test_concurrency.cpp - 8 threads allocate / look up / free on one device;
// every live buffer has its own memory and IOVA, nothing is lost.
#include <atomic>
#include <thread>
#include <vector>

#include "core_test_util.h"

TEST_F(CoreTest, EightThreadsAllocateInfoFree)
{
	sc.huge2m = 16;
	open_default();
	const int threads = 8, rounds = 200;
	std::atomic<int> failures{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < threads; t++) {
		ts.emplace_back([&, t] {
			std::vector<std::pair<uint8_t *, uint64_t>> mine;
			for (int i = 0; i < rounds; i++) {
				size_t sz = (i % 17 == 0) ? 8192 : 4096;
				uint8_t *p = nullptr;
				uint64_t iova = 0;
				if (opae_vfio_buffer_allocate(&v, &sz, &p, &iova)) {
					failures++;
					continue;
				}
				memset(p, t, sz); // our memory, nobody else's
				mine.push_back({p, iova});
				auto *b = opae_vfio_buffer_info(&v, p);
				if (!b || b->buffer_iova != iova || b->buffer_ptr != p)
					failures++;
				if (mine.size() > 8) { // keep a few live, free the oldest
					auto o = mine.front();
					mine.erase(mine.begin());
					if (o.first[0] != (uint8_t)t)
						failures++;
					if (opae_vfio_buffer_free(&v, o.first))
						failures++;
				}
			}
			for (auto &o : mine)
				if (opae_vfio_buffer_free(&v, o.first))
					failures++;
		});
	}
	for (auto &th : ts)
		th.join();
	EXPECT_EQ(0, failures.load());
	EXPECT_EQ(0u, vfio_mock_dma_maps(v.cont_fd, nullptr, 0));
}

TEST_F(CoreTest, LiveBuffersFromManyThreadsHaveDistinctIovas)
{
	open_default();
	const int threads = 8, per = 64;
	std::vector<std::vector<uint64_t>> iovas(threads);
	std::vector<std::thread> ts;
	for (int t = 0; t < threads; t++)
		ts.emplace_back([&, t] {
			for (int i = 0; i < per; i++) {
				size_t sz = 4096;
				uint64_t iova = 0;
				uint8_t *p = nullptr;
				if (!opae_vfio_buffer_allocate(&v, &sz, &p, &iova))
					iovas[t].push_back(iova);
			}
		});
	for (auto &th : ts)
		th.join();
	std::vector<uint64_t> all;
	for (auto &x : iovas)
		all.insert(all.end(), x.begin(), x.end());
	ASSERT_EQ((size_t)threads * per, all.size());
	std::sort(all.begin(), all.end());
	for (size_t i = 1; i < all.size(); i++)
		EXPECT_GE(all[i], all[i - 1] + 4096) << "overlap";
	// close frees them all (TearDown checks for leaks)
}
