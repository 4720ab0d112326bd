// SPDX-License-Identifier: BSD-3-Clause
// test_hostile_kernel.cpp - answers the mock kernel never gives but a wrong,
// old or hostile one could (rewritten at the library's own ioctl and readlink
// calls, wrap_shim.h): a foreign API version, no Type1 IOMMU, malformed IOVA
// range and sparse capabilities, windows beyond the 64-bit top, absurd vector
// counts, capability data shorter than announced, malformed sysfs links. Each
// gets a clear error (code and errno) or the documented tolerance, and leaves
// nothing behind.
#include <climits>

#include "sweep_util.h"
#include "wrap_shim.h"

namespace
{
// The offset of the capability with this id in a VFIO info chain (offsets from
// the start of the info struct), or 0. Capabilities need not be 8-byte aligned
// in the buffer: everything is copied, never dereferenced in place.
uint32_t find_cap(const void *info, uint32_t argsz, uint32_t off, uint16_t id)
{
	for (int steps = 0; off && off + sizeof(vfio_info_cap_header) <= argsz && steps < 64;
	     steps++) {
		struct vfio_info_cap_header h;
		memcpy(&h, (const uint8_t *)info + off, sizeof(h));
		if (h.id == id)
			return off;
		off = h.next;
	}
	return 0;
}

// A capability that carries a counted array after its fixed part (the IOVA
// range list, the sparse area list: both a header, a u32 count and a u32
// reserved), copied out for a hook to rewrite and copied back: the count and
// the entries the buffer holds.
struct CountedCap {
	struct vfio_info_cap_header header;
	uint32_t count;
	uint32_t reserved;
};
static_assert(sizeof(CountedCap) == sizeof(struct vfio_iommu_type1_info_cap_iova_range), "");
static_assert(sizeof(CountedCap) == sizeof(struct vfio_region_info_cap_sparse_mmap), "");

template <class Entry> struct CapList {
	CountedCap cap;
	std::vector<Entry> e;
};

template <class Entry>
void rewrite_cap(void *info, uint32_t argsz, uint32_t off,
                 const std::function<void(CapList<Entry> &)> &f)
{
	uint8_t *p = (uint8_t *)info + off;
	CapList<Entry> l;
	memcpy(&l.cap, p, sizeof(l.cap));
	size_t room = (argsz - off - sizeof(l.cap)) / sizeof(Entry);
	l.e.resize(room);
	memcpy(l.e.data(), p + sizeof(l.cap), room * sizeof(Entry));
	f(l);
	memcpy(p, &l.cap, sizeof(l.cap));
	memcpy(p + sizeof(l.cap), l.e.data(), room * sizeof(Entry));
}

using IovaRanges = CapList<struct vfio_iova_range>;

// Rewrites the capability `id` of each `request` answer that carries it (an
// Info struct: argsz first, cap_offset, as every VFIO info struct has them).
template <class Info, class Entry>
void hook_cap(unsigned long request, uint16_t id, std::function<void(CapList<Entry> &)> f)
{
	shim_ioctl_hook([=](int, unsigned long req, void *arg, int r) {
		Info info;
		if (req != request || r < 0)
			return r;
		memcpy(&info, arg, sizeof(info));
		uint32_t off = find_cap(arg, info.argsz, info.cap_offset, id);
		if (off)
			rewrite_cap(arg, info.argsz, off, f);
		return r;
	});
}

// Rewrites the IOVA range capability of VFIO_IOMMU_GET_INFO's second call.
void hook_iova_ranges(std::function<void(IovaRanges &)> f)
{
	hook_cap<struct vfio_iommu_type1_info>(VFIO_IOMMU_GET_INFO,
	                                       VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, f);
}
class Hostile : public CoreTest
{
      protected:
	void TearDown() override
	{
		shim_ioctl_hook(nullptr);
		shim_readlink_hook(nullptr);
		CoreTest::TearDown();
	}
	// open fails with code and errno, closed, nothing left before close
	void open_fails(int code, int err)
	{
		sc.load();
		errno = 0;
		EXPECT_EQ(code, opae_vfio_open(&v, EDU_ADDR));
		EXPECT_EQ(err, errno);
		EXPECT_CLOSED(&v);
		EXPECT_EQ(0u, leak_total());
	}
	// open works and a buffer maps and frees
	void open_and_use()
	{
		sc.load();
		ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
		size_t sz = 4096;
		uint8_t *p = nullptr;
		uint64_t iova = 0;
		ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
		EXPECT_GE(iova, 0x10000u) << "the guard below 64 KiB stays";
		EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
	}
};
} // namespace

TEST_F(Hostile, ForeignApiVersionIsCodeFiveEproto)
{
	shim_ioctl_hook([](int, unsigned long req, void *, int r) {
		return req == VFIO_GET_API_VERSION ? VFIO_API_VERSION + 1 : r;
	});
	open_fails(5, EPROTO);
}

TEST_F(Hostile, NoType1IommuIsCodeFiveEnotsup)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		uintptr_t ext = (uintptr_t)arg;
		if (req == VFIO_CHECK_EXTENSION &&
		    (ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU))
			return 0;
		return r;
	});
	open_fails(5, ENOTSUP);
}

TEST_F(Hostile, Type1OnlyIsUsedWhenV2IsMissing)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		if (req == VFIO_CHECK_EXTENSION && (uintptr_t)arg == VFIO_TYPE1v2_IOMMU)
			return 0;
		return r;
	});
	open_and_use();
}

TEST_F(Hostile, EmptyIovaRangeListIsCodeFiveEinval)
{
	hook_iova_ranges([](IovaRanges &l) { l.cap.count = 0; });
	open_fails(5, EINVAL);
}

TEST_F(Hostile, IovaRangeListLongerThanTheDataIsCodeFiveEinval)
{
	hook_iova_ranges([](IovaRanges &l) { l.cap.count = 1u << 20; });
	open_fails(5, EINVAL);
}

TEST_F(Hostile, InvertedIovaRangeIsCodeFiveEinval)
{
	hook_iova_ranges([](IovaRanges &l) {
		ASSERT_GE(l.e.size(), 1u);
		l.e[0].start = 0x200000;
		l.e[0].end = 0x100000;
	});
	open_fails(5, EINVAL);
}

TEST_F(Hostile, OverlappingWindowIsIgnored)
{
	hook_iova_ranges([](IovaRanges &l) {
		ASSERT_GE(l.e.size(), 2u);
		l.e[1] = l.e[0]; // the same window twice
	});
	open_and_use();
}

// A window up to the last byte of the 64-bit space: the top page is never
// used, a window wholly above it is dropped, and close's one unmap-all stops
// below it (it would wrap otherwise).
TEST_F(Hostile, WindowsBeyondTheTopPageAreClipped)
{
	hook_iova_ranges([](IovaRanges &l) {
		ASSERT_GE(l.e.size(), 2u);
		l.e[0].end = UINT64_MAX;
		l.e[1].start = UINT64_MAX - 0xfff;
		l.e[1].end = UINT64_MAX;
	});
	sc.load();
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
	size_t sz = 4096;
	uint8_t *p = nullptr;
	uint64_t iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(1u, leaks_now().dma_maps);
	opae_vfio_close(&v); // the unmap-all (checked by the leak check)
	EXPECT_EQ(0u, leaks_now().dma_maps);
}

// A kernel before 5.4 reports no capability at all: the default windows and
// the default DMA entry limit.
TEST_F(Hostile, IommuInfoWithoutCapabilitiesUsesTheDefaults)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		auto *info = (struct vfio_iommu_type1_info *)arg;
		if (req == VFIO_IOMMU_GET_INFO && r >= 0) {
			info->flags &= ~VFIO_IOMMU_INFO_CAPS;
			info->argsz = sizeof(*info);
			info->cap_offset = 0;
		}
		return r;
	});
	open_and_use();
	EXPECT_NE(nullptr, v.cont_ranges) << "the default windows";
}

TEST_F(Hostile, PageSizesBelow4KiBMeanFourKiB)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		if (req == VFIO_IOMMU_GET_INFO && r >= 0)
			((struct vfio_iommu_type1_info *)arg)->iova_pgsizes = 0x800;
		return r;
	});
	sc.load();
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
	size_t sz = 100;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	EXPECT_EQ(4096u, sz) << "rounded to 4 KiB, never to 2 KiB";
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, p));
}

// The kernel says it filled less than it announced: the library reads only
// that far, and the IOVA range list (the last capability) no longer fits.
TEST_F(Hostile, IommuInfoShorterThanAnnouncedCutsTheRangeListWhichIsRefused)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		auto *info = (struct vfio_iommu_type1_info *)arg;
		if (req == VFIO_IOMMU_GET_INFO && r >= 0 && info->cap_offset)
			info->argsz -= 1; // (only the call that got the capabilities)
		return r;
	});
	open_fails(5, EINVAL);
}

TEST_F(Hostile, AbsurdVectorCountIsCodeSixEinval)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		auto *ii = (struct vfio_irq_info *)arg;
		if (req == VFIO_DEVICE_GET_IRQ_INFO && r >= 0 &&
		    ii->index == VFIO_PCI_MSI_IRQ_INDEX)
			ii->count = 100000;
		return r;
	});
	open_fails(6, EINVAL);
}

// A sparse BAR whose capability is cut short, lists an area beyond the BAR,
// or claims more areas than it carries.
class HostileSparse : public Hostile
{
      protected:
	void SetUp() override
	{
		Hostile::SetUp();
		sc.model = "none";
		sc.bar0 = "{\"index\":0,\"size\":\"0x10000\",\"mmap\":true,"
		          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x8000\",\"0x2000\"]]}";
	}
	using Areas = CapList<struct vfio_region_sparse_mmap_area>;
	static void hook_sparse(std::function<void(Areas &)> f)
	{
		hook_cap<struct vfio_region_info>(VFIO_DEVICE_GET_REGION_INFO,
		                                  VFIO_REGION_INFO_CAP_SPARSE_MMAP, f);
	}
	// the areas the library mapped (offset, size)
	std::vector<std::pair<uint32_t, uint32_t>> areas()
	{
		std::vector<std::pair<uint32_t, uint32_t>> out;
		for (auto *r = v.device.regions; r; r = r->next)
			if (r->region_index == 0)
				for (auto *si = r->region_sparse; si; si = si->next)
					out.emplace_back(si->offset, si->size);
		return out;
	}
};

TEST_F(HostileSparse, AreaOutsideTheRegionIsSkipped)
{
	hook_sparse([](Areas &l) {
		ASSERT_GE(l.e.size(), 2u);
		l.e[1].offset = 0xf000;
		l.e[1].size = 0x2000; // ends 4 KiB past the 64 KiB BAR
	});
	sc.load();
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
	auto a = areas();
	ASSERT_EQ(1u, a.size());
	EXPECT_EQ(0u, a[0].first);
	EXPECT_EQ(0x1000u, a[0].second);
}

// A sparse list that does not fit its capability is not trusted: the BAR is
// then mapped whole, which the kernel refuses for a sparse BAR (code 6).
TEST_F(HostileSparse, MoreAreasThanTheDataHoldsIsNotTrusted)
{
	hook_sparse([](Areas &l) { l.cap.count = 1u << 20; });
	open_fails(6, EINVAL);
}

TEST_F(HostileSparse, RegionInfoShorterThanAnnouncedCutsTheListWhichIsNotTrusted)
{
	shim_ioctl_hook([](int, unsigned long req, void *arg, int r) {
		auto *ri = (struct vfio_region_info *)arg;
		if (req == VFIO_DEVICE_GET_REGION_INFO && r >= 0 && ri->cap_offset)
			ri->argsz -= sizeof(struct vfio_region_sparse_mmap_area); // the last area
		return r;
	});
	open_fails(6, EINVAL);
}

// ---- sysfs links ------------------------------------------------------------

static void hook_link(const char *suffix, const char *target)
{
	std::string s(suffix), t(target);
	shim_readlink_hook([s, t](const char *path, char *buf, unsigned long len, long r) {
		std::string p(path);
		if (p.size() < s.size() || p.compare(p.size() - s.size(), s.size(), s) != 0)
			return r;
		if (t.empty()) {
			errno = ENOENT;
			return -1L;
		}
		snprintf(buf, len, "%s", t.c_str());
		return (long)strlen(buf);
	});
}

TEST_F(Hostile, MalformedGroupNameIsCodeThreeEinval)
{
	hook_link("/iommu_group", "../../../../kernel/iommu_groups/12abc");
	open_fails(3, EINVAL);
}

TEST_F(Hostile, GroupNameLongerThanANameIsCodeThree)
{
	hook_link("/iommu_group",
	          ("../../../../kernel/iommu_groups/" + std::string(300, '1')).c_str());
	open_fails(3, ENAMETOOLONG);
}

TEST_F(Hostile, DeviceWithoutADriverIsCodeThreeEnodev)
{
	hook_link("/driver", "");
	open_fails(3, ENODEV);
}
