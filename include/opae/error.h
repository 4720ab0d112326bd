/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/error.h - the error registers of a resource: read, clear one or all,
 * and describe them.
 */
#ifndef OPAE_ERROR_H
#define OPAE_ERROR_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read error register error_num (0 .. num_errors-1) of token. */
fpga_result fpgaReadError(fpga_token token, uint32_t error_num, uint64_t *value);

/* Clear error register error_num (if it can be cleared). */
fpga_result fpgaClearError(fpga_token token, uint32_t error_num);

/* Clear every clearable error register of token. */
fpga_result fpgaClearAllErrors(fpga_token token);

/* Name and clearability of error register error_num. */
fpga_result fpgaGetErrorInfo(fpga_token token, uint32_t error_num,
                             struct fpga_error_info *error_info);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_ERROR_H */
