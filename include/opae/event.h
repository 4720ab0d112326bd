/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/event.h - event handles (an OS file descriptor the caller can poll)
 * and their registration for interrupts or error notifications.
 */
#ifndef OPAE_EVENT_H
#define OPAE_EVENT_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Create an event handle. */
fpga_result fpgaCreateEventHandle(fpga_event_handle *event_handle);

/* Destroy *event_handle (unregister it first) and set it to NULL. */
fpga_result fpgaDestroyEventHandle(fpga_event_handle *event_handle);

/* The file descriptor to poll()/read() for events (an eventfd on Linux). */
fpga_result fpgaGetOSObjectFromEventHandle(const fpga_event_handle eh, int *fd);

/* Deliver events of event_type on handle to event_handle. For
 * FPGA_EVENT_INTERRUPT, flags is the interrupt vector number. */
fpga_result fpgaRegisterEvent(fpga_handle handle, fpga_event_type event_type,
                              fpga_event_handle event_handle, uint32_t flags);

/* Stop delivering events of event_type to event_handle. */
fpga_result fpgaUnregisterEvent(fpga_handle handle, fpga_event_type event_type,
                                fpga_event_handle event_handle);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_EVENT_H */
