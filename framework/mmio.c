// SPDX-License-Identifier: BSD-3-Clause
/* mmio.c - the register access calls, forwarded to the plugin owning the
 * handle after a lock-free handle lookup (the hot path: no lock, no
 * allocation, a handful of loads). Bounds and alignment are the plugin's. */
#include "fw_priv.h"

FW_API fpga_result fpgaWriteMMIO64(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                                   uint64_t value)
{
	FW_FORWARD_HANDLE(fpgaWriteMMIO64, mmio_num, offset, value);
}

FW_API fpga_result fpgaReadMMIO64(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                                  uint64_t *value)
{
	if (!value)
		return FPGA_INVALID_PARAM;
	FW_FORWARD_HANDLE(fpgaReadMMIO64, mmio_num, offset, value);
}

FW_API fpga_result fpgaWriteMMIO32(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                                   uint32_t value)
{
	FW_FORWARD_HANDLE(fpgaWriteMMIO32, mmio_num, offset, value);
}

FW_API fpga_result fpgaReadMMIO32(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                                  uint32_t *value)
{
	if (!value)
		return FPGA_INVALID_PARAM;
	FW_FORWARD_HANDLE(fpgaReadMMIO32, mmio_num, offset, value);
}

FW_API fpga_result fpgaWriteMMIO512(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                                    const void *value)
{
	if (!value)
		return FPGA_INVALID_PARAM;
	FW_FORWARD_HANDLE(fpgaWriteMMIO512, mmio_num, offset, value);
}

/* mmio_ptr is optional (NULL: map without returning the address). */
FW_API fpga_result fpgaMapMMIO(fpga_handle handle, uint32_t mmio_num, uint64_t **mmio_ptr)
{
	FW_FORWARD_HANDLE(fpgaMapMMIO, mmio_num, mmio_ptr);
}

FW_API fpga_result fpgaUnmapMMIO(fpga_handle handle, uint32_t mmio_num)
{
	FW_FORWARD_HANDLE(fpgaUnmapMMIO, mmio_num);
}
