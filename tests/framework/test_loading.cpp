// SPDX-License-Identifier: BSD-3-Clause
// test_loading.cpp - opae_plugin_mgr_register_plugin, fpgaInitialize and
// fpgaFinalize: the configuration string a plugin receives, failures
// reported with the module and the reason (and the rest keeps working),
// initialize once, finalize with everything the program left open closed
// through the plugins, and use after fpgaFinalize.
#include <string>

#include <gmock/gmock.h>

#include "fw_test_util.h"

using ::testing::HasSubstr;

TEST_F(FwTest, ConfigureGetsTheConfigurationString)
{
	ASSERT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_A, "{\"devices\":[1,2]}"), 0);
	ASSERT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_B, nullptr), 0);
	rec_state *a = state_of(REC_PLUGIN_A), *b = state_of(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	EXPECT_STREQ(a->config, "{\"devices\":[1,2]}");
	EXPECT_STREQ(b->config, "(null)");
	// Registration does not initialize (as OPAE); the next fpgaInitialize does.
	EXPECT_EQ(REC_LOAD(a->calls[REC_INITIALIZE]), 0u);
	ASSERT_EQ(fpgaInitialize(nullptr), FPGA_OK);
	ASSERT_EQ(fpgaInitialize(nullptr), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->calls[REC_INITIALIZE]), 1u);
	EXPECT_EQ(REC_LOAD(b->calls[REC_INITIALIZE]), 1u);
	// The same module again keeps the first configuration.
	EXPECT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_A, "{\"other\":1}"), 0);
	EXPECT_EQ(REC_LOAD(a->calls[REC_CONFIGURE]), 1u);
	EXPECT_STREQ(a->config, "{\"devices\":[1,2]}");
}

TEST_F(FwTest, LoadFailuresAreReportedWithModuleAndReason)
{
	::testing::internal::CaptureStderr();
	EXPECT_NE(opae_plugin_mgr_register_plugin("/nonexistent/libnothing.so", "{}"), 0);
	std::string err = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(err, HasSubstr("/nonexistent/libnothing.so"));
	EXPECT_THAT(err, HasSubstr("cannot load the module"));

	::testing::internal::CaptureStderr();
	EXPECT_NE(opae_plugin_mgr_register_plugin(NOT_A_PLUGIN, "{}"), 0);
	err = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(err, HasSubstr(NOT_A_PLUGIN));
	EXPECT_THAT(err, HasSubstr("no symbol opae_plugin_configure"));
	EXPECT_EQ(dlopen(NOT_A_PLUGIN, RTLD_NOW | RTLD_NOLOAD), nullptr); // unloaded

	::testing::internal::CaptureStderr();
	EXPECT_NE(opae_plugin_mgr_register_plugin(REC_PLUGIN_A, "{\"fail-configure\":1}"), 0);
	err = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(err, HasSubstr("opae_plugin_configure returned 7"));
	EXPECT_THAT(err, HasSubstr("fail-configure"));
	EXPECT_EQ(dlopen(REC_PLUGIN_A, RTLD_NOW | RTLD_NOLOAD), nullptr);

	EXPECT_NE(opae_plugin_mgr_register_plugin(nullptr, "{}"), 0);
	EXPECT_NE(opae_plugin_mgr_register_plugin("", "{}"), 0);

	// Nothing was loaded.
	uint32_t n = 1;
	EXPECT_EQ(fpgaEnumerate(nullptr, 0, nullptr, 0, &n), FPGA_OK);
	EXPECT_EQ(n, 0u);
}

TEST_F(FwTest, APluginWhoseInitializeFailsIsUnloadedAndOthersWork)
{
	ASSERT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_A, "{}"), 0);
	ASSERT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_B, "{\"fail-initialize\":1}"), 0);
	::testing::internal::CaptureStderr();
	EXPECT_EQ(fpgaInitialize(nullptr), FPGA_EXCEPTION);
	std::string err = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(err, HasSubstr(REC_PLUGIN_B));
	EXPECT_THAT(err, HasSubstr("initialize() returned 5"));
	EXPECT_EQ(dlopen(REC_PLUGIN_B, RTLD_NOW | RTLD_NOLOAD), nullptr);
	rec_state *a = state_of(REC_PLUGIN_A);
	ASSERT_NE(a, nullptr);
	auto toks = enumerate_all();
	EXPECT_EQ(toks.size(), 2u);
	destroy_all(toks);
	EXPECT_EQ(fpgaInitialize(nullptr), FPGA_OK); // nothing left failing
}

TEST_F(FwTest, FinalizeClosesWhatTheProgramLeftOpenThroughThePlugins)
{
	rec_state *a = load(REC_PLUGIN_A);
	ASSERT_NE(a, nullptr);
	fpga_token t = accelerator_on(a->bus), t2 = accelerator_on(a->bus);
	fpga_handle h = nullptr;
	fpga_event_handle eh = nullptr, unused = nullptr;
	fpga_object o = nullptr;
	fpga_properties p = nullptr;
	void *buf = nullptr;
	uint64_t wsid;
	ASSERT_EQ(fpgaOpen(t, &h, 0), FPGA_OK);
	ASSERT_EQ(fpgaPrepareBuffer(h, 64, &buf, &wsid, 0), FPGA_OK);
	ASSERT_EQ(fpgaCreateEventHandle(&eh), FPGA_OK);
	ASSERT_EQ(fpgaCreateEventHandle(&unused), FPGA_OK);
	ASSERT_EQ(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0), FPGA_OK);
	ASSERT_EQ(fpgaTokenGetObject(t, "o", &o, 0), FPGA_OK);
	ASSERT_EQ(fpgaGetProperties(t2, &p), FPGA_OK);

	ASSERT_EQ(fpgaFinalize(), FPGA_OK);
	EXPECT_EQ(REC_LOAD(a->calls[REC_FINALIZE]), 1u);
	EXPECT_EQ(REC_LOAD(a->live_handles), 0);
	EXPECT_EQ(REC_LOAD(a->live_events), 0);
	EXPECT_EQ(REC_LOAD(a->live_objects), 0);
	EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
	EXPECT_EQ(REC_LOAD(a->live_buffers), 0); // released by the plugin's close

	// Use after fpgaFinalize: every old object is stale.
	uint64_t v;
	EXPECT_EQ(fpgaReadMMIO64(h, 0, 0, &v), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaClose(h), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyToken(&t), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyEventHandle(&eh), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyObject(&o), FPGA_INVALID_PARAM);
	fpga_properties q = nullptr;
	EXPECT_EQ(fpgaGetProperties(t2, &q), FPGA_INVALID_PARAM);
	uint32_t n = 5;
	EXPECT_EQ(fpgaEnumerate(nullptr, 0, nullptr, 0, &n), FPGA_OK);
	EXPECT_EQ(n, 0u);
	// Properties are the program's own: still usable.
	uint8_t bus = 0;
	EXPECT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_OK);
	EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
	EXPECT_EQ(fpgaFinalize(), FPGA_OK); // twice is harmless

	// And the framework starts over.
	ASSERT_EQ(opae_plugin_mgr_register_plugin(REC_PLUGIN_B, "{}"), 0);
	ASSERT_EQ(fpgaInitialize(nullptr), FPGA_OK);
	auto toks = enumerate_all();
	EXPECT_EQ(toks.size(), 2u);
	destroy_all(toks);
}
