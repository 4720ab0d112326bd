/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/utils.h - helpers for reporting: the text of an fpga_result.
 */
#ifndef OPAE_UTILS_H
#define OPAE_UTILS_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A static, human-readable description of e (never NULL). */
const char *fpgaErrStr(fpga_result e);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_UTILS_H */
