/* SPDX-License-Identifier: BSD-3-Clause */
/* rec_plugin.h - the recording test plugin's state, shared by the plugin
 * (rec_plugin.c) and the framework tests, which reach it with
 * dlsym(module, "rec_plugin_state") after the framework loaded the module.
 *
 * The plugin reports `ndevices` cards on PCI bus `bus`: card i is an
 * FPGA_DEVICE token (device i, function 0) and an FPGA_ACCELERATOR token
 * (device i, function 1, GUID rec_afu_guid with byte 15 = i). It counts every
 * call it gets and the objects alive on its side. */
#ifndef REC_PLUGIN_H
#define REC_PLUGIN_H

#include <stdint.h>

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rec_call {
	REC_CONFIGURE,
	REC_INITIALIZE,
	REC_FINALIZE,
	REC_OPEN,
	REC_CLOSE,
	REC_RESET,
	REC_GET_PROPS_FROM_HANDLE,
	REC_GET_PROPS,
	REC_UPDATE_PROPS,
	REC_WRITE64,
	REC_READ64,
	REC_WRITE32,
	REC_READ32,
	REC_WRITE512,
	REC_MAP,
	REC_UNMAP,
	REC_ENUMERATE,
	REC_CLONE_TOKEN,
	REC_DESTROY_TOKEN,
	REC_PREPARE_BUFFER,
	REC_RELEASE_BUFFER,
	REC_GET_IO_ADDRESS,
	REC_BIND_SVA,
	REC_PIN_BUFFER,
	REC_UNPIN_BUFFER,
	REC_GET_WS_INFO,
	REC_READ_ERROR,
	REC_CREATE_EVENT,
	REC_DESTROY_EVENT,
	REC_GET_OS_OBJECT,
	REC_REGISTER_EVENT,
	REC_UNREGISTER_EVENT,
	REC_TOKEN_GET_OBJECT,
	REC_OBJECT_READ64,
	REC_DESTROY_OBJECT,
	REC_SET_USER_CLOCK,
	REC_NCALLS
};

#define REC_MMIO_SIZE 4096u /* one MMIO space per handle, offsets 0..4095 */

struct rec_state {
	unsigned int calls[REC_NCALLS]; /* counters: access with REC_LOAD/REC_ADD */
	char config[256];               /* last configuration string ("(null)" for NULL) */
	uint8_t bus;                    /* PCI bus of every token */
	uint16_t device_id;             /* PCI device id of every token */
	/* Controls, set by tests before the call concerned. */
	uint32_t ndevices;    /* cards reported (default 1) */
	int enumerate_result; /* fpga_result returned by fpgaEnumerate */
	int store_raw_parent; /* GetProperties stores a raw parent token */
	int fail_open;        /* fpgaOpen returns this if non-zero */
	int fail_child_open;  /* ... only with FPGA_OPEN_HAS_PARENT_AFU */
	/* Observations. */
	int live_tokens, live_handles, live_events, live_buffers, live_objects;
	void *last_filter_parent; /* raw parent seen in a filter */
	void *last_open_parent;   /* *handle on entry of the last fpgaOpen */
	int last_open_flags;
	uint32_t last_event_flags;
	uint32_t last_mmio_num;
	uint64_t last_offset;
	uint64_t pin_ioaddr, pin_len;     /* last PinBuffer arguments */
	uint64_t mmio[REC_MMIO_SIZE / 8]; /* registers shared by all handles */
};

/* Byte 15 is the card index. */
#define REC_AFU_GUID_INIT                                                                          \
	{                                                                                          \
		0xc0, 0xff, 0xee, 0x00, 0x12, 0x34, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00,      \
		    0x11, 0x22, 0x00                                                               \
	}

/* Counters are updated from several threads (C and C++ alike). */
#define REC_LOAD(x)   __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define REC_ADD(x, n) __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define REC_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

typedef struct rec_state *(*rec_state_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* REC_PLUGIN_H */
