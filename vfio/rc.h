/* rc.h - the return codes of the exported opae_vfio_* calls: the one table
 * (docs/core.md mirrors it line for line). Inside the library every function
 * returns 0 or -errno; only the exported functions turn a failed step into
 * one of these codes, and they also leave the precise cause in errno. The
 * numbers are OPAE's where OPAE gave one a meaning its callers rely on (open's
 * 2 = busy). */
#ifndef VFIO_RC_H
#define VFIO_RC_H

enum opae_vfio_rc {
	RC_OK = 0,

	/* opae_vfio_open, opae_vfio_secure_open */
	RC_OPEN_BADARG = 1,    /* NULL, malformed PCI address or VF token (EINVAL) */
	RC_OPEN_BUSY = 2,      /* group cannot be opened, or device already open (EBUSY, EACCES, ENOENT) */
	RC_OPEN_NODEV = 3,     /* no such device, not bound to vfio-pci, no IOMMU group (ENODEV) */
	RC_OPEN_UNVIABLE = 4,  /* another device of the group is bound to a host driver (EPERM) */
	RC_OPEN_CONTAINER = 5, /* API version, no Type1 IOMMU, a container/IOMMU ioctl (kernel errno) */
	RC_OPEN_DEVICE = 6,    /* device fd, info, config, regions, IRQs (kernel errno) */
	RC_OPEN_NOMEM = 7,     /* out of memory (ENOMEM) */

	/* opae_vfio_region_get */
	RC_REGION_BADARG = 1,   /* v NULL or not open (EINVAL) */
	RC_REGION_NOTFOUND = 2, /* no mapped region with that index (ENOENT) */

	/* opae_vfio_buffer_allocate(_ex), opae_vfio_buffer_map */
	RC_BUF_BADARG = 1, /* NULL, not open, unknown flags, unaligned or already mapped memory (EINVAL, EEXIST) */
	RC_BUF_ZERO = 2,   /* size 0 (EINVAL) */
	RC_BUF_MAP = 4,    /* memory, IOVA or IOMMU failure (ENOMEM, ENOSPC, EBUSY, kernel errno) */
	RC_BUF_TRACK = 5,  /* out of memory for the record (ENOMEM) */

	/* opae_vfio_buffer_free, opae_vfio_buffer_unmap */
	RC_FREE_BADARG = 1,   /* v NULL or not open, bad size (EINVAL) */
	RC_FREE_NOTFOUND = 3, /* not a live buffer start / not a mapped range (ENOENT) */
	RC_FREE_UNMAP = 4,    /* the kernel refused or cut short the unmap, or munmap failed */

	/* opae_vfio_irq_enable, _disable, _mask, _unmask */
	RC_IRQ_BADARG = 1,  /* v not open, negative eventfd (EINVAL, EBADF) */
	RC_IRQ_RANGE = 3,   /* subindex >= the index's vector count (EINVAL) */
	RC_IRQ_NOINDEX = 4, /* no such IRQ index, or it cannot signal an eventfd (EINVAL) */
	RC_IRQ_KERNEL = 5,  /* VFIO_DEVICE_SET_IRQS refused (kernel errno) */

	/* opae_vfio_dev_busy */
	RC_BUSY_BADARG = 1, /* malformed PCI address (EINVAL) */
	RC_BUSY = 2,        /* the group cannot be opened: in use, or no access (EBUSY, EACCES, ENOENT) */
	RC_BUSY_NODEV = 3,  /* no such device, not bound to vfio-pci (ENODEV) */

	/* opae_vfio_apply_group_constraint */
	RC_CONSTRAINT_BADARG = 1, /* either device NULL or not open (EINVAL) */
	RC_CONSTRAINT_NOMEM = 2,  /* out of memory (ENOMEM) */
};

#endif
