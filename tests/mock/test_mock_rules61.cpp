// SPDX-License-Identifier: BSD-3-Clause
// Linux 6.1 rules where the mock used to follow later kernels or its own
// idea (audit mock-fidelity-6.1.md, section 2), and the register-write
// counter a plugin uses to prove it wrote nothing.
#include <chrono>
#include <sys/wait.h>
#include <thread>

#include "mock_test_util.h"

namespace
{

class Rules61 : public MockTest
{
      protected:
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(1, &cont, &grp);
		edu = device(grp, EDU_ADDR);
		ASSERT_GE(edu, 0);
	}
	uint32_t r32(unsigned off)
	{
		uint32_t v = 0;
		EXPECT_EQ(4, pread(edu, &v, 4, region_at(0, off)));
		return v;
	}
	int cont = -1, grp = -1, edu = -1;
};

} // namespace

// M3: 6.1's do_io_rw does at most 4-byte accesses; edu's 32-bit registers
// at 0x04 (liveness) and 0x08 (factorial) both see an 8-byte pwrite at 0x04.
TEST_F(Rules61, An8BytePwriteIsTwo32BitAccessesLowFirst)
{
	uint64_t before = vfio_mock_mmio_writes(EDU_ADDR);
	uint64_t v = 0x0000000512345678ULL;
	ASSERT_EQ(8, pwrite(edu, &v, 8, region_at(0, 0x04)));
	EXPECT_EQ(before + 2, vfio_mock_mmio_writes(EDU_ADDR));
	EXPECT_EQ(~0x12345678u, r32(0x04));
	for (int i = 0; i < 1000 && (r32(0x20) & 1); i++)
		std::this_thread::sleep_for(std::chrono::microseconds(200));
	EXPECT_EQ(120u, r32(0x08)) << "the high dword reached the factorial register";
}

TEST_F(Rules61, RegisterWritesAreCountedAndReadsAreNot)
{
	EXPECT_EQ(UINT64_MAX, vfio_mock_mmio_writes("0000:99:00.0"));
	uint64_t before = vfio_mock_mmio_writes(EDU_ADDR);
	auto *bar = (volatile uint32_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
	                                      edu, region_at(0));
	ASSERT_NE(MAP_FAILED, (void *)bar);
	(void)bar[0];
	(void)r32(0x04);
	EXPECT_EQ(before, vfio_mock_mmio_writes(EDU_ADDR));
	bar[1] = 7; // a trapped store
	EXPECT_EQ(before + 1, vfio_mock_mmio_writes(EDU_ADDR));
	uint16_t b = 0;
	ASSERT_EQ(2, pwrite(edu, &b, 2, region_at(0, 0x10)));
	EXPECT_EQ(before + 2, vfio_mock_mmio_writes(EDU_ADDR));
	munmap((void *)bar, 4096);
}

// VFIO_MOCK_EXPECT_NO_MMIO_WRITES=1: a program that wrote a register exits 98.
TEST(MmioWritesAtExit, ExitStatus98WhenARegisterWasWritten)
{
	for (int write_one = 0; write_one < 2; write_one++) {
		fflush(nullptr);
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			unsetenv("VFIO_MOCK_MACHINE");
			setenv("VFIO_MOCK_EXPECT_NO_MMIO_WRITES", "1", 1);
			setenv("VFIO_MOCK_SCENARIO", VFIOMOCK_SCENARIOS "/edu.json", 1);
			execl("/proc/self/exe", "vfiomock_tests",
			      write_one ? "--gtest_filter=MachineChild.DISABLED_WriteARegister"
			                : "--gtest_filter=MachineChild.DISABLED_ReadARegister",
			      "--gtest_also_run_disabled_tests", (char *)nullptr);
			_exit(1);
		}
		int status = 0;
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(write_one ? 98 : 0, WEXITSTATUS(status));
	}
}

static int open_edu()
{
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/1", O_RDWR);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	return ioctl(g, VFIO_GROUP_GET_DEVICE_FD, EDU_ADDR);
}

TEST(MachineChild, DISABLED_WriteARegister)
{
	int d = open_edu();
	uint32_t v = 1;
	ASSERT_EQ(4, pwrite(d, &v, 4, region_at(0, 0x04)));
}

TEST(MachineChild, DISABLED_ReadARegister)
{
	int d = open_edu();
	uint32_t v = 1;
	ASSERT_EQ(4, pread(d, &v, 4, region_at(0, 0x04)));
}
