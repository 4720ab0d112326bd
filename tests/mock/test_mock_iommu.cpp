// SPDX-License-Identifier: BSD-3-Clause
// test_mock_iommu.cpp - the mock kernel's container, group and type1 IOMMU
// against Linux 6.1's rules: every error code of SET_CONTAINER, SET_IOMMU,
// GET_INFO's capability protocol, MAP_DMA and UNMAP_DMA (v1 and v2).
#include "mock_test_util.h"

using Iommu = MockTest;

TEST_F(Iommu, ContainerBasicsAndCloexec)
{
	int c = open_container();
	ASSERT_GE(c, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(c, F_GETFD) & FD_CLOEXEC);
	int c2 = keep(open("/dev/vfio/vfio", O_RDWR));
	ASSERT_GE(c2, 0);
	EXPECT_EQ(0, fcntl(c2, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
}

TEST_F(Iommu, SetIommuNeedsGroupOnceAndSupportedType)
{
	int c = open_container();
	EXPECT_ERRNO(EINVAL, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)); // no group
	int g = open_group(1);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	EXPECT_ERRNO(ENODEV, ioctl(c, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_ERRNO(EINVAL, ioctl(c, VFIO_IOMMU_GET_INFO, nullptr)); // before SET_IOMMU
	EXPECT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_ERRNO(EINVAL, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)); // already set
	EXPECT_ERRNO(ENOTTY, ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 60)));
}

TEST_F(Iommu, GroupOpenRules)
{
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/7", O_RDWR));
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/01", O_RDWR));
	int g = open_group(1);
	ASSERT_GE(g, 0);
	EXPECT_ERRNO(EBUSY, open("/dev/vfio/1", O_RDWR));
	drop(g);
	EXPECT_GE(open_group(1), 0) << "reopen after close";
}

TEST_F(Iommu, GroupStatusAndContainerErrors)
{
	int c = open_container(), g = open_group(1);
	vfio_group_status st = {};
	st.argsz = 4;
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	st.argsz = sizeof(st);
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ((uint32_t)VFIO_GROUP_FLAGS_VIABLE, st.flags);

	int bad = -1; // fdget finds no file: EBADF on 6.1 (there is no fd < 0 check)
	EXPECT_ERRNO(EBADF, ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad));
	bad = 999;
	EXPECT_ERRNO(EBADF, ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad));
	int notc = keep(eventfd(0, 0));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_SET_CONTAINER, &notc));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ((uint32_t)(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET), st.flags);

	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, EDU_ADDR)); // no IOMMU yet
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	int d = device(g, EDU_ADDR);
	ASSERT_GE(d, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(d, F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(EBUSY, ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	drop(d);
	EXPECT_EQ(0, ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ((uint32_t)VFIO_GROUP_FLAGS_VIABLE, st.flags);
}

TEST_F(Iommu, DeviceNameMatching)
{
	int c, g;
	setup_iommu(1, &c, &g);
	EXPECT_ERRNO(ENODEV, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0")); // other group
	EXPECT_ERRNO(ENODEV, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:03.0x"));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:03.0 bogus=1"));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD,
	                           "0000:00:03.0 vf_token=not-a-uuid-but-36-characters-long!!"));
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:03.0 vf_token=1234"));
	// a well-formed token on a device that is neither PF nor VF
	EXPECT_ERRNO(EINVAL, ioctl(g, VFIO_GROUP_GET_DEVICE_FD,
	                           "0000:00:03.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258"));
	EXPECT_GE(device(g, "0000:00:03.0  "), 0) << "trailing spaces are fine";
}

TEST_F(Iommu, GetInfoCapabilityProtocol)
{
	int c, g;
	setup_iommu(1, &c, &g);
	struct vfio_iommu_type1_info small = {};
	small.argsz = 8;
	EXPECT_ERRNO(EINVAL, ioctl(c, VFIO_IOMMU_GET_INFO, &small));

	struct vfio_iommu_type1_info info = {};
	info.argsz = sizeof(info);
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ((uint32_t)(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS), info.flags);
	EXPECT_EQ(0x40201000ull, info.iova_pgsizes);
	EXPECT_EQ(0u, info.cap_offset) << "caps do not fit: offset stays 0";
	ASSERT_GT(info.argsz, sizeof(info));

	uint8_t empty_map[4096];
	ASSERT_EQ(0, map_dma(c,
	                     mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	                     0x100000, 4096));
	(void)empty_map;
	std::vector<uint8_t> buf(info.argsz);
	auto *full = (vfio_iommu_type1_info *)buf.data();
	full->argsz = info.argsz;
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, full));
	ASSERT_EQ(sizeof(info), full->cap_offset);
	// kernel order: migration (2), DMA avail (3), IOVA ranges (1), packed as
	// 6.1's vfio_info_cap_add packs them: 24 + 32 + 12 = 68, argsz 116
	EXPECT_EQ(116u, info.argsz);
	std::vector<uint16_t> ids;
	std::vector<uint32_t> offs;
	uint32_t avail = 0, nr = 0;
	uint64_t r1s = 0, r1e = 0;
	for (uint32_t off = full->cap_offset; off;) {
		vfio_info_cap_header h;
		memcpy(&h, buf.data() + off, sizeof(h));
		offs.push_back(off);
		ids.push_back(h.id);
		if (h.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			memcpy(&avail, buf.data() + off + sizeof(h), 4);
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			memcpy(&nr, buf.data() + off + sizeof(h), 4);
			memcpy(&r1s, buf.data() + off + 16 + 16, 8);
			memcpy(&r1e, buf.data() + off + 16 + 24, 8);
		}
		off = h.next;
	}
	EXPECT_EQ((std::vector<uint16_t>{2, 3, 1}), ids);
	EXPECT_EQ((std::vector<uint32_t>{24, 56, 68}), offs) << "IOVA_RANGE only 4-byte aligned";
	EXPECT_EQ(65534u, avail);
	EXPECT_EQ(2u, nr);
	EXPECT_EQ(0xfef00000ull, r1s);
	EXPECT_EQ(0x7fffffffffull, r1e);
}

class IommuNoIovaCaps : public MockTest
{
	std::string json;
	const char *scenario() override
	{
		Scenario sc; // an old kernel: Type1 v1, no IOVA-range capability
		sc.type1v2 = false;
		sc.iova_caps = false;
		sc.dma_limit = 2;
		sc.model = "none";
		json = sc.json();
		return json.c_str();
	}
};

TEST_F(IommuNoIovaCaps, OldKernelAndV1Semantics)
{
	int c = open_container(), g = open_group(1);
	EXPECT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	EXPECT_ERRNO(ENODEV, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));

	std::vector<uint8_t> buf(512);
	auto *info = (vfio_iommu_type1_info *)buf.data();
	info->argsz = (uint32_t)buf.size();
	ASSERT_EQ(0, ioctl(c, VFIO_IOMMU_GET_INFO, info));
	for (uint32_t off = info->cap_offset; off;) {
		vfio_info_cap_header h;
		memcpy(&h, buf.data() + off, sizeof(h));
		EXPECT_NE(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, h.id);
		off = h.next;
	}

	auto *mem = (uint8_t *)mmap(nullptr, 4 * 4096, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(c, mem, 0x10000, 0x2000));
	ASSERT_EQ(0, map_dma(c, mem + 0x2000, 0x12000, 0x1000));
	EXPECT_ERRNO(ENOSPC, map_dma(c, mem + 0x3000, 0x20000, 0x1000)); // limit 2
	uint64_t n = 99;
	// v1: an unmap starting inside a mapping unmaps nothing, successfully
	EXPECT_EQ(0, unmap_dma(c, 0x11000, 0x1000, &n));
	EXPECT_EQ(0u, n);
	// v1: covering the first IOVA removes whole mappings, even beyond the range
	EXPECT_EQ(0, unmap_dma(c, 0x10000, 0x3000 - 0x1000 + 0x1000, &n));
	EXPECT_EQ(0x3000u, n);
	EXPECT_EQ(0u, vfio_mock_dma_maps(c, nullptr, 0));
	munmap(mem, 4 * 4096);
}

TEST_F(Iommu, MapDmaErrors)
{
	int c, g;
	setup_iommu(1, &c, &g);
	auto *mem = (uint8_t *)mmap(nullptr, 8 * 4096, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)mem);

	vfio_iommu_type1_dma_map m = {};
	m.argsz = 8;
	m.flags = VFIO_DMA_MAP_FLAG_READ;
	m.vaddr = (uintptr_t)mem;
	m.iova = 0x100000;
	m.size = 4096;
	EXPECT_ERRNO(EINVAL, ioctl(c, VFIO_IOMMU_MAP_DMA, &m));               // argsz
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x100000, 4096, 0x80));          // unknown flag
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x100000, 4096, 0));             // no READ/WRITE
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x100000, 0));                   // size 0
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x100800, 4096));                // iova unaligned
	EXPECT_ERRNO(EINVAL, map_dma(c, mem + 8, 0x100000, 4096));            // vaddr unaligned
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x100000, 4095));                // size unaligned
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0xfffffffffffff000ull, 0x2000)); // wraps
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0xfee00000, 4096));              // MSI hole
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0x8000000000ull, 4096));         // above the ranges
	EXPECT_ERRNO(EINVAL, map_dma(c, mem, 0xfedff000, 0x2000));            // straddles the hole

	void *hole = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4096);
	EXPECT_ERRNO(EFAULT, map_dma(c, hole, 0x100000, 4096)); // nothing mapped there

	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 0x4000));
	EXPECT_ERRNO(EEXIST, map_dma(c, mem + 0x4000, 0x103000, 0x2000)); // overlap
	EXPECT_ERRNO(EEXIST, map_dma(c, mem + 0x4000, 0xff000, 0x2000));
	EXPECT_EQ(0, map_dma(c, mem + 0x4000, 0x104000, 0x1000)); // adjacent is fine

	vfio_mock_dma_map snap[4];
	ASSERT_EQ(2u, vfio_mock_dma_maps(c, snap, 4));
	EXPECT_EQ(0x100000u, snap[0].iova);
	EXPECT_EQ(0x4000u, snap[0].size);
	EXPECT_EQ((uintptr_t)mem, snap[0].vaddr);
	EXPECT_EQ(0x104000u, snap[1].iova);
	munmap(mem, 8 * 4096);
}

TEST_F(Iommu, UnmapDmaV2Rules)
{
	int c, g;
	setup_iommu(1, &c, &g);
	auto *mem = (uint8_t *)mmap(nullptr, 16 * 4096, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 0x4000));
	ASSERT_EQ(0, map_dma(c, mem + 0x4000, 0x104000, 0x4000));
	uint64_t n = 0;
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x100800, 0x1000));                 // unaligned iova
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x100000, 0));                      // size 0
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x100000, 0x800));                  // unaligned size
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x101000, 0x3000));                 // bisects the start
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x100000, 0x6000));                 // bisects the second
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x100000, 0x1000, nullptr, 0x100)); // unknown flag
	EXPECT_EQ(2u, vfio_mock_dma_maps(c, nullptr, 0)) << "failed unmaps changed nothing";
	EXPECT_EQ(0, unmap_dma(c, 0x200000, 0x1000, &n));
	EXPECT_EQ(0u, n) << "unmapping nothing succeeds with size 0";
	EXPECT_EQ(0, unmap_dma(c, 0x0, 0x200000, &n)); // covers both
	EXPECT_EQ(0x8000u, n);
	EXPECT_EQ(0u, vfio_mock_dma_maps(c, nullptr, 0));
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 0x1000));
	ASSERT_EQ(0, map_dma(c, mem, 0x300000, 0x1000));
	EXPECT_ERRNO(EINVAL, unmap_dma(c, 0x1000, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(0, unmap_dma(c, 0, 0, &n, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(0x2000u, n);
	munmap(mem, 16 * 4096);
}

TEST_F(Iommu, ClosingTheContainerDropsMappingsOnlyWhenUnreferenced)
{
	int c, g;
	setup_iommu(1, &c, &g);
	auto *mem = (uint8_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, map_dma(c, mem, 0x100000, 0x1000));
	struct vfio_mock_leaks l;
	drop(c);
	vfio_mock_leaks(&l);
	EXPECT_EQ(1u, l.dma_maps) << "the group still holds the container";
	drop(g);
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.dma_maps);
	EXPECT_EQ(0u, l.fds);
	munmap(mem, 4096);
}

TEST_F(Iommu, TenThousandMappingsStayFast)
{
	int c, g;
	setup_iommu(1, &c, &g);
	const unsigned N = 10000;
	auto *mem = (uint8_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (unsigned i = 0; i < N; i++)
		ASSERT_EQ(0, map_dma(c, mem, 0x100000 + 0x2000ull * i, 0x1000)) << i;
	EXPECT_EQ(N, vfio_mock_dma_maps(c, nullptr, 0));
	EXPECT_ERRNO(EEXIST, map_dma(c, mem, 0x100000 + 0x2000ull * 5000, 0x1000));
	for (unsigned i = 0; i < N; i += 2)
		ASSERT_EQ(0, unmap_dma(c, 0x100000 + 0x2000ull * i, 0x1000));
	EXPECT_EQ(N / 2, vfio_mock_dma_maps(c, nullptr, 0));
	munmap(mem, 4096);
}
