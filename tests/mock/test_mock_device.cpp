// SPDX-License-Identifier: BSD-3-Clause
// test_mock_device.cpp - device fds: GET_INFO, region info (sparse-mmap cap
// protocol), config space, BAR read/write/mmap rules, reset, and the edu model
// through its registers (mmap'd and trapped, and via pread/pwrite).
#include "mock_test_util.h"

#include <chrono>
#include <thread>

static off_t region(unsigned index, uint64_t off = 0)
{
	return (off_t)(((uint64_t)index << 40) | off);
}

class Device : public MockTest
{
      protected:
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(1, &cont, &grp1);
		int c2 = open_container();
		grp2 = open_group(2);
		ASSERT_EQ(0, ioctl(grp2, VFIO_GROUP_SET_CONTAINER, &c2));
		ASSERT_EQ(0, ioctl(c2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
		edu = device(grp1, EDU_ADDR);
		plain = device(grp2, "0000:00:04.0");
		ASSERT_GE(edu, 0);
		ASSERT_GE(plain, 0);
	}
	vfio_region_info rinfo(int dev, unsigned index)
	{
		vfio_region_info r = {};
		r.argsz = sizeof(r);
		r.index = index;
		EXPECT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r)) << index;
		return r;
	}
	uint16_t cfg16(int dev, unsigned off)
	{
		uint16_t v = 0;
		EXPECT_EQ(2, pread(dev, &v, 2, region(VFIO_PCI_CONFIG_REGION_INDEX, off)));
		return v;
	}
	int cont = -1, grp1 = -1, grp2 = -1, edu = -1, plain = -1;
};

TEST_F(Device, Info)
{
	vfio_device_info i = {};
	i.argsz = sizeof(i);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_GET_INFO, &i));
	EXPECT_EQ((uint32_t)VFIO_DEVICE_FLAGS_PCI, i.flags) << "QEMU's edu has no function reset";
	EXPECT_EQ(9u, i.num_regions);
	EXPECT_EQ(5u, i.num_irqs);
	i.argsz = 8;
	EXPECT_ERRNO(EINVAL, ioctl(edu, VFIO_DEVICE_GET_INFO, &i));
	EXPECT_ERRNO(ENOTTY, ioctl(edu, _IO(VFIO_TYPE, VFIO_BASE + 60)));
}

TEST_F(Device, RegionInfo)
{
	vfio_region_info r = rinfo(edu, 0);
	EXPECT_EQ(0x100000u, r.size);
	EXPECT_EQ(0u, r.offset);
	EXPECT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
	                     VFIO_REGION_INFO_FLAG_MMAP),
	          r.flags);
	r = rinfo(edu, 1);
	EXPECT_EQ(0u, r.size);
	EXPECT_EQ(0u, r.flags);
	EXPECT_EQ(1ull << 40, r.offset);
	r = rinfo(edu, VFIO_PCI_CONFIG_REGION_INDEX);
	EXPECT_EQ(256u, r.size);
	EXPECT_EQ(7ull << 40, r.offset);
	EXPECT_EQ(4096u, rinfo(plain, VFIO_PCI_CONFIG_REGION_INDEX).size) << "PCIe";
	EXPECT_EQ(0u, rinfo(edu, VFIO_PCI_ROM_REGION_INDEX).size);
	r = {};
	r.argsz = sizeof(r);
	r.index = VFIO_PCI_VGA_REGION_INDEX;
	EXPECT_ERRNO(EINVAL, ioctl(edu, VFIO_DEVICE_GET_REGION_INFO, &r)); // not a VGA device
	r.index = 9;
	EXPECT_ERRNO(EINVAL, ioctl(edu, VFIO_DEVICE_GET_REGION_INFO, &r));
	r.index = 0;
	r.argsz = 16;
	EXPECT_ERRNO(EINVAL, ioctl(edu, VFIO_DEVICE_GET_REGION_INFO, &r));
	r = rinfo(plain, 2);
	EXPECT_EQ((uint32_t)(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE), r.flags);
}

// BAR0 of the plain device also holds its MSI-X table: sparse cap, then MSIX_MAPPABLE
TEST_F(Device, SparseMmapCapability)
{
	vfio_region_info r = rinfo(plain, 0);
	EXPECT_TRUE(r.flags & VFIO_REGION_INFO_FLAG_CAPS);
	EXPECT_EQ(0u, r.cap_offset);
	ASSERT_EQ(sizeof(r) + 16 + 2 * 16 + 8, r.argsz);
	std::vector<uint8_t> buf(r.argsz);
	auto *full = (vfio_region_info *)buf.data();
	full->argsz = r.argsz;
	ASSERT_EQ(0, ioctl(plain, VFIO_DEVICE_GET_REGION_INFO, full));
	ASSERT_EQ(sizeof(r), full->cap_offset);
	vfio_region_info_cap_sparse_mmap sp;
	memcpy(&sp, buf.data() + full->cap_offset, sizeof(sp));
	EXPECT_EQ(VFIO_REGION_INFO_CAP_SPARSE_MMAP, sp.header.id);
	ASSERT_EQ(sizeof(r) + 16 + 2 * 16, sp.header.next);
	vfio_info_cap_header msix;
	memcpy(&msix, buf.data() + sp.header.next, sizeof(msix));
	EXPECT_EQ(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, msix.id);
	EXPECT_EQ(0u, msix.next);
	ASSERT_EQ(2u, sp.nr_areas);
	vfio_region_sparse_mmap_area a[2];
	memcpy(a, buf.data() + full->cap_offset + sizeof(sp), sizeof(a));
	EXPECT_EQ(0x2000u, a[1].offset);
	EXPECT_EQ(0x2000u, a[1].size);
}

TEST_F(Device, MmapRules)
{
	const int rw = PROT_READ | PROT_WRITE;
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, rw, MAP_PRIVATE, edu, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 0x101000, rw, MAP_SHARED, edu, 0)); // too long
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, rw, MAP_SHARED, edu, region(1)));
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, rw, MAP_SHARED, edu, region(6)));
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 4096, rw, MAP_SHARED, edu, region(7)));
	EXPECT_EQ(MAP_FAILED,
	          mmap(nullptr, 4096, rw, MAP_SHARED, plain, region(2))); // no MMAP flag
	EXPECT_EQ(MAP_FAILED,
	          mmap(nullptr, 4096, rw, MAP_SHARED, plain, region(0, 0x1000))); // hole
	EXPECT_EQ(MAP_FAILED, mmap(nullptr, 0x4000, rw, MAP_SHARED, plain, 0));   // spans the hole
	EXPECT_EQ(EINVAL, errno);
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.bar_maps) << "failed mmaps leave nothing";

	auto *p =
	    (volatile uint32_t *)mmap(nullptr, 0x2000, rw, MAP_SHARED, plain, region(0, 0x2000));
	ASSERT_NE(MAP_FAILED, (void *)p);
	p[0x45] = 0x1234abcd; // plain memory behind the "none" model (after its MSI-X table)
	uint32_t v = 0;
	ASSERT_EQ(4, pread(plain, &v, 4, region(0, 0x2114)));
	EXPECT_EQ(0x1234abcdu, v);
	vfio_mock_leaks(&l);
	EXPECT_EQ(1u, l.bar_maps);
	EXPECT_EQ(0, munmap((void *)p, 0x2000));
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.bar_maps);
}

TEST_F(Device, RegionReadWriteBounds)
{
	uint64_t v = 0;
	EXPECT_ERRNO(EINVAL, pread(edu, &v, 4, region(0, 0x100000)));
	EXPECT_EQ(4, pread(edu, &v, 8, region(0, 0xffffc))) << "clipped at the BAR end";
	EXPECT_ERRNO(EINVAL, pread(edu, &v, 4, region(1)));
	EXPECT_ERRNO(EINVAL, pread(edu, &v, 4, region(8)));
	// config space (6.1 vfio_config_do_rw): past the end is EFAULT, never clipped
	EXPECT_ERRNO(EFAULT, pread(edu, &v, 4, region(7, 256)));
	EXPECT_ERRNO(EFAULT, pread(edu, &v, 8, region(7, 252)));
	uint8_t all[4096];
	EXPECT_ERRNO(EFAULT, pread(edu, all, sizeof(all), region(7, 0))); // 256-byte config
	EXPECT_EQ(256, pread(edu, all, 256, region(7, 0)));
	EXPECT_EQ(4096, pread(plain, all, sizeof(all), region(7, 0))) << "PCIe: 4096 bytes";
	EXPECT_EQ(4, pread(plain, &v, 4, region(7, 0xffc)));
	EXPECT_EQ(0, pread(edu, &v, 0, region(7, 9999))) << "count 0: nothing checked";
	uint16_t cmd = 0; // memory decoding off: BAR access is EIO
	ASSERT_EQ(2, pwrite(edu, &cmd, 2, region(7, 4)));
	EXPECT_ERRNO(EIO, pread(edu, &v, 4, region(0, 0)));
	EXPECT_ERRNO(EIO, pwrite(edu, &v, 4, region(0, 4)));
	EXPECT_EQ(2, pread(edu, &cmd, 2, region(7, 4))) << "config space still works";
}

TEST_F(Device, ConfigSpace)
{
	EXPECT_EQ(0x1234, cfg16(edu, 0));
	EXPECT_EQ(0x11e8, cfg16(edu, 2));
	uint32_t cls = 0;
	ASSERT_EQ(4, pread(edu, &cls, 4, region(7, 8)));
	EXPECT_EQ(0x00ff0010u, cls); // class 00ff00, revision 0x10
	EXPECT_EQ(0x1af4, cfg16(edu, 0x2c));
	EXPECT_EQ(0x0002, cfg16(edu, 4)) << "memory decoding on after open";
	EXPECT_TRUE(cfg16(edu, 6) & 0x10) << "capability list";
	uint8_t cap = 0, id = 0;
	ASSERT_EQ(1, pread(edu, &cap, 1, region(7, 0x34)));
	ASSERT_EQ(1, pread(edu, &id, 1, region(7, cap)));
	EXPECT_EQ(0x05, id) << "MSI";
	// the plain device: MSI -> MSI-X -> PCIe
	std::vector<uint8_t> ids;
	ASSERT_EQ(1, pread(plain, &cap, 1, region(7, 0x34)));
	while (cap) {
		uint8_t hdr[2];
		ASSERT_EQ(2, pread(plain, hdr, 2, region(7, cap)));
		ids.push_back(hdr[0]);
		cap = hdr[1];
	}
	EXPECT_EQ((std::vector<uint8_t>{0x05, 0x11, 0x10}), ids);

	uint16_t cmd = 0xffff;
	ASSERT_EQ(2, pwrite(edu, &cmd, 2, region(7, 4)));
	EXPECT_EQ(0x0407, cfg16(edu, 4)) << "only I/O, memory, master, INTx-disable are writable";
	uint16_t vid = 0;
	ASSERT_EQ(2, pwrite(edu, &vid, 2, region(7, 0)));
	EXPECT_EQ(0x1234, cfg16(edu, 0)) << "read-only";
	uint32_t ones = 0xffffffff, bar = 0;
	ASSERT_EQ(4, pwrite(edu, &ones, 4, region(7, 0x10)));
	ASSERT_EQ(4, pread(edu, &bar, 4, region(7, 0x10)));
	EXPECT_EQ(0xfff00000u, bar) << "BAR sizing: 1 MiB";
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0x0407, st.command);
}

TEST_F(Device, EduRegistersThroughTheTrap)
{
	auto *bar =
	    (volatile uint8_t *)mmap(nullptr, 0x100000, PROT_READ | PROT_WRITE, MAP_SHARED, edu, 0);
	ASSERT_NE(MAP_FAILED, (void *)bar);
	auto r32 = [&](unsigned off) { return *(volatile uint32_t *)(bar + off); };
	auto w32 = [&](unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; };
	EXPECT_EQ(0x010000edu, r32(0));
	w32(4, 0x0f0f0f0f);
	EXPECT_EQ(0xf0f0f0f0u, r32(4));
	w32(8, 12);
	for (int i = 0; i < 1000 && (r32(0x20) & 1); i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	EXPECT_EQ(0u, r32(0x20) & 1);
	EXPECT_EQ(479001600u, r32(8));
	EXPECT_EQ(0xffffffffu, r32(0x40)) << "unknown register reads all ones";
	// pages beyond the register page are plain memory
	*(volatile uint64_t *)(bar + 0x5000) = 42;
	uint64_t v = 0;
	ASSERT_EQ(8, pread(edu, &v, 8, region(0, 0x5000)));
	EXPECT_EQ(42u, v);
	EXPECT_EQ(0, munmap((void *)bar, 0x100000));
}

TEST_F(Device, EduDmaNeedsBusMasterAndTheWindow)
{
	auto *mem = (uint8_t *)mmap(nullptr, 0x2000, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(mem, 0x5a, 0x1000);
	memset(mem + 0x1000, 0, 0x1000);
	ASSERT_EQ(0, map_dma(cont, mem, 0x200000, 0x2000));
	auto w64 = [&](unsigned off, uint64_t v) {
		ASSERT_EQ(8, pwrite(edu, &v, 8, region(0, off)));
	};
	auto idle = [&] {
		uint64_t cmd = 1;
		for (int i = 0; i < 2000 && (cmd & 1); i++) {
			ASSERT_EQ(8, pread(edu, &cmd, 8, region(0, 0x98)));
			std::this_thread::sleep_for(std::chrono::microseconds(200));
		}
		EXPECT_EQ(0u, cmd & 1);
	};
	vfio_mock_clear_iommu_faults();
	// bus mastering off: silently dropped (no data, no IOMMU fault)
	w64(0x80, 0x200000);
	w64(0x88, 0x40000);
	w64(0x90, 0x100);
	w64(0x98, 1);
	idle();
	w64(0x80, 0x40000);
	w64(0x88, 0x201000);
	w64(0x90, 0x100);
	w64(0x98, 3);
	idle();
	EXPECT_EQ(0, mem[0x1000]);
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	uint16_t cmd = 0x6;
	ASSERT_EQ(2, pwrite(edu, &cmd, 2, region(7, 4)));
	// full 4 KiB window (QEMU 7.2 would abort here; the mock does not)
	w64(0x80, 0x200000);
	w64(0x88, 0x40000);
	w64(0x90, 0x1000);
	w64(0x98, 1);
	idle();
	w64(0x80, 0x40000);
	w64(0x88, 0x201000);
	w64(0x98, 3);
	idle();
	EXPECT_EQ(0x5a, mem[0x1000]);
	EXPECT_EQ(0x5a, mem[0x1fff]);
	// out of the window: refused, nothing transferred
	memset(mem + 0x1000, 0, 0x1000);
	w64(0x80, 0x40800);
	w64(0x90, 0x1000);
	w64(0x98, 3);
	idle();
	EXPECT_EQ(0, mem[0x1000]);
	// unmapped IOVA: an IOMMU fault, nothing written
	w64(0x80, 0x40000);
	w64(0x88, 0x300000);
	w64(0x90, 0x10);
	w64(0x98, 3);
	idle();
	vfio_mock_iommu_fault f;
	ASSERT_EQ(1u, vfio_mock_iommu_faults(&f, 1));
	EXPECT_EQ(0x300000u, f.iova);
	EXPECT_EQ(16u, f.len);
	ASSERT_EQ(0, unmap_dma(cont, 0x200000, 0x2000));
	munmap(mem, 0x2000);
}

// QEMU's edu has no reset: VFIO_DEVICE_RESET is EINVAL, and what the
// program wrote is still there after the last close (as in the VM).
TEST_F(Device, EduHasNoResetAndKeepsItsRegisters)
{
	uint32_t v = 0x11111111, r = 0;
	ASSERT_EQ(4, pwrite(edu, &v, 4, region(0, 4)));
	EXPECT_ERRNO(EINVAL, ioctl(edu, VFIO_DEVICE_RESET));
	drop(edu);
	edu = device(grp1, EDU_ADDR);
	ASSERT_GE(edu, 0);
	ASSERT_EQ(4, pread(edu, &r, 4, region(0, 4)));
	EXPECT_EQ(~v, r) << "no reset at last close or at open";
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0u, st.resets);
}

// A device with a function reset (edu's registers, "reset": true).
class DeviceWithReset : public Device
{
	const char *scenario() override
	{
		return R"({ "devices": [
		  { "address": "0000:00:03.0", "model": "edu", "group": 1, "reset": true },
		  { "address": "0000:00:04.0", "model": "none", "group": 2 } ] })";
	}
};

TEST_F(DeviceWithReset, ResetAndLastCloseDisable)
{
	uint32_t v = 0x11111111, r = 0;
	vfio_device_info i = {};
	i.argsz = sizeof(i);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_GET_INFO, &i));
	EXPECT_EQ((uint32_t)(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET), i.flags);
	ASSERT_EQ(4, pwrite(edu, &v, 4, region(0, 4)));
	ASSERT_EQ(4, pread(edu, &r, 4, region(0, 4)));
	EXPECT_EQ(~v, r);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_RESET));
	ASSERT_EQ(4, pread(edu, &r, 4, region(0, 4)));
	EXPECT_EQ(0u, r) << "registers back to power-on values";
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(1u, st.resets);
	EXPECT_EQ(1, st.open_count);
	uint16_t cmd = 0x6;
	ASSERT_EQ(2, pwrite(edu, &cmd, 2, region(7, 4)));
	int second = device(grp1, EDU_ADDR);
	ASSERT_GE(second, 0);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(2, st.open_count);
	drop(second);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0x6, st.command) << "another fd is still open";
	drop(edu);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.open_count);
	EXPECT_EQ(0, st.command & 0x4) << "bus master off after the last close";
}

class DeviceNoReset : public MockTest
{
	const char *scenario() override
	{
		return R"({ "devices": [ { "address": "0000:00:05.0", "model": "none", "reset": false } ] })";
	}
};

TEST_F(DeviceNoReset, ResetIsEinval)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int d = device(g, "0000:00:05.0");
	ASSERT_GE(d, 0);
	vfio_device_info i = {};
	i.argsz = sizeof(i);
	ASSERT_EQ(0, ioctl(d, VFIO_DEVICE_GET_INFO, &i));
	EXPECT_EQ((uint32_t)VFIO_DEVICE_FLAGS_PCI, i.flags);
	EXPECT_ERRNO(EINVAL, ioctl(d, VFIO_DEVICE_RESET));
}

// 64-bit prefetchable BARs (real OFS cards: BAR0/2/4): type bits 0x4 | 0x8,
// BAR n+1 holds the upper half of the address, sizing covers both halves.
class DeviceBar64 : public MockTest
{
	const char *scenario() override
	{
		return R"({ "devices": [ { "address": "0000:00:05.0", "model": "none",
		  "bars": [ { "index": 0, "size": "0x20000000", "64bit": true, "prefetchable": true },
		            { "index": 2, "size": "0x4000", "64bit": true },
		            { "index": 4, "size": "0x1000" } ] } ] })";
	}
};

TEST_F(DeviceBar64, TypeBitsUpperHalvesAndSizing)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int d = device(g, "0000:00:05.0");
	ASSERT_GE(d, 0);
	uint32_t bar[6] = {};
	ASSERT_EQ(24, pread(d, bar, 24, region(7, 0x10)));
	// the addresses the fake firmware assigned, as sysfs "resource" lists them
	FILE *f = fopen("/sys/bus/pci/devices/0000:00:05.0/resource", "r");
	ASSERT_NE(nullptr, f);
	unsigned long long start[6] = {}, end, flags;
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(3, fscanf(f, "%llx %llx %llx", &start[i], &end, &flags));
	fclose(f);
	EXPECT_GT(start[0], 0xffffffffULL) << "512 MiB: above 4 GiB";
	EXPECT_EQ((uint32_t)start[0] | 0xcu, bar[0]) << "64-bit prefetchable memory BAR";
	EXPECT_EQ((uint32_t)(start[0] >> 32), bar[1]) << "upper half of BAR0";
	EXPECT_EQ((uint32_t)start[2] | 0x4u, bar[2]) << "64-bit, not prefetchable";
	EXPECT_EQ((uint32_t)(start[2] >> 32), bar[3]);
	EXPECT_EQ((uint32_t)start[4], bar[4]) << "32-bit";
	EXPECT_EQ(0u, bar[5]);

	uint32_t ones[6] = {~0u, ~0u, ~0u, ~0u, ~0u, ~0u}, sized[6] = {};
	ASSERT_EQ(24, pwrite(d, ones, 24, region(7, 0x10)));
	ASSERT_EQ(24, pread(d, sized, 24, region(7, 0x10)));
	EXPECT_EQ(0xe000000cu, sized[0]) << "~(512 MiB - 1) | type bits";
	EXPECT_EQ(0xffffffffu, sized[1]) << "a BAR under 4 GiB: the upper half is all address";
	EXPECT_EQ(0xffffc004u, sized[2]);
	EXPECT_EQ(0xffffffffu, sized[3]);
	EXPECT_EQ(0xfffff000u, sized[4]);
	EXPECT_EQ(0u, sized[5]);
	ASSERT_EQ(24, pwrite(d, bar, 24, region(7, 0x10)));
	uint32_t back[6] = {};
	ASSERT_EQ(24, pread(d, back, 24, region(7, 0x10)));
	EXPECT_EQ(0, memcmp(bar, back, sizeof(bar))) << "the addresses written back";
}
