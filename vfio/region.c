/* region.c - the device's regions: query every index, map the mmap-able ones
 * (whole, or area by area when the kernel lists sparse mmap areas), and look
 * them up. Regions are immutable after open, so lookups take no lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rc.h"
#include "vfio_priv.h"

/* Region info with its capability chain (caller frees *out). 0, -errno;
 * -EINVAL (the kernel's answer for an index the device lacks) unlogged. */
static int region_query(struct opae_vfio *v, struct vfio_state *s, uint32_t index,
                        struct vfio_region_info **out)
{
	struct vfio_region_info hdr = {.argsz = sizeof(hdr), .index = index};
	struct vfio_region_info *ri;
	uint32_t argsz;
	int e;

	e = kcall_expect(s, v->device.device_fd, VFIO_DEVICE_GET_REGION_INFO, &hdr, EINVAL,
	                 " (region %u)", index);
	if (e < 0)
		return e;
	argsz = sizeof(hdr);
	if ((hdr.flags & VFIO_REGION_INFO_FLAG_CAPS) && hdr.argsz > sizeof(hdr) &&
	    hdr.argsz <= (1u << 20))
		argsz = hdr.argsz;
	ri = calloc(1, argsz);
	if (!ri) {
		log_err(s->name, ENOMEM, "region %u info", index);
		return -ENOMEM;
	}
	if (argsz == sizeof(hdr)) {
		*ri = hdr;
	} else {
		ri->argsz = argsz;
		ri->index = index;
		e = kcall(s, v->device.device_fd, VFIO_DEVICE_GET_REGION_INFO, ri,
		          " (region %u, capabilities)", index);
		if (e < 0) {
			free(ri);
			return e;
		}
		if (ri->argsz < argsz) /* never read past what the kernel filled */
			argsz = ri->argsz;
		ri->argsz = argsz;
	}
	*out = ri;
	return 0;
}

static struct vfio_region_sparse_mmap_area *sparse_areas(struct vfio_region_info *ri, uint32_t *n)
{
	struct vfio_region_info_cap_sparse_mmap cap;
	uint32_t off;

	*n = 0;
	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	/* walk the whole chain: the sparse cap need not come first */
	off = caps_find(ri, ri->argsz, sizeof(*ri), ri->cap_offset,
	                VFIO_REGION_INFO_CAP_SPARSE_MMAP, sizeof(cap));
	if (!off)
		return NULL;
	memcpy(&cap, (uint8_t *)ri + off, sizeof(cap));
	if ((uint64_t)cap.nr_areas * sizeof(struct vfio_region_sparse_mmap_area) >
	    ri->argsz - off - sizeof(cap))
		return NULL;
	*n = cap.nr_areas;
	return (struct vfio_region_sparse_mmap_area *)((uint8_t *)ri + off + sizeof(cap));
}

static void region_free(struct opae_vfio_device_region *r)
{
	struct opae_vfio_sparse_info *si = r->region_sparse;

	while (si) {
		struct opae_vfio_sparse_info *next = si->next;

		free(si);
		si = next;
	}
	free(r);
}

/* munmap of a whole mapping of ours cannot fail for a transient reason (a
 * second try would fail the same way): a failure is reported, once. */
static void unmap_region(const char *dev, void *p, size_t len)
{
	if (munmap(p, len))
		log_err(dev, errno, "munmap of region mapping %p (+0x%zx)", p, len);
}

static int region_map_sparse(struct opae_vfio *v, struct vfio_state *s,
                             struct opae_vfio_device_region *r, const struct vfio_region_info *ri,
                             struct vfio_region_sparse_mmap_area *a, uint32_t n)
{
	struct opae_vfio_sparse_info **tail = &r->region_sparse;
	uint32_t i, ord = 0;
	uint8_t *base;

	/* Reserve the whole region inaccessible, so an access outside the
	 * mmap-able areas faults instead of reading anonymous zeroes. */
	base = mmap(NULL, ri->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		int e = errno;

		log_err(s->name, e, "region %u: reserving 0x%llx bytes", ri->index,
		        (unsigned long long)ri->size);
		return -e;
	}
	r->region_ptr = base;
	for (i = 0; i < n; i++) {
		struct opae_vfio_sparse_info *si;
		void *p;

		if (!a[i].size)
			continue; /* zero-size areas are never mapped nor listed */
		if (a[i].offset > ri->size || a[i].size > ri->size - a[i].offset ||
		    a[i].offset > UINT32_MAX || a[i].size > UINT32_MAX) {
			log_info(
			    s->name,
			    "region %u: sparse area %u (0x%llx+0x%llx) outside the region, skipped",
			    ri->index, i, (unsigned long long)a[i].offset,
			    (unsigned long long)a[i].size);
			continue;
		}
		si = calloc(1, sizeof(*si));
		if (!si) {
			log_err(s->name, ENOMEM, "region %u: sparse area list", ri->index);
			return -ENOMEM;
		}
		p = mmap(base + a[i].offset, a[i].size, PROT_READ | PROT_WRITE,
		         MAP_SHARED | MAP_FIXED, v->device.device_fd,
		         (off_t)(ri->offset + a[i].offset));
		if (p == MAP_FAILED) {
			int e = errno;

			free(si);
			log_err(s->name, e, "mmap of region %u sparse area %u (0x%llx+0x%llx)",
			         ri->index, i, (unsigned long long)a[i].offset,
			         (unsigned long long)a[i].size);
			return -e;
		}
		si->index = ord++;
		si->offset = (uint32_t)a[i].offset;
		si->size = (uint32_t)a[i].size;
		si->ptr = p;
		*tail = si;
		tail = &si->next;
	}
	return 0;
}

static int region_map_one(struct opae_vfio *v, struct vfio_state *s, struct vfio_region_info *ri,
                          struct opae_vfio_device_region **out)
{
	struct opae_vfio_device_region *r = calloc(1, sizeof(*r));
	struct vfio_region_sparse_mmap_area *areas;
	uint32_t n;
	int e;

	if (!r) {
		log_err(s->name, ENOMEM, "region %u", ri->index);
		return -ENOMEM;
	}
	r->region_index = ri->index;
	r->region_size = ri->size;
	areas = sparse_areas(ri, &n);
	if (areas) {
		e = region_map_sparse(v, s, r, ri, areas, n);
		if (e) {
			struct opae_vfio_sparse_info *si;

			for (si = r->region_sparse; si; si = si->next)
				unmap_region(s->name, si->ptr, si->size);
			if (r->region_ptr)
				unmap_region(s->name, r->region_ptr, r->region_size);
			region_free(r);
			return e;
		}
	} else {
		void *p = mmap(NULL, ri->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		               v->device.device_fd, (off_t)ri->offset);

		if (p == MAP_FAILED) {
			e = errno;
			log_err(s->name, e, "mmap of region %u (0x%llx bytes)", ri->index,
			         (unsigned long long)ri->size);
			free(r);
			return -e;
		}
		r->region_ptr = p;
	}
	*out = r;
	return 0;
}

int region_setup_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_device_region **tail = &v->device.regions;
	uint32_t i;

	s->rdesc = calloc(v->device.device_num_regions ? v->device.device_num_regions : 1,
	                  sizeof(*s->rdesc));
	if (!s->rdesc) {
		log_err(s->name, ENOMEM, "region table");
		return -ENOMEM;
	}
	for (i = 0; i < v->device.device_num_regions; i++) {
		struct opae_vfio_device_region *r = NULL;
		struct vfio_region_info *ri = NULL;
		int e = region_query(v, s, i, &ri);

		if (e == -EINVAL) {
			/* vfio-pci refuses indexes the device lacks (e.g. VGA) */
			log_debug(s->name, "region %u: not present", i);
			continue;
		}
		if (e)
			return e;
		s->rdesc[i].present = true;
		if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri->size) {
			log_debug(s->name, "region %u: 0x%llx bytes, not mmap-able, recorded only",
			           i, (unsigned long long)ri->size);
			free(ri);
			continue;
		}
		e = region_map_one(v, s, ri, &r);
		free(ri);
		if (e)
			return e;
		s->rdesc[i].mapped = r;
		*tail = r;
		tail = &r->next;
	}
	return 0;
}

void region_unmap_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_device_region *r = v->device.regions;
	const char *dev = s->name;

	while (r) {
		struct opae_vfio_device_region *next = r->next;
		struct opae_vfio_sparse_info *si;

		for (si = r->region_sparse; si; si = si->next)
			unmap_region(dev, si->ptr, si->size);
		if (r->region_ptr)
			unmap_region(dev, r->region_ptr, r->region_size);
		region_free(r);
		r = next;
	}
	v->device.regions = NULL;
}

OPAE_VFIO_EXPORT int opae_vfio_region_get(struct opae_vfio *v, uint32_t index, uint8_t **ptr,
                                          size_t *size)
{
	struct opae_vfio_device_region *r;
	struct vfio_state *s = vfio_state_of(v);

	if (!s) {
		errno = EINVAL;
		return RC_REGION_BADARG;
	}
	r = index < v->device.device_num_regions ? s->rdesc[index].mapped : NULL;
	if (r) {
		if (ptr)
			*ptr = r->region_ptr;
		if (size)
			*size = r->region_size;
		return RC_OK;
	}
	if (index < v->device.device_num_regions && s->rdesc[index].present)
		log_info(s->name, "region_get: region %u exists but is not mmap-able", index);
	else
		log_info(s->name, "region_get: no region %u", index);
	errno = ENOENT;
	return RC_REGION_NOTFOUND;
}
