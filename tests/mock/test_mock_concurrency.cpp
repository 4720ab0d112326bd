// SPDX-License-Identifier: BSD-3-Clause
// test_mock_concurrency.cpp - the mock kernel under several threads: DMA
// mapping churn in one container, device register traffic via pread/pwrite
// and edu DMA completing on the worker thread, all at once (label
// "concurrency": meaningful under ThreadSanitizer).
#include "mock_test_util.h"

#include <atomic>
#include <chrono>
#include <sys/wait.h>
#include <thread>

using MockConcurrency = MockTest;

TEST_F(MockConcurrency, MapChurnRegisterTrafficAndDeviceDma)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int d = device(g, EDU_ADDR);
	ASSERT_GE(d, 0);
	uint16_t cmd = 0x6;
	ASSERT_EQ(2, pwrite(d, &cmd, 2, (off_t)7 << 40 | 4));
	const size_t kPage = 4096;
	auto *mem = (uint8_t *)mmap(nullptr, 64 * kPage, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, kPage)); // edu's DMA target, stays mapped
	std::atomic<int> errors{0};
	std::vector<std::thread> t;
	for (int w = 0; w < 3; w++)
		t.emplace_back([&, w] {
			for (int i = 0; i < 300; i++) {
				uint64_t iova = 0x1000000 + (uint64_t)(w * 16 + i % 16) * kPage;
				if (map_dma(c, mem + (1 + w * 16 + i % 16) * kPage, iova, kPage))
					errors++;
				if (unmap_dma(c, iova, kPage))
					errors++;
			}
		});
	t.emplace_back([&] {
		for (uint32_t i = 0; i < 500; i++) {
			uint32_t r = 0;
			if (pwrite(d, &i, 4, 4) != 4 || pread(d, &r, 4, 4) != 4 || r != ~i)
				errors++;
		}
	});
	t.emplace_back([&] {
		for (int i = 0; i < 20; i++) {
			uint64_t v[4] = {0x40000, 0x100000, 0x100, 0x3};
			const off_t regs[4] = {0x88 - 8, 0x88, 0x90, 0x98};
			for (int k = 0; k < 4; k++)
				if (pwrite(d, &v[k], 8, regs[k]) != 8)
					errors++;
			uint64_t run = 1;
			auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			while ((run & 1) && std::chrono::steady_clock::now() < end) {
				if (pread(d, &run, 8, 0x98) != 8)
					errors++;
				std::this_thread::sleep_for(std::chrono::microseconds(50));
			}
			if (run & 1)
				errors++;
		}
	});
	for (auto &th : t)
		th.join();
	EXPECT_EQ(0, errors.load());
	EXPECT_EQ(1u, vfio_mock_dma_maps(c, nullptr, 0));
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	ASSERT_EQ(0, unmap_dma(c, 0x100000, kPage));
	munmap(mem, 64 * kPage);
}

// VFIO_MOCK_FAIL is read at load: check it in a child that starts with it set.
TEST(MockEnvFail, VfioMockFailFromTheEnvironment)
{
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		setenv("VFIO_MOCK_SCENARIO", VFIOMOCK_SCENARIOS "/edu.json", 1);
		setenv("VFIO_MOCK_FAIL", "open:2:EMFILE,VFIO_GET_API_VERSION:1:EIO", 1);
		execl("/proc/self/exe", "vfiomock_tests",
		      "--gtest_filter=MockLeakCheckChild.DISABLED_EnvFail",
		      "--gtest_also_run_disabled_tests", (char *)nullptr);
		_exit(1);
	}
	int status = 0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(MockLeakCheckChild, DISABLED_EnvFail)
{
	int c = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_GE(c, 0);
	EXPECT_ERRNO(EMFILE, open("/dev/vfio/vfio", O_RDWR));
	EXPECT_ERRNO(EIO, ioctl(c, VFIO_GET_API_VERSION));
	EXPECT_EQ(0, ioctl(c, VFIO_GET_API_VERSION));
	close(c);
}
