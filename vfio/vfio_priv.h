/* vfio_priv.h - private state of an open struct opae_vfio and the internal
 * entry points of each module (sysfs, caps, open, region, buffer, irq, close). */
#ifndef VFIO_PRIV_H
#define VFIO_PRIV_H

#include <stdint.h>
#include <stddef.h>

#include <opae/vfio.h>

#include "buftab.h"
#include "iova.h"
#include "log.h"

/* The library is built with hidden visibility; only the opae/vfio.h API is
 * exported when it is linked into a shared object. */
#define OPAE_VFIO_EXPORT __attribute__((visibility("default")))

#define VFIO_STATE_MAGIC 0x6f766669u /* "ovfi" */

/* IOVA below this is never handed out: a device writing to a stray zero or
 * small address faults in the IOMMU instead of corrupting a buffer. */
#define VFIO_IOVA_GUARD 0x10000ull
/* Highest usable IOVA: the last page of the 64-bit space stays unused, so
 * the end of a free range never wraps to 0. */
#define VFIO_IOVA_TOP 0xffffffffffffefffull

/* Used when the kernel reports no IOVA range capability (before Linux 5.4):
 * the x86 layout, everything below 512 GiB except the MSI window. */
#define VFIO_DEFAULT_IOVA_LO_END   0xfedfffffull
#define VFIO_DEFAULT_IOVA_HI_START 0xfef00000ull
#define VFIO_DEFAULT_IOVA_HI_END   0x7fffffffffull

/* The kernel's default dma_entry_limit, assumed when DMA_AVAIL is absent. */
#define VFIO_DEFAULT_DMA_LIMIT 65535u

/* What we learnt about every region index, mappable or not. */
struct region_desc {
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_*; 0 = absent */
	uint64_t size;
	uint64_t offset;
};

/* Per IRQ index bookkeeping beyond the public struct. */
struct irq_state {
	struct opae_vfio_device_irq *pub;
	uint32_t enabled;  /* vectors the kernel has allocated; 0 = index disabled */
	uint32_t attached; /* vectors with an eventfd */
};

struct vfio_state {
	uint32_t magic;
	char name[32]; /* PCI address, for messages */
	int type1v2;
	uint64_t iova_pgsizes;
	uint32_t dma_limit; /* kernel DMA mapping entries we may use */
	uint32_t dma_used;
	struct iova_space iova;
	struct buftab tab;  /* allocated buffers, keyed by user address */
	struct buftab pins; /* opae_vfio_buffer_map ranges, keyed by pin_key(iova) */
	struct region_desc *rdesc; /* [device.device_num_regions] */
	struct irq_state *irqs;    /* [device.device_num_irqs] */
	uint32_t nirqs;
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

/* sysfs.c */
int sysfs_valid_pciaddr(const char *addr);
int sysfs_valid_token(const char *token);
/* Check the driver binding and find the group number. 0 or -errno (logged). */
int sysfs_find_group(const char *addr, int *group);
/* Explain why the group is not viable (best effort) into buf. */
void sysfs_group_unviable_reason(int group, char *buf, size_t len);

/* caps.c */
/* Query VFIO_IOMMU_GET_INFO and fill ranges, pgsizes and DMA limit. */
int caps_iommu_info(struct opae_vfio *v, struct vfio_state *s);
/* Find capability `id` in the chain of an info buffer of `argsz` bytes whose
 * chain starts at `first`. Returns its offset or 0. `min_len` is the size the
 * capability must have to be read. */
uint32_t caps_find(const void *buf, uint32_t argsz, uint32_t hdr_size, uint32_t first, uint16_t id,
                   uint32_t min_len);

/* region.c */
int region_setup_all(struct opae_vfio *v, struct vfio_state *s);
void region_unmap_all(struct opae_vfio *v);

/* irq.c */
int irq_setup_all(struct opae_vfio *v, struct vfio_state *s);
void irq_teardown_all(struct opae_vfio *v, struct vfio_state *s);

/* iommu.c */
/* VFIO_IOMMU_MAP_DMA (read + write) / VFIO_IOMMU_UNMAP_DMA of one range,
 * counting the container's DMA entries. 0 or -errno (logged). */
int iommu_map(struct opae_vfio *v, struct vfio_state *s, void *p, uint64_t iova, uint64_t len);
int iommu_unmap(struct opae_vfio *v, struct vfio_state *s, uint64_t iova, uint64_t len);

/* buffer.c */
/* Unmap and free one buffer; 0 or -errno (record freed regardless when
 * `force`). */
int buffer_destroy(struct opae_vfio *v, struct vfio_state *s, struct buf_rec *b, int force);

/* close.c */
/* Release everything open in v (any partially opened state) and leave it
 * closed; the caller holds no lock. */
void close_teardown(struct opae_vfio *v);
/* Leave v in the closed state: zero, with fds -1. */
void close_reset_fields(struct opae_vfio *v);

#endif
