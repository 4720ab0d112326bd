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

class Rules61 : public EduDeviceTest
{
      protected:
	uint32_t r32(unsigned off)
	{
		uint32_t v = 0;
		EXPECT_EQ(4, pread(edu, &v, 4, region_at(0, off)));
		return v;
	}
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

// C2/C3: vfio_iommu_type1_check_extension, before and after SET_IOMMU.
TEST(Rules61Extensions, CheckExtensionAsType1Answers)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(VFIOMOCK_SCENARIOS "/edu.json"));
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/1", O_RDWR);
	ASSERT_GE(c, 0);
	ASSERT_GE(g, 0);
	for (long ext : {VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_NESTING_IOMMU,
	                 VFIO_UNMAP_ALL})
		EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, ext)) << ext;
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU)) << "no IOMMU yet";
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR)) << "no IOMMU yet";
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU))
	    << "edu.json is the VM: QEMU's VT-d has no snoop control";
	close(g);
	close(c);
	// the default: an Intel host whose IOMMU enforces cache coherency
	ASSERT_EQ(0, vfio_mock_load_scenario(
	                 R"({ "devices": [ { "address": "0000:00:03.0", "model": "edu" } ] })"));
	c = open("/dev/vfio/vfio", O_RDWR);
	g = open("/dev/vfio/1", O_RDWR);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU)) << "Intel, coherent";
	close(g);
	close(c);
	// a kernel before 5.12 (edu-oldkernel.json): no UNMAP_ALL, and FLAG_ALL is an unknown flag
	ASSERT_EQ(0, vfio_mock_load_scenario(VFIOMOCK_SCENARIOS "/edu-oldkernel.json"));
	c = open("/dev/vfio/vfio", O_RDWR);
	g = open("/dev/vfio/1", O_RDWR);
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	close(g);
	close(c);
	vfio_mock_reset();
}

// C20: the last group leaving a container takes every mapping with it.
TEST_F(Rules61, TheLastGroupLeavingTheContainerDropsEveryMapping)
{
	void *mem = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(cont, mem, 0x100000, 8192));
	drop(edu);
	ASSERT_EQ(0, ioctl(grp, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_EQ(0u, vfio_mock_dma_maps(cont, nullptr, 0)) << "the container fd stays open";
	EXPECT_ERRNO(EINVAL, map_dma(cont, mem, 0x100000, 8192)); // no IOMMU driver any more
	ASSERT_EQ(0, ioctl(grp, VFIO_GROUP_SET_CONTAINER, &cont));
	ASSERT_EQ(0, ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, map_dma(cont, mem, 0x100000, 8192)) << "the old IOVA is free again";
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 8192));
	munmap(mem, 8192);
}

// I7: a fresh enable of count 0 is ERANGE; a host with fewer vectors than
// asked makes SET_IRQS return how many it has, with nothing enabled.
TEST(Rules61Irq, EnableFailuresAsVfioMsiEnable)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "devices": [
	  { "address": "0000:00:04.0", "model": "none", "group": 2, "pcie": true, "host_vectors": 3,
	    "irqs": { "intx": 1, "msi": 8, "msix": 16 } } ] })"));
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/2", O_RDWR);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	int dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0");
	ASSERT_GE(dev, 0);
	EXPECT_ERRNO(ERANGE, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 2, {}));
	int e[4];
	for (int &x : e)
		x = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	EXPECT_EQ(3, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {e[0], e[1], e[2], e[3]}));
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state("0000:00:04.0", &st));
	EXPECT_EQ(-1, st.irq_index_enabled) << "nothing enabled";
	EXPECT_EQ(3, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {e[0], e[1], e[2], e[3]}));
	EXPECT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {e[0], e[1], e[2]}));
	EXPECT_EQ(0, set_irq_none(dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	for (int x : e)
		close(x);
	close(dev);
	close(g);
	close(c);
	vfio_mock_reset();
}

// "cap_align": 8 gives the 6.6+ layout for programs written against it.
TEST(Rules61Caps, CapAlign8IsTheLaterKernelsLayout)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "iommu": { "cap_align": 8 },
	  "devices": [ { "address": "0000:00:03.0", "model": "edu", "group": 1 } ] })"));
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/1", O_RDWR);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	struct vfio_iommu_type1_info info = {};
	info.argsz = sizeof(info);
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(120u, info.argsz);
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "iommu": { "cap_align": 4 } })"));
	close(g);
	close(c);
	vfio_mock_reset();
}

// D13: a BAR mmap holds the device file; closing the fd leaves the device
// open (IRQs armed, group busy, no reset) until the mapping goes.
TEST_F(Rules61, ABarMappingKeepsTheDeviceOpenAfterItsFdCloses)
{
	void *bar = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, edu, region_at(0));
	ASSERT_NE(MAP_FAILED, bar);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_EQ(0, set_irq_efds(edu, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	drop(edu);
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(1, st.open_count) << "the mapping holds the file";
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, st.irq_index_enabled) << "IRQs stay armed";
	EXPECT_ERRNO(EBUSY, ioctl(grp, VFIO_GROUP_UNSET_CONTAINER));
	drop(grp);
	EXPECT_ERRNO(EBUSY, open("/dev/vfio/1", O_RDWR));
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "vfiomock_tests", "--gtest_filter=MachineChild.DISABLED_GroupBusy",
		      "--gtest_also_run_disabled_tests", (char *)nullptr);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "busy in another process too";
	ASSERT_EQ(0, munmap(bar, 4096));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.open_count);
	EXPECT_EQ(-1, st.irq_index_enabled) << "the last reference closed it";
	EXPECT_GE(open_group(1), 0);
	close(efd);
}
