/* SPDX-License-Identifier: BSD-3-Clause */
/* vfio_priv.h - private state of an open struct opae_vfio and the internal
 * entry points of each module. Every function declared here returns 0 (or a
 * count) or -errno and logs its own failure; only the exported opae_vfio_*
 * functions turn a failure into a return code of rc.h. */
#ifndef VFIO_PRIV_H
#define VFIO_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <opae/vfio.h>

#include "buftab.h"
#include "iova.h"
#include "log.h"
#include "pool.h"

/* The library is built with hidden visibility; only the opae/vfio.h API is
 * exported (and, in libopaevfio.a, every other name is local). */
#define OPAE_VFIO_EXPORT __attribute__((visibility("default")))

#define VFIO_STATE_MAGIC 0x6f766669u /* "ovfi" */

/* The IOVA layout constants; iommu.c draws the picture. */
#define VFIO_IOVA_GUARD            0x10000ull            /* never handed out below */
#define VFIO_IOVA_TOP              0xffffffffffffefffull /* never handed out above */
#define VFIO_DEFAULT_IOVA_LO_END   0xfedfffffull         /* windows assumed without the range */
#define VFIO_DEFAULT_IOVA_HI_START 0xfef00000ull         /* capability (before Linux 5.4): */
#define VFIO_DEFAULT_IOVA_HI_END   0x7fffffffffull       /* x86 below 512 GiB minus MSI */
/* The kernel's default dma_entry_limit, assumed when DMA_AVAIL is absent. */
#define VFIO_DEFAULT_DMA_LIMIT 65535u
/* The smallest page the library maps; a larger smallest IOMMU page wins. */
#define VFIO_PAGE 0x1000ull

/* What open learnt about a region index: region_get's O(1) lookup. */
struct region_desc {
	bool present; /* the kernel reported it (it may still not be mmap-able) */
	struct opae_vfio_device_region *mapped; /* its entry in v->device.regions */
};

/* Per IRQ index bookkeeping beyond the public struct. */
struct irq_state {
	struct opae_vfio_device_irq *pub;
	uint32_t enabled;  /* vectors the kernel has allocated; 0 = index disabled */
	uint32_t attached; /* vectors with a caller's eventfd */
};

struct vfio_state {
	uint32_t magic;
	char name[32];     /* PCI address, for messages */
	bool group_viable; /* group.c: VFIO_GROUP_FLAGS_VIABLE at open */
	/* iommu.c */
	bool type1v2;
	uint64_t map_align; /* granule of every DMA mapping: 4 KiB, or the IOMMU's smallest page */
	uint32_t dma_limit; /* kernel DMA mapping entries we may use */
	uint32_t dma_used;
	uint64_t dma_bytes; /* bytes mapped through iommu_map, not yet unmapped */
	struct iova_space iova;
	/* buffer.c, pin.c */
	struct buftab tab;  /* allocated buffers, keyed by buf_key(user address) */
	struct buftab pins; /* opae_vfio_buffer_map ranges, keyed by pin_key(iova) */
	struct pools pools; /* pool.c: the memory of 4 KiB buffers */
	/* region.c, irq.c */
	struct region_desc *rdesc; /* [device.device_num_regions] */
	struct irq_state *irqs;    /* [nirqs] */
	uint32_t nirqs;
	int park_fd; /* irq.c: eventfd of MSI vectors without a caller's (-1 until needed) */
};

static inline uint64_t buf_key(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* IOVAs are page aligned; bit 0 makes IOVA 0 a valid (non-zero) key. */
static inline uint64_t pin_key(uint64_t iova)
{
	return iova | 1;
}

static inline struct vfio_state *vfio_state_of(struct opae_vfio *v)
{
	struct vfio_state *s = v ? (struct vfio_state *)v->iova_alloc.priv : NULL;

	return s && s->magic == VFIO_STATE_MAGIC ? s : NULL;
}

/* kcall.c: ioctl(fd, req, arg). Returns the ioctl's result (>= 0) or -errno.
 * A failure is logged as "<REQ><context>: <reason>", except an `expected`
 * errno (an answer, not a failure: traced only) or any errno when `expected`
 * is KCALL_CALLER_LOGS. At LIBOPAE_LOG=2 every call is traced with its
 * result. The context format is printf-like; KCALL_NO_CONTEXT for none. */
int kcall_do(const char *dev, int fd, unsigned long req, const char *req_name, void *arg,
             int expected, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define KCALL_CALLER_LOGS (-1)
#define KCALL_NO_CONTEXT  "%s", ""
#define kcall(s, fd, req, arg, ...)                                                                \
	kcall_do((s)->name, (fd), (req), #req, (void *)(uintptr_t)(arg), 0, __VA_ARGS__)
#define kcall_expect(s, fd, req, arg, expected, ...)                                               \
	kcall_do((s)->name, (fd), (req), #req, (void *)(uintptr_t)(arg), (expected), __VA_ARGS__)

/* sysfs.c */
bool sysfs_valid_pciaddr(const char *addr);
bool sysfs_valid_token(const char *token);
/* Check the driver binding and find the group number. */
int sysfs_find_group(const char *addr, int *group);
/* Explain why the group is not viable (best effort) into buf. */
void sysfs_group_unviable_reason(int group, char *buf, size_t len);

/* caps.c: find capability `id` in the chain of an info buffer of `argsz`
 * bytes whose chain starts at `first`. Returns its offset or 0. `min_len` is
 * the size the capability must have to be read. */
uint32_t caps_find(const void *buf, uint32_t argsz, uint32_t hdr_size, uint32_t first, uint16_t id,
                   uint32_t min_len);

/* iommu.c: the container and its type1 IOMMU. */
int iommu_open(struct opae_vfio *v, struct vfio_state *s);  /* container fd, API, type */
int iommu_setup(struct opae_vfio *v, struct vfio_state *s); /* SET_IOMMU, info, IOVA space */
/* VFIO_IOMMU_MAP_DMA (read + write) / VFIO_IOMMU_UNMAP_DMA of exactly one
 * range, counting the container's DMA entries; a short unmap is -EIO. */
/* Map [p, p+len) at iova, device read/write (read only if `read_only`). */
int iommu_map(struct opae_vfio *v, struct vfio_state *s, void *p, uint64_t iova, uint64_t len,
              int read_only);
int iommu_unmap(struct opae_vfio *v, struct vfio_state *s, uint64_t iova, uint64_t len);
/* Unmap every mapping of the container with one VFIO_IOMMU_UNMAP_DMA. */
int iommu_unmap_all(struct opae_vfio *v, struct vfio_state *s);
void iommu_close(struct opae_vfio *v, struct vfio_state *s);

/* group.c: the IOMMU group. */
int group_open(struct opae_vfio *v, struct vfio_state *s, int group); /* open + status */
int group_check_viable(struct vfio_state *s, int group);              /* -EPERM, with the reason */
int group_attach(struct opae_vfio *v, struct vfio_state *s);          /* to the container */
void group_close(struct opae_vfio *v, struct vfio_state *s);

/* device.c: the device fd and its config space. */
int device_open(struct opae_vfio *v, struct vfio_state *s, const char *token);
int device_enable(struct opae_vfio *v, struct vfio_state *s); /* memory + bus master */
void device_close(struct opae_vfio *v, struct vfio_state *s);

/* region.c */
int region_setup_all(struct opae_vfio *v, struct vfio_state *s);
void region_unmap_all(struct opae_vfio *v, struct vfio_state *s);

/* irq.c */
int irq_setup_all(struct opae_vfio *v, struct vfio_state *s);
void irq_teardown_all(struct opae_vfio *v, struct vfio_state *s);

/* buffer.c: unmap and forget the record of `t` under `key` (a buffer, or a
 * pin); with `size`, the record must have that size. The IOMMU goes first:
 * if the kernel refuses or cuts the unmap short, nothing changes. 0,
 * -ENOENT (no such record), -EMSGSIZE (another size), or the failed unmap's
 * or munmap's -errno (never those two). */
int buffer_release(struct opae_vfio *v, struct vfio_state *s, struct buftab *t, uint64_t key,
                   size_t size);
/* The return code of buffer_free / buffer_unmap for buffer_release's answer
 * (or -EBADFD: v not open), with errno set (rc.h). */
int buffer_release_rc(int e);
/* buffer.c: free every buffer's memory and record, and every pin's record
 * (close, after iommu_unmap_all: their IOMMU mappings are already gone or
 * go with the container). */
void buffer_release_all(struct opae_vfio *v, struct vfio_state *s);

/* close.c */
/* Release everything open in v (any partially opened state) and leave it
 * closed; the caller holds no lock. */
void close_teardown(struct opae_vfio *v);
/* Leave v in the closed state: zero, with fds -1. */
void close_reset_fields(struct opae_vfio *v);

#endif
