/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/properties.h - creating, copying and destroying properties objects,
 * and the typed getters/setters of every property (OPAE 2.x signatures).
 *
 * Getters return FPGA_NOT_FOUND for a property that was never set. The
 * device-only and accelerator-only properties require the object type to be
 * set first and to match (FPGA_INVALID_PARAM otherwise).
 */
#ifndef OPAE_PROPERTIES_H
#define OPAE_PROPERTIES_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Create *prop filled with the attributes of an opened resource. */
fpga_result fpgaGetPropertiesFromHandle(fpga_handle handle, fpga_properties *prop);

/* Create *prop: empty (a filter to fill) when token is NULL, else filled with
 * the attributes of token. Free with fpgaDestroyProperties(). */
fpga_result fpgaGetProperties(fpga_token token, fpga_properties *prop);

/* Replace the contents of prop with the current attributes of token. */
fpga_result fpgaUpdateProperties(fpga_token token, fpga_properties prop);

/* Mark every property of prop as unset. */
fpga_result fpgaClearProperties(fpga_properties prop);

/* Create *dst as an independent copy of src. */
fpga_result fpgaCloneProperties(fpga_properties src, fpga_properties *dst);

/* Free *prop and set it to NULL. */
fpga_result fpgaDestroyProperties(fpga_properties *prop);

/* Parent token (the FPGA_DEVICE containing an accelerator). */
fpga_result fpgaPropertiesGetParent(const fpga_properties prop, fpga_token *parent);
fpga_result fpgaPropertiesSetParent(fpga_properties prop, fpga_token parent);

/* Object type; set it before any type-specific property. */
fpga_result fpgaPropertiesGetObjectType(const fpga_properties prop, fpga_objtype *objtype);
fpga_result fpgaPropertiesSetObjectType(fpga_properties prop, fpga_objtype objtype);

/* PCI segment (domain). */
fpga_result fpgaPropertiesGetSegment(const fpga_properties prop, uint16_t *segment);
fpga_result fpgaPropertiesSetSegment(fpga_properties prop, uint16_t segment);

/* PCI bus number. */
fpga_result fpgaPropertiesGetBus(const fpga_properties prop, uint8_t *bus);
fpga_result fpgaPropertiesSetBus(fpga_properties prop, uint8_t bus);

/* PCI device number. */
fpga_result fpgaPropertiesGetDevice(const fpga_properties prop, uint8_t *device);
fpga_result fpgaPropertiesSetDevice(fpga_properties prop, uint8_t device);

/* PCI function number. */
fpga_result fpgaPropertiesGetFunction(const fpga_properties prop, uint8_t *function);
fpga_result fpgaPropertiesSetFunction(fpga_properties prop, uint8_t function);

/* NUMA node / socket of the resource. */
fpga_result fpgaPropertiesGetSocketID(const fpga_properties prop, uint8_t *socket_id);
fpga_result fpgaPropertiesSetSocketID(fpga_properties prop, uint8_t socket_id);

/* PCI device id. */
fpga_result fpgaPropertiesGetDeviceID(const fpga_properties prop, uint16_t *device_id);
fpga_result fpgaPropertiesSetDeviceID(fpga_properties prop, uint16_t device_id);

/* FPGA_DEVICE only: number of accelerator slots (ports). */
fpga_result fpgaPropertiesGetNumSlots(const fpga_properties prop, uint32_t *num_slots);
fpga_result fpgaPropertiesSetNumSlots(fpga_properties prop, uint32_t num_slots);

/* FPGA_DEVICE only: blue bitstream id. */
fpga_result fpgaPropertiesGetBBSID(const fpga_properties prop, uint64_t *bbs_id);
fpga_result fpgaPropertiesSetBBSID(fpga_properties prop, uint64_t bbs_id);

/* FPGA_DEVICE only: blue bitstream version. */
fpga_result fpgaPropertiesGetBBSVersion(const fpga_properties prop, fpga_version *bbs_version);
fpga_result fpgaPropertiesSetBBSVersion(fpga_properties prop, fpga_version bbs_version);

/* PCI vendor id. */
fpga_result fpgaPropertiesGetVendorID(const fpga_properties prop, uint16_t *vendor_id);
fpga_result fpgaPropertiesSetVendorID(fpga_properties prop, uint16_t vendor_id);

/* FPGA_DEVICE only: model name (not stored by OPAE 2.x backends). */
fpga_result fpgaPropertiesGetModel(const fpga_properties prop, char *model);
fpga_result fpgaPropertiesSetModel(fpga_properties prop, char *model);

/* FPGA_DEVICE only: size of the card's local memory in bytes. */
fpga_result fpgaPropertiesGetLocalMemorySize(const fpga_properties prop, uint64_t *lms);
fpga_result fpgaPropertiesSetLocalMemorySize(fpga_properties prop, uint64_t lms);

/* FPGA_DEVICE only: capability bit mask. */
fpga_result fpgaPropertiesGetCapabilities(const fpga_properties prop, uint64_t *capabilities);
fpga_result fpgaPropertiesSetCapabilities(fpga_properties prop, uint64_t capabilities);

/* GUID: AFU id (FPGA_ACCELERATOR) or PR interface id (FPGA_DEVICE). */
fpga_result fpgaPropertiesGetGUID(const fpga_properties prop, fpga_guid *guid);
fpga_result fpgaPropertiesSetGUID(fpga_properties prop, fpga_guid guid);

/* FPGA_ACCELERATOR only: number of MMIO spaces. */
fpga_result fpgaPropertiesGetNumMMIO(const fpga_properties prop, uint32_t *mmio_spaces);
fpga_result fpgaPropertiesSetNumMMIO(fpga_properties prop, uint32_t mmio_spaces);

/* FPGA_ACCELERATOR only: number of user interrupts. */
fpga_result fpgaPropertiesGetNumInterrupts(const fpga_properties prop, uint32_t *num_interrupts);
fpga_result fpgaPropertiesSetNumInterrupts(fpga_properties prop, uint32_t num_interrupts);

/* FPGA_ACCELERATOR only: assigned (opened) or not. */
fpga_result fpgaPropertiesGetAcceleratorState(const fpga_properties prop,
                                              fpga_accelerator_state *state);
fpga_result fpgaPropertiesSetAcceleratorState(fpga_properties prop, fpga_accelerator_state state);

/* Backend-unique 64-bit object id. */
fpga_result fpgaPropertiesGetObjectID(const fpga_properties prop, uint64_t *object_id);
fpga_result fpgaPropertiesSetObjectID(const fpga_properties prop, uint64_t object_id);

/* Number of error registers. */
fpga_result fpgaPropertiesGetNumErrors(const fpga_properties prop, uint32_t *num_errors);
fpga_result fpgaPropertiesSetNumErrors(const fpga_properties prop, uint32_t num_errors);

/* Kernel interface behind the resource. */
fpga_result fpgaPropertiesGetInterface(const fpga_properties prop, fpga_interface *interface);
fpga_result fpgaPropertiesSetInterface(const fpga_properties prop, fpga_interface interface);

/* PCI subsystem vendor id. */
fpga_result fpgaPropertiesGetSubsystemVendorID(const fpga_properties prop,
                                               uint16_t *subsystem_vendor_id);
fpga_result fpgaPropertiesSetSubsystemVendorID(fpga_properties prop, uint16_t subsystem_vendor_id);

/* PCI subsystem device id. */
fpga_result fpgaPropertiesGetSubsystemDeviceID(const fpga_properties prop,
                                               uint16_t *subsystem_device_id);
fpga_result fpgaPropertiesSetSubsystemDeviceID(fpga_properties prop, uint16_t subsystem_device_id);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_PROPERTIES_H */
