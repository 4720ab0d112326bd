// SPDX-License-Identifier: BSD-3-Clause
// test_enum.cpp - enumeration across plugins (merging, max_tokens, total
// counts, plugin errors, filters with parent tokens), token reference
// counting and destruction through the owning plugin, and the parent that
// fpgaGetProperties/UpdateProperties add.
#include "fw_test_util.h"

namespace
{
uint8_t bus_of(fpga_token t)
{
	fpga_properties p = nullptr;
	uint8_t bus = 0xff;
	EXPECT_EQ(fpgaGetProperties(t, &p), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	return bus;
}

fpga_properties filter_of(fpga_objtype type)
{
	fpga_properties f = nullptr;
	EXPECT_EQ(fpgaGetProperties(nullptr, &f), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesSetObjectType(f, type), FPGA_OK);
	return f;
}
} // namespace

TEST_F(FwTest, EnumerateWithoutPluginsFindsNothing)
{
	fpga_token t = nullptr;
	uint32_t n = 7;
	EXPECT_EQ(fpgaEnumerate(nullptr, 0, &t, 1, &n), FPGA_OK);
	EXPECT_EQ(n, 0u);
	EXPECT_EQ(t, nullptr);
}

TEST_F(FwTest, EnumerateMergesPluginsInLoadOrderAndCountsAll)
{
	rec_state *a = load(REC_PLUGIN_A);
	rec_state *b = load(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	b->ndevices = 2;

	auto toks = enumerate_all();
	ASSERT_EQ(toks.size(), 6u); // a: FME + AFU; b: two of each
	EXPECT_EQ(bus_of(toks[0]), a->bus);
	EXPECT_EQ(bus_of(toks[1]), a->bus);
	for (size_t i = 2; i < 6; i++) {
		EXPECT_EQ(bus_of(toks[i]), b->bus);
	}
	EXPECT_EQ(REC_LOAD(a->live_tokens), 2);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 4);

	// max_tokens: three written, all six counted; the second plugin gets
	// the remaining room only.
	fpga_token three[3] = {};
	uint32_t n = 0;
	ASSERT_EQ(fpgaEnumerate(nullptr, 0, three, 3, &n), FPGA_OK);
	EXPECT_EQ(n, 6u);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 4);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 5);
	for (auto &t : three) {
		EXPECT_EQ(fpgaDestroyToken(&t), FPGA_OK);
	}

	// Counting only.
	ASSERT_EQ(fpgaEnumerate(nullptr, 0, nullptr, 0, &n), FPGA_OK);
	EXPECT_EQ(n, 6u);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 2);

	destroy_all(toks);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 0);
}

TEST_F(FwTest, FiltersReachEveryPlugin)
{
	rec_state *a = load(REC_PLUGIN_A);
	rec_state *b = load(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	fpga_properties f[2] = {filter_of(FPGA_ACCELERATOR), filter_of(FPGA_DEVICE)};
	ASSERT_EQ(fpgaPropertiesSetBus(f[1], b->bus), FPGA_OK);

	// accelerators anywhere, or devices on b's bus
	auto toks = enumerate_all(f, 2);
	EXPECT_EQ(toks.size(), 3u);
	destroy_all(toks);
	// one filter only
	toks = enumerate_all(f, 1);
	EXPECT_EQ(toks.size(), 2u);
	destroy_all(toks);
	// the same filter twice is one filter
	fpga_properties twice[2] = {f[0], f[0]};
	toks = enumerate_all(twice, 2);
	EXPECT_EQ(toks.size(), 2u);
	destroy_all(toks);
	for (auto &x : f) {
		EXPECT_EQ(fpgaDestroyProperties(&x), FPGA_OK);
	}
}

TEST_F(FwTest, PluginErrorsMakeAnExceptionButOthersStillCount)
{
	rec_state *a = load(REC_PLUGIN_A);
	rec_state *b = load(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	fpga_token toks[4];
	uint32_t n = 0;

	a->enumerate_result = FPGA_NOT_FOUND; // "nothing here": not an error
	ASSERT_EQ(fpgaEnumerate(nullptr, 0, toks, 4, &n), FPGA_OK);
	EXPECT_EQ(n, 2u);
	for (uint32_t i = 0; i < n; i++) {
		EXPECT_EQ(fpgaDestroyToken(&toks[i]), FPGA_OK);
	}

	a->enumerate_result = FPGA_NO_DRIVER;
	ASSERT_EQ(fpgaEnumerate(nullptr, 0, toks, 4, &n), FPGA_OK);
	EXPECT_EQ(n, 2u);
	for (uint32_t i = 0; i < n; i++) {
		EXPECT_EQ(fpgaDestroyToken(&toks[i]), FPGA_OK);
	}

	a->enumerate_result = FPGA_EXCEPTION;
	ASSERT_EQ(fpgaEnumerate(nullptr, 0, toks, 4, &n), FPGA_EXCEPTION);
	EXPECT_EQ(n, 2u);
	EXPECT_EQ(bus_of(toks[0]), b->bus);
	for (uint32_t i = 0; i < n; i++) {
		EXPECT_EQ(fpgaDestroyToken(&toks[i]), FPGA_OK);
	}
	EXPECT_EQ(REC_LOAD(b->live_tokens), 0);
}

TEST_F(FwTest, EnumerateArgumentChecks)
{
	ASSERT_TRUE(load(REC_PLUGIN_A));
	fpga_properties f = filter_of(FPGA_DEVICE);
	fpga_token t;
	uint32_t n;
	EXPECT_EQ(fpgaEnumerate(nullptr, 0, &t, 1, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaEnumerate(nullptr, 0, nullptr, 1, &n), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaEnumerate(nullptr, 1, &t, 1, &n), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaEnumerate(&f, 0, &t, 1, &n), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyProperties(&f), FPGA_OK);
}

TEST_F(FwTest, ParentTokensInFiltersAreUnwrappedForPluginsAndRestored)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	a->ndevices = 2;
	fpga_properties fd = filter_of(FPGA_DEVICE);
	ASSERT_EQ(fpgaPropertiesSetDevice(fd, 1), FPGA_OK);
	auto dev = enumerate_all(&fd, 1);
	ASSERT_EQ(dev.size(), 1u);

	fpga_properties f = filter_of(FPGA_ACCELERATOR);
	ASSERT_EQ(fpgaPropertiesSetParent(f, dev[0]), FPGA_OK);
	fpga_token before = nullptr, after = nullptr;
	ASSERT_EQ(fpgaPropertiesGetParent(f, &before), FPGA_OK);

	auto acc = enumerate_all(&f, 1);
	ASSERT_EQ(acc.size(), 1u); // only card 1's accelerator
	// The plugin saw its own token (a pointer to a token header), never our id.
	auto *seen = static_cast<const fpga_token_header *>(a->last_filter_parent);
	ASSERT_NE(seen, nullptr);
	EXPECT_NE(a->last_filter_parent, before);
	EXPECT_EQ(seen->objtype, FPGA_DEVICE);
	EXPECT_EQ(seen->device, 1);
	// ... and the filter has our id back.
	ASSERT_EQ(fpgaPropertiesGetParent(f, &after), FPGA_OK);
	EXPECT_EQ(after, before);
	fpga_properties pp = nullptr;
	EXPECT_EQ(fpgaGetProperties(after, &pp), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&pp), FPGA_OK);

	// The filter keeps the device token alive after the program's id dies.
	destroy_all(dev);
	destroy_all(acc);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 1);
	acc = enumerate_all(&f, 1);
	EXPECT_EQ(acc.size(), 1u);
	destroy_all(acc);
	EXPECT_EQ(fpgaDestroyProperties(&f), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&fd), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
}

TEST_F(FwTest, AParentThatIsNotATokenIsRefused)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	fpga_properties f = filter_of(FPGA_ACCELERATOR);
	uint64_t junk = 0;
	ASSERT_EQ(fpgaPropertiesSetParent(f, &junk), FPGA_OK); // OPAE accepts any value
	fpga_token t;
	uint32_t n = 0;
	EXPECT_EQ(fpgaEnumerate(&f, 1, &t, 1, &n), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(a->calls[REC_ENUMERATE]), 0u); // never reached a plugin
	EXPECT_EQ(fpgaDestroyProperties(&f), FPGA_OK);
}

TEST_F(FwTest, TokensAreDestroyedThroughTheOwningPluginOnce)
{
	rec_state *a = load(REC_PLUGIN_A);
	rec_state *b = load(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	fpga_token t = accelerator_on(b->bus), c = nullptr;
	ASSERT_NE(t, nullptr);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 1);

	ASSERT_EQ(fpgaCloneToken(t, &c), FPGA_OK);
	EXPECT_NE(c, t);
	EXPECT_EQ(REC_LOAD(b->calls[REC_CLONE_TOKEN]), 1u);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 2);
	EXPECT_EQ(bus_of(c), b->bus);

	fpga_token copy = t;
	EXPECT_EQ(fpgaDestroyToken(&t), FPGA_OK);
	EXPECT_EQ(t, nullptr);
	EXPECT_EQ(REC_LOAD(b->calls[REC_DESTROY_TOKEN]), 1u);
	// A second destroy of the same id: refused, nothing reaches the plugin.
	EXPECT_EQ(fpgaDestroyToken(&copy), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(b->calls[REC_DESTROY_TOKEN]), 1u);
	EXPECT_EQ(fpgaDestroyToken(&c), FPGA_OK);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 0);
	EXPECT_EQ(REC_LOAD(a->calls[REC_DESTROY_TOKEN]), 0u);
	EXPECT_EQ(fpgaDestroyToken(nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaCloneToken(copy, &c), FPGA_INVALID_PARAM);
}

TEST_F(FwTest, AnOpenHandleKeepsItsTokenAlive)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	fpga_token t = accelerator_on(a->bus);
	fpga_handle h = nullptr;
	ASSERT_EQ(fpgaOpen(t, &h, 0), FPGA_OK);
	fpga_token dead = t;
	ASSERT_EQ(fpgaDestroyToken(&t), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 1); // held by the handle
	EXPECT_EQ(fpgaDestroyToken(&dead), FPGA_INVALID_PARAM);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 1);
	fpga_properties p = nullptr;
	EXPECT_EQ(fpgaGetPropertiesFromHandle(h, &p), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(fpgaClose(h), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
}

TEST_F(FwTest, PropertiesGetTheParentDeviceTheProgramHolds)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	a->ndevices = 2;
	auto toks = enumerate_all(); // dev0, afu0, dev1, afu1
	ASSERT_EQ(toks.size(), 4u);

	fpga_properties p = nullptr;
	fpga_token parent = nullptr;
	ASSERT_EQ(fpgaGetProperties(toks[3], &p), FPGA_OK);
	ASSERT_EQ(fpgaPropertiesGetParent(p, &parent), FPGA_OK);
	fpga_properties pp = nullptr;
	fpga_objtype type;
	uint8_t dev = 0;
	ASSERT_EQ(fpgaGetProperties(parent, &pp), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetObjectType(pp, &type), FPGA_OK);
	EXPECT_EQ(type, FPGA_DEVICE);
	EXPECT_EQ(fpgaPropertiesGetDevice(pp, &dev), FPGA_OK);
	EXPECT_EQ(dev, 1);
	EXPECT_EQ(fpgaDestroyProperties(&pp), FPGA_OK);

	// A device has no parent.
	EXPECT_EQ(fpgaGetProperties(toks[2], &pp), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetParent(pp, &parent), FPGA_NOT_FOUND);
	EXPECT_EQ(fpgaDestroyProperties(&pp), FPGA_OK);

	// The properties keep the device's plugin token alive.
	destroy_all(toks);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 1);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
}

TEST_F(FwTest, NoParentWhenTheProgramHoldsNoDeviceToken)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	a->store_raw_parent = 1; // the plugin stores its raw token as parent
	fpga_token t = accelerator_on(a->bus);
	fpga_properties p = nullptr;
	fpga_token parent = nullptr;
	ASSERT_EQ(fpgaGetProperties(t, &p), FPGA_OK);
	// The raw plugin token never reaches the program.
	EXPECT_EQ(fpgaPropertiesGetParent(p, &parent), FPGA_NOT_FOUND);

	// UpdateProperties: the plugin refills, the framework adds the parent.
	fpga_properties fd = filter_of(FPGA_DEVICE);
	auto dev = enumerate_all(&fd, 1);
	ASSERT_EQ(dev.size(), 1u);
	ASSERT_EQ(fpgaUpdateProperties(t, p), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->calls[REC_UPDATE_PROPS]), 1u);
	ASSERT_EQ(fpgaPropertiesGetParent(p, &parent), FPGA_OK);
	EXPECT_EQ(bus_of(parent), a->bus);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&fd), FPGA_OK);
	destroy_all(dev);
	EXPECT_EQ(fpgaDestroyToken(&t), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
}

TEST_F(FwTest, ClonedPropertiesOwnTheirParent)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_TRUE(a);
	auto toks = enumerate_all();
	ASSERT_EQ(toks.size(), 2u);
	fpga_properties p = nullptr, c = nullptr;
	fpga_token pa = nullptr, pc = nullptr;
	ASSERT_EQ(fpgaGetProperties(toks[1], &p), FPGA_OK);
	ASSERT_EQ(fpgaCloneProperties(p, &c), FPGA_OK);
	ASSERT_EQ(fpgaPropertiesGetParent(p, &pa), FPGA_OK);
	ASSERT_EQ(fpgaPropertiesGetParent(c, &pc), FPGA_OK);
	destroy_all(toks);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 1);
	EXPECT_EQ(bus_of(pc), a->bus);
	EXPECT_EQ(fpgaClearProperties(c), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
	EXPECT_EQ(fpgaDestroyProperties(&c), FPGA_OK);
}
