// SPDX-License-Identifier: BSD-3-Clause
// test_children.cpp - multi-port AFUs end to end: framework/'s libopae-c ->
// libopae-vfio.so -> the mock kernel's dfl-fpga model. The PF's AFU lists two
// child GUIDs (DFH v1, parameter 2), carried by the NLB0 engines of two VFs:
// opening the parent opens both children, buffers prepared on the parent are
// pinned into the children (whose engines copy through the parent's I/O
// addresses), released buffers fault in the children, close leaves nothing,
// and broken or hostile child lists fail the parent's open cleanly.
#include "plugin_test_util.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace
{
constexpr const char *C1 = "c0de0001-5eed-4a11-8c01-000000000001";
constexpr const char *C2 = "c0de0002-5eed-4a11-8c01-000000000002";
constexpr uint64_t MiB = 1024 * 1024;
/* NLB0 registers */
constexpr uint64_t DSM_BASE = 0x110, SRC = 0x120, DST = 0x128, NUM_LINES = 0x130, CTL = 0x138;

std::string read_file(const std::string &path)
{
	std::ifstream f(path);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

/* dfl-children.json with the PF's params replaced (the VFs keep C1 and C2). */
std::string scenario(const std::string &pf_params)
{
	std::string s = read_file(std::string(PLUGIN_SCENARIOS) + "/dfl-children.json");
	size_t a = s.find("\"params\": { \"role\": \"pf\"");
	size_t b = s.find("} },", a);
	EXPECT_TRUE(a != std::string::npos && b != std::string::npos);
	return s.substr(0, a) + "\"params\": { \"role\": \"pf\", " + pf_params + " " + s.substr(b);
}

struct Children : ::testing::Test {
	void SetUp() override { vfio_mock_clear_faults(); }
	void load(const std::string &sc = "")
	{
		std::string path = std::string(PLUGIN_SCENARIOS) + "/dfl-children.json";
		ASSERT_EQ(0, vfio_mock_load_scenario(sc.empty() ? path.c_str() : sc.c_str()));
		std::string cfg = read_file(std::string(CONFIG_EXAMPLES) + "/dfl-children.json");
		ASSERT_EQ(0, opae_plugin_mgr_register_plugin(PLUGIN_PATH, cfg.c_str()));
		ASSERT_EQ(FPGA_OK, fpgaInitialize(nullptr));
		loaded = true;
	}
	void TearDown() override
	{
		if (parent_tok) {
			EXPECT_EQ(FPGA_OK, fpgaDestroyToken(&parent_tok));
		}
		if (loaded) {
			EXPECT_EQ(FPGA_OK, fpgaFinalize());
		}
		expect_no_mock_leaks();
		vfio_mock_reset();
	}
	static unsigned dma_maps() { return vfio_mock_dma_maps(-1, nullptr, 0); }
	/* IOMMU mappings (all containers) of memory in [p, p + len). */
	static unsigned maps_of(const void *p, uint64_t len)
	{
		static struct vfio_mock_dma_map m[4096];
		unsigned n = vfio_mock_dma_maps(-1, m, 4096), k = 0;
		uint64_t a = (uintptr_t)p;
		for (unsigned i = 0; i < n && i < 4096; i++)
			k += m[i].vaddr < a + len && a < m[i].vaddr + m[i].size;
		return k;
	}
	/* The parent AFU's token (the PF's NLB0 GUID). */
	fpga_token parent()
	{
		fpga_properties f = nullptr;
		uint32_t n = 0;
		fpga_guid g;
		EXPECT_EQ(0, uuid_parse(NLB0_GUID, g));
		EXPECT_EQ(FPGA_OK, fpgaGetProperties(nullptr, &f));
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR));
		EXPECT_EQ(FPGA_OK, fpgaPropertiesSetGUID(f, g));
		EXPECT_EQ(FPGA_OK, fpgaEnumerate(&f, 1, &parent_tok, 1, &n));
		EXPECT_EQ(FPGA_OK, fpgaDestroyProperties(&f));
		EXPECT_EQ(1u, n);
		return parent_tok;
	}
	static std::string guid_of(fpga_handle h)
	{
		fpga_properties p = nullptr;
		fpga_guid g = {};
		char s[37] = "";
		EXPECT_EQ(FPGA_OK, fpgaGetPropertiesFromHandle(h, &p));
		EXPECT_EQ(FPGA_OK, fpgaPropertiesGetGUID(p, &g));
		EXPECT_EQ(FPGA_OK, fpgaDestroyProperties(&p));
		uuid_unparse(g, s);
		return s;
	}
	static uint64_t io(fpga_handle h, uint64_t wsid)
	{
		uint64_t a = 0;
		EXPECT_EQ(FPGA_OK, fpgaGetIOAddress(h, wsid, &a));
		return a;
	}
	/* NLB0 of `engine` copies `lines` cache lines src -> dst (I/O
	 * addresses); true when its DSM says done within ~3 s. */
	static bool copy(fpga_handle engine, uint64_t dsm_io, volatile uint8_t *dsm, uint64_t src,
	                 uint64_t dst, uint32_t lines, int polls = 30000)
	{
		memset((void *)dsm, 0, 4096);
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO32(engine, 0, CTL, 0));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO32(engine, 0, CTL, 1));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO64(engine, 0, DSM_BASE, dsm_io));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO64(engine, 0, SRC, src >> 6));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO64(engine, 0, DST, dst >> 6));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO32(engine, 0, NUM_LINES, lines));
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO32(engine, 0, CTL, 3));
		bool done = false;
		/* a copy stopped by an IOMMU fault never completes */
		for (int i = 0; i < polls && !(done = *(volatile uint64_t *)(dsm + 0x40) & 1) &&
		                !vfio_mock_iommu_faults(nullptr, 0);
		     i++)
			usleep(100);
		EXPECT_EQ(FPGA_OK, fpgaWriteMMIO32(engine, 0, CTL, 7));
		return done;
	}
	/* Open must fail with `want`, leave no handle and nothing of the mock. */
	void expect_open_fails(fpga_result want)
	{
		fpga_handle h = nullptr;
		ASSERT_NE(nullptr, parent());
		EXPECT_EQ(want, fpgaOpen(parent_tok, &h, 0));
		EXPECT_EQ(nullptr, h);
		expect_no_mock_leaks();
	}
	fpga_token parent_tok = nullptr;
	bool loaded = false;
};
} // namespace

TEST_F(Children, ParentOpensChildrenWhoseEnginesUseTheParentsBuffers)
{
	load();
	fpga_handle h = nullptr, kids[4] = {};
	uint32_t n = 0;
	ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
	ASSERT_EQ(FPGA_OK, fpgaGetChildren(h, 4, kids, &n));
	ASSERT_EQ(2u, n);
	EXPECT_EQ(C1, guid_of(kids[0]));
	EXPECT_EQ(C2, guid_of(kids[1]));

	void *dsm = nullptr, *in = nullptr, *out = nullptr;
	uint64_t ws_dsm = 0, ws_in = 0, ws_out = 0;
	ASSERT_EQ(FPGA_OK, fpgaPrepareBuffer(h, 4096, &dsm, &ws_dsm, 0));
	ASSERT_EQ(FPGA_OK, fpgaPrepareBuffer(h, 2 * MiB, &in, &ws_in, 0));
	ASSERT_EQ(FPGA_OK, fpgaPrepareBuffer(h, 2 * MiB, &out, &ws_out, 0));
	// each buffer is mapped in the parent's device and pinned (one mapping)
	// into each child's
	unsigned parent_maps = dma_maps() - 6;
	EXPECT_GE(parent_maps, 3u);
	EXPECT_EQ(3u, maps_of(dsm, 4096));
	EXPECT_GE(maps_of(out, 2 * MiB), 3u);

	// each child's engine copies through the parent's I/O addresses
	for (int k = 0; k < 2; k++) {
		memset(in, 0x30 + k, MiB);
		memset(out, 0, MiB);
		EXPECT_TRUE(copy(kids[k], io(h, ws_dsm), (uint8_t *)dsm, io(h, ws_in), io(h, ws_out),
		                 MiB / 64))
		    << "child " << k;
		EXPECT_EQ(0, memcmp(in, out, MiB)) << "child " << k;
	}
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));

	// release unpins from the children first: their DMA to it now faults
	uint64_t out_io = io(h, ws_out);
	ASSERT_EQ(FPGA_OK, fpgaReleaseBuffer(h, ws_out));
	EXPECT_EQ(0u, maps_of(out, 2 * MiB)) << "the released buffer is gone from all three devices";
	EXPECT_GE(maps_of(in, 2 * MiB), 3u);
	EXPECT_FALSE(copy(kids[1], io(h, ws_dsm), (uint8_t *)dsm, io(h, ws_in), out_io, 64));
	struct vfio_mock_iommu_fault f[8];
	unsigned nf = vfio_mock_iommu_faults(f, 8);
	ASSERT_GE(nf, 1u);
	EXPECT_STREQ("0000:3b:00.2", f[0].device);
	EXPECT_EQ(out_io, f[0].iova);
	EXPECT_EQ(1, f[0].write);

	// close takes the children with it and leaves nothing
	ASSERT_EQ(FPGA_OK, fpgaClose(h));
	uint64_t v = 0;
	EXPECT_EQ(FPGA_INVALID_PARAM, fpgaReadMMIO64(kids[0], 0, 0, &v));
	expect_no_mock_leaks();
}

TEST_F(Children, FinalizeWithTheParentOpenClosesEverything)
{
	load();
	fpga_handle h = nullptr;
	void *p = nullptr;
	uint64_t ws = 0;
	ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
	ASSERT_EQ(FPGA_OK, fpgaPrepareBuffer(h, 8192, &p, &ws, 0));
	EXPECT_EQ(3u, maps_of(p, 8192));
	// TearDown: fpgaFinalize closes parent and children in its own order;
	// nothing of the mock may remain
}

TEST_F(Children, AChildThatCannotBeOpenedFailsTheParentsOpen)
{
	// the same child listed twice: its second (exclusive) open is refused
	load(scenario(std::string("\"children\": [\"") + C1 + "\", \"" + C1 + "\"]"));
	expect_open_fails(FPGA_BUSY);
}

TEST_F(Children, AChildGuidFoundNowhereFailsTheParentsOpen)
{
	load(scenario(std::string("\"children\": [\"") + C2 +
	              "\", \"c0de0009-5eed-4a11-8c01-000000000009\"]"));
	expect_open_fails(FPGA_NOT_FOUND);
}

TEST_F(Children, AHugeChildCountIsRefused)
{
	load(scenario(std::string("\"children\": [\"") + C1 + "\"], \"children_count\": 100000000"));
	expect_open_fails(FPGA_EXCEPTION);
}

TEST_F(Children, AListRunningOutOfTheAfusWindowIsRefused)
{
	// the PF's AFU window is 128 KiB: the list header is its last qword but
	// one, so the first GUID's high half lies outside
	load(scenario(std::string("\"children\": [\"") + C1 + "\"], \"children_at\": \"0x1fff0\""));
	expect_open_fails(FPGA_EXCEPTION);
}

TEST_F(Children, AListOfNoChildrenOpensTheParentAlone)
{
	load(scenario("\"children\": []"));
	fpga_handle h = nullptr;
	uint32_t n = 9;
	ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
	EXPECT_EQ(FPGA_OK, fpgaGetChildren(h, 0, nullptr, &n));
	EXPECT_EQ(0u, n);
	EXPECT_EQ(FPGA_OK, fpgaClose(h));
}

/* Every failure point of opening a parent with two children (and of its
 * first buffer): the open fails cleanly and leaves nothing, or works. */
TEST_F(Children, FaultSweepOverOpeningAParentWithChildren)
{
	load();
	fpga_handle h = nullptr;
	// twice first: identification is cached after the first time, so the
	// calls of the second and later opens are the same
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
		ASSERT_EQ(FPGA_OK, fpgaClose(h));
		ASSERT_EQ(FPGA_OK, fpgaDestroyToken(&parent_tok));
	}
	unsigned before = vfio_mock_calls("any");
	ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
	unsigned calls = vfio_mock_calls("any") - before;
	ASSERT_EQ(FPGA_OK, fpgaClose(h));
	ASSERT_EQ(FPGA_OK, fpgaDestroyToken(&parent_tok));
	ASSERT_GT(calls, 10u);
	unsigned failed = 0;
	for (unsigned nth = 1; nth <= calls; nth++) {
		ASSERT_NE(nullptr, parent());
		vfio_mock_clear_faults();
		ASSERT_EQ(0, vfio_mock_fail("any", nth, EIO));
		h = nullptr;
		fpga_result r = fpgaOpen(parent_tok, &h, 0);
		vfio_mock_clear_faults();
		if (r == FPGA_OK) {
			EXPECT_EQ(FPGA_OK, fpgaClose(h)) << "fault " << nth;
		} else {
			failed++;
			EXPECT_EQ(nullptr, h);
		}
		expect_no_mock_leaks();
		ASSERT_EQ(FPGA_OK, fpgaDestroyToken(&parent_tok));
	}
	EXPECT_GT(failed, calls / 2) << "most steps of an open cannot fail silently";
	// and it still works
	ASSERT_EQ(FPGA_OK, fpgaOpen(parent(), &h, 0));
	uint32_t n = 0;
	EXPECT_EQ(FPGA_OK, fpgaGetChildren(h, 0, nullptr, &n));
	EXPECT_EQ(2u, n);
	EXPECT_EQ(FPGA_OK, fpgaClose(h));
}

/* The model refuses child parameters it cannot honour, naming them. */
TEST(ChildrenModel, MalformedParametersRejectTheScenario)
{
	const char *bad[] = {
	    "\"afu_guid\": \"c0de0001\"",
	    "\"children\": \"c0de0001-5eed-4a11-8c01-000000000001\"",
	    "\"children\": [\"c0de0001-5eed-4a11-8c01-00000000000g\"]",
	    "\"children\": [1,2,3,4,5,6,7,8,9,10,11,12,13]",
	    "\"children_count\": 2",
	    "\"children\": [], \"children_count\": -1",
	    "\"children\": [], \"children_at\": \"0x30\"",
	    "\"children\": [], \"children_at\": \"0x1004\"",
	    "\"children\": [], \"children_at\": \"0x100000\"",
	};
	for (const char *p : bad) {
		EXPECT_EQ(-1, vfio_mock_load_scenario(scenario(p).c_str())) << p;
		vfio_mock_reset();
	}
	EXPECT_EQ(0, vfio_mock_load_scenario(scenario("\"children\": []").c_str()));
	vfio_mock_reset();
}
