/* iommu.c - the container and its type1 IOMMU, end to end: open and type
 * selection, the kernel's facts (IOVA windows, page sizes, DMA entries), the
 * IOVA space the library hands out, DMA map/unmap with entry accounting, and
 * teardown. buffer.c and pin.c are its clients; a cdev/iommufd backend would
 * replace this file and nothing else.
 *
 * The IOVA space of one container:
 *
 *   0x0 ───────────────┐
 *                      │ guard (VFIO_IOVA_GUARD, 64 KiB): never handed out, so
 *   0x10000 ───────────┤ a device writing to a stray 0 faults in the IOMMU
 *                      │ buffers, lowest address first (narrow-DMA devices
 *                      │ such as edu, 28 bits, get low IOVAs); 4 KiB buffers
 *                      │ page aligned, huge-page buffers aligned to their page
 *                      │ (2 MiB, 1 GiB) so the IOMMU can map them with large
 *                      │ pages; pins (buffer_map) wherever the caller asks,
 *                      │ reserved like buffers
 *   0xfee00000 ────────┤ x86 MSI window: a hole the kernel leaves out of its
 *   0xfef00000 ────────┤ windows (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
 *                      │ more buffers
 *   end of the windows ┘ (aw-bits), at most VFIO_IOVA_TOP: the last page of
 *                        the 64-bit space is never used, so no range wraps
 *
 * Without the range capability (kernels before 5.4) the windows are the
 * defaults [0, 0xfedfffff] + [0xfef00000, 0x7fffffffff].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc.h"
#include "vfio_priv.h"

/* The container ioctls take integers, not pointers. */
#define IOMMU_TYPE(s) ((s)->type1v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU)

int iommu_open(struct opae_vfio *v, struct vfio_state *s)
{
	int r;

	v->cont_fd = open(v->cont_device, O_RDWR | O_CLOEXEC);
	if (v->cont_fd < 0) {
		r = errno;
		log_err(s->name, r, "open %s%s", v->cont_device,
		        r == ENOENT ? " (is the vfio module loaded?)" : "");
		return -r;
	}
	r = kcall(s, v->cont_fd, VFIO_GET_API_VERSION, 0, KCALL_NO_CONTEXT);
	if (r < 0)
		return r;
	if (r != VFIO_API_VERSION) {
		log_err(s->name, EPROTO, "VFIO_GET_API_VERSION: %d, want %d", r, VFIO_API_VERSION);
		return -EPROTO;
	}
	r = kcall(s, v->cont_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU, " (Type1v2)");
	if (r < 0)
		return r;
	s->type1v2 = r > 0;
	if (s->type1v2)
		return 0;
	r = kcall(s, v->cont_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU, " (Type1)");
	if (r < 0)
		return r;
	if (r == 0) {
		log_err(s->name, ENOTSUP, "VFIO_CHECK_EXTENSION: the kernel offers no Type1 IOMMU");
		return -ENOTSUP;
	}
	return 0;
}

static int add_window(struct opae_vfio *v, uint64_t start, uint64_t end)
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

static int windows_from_cap(struct opae_vfio *v, const uint8_t *buf, uint32_t argsz, uint32_t off)
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
		r = add_window(v, ir.start, ir.end);
		if (r)
			return r;
	}
	return 0;
}

/* VFIO_IOMMU_GET_INFO with its capability chain (walked with caps_find's
 * bounds): IOVA windows, the smallest IOMMU page, DMA entries available. */
static int iommu_info(struct opae_vfio *v, struct vfio_state *s)
{
	struct vfio_iommu_type1_info hdr = {.argsz = sizeof(hdr)};
	struct vfio_iommu_type1_info *info;
	uint64_t pgsizes;
	uint32_t argsz, off;
	int r;

	r = kcall(s, v->cont_fd, VFIO_IOMMU_GET_INFO, &hdr, KCALL_NO_CONTEXT);
	if (r < 0)
		return r;
	pgsizes = (hdr.flags & VFIO_IOMMU_INFO_PGSIZES) ? hdr.iova_pgsizes : 0;
	/* the smallest IOMMU page is the mapping granule (OPAE assumed 4 KiB) */
	s->map_align = pgsizes & -pgsizes;
	if (s->map_align < VFIO_PAGE)
		s->map_align = VFIO_PAGE;
	s->dma_limit = VFIO_DEFAULT_DMA_LIMIT;
	argsz = hdr.argsz;
	if (!(hdr.flags & VFIO_IOMMU_INFO_CAPS) || argsz <= sizeof(hdr) || argsz > (1u << 20))
		return 0;
	info = calloc(1, argsz);
	if (!info) {
		log_err(s->name, ENOMEM, "VFIO_IOMMU_GET_INFO (%u bytes)", argsz);
		return -ENOMEM;
	}
	info->argsz = argsz;
	r = kcall(s, v->cont_fd, VFIO_IOMMU_GET_INFO, info, " (capabilities)");
	if (r < 0)
		goto out;
	/* the kernel may report a larger need than it filled; never read past
	 * what we gave it */
	if (info->argsz < argsz)
		argsz = info->argsz;
	off = caps_find(info, argsz, sizeof(hdr), info->cap_offset,
	                VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
	                sizeof(struct vfio_iommu_type1_info_cap_iova_range));
	if (off) {
		r = windows_from_cap(v, (const uint8_t *)info, argsz, off);
		if (r) {
			log_err(s->name, -r, "VFIO_IOMMU_GET_INFO: malformed IOVA range capability");
			goto out;
		}
	}
	off = caps_find(info, argsz, sizeof(hdr), info->cap_offset, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
	                sizeof(struct vfio_iommu_type1_info_dma_avail));
	if (off) {
		struct vfio_iommu_type1_info_dma_avail da;

		memcpy(&da, (const uint8_t *)info + off, sizeof(da));
		s->dma_limit = da.avail;
	}
	r = 0;
out:
	free(info);
	return r;
}

/* The IOVA space: the windows (the defaults without the capability), the top
 * page and the guard taken out. */
static int iova_space_setup(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_iova_range *w;
	int e;

	if (!v->cont_ranges) {
		log_debug(s->name,
		          "no IOVA range capability: using the default windows "
		          "[0, 0x%llx] + [0x%llx, 0x%llx]",
		          VFIO_DEFAULT_IOVA_LO_END, VFIO_DEFAULT_IOVA_HI_START,
		          VFIO_DEFAULT_IOVA_HI_END);
		e = add_window(v, 0, VFIO_DEFAULT_IOVA_LO_END);
		if (!e)
			e = add_window(v, VFIO_DEFAULT_IOVA_HI_START, VFIO_DEFAULT_IOVA_HI_END);
		if (e) {
			log_err(s->name, -e, "IOVA window list");
			return e;
		}
	}
	for (w = v->cont_ranges; w; w = w->next) {
		uint64_t end = w->end > VFIO_IOVA_TOP ? VFIO_IOVA_TOP : w->end;

		if (w->start > end)
			continue;
		e = iova_add_free(&s->iova, w->start, end - w->start + 1);
		if (e == -ENOMEM)
			return e;
		if (e)
			log_info(s->name, "IOVA window [0x%llx, 0x%llx] overlaps another, ignored",
			         (unsigned long long)w->start, (unsigned long long)w->end);
	}
	return iova_carve(&s->iova, 0, VFIO_IOVA_GUARD - 1);
}

int iommu_setup(struct opae_vfio *v, struct vfio_state *s)
{
	int e = kcall(s, v->cont_fd, VFIO_SET_IOMMU, IOMMU_TYPE(s), " (%s)",
	              s->type1v2 ? "Type1v2" : "Type1");

	if (!e)
		e = iommu_info(v, s);
	if (!e)
		e = iova_space_setup(v, s);
	if (!e)
		log_debug(s->name, "IOMMU: %s, mapping granule 0x%llx, %u DMA mappings available",
		          s->type1v2 ? "Type1v2" : "Type1", (unsigned long long)s->map_align,
		          s->dma_limit);
	return e < 0 ? e : 0;
}

int iommu_map(struct opae_vfio *v, struct vfio_state *s, void *p, uint64_t iova, uint64_t len,
              int read_only)
{
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m),
	    .flags = VFIO_DMA_MAP_FLAG_READ | (read_only ? 0 : VFIO_DMA_MAP_FLAG_WRITE),
	    .vaddr = (uint64_t)(uintptr_t)p,
	    .iova = iova,
	    .size = len,
	};
	char a[32];
	int e;

	if (s->dma_used >= s->dma_limit) {
		/* the kernel would say ENOSPC too, after pinning the pages */
		log_err(s->name, ENOSPC,
		        "VFIO_IOMMU_MAP_DMA: all %u DMA mapping entries of the container are in use",
		        s->dma_limit);
		return -ENOSPC;
	}
	e = kcall(s, v->cont_fd, VFIO_IOMMU_MAP_DMA, &m, " (iova 0x%llx, %s)",
	          (unsigned long long)iova, log_size(len, a, sizeof(a)));
	if (e < 0)
		return e;
	s->dma_used++;
	s->dma_bytes += len;
	return 0;
}

int iommu_unmap(struct opae_vfio *v, struct vfio_state *s, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = len};
	char a[32], b[32];
	int e;

	e = kcall(s, v->cont_fd, VFIO_IOMMU_UNMAP_DMA, &u, " (iova 0x%llx, %s)",
	          (unsigned long long)iova, log_size(len, a, sizeof(a)));
	if (e < 0)
		return e;
	if (u.size != len) {
		/* the kernel reports what it really unmapped: anything else means
		 * our records and the IOMMU disagree, and the IOVA is not reusable */
		log_err(s->name, EIO, "VFIO_IOMMU_UNMAP_DMA (iova 0x%llx, %s): the kernel unmapped %s",
		        (unsigned long long)iova, log_size(len, a, sizeof(a)),
		        log_size(u.size, b, sizeof(b)));
		return -EIO;
	}
	s->dma_used--;
	s->dma_bytes -= len;
	return 0;
}

/* One UNMAP_DMA over the whole IOVA space drops every mapping in it (type1,
 * v1 and v2 alike: no mapping straddles either end), instead of one kernel
 * call, and one IOTLB flush, per buffer. */
int iommu_unmap_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u)};
	struct opae_vfio_iova_range *w;
	uint64_t lo = UINT64_MAX, hi = 0;
	char a[32], b[32];
	int e;

	if (!s->dma_used)
		return 0;
	for (w = v->cont_ranges; w; w = w->next) {
		lo = w->start < lo ? w->start : lo;
		hi = w->end > hi ? w->end : hi;
	}
	if (hi > VFIO_IOVA_TOP)
		hi = VFIO_IOVA_TOP;
	u.iova = lo & ~(s->map_align - 1);
	u.size = hi - u.iova + 1;
	e = kcall(s, v->cont_fd, VFIO_IOMMU_UNMAP_DMA, &u, " (all of [0x%llx, 0x%llx])",
	          (unsigned long long)u.iova, (unsigned long long)hi);
	if (e < 0)
		return e;
	if (u.size != s->dma_bytes) {
		log_err(s->name, EIO, "VFIO_IOMMU_UNMAP_DMA (all): the kernel unmapped %s of %s",
		        log_size(u.size, a, sizeof(a)), log_size(s->dma_bytes, b, sizeof(b)));
		return -EIO;
	}
	s->dma_used = 0;
	s->dma_bytes = 0;
	return 0;
}

void iommu_close(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_iova_range *r;

	/* closing the container drops whatever is still mapped in it */
	if (v->cont_fd >= 0 && close(v->cont_fd))
		log_err(s->name, errno, "close of the container fd");
	v->cont_fd = -1;
	while ((r = v->cont_ranges)) {
		v->cont_ranges = r->next;
		free(r);
	}
	iova_destroy(&s->iova);
}

OPAE_VFIO_EXPORT int opae_vfio_apply_group_constraint(struct opae_vfio *new_v, struct opae_vfio *v)
{
	struct vfio_state *src = vfio_state_of(new_v), *dst = vfio_state_of(v);
	struct iova_range_list keep;
	int e;

	if (!src || !dst) {
		log_err(dst ? dst->name : "-", EINVAL, "apply_group_constraint: %s is not open",
		        !dst ? "the device to constrain" : "the constraining device");
		errno = EINVAL;
		return RC_CONSTRAINT_BADARG;
	}
	if (src == dst)
		return RC_OK; /* a space is always within itself */
	/* snapshot the source under its own lock: never two locks at once */
	pthread_mutex_lock(&new_v->lock);
	e = iova_free_ranges(&src->iova, &keep);
	pthread_mutex_unlock(&new_v->lock);
	if (!e) {
		pthread_mutex_lock(&v->lock);
		e = iova_intersect(&dst->iova, &keep);
		pthread_mutex_unlock(&v->lock);
		free(keep.r);
	}
	if (e) {
		log_err(dst->name, -e, "apply_group_constraint: IOVA space of %s", src->name);
		errno = -e;
		return RC_CONSTRAINT_NOMEM;
	}
	log_debug(dst->name, "IOVA space constrained to what is free in %s", src->name);
	return RC_OK;
}
