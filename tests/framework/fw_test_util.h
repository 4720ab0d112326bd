// SPDX-License-Identifier: BSD-3-Clause
// fw_test_util.h - the fixture of the framework tests: registers the
// recording test plugins through the public opae_plugin_mgr_register_plugin,
// reaches their recorded state, and finalizes the framework after each test.
#ifndef FW_TEST_UTIL_H
#define FW_TEST_UTIL_H

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "rec_plugin.h"

class FwTest : public ::testing::Test
{
      protected:
	void TearDown() override
	{
		EXPECT_EQ(fpgaFinalize(), FPGA_OK);
		for (void *dl : dls)
			dlclose(dl);
		dls.clear();
	}

	// The state of a module the framework has loaded (the fixture keeps a
	// reference so the state stays readable after fpgaFinalize).
	rec_state *state_of(const char *path)
	{
		void *dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
		if (!dl)
			return nullptr;
		dls.push_back(dl);
		auto fn = reinterpret_cast<rec_state_fn>(dlsym(dl, "rec_plugin_state"));
		return fn ? fn() : nullptr;
	}

	// Register a recording plugin and initialize it.
	rec_state *load(const char *path, const char *cfg = "{}")
	{
		if (opae_plugin_mgr_register_plugin(path, cfg) != 0)
			return nullptr;
		if (fpgaInitialize(nullptr) != FPGA_OK)
			return nullptr;
		return state_of(path);
	}

	// Every token (no filter), up to 16.
	std::vector<fpga_token> enumerate_all(const fpga_properties *filters = nullptr,
	                                      uint32_t nfilters = 0)
	{
		fpga_token toks[16];
		uint32_t n = 0;
		EXPECT_EQ(fpgaEnumerate(filters, nfilters, toks, 16, &n), FPGA_OK);
		return std::vector<fpga_token>(toks, toks + (n < 16 ? n : 16));
	}

	static void destroy_all(std::vector<fpga_token> &toks)
	{
		for (auto &t : toks)
			EXPECT_EQ(fpgaDestroyToken(&t), FPGA_OK);
		toks.clear();
	}

	// The first accelerator token of bus `bus` (and PCI device `dev` if
	// given), or nullptr.
	fpga_token accelerator_on(uint8_t bus, int dev = -1)
	{
		fpga_properties f = nullptr;
		fpga_token t = nullptr;
		uint32_t n = 0;
		EXPECT_EQ(fpgaGetProperties(nullptr, &f), FPGA_OK);
		EXPECT_EQ(fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR), FPGA_OK);
		EXPECT_EQ(fpgaPropertiesSetBus(f, bus), FPGA_OK);
		if (dev >= 0) {
			EXPECT_EQ(fpgaPropertiesSetDevice(f, (uint8_t)dev), FPGA_OK);
		}
		EXPECT_EQ(fpgaEnumerate(&f, 1, &t, 1, &n), FPGA_OK);
		EXPECT_EQ(fpgaDestroyProperties(&f), FPGA_OK);
		return n ? t : nullptr;
	}

	std::vector<void *> dls;
};

#endif
