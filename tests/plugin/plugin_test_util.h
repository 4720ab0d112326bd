/* SPDX-License-Identifier: BSD-3-Clause */
/* plugin_test_util.h - the plugin tests' fixture: libopae-vfio.so loaded with
 * dlopen and configured exactly as a framework does, hosted by framework/'s
 * libopae-c.so.2 (properties objects, version), on the in-process mock
 * kernel. Every test starts from a fresh mock world and must leave no VFIO
 * object behind once the plugin is finalized and unloaded. */
#ifndef PLUGIN_TEST_UTIL_H
#define PLUGIN_TEST_UTIL_H

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <uuid/uuid.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "vfio_mock.h"

#define NLB0_GUID  "d8424dc4-a4a3-c413-f89e-433683f9040b"
#define PF_ADDR    "0000:3b:00.0"
#define VF_ADDR    "0000:3b:00.1"
/* the mock's PR interface id: ASCII "opae-vfio-mock-p" */
#define MOCK_PR_ID "6f706165-2d76-6669-6f2d-6d6f636b2d70"

static inline std::string scenario_path(const char *name)
{
	return std::string(PLUGIN_SCENARIOS) + "/" + name;
}

static inline std::string guid_text(const uint8_t *g)
{
	char s[37];
	uuid_unparse(g, s);
	return s;
}

/* A filter built through the framework's public API. */
struct Filter {
	fpga_properties p = nullptr;
	Filter() { EXPECT_EQ(FPGA_OK, fpgaGetProperties(nullptr, &p)); }
	~Filter() { fpgaDestroyProperties(&p); }
	Filter(const Filter &) = delete;
	Filter &operator=(const Filter &) = delete;
	Filter &type(fpga_objtype t)
	{
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetObjectType(p, t));
		return *this;
	}
	Filter &guid(const char *s)
	{
		uuid_t u;
		EXPECT_EQ(0, uuid_parse(s, u));
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetGUID(p, u));
		return *this;
	}
	Filter &bus(uint8_t b)
	{
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetBus(p, b));
		return *this;
	}
	Filter &function(uint8_t f)
	{
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetFunction(p, f));
		return *this;
	}
};

/* An OFS-like card: PF 0000:3b:00.0 (dfl-fpga, group 12) with nvfs VFs
 * 0000:3b:DD.F (function index i = 1..nvfs -> device i / 8, function i % 8;
 * group 12 + i), all bound to vfio-pci. */
static inline std::string pf_vfs_scenario(unsigned nvfs, unsigned huge2m = 0)
{
	std::string s = "{\"hugepages\":{\"2048kB\":" + std::to_string(huge2m) +
	                "},\"devices\":[{\"address\":\"" PF_ADDR "\",\"model\":\"dfl-fpga\","
	                "\"group\":12,\"numa_node\":0,\"sriov_totalvfs\":" +
	                std::to_string(nvfs ? nvfs : 1) + ",\"sriov_numvfs\":" + std::to_string(nvfs) +
	                ",\"params\":{\"role\":\"pf\"}}";
	for (unsigned i = 1; i <= nvfs; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "0000:3b:%02x.%u", i / 8, i % 8);
		s += std::string(",{\"address\":\"") + addr +
		     "\",\"model\":\"dfl-fpga\",\"group\":" + std::to_string(12 + i) +
		     ",\"numa_node\":0,\"physfn\":\"" PF_ADDR "\",\"device\":\"0xbccf\","
		     "\"bars\":[{\"index\":0,\"size\":\"0x40000\",\"mmap\":true}],"
		     "\"irqs\":{\"intx\":0,\"msi\":0,\"msix\":4},\"params\":{\"role\":\"vf\"}}";
	}
	return s + "]}";
}

/* Nothing of the mock kernel is left: no fd, BAR mapping, DMA mapping or
 * attached eventfd. */
static inline void expect_no_mock_leaks()
{
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.fds) << "fds left open";
	EXPECT_EQ(0u, l.bar_maps) << "BAR mappings left";
	EXPECT_EQ(0u, l.dma_maps) << "DMA mappings left";
	EXPECT_EQ(0u, l.irqs) << "IRQ vectors left attached";
}

struct TokenInfo {
	fpga_objtype type;
	std::string addr;
	std::string guid;
	uint64_t object_id;
};

class PluginTest : public ::testing::Test
{
      protected:
	void *dl = nullptr;
	opae_api_adapter_table *t = nullptr;
	std::vector<fpga_token> tokens;   /* destroyed in TearDown */
	std::vector<fpga_handle> handles; /* closed in TearDown unless closed */

	void SetUp() override
	{
		fpga_version v = {};
		/* the host framework is loaded and speaks a 2.x plugin ABI */
		ASSERT_EQ(FPGA_OK, fpgaGetOPAECVersion(&v));
		ASSERT_EQ(2, v.major);
		vfio_mock_clear_faults();
	}

	/* Load a scenario (file name under tests/mock/scenarios, or JSON text)
	 * and the plugin configured with `config` (NULL = none). */
	void load(const std::string &scenario, const char *config, int expect_rc = 0)
	{
		std::string sc = scenario[0] == '{' ? scenario : scenario_path(scenario.c_str());
		ASSERT_EQ(0, vfio_mock_load_scenario(sc.c_str())) << sc;
		configure(config, expect_rc);
	}
	void configure(const char *config, int expect_rc = 0)
	{
		dl = dlopen(PLUGIN_PATH, RTLD_LAZY | RTLD_LOCAL);
		ASSERT_NE(nullptr, dl) << dlerror();
		auto cfgfn = reinterpret_cast<int (*)(opae_api_adapter_table *, const char *)>(
		    dlsym(dl, "opae_plugin_configure"));
		ASSERT_NE(nullptr, cfgfn);
		t = static_cast<opae_api_adapter_table *>(calloc(1, sizeof(*t)));
		ASSERT_EQ(expect_rc, cfgfn(t, config));
	}
	void TearDown() override
	{
		if (t && t->fpgaClose)
			for (fpga_handle h : handles)
				if (h)
					t->fpgaClose(h);
		if (t && t->fpgaDestroyToken) {
			for (fpga_token &tok : tokens)
				EXPECT_EQ(FPGA_OK, t->fpgaDestroyToken(&tok));
		}
		if (t && t->finalize) {
			EXPECT_EQ(0, t->finalize());
		}
		if (dl)
			dlclose(dl);
		free(t);
		expect_no_mock_leaks();
		vfio_mock_reset();
	}

	/* Enumerate with these filters; tokens are kept for TearDown. */
	std::vector<fpga_token> enumerate(std::vector<fpga_properties> f = {}, uint32_t max = 64,
	                                  uint32_t *total = nullptr)
	{
		std::vector<fpga_token> out(max ? max : 1, nullptr);
		uint32_t n = 0xdead;
		EXPECT_EQ(FPGA_OK, t->fpgaEnumerate(f.empty() ? nullptr : f.data(), (uint32_t)f.size(),
		                                    max ? out.data() : nullptr, max, &n));
		if (total)
			*total = n;
		out.resize(n < max ? n : max);
		tokens.insert(tokens.end(), out.begin(), out.end());
		return out;
	}
	static TokenInfo info(fpga_token tok)
	{
		const fpga_token_header *h = static_cast<const fpga_token_header *>(tok);
		char addr[32];
		snprintf(addr, sizeof(addr), "%04x:%02x:%02x.%x", h->segment, h->bus, h->device,
		         h->function);
		return {h->objtype, addr, guid_text(h->guid), h->object_id};
	}
	fpga_handle open(fpga_token tok, int flags = 0, fpga_result want = FPGA_OK)
	{
		fpga_handle h = nullptr;
		EXPECT_EQ(want, t->fpgaOpen(tok, &h, flags));
		if (want == FPGA_OK)
			handles.push_back(h);
		return h;
	}
	void close(fpga_handle h)
	{
		EXPECT_EQ(FPGA_OK, t->fpgaClose(h));
		for (auto &x : handles)
			if (x == h)
				x = nullptr;
	}
	/* The single token matching f (fails the test otherwise). */
	fpga_token one(Filter &f)
	{
		uint32_t n = 0;
		std::vector<fpga_token> v = enumerate({f.p}, 8, &n);
		EXPECT_EQ(1u, n);
		return v.empty() ? nullptr : v[0];
	}
};

#endif /* PLUGIN_TEST_UTIL_H */
