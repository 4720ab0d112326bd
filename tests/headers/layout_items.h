/* SPDX-License-Identifier: BSD-3-Clause */
/* layout_items.h - the list of sizes and offsets compiled identically by the
 * C and the C++ side of header_layout_test, so the two can be compared.
 *
 * X(label, expression); included by c_layout.c and layout_test.cpp.
 */
#include <stddef.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>
#include <opae/plugin/props.h>
#include <opae/vfio.h>

#define OPAE_LAYOUT_ITEMS(X)                                                                       \
	X("sizeof fpga_token_header", sizeof(fpga_token_header))                                   \
	X("fpga_token_header.interface", offsetof(fpga_token_header, interface))                   \
	X("fpga_token_header.objtype", offsetof(fpga_token_header, objtype))                       \
	X("fpga_token_header.object_id", offsetof(fpga_token_header, object_id))                   \
	X("fpga_token_header.guid", offsetof(fpga_token_header, guid))                             \
	X("fpga_token_header.subsystem_device_id",                                                 \
	  offsetof(fpga_token_header, subsystem_device_id))                                        \
	X("sizeof opae_plugin", sizeof(opae_plugin))                                               \
	X("sizeof opae_api_adapter_table", sizeof(opae_api_adapter_table))                         \
	X("adapter.fpgaBindSVA", offsetof(opae_api_adapter_table, fpgaBindSVA))                    \
	X("adapter.fpgaReadError", offsetof(opae_api_adapter_table, fpgaReadError))                \
	X("adapter.initialize", offsetof(opae_api_adapter_table, initialize))                      \
	X("adapter.finalize", offsetof(opae_api_adapter_table, finalize))                          \
	X("sizeof _fpga_properties", sizeof(struct _fpga_properties))                              \
	X("props.magic", offsetof(struct _fpga_properties, magic))                                 \
	X("props.interface", offsetof(struct _fpga_properties, interface))                         \
	X("props.u", offsetof(struct _fpga_properties, u))                                         \
	X("props.u.fpga.bbs_version", offsetof(struct _fpga_properties, u.fpga.bbs_version))       \
	X("sizeof fpga_version", sizeof(fpga_version))                                             \
	X("sizeof fpga_error_info", sizeof(struct fpga_error_info))                                \
	X("sizeof fpga_metric_info", sizeof(fpga_metric_info))                                     \
	X("sizeof fpga_metric", sizeof(fpga_metric))                                               \
	X("sizeof metric_threshold", sizeof(metric_threshold))                                     \
	X("sizeof fpga_result", sizeof(fpga_result))                                               \
	X("sizeof fpga_objtype", sizeof(fpga_objtype))                                             \
	X("sizeof opae_vfio", sizeof(struct opae_vfio))                                            \
	X("opae_vfio.cont_buffers", offsetof(struct opae_vfio, cont_buffers))                      \
	X("sizeof opae_vfio_device", sizeof(struct opae_vfio_device))                              \
	X("sizeof opae_vfio_buffer", sizeof(struct opae_vfio_buffer))

/* Implemented in C (c_layout.c): the value of each item as C sees it. */
#ifdef __cplusplus
extern "C" {
#endif
struct c_layout_item {
	const char *label;
	size_t value;
};
extern const struct c_layout_item c_layout_items[];
extern const size_t c_layout_count;
#ifdef __cplusplus
}
#endif
