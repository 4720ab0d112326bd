// SPDX-License-Identifier: BSD-3-Clause
// layout_test.cpp - OPAE 2.x x86-64 struct layouts of include/opae/ (token
// header, plugin adapter table, properties object, core vfio.h structs).
//
// Expected numbers come from OPAE 2.14 (docs/references.md §1, §2); they are
// written out literally so that any drift in a header fails.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "layout_items.h"

#define OFF(type, member) offsetof(type, member)

TEST(TokenHeader, SizeAndEveryOffset)
{
	EXPECT_EQ(sizeof(fpga_token_header), 64u);
	EXPECT_EQ(OFF(fpga_token_header, magic), 0u);
	EXPECT_EQ(OFF(fpga_token_header, vendor_id), 8u);
	EXPECT_EQ(OFF(fpga_token_header, device_id), 10u);
	EXPECT_EQ(OFF(fpga_token_header, segment), 12u);
	EXPECT_EQ(OFF(fpga_token_header, bus), 14u);
	EXPECT_EQ(OFF(fpga_token_header, device), 15u);
	EXPECT_EQ(OFF(fpga_token_header, function), 16u);
	EXPECT_EQ(OFF(fpga_token_header, interface), 20u);
	EXPECT_EQ(OFF(fpga_token_header, objtype), 24u);
	EXPECT_EQ(OFF(fpga_token_header, object_id), 32u);
	EXPECT_EQ(OFF(fpga_token_header, guid), 40u);
	EXPECT_EQ(sizeof(((fpga_token_header *)nullptr)->guid), 16u);
	EXPECT_EQ(OFF(fpga_token_header, subsystem_vendor_id), 56u);
	EXPECT_EQ(OFF(fpga_token_header, subsystem_device_id), 58u);
	EXPECT_EQ(sizeof(((fpga_token_header *)nullptr)->interface), 4u);
	EXPECT_EQ(sizeof(((fpga_token_header *)nullptr)->objtype), 4u);
}

static int always_match(const fpga_token_header *, const fpga_token_header *)
{
	return 1;
}

static int never_match(const fpga_token_header *, const fpga_token_header *)
{
	return 0;
}

TEST(TokenHeader, ParentRuleComparesSegmentBusDeviceNotFunction)
{
	fpga_token_header fme, afu;
	std::memset(&fme, 0, sizeof(fme));
	fme.objtype = FPGA_DEVICE;
	fme.segment = 1;
	fme.bus = 0x3b;
	fme.device = 0;
	fme.function = 0;
	afu = fme;
	afu.objtype = FPGA_ACCELERATOR;
	afu.function = 1; // a VF of the same card
	EXPECT_TRUE(fpga_is_parent_of(&fme, &afu, always_match));
	EXPECT_FALSE(fpga_is_parent_of(&fme, &afu, never_match));
	EXPECT_FALSE(fpga_is_parent_of(&afu, &fme, always_match)); // wrong direction
	afu.bus = 0x3c;
	EXPECT_FALSE(fpga_is_parent_of(&fme, &afu, always_match));
	afu.bus = 0x3b;
	afu.segment = 0;
	EXPECT_FALSE(fpga_is_parent_of(&fme, &afu, always_match));
	afu.segment = 1;
	afu.device = 1;
	EXPECT_FALSE(fpga_is_parent_of(&fme, &afu, always_match));
}

TEST(TokenHeader, BbsVersionFieldsOfBitstreamId)
{
	const uint64_t id = 0x0123456789abcdefULL; // bits 59:56=1, 55:52=2, 51:48=3
	EXPECT_EQ(FPGA_BBS_VER_MAJOR(id), 1);
	EXPECT_EQ(FPGA_BBS_VER_MINOR(id), 2);
	EXPECT_EQ(FPGA_BBS_VER_PATCH(id), 3);
}

TEST(Version, FpgaVersionIsFourBytes)
{
	EXPECT_EQ(sizeof(fpga_version), 4u);
	EXPECT_EQ(OFF(fpga_version, major), 0u);
	EXPECT_EQ(OFF(fpga_version, minor), 1u);
	EXPECT_EQ(OFF(fpga_version, patch), 2u);
	EXPECT_EQ(sizeof(fpga_guid), 16u);
}

TEST(Adapter, PluginStruct)
{
	EXPECT_EQ(sizeof(opae_plugin), 16u);
	EXPECT_EQ(OFF(opae_plugin, path), 0u);
	EXPECT_EQ(OFF(opae_plugin, dl_handle), 8u);
}

TEST(Adapter, TableIs496BytesWithEveryEntryAtItsOffset)
{
	typedef opae_api_adapter_table T;
	EXPECT_EQ(sizeof(T), 496u);
	EXPECT_EQ(OFF(T, next), 0u);
	EXPECT_EQ(OFF(T, plugin), 8u);
	EXPECT_EQ(OFF(T, fpgaOpen), 24u);
	EXPECT_EQ(OFF(T, fpgaClose), 32u);
	EXPECT_EQ(OFF(T, fpgaReset), 40u);
	EXPECT_EQ(OFF(T, fpgaGetPropertiesFromHandle), 48u);
	EXPECT_EQ(OFF(T, fpgaGetProperties), 56u);
	EXPECT_EQ(OFF(T, fpgaUpdateProperties), 64u);
	EXPECT_EQ(OFF(T, fpgaWriteMMIO64), 72u);
	EXPECT_EQ(OFF(T, fpgaReadMMIO64), 80u);
	EXPECT_EQ(OFF(T, fpgaWriteMMIO32), 88u);
	EXPECT_EQ(OFF(T, fpgaReadMMIO32), 96u);
	EXPECT_EQ(OFF(T, fpgaWriteMMIO512), 104u);
	EXPECT_EQ(OFF(T, fpgaMapMMIO), 112u);
	EXPECT_EQ(OFF(T, fpgaUnmapMMIO), 120u);
	EXPECT_EQ(OFF(T, fpgaEnumerate), 128u);
	EXPECT_EQ(OFF(T, fpgaCloneToken), 136u);
	EXPECT_EQ(OFF(T, fpgaDestroyToken), 144u);
	EXPECT_EQ(OFF(T, fpgaGetNumUmsg), 152u);
	EXPECT_EQ(OFF(T, fpgaSetUmsgAttributes), 160u);
	EXPECT_EQ(OFF(T, fpgaTriggerUmsg), 168u);
	EXPECT_EQ(OFF(T, fpgaGetUmsgPtr), 176u);
	EXPECT_EQ(OFF(T, fpgaPrepareBuffer), 184u);
	EXPECT_EQ(OFF(T, fpgaReleaseBuffer), 192u);
	EXPECT_EQ(OFF(T, fpgaGetIOAddress), 200u);
	EXPECT_EQ(OFF(T, fpgaBindSVA), 208u);
	EXPECT_EQ(OFF(T, fpgaPinBuffer), 216u);
	EXPECT_EQ(OFF(T, fpgaUnpinBuffer), 224u);
	EXPECT_EQ(OFF(T, fpgaGetWSInfo), 232u);
	EXPECT_EQ(OFF(T, fpgaReadError), 240u);
	EXPECT_EQ(OFF(T, fpgaClearError), 248u);
	EXPECT_EQ(OFF(T, fpgaClearAllErrors), 256u);
	EXPECT_EQ(OFF(T, fpgaGetErrorInfo), 264u);
	EXPECT_EQ(OFF(T, fpgaCreateEventHandle), 272u);
	EXPECT_EQ(OFF(T, fpgaDestroyEventHandle), 280u);
	EXPECT_EQ(OFF(T, fpgaGetOSObjectFromEventHandle), 288u);
	EXPECT_EQ(OFF(T, fpgaRegisterEvent), 296u);
	EXPECT_EQ(OFF(T, fpgaUnregisterEvent), 304u);
	EXPECT_EQ(OFF(T, fpgaAssignPortToInterface), 312u);
	EXPECT_EQ(OFF(T, fpgaAssignToInterface), 320u);
	EXPECT_EQ(OFF(T, fpgaReleaseFromInterface), 328u);
	EXPECT_EQ(OFF(T, fpgaReconfigureSlot), 336u);
	EXPECT_EQ(OFF(T, fpgaTokenGetObject), 344u);
	EXPECT_EQ(OFF(T, fpgaHandleGetObject), 352u);
	EXPECT_EQ(OFF(T, fpgaObjectGetObject), 360u);
	EXPECT_EQ(OFF(T, fpgaObjectGetObjectAt), 368u);
	EXPECT_EQ(OFF(T, fpgaDestroyObject), 376u);
	EXPECT_EQ(OFF(T, fpgaObjectRead), 384u);
	EXPECT_EQ(OFF(T, fpgaObjectRead64), 392u);
	EXPECT_EQ(OFF(T, fpgaObjectGetSize), 400u);
	EXPECT_EQ(OFF(T, fpgaObjectGetType), 408u);
	EXPECT_EQ(OFF(T, fpgaObjectWrite64), 416u);
	EXPECT_EQ(OFF(T, fpgaSetUserClock), 424u);
	EXPECT_EQ(OFF(T, fpgaGetUserClock), 432u);
	EXPECT_EQ(OFF(T, fpgaGetNumMetrics), 440u);
	EXPECT_EQ(OFF(T, fpgaGetMetricsInfo), 448u);
	EXPECT_EQ(OFF(T, fpgaGetMetricsByIndex), 456u);
	EXPECT_EQ(OFF(T, fpgaGetMetricsByName), 464u);
	EXPECT_EQ(OFF(T, fpgaGetMetricsThresholdInfo), 472u);
	EXPECT_EQ(OFF(T, initialize), 480u);
	EXPECT_EQ(OFF(T, finalize), 488u);
}

TEST(Adapter, LayoutSizeFollowsFrameworkVersion)
{
	EXPECT_EQ(OPAE_ADAPTER_TABLE_SIZE_2_0, 464);
	EXPECT_EQ(OPAE_ADAPTER_TABLE_SIZE_2_10, 472);
	EXPECT_EQ(OPAE_ADAPTER_TABLE_SIZE_2_12, 496);
	EXPECT_EQ(OPAE_ADAPTER_TABLE_SIZE_2_12, sizeof(opae_api_adapter_table));
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 0, 0}), 464u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 9, 3}), 464u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 10, 0}), 472u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 11, 1}), 472u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 12, 0}), 496u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{2, 14, 0}), 496u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{1, 4, 0}), 0u);
	EXPECT_EQ(opae_adapter_table_size(fpga_version{3, 0, 0}), 0u);
}

TEST(Adapter, OffsetsInOlderLayouts)
{
	typedef opae_api_adapter_table T;
	const size_t none = SIZE_MAX;
	// Unmoved prefix.
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaOpen), 464), 24u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaGetIOAddress), 464), 200u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaGetIOAddress), 472), 200u);
	// Entries that did not exist yet.
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaBindSVA), 464), none);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaBindSVA), 472), 208u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaPinBuffer), 472), none);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaUnpinBuffer), 472), none);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaGetWSInfo), 472), none);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaGetWSInfo), 464), none);
	// Moved tail: 32 bytes lower in 2.0-2.9, 24 bytes lower in 2.10-2.11.
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaReadError), 464), 208u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaReadError), 472), 216u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaReadError), 496), 240u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, finalize), 464), 456u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, finalize), 472), 464u);
	EXPECT_EQ(opae_adapter_offset(OFF(T, finalize), 496), 488u);
	// Every entry of the newest layout maps to itself.
	for (size_t off = 0; off < sizeof(T); off += sizeof(void *))
		EXPECT_EQ(opae_adapter_offset(off, 496), off) << off;
	// Every existing entry stays inside its (smaller) table.
	for (size_t off = 0; off < sizeof(T); off += sizeof(void *)) {
		EXPECT_TRUE(opae_adapter_offset(off, 464) == none ||
		            opae_adapter_offset(off, 464) + 8 <= 464u);
		EXPECT_TRUE(opae_adapter_offset(off, 472) == none ||
		            opae_adapter_offset(off, 472) + 8 <= 472u);
	}
	// Bad input.
	EXPECT_EQ(opae_adapter_offset(OFF(T, fpgaOpen), 480), none);
	EXPECT_EQ(opae_adapter_offset(3, 496), none);
	EXPECT_EQ(opae_adapter_offset(496, 496), none);
}

TEST(Properties, FrameworkObjectLayout)
{
	typedef struct _fpga_properties P;
	EXPECT_EQ(sizeof(P), 144u);
	EXPECT_EQ(OFF(P, lock), 0u);
	EXPECT_EQ(OFF(P, magic), 40u);
	EXPECT_EQ(OFF(P, valid_fields), 48u);
	EXPECT_EQ(OFF(P, guid), 56u);
	EXPECT_EQ(OFF(P, parent), 72u);
	EXPECT_EQ(OFF(P, objtype), 80u);
	EXPECT_EQ(OFF(P, segment), 84u);
	EXPECT_EQ(OFF(P, bus), 86u);
	EXPECT_EQ(OFF(P, device), 87u);
	EXPECT_EQ(OFF(P, function), 88u);
	EXPECT_EQ(OFF(P, socket_id), 89u);
	EXPECT_EQ(OFF(P, object_id), 96u);
	EXPECT_EQ(OFF(P, vendor_id), 104u);
	EXPECT_EQ(OFF(P, device_id), 106u);
	EXPECT_EQ(OFF(P, num_errors), 108u);
	EXPECT_EQ(OFF(P, interface), 112u);
	EXPECT_EQ(OFF(P, subsystem_vendor_id), 116u);
	EXPECT_EQ(OFF(P, subsystem_device_id), 118u);
	EXPECT_EQ(OFF(P, u), 120u);
	EXPECT_EQ(OFF(P, u.fpga.num_slots), 120u);
	EXPECT_EQ(OFF(P, u.fpga.bbs_id), 128u);
	EXPECT_EQ(OFF(P, u.fpga.bbs_version), 136u);
	EXPECT_EQ(OFF(P, u.accelerator.state), 120u);
	EXPECT_EQ(OFF(P, u.accelerator.num_mmio), 124u);
	EXPECT_EQ(OFF(P, u.accelerator.num_interrupts), 128u);
}

TEST(Properties, ValidFieldMacrosTouchOnlyTheirBit)
{
	struct _fpga_properties p;
	std::memset(&p, 0, sizeof(p));
	SET_FIELD_VALID(&p, FPGA_PROPERTY_CAPABILITIES);
	EXPECT_EQ(p.valid_fields, 1ULL << 37);
	EXPECT_TRUE(FIELD_VALID(&p, FPGA_PROPERTY_CAPABILITIES));
	EXPECT_FALSE(FIELD_VALID(&p, FPGA_PROPERTY_PARENT));
	SET_FIELD_VALID(&p, FPGA_PROPERTY_PARENT);
	CLEAR_FIELD_VALID(&p, FPGA_PROPERTY_CAPABILITIES);
	EXPECT_EQ(p.valid_fields, 1ULL);
}

TEST(CoreVfio, OpaeVfioLayout)
{
	typedef struct opae_vfio V;
	EXPECT_EQ(sizeof(V), 264u);
	EXPECT_EQ(OFF(V, lock), 0u);
	EXPECT_EQ(OFF(V, cont_device), 40u);
	EXPECT_EQ(OFF(V, cont_pciaddr), 48u);
	EXPECT_EQ(OFF(V, cont_fd), 56u);
	EXPECT_EQ(OFF(V, cont_ranges), 64u);
	EXPECT_EQ(OFF(V, iova_alloc), 72u);
	EXPECT_EQ(sizeof(((V *)nullptr)->iova_alloc), 64u);
	EXPECT_EQ(OFF(V, group), 136u);
	EXPECT_EQ(OFF(V, device), 152u);
	EXPECT_EQ(OFF(V, cont_buffers), 200u);
	EXPECT_EQ(sizeof(((V *)nullptr)->cont_buffers), 64u);
}

TEST(CoreVfio, HelperStructLayouts)
{
	EXPECT_EQ(sizeof(struct opae_vfio_iova_range), 24u);
	EXPECT_EQ(OFF(struct opae_vfio_iova_range, start), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_iova_range, end), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_iova_range, next), 16u);

	EXPECT_EQ(sizeof(struct opae_vfio_group), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_group, group_device), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_group, group_fd), 8u);

	EXPECT_EQ(sizeof(struct opae_vfio_sparse_info), 32u);
	EXPECT_EQ(OFF(struct opae_vfio_sparse_info, index), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_sparse_info, offset), 4u);
	EXPECT_EQ(OFF(struct opae_vfio_sparse_info, size), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_sparse_info, ptr), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_sparse_info, next), 24u);

	EXPECT_EQ(sizeof(struct opae_vfio_device_region), 40u);
	EXPECT_EQ(OFF(struct opae_vfio_device_region, region_index), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_device_region, region_ptr), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_device_region, region_size), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_device_region, region_sparse), 24u);
	EXPECT_EQ(OFF(struct opae_vfio_device_region, next), 32u);

	EXPECT_EQ(sizeof(struct opae_vfio_device_irq), 40u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, flags), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, index), 4u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, count), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, event_fds), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, masks), 24u);
	EXPECT_EQ(OFF(struct opae_vfio_device_irq, next), 32u);

	EXPECT_EQ(sizeof(struct opae_vfio_device), 48u);
	EXPECT_EQ(OFF(struct opae_vfio_device, device_fd), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_device, device_config_offset), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_device, device_num_regions), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_device, regions), 24u);
	EXPECT_EQ(OFF(struct opae_vfio_device, device_num_irqs), 32u);
	EXPECT_EQ(OFF(struct opae_vfio_device, irqs), 40u);

	EXPECT_EQ(sizeof(struct opae_vfio_buffer), 32u);
	EXPECT_EQ(OFF(struct opae_vfio_buffer, buffer_ptr), 0u);
	EXPECT_EQ(OFF(struct opae_vfio_buffer, buffer_size), 8u);
	EXPECT_EQ(OFF(struct opae_vfio_buffer, buffer_iova), 16u);
	EXPECT_EQ(OFF(struct opae_vfio_buffer, flags), 24u);
}

// C and C++ must lay the shared structs out identically: the framework and
// plugins are C, gtest suites and C++ samples read the same objects.
TEST(CrossLanguage, CAndCxxAgreeOnEveryLayoutItem)
{
	std::map<std::string, size_t> cxx;
#define CXX_ITEM(label, expr) cxx[label] = (expr);
	OPAE_LAYOUT_ITEMS(CXX_ITEM)
#undef CXX_ITEM
	ASSERT_EQ(c_layout_count, cxx.size());
	for (size_t i = 0; i < c_layout_count; i++) {
		auto it = cxx.find(c_layout_items[i].label);
		ASSERT_NE(it, cxx.end()) << c_layout_items[i].label;
		EXPECT_EQ(c_layout_items[i].value, it->second) << c_layout_items[i].label;
	}
}
