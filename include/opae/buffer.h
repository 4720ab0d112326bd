/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/buffer.h - DMA buffers shared between the host and an accelerator:
 * allocation (or registration of caller memory), release, I/O addresses, SVA.
 *
 * A buffer is named by a workspace id (wsid) chosen by the backend.
 */
#ifndef OPAE_BUFFER_H
#define OPAE_BUFFER_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocate (or, with FPGA_BUF_PREALLOCATED, register *buf_addr) a DMA buffer
 * of len bytes; returns its address in *buf_addr and its id in *wsid.
 * flags are enum fpga_buffer_flags. len 0 with FPGA_BUF_PREALLOCATED and a
 * NULL buf_addr asks whether preallocated buffers are supported. */
fpga_result fpgaPrepareBuffer(fpga_handle handle, uint64_t len, void **buf_addr, uint64_t *wsid,
                              int flags);

/* Unmap the buffer wsid from the device and free it (unless preallocated). */
fpga_result fpgaReleaseBuffer(fpga_handle handle, uint64_t wsid);

/* The address at which the device sees buffer wsid (IOVA). */
fpga_result fpgaGetIOAddress(fpga_handle handle, uint64_t wsid, uint64_t *ioaddr);

/* Bind the process address space to the device (shared virtual addressing)
 * and return its PASID. */
fpga_result fpgaBindSVA(fpga_handle handle, uint32_t *pasid);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_BUFFER_H */
