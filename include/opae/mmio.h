/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/mmio.h - register access on an opened accelerator: 32/64/512-bit reads
 * and writes and direct mapping of an MMIO space into the caller.
 */
#ifndef OPAE_MMIO_H
#define OPAE_MMIO_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write 64 bits at byte offset of MMIO space mmio_num. */
fpga_result fpgaWriteMMIO64(fpga_handle handle, uint32_t mmio_num, uint64_t offset, uint64_t value);

/* Read 64 bits at byte offset of MMIO space mmio_num. */
fpga_result fpgaReadMMIO64(fpga_handle handle, uint32_t mmio_num, uint64_t offset, uint64_t *value);

/* Write 32 bits at byte offset of MMIO space mmio_num. */
fpga_result fpgaWriteMMIO32(fpga_handle handle, uint32_t mmio_num, uint64_t offset, uint32_t value);

/* Read 32 bits at byte offset of MMIO space mmio_num. */
fpga_result fpgaReadMMIO32(fpga_handle handle, uint32_t mmio_num, uint64_t offset, uint32_t *value);

/* Write 64 bytes from value at a 64-byte aligned offset in one transaction. */
fpga_result fpgaWriteMMIO512(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                             const void *value);

/* Return in *mmio_ptr (optional) the user address of MMIO space mmio_num. */
fpga_result fpgaMapMMIO(fpga_handle handle, uint32_t mmio_num, uint64_t **mmio_ptr);

/* Forget a mapping obtained with fpgaMapMMIO(). */
fpga_result fpgaUnmapMMIO(fpga_handle handle, uint32_t mmio_num);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_MMIO_H */
