/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/access.h - opening and closing resources (token -> handle) and
 * resetting an opened accelerator.
 */
#ifndef OPAE_ACCESS_H
#define OPAE_ACCESS_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open the resource named by token; flags are enum fpga_open_flags. */
fpga_result fpgaOpen(fpga_token token, fpga_handle *handle, int flags);

/* Handles of the child AFUs of an opened multi-port AFU (opened with it,
 * closed with it: never fpgaClose() them). Writes at most max_children and
 * returns the total in *num_children; children may be NULL when
 * max_children is 0. Buffers are prepared on the parent only. */
fpga_result fpgaGetChildren(fpga_handle handle, uint32_t max_children, fpga_handle *children,
                            uint32_t *num_children);

/* Close a handle, releasing its buffers and mappings. */
fpga_result fpgaClose(fpga_handle handle);

/* Reset the opened accelerator. */
fpga_result fpgaReset(fpga_handle handle);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_ACCESS_H */
