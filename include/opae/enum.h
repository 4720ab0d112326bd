/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/enum.h - discovering resources: fpgaEnumerate() and the lifetime of
 * the tokens it returns (clone, destroy).
 */
#ifndef OPAE_ENUM_H
#define OPAE_ENUM_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Find resources matching any of the num_filters filters (a filter matches
 * when all its set properties match; no filters = everything). Writes at most
 * max_tokens tokens and reports the total number of matches. */
fpga_result fpgaEnumerate(const fpga_properties *filters, uint32_t num_filters, fpga_token *tokens,
                          uint32_t max_tokens, uint32_t *num_matches);

/* Make *dst an independent copy of src (destroy both separately). */
fpga_result fpgaCloneToken(fpga_token src, fpga_token *dst);

/* Release a token from fpgaEnumerate() or fpgaCloneToken(). */
fpga_result fpgaDestroyToken(fpga_token *token);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_ENUM_H */
