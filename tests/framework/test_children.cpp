// SPDX-License-Identifier: BSD-3-Clause
// test_children.cpp - multi-port AFUs: fpgaOpen probes the AFU header (DFH
// v1 parameter ID 2 lists child AFU GUIDs), opens each child through the
// same plugin with FPGA_OPEN_HAS_PARENT_AFU, pins the parent's buffers into
// the children, closes them with the parent; malformed lists fail the open
// and leave nothing open.
#include <cstring>

#include "fw_test_util.h"

namespace
{
constexpr uint64_t DFH_V1_AFU = (1ull << 60) | (1ull << 52); // type AFU, version 1, id 0

struct Children : FwTest {
	void SetUp() override
	{
		st = load(REC_PLUGIN_A);
		ASSERT_NE(st, nullptr);
		st->ndevices = 3;
		std::memset(st->mmio, 0, sizeof(st->mmio));
		parent_tok = accelerator_on(st->bus, 0);
	}
	void TearDown() override
	{
		if (parent_tok) {
			EXPECT_EQ(fpgaDestroyToken(&parent_tok), FPGA_OK);
		}
		EXPECT_EQ(REC_LOAD(st->live_handles), 0);
		EXPECT_EQ(REC_LOAD(st->live_tokens), 0);
		FwTest::TearDown();
	}
	// The AFU header of the parent: DFH v1 with parameter blocks; the
	// parameter at `at` lists the GUIDs of cards in `cards`.
	void afu_with_children(std::initializer_list<uint8_t> cards, uint64_t at = 0x28)
	{
		const uint8_t base[16] = REC_AFU_GUID_INIT;
		uint64_t n = cards.size(), i = 0;
		st->mmio[0] = DFH_V1_AFU;
		st->mmio[0x20 / 8] = 1ull << 31;
		st->mmio[at / 8] = 2 | (1ull << 32) | ((1 + 2 * n) << 35);
		for (uint8_t card : cards) {
			uint8_t g[16];
			uint64_t hi = 0, lo = 0;
			std::memcpy(g, base, 16);
			g[15] = card;
			for (int b = 0; b < 8; b++) {
				hi = hi << 8 | g[b];
				lo = lo << 8 | g[8 + b];
			}
			st->mmio[at / 8 + 1 + 2 * i] = lo;
			st->mmio[at / 8 + 2 + 2 * i] = hi;
			i++;
		}
	}
	uint8_t device_of(fpga_handle h)
	{
		fpga_properties p = nullptr;
		uint8_t d = 0xff;
		EXPECT_EQ(fpgaGetPropertiesFromHandle(h, &p), FPGA_OK);
		EXPECT_EQ(fpgaPropertiesGetDevice(p, &d), FPGA_OK);
		EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
		return d;
	}
	rec_state *st = nullptr;
	fpga_token parent_tok = nullptr;
};
} // namespace

TEST_F(Children, ChildrenAreOpenedWithTheParentsPluginHandle)
{
	afu_with_children({2, 1});
	fpga_handle h = nullptr, kids[4] = {};
	uint32_t n = 0;
	ASSERT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_OPEN]), 3u);
	EXPECT_EQ(REC_LOAD(st->live_handles), 3);
	EXPECT_EQ(st->last_open_flags, FPGA_OPEN_HAS_PARENT_AFU);
	EXPECT_NE(st->last_open_parent, nullptr); // the parent's plugin handle
	ASSERT_EQ(fpgaGetChildren(h, 4, kids, &n), FPGA_OK);
	ASSERT_EQ(n, 2u);
	EXPECT_EQ(device_of(kids[0]), 2);
	EXPECT_EQ(device_of(kids[1]), 1);
	uint32_t one = 0;
	fpga_handle first = nullptr;
	ASSERT_EQ(fpgaGetChildren(h, 1, &first, &one), FPGA_OK);
	EXPECT_EQ(one, 2u); // the total, one written
	EXPECT_EQ(first, kids[0]);

	// Children work for MMIO but are not closed or given buffers directly.
	uint64_t v = 0;
	EXPECT_EQ(fpgaReadMMIO64(kids[0], 0, 0, &v), FPGA_OK);
	EXPECT_EQ(v, DFH_V1_AFU);
	EXPECT_EQ(fpgaClose(kids[0]), FPGA_INVALID_PARAM);
	void *buf = nullptr;
	uint64_t wsid = 0;
	EXPECT_EQ(fpgaPrepareBuffer(kids[0], 64, &buf, &wsid, 0), FPGA_INVALID_PARAM);

	// The parent's buffers are pinned into each child at the same address.
	ASSERT_EQ(fpgaPrepareBuffer(h, 4096, &buf, &wsid, 0), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_PIN_BUFFER]), 2u);
	EXPECT_EQ(st->pin_ioaddr, wsid << 20);
	EXPECT_EQ(st->pin_len, 4096u);
	ASSERT_EQ(fpgaReleaseBuffer(h, wsid), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_UNPIN_BUFFER]), 2u);
	// The probe itself went through GetWSInfo-less paths only: no buffers left.
	EXPECT_EQ(REC_LOAD(st->live_buffers), 0);

	ASSERT_EQ(fpgaClose(h), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->live_handles), 0);
	EXPECT_EQ(fpgaReadMMIO64(kids[1], 0, 0, &v), FPGA_INVALID_PARAM);
}

TEST_F(Children, ParameterBlocksAreFollowedToTheChildList)
{
	// Parameter 7 at 0x28 (3 qwords) then the child list at 0x40.
	afu_with_children({1}, 0x40);
	st->mmio[0x28 / 8] = 7 | (3ull << 35);
	fpga_handle h = nullptr;
	uint32_t n = 0;
	ASSERT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_OK);
	EXPECT_EQ(fpgaGetChildren(h, 0, nullptr, &n), FPGA_OK);
	EXPECT_EQ(n, 1u);
	EXPECT_EQ(fpgaClose(h), FPGA_OK);
}

TEST_F(Children, HeadersWithoutChildListsHaveNoChildren)
{
	struct {
		const char *what;
		uint64_t dfh, csr, param;
	} cases[] = {
	    {"DFH v0 (NLB0)", 1ull << 60, 1ull << 31, 2 | (3ull << 35)},
	    {"a private feature, not an AFU", (3ull << 60) | (1ull << 52), 1ull << 31,
	     2 | (3ull << 35)},
	    {"feature id set", DFH_V1_AFU | 5, 1ull << 31, 2 | (3ull << 35)},
	    {"no parameter blocks", DFH_V1_AFU, 0, 2 | (3ull << 35)},
	    {"other parameter, end of list", DFH_V1_AFU, 1ull << 31,
	     9 | (1ull << 32) | (3ull << 35)},
	    {"other parameter, next 0 (would loop)", DFH_V1_AFU, 1ull << 31, 9},
	    {"next beyond the MMIO space", DFH_V1_AFU, 1ull << 31, 9 | (0x10000ull << 35)},
	};
	for (auto &c : cases) {
		SCOPED_TRACE(c.what);
		st->mmio[0] = c.dfh;
		st->mmio[0x20 / 8] = c.csr;
		st->mmio[0x28 / 8] = c.param;
		fpga_handle h = nullptr;
		uint32_t n = 9;
		ASSERT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_OK);
		EXPECT_EQ(fpgaGetChildren(h, 0, nullptr, &n), FPGA_OK);
		EXPECT_EQ(n, 0u);
		EXPECT_EQ(REC_LOAD(st->live_handles), 1);
		EXPECT_EQ(fpgaClose(h), FPGA_OK);
	}
}

TEST_F(Children, AParameterLoopEndsAtTheStepLimit)
{
	// Every block points 8 bytes on, forever (64 blocks max), no child list.
	st->mmio[0] = DFH_V1_AFU;
	st->mmio[0x20 / 8] = 1ull << 31;
	for (uint64_t off = 0x28; off < REC_MMIO_SIZE; off += 8)
		st->mmio[off / 8] = 9 | (1ull << 35);
	fpga_handle h = nullptr;
	ASSERT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_OK);
	EXPECT_LE(REC_LOAD(st->calls[REC_READ64]), 2u + 64u);
	EXPECT_EQ(fpgaClose(h), FPGA_OK);
}

TEST_F(Children, AMissingOrUnopenableChildFailsTheParentOpen)
{
	fpga_handle h = nullptr;
	afu_with_children({1, 9}); // card 9 does not exist
	::testing::internal::CaptureStderr();
	EXPECT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_NOT_FOUND);
	std::string err = ::testing::internal::GetCapturedStderr();
	EXPECT_NE(err.find("child AFU c0ffee00-...-2209 not found"), std::string::npos) << err;
	EXPECT_EQ(h, nullptr);
	EXPECT_EQ(REC_LOAD(st->live_handles), 0);

	// The plugin refuses to open the child: the parent is closed again.
	afu_with_children({1});
	st->fail_child_open = FPGA_BUSY;
	EXPECT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_BUSY);
	EXPECT_EQ(REC_LOAD(st->live_handles), 0);
	st->fail_child_open = 0;

	// Too many children for the framework: refused, nothing left open.
	st->mmio[0x28 / 8] = 2 | (1ull << 32) | ((1 + 2 * 40ull) << 35);
	::testing::internal::CaptureStderr();
	EXPECT_EQ(fpgaOpen(parent_tok, &h, 0), FPGA_EXCEPTION);
	err = ::testing::internal::GetCapturedStderr();
	EXPECT_NE(err.find("lists 40 child AFUs; at most 32"), std::string::npos) << err;
	EXPECT_EQ(REC_LOAD(st->live_handles), 0);
}
