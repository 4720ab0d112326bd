// SPDX-License-Identifier: BSD-3-Clause
// test_mock_dfl_irq.cpp - the dfl-fpga model's MSI-X through the mock kernel,
// as a plugin will use it: user vectors raised by the AFU (IRQ_RAISE, and
// DONE_IRQ when an NLB0 copy completes), the FME error-injection interrupt on
// vector 6 (opaevfiotest's sequence), each on its own eventfd only, a
// detached vector pending in the PBA at the end of BAR0, and the VF's vectors.
#include "mock_test_util.h"

#include <chrono>
#include <poll.h>
#include <thread>

namespace
{

constexpr uint64_t kAfu = 0x60000, kGerr = 0x4000, kTable = 0xfe000, kPba = 0xff000;

class DflIrq : public MockTest
{
      protected:
	const char *scenario() override
	{
		return VFIOMOCK_SCENARIOS "/dfl-demo.json";
	}
	void open_dev(unsigned group, const char *addr, size_t bar_size, unsigned nvec)
	{
		setup_iommu(group, &cont, &grp);
		if (group == 13) { // the VF: the PF must present the VF token first
			int pg = open_group(12);
			ASSERT_GE(pg, 0);
			ASSERT_EQ(0, ioctl(pg, VFIO_GROUP_SET_CONTAINER, &cont));
			int pf = device(pg, "0000:3b:00.0");
			ASSERT_GE(pf, 0);
			alignas(8) uint8_t req[sizeof(vfio_device_feature) + 16] = {};
			vfio_device_feature f = {};
			f.argsz = sizeof(req);
			f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
			memcpy(req, &f, sizeof(f));
			memset(req + sizeof(f), 0x42, 16);
			ASSERT_EQ(0, ioctl(pf, VFIO_DEVICE_FEATURE, req));
			addr = "0000:3b:00.1 vf_token=42424242-4242-4242-4242-424242424242";
		}
		dev = device(grp, addr);
		ASSERT_GE(dev, 0);
		uint16_t cmd = 0x6;
		ASSERT_EQ(2, pwrite(dev, &cmd, 2, (7ll << 40) + 4));
		size = bar_size;
		bar = (uint8_t *)mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
		ASSERT_NE(MAP_FAILED, (void *)bar);
		efd.resize(nvec);
		std::vector<int32_t> fds;
		for (int &e : efd) {
			e = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
			fds.push_back(e);
		}
		ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, fds));
	}
	void TearDown() override
	{
		if (bar && bar != MAP_FAILED)
			munmap(bar, size);
		MockTest::TearDown();
	}
	void st32(uint64_t off, uint32_t v)
	{
		*(volatile uint32_t *)(bar + off) = v;
	}
	void st64(uint64_t off, uint64_t v)
	{
		*(volatile uint64_t *)(bar + off) = v;
	}
	uint64_t ld64(uint64_t off)
	{
		return *(volatile uint64_t *)(bar + off);
	}
	// which vectors fired (reading resets them); waits up to 2 s for `want`
	std::vector<uint64_t> fired(int want = -1)
	{
		if (want >= 0) {
			pollfd p = {efd[want], POLLIN, 0};
			poll(&p, 1, 2000);
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
		std::vector<uint64_t> c;
		for (int e : efd)
			c.push_back(efd_count(e));
		return c;
	}
	static std::vector<uint64_t> one(unsigned n, unsigned v)
	{
		std::vector<uint64_t> c(n, 0);
		c[v] = 1;
		return c;
	}

	int cont = -1, grp = -1, dev = -1;
	uint8_t *bar = nullptr;
	size_t size = 0;
	std::vector<int> efd;
};

} // namespace

TEST_F(DflIrq, UserVectorsReachTheirEventfdOnly)
{
	open_dev(12, "0000:3b:00.0", 0x100000, 7);
	for (unsigned v = 0; v < 7; v++) {
		st32(kAfu + 0x180, v);
		EXPECT_EQ(one(7, v), fired(v)) << "IRQ_RAISE " << v;
	}
	st32(kAfu + 0x180, 7); // beyond the table: ignored
	EXPECT_EQ(std::vector<uint64_t>(7, 0), fired());
}

TEST_F(DflIrq, FmeErrorInjectionInterruptsOnVector6)
{
	open_dev(12, "0000:3b:00.0", 0x100000, 7);
	EXPECT_EQ(13u, ld64(kGerr + 0x70)) << "FME_ERROR_CAP: supported, vector 6";
	st64(kGerr + 0x08, 1ULL << 6); // opaevfiotest: FME_ERROR masks MBP only
	for (uint64_t m : {0x18, 0x28, 0x48, 0x58})
		st64(kGerr + m, 0);
	st64(kGerr + 0x68, 1); // inject
	EXPECT_EQ(one(7, 6), fired(6));
	EXPECT_NE(0u, ld64(kGerr + 0x60)) << "RAS_CATFAT_ERROR shows it";
	st64(kGerr + 0x68, 0); // clear
	EXPECT_EQ(0u, ld64(kGerr + 0x60));
	for (uint64_t m : {0x08, 0x18, 0x28, 0x48, 0x58})
		st64(kGerr + m, ~0ULL); // mask all, as opaevfiotest leaves it
	st64(kGerr + 0x68, 4);
	EXPECT_EQ(std::vector<uint64_t>(7, 0), fired()) << "masked: no interrupt";
	st64(kGerr + 0x68, 0);
}

TEST_F(DflIrq, DetachedErrorVectorPendsInThePba)
{
	open_dev(12, "0000:3b:00.0", 0x100000, 7);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 6, {-1}));
	uint32_t ctrl;
	memcpy(&ctrl, bar + kTable + 6 * 16 + 12, 4);
	EXPECT_EQ(1u, ctrl) << "vector 6 masked in the table at BAR0 + 0xfe000";
	st64(kGerr + 0x68, 2);
	EXPECT_EQ(std::vector<uint64_t>(7, 0), fired());
	EXPECT_EQ(1ULL << 6, ld64(kPba));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 6, {efd[6]}));
	EXPECT_EQ(one(7, 6), fired(6));
	EXPECT_EQ(0u, ld64(kPba));
	st64(kGerr + 0x68, 0);
}

TEST_F(DflIrq, Nlb0CompletionRaisesTheDoneVector)
{
	open_dev(12, "0000:3b:00.0", 0x100000, 7);
	constexpr size_t kLen = 64 * 1024;
	auto *mem = (uint8_t *)mmap(nullptr, 3 * kLen, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);
	ASSERT_EQ(0, map_dma(cont, mem, 0x100000, 3 * kLen));
	memset(mem + kLen, 0x5a, kLen);
	st32(kAfu + 0x188, 0x80000000u | 2); // DONE_IRQ on vector 2
	st64(kAfu + 0x110, 0x100000);        // DSM
	st32(kAfu + 0x138, 0);
	st32(kAfu + 0x138, 1);
	st64(kAfu + 0x120, (0x100000 + kLen) >> 6);
	st64(kAfu + 0x128, (0x100000 + 2 * kLen) >> 6);
	st32(kAfu + 0x130, kLen / 64);
	st32(kAfu + 0x138, 3);
	EXPECT_EQ(one(7, 2), fired(2));
	EXPECT_EQ(1u, mem[0x40] & 1) << "the DSM says done when the vector fires";
	EXPECT_EQ(0, memcmp(mem + kLen, mem + 2 * kLen, kLen));
	st32(kAfu + 0x138, 7);
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 3 * kLen));
	munmap(mem, 3 * kLen);
}

TEST_F(DflIrq, VfHasFourUserVectorsAndNoFme)
{
	open_dev(13, "0000:3b:00.1", 0x40000, 4);
	vfio_region_info r = {};
	r.argsz = sizeof(r);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r));
	EXPECT_EQ(40u, r.argsz) << "the VF's BAR0 holds its MSI-X table too";
	for (unsigned v = 0; v < 4; v++) {
		st32(0x180, v);
		EXPECT_EQ(one(4, v), fired(v));
	}
}
