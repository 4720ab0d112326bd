// SPDX-License-Identifier: BSD-3-Clause
// plugin_abi_test.cpp - loads abi_plugin (a hidden-visibility module built
// against opae/plugin/adapter.h) like a framework does: dlopen, dlsym
// opae_plugin_configure, then read entries back at the 2.12+ byte offsets.
#include <cstdint>
#include <cstring>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <opae/plugin/adapter.h>

namespace
{
typedef int (*configure_fn)(opae_api_adapter_table *, const char *);

// Read the function pointer stored at byte offset off of a raw table.
template <typename Fn> Fn entry_at(const unsigned char *table, size_t off)
{
	Fn fn;
	std::memcpy(&fn, table + off, sizeof(fn));
	return fn;
}

class PluginAbi : public ::testing::Test
{
      protected:
	void SetUp() override
	{
		dl = dlopen(ABI_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
		ASSERT_NE(dl, nullptr) << dlerror();
	}
	void TearDown() override
	{
		if (dl)
			dlclose(dl);
	}
	void *dl = nullptr;
};
} // namespace

TEST_F(PluginAbi, OnlyConfigureIsExported)
{
	EXPECT_NE(dlsym(dl, "opae_plugin_configure"), nullptr);
	EXPECT_EQ(dlsym(dl, "abi_plugin_internal_helper"), nullptr);
}

TEST_F(PluginAbi, ConfigureFillsEntriesAtTheDocumentedOffsets)
{
	auto configure = reinterpret_cast<configure_fn>(dlsym(dl, "opae_plugin_configure"));
	ASSERT_NE(configure, nullptr);

	// A framework allocates the table zeroed (496 bytes for 2.12+).
	alignas(8) unsigned char raw[496];
	std::memset(raw, 0, sizeof(raw));
	auto *table = reinterpret_cast<opae_api_adapter_table *>(raw);
	EXPECT_EQ(configure(table, "{}"), 0);

	auto init = entry_at<int (*)(void)>(raw, 480);
	auto fini = entry_at<int (*)(void)>(raw, 488);
	ASSERT_NE(init, nullptr);
	ASSERT_NE(fini, nullptr);
	EXPECT_EQ(init(), 42);
	EXPECT_EQ(fini(), 7);

	auto read_error = entry_at<fpga_result (*)(fpga_token, uint32_t, uint64_t *)>(raw, 240);
	ASSERT_NE(read_error, nullptr);
	uint64_t v = 0;
	EXPECT_EQ(read_error(nullptr, 5, &v), FPGA_OK);
	EXPECT_EQ(v, 0x1005u);

	auto io_address = entry_at<fpga_result (*)(fpga_handle, uint64_t, uint64_t *)>(raw, 200);
	ASSERT_NE(io_address, nullptr);
	EXPECT_EQ(io_address(nullptr, 3, &v), FPGA_OK);
	EXPECT_EQ(v, 3u << 12);

	// Entries the plugin did not fill stay NULL (framework answers
	// FPGA_NOT_SUPPORTED for them).
	for (size_t off = 24; off < 480; off += 8) {
		if (off == 200 || off == 240)
			continue;
		EXPECT_EQ(entry_at<void *>(raw, off), nullptr) << "offset " << off;
	}
}

TEST_F(PluginAbi, ConfigureAcceptsNullAndReportsRejection)
{
	auto configure = reinterpret_cast<configure_fn>(dlsym(dl, "opae_plugin_configure"));
	ASSERT_NE(configure, nullptr);
	opae_api_adapter_table table;
	std::memset(&table, 0, sizeof(table));
	EXPECT_EQ(configure(&table, nullptr), 0);
	EXPECT_NE(table.initialize, nullptr);
	std::memset(&table, 0, sizeof(table));
	EXPECT_NE(configure(&table, "{\"bad\":1}"), 0);
}
