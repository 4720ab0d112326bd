// SPDX-License-Identifier: BSD-3-Clause
// test_props.cpp - fpgaGetProperties / fpgaUpdateProperties /
// fpgaGetPropertiesFromHandle: every field of an accelerator and of an FPGA
// device, read back through the framework's public getters.
#include "plugin_test_util.h"

namespace
{
struct Props {
	fpga_properties p = nullptr;
	~Props() { fpgaDestroyProperties(&p); }
	template <typename T, typename G> T get(G getter)
	{
		T v{};
		EXPECT_EQ(FPGA_OK, getter(p, &v));
		return v;
	}
};
} // namespace

TEST_F(PluginTest, AcceleratorProperties)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	Props pr;
	ASSERT_EQ(FPGA_OK, t->fpgaGetProperties(port, &pr.p));
	EXPECT_EQ(FPGA_ACCELERATOR, pr.get<fpga_objtype>(fpgaPropertiesGetObjectType));
	EXPECT_EQ(0u, pr.get<uint16_t>(fpgaPropertiesGetSegment));
	EXPECT_EQ(0x3bu, pr.get<uint8_t>(fpgaPropertiesGetBus));
	EXPECT_EQ(0u, pr.get<uint8_t>(fpgaPropertiesGetDevice));
	EXPECT_EQ(0u, pr.get<uint8_t>(fpgaPropertiesGetFunction));
	EXPECT_EQ(0u, pr.get<uint8_t>(fpgaPropertiesGetSocketID));
	EXPECT_EQ(0x8086u, pr.get<uint16_t>(fpgaPropertiesGetVendorID));
	EXPECT_EQ(0xbcceu, pr.get<uint16_t>(fpgaPropertiesGetDeviceID));
	EXPECT_EQ(0x8086u, pr.get<uint16_t>(fpgaPropertiesGetSubsystemVendorID));
	EXPECT_EQ(0x1770u, pr.get<uint16_t>(fpgaPropertiesGetSubsystemDeviceID));
	EXPECT_EQ(static_cast<fpga_token_header *>(port)->object_id,
	          pr.get<uint64_t>(fpgaPropertiesGetObjectID));
	EXPECT_EQ(FPGA_IFC_VFIO, pr.get<fpga_interface>(fpgaPropertiesGetInterface));
	EXPECT_EQ(0u, pr.get<uint32_t>(fpgaPropertiesGetNumErrors));
	fpga_guid g;
	ASSERT_EQ(FPGA_OK, fpgaPropertiesGetGUID(pr.p, &g));
	EXPECT_EQ(NLB0_GUID, guid_text(g));
	EXPECT_EQ(1u, pr.get<uint32_t>(fpgaPropertiesGetNumMMIO));
	EXPECT_EQ(4u, pr.get<uint32_t>(fpgaPropertiesGetNumInterrupts));
	EXPECT_EQ(FPGA_ACCELERATOR_UNASSIGNED,
	          pr.get<fpga_accelerator_state>(fpgaPropertiesGetAcceleratorState));

	// open: the state follows, on the token and from the handle
	fpga_handle h = open(port);
	Props again, fromh;
	ASSERT_EQ(FPGA_OK, t->fpgaGetProperties(port, &again.p));
	EXPECT_EQ(FPGA_ACCELERATOR_ASSIGNED,
	          again.get<fpga_accelerator_state>(fpgaPropertiesGetAcceleratorState));
	ASSERT_EQ(FPGA_OK, t->fpgaGetPropertiesFromHandle(h, &fromh.p));
	EXPECT_EQ(FPGA_ACCELERATOR_ASSIGNED,
	          fromh.get<fpga_accelerator_state>(fpgaPropertiesGetAcceleratorState));
	EXPECT_EQ(0x3bu, fromh.get<uint8_t>(fpgaPropertiesGetBus));
	ASSERT_EQ(FPGA_OK, fpgaPropertiesGetGUID(fromh.p, &g));
	EXPECT_EQ(NLB0_GUID, guid_text(g));
}

TEST_F(PluginTest, DeviceProperties)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token fme = one(f.type(FPGA_DEVICE));
	Props pr;
	ASSERT_EQ(FPGA_OK, t->fpgaGetProperties(fme, &pr.p));
	EXPECT_EQ(FPGA_DEVICE, pr.get<fpga_objtype>(fpgaPropertiesGetObjectType));
	fpga_guid g;
	ASSERT_EQ(FPGA_OK, fpgaPropertiesGetGUID(pr.p, &g));
	EXPECT_EQ(MOCK_PR_ID, guid_text(g)) << "an FPGA device's GUID is its PR interface id";
	EXPECT_EQ(1u, pr.get<uint32_t>(fpgaPropertiesGetNumSlots));
	EXPECT_EQ(0x0143000000C0FFEEull, pr.get<uint64_t>(fpgaPropertiesGetBBSID));
	fpga_version v = pr.get<fpga_version>(fpgaPropertiesGetBBSVersion);
	EXPECT_EQ(1, v.major);
	EXPECT_EQ(4, v.minor);
	EXPECT_EQ(3, v.patch);
	EXPECT_EQ(FPGA_IFC_VFIO, pr.get<fpga_interface>(fpgaPropertiesGetInterface));
}

TEST_F(PluginTest, UpdatePropertiesReplacesEveryField)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	fpga_token vf = one(f.function(1));
	Props pr;
	ASSERT_EQ(FPGA_OK, fpgaGetProperties(nullptr, &pr.p));
	ASSERT_EQ(FPGA_OK, fpgaPropertiesSetBus(pr.p, 0x99));
	ASSERT_EQ(FPGA_OK, fpgaPropertiesSetObjectType(pr.p, FPGA_DEVICE));
	ASSERT_EQ(FPGA_OK, fpgaPropertiesSetNumSlots(pr.p, 9));
	ASSERT_EQ(FPGA_OK, t->fpgaUpdateProperties(vf, pr.p));
	EXPECT_EQ(FPGA_ACCELERATOR, pr.get<fpga_objtype>(fpgaPropertiesGetObjectType));
	EXPECT_EQ(0x3bu, pr.get<uint8_t>(fpgaPropertiesGetBus));
	EXPECT_EQ(1u, pr.get<uint8_t>(fpgaPropertiesGetFunction));
	EXPECT_EQ(0xbccfu, pr.get<uint16_t>(fpgaPropertiesGetDeviceID));
	EXPECT_EQ(0x1771u, pr.get<uint16_t>(fpgaPropertiesGetSubsystemDeviceID));
	EXPECT_EQ(0u, pr.get<uint32_t>(fpgaPropertiesGetNumMMIO)) << "not identified yet";
	EXPECT_EQ(4u, pr.get<uint32_t>(fpgaPropertiesGetNumInterrupts)) << "MSI-X vectors (config space)";
}

TEST_F(PluginTest, PropertiesBadArguments)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	fpga_properties p = nullptr;
	uint64_t junk[16] = {};
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetProperties(nullptr, &p));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetProperties(junk, &p));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetProperties(port, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUpdateProperties(port, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUpdateProperties(junk, f.p));
	fpga_handle h = open(port);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetPropertiesFromHandle(h, nullptr));
	EXPECT_EQ(nullptr, p);
}
