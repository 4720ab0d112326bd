// SPDX-License-Identifier: BSD-3-Clause
// test_mock_msix.cpp - MSI-X as Linux 6.1 vfio-pci shows it: the MSIX_MAPPABLE
// region capability of the table's BAR, 0xff reads / dropped writes through
// region read/write over the table, the whole BAR mmap-able, the table as the
// kernel programs it, per-vector delivery, pending bits for masked vectors
// (delivered when an eventfd is attached again), NORESIZE, and reset/close.
#include "mock_test_util.h"

#include <array>

namespace
{

#define MSIX_ADDR "0000:00:05.0"

// A plain device whose 16 KiB BAR0 holds the 8-entry table at 0x2000 and the
// PBA at 0x3000 (the QEMU NVMe layout); the second device has MSI-X in a BAR
// that cannot be mmap'd (no capability then).
const char kMsixScenario[] = R"({ "devices": [
  { "address": "0000:00:05.0", "model": "none", "group": 3, "pcie": true,
    "bars": [ { "index": 0, "size": "0x4000", "mmap": true } ],
    "irqs": { "intx": 1, "msi": 0, "msix": 8, "err": 1, "req": 1 } },
  { "address": "0000:00:06.0", "model": "none", "group": 4,
    "bars": [ { "index": 0, "size": "0x4000", "mmap": false } ],
    "irqs": { "intx": 0, "msi": 0, "msix": 2, "req": 1 } } ] })";

constexpr uint64_t kTable = 0x2000, kPba = 0x3000;
constexpr unsigned kVectors = 8;

class Msix : public MockTest
{
      protected:
	const char *scenario() override
	{
		return kMsixScenario;
	}
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(3, &cont, &grp);
		dev = device(grp, MSIX_ADDR);
		ASSERT_GE(dev, 0);
		for (int &e : efd)
			e = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
		bar = (uint8_t *)mmap(nullptr, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
		ASSERT_NE(MAP_FAILED, (void *)bar) << "the whole BAR, table included, is mmap-able";
	}
	void TearDown() override
	{
		if (bar && bar != MAP_FAILED)
			munmap(bar, 0x4000);
		MockTest::TearDown();
	}
	uint32_t ent(unsigned v, unsigned word)
	{
		uint32_t x;
		memcpy(&x, bar + kTable + 16 * v + 4 * word, 4);
		return x;
	}
	uint64_t pba_mmap()
	{
		uint64_t x;
		memcpy(&x, bar + kPba, 8);
		return x;
	}
	uint64_t pba_pread()
	{
		uint64_t x = 0;
		EXPECT_EQ(8, pread(dev, &x, 8, kPba));
		return x;
	}
	// eventfd counts of every vector (reading resets them)
	std::array<uint64_t, 4> counts()
	{
		std::array<uint64_t, 4> c;
		for (unsigned i = 0; i < 4; i++)
			c[i] = efd_count(efd[i]);
		return c;
	}
	int cont = -1, grp = -1, dev = -1;
	std::array<int, 4> efd{};
	uint8_t *bar = nullptr;
};

using C = std::array<uint64_t, 4>;

} // namespace

TEST_F(Msix, CapabilityAndIrqInfoAgree)
{
	uint8_t pos = 0, id = 0;
	uint16_t flags = 0;
	uint32_t table = 0, pba = 0;
	ASSERT_EQ(1, pread(dev, &pos, 1, (7ull << 40) + 0x34));
	while (pos) {
		ASSERT_EQ(1, pread(dev, &id, 1, (7ull << 40) + pos));
		if (id == 0x11)
			break;
		ASSERT_EQ(1, pread(dev, &pos, 1, (7ull << 40) + pos + 1));
	}
	ASSERT_EQ(0x11, id);
	ASSERT_EQ(2, pread(dev, &flags, 2, (7ull << 40) + pos + 2));
	ASSERT_EQ(4, pread(dev, &table, 4, (7ull << 40) + pos + 4));
	ASSERT_EQ(4, pread(dev, &pba, 4, (7ull << 40) + pos + 8));
	EXPECT_EQ(kVectors - 1, flags & 0x7ffu);
	EXPECT_EQ(kTable, table) << "BIR 0, offset 0x2000";
	EXPECT_EQ(kPba, pba);
	vfio_irq_info info = {};
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(kVectors, info.count);
	EXPECT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE), info.flags);
}

// vfio_pci_ioctl_get_region_info: the first call (argsz 32) says CAPS and
// asks for 40 bytes; the second gets one 8-byte MSIX_MAPPABLE header.
TEST_F(Msix, RegionInfoReportsMsixMappable)
{
	vfio_region_info r = {};
	r.argsz = sizeof(r);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
	                     VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS),
	          r.flags);
	EXPECT_EQ(40u, r.argsz);
	EXPECT_EQ(0u, r.cap_offset);
	EXPECT_EQ(0x4000u, r.size);

	std::vector<uint8_t> buf(40);
	auto *full = (vfio_region_info *)buf.data();
	full->argsz = 40;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, full));
	ASSERT_EQ(32u, full->cap_offset);
	vfio_info_cap_header h;
	memcpy(&h, buf.data() + 32, sizeof(h));
	EXPECT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, h.id);
	EXPECT_EQ(1, h.version);
	EXPECT_EQ(0u, h.next);

	// other BARs, and an MSI-X BAR that cannot be mmap'd, have no capability
	r = {};
	r.argsz = sizeof(r);
	r.index = 1;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(0u, r.flags);
	int g4 = open_group(4);
	ASSERT_GE(g4, 0);
	ASSERT_EQ(0, ioctl(g4, VFIO_GROUP_SET_CONTAINER, &cont));
	int other = device(g4, "0000:00:06.0");
	ASSERT_GE(other, 0);
	r = {};
	r.argsz = sizeof(r);
	ASSERT_EQ(0, ioctl(other, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE), r.flags);
	EXPECT_EQ(32u, r.argsz);
}

// vfio_pci_bar_rw: [table, table + 16 * N) reads 0xff and drops writes; the
// PBA and the rest of the BAR are the device's.
TEST_F(Msix, RegionReadWriteOverTheTable)
{
	std::vector<uint8_t> in(16 * kVectors, 0), pattern(16 * kVectors, 0x5a);
	ASSERT_EQ((ssize_t)in.size(), pread(dev, in.data(), in.size(), kTable));
	for (uint8_t b : in)
		ASSERT_EQ(0xff, b);
	EXPECT_EQ(1u, ent(0, 3)) << "the real entry is masked at power-on";
	ASSERT_EQ((ssize_t)pattern.size(), pwrite(dev, pattern.data(), pattern.size(), kTable));
	EXPECT_EQ(1u, ent(0, 3)) << "pwrite into the table is dropped";
	EXPECT_EQ(0u, ent(7, 0));

	// straddling the table's start and end: device bytes outside, 0xff inside
	memset(bar + kTable - 8, 0x11, 8);
	memset(bar + kTable + 16 * kVectors, 0x22, 8);
	std::vector<uint8_t> span(16 * kVectors + 16);
	ASSERT_EQ((ssize_t)span.size(), pread(dev, span.data(), span.size(), kTable - 8));
	EXPECT_EQ(0x11, span[0]);
	EXPECT_EQ(0x11, span[7]);
	EXPECT_EQ(0xff, span[8]);
	EXPECT_EQ(0xff, span[8 + 16 * kVectors - 1]);
	EXPECT_EQ(0x22, span[8 + 16 * kVectors]);
	std::vector<uint8_t> ones(span.size(), 0x33);
	ASSERT_EQ((ssize_t)ones.size(), pwrite(dev, ones.data(), ones.size(), kTable - 8));
	EXPECT_EQ(0x33, bar[kTable - 1]);
	EXPECT_EQ(0x33, bar[kTable + 16 * kVectors]);
	EXPECT_EQ(1u, ent(0, 3));
	EXPECT_EQ(0u, pba_pread()) << "the PBA reads through (nothing pending)";
}

TEST_F(Msix, KernelProgramsOnlyVectorsWithAnEventfd)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1], -1, efd[3]}));
	for (unsigned v : {0u, 1u, 3u}) {
		EXPECT_EQ(0u, ent(v, 3)) << "vector " << v << " unmasked";
		EXPECT_EQ(0xfee00018u, ent(v, 0) & 0xfff0001fu) << "remappable-format address";
		EXPECT_EQ(0u, ent(v, 2));
	}
	EXPECT_NE(ent(0, 0), ent(1, 0)) << "one remapping handle per vector";
	EXPECT_EQ(1u, ent(2, 3)) << "allocated without an eventfd: masked";
	for (unsigned v = 4; v < kVectors; v++)
		EXPECT_EQ(1u, ent(v, 3)) << "beyond the enabled count: masked";
	uint16_t ctl = 0;
	ASSERT_EQ(2, pread(dev, &ctl, 2, (7ull << 40) + 0x42));
	EXPECT_EQ(0x8000 | (kVectors - 1), ctl) << "MSI-X enable bit set by the kernel";
}

TEST_F(Msix, EachVectorReachesItsOwnEventfdOnly)
{
	ASSERT_EQ(0,
	          set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1], efd[2], efd[3]}));
	for (unsigned v = 0; v < 4; v++) {
		ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, v));
		C want{};
		want[v] = 1;
		EXPECT_EQ(want, counts()) << "vector " << v;
	}
	// a vector the kernel did not allocate (index enabled with 4): masked, pending
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 6));
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(1ull << 6, pba_pread());
	EXPECT_EQ(1ull << 6, pba_mmap());
	// the software trigger (DATA_NONE) goes to the eventfd, not through the device
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 2, 1));
	EXPECT_EQ((C{0, 0, 1, 0}), counts());
}

// 6.1 detaches with free_irq: the entry is masked, a message raised meanwhile
// stays pending and is delivered once an eventfd is attached again (no write
// to IOVA 0, unlike MSI).
TEST_F(Msix, DetachedVectorPendsAndFiresOnReattach)
{
	vfio_mock_clear_iommu_faults();
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1]}));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 1, {-1}));
	EXPECT_EQ(1u, ent(1, 3));
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(2ull, pba_pread());
	vfio_mock_iommu_fault f[2];
	EXPECT_EQ(0u, vfio_mock_iommu_faults(f, 2)) << "MSI-X does not write to IOVA 0";
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 1, {efd[2]}));
	EXPECT_EQ((C{0, 0, 1, 0}), counts()) << "one pending message, to the new eventfd";
	EXPECT_EQ(0ull, pba_pread());
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ((C{0, 0, 1, 0}), counts());
}

TEST_F(Msix, ProgramMaskingOrRewritingAnEntryThroughItsMmap)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1]}));
	uint32_t one = 1, junk = 0x1234;
	memcpy(bar + kTable + 16 * 0 + 12, &one, 4); // mask vector 0 in hardware
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(1ull, pba_pread());
	memcpy(bar + kTable + 16 * 1 + 8, &junk, 4); // a data word the IOMMU does not know
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ(C{}, counts()) << "blocked by interrupt remapping";
	// the kernel reprograms the entries when it touches the index again
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1]}));
	EXPECT_EQ((C{1, 0, 0, 0}), counts()) << "vector 0 was pending";
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ((C{0, 1, 0, 0}), counts());
}

TEST_F(Msix, NoResizeMaskAndDisable)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1], efd[2]}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 3, {efd[3]}));
	EXPECT_ERRNO(ENOTTY,
	             set_irq_none(dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	EXPECT_ERRNO(ENOTTY,
	             set_irq_none(dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	// disable: every entry masked, the device sends nothing and pends nothing
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	for (unsigned v = 0; v < kVectors; v++)
		EXPECT_EQ(1u, ent(v, 3) & 1) << v;
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(0ull, pba_pread()) << "MSI-X Enable clear: no message, no pending bit";
	uint16_t ctl = 0;
	ASSERT_EQ(2, pread(dev, &ctl, 2, (7ull << 40) + 0x42));
	EXPECT_EQ(kVectors - 1, ctl);
	// growing = disable + enable with the larger count
	ASSERT_EQ(0,
	          set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1], efd[2], efd[3]}));
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	EXPECT_EQ((C{0, 0, 0, 1}), counts());
}

// VFIO_DEVICE_RESET: the FLR clears the device's table and PBA, vfio-pci
// restores the programmed entries, the IRQ setup is kept.
TEST_F(Msix, ResetKeepsTheIrqSetupAndClearsPending)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], -1}));
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ(2ull, pba_pread());
	uint32_t before = ent(0, 0);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
	EXPECT_EQ(0ull, pba_pread());
	EXPECT_EQ(before, ent(0, 0));
	EXPECT_EQ(0u, ent(0, 3));
	ASSERT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	EXPECT_EQ((C{1, 0, 0, 0}), counts());
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 1, {efd[1]}));
	EXPECT_EQ(C{}, counts()) << "the reset dropped the pending message";
}

TEST_F(Msix, LastCloseMasksEverything)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd[0], efd[1]}));
	ASSERT_EQ(0, munmap(bar, 0x4000));
	bar = nullptr;
	drop(dev);
	dev = device(grp, MSIX_ADDR);
	ASSERT_GE(dev, 0);
	bar = (uint8_t *)mmap(nullptr, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	ASSERT_NE(MAP_FAILED, (void *)bar);
	EXPECT_EQ(1u, ent(0, 3));
	EXPECT_EQ(1u, ent(1, 3));
	EXPECT_EQ(0, vfio_mock_raise_irq(MSIX_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(0ull, pba_pread());
}

// A model's vectors as the program sees them: the dfl-fpga PF has its table
// in BAR0's second-to-last page, and BAR0 reports the capability.
TEST(MsixDflFpga, TableInBar0AndCapability)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "devices": [
	  { "address": "0000:3b:00.0", "model": "dfl-fpga", "group": 12 } ] })"));
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/12", O_RDWR);
	ASSERT_GE(c, 0);
	ASSERT_GE(g, 0);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	int d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:3b:00.0");
	ASSERT_GE(d, 0);
	vfio_region_info r = {};
	r.argsz = sizeof(r);
	ASSERT_EQ(0, ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_TRUE(r.flags & VFIO_REGION_INFO_FLAG_CAPS);
	EXPECT_EQ(40u, r.argsz);
	uint32_t table = 0, pba = 0;
	ASSERT_EQ(4, pread(d, &table, 4, (7ull << 40) + 0x54)); // MSI at 0x40, MSI-X at 0x50
	ASSERT_EQ(4, pread(d, &pba, 4, (7ull << 40) + 0x58));
	EXPECT_EQ(0xfe000u, table);
	EXPECT_EQ(0xff000u, pba);
	uint64_t dfh = 0;
	ASSERT_EQ(8, pread(d, &dfh, 8, 0xfe000));
	EXPECT_EQ(~0ull, dfh) << "a register dump through pread sees 0xff over the table";
	close(d);
	close(g);
	close(c);
	vfio_mock_reset();
}
