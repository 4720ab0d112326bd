// SPDX-License-Identifier: BSD-3-Clause
// test_props.cpp - the properties object: lifetime, OPAE's field rules
// (FPGA_NOT_FOUND for unset, object-type rules for device-only and
// accelerator-only fields), OPAE's memory layout, version and error strings.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>
#include <opae/plugin/props.h>

namespace
{
struct Props : ::testing::Test {
	void SetUp() override
	{
		ASSERT_EQ(fpgaGetProperties(nullptr, &p), FPGA_OK);
		ASSERT_NE(p, nullptr);
	}
	void TearDown() override
	{
		if (p) {
			EXPECT_EQ(fpgaDestroyProperties(&p), FPGA_OK);
		}
	}
	fpga_properties p = nullptr;
};

// One field: set a value, read it back; `set`/`get` return fpga_result.
struct Field {
	const char *name;
	int scope; // 0 any object, 1 FPGA_DEVICE only, 2 FPGA_ACCELERATOR only
	std::function<fpga_result(fpga_properties)> set;
	std::function<fpga_result(fpga_properties, bool *same)> get;
};

template <typename T>
Field field(const char *name, int scope, fpga_result (*set)(fpga_properties, T),
            fpga_result (*get)(const fpga_properties, T *), T value)
{
	return Field{name, scope, [=](fpga_properties p) { return set(p, value); },
	             [=](fpga_properties p, bool *same) {
		             T out{};
		             fpga_result r = get(p, &out);
		             *same = std::memcmp(&out, &value, sizeof(T)) == 0;
		             return r;
	             }};
}

std::vector<Field> all_fields()
{
	fpga_version v{1, 2, 3};
	return {
	    field<uint16_t>("Segment", 0, fpgaPropertiesSetSegment, fpgaPropertiesGetSegment, 0x12),
	    field<uint8_t>("Bus", 0, fpgaPropertiesSetBus, fpgaPropertiesGetBus, 0x3b),
	    field<uint8_t>("Device", 0, fpgaPropertiesSetDevice, fpgaPropertiesGetDevice, 7),
	    field<uint8_t>("Function", 0, fpgaPropertiesSetFunction, fpgaPropertiesGetFunction, 5),
	    field<uint8_t>("SocketID", 0, fpgaPropertiesSetSocketID, fpgaPropertiesGetSocketID, 1),
	    field<uint16_t>("VendorID", 0, fpgaPropertiesSetVendorID, fpgaPropertiesGetVendorID,
	                    0x8086),
	    field<uint16_t>("DeviceID", 0, fpgaPropertiesSetDeviceID, fpgaPropertiesGetDeviceID,
	                    0xbcce),
	    field<uint64_t>("ObjectID", 0, fpgaPropertiesSetObjectID, fpgaPropertiesGetObjectID,
	                    0x1122334455667788ull),
	    field<uint32_t>("NumErrors", 0, fpgaPropertiesSetNumErrors, fpgaPropertiesGetNumErrors,
	                    9),
	    field<fpga_interface>("Interface", 0, fpgaPropertiesSetInterface,
	                          fpgaPropertiesGetInterface, FPGA_IFC_VFIO),
	    field<uint16_t>("SubsystemVendorID", 0, fpgaPropertiesSetSubsystemVendorID,
	                    fpgaPropertiesGetSubsystemVendorID, 0x8087),
	    field<uint16_t>("SubsystemDeviceID", 0, fpgaPropertiesSetSubsystemDeviceID,
	                    fpgaPropertiesGetSubsystemDeviceID, 0x1771),
	    field<uint32_t>("NumSlots", 1, fpgaPropertiesSetNumSlots, fpgaPropertiesGetNumSlots, 2),
	    field<uint64_t>("BBSID", 1, fpgaPropertiesSetBBSID, fpgaPropertiesGetBBSID,
	                    0xabcdef0123ull),
	    field<fpga_version>("BBSVersion", 1, fpgaPropertiesSetBBSVersion,
	                        fpgaPropertiesGetBBSVersion, v),
	    field<fpga_accelerator_state>("AcceleratorState", 2, fpgaPropertiesSetAcceleratorState,
	                                  fpgaPropertiesGetAcceleratorState,
	                                  FPGA_ACCELERATOR_ASSIGNED),
	    field<uint32_t>("NumMMIO", 2, fpgaPropertiesSetNumMMIO, fpgaPropertiesGetNumMMIO, 3),
	    field<uint32_t>("NumInterrupts", 2, fpgaPropertiesSetNumInterrupts,
	                    fpgaPropertiesGetNumInterrupts, 4),
	};
}
} // namespace

TEST_F(Props, EveryFieldStartsUnsetAndRoundTrips)
{
	for (auto &f : all_fields()) {
		SCOPED_TRACE(f.name);
		fpga_properties q = nullptr;
		bool same = false;
		ASSERT_EQ(fpgaGetProperties(nullptr, &q), FPGA_OK);
		if (f.scope) {
			ASSERT_EQ(fpgaPropertiesSetObjectType(q, f.scope == 1 ? FPGA_DEVICE
			                                                      : FPGA_ACCELERATOR),
			          FPGA_OK);
		}
		EXPECT_EQ(f.get(q, &same), FPGA_NOT_FOUND);
		EXPECT_EQ(f.set(q), FPGA_OK);
		EXPECT_EQ(f.get(q, &same), FPGA_OK);
		EXPECT_TRUE(same);
		// Clear makes it unset again.
		EXPECT_EQ(fpgaClearProperties(q), FPGA_OK);
		EXPECT_EQ(f.get(q, &same), f.scope ? FPGA_INVALID_PARAM : FPGA_NOT_FOUND);
		EXPECT_EQ(fpgaDestroyProperties(&q), FPGA_OK);
	}
}

TEST_F(Props, TypeSpecificFieldsNeedTheMatchingObjectType)
{
	for (auto &f : all_fields()) {
		if (!f.scope)
			continue;
		SCOPED_TRACE(f.name);
		fpga_properties q = nullptr;
		bool same;
		ASSERT_EQ(fpgaGetProperties(nullptr, &q), FPGA_OK);
		// No object type: refused both ways.
		EXPECT_EQ(f.set(q), FPGA_INVALID_PARAM);
		EXPECT_EQ(f.get(q, &same), FPGA_INVALID_PARAM);
		// The other object type: refused.
		ASSERT_EQ(
		    fpgaPropertiesSetObjectType(q, f.scope == 1 ? FPGA_ACCELERATOR : FPGA_DEVICE),
		    FPGA_OK);
		EXPECT_EQ(f.set(q), FPGA_INVALID_PARAM);
		EXPECT_EQ(f.get(q, &same), FPGA_INVALID_PARAM);
		// The right one: accepted.
		ASSERT_EQ(
		    fpgaPropertiesSetObjectType(q, f.scope == 1 ? FPGA_DEVICE : FPGA_ACCELERATOR),
		    FPGA_OK);
		EXPECT_EQ(f.set(q), FPGA_OK);
		EXPECT_EQ(f.get(q, &same), FPGA_OK);
		EXPECT_TRUE(same);
		EXPECT_EQ(fpgaDestroyProperties(&q), FPGA_OK);
	}
}

TEST_F(Props, ChangingTheObjectTypeDropsTypeSpecificFields)
{
	uint32_t slots = 0, mmio = 0;
	ASSERT_EQ(fpgaPropertiesSetObjectType(p, FPGA_DEVICE), FPGA_OK);
	ASSERT_EQ(fpgaPropertiesSetNumSlots(p, 3), FPGA_OK);
	ASSERT_EQ(fpgaPropertiesSetBus(p, 9), FPGA_OK);
	// Same type again: kept.
	ASSERT_EQ(fpgaPropertiesSetObjectType(p, FPGA_DEVICE), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetNumSlots(p, &slots), FPGA_OK);
	EXPECT_EQ(slots, 3u);
	// num_slots and num_mmio share storage: never read one as the other.
	ASSERT_EQ(fpgaPropertiesSetObjectType(p, FPGA_ACCELERATOR), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetNumMMIO(p, &mmio), FPGA_NOT_FOUND);
	uint8_t bus = 0;
	EXPECT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_OK);
	EXPECT_EQ(bus, 9);
}

TEST_F(Props, ValueChecks)
{
	fpga_objtype t;
	EXPECT_EQ(fpgaPropertiesSetFunction(p, 8), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPropertiesSetFunction(p, 7), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesSetObjectType(p, (fpga_objtype)2), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPropertiesGetObjectType(p, &t), FPGA_NOT_FOUND);
	EXPECT_EQ(fpgaPropertiesSetParent(p, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPropertiesSetGUID(p, nullptr), FPGA_INVALID_PARAM);
	// NULL out pointers.
	EXPECT_EQ(fpgaPropertiesGetBus(p, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPropertiesGetGUID(p, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaPropertiesGetParent(p, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaGetProperties(nullptr, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaCloneProperties(p, nullptr), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaDestroyProperties(nullptr), FPGA_INVALID_PARAM);
}

TEST_F(Props, GuidAndUnsupportedFields)
{
	fpga_guid g, out;
	for (int i = 0; i < 16; i++)
		g[i] = (uint8_t)(0xf0 + i);
	EXPECT_EQ(fpgaPropertiesGetGUID(p, &out), FPGA_NOT_FOUND);
	EXPECT_EQ(fpgaPropertiesSetGUID(p, g), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetGUID(p, &out), FPGA_OK);
	EXPECT_EQ(std::memcmp(g, out, 16), 0);

	char model[64] = "x";
	uint64_t v = 0;
	ASSERT_EQ(fpgaPropertiesSetObjectType(p, FPGA_DEVICE), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesSetModel(p, model), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPropertiesGetModel(p, model), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPropertiesSetLocalMemorySize(p, 1), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPropertiesGetLocalMemorySize(p, &v), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPropertiesSetCapabilities(p, 1), FPGA_NOT_SUPPORTED);
	EXPECT_EQ(fpgaPropertiesGetCapabilities(p, &v), FPGA_NOT_SUPPORTED);
}

TEST_F(Props, CloneIsIndependent)
{
	fpga_properties c = nullptr;
	uint8_t bus = 0;
	ASSERT_EQ(fpgaPropertiesSetBus(p, 0x3b), FPGA_OK);
	ASSERT_EQ(fpgaCloneProperties(p, &c), FPGA_OK);
	ASSERT_NE(c, p);
	EXPECT_EQ(fpgaPropertiesGetBus(c, &bus), FPGA_OK);
	EXPECT_EQ(bus, 0x3b);
	ASSERT_EQ(fpgaPropertiesSetBus(c, 0x11), FPGA_OK);
	EXPECT_EQ(fpgaPropertiesGetBus(p, &bus), FPGA_OK);
	EXPECT_EQ(bus, 0x3b);
	EXPECT_EQ(fpgaDestroyProperties(&c), FPGA_OK);
	EXPECT_EQ(c, nullptr);
}

TEST_F(Props, StaleGarbageAndForeignObjectsAreRefused)
{
	fpga_properties dead = nullptr;
	uint8_t bus;
	ASSERT_EQ(fpgaGetProperties(nullptr, &dead), FPGA_OK);
	fpga_properties copy = dead;
	ASSERT_EQ(fpgaDestroyProperties(&dead), FPGA_OK);
	EXPECT_EQ(dead, nullptr);

	// A look-alike: OPAE's layout and magic, but not created by us.
	struct _fpga_properties fake;
	std::memset(&fake, 0, sizeof(fake));
	fake.magic = FPGA_PROPERTY_MAGIC;
	uint64_t junk[32] = {0};
	fpga_properties bad[] = {copy, &fake, junk, (fpga_properties)(uintptr_t)0x10};
	for (fpga_properties b : bad) {
		EXPECT_EQ(fpgaPropertiesGetBus(b, &bus), FPGA_INVALID_PARAM);
		EXPECT_EQ(fpgaPropertiesSetBus(b, 1), FPGA_INVALID_PARAM);
		EXPECT_EQ(fpgaClearProperties(b), FPGA_INVALID_PARAM);
		fpga_properties c = nullptr;
		EXPECT_EQ(fpgaCloneProperties(b, &c), FPGA_INVALID_PARAM);
		fpga_properties d = b;
		EXPECT_EQ(fpgaDestroyProperties(&d), FPGA_INVALID_PARAM);
	}
	EXPECT_EQ(junk[5], 0u); // never written
}

// Plugins built against OPAE write the object directly (valid bits + fields
// under the lock); what they write must read back through the API.
TEST_F(Props, LayoutIsOpaes)
{
	auto *raw = static_cast<struct _fpga_properties *>(p);
	uint32_t slots = 0;
	uint16_t seg = 0;
	EXPECT_EQ(raw->magic, FPGA_PROPERTY_MAGIC);
	pthread_mutex_lock(&raw->lock);
	raw->objtype = FPGA_DEVICE;
	SET_FIELD_VALID(raw, FPGA_PROPERTY_OBJTYPE);
	raw->u.fpga.num_slots = 5;
	SET_FIELD_VALID(raw, FPGA_PROPERTY_NUM_SLOTS);
	raw->segment = 0x77;
	SET_FIELD_VALID(raw, FPGA_PROPERTY_SEGMENT);
	pthread_mutex_unlock(&raw->lock);
	EXPECT_EQ(fpgaPropertiesGetNumSlots(p, &slots), FPGA_OK);
	EXPECT_EQ(slots, 5u);
	EXPECT_EQ(fpgaPropertiesGetSegment(p, &seg), FPGA_OK);
	EXPECT_EQ(seg, 0x77);
	// ... and what the API writes lands where OPAE's plugins read it.
	EXPECT_EQ(fpgaPropertiesSetDeviceID(p, 0xaf00), FPGA_OK);
	EXPECT_TRUE(FIELD_VALID(raw, FPGA_PROPERTY_DEVICEID));
	EXPECT_EQ(raw->device_id, 0xaf00);
}

TEST(Version, ReportsAnOpae2xWithThe212Layout)
{
	fpga_version v{};
	char s[32], small[3];
	ASSERT_EQ(fpgaGetOPAECVersion(&v), FPGA_OK);
	EXPECT_EQ(v.major, 2);
	EXPECT_EQ(opae_adapter_table_size(v), (size_t)OPAE_ADAPTER_TABLE_SIZE_2_12);
	ASSERT_EQ(fpgaGetOPAECVersionString(s, sizeof(s)), FPGA_OK);
	EXPECT_EQ(std::string(s), std::to_string(v.major) + "." + std::to_string(v.minor) + "." +
	                              std::to_string(v.patch));
	EXPECT_EQ(fpgaGetOPAECVersionString(small, sizeof(small)), FPGA_INVALID_PARAM);
	EXPECT_EQ(fpgaGetOPAECVersionString(nullptr, 10), FPGA_INVALID_PARAM);
	char b[FPGA_BUILD_STR_MAX];
	ASSERT_EQ(fpgaGetOPAECBuildString(b, sizeof(b)), FPGA_OK);
	EXPECT_GT(std::strlen(b), 0u);
	EXPECT_EQ(fpgaGetOPAECVersion(nullptr), FPGA_INVALID_PARAM);
}

TEST(ErrStr, EveryResultHasText)
{
	EXPECT_STREQ(fpgaErrStr(FPGA_OK), "success");
	EXPECT_STREQ(fpgaErrStr(FPGA_INVALID_PARAM), "invalid parameter");
	EXPECT_STREQ(fpgaErrStr(FPGA_NOT_SUPPORTED), "not supported");
	for (int r = FPGA_OK; r <= FPGA_RECONF_ERROR; r++) {
		EXPECT_STRNE(fpgaErrStr((fpga_result)r), "unknown error") << r;
	}
	EXPECT_STREQ(fpgaErrStr((fpga_result)99), "unknown error");
	EXPECT_STREQ(fpgaErrStr((fpga_result)-1), "unknown error");
}
