/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/userclk.h - the two user clocks an accelerator may run on (read and
 * set their frequencies).
 */
#ifndef OPAE_USERCLK_H
#define OPAE_USERCLK_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Set the high and low user clock frequencies (MHz). */
fpga_result fpgaSetUserClock(fpga_handle handle, uint64_t high_clk, uint64_t low_clk, int flags);

/* Read the high and low user clock frequencies (MHz). */
fpga_result fpgaGetUserClock(fpga_handle handle, uint64_t *high_clk, uint64_t *low_clk, int flags);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_USERCLK_H */
