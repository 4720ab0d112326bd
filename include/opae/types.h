/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/types.h - the object types of the OPAE C API: opaque tokens, handles,
 * properties, event handles and objects; GUIDs, versions, errors, metrics.
 *
 * fpga_token_header is the one structure shared between the framework and
 * its plugins: every plugin token starts with it (64 bytes, OPAE 2.x layout).
 */
#ifndef OPAE_TYPES_H
#define OPAE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <opae/types_enum.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Set of attributes describing (or filtering for) a resource. */
typedef void *fpga_properties;

/* Names a resource found by fpgaEnumerate(); not yet opened. */
typedef void *fpga_token;

/* An opened resource. */
typedef void *fpga_handle;

/* 128-bit identifier, big-endian byte order (same as uuid_parse()). */
typedef uint8_t fpga_guid[16];

/* Semantic version (4 bytes). */
typedef struct {
	uint8_t major;
	uint8_t minor;
	uint16_t patch;
} fpga_version;

/* Source of notifications (an eventfd on Linux). */
typedef void *fpga_event_handle;

/* Longest error register name, including the terminating NUL. */
#define FPGA_ERROR_NAME_MAX 64

/* Description of one error register (fpgaGetErrorInfo). */
struct fpga_error_info {
	char name[FPGA_ERROR_NAME_MAX]; /* register name */
	bool can_clear;                 /* fpgaClearError() works on it */
};

/* A sysfs-like attribute or container (object API). */
typedef void *fpga_object;

/* Size of every string member of the metric structures. */
#define FPGA_METRIC_STR_SIZE 256

/* A metric's value; the member in use is given by its fpga_metric_datatype. */
typedef union {
	uint64_t ivalue;
	double dvalue;
	float fvalue;
	bool bvalue;
} metric_value;

/* Static description of one metric. */
typedef struct fpga_metric_info {
	uint64_t metric_num;
	fpga_guid metric_guid;
	char qualifier_name[FPGA_METRIC_STR_SIZE];
	char group_name[FPGA_METRIC_STR_SIZE];
	char metric_name[FPGA_METRIC_STR_SIZE];
	char metric_units[FPGA_METRIC_STR_SIZE];
	enum fpga_metric_datatype metric_datatype;
	enum fpga_metric_type metric_type;
} fpga_metric_info;

/* One sampled metric. */
typedef struct fpga_metric {
	uint64_t metric_num;
	metric_value value;
	bool isvalid;
} fpga_metric;

/* One threshold of a metric. */
typedef struct threshold {
	char threshold_name[FPGA_METRIC_STR_SIZE];
	uint32_t is_valid;
	double value;
} threshold;

/* All thresholds of one metric. */
typedef struct metric_threshold {
	char metric_name[FPGA_METRIC_STR_SIZE];
	threshold upper_nr_threshold;
	threshold upper_c_threshold;
	threshold upper_nc_threshold;
	threshold lower_nr_threshold;
	threshold lower_c_threshold;
	threshold lower_nc_threshold;
	threshold hysteresis;
} metric_threshold;

/* First 64 bytes of every plugin token. The framework reads objtype (open)
 * and objtype/segment/bus/device (parent search); other plugins may read the
 * header of a parent token they get in an enumeration filter. */
typedef struct _fpga_token_header {
	uint64_t magic;     /* plugin-defined, not checked by the framework */
	uint16_t vendor_id; /* PCI vendor id */
	uint16_t device_id; /* PCI device id */
	uint16_t segment;   /* PCI domain */
	uint8_t bus;
	uint8_t device;
	uint8_t function;
	fpga_interface interface; /* FPGA_IFC_VFIO for our plugin */
	fpga_objtype objtype;
	uint64_t object_id;
	fpga_guid guid; /* AFU GUID, or PR interface id for FPGA_DEVICE */
	uint16_t subsystem_vendor_id;
	uint16_t subsystem_device_id;
} fpga_token_header;

/* True when the token header p describes the FPGA_DEVICE that contains the
 * accelerator c: same PCI segment, bus and device (functions differ between
 * PF and VFs). cmp(p, c) is an extra backend-specific test (non-zero = match);
 * pass a function that returns 1 if none is needed. */
#define fpga_is_parent_of(p, c, cmp)                                                               \
	(((p)->objtype == FPGA_DEVICE) && ((c)->objtype == FPGA_ACCELERATOR) &&                    \
	 ((p)->segment == (c)->segment) && ((p)->bus == (c)->bus) &&                               \
	 ((p)->device == (c)->device) && (cmp)((p), (c)))

/* Fields of a blue-bitstream version packed in a bitstream id (bits 59:48). */
#define FPGA_BBS_VER_MAJOR(id) ((uint8_t)(((id) >> 56) & 0xf))
#define FPGA_BBS_VER_MINOR(id) ((uint8_t)(((id) >> 52) & 0xf))
#define FPGA_BBS_VER_PATCH(id) ((uint16_t)(((id) >> 48) & 0xf))

#ifdef __cplusplus
}
#endif

#endif /* OPAE_TYPES_H */
