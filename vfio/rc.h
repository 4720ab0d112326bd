// SPDX-License-Identifier: BSD-3-Clause
/* rc.h - the return codes of the exported opae_vfio_* calls: the one table,
 * which docs/core.md mirrors line for line (checked by core.rc_table). Inside
 * the library every function returns 0 or -errno; only the exported
 * functions turn a failed step into one of these codes, and they leave the
 * precise cause in errno. The numbers are OPAE's where OPAE's callers rely on
 * one (open's 2 = busy). */
#ifndef VFIO_RC_H
#define VFIO_RC_H

enum opae_vfio_rc {
	RC_OK = 0,

	/* opae_vfio_open, opae_vfio_secure_open */
	RC_OPEN_BADARG = 1,    /* NULL, malformed address or VF token */
	RC_OPEN_BUSY = 2,      /* group cannot be opened, or the device is open */
	RC_OPEN_NODEV = 3,     /* no such device, not on vfio-pci, no IOMMU group */
	RC_OPEN_UNVIABLE = 4,  /* the group is not viable (or its status unreadable) */
	RC_OPEN_CONTAINER = 5, /* container, IOMMU type, IOMMU info */
	RC_OPEN_DEVICE = 6,    /* device fd, info, config space, regions, IRQ info */
	RC_OPEN_NOMEM = 7,     /* out of memory */

	/* opae_vfio_region_get */
	RC_REGION_BADARG = 1,   /* v NULL or not open */
	RC_REGION_NOTFOUND = 2, /* no mapped region with that index */

	/* opae_vfio_buffer_allocate(_ex), opae_vfio_buffer_map */
	RC_BUF_BADARG = 1, /* NULL, not open, bad flags, alignment, already mapped */
	RC_BUF_ZERO = 2,   /* size 0 */
	RC_BUF_MAP = 4,    /* memory, IOVA space, DMA entries, MAP_DMA */
	RC_BUF_TRACK = 5,  /* out of memory for the record */

	/* opae_vfio_buffer_free, opae_vfio_buffer_unmap */
	RC_FREE_BADARG = 1,   /* v NULL or not open, wrong size */
	RC_FREE_NOTFOUND = 3, /* not a live buffer / pinned range */
	RC_FREE_UNMAP = 4,    /* UNMAP_DMA refused or short, or munmap failed */

	/* opae_vfio_irq_enable, _disable, _mask, _unmask */
	RC_IRQ_BADARG = 1,  /* v not open, negative eventfd */
	RC_IRQ_RANGE = 3,   /* no such vector */
	RC_IRQ_NOINDEX = 4, /* no such index, or it has no eventfd signalling */
	RC_IRQ_KERNEL = 5,  /* SET_IRQS refused */

	/* opae_vfio_dev_busy */
	RC_BUSY_BADARG = 1, /* malformed address */
	RC_BUSY = 2,        /* the group cannot be opened now */
	RC_BUSY_NODEV = 3,  /* no such device, not on vfio-pci */

	/* opae_vfio_apply_group_constraint */
	RC_CONSTRAINT_BADARG = 1, /* either device NULL or not open */
	RC_CONSTRAINT_NOMEM = 2,  /* out of memory */
};

#endif
