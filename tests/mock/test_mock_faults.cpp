// SPDX-License-Identifier: BSD-3-Clause
// test_mock_faults.cpp - fault injection (vfio_mock_fail, scenario "faults",
// VFIO_MOCK_FAIL), call counters, leak accounting and the exit-time leak
// check, huge page pools, pass-through without a scenario, and scenario errors.
#include "mock_test_util.h"

#include <linux/mman.h>
#include <sys/wait.h>

using Faults = MockTest;

TEST_F(Faults, NthCallFailsWithoutSideEffects)
{
	int c, g;
	setup_iommu(1, &c, &g);
	auto *mem = (uint8_t *)mmap(nullptr, 0x3000, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned before = vfio_mock_calls("VFIO_IOMMU_MAP_DMA");
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 2, ENOMEM));
	EXPECT_EQ(0, map_dma(c, mem, 0x100000, 0x1000));
	EXPECT_ERRNO(ENOMEM, map_dma(c, mem + 0x1000, 0x101000, 0x1000));
	EXPECT_EQ(1u, vfio_mock_dma_maps(c, nullptr, 0)) << "the failed map left nothing";
	EXPECT_EQ(0, map_dma(c, mem + 0x1000, 0x101000, 0x1000)) << "only the 2nd call fails";
	EXPECT_EQ(before + 3, vfio_mock_calls("VFIO_IOMMU_MAP_DMA"));
	EXPECT_GE(vfio_mock_calls("ioctl"), 3u);

	ASSERT_EQ(0, vfio_mock_fail("open", 1, EMFILE));
	EXPECT_ERRNO(EMFILE, open("/dev/vfio/vfio", O_RDWR));
	ASSERT_EQ(0, vfio_mock_fail("ioctl", 1, EIO));
	EXPECT_ERRNO(EIO, ioctl(c, VFIO_GET_API_VERSION));
	int d = device(g, EDU_ADDR);
	ASSERT_GE(d, 0);
	uint32_t v;
	ASSERT_EQ(0, vfio_mock_fail("pread", 1, EIO));
	EXPECT_ERRNO(EIO, pread(d, &v, 4, 0));
	ASSERT_EQ(0, vfio_mock_fail("pwrite", 1, EIO));
	EXPECT_ERRNO(EIO, pwrite(d, &v, 4, 4));
	ASSERT_EQ(0, vfio_mock_fail("mmap_bar", 1, ENOMEM));
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, PROT_READ, MAP_SHARED, d, 0));
	EXPECT_EQ(ENOMEM, errno);
	void *bar = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, d, 0);
	ASSERT_NE(MAP_FAILED, bar);
	ASSERT_EQ(0, vfio_mock_fail("munmap", 1, EINVAL));
	EXPECT_ERRNO(EINVAL, munmap(bar, 4096));
	EXPECT_EQ(0, munmap(bar, 4096));
	ASSERT_EQ(0, vfio_mock_fail("any", 1, EAGAIN));
	EXPECT_ERRNO(EAGAIN, ioctl(c, VFIO_GET_API_VERSION));
	EXPECT_EQ(-1, vfio_mock_fail("bogus", 1, EIO));
	ASSERT_EQ(0, vfio_mock_fail("ioctl", 1, EIO));
	vfio_mock_clear_faults();
	EXPECT_EQ(VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	munmap(mem, 0x3000);
}

class ScenarioFaults : public MockTest
{
	const char *scenario() override
	{
		return R"({ "devices": [ { "address": "0000:00:03.0", "model": "edu" } ],
			    "faults": [ { "call": "VFIO_GROUP_GET_DEVICE_FD", "nth": 1, "errno": "EBUSY" } ] })";
	}
};

TEST_F(ScenarioFaults, ArmedByTheScenario)
{
	int c, g;
	setup_iommu(1, &c, &g);
	EXPECT_ERRNO(EBUSY, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, EDU_ADDR));
	EXPECT_GE(device(g, EDU_ADDR), 0);
}

TEST_F(Faults, LeakAccountingNamesEverything)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int d = device(g, EDU_ADDR);
	auto *mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 4096));
	void *bar = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, d, 0);
	int efd = keep(eventfd(0, EFD_NONBLOCK));
	ASSERT_EQ(0, set_irq_efds(d, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	void *huge = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, huge);
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(3u, l.fds);
	EXPECT_EQ(1u, l.bar_maps);
	EXPECT_EQ(1u, l.dma_maps);
	EXPECT_EQ(1u, l.irqs);
	EXPECT_EQ(1u, l.huge_maps);
	EXPECT_EQ(7u, vfio_mock_report_leaks());
	munmap(huge, 2 << 20);
	munmap(bar, 4096);
	drop(d);
	drop(g);
	drop(c);
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.fds + l.bar_maps + l.dma_maps + l.irqs + l.huge_maps);
	EXPECT_EQ(0u, vfio_mock_report_leaks());
	munmap(mem, 4096);
}

TEST_F(Faults, HugePagePools)
{
	const uint64_t M2 = 2 << 20, G1 = 1 << 30;
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2));
	EXPECT_EQ(2u, vfio_mock_hugepages_free(G1));
	auto *a = (uint8_t *)mmap(nullptr, 3 << 20, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)a);
	EXPECT_EQ(0u, (uintptr_t)a % M2) << "aligned to the huge page";
	EXPECT_EQ(6u, vfio_mock_hugepages_free(M2)) << "3 MiB takes two 2 MiB pages";
	a[(4 << 20) - 1] = 1;                     // the whole rounded range is usable
	EXPECT_ERRNO(EINVAL, munmap(a, 3 << 20)); // not a huge page multiple
	EXPECT_ERRNO(EINVAL, munmap(a, 4096));
	EXPECT_EQ(6u, vfio_mock_hugepages_free(M2));
	EXPECT_EQ(0, munmap(a, 4 << 20));
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2));

	void *g = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
	ASSERT_NE(MAP_FAILED, g);
	EXPECT_EQ(0u, (uintptr_t)g % G1);
	EXPECT_EQ(1u, vfio_mock_hugepages_free(G1));
	EXPECT_EQ(MAP_FAILED,
	          mmap(nullptr, 2ull << 30, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0, munmap(g, G1));
	EXPECT_EQ(2u, vfio_mock_hugepages_free(G1));
	ASSERT_EQ(0, vfio_mock_fail("mmap_huge", 1, ENOMEM));
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0));
	EXPECT_EQ(8u, vfio_mock_hugepages_free(M2));
}

TEST(MockNoScenario, EverythingPassesThrough)
{
	vfio_mock_reset();
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/vfio", O_RDWR));
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0))
	    << "this machine has no huge pages reserved";
	int fd = open("/proc/self/status", O_RDONLY);
	EXPECT_GE(fd, 0);
	char buf[16];
	EXPECT_GT(read(fd, buf, sizeof(buf)), 0);
	EXPECT_EQ(0, close(fd));
}

TEST(MockScenarioErrors, RejectedWithTheFieldNamed)
{
	testing::internal::CaptureStderr();
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "devices": [ { "model": "edu" } ] })"));
	EXPECT_EQ(-1, vfio_mock_load_scenario(
	                  R"({ "devices": [ { "address": "0000:00:03.0", "model": "nope" } ] })"));
	EXPECT_EQ(
	    -1,
	    vfio_mock_load_scenario(
	        R"({ "devices": [ { "address": "0000:00:03.0", "model": "edu", "vendor": "0xzz" } ] })"));
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "iommu": { "pgsizes": 12 } })"));
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "devcies": [] })"));
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "devices": [ )"));
	EXPECT_EQ(-1, vfio_mock_load_scenario("/nonexistent/scenario.json"));
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos, err.find("\"address\"")) << err;
	EXPECT_NE(std::string::npos, err.find("\"model\"")) << err;
	EXPECT_NE(std::string::npos, err.find("\"vendor\"")) << err;
	EXPECT_NE(std::string::npos, err.find("\"pgsizes\"")) << err;
	EXPECT_NE(std::string::npos, err.find("\"devcies\"")) << err;
	EXPECT_NE(std::string::npos, err.find("/nonexistent/scenario.json")) << err;
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/vfio", O_RDWR)); // a rejected scenario loads nothing
	EXPECT_EQ(0, vfio_mock_load_scenario(VFIOMOCK_SCENARIOS "/edu.json"));
	int c = open("/dev/vfio/vfio", O_RDWR);
	EXPECT_GE(c, 0);
	close(c);
	vfio_mock_reset();
}

// The exit-time check: a child that leaks exits 97 under VFIO_MOCK_LEAK_CHECK=fail.
TEST(MockLeakCheck, ExitStatus97WhenSomethingIsLeft)
{
	for (int leak = 0; leak < 2; leak++) {
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			setenv("VFIO_MOCK_LEAK_CHECK", "fail", 1);
			setenv("VFIO_MOCK_SCENARIO", VFIOMOCK_SCENARIOS "/edu.json", 1);
			execl("/proc/self/exe", "vfiomock_tests",
			      leak ? "--gtest_filter=MockLeakCheckChild.DISABLED_Leaks"
			           : "--gtest_filter=MockLeakCheckChild.DISABLED_Clean",
			      "--gtest_also_run_disabled_tests", (char *)nullptr);
			_exit(1);
		}
		int status = 0;
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(leak ? 97 : 0, WEXITSTATUS(status)) << "leak=" << leak;
	}
}

TEST(MockLeakCheckChild, DISABLED_Leaks)
{
	EXPECT_GE(open("/dev/vfio/vfio", O_RDWR), 0);
}
TEST(MockLeakCheckChild, DISABLED_Clean)
{
	int fd = open("/dev/vfio/vfio", O_RDWR);
	EXPECT_GE(fd, 0);
	close(fd);
}

TEST_F(Faults, ReloadForgetsOpenObjects)
{
	int c, g;
	setup_iommu(1, &c, &g);
	auto *mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 4096));
	ASSERT_EQ(0, vfio_mock_load_scenario(VFIOMOCK_SCENARIOS "/edu.json"));
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.fds + l.dma_maps) << "old objects are forgotten";
	// the old fds are plain fds now: VFIO ioctls on them are not the mock's
	EXPECT_EQ(-1, ioctl(c, VFIO_GET_API_VERSION));
	EXPECT_GE(open_group(1), 0) << "the new world's group is free";
	munmap(mem, 4096);
}
