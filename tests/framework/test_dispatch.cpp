// SPDX-License-Identifier: BSD-3-Clause
// test_dispatch.cpp - every handle, event, buffer and object call reaches the
// owning plugin with the plugin's own objects and the caller's arguments, and
// returns the plugin's result; calls a plugin does not provide are
// FPGA_NOT_SUPPORTED.
#include <unistd.h>

#include <cstring>

#include "fw_test_util.h"

namespace
{
struct Opened : FwTest {
	void SetUp() override
	{
		st = load(REC_PLUGIN_A);
		ASSERT_NE(st, nullptr);
		tok = accelerator_on(st->bus);
		ASSERT_NE(tok, nullptr);
		ASSERT_EQ(fpgaOpen(tok, &h, FPGA_OPEN_SHARED), FPGA_OK);
	}
	void TearDown() override
	{
		if (h) {
			EXPECT_EQ(fpgaClose(h), FPGA_OK);
		}
		if (tok) {
			EXPECT_EQ(fpgaDestroyToken(&tok), FPGA_OK);
		}
		EXPECT_EQ(REC_LOAD(st->live_handles), 0);
		EXPECT_EQ(REC_LOAD(st->live_tokens), 0);
		FwTest::TearDown();
	}
	rec_state *st = nullptr;
	fpga_token tok = nullptr;
	fpga_handle h = nullptr;
};
} // namespace

TEST_F(Opened, OpenPassesFlagsAndNoParent)
{
	EXPECT_EQ(REC_LOAD(st->calls[REC_OPEN]), 1u);
	EXPECT_EQ(st->last_open_flags, FPGA_OPEN_SHARED);
	EXPECT_EQ(st->last_open_parent, nullptr);
	EXPECT_EQ(REC_LOAD(st->live_handles), 1);
	EXPECT_EQ(fpgaReset(h), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_RESET]), 1u);
	uint32_t n = 9;
	EXPECT_EQ(fpgaGetChildren(h, 0, nullptr, &n), FPGA_OK);
	EXPECT_EQ(n, 0u);
	EXPECT_EQ(fpgaGetChildren(h, 1, nullptr, &n), FPGA_INVALID_PARAM);
}

TEST_F(Opened, OpenRefusesTheInternalParentFlagAndPassesPluginErrors)
{
	fpga_handle h2 = nullptr;
	EXPECT_EQ(fpgaOpen(tok, &h2, FPGA_OPEN_HAS_PARENT_AFU), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaOpen(tok, nullptr, 0), FPGA_INVALID_PARAM);
	st->fail_open = FPGA_BUSY;
	EXPECT_EQ(fpgaOpen(tok, &h2, 0), FPGA_BUSY);
	EXPECT_EQ(h2, nullptr);
	EXPECT_EQ(REC_LOAD(st->live_handles), 1);
	st->fail_open = 0;
}

TEST_F(Opened, MmioReachesThePlugin)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	ASSERT_EQ(fpgaWriteMMIO64(h, 0, 0x18, 0x1122334455667788ull), FPGA_OK);
	EXPECT_EQ(st->mmio[3], 0x1122334455667788ull);
	ASSERT_EQ(fpgaReadMMIO64(h, 0, 0x18, &v64), FPGA_OK);
	EXPECT_EQ(v64, 0x1122334455667788ull);
	ASSERT_EQ(fpgaWriteMMIO32(h, 0, 0x20, 0xcafef00d), FPGA_OK);
	ASSERT_EQ(fpgaReadMMIO32(h, 0, 0x20, &v32), FPGA_OK);
	EXPECT_EQ(v32, 0xcafef00du);
	uint64_t line[8];
	for (int i = 0; i < 8; i++)
		line[i] = 0x100u + i;
	ASSERT_EQ(fpgaWriteMMIO512(h, 0, 0x40, line), FPGA_OK);
	EXPECT_EQ(st->mmio[8 + 7], 0x107u);
	uint64_t *map = nullptr;
	ASSERT_EQ(fpgaMapMMIO(h, 0, &map), FPGA_OK);
	EXPECT_EQ(map, st->mmio);
	EXPECT_EQ(fpgaMapMMIO(h, 0, nullptr), FPGA_OK);
	EXPECT_EQ(fpgaUnmapMMIO(h, 0), FPGA_OK);

	// The plugin's own checks answer, with the arguments unchanged.
	EXPECT_EQ(fpgaReadMMIO64(h, 3, 0x10, &v64), FPGA_INVALID_PARAM);
	EXPECT_EQ(st->last_mmio_num, 3u);
	EXPECT_EQ(fpgaReadMMIO64(h, 0, 0x100000000ull, &v64), FPGA_INVALID_PARAM);
	EXPECT_EQ(st->last_offset, 0x100000000ull);
	// NULL out values never reach it.
	unsigned calls = REC_LOAD(st->calls[REC_READ64]);
	EXPECT_EQ(fpgaReadMMIO64(h, 0, 0, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaReadMMIO32(h, 0, 0, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaWriteMMIO512(h, 0, 0, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(st->calls[REC_READ64]), calls);
}

TEST_F(Opened, Buffers)
{
	void *buf = nullptr;
	uint64_t wsid = 0, io = 0;
	// The preallocation probe reaches the plugin and is answered by it.
	EXPECT_EQ(fpgaPrepareBuffer(h, 0, nullptr, nullptr, FPGA_BUF_PREALLOCATED), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_PREPARE_BUFFER]), 1u);
	EXPECT_EQ(REC_LOAD(st->live_buffers), 0);
	// Without PREALLOCATED the same arguments are a mistake.
	EXPECT_EQ(fpgaPrepareBuffer(h, 0, nullptr, &wsid, 0), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPrepareBuffer(h, 4096, &buf, nullptr, 0), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(st->calls[REC_PREPARE_BUFFER]), 1u);

	ASSERT_EQ(fpgaPrepareBuffer(h, 4096, &buf, &wsid, 0), FPGA_OK);
	EXPECT_NE(buf, nullptr);
	ASSERT_EQ(fpgaGetIOAddress(h, wsid, &io), FPGA_OK);
	EXPECT_EQ(io, wsid << 20);
	EXPECT_EQ(fpgaGetIOAddress(h, wsid, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaReleaseBuffer(h, wsid), FPGA_OK);
	EXPECT_EQ(fpgaReleaseBuffer(h, wsid), FPGA_INVALID_PARAM); // the plugin's answer

	alignas(4096) static uint8_t mine[4096];
	buf = mine;
	ASSERT_EQ(fpgaPrepareBuffer(h, sizeof(mine), &buf, &wsid, FPGA_BUF_PREALLOCATED), FPGA_OK);
	EXPECT_EQ(buf, mine);
	EXPECT_EQ(fpgaReleaseBuffer(h, wsid), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->live_buffers), 0);
	// No child AFUs here: nothing pinned.
	EXPECT_EQ(REC_LOAD(st->calls[REC_PIN_BUFFER]), 0u);

	uint32_t pasid = 0;
	EXPECT_EQ(fpgaBindSVA(h, &pasid), FPGA_OK);
	EXPECT_EQ(pasid, 42u);
}

TEST_F(Opened, EventHandlesAreCreatedInThePluginAtFirstRegistration)
{
	fpga_event_handle eh = nullptr;
	int fd = -1;
	ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_CREATE_EVENT]), 0u);
	// No OS object before a plugin owns the event handle.
	EXPECT_EQ(fpgaGetOSObjectFromEventHandle(eh, &fd), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh), FPGA_INVALID_PARAM);

	ASSERT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 3), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_CREATE_EVENT]), 1u);
	EXPECT_EQ(st->last_event_flags, 3u);
	ASSERT_EQ(fpgaGetOSObjectFromEventHandle(eh, &fd), FPGA_OK);
	EXPECT_GE(fd, 0);
	uint64_t one = 1, got = 0;
	ASSERT_EQ(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	ASSERT_EQ(read(fd, &got, sizeof(got)), (ssize_t)sizeof(got));
	EXPECT_EQ(got, 1u);

	// A second registration reuses the plugin's event handle.
	ASSERT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 4), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_CREATE_EVENT]), 1u);
	EXPECT_EQ(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh), FPGA_OK);
	EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(eh, nullptr);
	EXPECT_EQ(REC_LOAD(st->live_events), 0);

	// Destroying a wrapper the plugin never saw does not reach it.
	ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->calls[REC_DESTROY_EVENT]), 1u);
}

TEST_F(Opened, ErrorsObjectsClocksAndUmsg)
{
	uint64_t v = 0;
	EXPECT_EQ(fpgaReadError(tok, 5, &v), FPGA_OK);
	EXPECT_EQ(v, 0xe005u);
	struct fpga_error_info info;
	EXPECT_EQ(fpgaGetErrorInfo(tok, 0, &info), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaClearError(tok, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaClearAllErrors(tok), FPGA_NOT_SUPPORTED);

	fpga_object o = nullptr;
	EXPECT_EQ(fpgaTokenGetObject(tok, "missing", &o, 0), FPGA_NOT_FOUND);
	ASSERT_EQ(fpgaTokenGetObject(tok, "errors", &o, 0), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->live_objects), 1);
	EXPECT_EQ(fpgaObjectRead64(o, &v, 0), FPGA_OK);
	EXPECT_EQ(v, 0x0b0b0000u + 6);
	uint32_t size;
	EXPECT_EQ(fpgaObjectGetSize(o, &size, 0), FPGA_NOT_SUPPORTED);
	char name[16];
	EXPECT_EQ(fpgaObjectGetName(o, name, sizeof(name)), FPGA_NOT_SUPPORTED);
	fpga_object dead = o;
	EXPECT_EQ(fpgaDestroyObject(&o), FPGA_OK);
	EXPECT_EQ(REC_LOAD(st->live_objects), 0);
	EXPECT_EQ(fpgaObjectRead64(dead, &v, 0), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyObject(&dead), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaHandleGetObject(h, "x", &o, 0), FPGA_NOT_SUPPORTED);

	EXPECT_EQ(fpgaSetUserClock(h, 300, 150, 0), FPGA_OK);
	EXPECT_EQ(st->last_offset, 300150u);
	uint64_t hi, lo;
	EXPECT_EQ(fpgaGetUserClock(h, &hi, &lo, 0), FPGA_NOT_SUPPORTED);
	uint64_t n;
	EXPECT_EQ(fpgaGetNumMetrics(h, &n), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaGetNumUmsg(h, &n), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaSetUmsgAttributes(h, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaTriggerUmsg(h, 0), FPGA_NOT_SUPPORTED);
	uint64_t *up;
	EXPECT_EQ(fpgaGetUmsgPtr(h, &up), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaAssignToInterface(h, tok, 0, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaReleaseFromInterface(h, tok), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaAssignPortToInterface(h, 0, 0, 0), FPGA_NOT_SUPPORTED);
	uint8_t bits[4] = {};
	EXPECT_EQ(fpgaReconfigureSlot(h, 0, bits, sizeof(bits), 0), FPGA_NOT_SUPPORTED);
}

TEST_F(FwTest, APluginWithoutAnEntryAnswersNotSupported)
{
	rec_state *m = load(REC_PLUGIN_MINIMAL);
	ASSERT_NE(m, nullptr);
	fpga_token t = accelerator_on(m->bus);
	ASSERT_NE(t, nullptr);
	fpga_handle h = nullptr;
	ASSERT_EQ(fpgaOpen(t, &h, 0), FPGA_OK);
	uint64_t v = 0, wsid = 0;
	uint32_t v32 = 0;
	void *buf = nullptr;
	fpga_event_handle eh = nullptr;
	fpga_properties p = nullptr;
	EXPECT_EQ(fpgaReadMMIO64(h, 0, 0, &v), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaWriteMMIO64(h, 0, 0, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaReadMMIO32(h, 0, 0, &v32), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaWriteMMIO32(h, 0, 0, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaMapMMIO(h, 0, nullptr), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaUnmapMMIO(h, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaReset(h), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPrepareBuffer(h, 64, &buf, &wsid, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaReleaseBuffer(h, 1), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaGetIOAddress(h, 1, &v), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaGetPropertiesFromHandle(h, &p), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaUpdateProperties(t, p), FPGA_INVALID_PARAM); // p was never made
	ASSERT_EQ(fpgaGetProperties(nullptr, &p), FPGA_OK);
	EXPECT_EQ(fpgaUpdateProperties(t, p), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(fpgaReadError(t, 0, &v), FPGA_NOT_SUPPORTED);
	ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(fpgaClose(h), FPGA_OK);
	EXPECT_EQ(fpgaDestroyToken(&t), FPGA_OK);
	EXPECT_EQ(REC_LOAD(m->live_handles), 0);
	EXPECT_EQ(REC_LOAD(m->live_tokens), 0);
}

TEST_F(FwTest, HandlesOfTwoPluginsStayApart)
{
	rec_state *a = load(REC_PLUGIN_A);
	rec_state *b = load(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	fpga_token ta = accelerator_on(a->bus), tb = accelerator_on(b->bus);
	fpga_handle ha = nullptr, hb = nullptr;
	ASSERT_EQ(fpgaOpen(ta, &ha, 0), FPGA_OK);
	ASSERT_EQ(fpgaOpen(tb, &hb, 0), FPGA_OK);
	EXPECT_EQ(fpgaWriteMMIO64(ha, 0, 8, 0xa), FPGA_OK);
	EXPECT_EQ(fpgaWriteMMIO64(hb, 0, 8, 0xb), FPGA_OK);
	EXPECT_EQ(a->mmio[1], 0xau);
	EXPECT_EQ(b->mmio[1], 0xbu);
	// An event handle belongs to the plugin of its first registration.
	fpga_event_handle eh = nullptr;
	ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
	ASSERT_EQ(fpgaRegisterEvent(ha, FPGA_EVENT_INTERRUPT, eh, 0), FPGA_OK);
	EXPECT_EQ(fpgaRegisterEvent(hb, FPGA_EVENT_INTERRUPT, eh, 0), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaUnregisterEvent(hb, FPGA_EVENT_INTERRUPT, eh), FPGA_INVALID_PARAM);
	// A token of another plugin is refused where a handle's own is expected.
	EXPECT_EQ(fpgaAssignToInterface(ha, tb, 0, 0), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_OK);
	EXPECT_EQ(fpgaClose(ha), FPGA_OK);
	EXPECT_EQ(fpgaClose(hb), FPGA_OK);
	EXPECT_EQ(fpgaDestroyToken(&ta), FPGA_OK);
	EXPECT_EQ(fpgaDestroyToken(&tb), FPGA_OK);
}
