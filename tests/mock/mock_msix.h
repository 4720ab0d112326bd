/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_msix.h - MSI-X as Linux 6.1 vfio-pci shows it (mock_msix.c): where the
 * table and PBA sit, the MSIX_MAPPABLE region capability, the table hole in
 * region read/write, and the device side (mask bits, pending bits, delivery).
 *
 * All functions run with the world lock held. mock_msix_raise (mock_model.h)
 * may run in signal context; the others never do.
 */
#ifndef MOCK_MSIX_H
#define MOCK_MSIX_H

#include <stddef.h>
#include <stdint.h>

struct mock_dev;
struct mock_dev_config;

#define MOCK_MSIX_MAX 2048 /* PCI: QSIZE is 11 bits */

/* Where the config space says the table and PBA are (BIR and offsets): the
 * first implemented BAR, PBA in its last page(s), the table right below. */
void mock_msix_place(const struct mock_dev_config *c, unsigned *bir, uint32_t *table,
                     uint32_t *pba);

/* After the model's create(): read the capability back from config space and
 * write the power-on table (every entry masked) and PBA. 0, or -1 (no memory). */
int mock_msix_init(struct mock_dev *d);
void mock_msix_free(struct mock_dev *d);

/* After the model's reset() (FLR): PBA cleared, table rewritten as vfio-pci
 * restores it (pci_restore_msix_state). */
void mock_msix_reset(struct mock_dev *d);

/* After SET_IRQS changed the IRQ state: reprogram the table as the kernel
 * would (message + unmask for vectors with an eventfd, mask for the others)
 * and deliver what was pending on vectors that became unmasked. */
void mock_msix_sync(struct mock_dev *d);

/* Append the VFIO_REGION_INFO_CAP_MSIX_MAPPABLE capability for region
 * `index` to the chain in caps[0..csize) (offsets relative to the end of
 * struct vfio_region_info, as the kernel's vfio_info_cap_shift makes them).
 * Returns the new chain size (csize when the region gets no capability). */
size_t mock_msix_region_cap(struct mock_dev *d, unsigned index, uint8_t *caps, size_t csize,
                            size_t cap_max);

/* Region read/write over BAR `bar` at `off` for `len` bytes (vfio_pci_bar_rw's
 * x_start/x_end): returns how many bytes from `off` are alike — all inside
 * the MSI-X table (*inside = 1: reads give 0xff, writes are dropped) or all
 * outside it (*inside = 0: normal access). */
size_t mock_msix_rw_window(struct mock_dev *d, unsigned bar, uint64_t off, size_t len, int *inside);

#endif /* MOCK_MSIX_H */
