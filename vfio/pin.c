/* pin.c - what OPAE 2.12+ adds for multi-port AFUs: one IOVA valid in several
 * containers (opae_vfio_apply_group_constraint) and caller-chosen IOVA
 * mappings of caller memory (opae_vfio_buffer_map/unmap). Unlike OPAE's, a
 * pinned range is tracked: its IOVA is reserved in the device's IOVA space
 * (allocations never collide with it), unmap only accepts a range map made,
 * and close releases what is left. */
#include <errno.h>
#include <stdlib.h>

#include "rc.h"
#include "vfio_priv.h"

#define PIN_ALIGN 0x1000ull

OPAE_VFIO_EXPORT int opae_vfio_apply_group_constraint(struct opae_vfio *new_v, struct opae_vfio *v)
{
	struct vfio_state *src = vfio_state_of(new_v), *dst = vfio_state_of(v);
	struct iova_range_list keep;
	int e;

	if (!src || !dst) {
		vlog_err(dst ? dst->name : "-", EINVAL, "apply_group_constraint: %s is not open",
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
		vlog_err(dst->name, -e, "apply_group_constraint: IOVA space of %s", src->name);
		errno = -e;
		return RC_CONSTRAINT_NOMEM;
	}
	vlog_debug(dst->name, "IOVA space constrained to what is free in %s", src->name);
	return RC_OK;
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_map(struct opae_vfio *v, size_t size, uint8_t *buf,
                                          uint64_t iova)
{
	struct vfio_state *s = vfio_state_of(v);
	struct buf_rec *b;
	char a[32];
	int e;

	if (!s || !buf || ((uintptr_t)buf | size | iova) & (PIN_ALIGN - 1) ||
	    (size && iova + size - 1 < iova)) {
		vlog_err(s ? s->name : "-", EINVAL, "buffer_map: %s",
		         !s     ? "device not open"
		         : !buf ? "buffer is NULL"
		                : "buffer, size and IOVA must be page aligned and the range must "
		                  "not wrap");
		errno = EINVAL;
		return RC_BUF_BADARG;
	}
	if (!size) {
		vlog_err(s->name, EINVAL, "buffer_map: size 0");
		errno = EINVAL;
		return RC_BUF_ZERO;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return RC_BUF_TRACK;
	}
	b->pub.buffer_ptr = buf;
	b->pub.buffer_size = size;
	b->pub.buffer_iova = iova;
	b->pub.flags = OPAE_VFIO_BUF_PREALLOCATED; /* the caller's memory, never ours */
	b->map_len = size;
	b->page_size = PIN_ALIGN;
	b->iova_len = size;

	pthread_mutex_lock(&v->lock);
	e = iova_reserve_at(&s->iova, iova, size);
	if (e) {
		vlog_err(s->name, -e,
		         "buffer_map: IOVA 0x%llx + %s is not free IOVA space of this device "
		         "(outside its windows, in the guard below 0x%llx, or in use)",
		         (unsigned long long)iova, log_size(size, a, sizeof(a)), VFIO_IOVA_GUARD);
		goto out;
	}
	e = iommu_map(v, s, buf, iova, size);
	if (e)
		goto out_iova;
	e = buftab_insert(&s->pins, pin_key(iova), b);
	if (!e) {
		pthread_mutex_unlock(&v->lock);
		return RC_OK;
	}
	iommu_unmap(v, s, iova, size);
out_iova:
	iova_release(&s->iova, iova, size);
out:
	pthread_mutex_unlock(&v->lock);
	free(b);
	errno = -e;
	return e == -ENOMEM ? RC_BUF_TRACK : RC_BUF_MAP;
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_unmap(struct opae_vfio *v, size_t size, uint64_t iova)
{
	struct vfio_state *s = vfio_state_of(v);
	struct buf_rec *b;
	char a[32];
	int e;

	if (!s) {
		errno = EINVAL;
		return RC_FREE_BADARG;
	}
	pthread_mutex_lock(&v->lock);
	b = buftab_find(&s->pins, pin_key(iova));
	if (!b || b->pub.buffer_iova != iova) {
		pthread_mutex_unlock(&v->lock);
		vlog_err(s->name, ENOENT, "buffer_unmap: nothing was mapped at IOVA 0x%llx",
		         (unsigned long long)iova);
		errno = ENOENT;
		return RC_FREE_NOTFOUND;
	}
	if (b->pub.buffer_size != size) {
		pthread_mutex_unlock(&v->lock);
		vlog_err(s->name, EINVAL, "buffer_unmap: IOVA 0x%llx was mapped with %s, not %zu bytes",
		         (unsigned long long)iova, log_size(b->pub.buffer_size, a, sizeof(a)), size);
		errno = EINVAL;
		return RC_FREE_BADARG;
	}
	/* unmap first: if the kernel refuses, the range stays mapped and tracked */
	e = iommu_unmap(v, s, iova, size);
	if (!e) {
		buftab_remove(&s->pins, pin_key(iova));
		iova_release(&s->iova, iova, size);
	}
	pthread_mutex_unlock(&v->lock);
	if (e) {
		errno = -e;
		return RC_FREE_UNMAP;
	}
	free(b);
	return RC_OK;
}
