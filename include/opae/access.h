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

/* Close a handle, releasing its buffers and mappings. */
fpga_result fpgaClose(fpga_handle handle);

/* Reset the opened accelerator. */
fpga_result fpgaReset(fpga_handle handle);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_ACCESS_H */
