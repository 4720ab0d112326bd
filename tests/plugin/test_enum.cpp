// SPDX-License-Identifier: BSD-3-Clause
// test_enum.cpp - fpgaEnumerate through the adapter table: tokens of the PF
// (FME + port AFU) and of VFs, filter semantics (AND within a filter, OR
// across filters, total count), hostile feature lists skipped and reported,
// rescans, and no side effects on the devices.
#include "plugin_test_util.h"

#include <algorithm>
#include <unistd.h>

TEST_F(PluginTest, DemoPfAndVfNoFilter)
{
	load("dfl-demo.json", nullptr);
	uint32_t n = 0;
	auto v = enumerate({}, 16, &n);
	ASSERT_EQ(3u, n);
	TokenInfo fme = info(v[0]), port = info(v[1]), vf = info(v[2]);
	EXPECT_EQ(FPGA_DEVICE, fme.type);
	EXPECT_EQ(PF_ADDR, fme.addr);
	EXPECT_EQ(MOCK_PR_ID, fme.guid);
	EXPECT_EQ(FPGA_ACCELERATOR, port.type);
	EXPECT_EQ(PF_ADDR, port.addr);
	EXPECT_EQ(NLB0_GUID, port.guid);
	// the VF's PF is on vfio-pci and no VF token is known: listed, not identified
	EXPECT_EQ(FPGA_ACCELERATOR, vf.type);
	EXPECT_EQ(VF_ADDR, vf.addr);
	EXPECT_EQ("00000000-0000-0000-0000-000000000000", vf.guid);
	const fpga_token_header *h = static_cast<const fpga_token_header *>(v[1]);
	EXPECT_EQ(FPGA_IFC_VFIO, h->interface);
	EXPECT_EQ(0x8086, h->vendor_id);
	EXPECT_EQ(0xbcce, h->device_id);
	EXPECT_EQ(0x8086, h->subsystem_vendor_id);
	EXPECT_EQ(0x1770, h->subsystem_device_id);
	EXPECT_NE(fme.object_id, port.object_id);
	EXPECT_EQ(0x3bull << 24, port.object_id & 0xffffffff0000ull);
}

// Enumeration opens the PF once to walk it, writes nothing, resets nothing,
// leaves nothing open, and does not look at all again the next time.
TEST_F(PluginTest, EnumerationHasNoSideEffects)
{
	load("dfl-demo.json", nullptr);
	enumerate();
	EXPECT_EQ(0u, vfio_mock_calls("pwrite")) << "a config or BAR register was written";
	EXPECT_EQ(1u, vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD")) << "only the PF is looked into";
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_DEVICE_RESET"));
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_DEVICE_FEATURE")) << "a VF token was touched";
	for (const char *a : {PF_ADDR, VF_ADDR}) {
		struct vfio_mock_device_state st = {};
		ASSERT_EQ(0, vfio_mock_device_state(a, &st));
		EXPECT_EQ(0, st.open_count) << a;
		EXPECT_EQ(0u, st.resets) << a;
	}
	enumerate();
	enumerate();
	EXPECT_EQ(1u, vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD")) << "cached: no second walk";
	EXPECT_EQ(0u, vfio_mock_calls("pwrite"));
}

TEST_F(PluginTest, FilterFieldsAndAndOr)
{
	load("dfl-demo.json", nullptr);
	auto count = [&](std::vector<fpga_properties> f) {
		uint32_t n = 0;
		enumerate(f, 16, &n);
		return n;
	};
	Filter acc, dev, nlb, nlb_fn1, fn1, bus3b, bus3c, vf_ids, sock0, sock1, vfio, dfl;
	acc.type(FPGA_ACCELERATOR);
	dev.type(FPGA_DEVICE);
	nlb.guid(NLB0_GUID);
	nlb_fn1.guid(NLB0_GUID).function(1);
	fn1.function(1);
	bus3b.bus(0x3b);
	bus3c.bus(0x3c);
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetVendorID(vf_ids.p, 0x8086));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetDeviceID(vf_ids.p, 0xbccf));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetSocketID(sock0.p, 0));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetSocketID(sock1.p, 1));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetInterface(vfio.p, FPGA_IFC_VFIO));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetInterface(dfl.p, FPGA_IFC_DFL));

	EXPECT_EQ(3u, count({}));
	EXPECT_EQ(2u, count({acc.p}));
	EXPECT_EQ(1u, count({dev.p}));
	EXPECT_EQ(1u, count({nlb.p}));
	EXPECT_EQ(0u, count({nlb_fn1.p})) << "AND within one filter";
	EXPECT_EQ(2u, count({nlb.p, fn1.p})) << "OR across filters";
	EXPECT_EQ(2u, count({fn1.p, nlb.p, fn1.p})) << "a token matching twice counts once";
	EXPECT_EQ(3u, count({bus3b.p}));
	EXPECT_EQ(0u, count({bus3c.p}));
	EXPECT_EQ(1u, count({vf_ids.p}));
	EXPECT_EQ(3u, count({sock0.p}));
	EXPECT_EQ(0u, count({sock1.p}));
	EXPECT_EQ(3u, count({vfio.p}));
	EXPECT_EQ(0u, count({dfl.p}));
	EXPECT_EQ(1u, count({bus3c.p, dev.p}));
}

TEST_F(PluginTest, FilterTypeSpecificFields)
{
	load("dfl-demo.json", nullptr);
	auto count = [&](Filter &f) {
		uint32_t n = 0;
		enumerate({f.p}, 16, &n);
		return n;
	};
	Filter mmio1, irq4, unassigned, slots1, slots2, bbsid, bbsver, bbsver_bad;
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetNumMMIO(mmio1.type(FPGA_ACCELERATOR).p, 1));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetNumInterrupts(irq4.type(FPGA_ACCELERATOR).p, 4));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetAcceleratorState(unassigned.type(FPGA_ACCELERATOR).p,
	                                                     FPGA_ACCELERATOR_UNASSIGNED));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetNumSlots(slots1.type(FPGA_DEVICE).p, 1));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetNumSlots(slots2.type(FPGA_DEVICE).p, 2));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetBBSID(bbsid.type(FPGA_DEVICE).p, 0x0143000000C0FFEEull));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetBBSVersion(bbsver.type(FPGA_DEVICE).p, {1, 4, 3}));
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetBBSVersion(bbsver_bad.type(FPGA_DEVICE).p, {1, 4, 4}));

	EXPECT_EQ(1u, count(mmio1)) << "the PF port (the unidentified VF has no MMIO space yet)";
	EXPECT_EQ(2u, count(irq4)) << "port capability: 4; VF: 4 MSI-X vectors";
	EXPECT_EQ(2u, count(unassigned));
	EXPECT_EQ(1u, count(slots1));
	EXPECT_EQ(0u, count(slots2));
	EXPECT_EQ(1u, count(bbsid));
	EXPECT_EQ(1u, count(bbsver));
	EXPECT_EQ(0u, count(bbsver_bad));
}

TEST_F(PluginTest, FilterByObjectIdAndParent)
{
	load("dfl-demo.json", nullptr);
	Filter dev, acc;
	fpga_token fme = one(dev.type(FPGA_DEVICE));
	acc.guid(NLB0_GUID);
	fpga_token port = one(acc);
	ASSERT_TRUE(fme && port);

	Filter byid, child;
	EXPECT_EQ(FPGA_OK,
	          fpgaPropertiesSetObjectID(byid.p, static_cast<fpga_token_header *>(port)->object_id));
	EXPECT_EQ(port != nullptr, one(byid) != nullptr);
	EXPECT_EQ(NLB0_GUID, info(tokens.back()).guid);
	// parent: same segment/bus/device (PF and its VF share them), accelerators only
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetParent(child.p, fme));
	uint32_t n = 0;
	auto v = enumerate({child.p}, 16, &n);
	EXPECT_EQ(2u, n);
	for (fpga_token tok : v)
		EXPECT_EQ(FPGA_ACCELERATOR, info(tok).type);
	Filter orphan;
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetParent(orphan.p, port)); // not an FPGA_DEVICE
	enumerate({orphan.p}, 16, &n);
	EXPECT_EQ(0u, n);
}

TEST_F(PluginTest, TotalCountBeyondMaxTokens)
{
	load("dfl-demo.json", nullptr);
	uint32_t n = 0;
	auto v = enumerate({}, 1, &n);
	EXPECT_EQ(3u, n);
	EXPECT_EQ(1u, v.size());
	EXPECT_EQ(FPGA_DEVICE, info(v[0]).type);
	n = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaEnumerate(nullptr, 0, nullptr, 0, &n));
	EXPECT_EQ(3u, n);
}

TEST_F(PluginTest, EnumerateBadArguments)
{
	load("dfl-demo.json", nullptr);
	fpga_token tok = nullptr;
	uint32_t n = 7;
	Filter f;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaEnumerate(nullptr, 0, &tok, 1, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaEnumerate(nullptr, 0, nullptr, 1, &n));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaEnumerate(nullptr, 1, &tok, 1, &n));
	fpga_properties nullf = nullptr;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaEnumerate(&nullf, 1, &tok, 1, &n));
	EXPECT_EQ(7u, n);
	EXPECT_EQ(nullptr, tok);
}

TEST_F(PluginTest, EmptyDeviceListClaimsNothing)
{
	load("dfl-demo.json", "{\"devices\":[]}");
	uint32_t n = 5;
	enumerate({}, 4, &n);
	EXPECT_EQ(0u, n);
	EXPECT_EQ(0u, vfio_mock_calls("open"));
}

TEST_F(PluginTest, OnlyClaimedDevicesAreLookedInto)
{
	// the PF by address: the VF is not claimed, so not listed
	load("dfl-demo.json", "{\"devices\":[{\"pci\":\"0000:3b:00.0\",\"kind\":\"dfl\"}]}");
	uint32_t n = 0;
	enumerate({}, 4, &n);
	EXPECT_EQ(2u, n);
}

TEST_F(PluginTest, FiltersLimitWhatIsLookedInto)
{
	load("dfl-hostile-all.json", nullptr);
	Filter f;
	f.bus(0x54); // zero-next: a list that just ends early (valid)
	testing::internal::CaptureStderr();
	uint32_t n = 0;
	enumerate({f.p}, 8, &n);
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_EQ(2u, n);
	EXPECT_EQ("", err) << "devices on other buses were looked into";
	EXPECT_EQ(1u, vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD"));
}

// Every hostile kind: one error line naming the device, the BAR offset and
// the reason; the device is skipped (only zero-next is a valid list); the
// second enumeration neither looks again nor logs again.
TEST_F(PluginTest, HostileListsReportedAndSkipped)
{
	load("dfl-hostile-all.json", nullptr);
	testing::internal::CaptureStderr();
	uint32_t n = 0;
	auto v = enumerate({}, 32, &n);
	std::string err = testing::internal::GetCapturedStderr();
	ASSERT_EQ(2u, n) << err;
	EXPECT_EQ("0000:54:00.0", info(v[0]).addr);
	EXPECT_EQ(FPGA_DEVICE, info(v[0]).type);
	EXPECT_EQ(NLB0_GUID, info(v[1]).guid);
	const char *bad[] = {"50", "51", "52", "53", "55", "56", "57", "58", "59", "5a"};
	for (const char *b : bad) {
		std::string want = std::string("opae-vfio: 0000:") + b + ":00.0: DFL walk: BAR 0 offset 0x";
		EXPECT_NE(std::string::npos, err.find(want)) << want << " not in:\n" << err;
	}
	EXPECT_EQ(10u, (unsigned)std::count(err.begin(), err.end(), '\n')) << err;
	EXPECT_EQ(0u, vfio_mock_calls("pwrite"));
	unsigned opens = vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD");
	EXPECT_EQ(11u, opens);
	testing::internal::CaptureStderr();
	enumerate({}, 32, &n);
	EXPECT_EQ("", testing::internal::GetCapturedStderr());
	EXPECT_EQ(2u, n);
	EXPECT_EQ(opens, vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD"));
}

// Devices appear and disappear between enumerations; tokens handed out
// before stay valid (they can be destroyed and queried), opening a vanished
// device fails cleanly.
TEST_F(PluginTest, RescanSeesDevicesComeAndGo)
{
	load("dfl-demo.json", nullptr);
	uint32_t n = 0;
	auto v = enumerate({}, 8, &n);
	ASSERT_EQ(3u, n);
	fpga_token vf = v[2];
	ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-pf.json").c_str()));
	enumerate({}, 8, &n);
	EXPECT_EQ(2u, n);
	fpga_properties p = nullptr;
	ASSERT_EQ(FPGA_OK, t->fpgaGetProperties(vf, &p));
	fpgaDestroyProperties(&p);
	fpga_handle h = nullptr;
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaOpen(vf, &h, 0));
	ASSERT_EQ(0, vfio_mock_load_scenario(scenario_path("dfl-demo.json").c_str()));
	enumerate({}, 8, &n);
	EXPECT_EQ(3u, n);
}

// A device rebound with other contents is learnt again (the driver link is new).
TEST_F(PluginTest, RebindIsLearntAgain)
{
	load("dfl-pf.json", nullptr);
	uint32_t n = 0;
	enumerate({}, 8, &n);
	ASSERT_EQ(2u, n);
	// the new driver link differs in inode or, where the mock's file system
	// reuses inodes, in its (clock tick granular) ctime
	usleep(20000);
	ASSERT_EQ(0, vfio_mock_load_scenario(
	                 "{\"devices\":[{\"address\":\"0000:3b:00.0\",\"model\":\"hostile-dfl\","
	                 "\"group\":12,\"params\":{\"kind\":\"port-outside\"}}]}"));
	testing::internal::CaptureStderr();
	enumerate({}, 8, &n);
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_EQ(0u, n);
	EXPECT_NE(std::string::npos, err.find("0000:3b:00.0: DFL walk: BAR 0 offset 0x800000")) << err;
}

// After the VF was opened once (which sets the PF's VF token), enumeration
// knows the token and lists the VF's AFU with its GUID.
TEST_F(PluginTest, VfIdentifiedOnceItsTokenIsKnown)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	f.function(1);
	fpga_token vf = one(f);
	ASSERT_NE(nullptr, vf);
	fpga_handle h = open(vf);
	uint64_t dfh = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0, &dfh));
	EXPECT_EQ(1u, dfh >> 60) << "AFU header";
	close(h);
	Filter nlb;
	nlb.guid(NLB0_GUID);
	uint32_t n = 0;
	auto v = enumerate({nlb.p}, 8, &n);
	ASSERT_EQ(2u, n);
	EXPECT_EQ(VF_ADDR, info(v[1]).addr);
}

// PCI domains wider than 16 bits (Intel VMD: 10000:): found by address,
// object ids keep the full domain, the header's 16-bit segment its low half.
TEST_F(PluginTest, WideDomainBehindVmd)
{
	load("{\"devices\":[{\"address\":\"10000:00:02.0\",\"model\":\"none\",\"group\":7,"
	     "\"bars\":[{\"index\":0,\"size\":\"0x1000\",\"mmap\":true},"
	     "{\"index\":2,\"size\":\"0x2000\",\"mmap\":true}]},"
	     "{\"address\":\"0000:00:02.0\",\"model\":\"none\",\"group\":8}]}",
	     "{\"devices\":[{\"pci\":\"10000:00:02.0\",\"kind\":\"plain\","
	     "\"guid\":\"bbf535c8-f8f1-43eb-8660-f076ccb02dd2\"},"
	     "{\"pci\":\"0:00:02.0\",\"kind\":\"plain\","
	     "\"guid\":\"de1dafc1-ee0d-4d1b-9c7a-31338e6306b6\"}]}");
	uint32_t n = 0;
	auto v = enumerate({}, 4, &n);
	ASSERT_EQ(2u, n);
	const fpga_token_header *a = static_cast<const fpga_token_header *>(v[0]);
	const fpga_token_header *b = static_cast<const fpga_token_header *>(v[1]);
	EXPECT_EQ(0x0000u, a->segment);
	EXPECT_EQ(0x0000u, b->segment);
	EXPECT_NE(a->object_id, b->object_id) << "the full domain keeps them apart";
	EXPECT_EQ(0x10000ull, b->object_id >> 32);
	EXPECT_EQ("bbf535c8-f8f1-43eb-8660-f076ccb02dd2", guid_text(b->guid));
	Filter two;
	EXPECT_EQ(FPGA_OK, fpgaPropertiesSetNumMMIO(two.type(FPGA_ACCELERATOR).p, 2));
	fpga_token t2 = one(two);
	ASSERT_EQ(v[1] != nullptr, t2 != nullptr);
	fpga_handle h = open(t2);
	uint64_t x = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 1, 0x1ff8, 0xabcdef));
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 1, 0x1ff8, &x)) << "mmio 1 = BAR 2";
	EXPECT_EQ(0xabcdefull, x);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, 0x1000, &x)) << "BAR 0 is 4 KiB";
}
