/* buffer.c - DMA buffers: memory (huge pages when the size asks for them,
 * smaller pages when the pool is empty), an IOVA reservation, the IOMMU
 * mapping and the record in the buffer table; lookup and release. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_priv.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

/* Allocation return codes (OPAE's where it has one). */
enum { BUF_EINVAL = 1, BUF_EZERO = 2, BUF_EMAP = 4, BUF_ETRACK = 5 };

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int log2_of(uint64_t p)
{
	return __builtin_ctzll(p);
}

/* Memory for a buffer of `size` (already 4 KiB rounded): the documented page
 * kind first, then each smaller kind. Fills b->map_len and b->page_size. */
static void *buffer_memory(struct vfio_state *s, uint64_t size, struct buf_rec *b)
{
	uint64_t want = size <= SZ_4K ? SZ_4K : size <= SZ_2M ? SZ_2M : SZ_1G;
	static const uint64_t kinds[] = {SZ_1G, SZ_2M, SZ_4K};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		uint64_t pg = kinds[i];
		uint64_t len = round_up(size, pg);
		int flags = MAP_PRIVATE | MAP_ANONYMOUS;
		void *p;

		if (pg > want)
			continue;
		if (pg > SZ_4K)
			flags |= MAP_HUGETLB | (log2_of(pg) << MAP_HUGE_SHIFT);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p != MAP_FAILED) {
			if (pg < want) {
				char a[32], c[32];

				vlog_debug(s->name,
				           "allocate: no free %s huge page, using %s pages "
				           "(contiguous in IOVA through the IOMMU)",
				           log_size(want, a, sizeof(a)), log_size(pg, c, sizeof(c)));
			}
			b->map_len = len;
			b->page_size = pg;
			return p;
		}
		if (pg == SZ_4K) {
			int e = errno;
			char a[32];

			vlog_err(s->name, e, "allocate: mmap of %s", log_size(len, a, sizeof(a)));
			errno = e;
			return NULL;
		}
	}
	errno = ENOMEM;
	return NULL;
}

static int unmap_memory(struct vfio_state *s, struct buf_rec *b)
{
	/* the length actually mapped: whole huge pages (the reference leaks them) */
	if (munmap(b->pub.buffer_ptr, b->map_len) && munmap(b->pub.buffer_ptr, b->map_len)) {
		int e = errno;

		vlog_err(s->name, e, "munmap of buffer %p (0x%zx bytes)", (void *)b->pub.buffer_ptr,
		         b->map_len);
		return -e;
	}
	return 0;
}

int buffer_destroy(struct opae_vfio *v, struct vfio_state *s, struct buf_rec *b, int force)
{
	int e = iommu_unmap(v, s, b->pub.buffer_iova, b->pub.buffer_size);

	if (e && !force)
		return e; /* still mapped: the device may still use it, keep it */
	/* the IOVA is reusable only if it is really unmapped (or the container
	 * is going away) */
	if (!e || force)
		iova_release(&s->iova, b->pub.buffer_iova, b->iova_len);
	if (!(b->pub.flags & OPAE_VFIO_BUF_PREALLOCATED)) {
		int m = unmap_memory(s, b);

		if (!e)
			e = m;
	}
	free(b);
	return e;
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_allocate(struct opae_vfio *v, size_t *size, uint8_t **buf,
                                               uint64_t *iova)
{
	return opae_vfio_buffer_allocate_ex(v, size, buf, iova, 0);
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_allocate_ex(struct opae_vfio *v, size_t *size, uint8_t **buf,
                                                  uint64_t *iova, int flags)
{
	struct vfio_state *s = vfio_state_of(v);
	int pre = flags & OPAE_VFIO_BUF_PREALLOCATED;
	uint64_t len, at = 0, align;
	struct buf_rec *b;
	void *p;
	int e, code = BUF_EMAP;

	if (!s || !size || (pre && (!buf || !*buf)) || (flags & ~OPAE_VFIO_BUF_PREALLOCATED)) {
		vlog_err(s ? s->name : "-", EINVAL, "allocate: %s",
		         !s                                      ? "device not open"
		         : !size                                 ? "size is NULL"
		         : (flags & ~OPAE_VFIO_BUF_PREALLOCATED) ? "unknown flags"
		                                                 : "PREALLOCATED without a buffer");
		errno = EINVAL;
		return BUF_EINVAL;
	}
	if (!*size) {
		vlog_err(s->name, EINVAL, "allocate: size 0");
		errno = EINVAL;
		return BUF_EZERO;
	}
	if (*size > (1ull << 46)) {
		vlog_err(s->name, ENOMEM, "allocate: %zu bytes is beyond any IOVA window", *size);
		errno = ENOMEM;
		return BUF_EMAP;
	}
	if (pre && ((uintptr_t)*buf & (SZ_4K - 1))) {
		vlog_err(s->name, EINVAL, "allocate: PREALLOCATED buffer %p is not page aligned",
		         (void *)*buf);
		errno = EINVAL;
		return BUF_EINVAL;
	}
	len = round_up(*size, SZ_4K);
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return BUF_ETRACK;
	}

	pthread_mutex_lock(&v->lock);
	if (pre && buftab_find(&s->tab, buf_key(*buf))) {
		/* one record per address: a second mapping could never be freed */
		vlog_err(s->name, EEXIST, "allocate: PREALLOCATED buffer %p is already mapped",
			 (void *)*buf);
		e = -EEXIST;
		code = BUF_EINVAL;
		goto out_rec;
	}
	if (pre) {
		p = *buf;
		b->map_len = len;
		b->page_size = SZ_4K;
	} else {
		p = buffer_memory(s, len, b);
		if (!p) {
			e = -errno;
			goto out_rec;
		}
	}
	/* natural alignment for huge pages lets the IOMMU use large pages too */
	align = b->page_size;
	e = iova_reserve(&s->iova, len, align, &at);
	if (e) {
		char a[32];

		vlog_err(s->name, -e, "allocate: reserving %s of IOVA", log_size(len, a, sizeof(a)));
		goto out_mem;
	}
	b->iova_len = len;
	e = iommu_map(v, s, p, at, len);
	if (e)
		goto out_iova;
	if (!pre && madvise(p, b->map_len, MADV_DONTFORK)) {
		/* a forked child touching the pages would break the DMA mapping of
		 * the parent (copy-on-write); not fatal */
		vlog_info(s->name, "allocate: madvise(MADV_DONTFORK): %s", strerror(errno));
	}
	b->pub.buffer_ptr = p;
	b->pub.buffer_size = len;
	b->pub.buffer_iova = at;
	b->pub.flags = flags;
	e = buftab_insert(&s->tab, buf_key(p), b);
	if (e) {
		code = BUF_ETRACK;
		iommu_unmap(v, s, at, len);
		goto out_iova;
	}
	pthread_mutex_unlock(&v->lock);
	*size = len;
	if (buf && !pre)
		*buf = p;
	if (iova)
		*iova = at;
	return 0;

out_iova:
	iova_release(&s->iova, at, len);
out_mem:
	if (!pre && munmap(p, b->map_len))
		vlog_err(s->name, errno, "allocate: munmap after failure");
out_rec:
	pthread_mutex_unlock(&v->lock);
	free(b);
	errno = -e;
	return code;
}

OPAE_VFIO_EXPORT struct opae_vfio_buffer *opae_vfio_buffer_info(struct opae_vfio *v, uint8_t *vaddr)
{
	struct vfio_state *s = vfio_state_of(v);
	struct buf_rec *b;

	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&v->lock);
	b = buftab_find(&s->tab, buf_key(vaddr));
	pthread_mutex_unlock(&v->lock);
	if (!b) {
		errno = ENOENT;
		return NULL;
	}
	return &b->pub;
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_free(struct opae_vfio *v, uint8_t *buf)
{
	struct vfio_state *s = vfio_state_of(v);
	struct buf_rec *b;
	int e;

	if (!s) {
		errno = EINVAL;
		return 1;
	}
	pthread_mutex_lock(&v->lock);
	b = buftab_find(&s->tab, buf_key(buf));
	if (!b) {
		pthread_mutex_unlock(&v->lock);
		vlog_err(s->name, ENOENT, "free: %p is not the start of a buffer", (void *)buf);
		errno = ENOENT;
		return 3;
	}
	/* unmap first: if the kernel refuses, the buffer stays whole and tracked */
	e = iommu_unmap(v, s, b->pub.buffer_iova, b->pub.buffer_size);
	if (e) {
		pthread_mutex_unlock(&v->lock);
		errno = -e;
		return 4;
	}
	buftab_remove(&s->tab, buf_key(buf));
	iova_release(&s->iova, b->pub.buffer_iova, b->iova_len);
	if (!(b->pub.flags & OPAE_VFIO_BUF_PREALLOCATED))
		e = unmap_memory(s, b);
	pthread_mutex_unlock(&v->lock);
	free(b);
	if (e) {
		errno = -e;
		return 4;
	}
	return 0;
}
