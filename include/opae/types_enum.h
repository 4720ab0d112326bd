/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/types_enum.h - the enumerations of the OPAE C API (result codes, object
 * kinds, interfaces, flags for open/buffers/reconfiguration/objects/metrics).
 *
 * Values are part of the OPAE 2.x ABI: plugins and applications built against
 * the real OPAE SDK exchange them with us, so they must never change.
 */
#ifndef OPAE_TYPES_ENUM_H
#define OPAE_TYPES_ENUM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every fpga* call. */
typedef enum {
	FPGA_OK = 0,            /* success */
	FPGA_INVALID_PARAM = 1, /* bad argument (NULL, wrong magic, out of range) */
	FPGA_BUSY = 2,          /* resource in use elsewhere */
	FPGA_EXCEPTION = 3,     /* unexpected failure */
	FPGA_NOT_FOUND = 4,     /* no such object / property not set */
	FPGA_NO_MEMORY = 5,     /* allocation failed */
	FPGA_NOT_SUPPORTED = 6, /* the backend does not implement this */
	FPGA_NO_DRIVER = 7,     /* kernel driver missing */
	FPGA_NO_DAEMON = 8,     /* helper daemon missing */
	FPGA_NO_ACCESS = 9,     /* permission denied */
	FPGA_RECONF_ERROR = 10  /* partial reconfiguration failed */
} fpga_result;

/* Kinds of event an event handle can be registered for. */
typedef enum {
	FPGA_EVENT_INTERRUPT = 0, /* a user interrupt (MSI-X vector) */
	FPGA_EVENT_ERROR = 1,     /* an error condition was raised */
	FPGA_EVENT_POWER_THERMAL = 2
} fpga_event_type;

/* Whether an accelerator is currently opened by someone. */
typedef enum {
	FPGA_ACCELERATOR_ASSIGNED = 0,
	FPGA_ACCELERATOR_UNASSIGNED = 1
} fpga_accelerator_state;

/* What a token or properties object describes. */
typedef enum {
	FPGA_DEVICE = 0,     /* the whole card / management function (FME) */
	FPGA_ACCELERATOR = 1 /* an AFU reachable through a port or function */
} fpga_objtype;

/* The kernel interface (or simulator) behind a token. */
typedef enum {
	FPGA_IFC_DFL = 0,
	FPGA_IFC_VFIO = 1,
	FPGA_IFC_SIM_DFL = 2,
	FPGA_IFC_SIM_VFIO = 3,
	FPGA_IFC_UIO = 4
} fpga_interface;

/* Flags of fpgaPrepareBuffer(). */
enum fpga_buffer_flags {
	FPGA_BUF_PREALLOCATED = (1u << 0), /* caller supplies the memory */
	FPGA_BUF_QUIET = (1u << 1),        /* do not log allocation failures */
	FPGA_BUF_READ_ONLY = (1u << 2)     /* device only reads the buffer */
};

/* Flags of fpgaOpen(). */
enum fpga_open_flags {
	FPGA_OPEN_SHARED = (1u << 0),        /* allow several openers */
	FPGA_OPEN_HAS_PARENT_AFU = (1u << 1) /* *handle carries the parent's handle */
};

/* Flags of fpgaReconfigureSlot(). */
enum fpga_reconf_flags {
	FPGA_RECONF_FORCE = (1u << 0),      /* reconfigure even if the slot is in use */
	FPGA_RECONF_SKIP_USRCLK = (1u << 1) /* leave the user clocks alone */
};

/* Flags of the object (sysfs-like attribute) API. */
enum fpga_sysobject_flags {
	FPGA_OBJECT_SYNC = (1u << 0),        /* re-read the value from the source */
	FPGA_OBJECT_GLOB = (1u << 1),        /* the name is a glob pattern */
	FPGA_OBJECT_RAW = (1u << 2),         /* do not parse the value */
	FPGA_OBJECT_RECURSE_ONE = (1u << 3), /* include direct children */
	FPGA_OBJECT_RECURSE_ALL = (1u << 4)  /* include all descendants */
};

/* Kind of an fpga_object. */
enum fpga_sysobject_type {
	FPGA_OBJECT_CONTAINER = (1u << 0), /* holds other objects */
	FPGA_OBJECT_ATTRIBUTE = (1u << 1)  /* holds a value */
};

/* Category of a metric. */
enum fpga_metric_type {
	FPGA_METRIC_TYPE_POWER = 0,
	FPGA_METRIC_TYPE_THERMAL = 1,
	FPGA_METRIC_TYPE_PERFORMANCE_CTR = 2,
	FPGA_METRIC_TYPE_AFU = 3,
	FPGA_METRIC_TYPE_UNKNOWN = 4
};

/* Which member of metric_value holds a metric's value. */
enum fpga_metric_datatype {
	FPGA_METRIC_DATATYPE_INT = 0,
	FPGA_METRIC_DATATYPE_FLOAT = 1,
	FPGA_METRIC_DATATYPE_DOUBLE = 2,
	FPGA_METRIC_DATATYPE_BOOL = 3,
	FPGA_METRIC_DATATYPE_UNKNOWN = 4
};

#ifdef __cplusplus
}
#endif

#endif /* OPAE_TYPES_ENUM_H */
