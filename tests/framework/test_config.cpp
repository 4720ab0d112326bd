// SPDX-License-Identifier: BSD-3-Clause
// test_config.cpp - plugin loading from OPAE's configuration file, on the
// mock kernel's fake sysfs (dfl-demo: PF 0000:3b:00.0 8086:bcce subsystem
// 8086:1770, VF 0000:3b:00.1 8086:bccf subsystem 8086:1771): PCI detection
// with subsystem wildcards, the row's configuration string, the search order
// of the file, and every malformed case reported with its file and position
// or key while the rest of the file keeps working.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gmock/gmock.h>

#include "fw_test_util.h"
#include "vfio_mock.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace
{
std::string dir_of(const std::string &path)
{
	return path.substr(0, path.rfind('/'));
}

std::string base_of(const std::string &path)
{
	return path.substr(path.rfind('/') + 1);
}

// A configuration with one "card" configuration: devices pf and vf, and
// plugin entries given as JSON text.
std::string card_config(const std::string &plugins, const std::string &pf_sub = "\"*\", \"*\"")
{
	return R"({
  "configurations": {
    "card": {
      "enabled": true,
      "platform": "test card",
      "devices": [
        { "name": "pf", "id": ["0x8086", "0xbcce", )" +
	       pf_sub + R"(] },
        { "name": "vf", "id": ["0x8086", "0xbccf", "*", "*"] }
      ],
      "opae": { "plugin": [ )" +
	       plugins + R"( ] }
    }
  },
  "configs": ["card"]
})";
}

std::string plugin_entry(const char *module, const std::string &devices, const std::string &cfg)
{
	return std::string(R"({ "enabled": true, "module": ")") + module + R"(", "devices": [)" +
	       devices + R"(], "configuration": )" + cfg + " }";
}

struct Config : FwTest {
	void SetUp() override
	{
		ASSERT_EQ(vfio_mock_load_scenario(MOCK_SCENARIOS "/dfl-demo.json"), 0);
		char tmpl[] = "/tmp/fwcfg.XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		tmp = tmpl;
		path = tmp + "/opae.cfg";
	}
	void TearDown() override
	{
		FwTest::TearDown();
		std::string cmd = "rm -rf '" + tmp + "'";
		EXPECT_EQ(system(cmd.c_str()), 0);
		vfio_mock_reset();
	}
	void write(const std::string &file, const std::string &text)
	{
		std::string cmd = "mkdir -p '" + dir_of(file) + "'";
		ASSERT_EQ(system(cmd.c_str()), 0);
		std::ofstream(file) << text;
	}
	// fpgaInitialize(path) with the given text; stderr and stdout kept.
	fpga_result init_with(const std::string &text)
	{
		write(path, text);
		::testing::internal::CaptureStderr();
		::testing::internal::CaptureStdout();
		fpga_result r = fpgaInitialize(path.c_str());
		out = ::testing::internal::GetCapturedStdout();
		err = ::testing::internal::GetCapturedStderr();
		return r;
	}
	std::string tmp, path, out, err;
};
} // namespace

TEST_F(Config, DetectedRowsLoadTheirModuleWithTheRowsConfiguration)
{
	std::string plugins =
	    plugin_entry(REC_PLUGIN_A, "\"pf\"", R"({"devices": [{"pci": "0000:3b:00.0"}]})") +
	    ", " + plugin_entry(REC_PLUGIN_B, "\"vf\"", "{}");
	ASSERT_EQ(init_with(card_config(plugins)), FPGA_OK) << err;
	EXPECT_EQ(err, "");
	rec_state *a = state_of(REC_PLUGIN_A), *b = state_of(REC_PLUGIN_B);
	ASSERT_TRUE(a && b);
	// Compact JSON, as json-c prints it plainly (OPAE delivers the same).
	EXPECT_STREQ(a->config, "{\"devices\":[{\"pci\":\"0000:3b:00.0\"}]}");
	EXPECT_STREQ(b->config, "{}");
	EXPECT_EQ(REC_LOAD(a->calls[REC_INITIALIZE]), 1u);
	EXPECT_EQ(REC_LOAD(b->calls[REC_INITIALIZE]), 1u);
	// Load order and where each configuration came from, at LIBOPAE_LOG=1.
	EXPECT_THAT(out, HasSubstr("configuration card, device pf (8086:bcce subsystem 8086:1770) "
	                           "detected at 0000:3b:00.0"));
	EXPECT_THAT(out, HasSubstr("plugin #1 " REC_PLUGIN_A " ("));
	EXPECT_THAT(out, HasSubstr("plugin #2 " REC_PLUGIN_B " ("));
	EXPECT_THAT(out,
	            HasSubstr("device vf, detected at 0000:3b:00.1) loaded with configuration {}"));
	auto toks = enumerate_all();
	EXPECT_EQ(toks.size(), 4u);
	destroy_all(toks);
}

TEST_F(Config, SubsystemIdsMatchExactlyOrByWildcard)
{
	std::string plugins = plugin_entry(REC_PLUGIN_A, "\"pf\"", "{}");
	// (The fixture keeps modules mapped, so "loaded" is judged by enumeration.)
	auto tokens_after = [&](const std::string &sub) {
		EXPECT_EQ(init_with(card_config(plugins, sub)), FPGA_OK) << err;
		auto toks = enumerate_all();
		size_t n = toks.size();
		destroy_all(toks);
		EXPECT_EQ(fpgaFinalize(), FPGA_OK);
		return n;
	};
	EXPECT_EQ(tokens_after("\"0x8086\", \"0x1770\""), 2u);
	EXPECT_EQ(tokens_after("\"0x8086\", \"0x1771\""), 0u); // not this card's subsystem
	EXPECT_THAT(out, Not(HasSubstr("detected")));
	EXPECT_EQ(tokens_after("\"*\", \"6000\""), 2u); // decimal: 6000 = 0x1770
	EXPECT_EQ(tokens_after("\"0x8087\", \"*\""), 0u);
}

TEST_F(Config, AModuleListedTwiceGetsTheFirstDetectedRowsConfigurationOnly)
{
	std::string plugins = plugin_entry(REC_PLUGIN_A, "\"vf\", \"pf\"", R"({"first": 1})") +
	                      ", " + plugin_entry(REC_PLUGIN_A, "\"pf\"", R"({"second": 2})");
	ASSERT_EQ(init_with(card_config(plugins)), FPGA_OK) << err;
	rec_state *a = state_of(REC_PLUGIN_A);
	ASSERT_NE(a, nullptr);
	EXPECT_STREQ(a->config, "{\"first\":1}");
	EXPECT_EQ(REC_LOAD(a->calls[REC_CONFIGURE]), 1u);
	EXPECT_THAT(out, HasSubstr("configuration card, device pf: module " REC_PLUGIN_A
	                           " already configured by configuration card, device vf; this "
	                           "row's configuration {\"second\":2} is not delivered"));
}

TEST_F(Config, NothingDetectedNothingLoaded)
{
	std::string text = card_config(plugin_entry(REC_PLUGIN_A, "\"pf\"", "{}"));
	text.replace(text.find("0xbcce"), 6, "0x0bad");
	ASSERT_EQ(init_with(text), FPGA_OK);
	EXPECT_EQ(state_of(REC_PLUGIN_A), nullptr);
	EXPECT_EQ(err, "");
}

TEST_F(Config, ModulesAreFoundByNameThroughTheLibrarySearchPath)
{
	// LD_LIBRARY_PATH (set by ctest) names the directory of the test plugins.
	std::string name = base_of(REC_PLUGIN_B);
	ASSERT_EQ(init_with(card_config(plugin_entry(name.c_str(), "\"vf\"", "{}"))), FPGA_OK)
	    << err;
	EXPECT_NE(state_of(REC_PLUGIN_B), nullptr);
	EXPECT_THAT(out, HasSubstr("plugin #1 " + name));
}

TEST_F(Config, BrokenEntriesAreReportedAndSkippedTheRestWorks)
{
	// configuration "bad" lists a plugin for a device it does not have,
	// "card" is fine: A is loaded, the mistake is reported with its key.
	std::string text = R"({
  "configurations": {
    "bad": { "enabled": true, "devices": [{"name": "x", "id": ["1", "2", "*", "*"]}],
             "opae": {"plugin": [{"enabled": true, "module": "libnothing.so",
                                  "devices": ["y"], "configuration": {}}]}},
    "card": { "enabled": true, "devices": [{"name": "pf", "id": ["0x8086", "0xbcce", "*", "*"]}],
              "opae": {"plugin": [{"enabled": true, "module": ")" REC_PLUGIN_A R"(",
                                   "devices": ["pf"], "configuration": {}}]}}
  },
  "configs": ["bad", "missing", "card"]
})";
	ASSERT_EQ(init_with(text), FPGA_OK);
	EXPECT_NE(state_of(REC_PLUGIN_A), nullptr);
	EXPECT_THAT(err,
	            HasSubstr(path + ": configurations.bad.opae.plugin[0].devices[0]: \"y\" is "
	                             "not a device of configuration bad; plugin entry skipped"));
	EXPECT_THAT(err, HasSubstr(path + ": configs[1]: no configuration \"missing\" in "
	                                  "\"configurations\"; skipped"));
}

TEST_F(Config, AModuleThatCannotBeLoadedIsReportedWithItsRow)
{
	std::string plugins = plugin_entry("/nonexistent/libgone.so", "\"pf\"", "{}") + ", " +
	                      plugin_entry(REC_PLUGIN_B, "\"vf\"", "{}");
	EXPECT_EQ(init_with(card_config(plugins)), FPGA_EXCEPTION);
	EXPECT_THAT(err, HasSubstr("plugin /nonexistent/libgone.so (" + path +
	                           ": configuration card, device pf, detected at 0000:3b:00.0): "
	                           "cannot load the module"));
	EXPECT_NE(state_of(REC_PLUGIN_B), nullptr);
}

// Every malformed case: the message names the file and the place.
TEST_F(Config, MalformedFilesAndEntries)
{
	struct Case {
		std::string text;
		std::string message;
		fpga_result result;
	};
	std::string pa = plugin_entry(REC_PLUGIN_A, "\"pf\"", "{}");
	auto dev = [](const std::string &d) {
		return R"({"configurations": {"c": {"enabled": true, "devices": [)" + d +
		       R"(], "opae": {"plugin": []}}}, "configs": ["c"]})";
	};
	auto plug = [](const std::string &p) {
		return R"({"configurations": {"c": {"enabled": true, "devices": [{"name": "pf",
  "id": ["0x8086", "0xbcce", "*", "*"]}], "opae": {"plugin": [)" +
		       p + R"(]}}}, "configs": ["c"]})";
	};
	std::vector<Case> cases = {
	    {"{\"configs\": [", "1:14: JSON syntax error: unexpected end of data",
	     FPGA_INVALID_PARAM},
	    {"{\n  \"configs\": [],\n  \"configurations\": {,}\n}", "3:22: JSON syntax error",
	     FPGA_INVALID_PARAM},
	    {"{\"configs\": [], \"configurations\": {}}\n]",
	     "2:1: text after the end of the JSON object", FPGA_INVALID_PARAM},
	    {"[1, 2]", "the top level is not a JSON object", FPGA_INVALID_PARAM},
	    {R"({"plugins": ["vfio"], "configurations": {}})", "old format (OPAE 2.0-2.2",
	     FPGA_INVALID_PARAM},
	    {R"({"configurations": {}})", "no \"configs\" array", FPGA_INVALID_PARAM},
	    {R"({"configs": "c", "configurations": {}})", "configs: not an array",
	     FPGA_INVALID_PARAM},
	    {R"({"configs": ["c"]})", "configurations: missing or not an object",
	     FPGA_INVALID_PARAM},
	    {R"({"configs": [1], "configurations": {}})", "configs[0]: not a string", FPGA_OK},
	    {R"({"configs": ["c"], "configurations": {"c": 5}})", "configurations.c: not an object",
	     FPGA_OK},
	    {R"({"configs": ["c"], "configurations": {"c": {"enabled": "yes"}}})",
	     "configurations.c.enabled: must be true or false", FPGA_OK},
	    {R"({"configs": ["c"], "configurations": {"c": {"enabled": true, "devices": [],
  "opae": {"plugin": []}}}})",
	     "configurations.c.devices: missing or not a non-empty array", FPGA_OK},
	    {R"({"configs": ["c"], "configurations": {"c": {"enabled": true,
  "devices": [{"name": "a", "id": ["1", "2", "3", "4"]}]}}})",
	     "configurations.c.opae.plugin: missing or not an array", FPGA_OK},
	    {dev(R"({"id": ["1", "2", "3", "4"]})"),
	     "configurations.c.devices[0]: expected {\"name\"", FPGA_OK},
	    {dev(R"({"name": "a", "id": ["1", "2", "3"]})"),
	     "configurations.c.devices[0] (a): \"id\" must be [vendor, device, subsystem vendor, "
	     "subsystem device]",
	     FPGA_OK},
	    {dev(R"({"name": "a", "id": [1, "2", "3", "4"]})"),
	     "configurations.c.devices[0].id[0]: must be a string", FPGA_OK},
	    {dev(R"({"name": "a", "id": ["*", "2", "3", "4"]})"),
	     "configurations.c.devices[0].id[0]: \"*\" is honoured only for the subsystem IDs",
	     FPGA_OK},
	    {dev(R"({"name": "a", "id": ["1", "0x10000", "3", "4"]})"),
	     "configurations.c.devices[0].id[1]: \"0x10000\" is not a 16-bit number", FPGA_OK},
	    {dev(R"({"name": "a", "id": ["1", "2", "abc", "4"]})"),
	     "configurations.c.devices[0].id[2]: \"abc\" is not a 16-bit number", FPGA_OK},
	    {plug("7"), "configurations.c.opae.plugin[0]: not an object", FPGA_OK},
	    {plug(R"({"enabled": 1, "module": "m", "devices": ["pf"], "configuration": {}})"),
	     "configurations.c.opae.plugin[0].enabled: must be true or false", FPGA_OK},
	    {plug(R"({"enabled": true, "devices": ["pf"], "configuration": {}})"),
	     "configurations.c.opae.plugin[0].module: missing or not a non-empty string", FPGA_OK},
	    {plug(R"({"enabled": true, "module": "m", "devices": ["pf"]})"),
	     "configurations.c.opae.plugin[0].configuration: missing (use {} for none)", FPGA_OK},
	    {plug(R"({"enabled": true, "module": "m", "devices": "pf", "configuration": {}})"),
	     "configurations.c.opae.plugin[0].devices: missing or not a non-empty array", FPGA_OK},
	    {plug(R"({"enabled": true, "module": "m", "devices": [3], "configuration": {}})"),
	     "configurations.c.opae.plugin[0].devices[0]: not a string", FPGA_OK},
	};
	for (auto &c : cases) {
		SCOPED_TRACE(c.text);
		EXPECT_EQ(init_with(c.text), c.result);
		EXPECT_THAT(err, HasSubstr(path + ": " + c.message));
		uint32_t n = 1;
		EXPECT_EQ(fpgaEnumerate(nullptr, 0, nullptr, 0, &n), FPGA_OK);
		EXPECT_EQ(n, 0u);
		EXPECT_EQ(fpgaFinalize(), FPGA_OK);
	}
	// Disabled entries are not mistakes: said at level 1 only.
	EXPECT_EQ(init_with(plug(R"({"enabled": false, "module": "m", "devices": ["pf"],
	                             "configuration": {}})")),
	          FPGA_OK);
	EXPECT_EQ(err, "");
	EXPECT_THAT(out, HasSubstr("configurations.c.opae.plugin[0]: disabled"));
}

TEST_F(Config, TooLargeAndMissingFiles)
{
	std::string big(33 * 1024, ' ');
	big += "{}";
	EXPECT_EQ(init_with(big), FPGA_INVALID_PARAM);
	EXPECT_THAT(err, HasSubstr(path + ": 33794 bytes; the limit is 32 KiB"));
	::testing::internal::CaptureStderr();
	EXPECT_EQ(fpgaInitialize((tmp + "/nope.cfg").c_str()), FPGA_INVALID_PARAM);
	err = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(err, HasSubstr(tmp + "/nope.cfg: No such file or directory"));
}

// Search order: LIBOPAE_CFGFILE, then ~/.local/opae.cfg, ~/.local/opae/opae.cfg,
// ~/.config/opae/opae.cfg (with $HOME), then the system files.
TEST_F(Config, SearchOrder)
{
	auto cfg_from = [&](const char *from) {
		return card_config(plugin_entry(REC_PLUGIN_A, "\"pf\"",
		                                std::string("{\"from\": \"") + from + "\"}"));
	};
	auto loaded_from = [&]() -> std::string {
		::testing::internal::CaptureStderr();
		fpga_result r = fpgaInitialize(nullptr);
		err = ::testing::internal::GetCapturedStderr();
		EXPECT_EQ(r, FPGA_OK);
		rec_state *a = state_of(REC_PLUGIN_A);
		std::string got = a ? a->config : "(not loaded)";
		EXPECT_EQ(fpgaFinalize(), FPGA_OK);
		return got;
	};
	const char *old_home = getenv("HOME");
	std::string saved_home = old_home ? old_home : "";
	ASSERT_EQ(setenv("HOME", tmp.c_str(), 1), 0);
	unsetenv("LIBOPAE_CFGFILE");
	write(tmp + "/.config/opae/opae.cfg", cfg_from("config"));
	write(tmp + "/.local/opae/opae.cfg", cfg_from("local-opae"));
	write(tmp + "/.local/opae.cfg", cfg_from("local"));
	write(tmp + "/env.cfg", cfg_from("env"));

	EXPECT_EQ(loaded_from(), "{\"from\":\"local\"}");
	unlink((tmp + "/.local/opae.cfg").c_str());
	EXPECT_EQ(loaded_from(), "{\"from\":\"local-opae\"}");
	unlink((tmp + "/.local/opae/opae.cfg").c_str());
	EXPECT_EQ(loaded_from(), "{\"from\":\"config\"}");

	ASSERT_EQ(setenv("LIBOPAE_CFGFILE", (tmp + "/env.cfg").c_str(), 1), 0);
	EXPECT_EQ(loaded_from(), "{\"from\":\"env\"}");
	// The caller's file comes first.
	write(path, cfg_from("argument"));
	ASSERT_EQ(fpgaInitialize(path.c_str()), FPGA_OK);
	rec_state *a = state_of(REC_PLUGIN_A);
	ASSERT_NE(a, nullptr);
	EXPECT_STREQ(a->config, "{\"from\":\"argument\"}");
	ASSERT_EQ(fpgaFinalize(), FPGA_OK);

	// A LIBOPAE_CFGFILE that does not exist is reported, then the search goes on.
	ASSERT_EQ(setenv("LIBOPAE_CFGFILE", (tmp + "/gone.cfg").c_str(), 1), 0);
	EXPECT_EQ(loaded_from(), "{\"from\":\"config\"}");
	EXPECT_THAT(err,
	            HasSubstr("LIBOPAE_CFGFILE=" + tmp + "/gone.cfg: No such file or directory"));

	unsetenv("LIBOPAE_CFGFILE");
	setenv("HOME", saved_home.c_str(), 1);
}
