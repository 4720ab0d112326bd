/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/plugin/props.h - the framework's concrete properties object (what an
 * fpga_properties points to) and the bit numbers of its valid-field mask.
 *
 * Layout of OPAE 2.x libopae-c (144 bytes on LP64, stable since 2.1.1). A
 * framework implementation keeps it so that plugins built against OPAE that
 * poke it directly still work; our own plugin uses only the public getters
 * and setters of <opae/properties.h>.
 */
#ifndef OPAE_PLUGIN_PROPS_H
#define OPAE_PLUGIN_PROPS_H

#include <pthread.h>
#include <stdint.h>

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "FPGAPROP": identifies a live properties object. */
#define FPGA_PROPERTY_MAGIC 0x4650474150524f50ULL

/* Bit numbers in valid_fields, common to both object types. */
#define FPGA_PROPERTY_PARENT       0
#define FPGA_PROPERTY_OBJTYPE      1
#define FPGA_PROPERTY_SEGMENT      2
#define FPGA_PROPERTY_BUS          3
#define FPGA_PROPERTY_DEVICE       4
#define FPGA_PROPERTY_FUNCTION     5
#define FPGA_PROPERTY_SOCKETID     6
#define FPGA_PROPERTY_VENDORID     7
#define FPGA_PROPERTY_DEVICEID     8
#define FPGA_PROPERTY_GUID         9
#define FPGA_PROPERTY_OBJECTID     10
#define FPGA_PROPERTY_NUM_ERRORS   11
#define FPGA_PROPERTY_INTERFACE    12
#define FPGA_PROPERTY_SUB_VENDORID 13
#define FPGA_PROPERTY_SUB_DEVICEID 14

/* FPGA_DEVICE only. */
#define FPGA_PROPERTY_NUM_SLOTS    32
#define FPGA_PROPERTY_BBSID        33
#define FPGA_PROPERTY_BBSVERSION   34
#define FPGA_PROPERTY_MODEL        35
#define FPGA_PROPERTY_LOCAL_MEMORY 36
#define FPGA_PROPERTY_CAPABILITIES 37

/* FPGA_ACCELERATOR only (the same bits as above, reinterpreted). */
#define FPGA_PROPERTY_ACCELERATOR_STATE 32
#define FPGA_PROPERTY_NUM_MMIO          33
#define FPGA_PROPERTY_NUM_INTERRUPTS    34

/* Test / set / clear bit `field` (an FPGA_PROPERTY_* number) of props p. */
#define FIELD_VALID(p, field)       (((p)->valid_fields >> (field)) & 1)
#define SET_FIELD_VALID(p, field)   ((p)->valid_fields |= ((uint64_t)1 << (field)))
#define CLEAR_FIELD_VALID(p, field) ((p)->valid_fields &= ~((uint64_t)1 << (field)))

/* The object behind fpga_properties. Every access holds `lock` (recursive). */
struct _fpga_properties {
	pthread_mutex_t lock;
	uint64_t magic;        /* FPGA_PROPERTY_MAGIC */
	uint64_t valid_fields; /* bit FPGA_PROPERTY_x set = property x is set */

	fpga_guid guid;
	fpga_token parent;
	fpga_objtype objtype;
	uint16_t segment;
	uint8_t bus;
	uint8_t device;
	uint8_t function;
	uint8_t socket_id;
	uint64_t object_id;
	uint16_t vendor_id;
	uint16_t device_id;
	uint32_t num_errors;
	fpga_interface interface;
	uint16_t subsystem_vendor_id;
	uint16_t subsystem_device_id;

	/* Which view is meaningful depends on objtype. Model, local memory
	 * size and capabilities have valid bits but no storage. */
	union {
		struct {
			uint32_t num_slots;
			uint64_t bbs_id;
			fpga_version bbs_version;
		} fpga;
		struct {
			fpga_accelerator_state state;
			uint32_t num_mmio;
			uint32_t num_interrupts;
		} accelerator;
	} u;
};

#ifdef __cplusplus
}
#endif

#endif /* OPAE_PLUGIN_PROPS_H */
