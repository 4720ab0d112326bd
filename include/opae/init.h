/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/init.h - explicit start-up and shutdown of the OPAE C library (config
 * file, plugin loading). Only needed with OPAE_EXPLICIT_INITIALIZE set.
 */
#ifndef OPAE_INIT_H
#define OPAE_INIT_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Load the plugins named by config_file (NULL = search the usual places). */
fpga_result fpgaInitialize(const char *config_file);

/* Finalize and unload every plugin. */
fpga_result fpgaFinalize(void);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_INIT_H */
