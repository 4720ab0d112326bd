/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/umsg.h - the legacy UMsg (user message) calls of OPAE 1.x hardware.
 * Declared for source compatibility; the framework never forwards them.
 */
#ifndef OPAE_UMSG_H
#define OPAE_UMSG_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of UMsg cache lines. */
fpga_result fpgaGetNumUmsg(fpga_handle handle, uint64_t *value);

/* Set the UMsg hint bits. */
fpga_result fpgaSetUmsgAttributes(fpga_handle handle, uint64_t value);

/* Write a UMsg. */
fpga_result fpgaTriggerUmsg(fpga_handle handle, uint64_t value);

/* Address of the UMsg area. */
fpga_result fpgaGetUmsgPtr(fpga_handle handle, uint64_t **umsg_ptr);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_UMSG_H */
