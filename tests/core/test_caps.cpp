// SPDX-License-Identifier: BSD-3-Clause
// test_caps.cpp - the capability chain walk on hostile or unusual chains:
// other capabilities first, self loops, back loops, offsets past argsz,
// truncated capabilities.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include "vfio_priv.h"
}

struct Chain {
	std::vector<uint8_t> buf;
	explicit Chain(size_t n) : buf(n, 0) {}
	void cap(uint32_t off, uint16_t id, uint32_t next)
	{
		struct vfio_info_cap_header h = {id, 1, next};
		memcpy(buf.data() + off, &h, sizeof(h));
	}
};

static const uint32_t HDR = sizeof(struct vfio_iommu_type1_info);

TEST(Caps, FindsACapabilityAfterOthers)
{
	Chain c(256);
	c.cap(HDR, 2 /* migration */, HDR + 16);
	c.cap(HDR + 16, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, HDR + 32);
	c.cap(HDR + 32, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0);
	EXPECT_EQ(HDR + 32,
	          caps_find(c.buf.data(), 256, HDR, HDR, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 16));
	EXPECT_EQ(HDR + 16,
	          caps_find(c.buf.data(), 256, HDR, HDR, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 12));
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, HDR, 77, 8)) << "absent id";
}

TEST(Caps, LoopsTerminate)
{
	Chain c(256);
	c.cap(HDR, 2, HDR); // self loop
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, HDR, 1, 8));
	c.cap(HDR, 2, HDR + 16);
	c.cap(HDR + 16, 3, HDR); // back loop
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, HDR, 1, 8));
}

TEST(Caps, BoundsAreChecked)
{
	Chain c(256);
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, 300, 1, 8)) << "first offset past argsz";
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, 252, 1, 8)) << "header does not fit";
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, 4, 1, 8)) << "inside the fixed struct";
	c.cap(HDR, 2, 0x7fffffff);
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, HDR, 1, 8)) << "next past argsz";
	c.cap(240, 1, 0);
	EXPECT_EQ(0u, caps_find(c.buf.data(), 256, HDR, 240, 1, 24)) << "capability truncated";
	EXPECT_EQ(240u, caps_find(c.buf.data(), 256, HDR, 240, 1, 16));
}
