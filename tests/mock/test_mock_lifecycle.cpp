// SPDX-License-Identifier: BSD-3-Clause
// A device's life as Linux 6.1's vfio-pci shapes it: memory decoding off
// zaps the BAR mmaps (SIGBUS) and makes pread/pwrite EIO, the first open
// builds the virtual config space again, INTx-disable masks INTx, MSI's
// Multiple Message Capable field, and what a VF lacks (audit D6, D10, F2,
// F7, I3, M2, M4). tests/vm/rules61.c checks the edu parts on the kernel.
#include <csignal>
#include <linux/pci_regs.h>
#include <sys/syscall.h>

#include "mock_test_util.h"

namespace
{

volatile uintptr_t sigbus_addr;

// The faulting page becomes an anonymous zero page (raw syscall: no
// interposer) and the load completes: no siglongjmp out of the handler,
// which ThreadSanitizer keeps counting as running. The mapping gets the BAR
// back when decoding is turned on again (the mock maps the whole range).
void on_sigbus(int, siginfo_t *si, void *)
{
	uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)4095;

	sigbus_addr = (uintptr_t)si->si_addr;
	if (syscall(SYS_mmap, page, 4096, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == -1)
		_exit(3);
}

// Reads (or writes) the 32-bit word at p; false if it raised SIGBUS.
bool access32(volatile uint32_t *p, uint32_t *val, bool write)
{
	struct sigaction sa = {}, old = {};

	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	sigbus_addr = 0;
	if (write)
		*p = *val;
	else
		*val = *p;
	sigaction(SIGBUS, &old, nullptr);
	return sigbus_addr == 0;
}

bool load32(const volatile uint32_t *p, uint32_t *out)
{
	return access32(const_cast<volatile uint32_t *>(p), out, false);
}

class Lifecycle : public EduDeviceTest
{
      protected:
	uint16_t cfg16(int dev, unsigned off)
	{
		uint16_t v = 0xffff;
		EXPECT_EQ(2, pread(dev, &v, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, off)));
		return v;
	}
	void set_cfg16(int dev, unsigned off, uint16_t v)
	{
		EXPECT_EQ(2, pwrite(dev, &v, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, off)));
	}
	uint32_t cfg32(int dev, unsigned off)
	{
		uint32_t v = 0;
		EXPECT_EQ(4, pread(dev, &v, 4, region_at(VFIO_PCI_CONFIG_REGION_INDEX, off)));
		return v;
	}
	unsigned msi_cap(int dev)
	{
		uint8_t pos = 0, hdr[2] = {};
		EXPECT_EQ(1, pread(dev, &pos, 1, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x34)));
		for (int guard = 0; pos && guard < 48; guard++, pos = hdr[1])
			if (pread(dev, hdr, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, pos)) != 2 ||
			    hdr[0] == PCI_CAP_ID_MSI)
				break;
		return hdr[0] == PCI_CAP_ID_MSI ? pos : 0;
	}
};

} // namespace

// M2/M4: with COMMAND.MEM cleared, every BAR mmap of the device raises
// SIGBUS (trapped register page and plain page alike, and a mapping made
// meanwhile), pread/pwrite are EIO; with MEM set again the same mappings
// work and show the device's memory as it was.
TEST_F(Lifecycle, DecodeOffZapsTheBarMappings)
{
	const size_t len = 0x2000;
	auto *bar = (volatile uint32_t *)mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, edu,
	                                      region_at(0));
	ASSERT_NE(MAP_FAILED, (void *)bar);
	bar[0x1000 / 4] = 0x5a5a5a5a; // a plain page (edu traps page 0 only)
	uint16_t cmd = cfg16(edu, PCI_COMMAND);
	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY) << "the first open turned decoding on";
	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_MEMORY));

	uint64_t writes = vfio_mock_mmio_writes(EDU_ADDR);
	uint32_t v = 5;
	EXPECT_FALSE(access32(&bar[1], &v, true)) << "a store to the register page: SIGBUS";
	EXPECT_EQ(writes, vfio_mock_mmio_writes(EDU_ADDR)) << "the model saw no store";
	// (the handler left a zero page there: zap the mapping again)
	set_cfg16(edu, PCI_COMMAND, cmd);
	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_MEMORY));
	EXPECT_FALSE(load32(&bar[0], &v)) << "a load from the register page: SIGBUS";
	EXPECT_EQ((uintptr_t)&bar[0], sigbus_addr);
	EXPECT_FALSE(load32(&bar[0x1000 / 4], &v)) << "plain page: SIGBUS";
	EXPECT_ERRNO(EIO, pread(edu, &v, 4, region_at(0, 0)));
	EXPECT_ERRNO(EIO, pwrite(edu, &v, 4, region_at(0, 4)));
	auto *later = (volatile uint32_t *)mmap(nullptr, 0x1000, PROT_READ, MAP_SHARED, edu,
	                                        region_at(0));
	ASSERT_NE(MAP_FAILED, (void *)later) << "mmap itself does not check decoding";
	EXPECT_FALSE(load32(&later[0], &v)) << "a mapping made while decoding is off: SIGBUS";

	set_cfg16(edu, PCI_COMMAND, cmd);
	ASSERT_TRUE(load32(&bar[0], &v));
	EXPECT_EQ(0x010000edu, v) << "the registers answer again through the same mapping";
	ASSERT_TRUE(load32(&later[0], &v));
	EXPECT_EQ(0x010000edu, v);
	ASSERT_TRUE(load32(&bar[0x1000 / 4], &v));
	EXPECT_EQ(0x5a5a5a5au, v) << "the device's memory was not touched";
	bar[1] = 0x1234;
	EXPECT_EQ(~0x1234u, bar[1]) << "stores reach the model again (the page is trapped again)";
	EXPECT_EQ(0, munmap((void *)later, 0x1000));
	EXPECT_EQ(0, munmap((void *)bar, len));
}

// A part of a zapped mapping unmapped: the rest stays zapped (SIGBUS, not a
// fault inside the MMIO trap) and comes back with decoding.
TEST_F(Lifecycle, PartOfAZappedMappingUnmapped)
{
	auto *bar = (volatile uint32_t *)mmap(nullptr, 0x3000, PROT_READ | PROT_WRITE, MAP_SHARED,
	                                      edu, region_at(0));
	ASSERT_NE(MAP_FAILED, (void *)bar);
	uint16_t cmd = cfg16(edu, PCI_COMMAND);
	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_MEMORY));
	ASSERT_EQ(0, munmap((void *)(bar + 0x2000 / 4), 0x1000));
	uint32_t v = 5;
	uint64_t writes = vfio_mock_mmio_writes(EDU_ADDR);
	EXPECT_FALSE(access32(&bar[1], &v, true)) << "the trapped register page: SIGBUS";
	EXPECT_EQ(writes, vfio_mock_mmio_writes(EDU_ADDR))
	    << "raised by the host kernel, not inside the MMIO trap's step";
	set_cfg16(edu, PCI_COMMAND, cmd);
	ASSERT_TRUE(load32(&bar[0], &v));
	EXPECT_EQ(0x010000edu, v);
	EXPECT_EQ(0, munmap((void *)bar, 0x2000));
}

// D10: the first open rebuilds the virtual config (vfio_config_init): what
// the last user wrote is gone, decoding on, bus mastering off.
TEST_F(Lifecycle, TheFirstOpenRebuildsTheVirtualConfig)
{
	unsigned msi = msi_cap(edu);
	ASSERT_NE(0u, msi);
	uint32_t bar0 = cfg32(edu, PCI_BASE_ADDRESS_0);
	uint8_t line = 0;
	ASSERT_EQ(1, pread(edu, &line, 1, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x3c)));
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_EQ(0, set_irq_efds(edu, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	set_cfg16(edu, msi + PCI_MSI_FLAGS, (uint16_t)(cfg16(edu, msi + PCI_MSI_FLAGS) | 1));
	ASSERT_EQ(1, cfg16(edu, msi + PCI_MSI_FLAGS) & 1);
	set_cfg16(edu, PCI_COMMAND,
	          PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	uint32_t ones = 0xffffffff;
	ASSERT_EQ(4, pwrite(edu, &ones, 4, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x10)));
	uint8_t new_line = (uint8_t)(line ^ 0x5a);
	ASSERT_EQ(1, pwrite(edu, &new_line, 1, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x3c)));
	ASSERT_NE(bar0, cfg32(edu, PCI_BASE_ADDRESS_0));

	drop(edu); // the last close
	close(efd);
	edu = device(grp, EDU_ADDR);
	ASSERT_GE(edu, 0);
	EXPECT_EQ(PCI_COMMAND_MEMORY, cfg16(edu, PCI_COMMAND) & 0x7ff)
	    << "decoding on; master and INTx-disable off";
	EXPECT_EQ(0, cfg16(edu, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_EQ(bar0, cfg32(edu, PCI_BASE_ADDRESS_0)) << "the BAR's address, not the sizing value";
	uint8_t now = 0;
	ASSERT_EQ(1, pread(edu, &now, 1, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x3c)));
	EXPECT_EQ(line, now) << "the interrupt line the device had";
}

// F2/I3/I4: COMMAND.INTx-disable masks INTx (a loopback trigger sends
// nothing) and clearing it unmasks, whatever the mask ioctls left; a line
// asserted meanwhile is sent at the unmask.
TEST_F(Lifecycle, IntxDisableMasksAndClearingItUnmasks)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct vfio_mock_device_state st = {};
	uint16_t cmd = cfg16(edu, PCI_COMMAND);
	ASSERT_EQ(0, set_irq_efds(edu, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));

	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_INTX_DISABLE));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(1, st.intx_masked) << "INTx-disable masks";
	EXPECT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(0u, efd_count(efd)) << "no loopback while INTx-disable is set";
	EXPECT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(1, st.intx_masked) << "the unmask ioctl does nothing while INTx-disable is set";

	set_cfg16(edu, PCI_COMMAND, cmd);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.intx_masked) << "clearing INTx-disable unmasks";
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	ASSERT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));

	// masked by the ioctl, then INTx-disable set and cleared: unmasked
	ASSERT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_INTX_DISABLE));
	set_cfg16(edu, PCI_COMMAND, cmd);
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd)) << "the config write's unmask overrides the mask ioctl";

	// the line asserted while INTx-disable is set fires when it is cleared
	ASSERT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	set_cfg16(edu, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_INTX_DISABLE));
	uint32_t raise = 1;
	ASSERT_EQ(4, pwrite(edu, &raise, 4, region_at(0, 0x60))); // edu holds the line
	EXPECT_EQ(0u, efd_count(efd));
	set_cfg16(edu, PCI_COMMAND, cmd);
	EXPECT_EQ(1u, efd_count(efd)) << "sent at the unmask";
	ASSERT_EQ(4, pwrite(edu, &raise, 4, region_at(0, 0x64))); // ack
	EXPECT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	close(efd);
}

// F7: MSI's Multiple Message Capable reads the vectors of the last enable
// (vfio_msi_config_read shows msi_qmax: 0 before any), which outlives a
// close; GET_IRQ_INFO still tells what the device has.
TEST_F(Lifecycle, MsiMultipleMessageCapableReadsTheLastEnable)
{
	int c = -1, g = -1;
	setup_iommu(2, &c, &g);
	int dev = device(g, "0000:00:04.0");
	ASSERT_GE(dev, 0);
	unsigned msi = msi_cap(dev);
	ASSERT_NE(0u, msi);
	EXPECT_EQ(0, cfg16(dev, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_QMASK) << "before any enable";
	struct vfio_irq_info ii = {};
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_MSI_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(4u, ii.count);
	int e[3];
	for (int &x : e)
		x = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {e[0], e[1], e[2]}));
	EXPECT_EQ(2 << 1, cfg16(dev, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_QMASK) << "3 vectors: 4";
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	drop(dev);
	dev = device(g, "0000:00:04.0");
	EXPECT_EQ(2 << 1, cfg16(dev, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_QMASK) << "kept";
	for (int x : e)
		close(x);
}

// D6, M4: a VF has no INTx (count 0, pin 0) and no memory enable of its own
// (no_command_memory): clearing the bit neither zaps nor refuses access.
TEST(LifecycleVf, AVfHasNoIntxAndNoMemoryEnable)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "devices": [
	  { "address": "0000:3b:00.0", "model": "none", "group": 12, "sriov_totalvfs": 1,
	    "pcie": true, "driver": "" },
	  { "address": "0000:3b:00.1", "model": "none", "group": 13, "physfn": "0000:3b:00.0",
	    "pcie": true, "irqs": { "intx": 1, "msix": 2 } } ] })"));
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), g = open("/dev/vfio/13", O_RDWR);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	int vf = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:3b:00.1");
	ASSERT_GE(vf, 0);
	struct vfio_irq_info ii = {};
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(vf, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(0u, ii.count);
	uint8_t pin = 0xff;
	ASSERT_EQ(1, pread(vf, &pin, 1, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 0x3d)));
	EXPECT_EQ(0, pin);
	auto *bar = (volatile uint32_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vf,
	                                      region_at(0));
	ASSERT_NE(MAP_FAILED, (void *)bar);
	uint16_t off = 0;
	ASSERT_EQ(2, pwrite(vf, &off, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND)));
	uint32_t v = 7;
	EXPECT_EQ(4, pwrite(vf, &v, 4, region_at(0, 0)));
	uint32_t got = 0;
	ASSERT_TRUE(load32(&bar[0], &got)) << "no zap on a VF";
	EXPECT_EQ(7u, got);
	munmap((void *)bar, 4096);
	close(vf);
	close(g);
	close(c);
	vfio_mock_reset();
}

// D1: DEVICE_GET_INFO writes cap_offset (0: no capabilities) when argsz has
// room for it, and leaves the caller's bytes alone when it has not.
TEST_F(Lifecycle, DeviceInfoWritesCapOffset)
{
	struct vfio_device_info di;
	memset(&di, 0xa5, sizeof(di));
	di.argsz = sizeof(di);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(0u, di.cap_offset);
	memset(&di, 0xa5, sizeof(di));
	di.argsz = offsetof(struct vfio_device_info, cap_offset);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(0xa5a5a5a5u, di.cap_offset) << "not the kernel's to write";
	EXPECT_EQ((uint32_t)VFIO_PCI_NUM_IRQS, di.num_irqs);
}
