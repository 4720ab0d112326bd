// test_enum.cpp - fpgaEnumerate through the adapter table: tokens of the PF
// (FME + port AFU), of VFs, filter semantics (AND within, OR across, total
// count), hostile feature lists skipped and reported, and no side effects.
#include "plugin_test_util.h"

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
	EXPECT_EQ(0u, vfio_mock_calls("pwrite")) << "enumeration wrote to a device";
}
