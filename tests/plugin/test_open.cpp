// SPDX-License-Identifier: BSD-3-Clause
// test_open.cpp - fpgaOpen / fpgaClose / fpgaReset through the adapter table:
// exclusive and shared opens, stale and forged handles, VFs sharing one PF
// session and VF token, the port reset protocol and VFIO_DEVICE_RESET.
#include "plugin_test_util.h"

namespace
{
fpga_handle forged(uint64_t v)
{
	return reinterpret_cast<fpga_handle>(static_cast<uintptr_t>(v));
}

unsigned open_count(const char *addr)
{
	struct vfio_mock_device_state st = {};
	EXPECT_EQ(0, vfio_mock_device_state(addr, &st)) << addr;
	return (unsigned)st.open_count;
}
} // namespace

TEST_F(PluginTest, ExclusiveAndSharedOpens)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	fpga_handle h = open(port);
	open(port, 0, FPGA_BUSY);
	open(port, FPGA_OPEN_SHARED, FPGA_BUSY);
	close(h);
	fpga_handle s1 = open(port, FPGA_OPEN_SHARED);
	fpga_handle s2 = open(port, FPGA_OPEN_SHARED);
	EXPECT_NE(s1, s2);
	open(port, 0, FPGA_BUSY);
	EXPECT_EQ(1u, open_count(PF_ADDR)) << "one device session for both handles";
	close(s1);
	uint64_t v = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(s2, 0, 0x8, &v));
	EXPECT_EQ(0xF89E433683F9040Bull, v);
	close(s2);
	EXPECT_EQ(0u, open_count(PF_ADDR));
}

TEST_F(PluginTest, FmeAndPortOpenTogether)
{
	load("dfl-pf.json", nullptr);
	Filter d, a;
	fpga_token fme = one(d.type(FPGA_DEVICE));
	fpga_token port = one(a.type(FPGA_ACCELERATOR));
	fpga_handle hf = open(fme);
	fpga_handle hp = open(port);
	EXPECT_EQ(1u, open_count(PF_ADDR));
	uint64_t v;
	EXPECT_EQ(FPGA_NOT_SUPPORTED, t->fpgaReadMMIO64(hf, 0, 0, &v)) << "an FPGA_DEVICE has no MMIO";
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(hp, 0, 0, &v));
	close(hf);
	close(hp);
}

TEST_F(PluginTest, StaleDoubleClosedAndForgedHandles)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	fpga_handle h = open(port);
	close(h);
	uint64_t v = 0;
	uint32_t v32 = 0;
	uint64_t *ptr = nullptr;
	fpga_properties p = nullptr;
	const uint64_t line[8] = {};
	for (fpga_handle bad : {h, (fpga_handle) nullptr, forged(1), forged(0x12345678),
	                        forged(~0ull), forged((uint64_t)(uintptr_t)&v)}) {
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaClose(bad));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(bad, 0, 0, &v));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO64(bad, 0, 0x100, 1));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO32(bad, 0, 0, &v32));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO32(bad, 0, 0x100, 1));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(bad, 0, 0, line));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaMapMMIO(bad, 0, &ptr));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUnmapMMIO(bad, 0));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReset(bad));
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetPropertiesFromHandle(bad, &p));
	}
	// the slot is reused with a new generation: the old handle stays dead
	fpga_handle h2 = open(port);
	EXPECT_NE(h, h2);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, 0, &v));
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h2, 0, 0, &v));
	close(h2);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaClose(h2));
}

TEST_F(PluginTest, OpenBadArguments)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	fpga_handle h = nullptr;
	uint64_t junk[16] = {};
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaOpen(nullptr, &h, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaOpen(junk, &h, 0)) << "not one of our tokens";
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaOpen(port, nullptr, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaOpen(port, &h, 0x100));
	h = nullptr; // a child AFU needs its parent's handle in *handle (test_pins.cpp)
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaOpen(port, &h, FPGA_OPEN_HAS_PARENT_AFU));
	fpga_token dead = nullptr;
	ASSERT_EQ(FPGA_OK, t->fpgaCloneToken(port, &dead));
	ASSERT_EQ(FPGA_OK, t->fpgaDestroyToken(&dead));
	EXPECT_EQ(nullptr, dead);
	EXPECT_EQ(0u, open_count(PF_ADDR));
}

TEST_F(PluginTest, TokensCloneAndDestroy)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	fpga_token c = nullptr;
	ASSERT_EQ(FPGA_OK, t->fpgaCloneToken(port, &c));
	EXPECT_NE(port, c);
	EXPECT_EQ(0, memcmp(port, c, sizeof(fpga_token_header)));
	fpga_handle h = open(c);
	fpga_token stale = c;
	ASSERT_EQ(FPGA_OK, t->fpgaDestroyToken(&c));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaDestroyToken(&stale)) << "destroyed twice";
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaCloneToken(stale, &c));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaCloneToken(port, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaDestroyToken(nullptr));
	uint64_t v = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x10, &v)) << "the handle outlives its token";
	EXPECT_EQ(0xD8424DC4A4A3C413ull, v);
}

// Two VFs of one PF at the same time: the PF is opened once, with one VF
// token both VFs present, and closed with the last VF.
TEST_F(PluginTest, TwoVfsOfOnePfAtOnce)
{
	load(pf_vfs_scenario(2), nullptr);
	Filter f1, f2;
	fpga_token vf1 = one(f1.function(1));
	fpga_token vf2 = one(f2.function(2));
	fpga_handle h1 = open(vf1);
	EXPECT_EQ(1u, open_count(PF_ADDR));
	fpga_handle h2 = open(vf2);
	EXPECT_EQ(1u, open_count(PF_ADDR)) << "one PF session per process";
	EXPECT_EQ(1u, open_count("0000:3b:00.1"));
	EXPECT_EQ(1u, open_count("0000:3b:00.2"));
	for (fpga_handle h : {h1, h2}) {
		uint64_t v = 0;
		EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x10, &v));
		EXPECT_EQ(0xD8424DC4A4A3C413ull, v);
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x100, (uint64_t)(uintptr_t)h));
	}
	uint64_t v = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h1, 0, 0x100, &v));
	EXPECT_EQ((uint64_t)(uintptr_t)h1, v) << "each VF has its own registers";
	close(h1);
	EXPECT_EQ(1u, open_count(PF_ADDR)) << "still anchoring the second VF";
	// now that the token is known, enumeration identifies every VF
	Filter nlb;
	uint32_t n = 0;
	enumerate({nlb.guid(NLB0_GUID).p}, 8, &n);
	EXPECT_EQ(3u, n);
	close(h2);
	EXPECT_EQ(0u, open_count(PF_ADDR));
}

// A configured VF token: the PF is opened with it (no random token), so
// another process with the same device list can open the other VFs.
TEST_F(PluginTest, ConfiguredVfTokenIsUsed)
{
	std::string list = std::string(CONFIG_EXAMPLES) + "/dfl-vf.json";
	ASSERT_EQ(0, setenv("OPAE_VFIO_CONFIG", list.c_str(), 1));
	load(pf_vfs_scenario(2), nullptr);
	unsetenv("OPAE_VFIO_CONFIG");
	Filter f;
	fpga_token vf1 = one(f.function(1));
	EXPECT_EQ("00000000-0000-0000-0000-000000000000", info(vf1).guid)
	    << "the configured token is not in effect yet: enumeration does not set it";
	fpga_handle h = open(vf1);
	close(h);
	// the PF now carries the configured token: VF 2 can be looked into with it
	Filter f2;
	fpga_token vf2 = one(f2.function(2));
	EXPECT_EQ(NLB0_GUID, info(vf2).guid);
}

TEST_F(PluginTest, PortResetProtocol)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_handle h = open(one(f.guid(NLB0_GUID)));
	EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x100, 0x1234));
	EXPECT_EQ(FPGA_OK, t->fpgaReset(h));
	// the port reset returned the AFU to its power-on state
	uint64_t v = 1;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100, &v));
	EXPECT_EQ(0u, v);
	struct vfio_mock_device_state st = {};
	ASSERT_EQ(0, vfio_mock_device_state(PF_ADDR, &st));
	EXPECT_EQ(0u, st.resets) << "a port reset, not a function reset";
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_DEVICE_RESET"));
}

TEST_F(PluginTest, VfResetIsAFunctionReset)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	fpga_handle h = open(one(f.function(1)));
	EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x100, 0x1234));
	EXPECT_EQ(FPGA_OK, t->fpgaReset(h));
	struct vfio_mock_device_state st = {};
	ASSERT_EQ(0, vfio_mock_device_state(VF_ADDR, &st));
	EXPECT_EQ(1u, st.resets);
	uint64_t v = 1;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100, &v));
	EXPECT_EQ(0u, v);
}

TEST_F(PluginTest, ResetRefusedWhenItWouldDisturbOthers)
{
	load("dfl-pf.json", nullptr);
	Filter d, a;
	fpga_handle hf = open(one(d.type(FPGA_DEVICE)));
	fpga_handle hp = open(one(a.type(FPGA_ACCELERATOR)));
	EXPECT_EQ(FPGA_BUSY, t->fpgaReset(hf)) << "the port is open on the same function";
	close(hp);
	EXPECT_EQ(FPGA_OK, t->fpgaReset(hf));
	struct vfio_mock_device_state st = {};
	ASSERT_EQ(0, vfio_mock_device_state(PF_ADDR, &st));
	EXPECT_EQ(1u, st.resets);
}

// A failure of the reset is reported, not swallowed.
TEST_F(PluginTest, FailedResetIsReported)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	fpga_handle h = open(one(f.function(1)));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_RESET", 1, EIO));
	EXPECT_EQ(FPGA_EXCEPTION, t->fpgaReset(h));
}

TEST_F(PluginTest, OpenFailuresLeaveNothingBehind)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	fpga_token vf = one(f.function(1));
	// the VF fails to open after its PF was opened: the PF is closed again
	ASSERT_EQ(0, vfio_mock_fail("VFIO_GROUP_GET_DEVICE_FD", 2, EBUSY));
	fpga_handle h = nullptr;
	EXPECT_EQ(FPGA_BUSY, t->fpgaOpen(vf, &h, 0));
	EXPECT_EQ(0u, open_count(PF_ADDR));
	EXPECT_EQ(0u, open_count(VF_ADDR));
	vfio_mock_clear_faults();
	h = open(vf);
	EXPECT_NE(nullptr, h);
}
