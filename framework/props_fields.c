// SPDX-License-Identifier: BSD-3-Clause
/* props_fields.c - every fpgaPropertiesGet/Set accessor, table-driven, with
 * OPAE's rules: a getter returns FPGA_NOT_FOUND for a field never set;
 * device-only and accelerator-only fields are refused (FPGA_INVALID_PARAM,
 * logged) unless the object type is set and matches; model, local memory
 * size and capabilities are not supported (as in OPAE 2.x).
 *
 * Beyond OPAE: an object type other than FPGA_DEVICE/FPGA_ACCELERATOR is
 * refused, and changing the object type drops the type-specific fields
 * (they share storage, so they would otherwise read back reinterpreted). */
#include <stddef.h>
#include <string.h>

#include "fw_priv.h"

enum scope { SCOPE_ANY, SCOPE_DEVICE, SCOPE_ACCELERATOR };

/* Bits of the type-specific fields (32..63). */
#define TYPE_SPECIFIC_MASK 0xffffffff00000000ull

static bool scope_ok(const char *call, const struct _fpga_properties *p, enum scope sc)
{
	fpga_objtype want = sc == SCOPE_DEVICE ? FPGA_DEVICE : FPGA_ACCELERATOR;

	if (sc == SCOPE_ANY)
		return true;
	if (FIELD_VALID(p, FPGA_PROPERTY_OBJTYPE) && p->objtype == want)
		return true;
	fw_err("%s: refused: the field belongs to %s objects and the object type is %s", call,
	       want == FPGA_DEVICE ? "FPGA_DEVICE" : "FPGA_ACCELERATOR",
	       !FIELD_VALID(p, FPGA_PROPERTY_OBJTYPE) ? "not set"
	       : p->objtype == FPGA_DEVICE            ? "FPGA_DEVICE"
	                                              : "FPGA_ACCELERATOR");
	return false;
}

static fpga_result field_get(const char *call, fpga_properties prop, int bit, enum scope sc,
                             void *out, size_t off, size_t size)
{
	struct _fpga_properties *p;
	fpga_result r = FPGA_OK;

	if (!out)
		return FPGA_INVALID_PARAM;
	p = fw_props_lock(prop);
	if (!p)
		return FPGA_INVALID_PARAM;
	if (!scope_ok(call, p, sc))
		r = FPGA_INVALID_PARAM;
	else if (!FIELD_VALID(p, bit))
		r = FPGA_NOT_FOUND;
	else
		memcpy(out, (const unsigned char *)p + off, size);
	fw_props_unlock(p);
	return r;
}

static fpga_result field_set(const char *call, fpga_properties prop, int bit, enum scope sc,
                             const void *in, size_t off, size_t size)
{
	struct _fpga_properties *p = fw_props_lock(prop);
	fpga_result r = FPGA_OK;

	if (!p)
		return FPGA_INVALID_PARAM;
	if (!scope_ok(call, p, sc)) {
		r = FPGA_INVALID_PARAM;
	} else {
		memcpy((unsigned char *)p + off, in, size);
		SET_FIELD_VALID(p, bit);
	}
	fw_props_unlock(p);
	return r;
}

/* A getter and a setter for one stored field. */
#define PROP_FIELD(Name, sc, bit, type, member)                                                    \
	_Static_assert(sizeof(type) == sizeof(((struct _fpga_properties *)0)->member),             \
	               #member " size");                                                           \
	FW_API fpga_result fpgaPropertiesGet##Name(const fpga_properties prop, type *out)          \
	{                                                                                          \
		return field_get("fpgaPropertiesGet" #Name, prop, bit, sc, out,                    \
		                 offsetof(struct _fpga_properties, member), sizeof(type));         \
	}                                                                                          \
	FW_API fpga_result fpgaPropertiesSet##Name(fpga_properties prop, type value)               \
	{                                                                                          \
		return field_set("fpgaPropertiesSet" #Name, prop, bit, sc, &value,                 \
		                 offsetof(struct _fpga_properties, member), sizeof(type));         \
	}

PROP_FIELD(Segment, SCOPE_ANY, FPGA_PROPERTY_SEGMENT, uint16_t, segment)
PROP_FIELD(Bus, SCOPE_ANY, FPGA_PROPERTY_BUS, uint8_t, bus)
PROP_FIELD(Device, SCOPE_ANY, FPGA_PROPERTY_DEVICE, uint8_t, device)
PROP_FIELD(SocketID, SCOPE_ANY, FPGA_PROPERTY_SOCKETID, uint8_t, socket_id)
PROP_FIELD(VendorID, SCOPE_ANY, FPGA_PROPERTY_VENDORID, uint16_t, vendor_id)
PROP_FIELD(DeviceID, SCOPE_ANY, FPGA_PROPERTY_DEVICEID, uint16_t, device_id)
PROP_FIELD(ObjectID, SCOPE_ANY, FPGA_PROPERTY_OBJECTID, uint64_t, object_id)
PROP_FIELD(NumErrors, SCOPE_ANY, FPGA_PROPERTY_NUM_ERRORS, uint32_t, num_errors)
PROP_FIELD(Interface, SCOPE_ANY, FPGA_PROPERTY_INTERFACE, fpga_interface, interface)
PROP_FIELD(SubsystemVendorID, SCOPE_ANY, FPGA_PROPERTY_SUB_VENDORID, uint16_t, subsystem_vendor_id)
PROP_FIELD(SubsystemDeviceID, SCOPE_ANY, FPGA_PROPERTY_SUB_DEVICEID, uint16_t, subsystem_device_id)
PROP_FIELD(NumSlots, SCOPE_DEVICE, FPGA_PROPERTY_NUM_SLOTS, uint32_t, u.fpga.num_slots)
PROP_FIELD(BBSID, SCOPE_DEVICE, FPGA_PROPERTY_BBSID, uint64_t, u.fpga.bbs_id)
PROP_FIELD(BBSVersion, SCOPE_DEVICE, FPGA_PROPERTY_BBSVERSION, fpga_version, u.fpga.bbs_version)
PROP_FIELD(AcceleratorState, SCOPE_ACCELERATOR, FPGA_PROPERTY_ACCELERATOR_STATE,
           fpga_accelerator_state, u.accelerator.state)
PROP_FIELD(NumMMIO, SCOPE_ACCELERATOR, FPGA_PROPERTY_NUM_MMIO, uint32_t, u.accelerator.num_mmio)
PROP_FIELD(NumInterrupts, SCOPE_ACCELERATOR, FPGA_PROPERTY_NUM_INTERRUPTS, uint32_t,
           u.accelerator.num_interrupts)

FW_API fpga_result fpgaPropertiesGetFunction(const fpga_properties prop, uint8_t *function)
{
	return field_get("fpgaPropertiesGetFunction", prop, FPGA_PROPERTY_FUNCTION, SCOPE_ANY,
	                 function, offsetof(struct _fpga_properties, function), sizeof(uint8_t));
}

FW_API fpga_result fpgaPropertiesSetFunction(fpga_properties prop, uint8_t function)
{
	if (function > 7) {
		fw_err("fpgaPropertiesSetFunction: PCI function %u is out of range (0..7)",
		       function);
		return FPGA_INVALID_PARAM;
	}
	return field_set("fpgaPropertiesSetFunction", prop, FPGA_PROPERTY_FUNCTION, SCOPE_ANY,
	                 &function, offsetof(struct _fpga_properties, function), sizeof(uint8_t));
}

FW_API fpga_result fpgaPropertiesGetObjectType(const fpga_properties prop, fpga_objtype *objtype)
{
	return field_get("fpgaPropertiesGetObjectType", prop, FPGA_PROPERTY_OBJTYPE, SCOPE_ANY,
	                 objtype, offsetof(struct _fpga_properties, objtype), sizeof(fpga_objtype));
}

FW_API fpga_result fpgaPropertiesSetObjectType(fpga_properties prop, fpga_objtype objtype)
{
	struct _fpga_properties *p;

	if (objtype != FPGA_DEVICE && objtype != FPGA_ACCELERATOR) {
		fw_err("fpgaPropertiesSetObjectType: %d is neither FPGA_DEVICE nor "
		       "FPGA_ACCELERATOR",
		       (int)objtype);
		return FPGA_INVALID_PARAM;
	}
	p = fw_props_lock(prop);
	if (!p)
		return FPGA_INVALID_PARAM;
	if (FIELD_VALID(p, FPGA_PROPERTY_OBJTYPE) && p->objtype != objtype)
		p->valid_fields &= ~TYPE_SPECIFIC_MASK;
	p->objtype = objtype;
	SET_FIELD_VALID(p, FPGA_PROPERTY_OBJTYPE);
	fw_props_unlock(p);
	return FPGA_OK;
}

FW_API fpga_result fpgaPropertiesGetGUID(const fpga_properties prop, fpga_guid *guid)
{
	return field_get("fpgaPropertiesGetGUID", prop, FPGA_PROPERTY_GUID, SCOPE_ANY, guid,
	                 offsetof(struct _fpga_properties, guid), sizeof(fpga_guid));
}

FW_API fpga_result fpgaPropertiesSetGUID(fpga_properties prop, fpga_guid guid)
{
	if (!guid)
		return FPGA_INVALID_PARAM;
	return field_set("fpgaPropertiesSetGUID", prop, FPGA_PROPERTY_GUID, SCOPE_ANY, guid,
	                 offsetof(struct _fpga_properties, guid), sizeof(fpga_guid));
}

/* The parent is returned as stored (not cloned), as OPAE 2.x does: it stays
 * valid as long as the properties object keeps it. */
FW_API fpga_result fpgaPropertiesGetParent(const fpga_properties prop, fpga_token *parent)
{
	return field_get("fpgaPropertiesGetParent", prop, FPGA_PROPERTY_PARENT, SCOPE_ANY, parent,
	                 offsetof(struct _fpga_properties, parent), sizeof(fpga_token));
}

FW_API fpga_result fpgaPropertiesSetParent(fpga_properties prop, fpga_token parent)
{
	struct _fpga_properties *p;
	fpga_result r;

	if (!parent)
		return FPGA_INVALID_PARAM;
	p = fw_props_lock(prop);
	if (!p)
		return FPGA_INVALID_PARAM;
	r = fw_props_set_parent(p, parent);
	fw_props_unlock(p);
	return r;
}

/* Declared by OPAE, never implemented by it: no storage behind them. */
#define PROP_NOT_SUPPORTED(Name, type)                                                             \
	FW_API fpga_result fpgaPropertiesGet##Name(const fpga_properties prop, type *out)          \
	{                                                                                          \
		(void)prop;                                                                        \
		(void)out;                                                                         \
		fw_msg("fpgaPropertiesGet" #Name ": not supported");                               \
		return FPGA_NOT_SUPPORTED;                                                         \
	}                                                                                          \
	FW_API fpga_result fpgaPropertiesSet##Name(fpga_properties prop, type value)               \
	{                                                                                          \
		(void)prop;                                                                        \
		(void)value;                                                                       \
		fw_msg("fpgaPropertiesSet" #Name ": not supported");                               \
		return FPGA_NOT_SUPPORTED;                                                         \
	}

PROP_NOT_SUPPORTED(LocalMemorySize, uint64_t)
PROP_NOT_SUPPORTED(Capabilities, uint64_t)

FW_API fpga_result fpgaPropertiesGetModel(const fpga_properties prop, char *model)
{
	(void)prop;
	(void)model;
	fw_msg("fpgaPropertiesGetModel: not supported");
	return FPGA_NOT_SUPPORTED;
}

FW_API fpga_result fpgaPropertiesSetModel(fpga_properties prop, char *model)
{
	(void)prop;
	(void)model;
	fw_msg("fpgaPropertiesSetModel: not supported");
	return FPGA_NOT_SUPPORTED;
}
