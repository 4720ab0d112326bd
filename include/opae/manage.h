/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/manage.h - management of an opened FPGA_DEVICE: assigning accelerators
 * to host interfaces and partial reconfiguration of slots.
 */
#ifndef OPAE_MANAGE_H
#define OPAE_MANAGE_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Assign an accelerator to host interface host_interface. */
fpga_result fpgaAssignToInterface(fpga_handle fpga, fpga_token accelerator, uint32_t host_interface,
                                  int flags);

/* Give an accelerator back to the device owner. */
fpga_result fpgaReleaseFromInterface(fpga_handle fpga, fpga_token accelerator);

/* Assign port slot_num to interface interface_num (e.g. PF <-> VF). */
fpga_result fpgaAssignPortToInterface(fpga_handle fpga, uint32_t interface_num, uint32_t slot_num,
                                      int flags);

/* Program bitstream into slot; flags are enum fpga_reconf_flags. */
fpga_result fpgaReconfigureSlot(fpga_handle fpga, uint32_t slot, const uint8_t *bitstream,
                                size_t bitstream_len, int flags);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_MANAGE_H */
