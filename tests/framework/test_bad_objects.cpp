// SPDX-License-Identifier: BSD-3-Clause
// test_bad_objects.cpp - the bad-object matrix: every entry point taking a
// token, handle, event handle, object or properties gets NULL, garbage
// (small integers, stack and heap addresses), stale objects (destroyed or
// closed) and foreign objects (another kind's value) and must answer
// FPGA_INVALID_PARAM without reaching a plugin and without crashing.
#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include "fw_test_util.h"

namespace
{
using Call = std::pair<const char *, std::function<fpga_result(void *)>>;

std::vector<Call> token_calls()
{
	static fpga_properties prop = nullptr;
	if (!prop)
		fpgaGetProperties(nullptr, &prop); // a valid one, kept for the process
	return {
	    {"fpgaOpen",
	     [](void *t) {
		     fpga_handle h;
		     return fpgaOpen(t, &h, 0);
	     }},
	    {"fpgaCloneToken",
	     [](void *t) {
		     fpga_token c;
		     return fpgaCloneToken(t, &c);
	     }},
	    {"fpgaDestroyToken", [](void *t) { return fpgaDestroyToken(&t); }},
	    {"fpgaGetProperties",
	     [](void *t) {
		     fpga_properties p = nullptr;
		     // NULL is the "empty properties" request, not a bad token.
		     fpga_result r = fpgaGetProperties(t, &p);
		     if (!t && r == FPGA_OK) {
			     fpgaDestroyProperties(&p);
			     return FPGA_INVALID_PARAM;
		     }
		     return r;
	     }},
	    {"fpgaUpdateProperties", [](void *t) { return fpgaUpdateProperties(t, prop); }},
	    {"fpgaReadError",
	     [](void *t) {
		     uint64_t v;
		     return fpgaReadError(t, 0, &v);
	     }},
	    {"fpgaClearError", [](void *t) { return fpgaClearError(t, 0); }},
	    {"fpgaClearAllErrors", [](void *t) { return fpgaClearAllErrors(t); }},
	    {"fpgaGetErrorInfo",
	     [](void *t) {
		     struct fpga_error_info i;
		     return fpgaGetErrorInfo(t, 0, &i);
	     }},
	    {"fpgaTokenGetObject",
	     [](void *t) {
		     fpga_object o;
		     return fpgaTokenGetObject(t, "x", &o, 0);
	     }},
	};
}

std::vector<Call> handle_calls()
{
	static uint64_t v;
	static uint32_t v32;
	static uint64_t line[8];
	return {
	    {"fpgaClose", [](void *h) { return fpgaClose(h); }},
	    {"fpgaReset", [](void *h) { return fpgaReset(h); }},
	    {"fpgaGetPropertiesFromHandle",
	     [](void *h) {
		     fpga_properties p;
		     return fpgaGetPropertiesFromHandle(h, &p);
	     }},
	    {"fpgaReadMMIO64", [](void *h) { return fpgaReadMMIO64(h, 0, 0, &v); }},
	    {"fpgaWriteMMIO64", [](void *h) { return fpgaWriteMMIO64(h, 0, 0, 0); }},
	    {"fpgaReadMMIO32", [](void *h) { return fpgaReadMMIO32(h, 0, 0, &v32); }},
	    {"fpgaWriteMMIO32", [](void *h) { return fpgaWriteMMIO32(h, 0, 0, 0); }},
	    {"fpgaWriteMMIO512", [](void *h) { return fpgaWriteMMIO512(h, 0, 0, line); }},
	    {"fpgaMapMMIO",
	     [](void *h) {
		     uint64_t *p;
		     return fpgaMapMMIO(h, 0, &p);
	     }},
	    {"fpgaUnmapMMIO", [](void *h) { return fpgaUnmapMMIO(h, 0); }},
	    {"fpgaPrepareBuffer",
	     [](void *h) {
		     void *b = nullptr;
		     uint64_t w;
		     return fpgaPrepareBuffer(h, 64, &b, &w, 0);
	     }},
	    {"fpgaPrepareBuffer(probe)",
	     [](void *h) {
		     return fpgaPrepareBuffer(h, 0, nullptr, nullptr, FPGA_BUF_PREALLOCATED);
	     }},
	    {"fpgaReleaseBuffer", [](void *h) { return fpgaReleaseBuffer(h, 1); }},
	    {"fpgaGetIOAddress", [](void *h) { return fpgaGetIOAddress(h, 1, &v); }},
	    {"fpgaBindSVA",
	     [](void *h) {
		     uint32_t p;
		     return fpgaBindSVA(h, &p);
	     }},
	    {"fpgaAssignPortToInterface",
	     [](void *h) { return fpgaAssignPortToInterface(h, 0, 0, 0); }},
	    {"fpgaReconfigureSlot",
	     [](void *h) {
		     uint8_t b[4] = {};
		     return fpgaReconfigureSlot(h, 0, b, 4, 0);
	     }},
	    {"fpgaHandleGetObject",
	     [](void *h) {
		     fpga_object o;
		     return fpgaHandleGetObject(h, "x", &o, 0);
	     }},
	    {"fpgaSetUserClock", [](void *h) { return fpgaSetUserClock(h, 1, 1, 0); }},
	    {"fpgaGetUserClock",
	     [](void *h) {
		     uint64_t a, b;
		     return fpgaGetUserClock(h, &a, &b, 0);
	     }},
	    {"fpgaGetNumMetrics", [](void *h) { return fpgaGetNumMetrics(h, &v); }},
	    {"fpgaGetMetricsInfo",
	     [](void *h) {
		     fpga_metric_info i;
		     uint64_t n = 1;
		     return fpgaGetMetricsInfo(h, &i, &n);
	     }},
	    {"fpgaGetMetricsByIndex",
	     [](void *h) {
		     uint64_t idx = 0;
		     fpga_metric m;
		     return fpgaGetMetricsByIndex(h, &idx, 1, &m);
	     }},
	    {"fpgaGetMetricsByName",
	     [](void *h) {
		     char n[] = "x";
		     char *names[] = {n};
		     fpga_metric m;
		     return fpgaGetMetricsByName(h, names, 1, &m);
	     }},
	    {"fpgaGetMetricsThresholdInfo",
	     [](void *h) {
		     metric_threshold t;
		     uint32_t n = 1;
		     return fpgaGetMetricsThresholdInfo(h, &t, &n);
	     }},
	    {"fpgaGetNumUmsg", [](void *h) { return fpgaGetNumUmsg(h, &v); }},
	    {"fpgaSetUmsgAttributes", [](void *h) { return fpgaSetUmsgAttributes(h, 0); }},
	    {"fpgaTriggerUmsg", [](void *h) { return fpgaTriggerUmsg(h, 0); }},
	    {"fpgaGetUmsgPtr",
	     [](void *h) {
		     uint64_t *p;
		     return fpgaGetUmsgPtr(h, &p);
	     }},
	    {"fpgaGetChildren",
	     [](void *h) {
		     uint32_t n;
		     return fpgaGetChildren(h, 0, nullptr, &n);
	     }},
	};
}

std::vector<Call> event_calls()
{
	return {
	    {"fpgaDestroyEventHandle", [](void *e) { return fpgaDestroyEventHandle(&e); }},
	    {"fpgaGetOSObjectFromEventHandle",
	     [](void *e) {
		     int fd;
		     return fpgaGetOSObjectFromEventHandle(e, &fd);
	     }},
	};
}

std::vector<Call> object_calls()
{
	static uint64_t v;
	return {
	    {"fpgaObjectGetObject",
	     [](void *o) {
		     fpga_object c;
		     return fpgaObjectGetObject(o, "x", &c, 0);
	     }},
	    {"fpgaObjectGetObjectAt",
	     [](void *o) {
		     fpga_object c;
		     return fpgaObjectGetObjectAt(o, 0, &c);
	     }},
	    {"fpgaDestroyObject", [](void *o) { return fpgaDestroyObject(&o); }},
	    {"fpgaObjectRead",
	     [](void *o) {
		     uint8_t b[8];
		     return fpgaObjectRead(o, b, 0, 8, 0);
	     }},
	    {"fpgaObjectRead64", [](void *o) { return fpgaObjectRead64(o, &v, 0); }},
	    {"fpgaObjectGetSize",
	     [](void *o) {
		     uint32_t s;
		     return fpgaObjectGetSize(o, &s, 0);
	     }},
	    {"fpgaObjectGetType",
	     [](void *o) {
		     enum fpga_sysobject_type t;
		     return fpgaObjectGetType(o, &t);
	     }},
	    {"fpgaObjectWrite64", [](void *o) { return fpgaObjectWrite64(o, 1, 0); }},
	    {"fpgaObjectGetName",
	     [](void *o) {
		     char n[8];
		     return fpgaObjectGetName(o, n, sizeof(n));
	     }},
	};
}

struct BadObjects : FwTest {
	void SetUp() override
	{
		st = load(REC_PLUGIN_A);
		ASSERT_NE(st, nullptr);
		tok = accelerator_on(st->bus);
		ASSERT_EQ(fpgaOpen(tok, &h, 0), FPGA_OK);
		ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
		ASSERT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0), FPGA_OK);
		ASSERT_EQ(fpgaTokenGetObject(tok, "obj", &obj, 0), FPGA_OK);
		ASSERT_EQ(fpgaGetProperties(nullptr, &props), FPGA_OK);

		// Stale values of every kind.
		fpga_token t2 = accelerator_on(st->bus);
		fpga_handle h2 = nullptr;
		fpga_event_handle e2 = nullptr;
		fpga_object o2 = nullptr;
		ASSERT_EQ(fpgaOpen(t2, &h2, 0), FPGA_OK);
		ASSERT_EQ(fpgaCreateEventHandle(&e2), FPGA_OK);
		ASSERT_EQ(fpgaTokenGetObject(t2, "obj", &o2, 0), FPGA_OK);
		stale = {t2, h2, e2, o2};
		ASSERT_EQ(fpgaClose(h2), FPGA_OK);
		ASSERT_EQ(fpgaDestroyEventHandle(&e2), FPGA_OK);
		ASSERT_EQ(fpgaDestroyObject(&o2), FPGA_OK);
		ASSERT_EQ(fpgaDestroyToken(&t2), FPGA_OK);
	}
	void TearDown() override
	{
		EXPECT_EQ(fpgaDestroyProperties(&props), FPGA_OK);
		EXPECT_EQ(fpgaDestroyObject(&obj), FPGA_OK);
		EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_OK);
		EXPECT_EQ(fpgaClose(h), FPGA_OK);
		EXPECT_EQ(fpgaDestroyToken(&tok), FPGA_OK);
		EXPECT_EQ(REC_LOAD(st->live_tokens), 0);
		EXPECT_EQ(REC_LOAD(st->live_handles), 0);
		EXPECT_EQ(REC_LOAD(st->live_events), 0);
		EXPECT_EQ(REC_LOAD(st->live_objects), 0);
		FwTest::TearDown();
	}

	// NULL, garbage, every stale value, and every live value of another kind.
	std::vector<std::pair<std::string, void *>> bad_for(void *own_live, void *own_stale)
	{
		static uint64_t on_heap_like[16];
		uint64_t on_stack = 0;
		std::vector<std::pair<std::string, void *>> v = {
		    {"NULL", nullptr},
		    {"small integer", (void *)(uintptr_t)1},
		    {"stack address", &on_stack},
		    {"static address", on_heap_like},
		    {"all ones", (void *)~(uintptr_t)0},
		    {"properties", props},
		    {"stale own kind", own_stale},
		};
		void *live[] = {tok, h, eh, obj};
		const char *names[] = {"token", "handle", "event handle", "object"};
		for (int i = 0; i < 4; i++) {
			if (live[i] != own_live)
				v.push_back({std::string("live ") + names[i], live[i]});
			if (stale[i] != own_stale)
				v.push_back({std::string("stale ") + names[i], stale[i]});
		}
		// The neighbouring index and another generation of our own value.
		v.push_back({"own index + 1", (void *)((uintptr_t)own_live + 1)});
		v.push_back({"own generation + 1", (void *)((uintptr_t)own_live + (1ull << 32))});
		return v;
	}

	void check(const std::vector<Call> &calls, void *own_live, void *own_stale)
	{
		unsigned before[REC_NCALLS];
		for (int i = 0; i < REC_NCALLS; i++)
			before[i] = REC_LOAD(st->calls[i]);
		for (auto &c : calls)
			for (auto &b : bad_for(own_live, own_stale)) {
				EXPECT_EQ(c.second(b.second), FPGA_INVALID_PARAM)
				    << c.first << "(" << b.first << ")";
			}
		// No bad value reached the plugin.
		for (int i = 0; i < REC_NCALLS; i++) {
			EXPECT_EQ(REC_LOAD(st->calls[i]), before[i]) << "plugin call " << i;
		}
	}

	rec_state *st = nullptr;
	fpga_token tok = nullptr;
	fpga_handle h = nullptr;
	fpga_event_handle eh = nullptr;
	fpga_object obj = nullptr;
	fpga_properties props = nullptr;
	std::vector<void *> stale;
};
} // namespace

TEST_F(BadObjects, Tokens)
{
	check(token_calls(), tok, stale[0]);
}

TEST_F(BadObjects, Handles)
{
	check(handle_calls(), h, stale[1]);
	// A token of this plugin with a bad handle, and the reverse.
	for (auto &b : bad_for(h, stale[1])) {
		EXPECT_EQ(fpgaAssignToInterface(b.second, tok, 0, 0), FPGA_INVALID_PARAM)
		    << b.first;
	}
	for (auto &b : bad_for(tok, stale[0])) {
		EXPECT_EQ(fpgaReleaseFromInterface(h, b.second), FPGA_INVALID_PARAM) << b.first;
	}
}

TEST_F(BadObjects, EventHandles)
{
	check(event_calls(), eh, stale[2]);
	for (auto &b : bad_for(eh, stale[2])) {
		EXPECT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, b.second, 0),
		          FPGA_INVALID_PARAM)
		    << b.first;
		EXPECT_EQ(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, b.second),
		          FPGA_INVALID_PARAM)
		    << b.first;
	}
	for (auto &b : bad_for(h, stale[1])) {
		EXPECT_EQ(fpgaRegisterEvent(b.second, FPGA_EVENT_INTERRUPT, eh, 0),
		          FPGA_INVALID_PARAM)
		    << b.first;
	}
}

TEST_F(BadObjects, Objects)
{
	check(object_calls(), obj, stale[3]);
}

TEST_F(BadObjects, PropertiesEntryPoints)
{
	uint8_t bus;
	fpga_token t;
	uint32_t n;
	for (auto &b : bad_for(nullptr, nullptr)) {
		if (b.second == props)
			continue;
		fpga_properties p = b.second;
		EXPECT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_INVALID_PARAM) << b.first;
		EXPECT_EQ(fpgaPropertiesSetObjectType(p, FPGA_DEVICE), FPGA_INVALID_PARAM)
		    << b.first;
		EXPECT_EQ(fpgaClearProperties(p), FPGA_INVALID_PARAM) << b.first;
		EXPECT_EQ(fpgaUpdateProperties(tok, p), FPGA_INVALID_PARAM) << b.first;
		if (p) {
			EXPECT_EQ(fpgaEnumerate(&p, 1, &t, 1, &n), FPGA_INVALID_PARAM) << b.first;
		}
		EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_INVALID_PARAM) << b.first;
	}
	// A bad filter among good ones.
	uint64_t junk = 0;
	fpga_properties mixed[2] = {props, &junk};
	EXPECT_EQ(fpgaEnumerate(mixed, 2, &t, 1, &n), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(st->calls[REC_ENUMERATE]), 2u); // the fixture's two only
}

// The registry of live properties marks removed slots with the value 1: the
// "small integer" 1 must never be taken for an object, whatever the registry
// holds (it was, and dereferenced, whenever its probe met a removed slot).
TEST(PropertiesRegistry, SmallIntegersAreNeverObjects)
{
	std::vector<fpga_properties> live;
	uint8_t bus;
	for (unsigned round = 0; round < 64; round++) {
		for (unsigned i = 0; i < 8 + round * 8; i++) {
			fpga_properties p = nullptr;
			ASSERT_EQ(fpgaGetProperties(nullptr, &p), FPGA_OK);
			live.push_back(p);
		}
		for (size_t i = 0; i < live.size(); i += 2) // every other one: removed slots
			ASSERT_EQ(fpgaDestroyProperties(&live[i]), FPGA_OK);
		for (uintptr_t v = 1; v < 16; v++) {
			fpga_properties p = (fpga_properties)v;
			ASSERT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_INVALID_PARAM) << v;
			ASSERT_EQ(fpgaClearProperties(p), FPGA_INVALID_PARAM) << v;
			ASSERT_EQ(fpgaDestroyProperties(&p), FPGA_INVALID_PARAM) << v;
		}
		for (size_t i = 1; i < live.size(); i += 2)
			ASSERT_EQ(fpgaDestroyProperties(&live[i]), FPGA_OK);
		live.clear();
	}
}
