// SPDX-License-Identifier: BSD-3-Clause
// test_configure.cpp - opae_plugin_configure as each OPAE 2.x framework
// calls it: the adapter table filled at the offsets of the framework's
// layout (2.0-2.9, 2.10-2.11, 2.12+), an unknown major refused, and the
// device list from the configuration string or $OPAE_VFIO_CONFIG, refused
// whole (one line naming the key) when malformed.
//
// This binary exports its own fpgaGetOPAECVersion: found first in the global
// scope, it plays a framework of any version (the rest of the API comes from
// framework/'s libopae-c).
#include "plugin_test_util.h"

#include <cstdio>
#include <unistd.h>

static fpga_version g_version = {2, 14, 0};

extern "C" __attribute__((visibility("default"))) fpga_result fpgaGetOPAECVersion(fpga_version *v)
{
	if (!v)
		return FPGA_INVALID_PARAM;
	*v = g_version;
	return FPGA_OK;
}

namespace
{
typedef int (*configure_fn)(opae_api_adapter_table *, const char *);

template <typename Fn> Fn entry(const unsigned char *raw, size_t off)
{
	Fn f;
	memcpy(&f, raw + off, sizeof(f));
	return f;
}

struct Layout {
	fpga_version v;
	size_t size;
};

class ConfigureLayout : public ::testing::TestWithParam<Layout>
{
      protected:
	void *dl = nullptr;
	configure_fn configure = nullptr;
	void SetUp() override
	{
		g_version = GetParam().v;
		ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-pf.json").c_str()));
		dl = dlopen(PLUGIN_PATH, RTLD_LAZY | RTLD_LOCAL);
		ASSERT_NE(nullptr, dl) << dlerror();
		configure = reinterpret_cast<configure_fn>(dlsym(dl, "opae_plugin_configure"));
		ASSERT_NE(nullptr, configure);
	}
	void TearDown() override
	{
		if (dl)
			dlclose(dl);
		g_version = {2, 14, 0};
		struct vfio_mock_leaks l = {};
		vfio_mock_leaks(&l);
		EXPECT_EQ(0u, l.fds + l.bar_maps);
		vfio_mock_reset();
	}
};
} // namespace

// The table of that layout, and nothing past its end, is written; the
// framework's own fields (next, plugin) are left alone; the entries work.
TEST_P(ConfigureLayout, EntriesAtTheLayoutsOffsets)
{
	const size_t size = GetParam().size;
	alignas(8) unsigned char raw[600];
	memset(raw, 0, sizeof(raw));
	memset(raw + size, 0xAB, sizeof(raw) - size);
	memset(raw, 0x5A, 24); // next + plugin {path, dl_handle}: the framework's
	ASSERT_EQ(0, configure(reinterpret_cast<opae_api_adapter_table *>(raw), "{}"));
	for (size_t i = 0; i < 24; i++)
		ASSERT_EQ(0x5A, raw[i]) << "byte " << i << " of next/plugin was written";
	for (size_t i = size; i < sizeof(raw); i++)
		ASSERT_EQ(0xAB, raw[i]) << "byte " << i << " past a " << size << "-byte table written";

	// offsets that never moved (docs/references.md §2)
	EXPECT_NE(nullptr, entry<void *>(raw, 24));  // fpgaOpen
	EXPECT_NE(nullptr, entry<void *>(raw, 32));  // fpgaClose
	EXPECT_NE(nullptr, entry<void *>(raw, 80));  // fpgaReadMMIO64
	EXPECT_NE(nullptr, entry<void *>(raw, 128)); // fpgaEnumerate
	EXPECT_NE(nullptr, entry<void *>(raw, 144)); // fpgaDestroyToken
	for (size_t off = 152; off < 184; off += 8)
		EXPECT_EQ(nullptr, entry<void *>(raw, off)) << "UMsg entry at " << off;
	// initialize / finalize are the last two entries of every layout
	auto init = entry<int (*)(void)>(raw, size - 16);
	auto fini = entry<int (*)(void)>(raw, size - 8);
	ASSERT_NE(nullptr, init);
	ASSERT_NE(nullptr, fini);
	// from PrepareBuffer to initialize: buffers (and events) are ours; SVA,
	// errors, objects, clocks and metrics are NULL = NOT_SUPPORTED. An entry
	// of this layout at `off` sits at `o` in the 2.12+ layout.
	for (size_t off = 184; off < size - 16; off += 8) {
		size_t o = size == 496 || off < 208 ? off
		           : size == 472          ? (off == 208 ? off : off + 24) // 2.10: BindSVA at 208
		                                  : off + 32;
		bool ours = o == 184 || o == 192 || o == 200 || (o >= 216 && o <= 232) ||
		            (o >= 272 && o <= 304); // events
		if (ours)
			EXPECT_NE(nullptr, entry<void *>(raw, off)) << "offset " << off;
		else
			EXPECT_EQ(nullptr, entry<void *>(raw, off)) << "offset " << off;
	}

	// drive the plugin through this table
	EXPECT_EQ(0, init());
	auto enumerate = entry<fpga_result (*)(const fpga_properties *, uint32_t, fpga_token *,
	                                       uint32_t, uint32_t *)>(raw, 128);
	auto open = entry<fpga_result (*)(fpga_token, fpga_handle *, int)>(raw, 24);
	auto read64 = entry<fpga_result (*)(fpga_handle, uint32_t, uint64_t, uint64_t *)>(raw, 80);
	auto close = entry<fpga_result (*)(fpga_handle)>(raw, 32);
	auto destroy = entry<fpga_result (*)(fpga_token *)>(raw, 144);
	fpga_token toks[4] = {};
	uint32_t n = 0;
	ASSERT_EQ(FPGA_OK, enumerate(nullptr, 0, toks, 4, &n));
	ASSERT_EQ(2u, n);
	fpga_handle h = nullptr;
	ASSERT_EQ(FPGA_OK, open(toks[1], &h, 0));
	uint64_t v = 0;
	EXPECT_EQ(FPGA_OK, read64(h, 0, 0x10, &v));
	EXPECT_EQ(0xD8424DC4A4A3C413ull, v);
	EXPECT_EQ(FPGA_OK, close(h));
	for (uint32_t i = 0; i < n; i++)
		EXPECT_EQ(FPGA_OK, destroy(&toks[i]));
	EXPECT_EQ(0, fini());
}

INSTANTIATE_TEST_SUITE_P(
    Opae2x, ConfigureLayout,
    ::testing::Values(Layout{{2, 0, 0}, 464}, Layout{{2, 9, 3}, 464}, Layout{{2, 10, 0}, 472},
                      Layout{{2, 11, 1}, 472}, Layout{{2, 12, 0}, 496}, Layout{{2, 14, 0}, 496},
                      Layout{{2, 99, 0}, 496}),
    [](const ::testing::TestParamInfo<Layout> &i) {
	    return "v2_" + std::to_string(i.param.v.minor) + "_" + std::to_string(i.param.v.patch);
    });

class ConfigureRefused : public PluginTest
{
};

TEST_F(ConfigureRefused, UnknownMajorVersion)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-pf.json").c_str()));
	for (fpga_version v : {fpga_version{1, 2, 0}, fpga_version{3, 0, 0}, fpga_version{0, 0, 0}}) {
		g_version = v;
		void *h = dlopen(PLUGIN_PATH, RTLD_LAZY | RTLD_LOCAL);
		ASSERT_NE(nullptr, h);
		auto cfg = reinterpret_cast<configure_fn>(dlsym(h, "opae_plugin_configure"));
		alignas(8) unsigned char raw[496];
		memset(raw, 0, sizeof(raw));
		testing::internal::CaptureStderr();
		EXPECT_EQ(1, cfg(reinterpret_cast<opae_api_adapter_table *>(raw), nullptr));
		std::string err = testing::internal::GetCapturedStderr();
		char want[128];
		snprintf(want, sizeof(want), "OPAE framework version %u.%u.%u is not supported", v.major,
		         v.minor, v.patch);
		EXPECT_NE(std::string::npos, err.find(want)) << err;
		for (unsigned char b : raw)
			ASSERT_EQ(0, b) << "a refused configure wrote the table";
		dlclose(h);
	}
	g_version = {2, 14, 0};
	vfio_mock_reset();
}

// Malformed device lists from each source: configure fails with one line
// naming the source and key, so the framework unloads the plugin.
TEST_F(ConfigureRefused, MalformedDeviceLists)
{
	struct {
		const char *json;
		const char *line;
	} bad[] = {
	    {"{\"devices\":[{\"pci\":\"0000:3b:00.0\"}]}",
	     "opae-vfio: -: configuration: devices[0].kind: missing (expected \"dfl\" or \"plain\"); "
	     "the plugin claims no device\n"},
	    {"{\"devices\":[{\"id\":[\"8086\",\"0xbcce\"],\"kind\":\"dfl\"}]}",
	     "configuration: devices[0].id[0]: expected a PCI id"},
	    {"{\"devices\":[{\"pci\":\"0000:3b:00.0\",\"kind\":\"plain\"}]}",
	     "configuration: devices[0].guid: missing"},
	    {"{\"devices\":", "configuration: (syntax): expected JSON"},
	    {"[]", "configuration: (top level): expected an object"},
	    {"{\"devices\":[],\"debug\":1}", "configuration: debug: unknown key"},
	};
	ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-pf.json").c_str()));
	for (auto &b : bad) {
		void *h = dlopen(PLUGIN_PATH, RTLD_LAZY | RTLD_LOCAL);
		ASSERT_NE(nullptr, h);
		auto cfg = reinterpret_cast<configure_fn>(dlsym(h, "opae_plugin_configure"));
		alignas(8) unsigned char raw[496] = {};
		testing::internal::CaptureStderr();
		EXPECT_EQ(1, cfg(reinterpret_cast<opae_api_adapter_table *>(raw), b.json)) << b.json;
		std::string err = testing::internal::GetCapturedStderr();
		EXPECT_NE(std::string::npos, err.find(b.line)) << err;
		EXPECT_EQ(1u, (unsigned)std::count(err.begin(), err.end(), '\n')) << err;
		dlclose(h);
	}
	EXPECT_EQ(0u, vfio_mock_calls("open")) << "a refused list looked at devices";
	vfio_mock_reset();
}

TEST_F(ConfigureRefused, DeviceListFileFromTheEnvironment)
{
	char path[] = "/tmp/ovfio-devices-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	const char bad[] = "{\"devices\":[{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":7}]}";
	ASSERT_EQ((ssize_t)strlen(bad), write(fd, bad, strlen(bad)));
	::close(fd);
	setenv("OPAE_VFIO_CONFIG", path, 1);
	ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-pf.json").c_str()));
	testing::internal::CaptureStderr();
	configure("{\"devices\":[]}", 1); // the file wins, and it is bad
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos,
	          err.find(std::string(path) + ": devices[0].dfl_bar: expected a BAR number 0..5, got 7"))
	    << err;
	dlclose(dl);
	dl = nullptr;
	free(t);
	t = nullptr;

	setenv("OPAE_VFIO_CONFIG", "/nonexistent/devices.json", 1);
	testing::internal::CaptureStderr();
	configure(nullptr, 1);
	err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos, err.find("/nonexistent/devices.json: (file): cannot be opened"))
	    << err;
	dlclose(dl);
	dl = nullptr;
	free(t);
	t = nullptr;
	unsetenv("OPAE_VFIO_CONFIG");
	unlink(path);
}

// No "devices" key: OPAE's Intel FPGA ids are claimed (a drop-in for the
// configuration "{}" OPAE's default table hands its vfio plugin).
TEST_F(ConfigureRefused, NoListClaimsIntelFpgaIds)
{
	load("dfl-demo.json", "{}");
	uint32_t n = 0;
	enumerate({}, 8, &n);
	EXPECT_EQ(3u, n);
}
