// SPDX-License-Identifier: BSD-3-Clause
// test_config.cpp - the JSON device list parser (config/): every key, the
// shipped examples, matching precedence, and the malformed-list matrix (each
// input refused with one line naming the key, nothing returned).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>
#include <string>
#include <unistd.h>

#include "config.h"

namespace
{
struct Parsed {
	struct cfg *c = nullptr;
	char err[512] = "";
	int rc = 0;
	explicit Parsed(const char *json) { rc = cfg_parse(json, "configuration", &c, err, sizeof(err)); }
	~Parsed() { cfg_free(c); }
};

const uint16_t kOfsPf[4] = {0x8086, 0xbcce, 0x8086, 0x1770};
const uint16_t kOfsVf[4] = {0x8086, 0xbccf, 0x8086, 0x1771};
const uint16_t kEdu[4] = {0x1234, 0x11e8, 0x1af4, 0x1100};
} // namespace

TEST(ConfigParse, NullEmptyAndEmptyObjectHaveNoList)
{
	for (const char *j : {(const char *)nullptr, "", "{}", "  { }\n"}) {
		Parsed p(j);
		ASSERT_EQ(0, p.rc) << p.err;
		EXPECT_EQ(0, p.c->has_list);
		EXPECT_EQ(0u, p.c->ndevices);
		EXPECT_EQ(nullptr, cfg_match(p.c, "0000:3b:00.0", kOfsPf));
	}
}

TEST(ConfigParse, EmptyDeviceListClaimsNothing)
{
	Parsed p("{\"devices\": []}");
	ASSERT_EQ(0, p.rc) << p.err;
	EXPECT_EQ(1, p.c->has_list);
	EXPECT_EQ(0u, p.c->ndevices);
	EXPECT_EQ(nullptr, cfg_match(p.c, "0000:3b:00.0", kOfsPf));
}

TEST(ConfigParse, AddressEntryAllKeys)
{
	Parsed p("{\"devices\":[{\"pci\":\"0000:3B:00.0\",\"kind\":\"dfl\",\"dfl_bar\":2,"
	         "\"vf_token\":\"BBF535C8-F8F1-43EB-8660-F076CCB02DD2\"}]}");
	ASSERT_EQ(0, p.rc) << p.err;
	ASSERT_EQ(1u, p.c->ndevices);
	const cfg_device &d = p.c->devices[0];
	EXPECT_EQ(CFG_MATCH_ADDRESS, d.match);
	EXPECT_STREQ("0000:3b:00.0", d.address);
	EXPECT_EQ(CFG_KIND_DFL, d.kind);
	EXPECT_EQ(2u, d.dfl_bar);
	EXPECT_STREQ("bbf535c8-f8f1-43eb-8660-f076ccb02dd2", d.vf_token);
}

TEST(ConfigParse, PlainEntryGuidBytesAreBigEndian)
{
	Parsed p("{\"devices\":[{\"id\":[\"0x1234\",\"0x11E8\"],\"kind\":\"plain\","
	         "\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"mmio_bars\":[0,2]}]}");
	ASSERT_EQ(0, p.rc) << p.err;
	const cfg_device &d = p.c->devices[0];
	EXPECT_EQ(CFG_MATCH_IDS, d.match);
	EXPECT_EQ(0x1234, d.ids[0]);
	EXPECT_EQ(0x11e8, d.ids[1]);
	EXPECT_EQ(CFG_ANY, d.ids[2]); // omitted subsystem ids are wildcards
	EXPECT_EQ(CFG_ANY, d.ids[3]);
	EXPECT_EQ(CFG_KIND_PLAIN, d.kind);
	const uint8_t want[16] = {0xd8, 0x42, 0x4d, 0xc4, 0xa4, 0xa3, 0xc4, 0x13,
	                          0xf8, 0x9e, 0x43, 0x36, 0x83, 0xf9, 0x04, 0x0b};
	EXPECT_EQ(0, memcmp(want, d.guid, 16));
	EXPECT_EQ(0x5u, d.mmio_bars);
	EXPECT_STREQ("", d.vf_token);
}

TEST(ConfigParse, IdsAcceptIntegersHexAndWildcards)
{
	Parsed p("{\"devices\":[{\"id\":[32902,\"0xbccf\",\"*\",\"0x1771\"],\"kind\":\"dfl\"}]}");
	ASSERT_EQ(0, p.rc) << p.err;
	const cfg_device &d = p.c->devices[0];
	EXPECT_EQ(0x8086, d.ids[0]);
	EXPECT_EQ(0xbccf, d.ids[1]);
	EXPECT_EQ(CFG_ANY, d.ids[2]);
	EXPECT_EQ(0x1771, d.ids[3]);
	EXPECT_NE(nullptr, cfg_match(p.c, "0000:3b:00.1", kOfsVf));
	const uint16_t other_sub[4] = {0x8086, 0xbccf, 0x8086, 0x1770};
	EXPECT_EQ(nullptr, cfg_match(p.c, "0000:3b:00.1", other_sub));
}

TEST(ConfigParse, AddressForms)
{
	struct {
		const char *in, *out;
	} ok[] = {{"0000:3b:00.0", "0000:3b:00.0"}, {"3b:00.7", "0000:3b:00.7"},
	          {"10000:00:02.0", "10000:00:02.0"}, {"ABCD:EF:1F.3", "abcd:ef:1f.3"},
	          {"1:02:03.4", "0001:02:03.4"}, {"ffffffff:ff:1f.7", "ffffffff:ff:1f.7"}};
	for (auto &t : ok) {
		char out[CFG_ADDR_MAX];
		ASSERT_EQ(0, cfg_canonical_address(t.in, out)) << t.in;
		EXPECT_STREQ(t.out, out) << t.in;
	}
	for (const char *bad : {"", ":", "3b:00", "3b:00.8", "3b:20.0", "0000:3b:00.0 ", "000000000:3b:00.0",
	                        "0000::3b:00.0", "g000:3b:00.0", "0000:3b:0.0", "0000:3b:000.0", "3b-00.0",
	                        "0000:3b:00.", ":3b:00.0"}) {
		char out[CFG_ADDR_MAX];
		EXPECT_EQ(-1, cfg_canonical_address(bad, out)) << "'" << bad << "'";
	}
	EXPECT_EQ(-1, cfg_canonical_address(nullptr, nullptr));
}

TEST(ConfigMatch, AddressWinsOverIdsAndFirstIdRuleWins)
{
	Parsed p("{\"devices\":["
	         "{\"id\":[\"0x8086\",\"*\"],\"kind\":\"dfl\",\"dfl_bar\":1},"
	         "{\"id\":[\"0x8086\",\"0xbcce\"],\"kind\":\"dfl\",\"dfl_bar\":2},"
	         "{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":3}]}");
	ASSERT_EQ(0, p.rc) << p.err;
	const cfg_device *d = cfg_match(p.c, "0000:3b:00.0", kOfsPf);
	ASSERT_NE(nullptr, d);
	EXPECT_EQ(3u, d->dfl_bar);
	d = cfg_match(p.c, "0000:3c:00.0", kOfsPf);
	ASSERT_NE(nullptr, d);
	EXPECT_EQ(1u, d->dfl_bar);
	EXPECT_EQ(0u, d->index);
	EXPECT_EQ(nullptr, cfg_match(p.c, "0000:00:03.0", kEdu));
	// an address rule needs the address: ids alone never reach it
	EXPECT_EQ(2u, p.c->devices[2].index);
}

TEST(ConfigDefaults, IntelFpgaIdsAsDflInBar0)
{
	struct cfg *c = nullptr;
	ASSERT_EQ(0, cfg_defaults(&c));
	const cfg_device *d = cfg_match(c, "0000:3b:00.0", kOfsPf);
	ASSERT_NE(nullptr, d);
	EXPECT_EQ(CFG_KIND_DFL, d->kind);
	EXPECT_EQ(0u, d->dfl_bar);
	EXPECT_NE(nullptr, cfg_match(c, "0000:3b:00.1", kOfsVf));
	EXPECT_EQ(nullptr, cfg_match(c, "0000:00:03.0", kEdu));
	cfg_free(c);
}

TEST(ConfigExamples, EveryShippedExampleParses)
{
	struct {
		const char *file;
		unsigned n;
		cfg_kind kind;
	} ex[] = {{"dfl-pf.json", 1, CFG_KIND_DFL}, {"dfl-vf.json", 2, CFG_KIND_DFL},
	          {"edu-plain.json", 1, CFG_KIND_PLAIN}, {"dfl-children.json", 2, CFG_KIND_DFL}};
	for (auto &e : ex) {
		std::string path = std::string(CONFIG_EXAMPLES) + "/" + e.file;
		struct cfg *c = nullptr;
		char err[512];
		ASSERT_EQ(0, cfg_load_file(path.c_str(), &c, err, sizeof(err))) << err;
		EXPECT_EQ(e.n, c->ndevices) << e.file;
		EXPECT_EQ(e.kind, c->devices[0].kind) << e.file;
		cfg_free(c);
	}
	struct cfg *c = nullptr;
	char err[512];
	ASSERT_EQ(0, cfg_load_file((std::string(CONFIG_EXAMPLES) + "/dfl-vf.json").c_str(), &c, err,
	                           sizeof(err)));
	EXPECT_STREQ("bbf535c8-f8f1-43eb-8660-f076ccb02dd2", cfg_match(c, "0000:3b:00.1", kOfsVf)->vf_token);
	cfg_free(c);
	ASSERT_EQ(0, cfg_load_file((std::string(CONFIG_EXAMPLES) + "/edu-plain.json").c_str(), &c, err,
	                           sizeof(err)));
	EXPECT_NE(nullptr, cfg_match(c, "0000:00:03.0", kEdu));
	cfg_free(c);
}

// ---- the malformed matrix -------------------------------------------------

struct Bad {
	const char *json;
	const char *key;    // must appear in the message
	const char *expect; // must appear after the key
};

class ConfigMalformed : public ::testing::TestWithParam<Bad>
{
};

TEST_P(ConfigMalformed, RefusedWithOneLineNamingTheKey)
{
	const Bad &b = GetParam();
	struct cfg *c = reinterpret_cast<struct cfg *>(0x1); // must be reset to NULL
	char err[512];
	memset(err, 'x', sizeof(err));
	EXPECT_EQ(-1, cfg_parse(b.json, "configuration", &c, err, sizeof(err)));
	EXPECT_EQ(nullptr, c);
	ASSERT_NE(nullptr, memchr(err, '\0', sizeof(err)));
	std::string msg(err);
	EXPECT_EQ(std::string::npos, msg.find('\n')) << msg;
	EXPECT_EQ(0u, msg.find("configuration: ")) << msg;
	size_t k = msg.find(std::string(": ") + b.key + ": ");
	EXPECT_NE(std::string::npos, k) << "key '" << b.key << "' not named in: " << msg;
	EXPECT_NE(std::string::npos, msg.find(b.expect, k == std::string::npos ? 0 : k))
	    << "'" << b.expect << "' not in: " << msg;
}

static const Bad kBad[] = {
    // syntax
    {"{", "(syntax)", "line 1 column 2"},
    {"{\"devices\": [}", "(syntax)", "expected JSON"},
    {"{}\n{}", "(syntax)", "line 2 column 1"},
    {"{} x", "(syntax)", "column 4"},
    {"nul", "(syntax)", "expected JSON"},
    // top level
    {"[]", "(top level)", "expected an object, got an array"},
    {"\"devices\"", "(top level)", "got \"devices\""},
    {"42", "(top level)", "got 42"},
    {"{\"device\": []}", "device", "unknown key (expected \"devices\")"},
    {"{\"devices\": {}}", "devices", "expected an array of device objects, got an object"},
    {"{\"devices\": null}", "devices", "got null"},
    {"{\"devices\": [1]}", "devices[0]", "expected an object, got 1"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\"}, []]}", "devices[1]",
     "expected an object, got an array"},
    // selection
    {"{\"devices\": [{\"kind\":\"dfl\"}]}", "devices[0]", "exactly one of \"pci\" (an address) or \"id\" (PCI ids), got neither"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"id\":[\"0x8086\",\"0xbcce\"],\"kind\":\"dfl\"}]}",
     "devices[0]", "got both"},
    {"{\"devices\": [{\"pci\":3,\"kind\":\"dfl\"}]}", "devices[0].pci", "expected a PCI address like \"0000:3b:00.0\", got 3"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.8\",\"kind\":\"dfl\"}]}", "devices[0].pci",
     "got \"0000:3b:00.8\""},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\"},{\"pci\":\"3b:00.0\",\"kind\":\"dfl\"}]}",
     "devices[1].pci", "got the same address as devices[0]"},
    {"{\"devices\": [{\"id\":\"0x8086\",\"kind\":\"dfl\"}]}", "devices[0].id", "expected an array [vendor, device"},
    {"{\"devices\": [{\"id\":[\"0x8086\"],\"kind\":\"dfl\"}]}", "devices[0].id", "expected 2 to 4 ids"},
    {"{\"devices\": [{\"id\":[\"0x8086\",\"1\",\"2\",\"3\",\"4\"],\"kind\":\"dfl\"}]}", "devices[0].id",
     "got 5"},
    {"{\"devices\": [{\"id\":[\"8086\",\"0xbcce\"],\"kind\":\"dfl\"}]}", "devices[0].id[0]",
     "expected a PCI id as a \"0x\" hex string (e.g. \"0x8086\") or \"*\", got \"8086\""},
    {"{\"devices\": [{\"id\":[\"0x8086\",\"0x1bcce\"],\"kind\":\"dfl\"}]}", "devices[0].id[1]", "got \"0x1bcce\""},
    {"{\"devices\": [{\"id\":[\"0x8086\",\"0xbcce\",\"0x\"],\"kind\":\"dfl\"}]}", "devices[0].id[2]", "got \"0x\""},
    {"{\"devices\": [{\"id\":[\"0x8086\",\"0xbcce\",\"*\",\"**\"],\"kind\":\"dfl\"}]}", "devices[0].id[3]",
     "got \"**\""},
    {"{\"devices\": [{\"id\":[\"0x8086\",65536],\"kind\":\"dfl\"}]}", "devices[0].id[1]", "0..0xffff, got 65536"},
    {"{\"devices\": [{\"id\":[\"0x8086\",-1],\"kind\":\"dfl\"}]}", "devices[0].id[1]", "got -1"},
    {"{\"devices\": [{\"id\":[\"0x8086\",true],\"kind\":\"dfl\"}]}", "devices[0].id[1]", "got true"},
    {"{\"devices\": [{\"id\":[\"0x8086\",\"0xbcce\"],\"kind\":\"dfl\"},{\"id\":[\"0x8086\",\"0xBCCE\",\"*\"],\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\"}]}",
     "devices[1].id", "got the same ids as devices[0]"},
    // kind
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\"}]}", "devices[0].kind", "missing (expected \"dfl\" or \"plain\")"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"fpga\"}]}", "devices[0].kind", "got \"fpga\""},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":0}]}", "devices[0].kind", "got 0"},
    // dfl_bar
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":6}]}", "devices[0].dfl_bar",
     "expected a BAR number 0..5, got 6"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":\"0\"}]}", "devices[0].dfl_bar",
     "got \"0\""},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":-1}]}", "devices[0].dfl_bar", "got -1"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl_bar\":1.5}]}", "devices[0].dfl_bar", "got 1.5"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"dfl_bar\":0}]}",
     "devices[0].dfl_bar", "only allowed with \"kind\": \"dfl\""},
    // guid
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\"}]}", "devices[0].guid",
     "missing (a plain accelerator is declared with its GUID)"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4a4a3c413f89e433683f9040b\"}]}",
     "devices[0].guid", "expected a GUID like"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040g\"}]}",
     "devices[0].guid", "got \"d8424dc4-a4a3-c413-f89e-433683f9040g\""},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"{d8424dc4-a4a3-c413-f89e-433683f9040b}\"}]}",
     "devices[0].guid", "expected a GUID"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":[1]}]}", "devices[0].guid",
     "got an array"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\"}]}",
     "devices[0].guid", "only allowed with \"kind\": \"plain\""},
    // mmio_bars
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"mmio_bars\":[]}]}",
     "devices[0].mmio_bars", "expected a non-empty array of BAR numbers 0..5"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"mmio_bars\":0}]}",
     "devices[0].mmio_bars", "got 0"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"mmio_bars\":[0,7]}]}",
     "devices[0].mmio_bars[1]", "got 7"},
    {"{\"devices\": [{\"pci\":\"0000:00:03.0\",\"kind\":\"plain\",\"guid\":\"d8424dc4-a4a3-c413-f89e-433683f9040b\",\"mmio_bars\":[2,2]}]}",
     "devices[0].mmio_bars[1]", "expected each BAR once, got BAR 2 again"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"mmio_bars\":[0]}]}", "devices[0].mmio_bars",
     "only allowed with \"kind\": \"plain\""},
    // vf_token
    {"{\"devices\": [{\"pci\":\"0000:3b:00.1\",\"kind\":\"dfl\",\"vf_token\":\"secret\"}]}", "devices[0].vf_token",
     "expected a UUID like \"2a7f6c3e-0a5b-4d6e-9f10-1c2d3e4f5a6b\", got \"secret\""},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.1\",\"kind\":\"dfl\",\"vf_token\":\"x bbf535c8-f8f1-43eb-8660-f076ccb02dd2\"}]}",
     "devices[0].vf_token", "expected a UUID"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.1\",\"kind\":\"dfl\",\"vf_token\":null}]}", "devices[0].vf_token", "got null"},
    // typos are not ignored
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\",\"dfl-bar\":1}]}", "devices[0].dfl-bar",
     "unknown key (expected pci, id, kind, dfl_bar, guid, mmio_bars, vf_token)"},
    {"{\"devices\": [{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\"},{\"pci\":\"0000:3c:00.0\",\"kind\":\"dfl\",\"token\":\"\"}]}",
     "devices[1].token", "unknown key"},
};

// Named by position and key, so ctest names are stable across runs.
INSTANTIATE_TEST_SUITE_P(Matrix, ConfigMalformed, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<Bad> &info) {
	                         std::string n = std::to_string(info.index) + "_";
	                         for (const char *c = info.param.key; *c; c++)
		                         n += isalnum((unsigned char)*c) ? *c : '_';
	                         return n;
                         });

TEST(ConfigMalformed, AllOrNothingAfterGoodEntries)
{
	// two good entries then a bad one: nothing is returned, the error names
	// the bad entry only
	Parsed p("{\"devices\":[{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\"},"
	         "{\"pci\":\"0000:3b:00.1\",\"kind\":\"dfl\"},{\"pci\":\"0000:3b:00.2\",\"kind\":\"dfl\",\"dfl_bar\":9}]}");
	EXPECT_EQ(-1, p.rc);
	EXPECT_EQ(nullptr, p.c);
	EXPECT_NE(nullptr, strstr(p.err, "devices[2].dfl_bar"));
}

TEST(ConfigMalformed, SmallErrorBufferIsTruncatedNotOverrun)
{
	struct cfg *c = nullptr;
	char err[24];
	memset(err, 'x', sizeof(err));
	EXPECT_EQ(-1, cfg_parse("[]", "configuration", &c, err, 16));
	EXPECT_EQ(nullptr, c);
	EXPECT_LT(strlen(err), 16u);
	EXPECT_EQ('x', err[16]);
	EXPECT_EQ(-1, cfg_parse("[]", "configuration", &c, nullptr, 0));
}

// ---- files ------------------------------------------------------------------

class ConfigFile : public ::testing::Test
{
      protected:
	char path[64] = "/tmp/ovfio-config-XXXXXX";
	void SetUp() override
	{
		int fd = mkstemp(path);
		ASSERT_GE(fd, 0);
		close(fd);
	}
	void TearDown() override { unlink(path); }
	void write(const std::string &s)
	{
		FILE *f = fopen(path, "w");
		ASSERT_NE(nullptr, f);
		ASSERT_EQ(s.size(), fwrite(s.data(), 1, s.size(), f));
		fclose(f);
	}
};

TEST_F(ConfigFile, MessagesNameTheFile)
{
	write("{\"devices\": [{\"pci\": \"0000:3b:00.0\"}]}");
	struct cfg *c = nullptr;
	char err[512];
	EXPECT_EQ(-1, cfg_load_file(path, &c, err, sizeof(err)));
	EXPECT_EQ(nullptr, c);
	EXPECT_EQ(0u, std::string(err).find(std::string(path) + ": devices[0].kind: missing")) << err;
}

TEST_F(ConfigFile, MissingEmptyNulAndHugeFiles)
{
	struct cfg *c = nullptr;
	char err[512];
	EXPECT_EQ(-1, cfg_load_file("/nonexistent/ovfio.json", &c, err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "/nonexistent/ovfio.json: (file): cannot be opened: No such file"))
	    << err;
	EXPECT_EQ(-1, cfg_load_file("", &c, err, sizeof(err)));
	EXPECT_EQ(-1, cfg_load_file(nullptr, &c, err, sizeof(err)));

	write(std::string("{}\0{}", 5));
	EXPECT_EQ(-1, cfg_load_file(path, &c, err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "got a NUL byte")) << err;

	write(std::string(1024 * 1024 + 1, ' '));
	EXPECT_EQ(-1, cfg_load_file(path, &c, err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "expected at most 1 MiB")) << err;

	write("   "); // whitespace only: no devices key, defaults apply
	ASSERT_EQ(-1, cfg_load_file(path, &c, err, sizeof(err))) << "whitespace is not JSON";
	write("{\"devices\": []}");
	ASSERT_EQ(0, cfg_load_file(path, &c, err, sizeof(err))) << err;
	EXPECT_EQ(1, c->has_list);
	cfg_free(c);
}
