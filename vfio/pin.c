/* pin.c - caller memory mapped at a caller-chosen IOVA (OPAE 2.12+'s
 * opae_vfio_buffer_map/unmap, for the IOVA a parent AFU's buffer has in a
 * child's container; see also opae_vfio_apply_group_constraint in iommu.c).
 * Unlike OPAE's, a pinned range is tracked: its IOVA is reserved in the
 * device's IOVA space (allocations never collide with it), unmap only accepts
 * a range map made, and close releases what is left. */
#include <errno.h>
#include <stdlib.h>

#include "rc.h"
#include "vfio_priv.h"

OPAE_VFIO_EXPORT int opae_vfio_buffer_map(struct opae_vfio *v, size_t size, uint8_t *buf,
                                          uint64_t iova)
{
	struct vfio_state *s = vfio_state_of(v);
	struct buf_rec *b;
	char a[32];
	int e;

	if (!s || !buf || ((uintptr_t)buf | size | iova) & (s->map_align - 1) ||
	    (size && iova + size - 1 < iova)) {
		log_err(s ? s->name : "-", EINVAL, "buffer_map: %s",
		        !s     ? "device not open"
		        : !buf ? "buffer is NULL"
		               : "buffer, size and IOVA must be page aligned and the range must "
		                 "not wrap");
		errno = EINVAL;
		return RC_BUF_BADARG;
	}
	if (!size) {
		log_err(s->name, EINVAL, "buffer_map: size 0");
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
	b->page_size = s->map_align;
	b->iova_len = size;

	pthread_mutex_lock(&v->lock);
	e = iova_reserve_at(&s->iova, iova, size);
	if (e) {
		log_err(s->name, -e,
		         "buffer_map: IOVA 0x%llx + %s is not free IOVA space of this device "
		         "(outside its windows, in the guard below 0x%llx, or in use)",
		         (unsigned long long)iova, log_size(size, a, sizeof(a)), VFIO_IOVA_GUARD);
		goto out;
	}
	e = iommu_map(v, s, buf, iova, size, 0);
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
	int e;

	if (!s)
		return buffer_release_rc(-EBADFD);
	if (!size) {
		log_err(s->name, EINVAL, "buffer_unmap: size 0");
		return buffer_release_rc(-EMSGSIZE); /* a size error, as a wrong size */
	}
	e = buffer_release(v, s, &s->pins, pin_key(iova), size);
	if (e == -ENOENT)
		log_err(s->name, ENOENT, "buffer_unmap: nothing was mapped at IOVA 0x%llx",
		        (unsigned long long)iova);
	return buffer_release_rc(e);
}
