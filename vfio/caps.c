/* caps.c - VFIO capability chains: a bounded walk shared by the IOMMU info
 * and region info queries, and the IOMMU facts the core needs (IOVA windows,
 * page sizes, DMA entry limit). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfio_priv.h"

/* The kernel chains a handful of capabilities; more steps than this means a
 * loop or garbage. */
#define CAPS_MAX_STEPS 64

uint32_t caps_find(const void *buf, uint32_t argsz, uint32_t hdr_size, uint32_t first, uint16_t id,
                   uint32_t min_len)
{
	const uint8_t *b = buf;
	uint32_t off = first;
	int steps;

	for (steps = 0; off && steps < CAPS_MAX_STEPS; steps++) {
		struct vfio_info_cap_header h;

		/* a capability lives after the fixed info struct, whole */
		if (off < hdr_size || off > argsz || argsz - off < sizeof(h))
			return 0;
		memcpy(&h, b + off, sizeof(h));
		if (h.id == id)
			return argsz - off >= min_len ? off : 0;
		if (h.next == off)
			return 0;
		off = h.next;
	}
	return 0;
}

static int add_range(struct opae_vfio *v, uint64_t start, uint64_t end)
{
	struct opae_vfio_iova_range *r = calloc(1, sizeof(*r)), **pp = &v->cont_ranges;

	if (!r)
		return -ENOMEM;
	r->start = start;
	r->end = end;
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
	return 0;
}

static int ranges_from_cap(struct opae_vfio *v, const uint8_t *buf, uint32_t argsz, uint32_t off)
{
	struct vfio_iommu_type1_info_cap_iova_range cap;
	uint32_t i;
	int r;

	memcpy(&cap, buf + off, sizeof(cap));
	if (cap.nr_iovas == 0 ||
	    (uint64_t)cap.nr_iovas * sizeof(struct vfio_iova_range) > argsz - off - sizeof(cap))
		return -EINVAL;
	for (i = 0; i < cap.nr_iovas; i++) {
		struct vfio_iova_range ir;

		memcpy(&ir, buf + off + sizeof(cap) + i * sizeof(ir), sizeof(ir));
		if (ir.end < ir.start)
			return -EINVAL;
		r = add_range(v, ir.start, ir.end);
		if (r)
			return r;
	}
	return 0;
}

int caps_iommu_info(struct opae_vfio *v, struct vfio_state *s)
{
	struct vfio_iommu_type1_info hdr = {.argsz = sizeof(hdr)};
	uint8_t *buf = NULL;
	uint32_t argsz, off;
	int r = 0;

	if (ioctl(v->cont_fd, VFIO_IOMMU_GET_INFO, &hdr)) {
		r = -errno;
		vlog_err(s->name, -r, "VFIO_IOMMU_GET_INFO");
		return r;
	}
	s->iova_pgsizes = (hdr.flags & VFIO_IOMMU_INFO_PGSIZES) ? hdr.iova_pgsizes : 4096;
	s->dma_limit = VFIO_DEFAULT_DMA_LIMIT;
	argsz = hdr.argsz;
	if ((hdr.flags & VFIO_IOMMU_INFO_CAPS) && argsz > sizeof(hdr) && argsz <= (1u << 20)) {
		buf = calloc(1, argsz);
		if (!buf) {
			vlog_err(s->name, ENOMEM, "VFIO_IOMMU_GET_INFO (%u bytes)", argsz);
			return -ENOMEM;
		}
		((struct vfio_iommu_type1_info *)buf)->argsz = argsz;
		if (ioctl(v->cont_fd, VFIO_IOMMU_GET_INFO, buf)) {
			r = -errno;
			vlog_err(s->name, -r, "VFIO_IOMMU_GET_INFO (capabilities)");
			goto out;
		}
		/* the kernel may report a larger need than it filled; never read past
		 * what we gave it */
		if (((struct vfio_iommu_type1_info *)buf)->argsz < argsz)
			argsz = ((struct vfio_iommu_type1_info *)buf)->argsz;
		off = caps_find(buf, argsz, sizeof(hdr),
		                ((struct vfio_iommu_type1_info *)buf)->cap_offset,
		                VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
		                sizeof(struct vfio_iommu_type1_info_cap_iova_range));
		if (off) {
			r = ranges_from_cap(v, buf, argsz, off);
			if (r) {
				vlog_err(s->name, -r,
				         "VFIO_IOMMU_GET_INFO: malformed IOVA range capability");
				goto out;
			}
		}
		off = caps_find(buf, argsz, sizeof(hdr),
		                ((struct vfio_iommu_type1_info *)buf)->cap_offset,
		                VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		                sizeof(struct vfio_iommu_type1_info_dma_avail));
		if (off) {
			struct vfio_iommu_type1_info_dma_avail da;

			memcpy(&da, buf + off, sizeof(da));
			s->dma_limit = da.avail;
		}
	}
	if (!v->cont_ranges) {
		vlog_debug(s->name,
		           "no IOVA range capability: using the default window "
		           "[0, 0x%llx] + [0x%llx, 0x%llx]",
		           VFIO_DEFAULT_IOVA_LO_END, VFIO_DEFAULT_IOVA_HI_START,
		           VFIO_DEFAULT_IOVA_HI_END);
		r = add_range(v, 0, VFIO_DEFAULT_IOVA_LO_END);
		if (!r)
			r = add_range(v, VFIO_DEFAULT_IOVA_HI_START, VFIO_DEFAULT_IOVA_HI_END);
		if (r) {
			vlog_err(s->name, -r, "IOVA window list");
			goto out;
		}
	}
	vlog_debug(s->name, "IOMMU: page sizes 0x%llx, %u DMA mappings available",
	           (unsigned long long)s->iova_pgsizes, s->dma_limit);
out:
	free(buf);
	return r;
}
