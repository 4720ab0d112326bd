/* SPDX-License-Identifier: BSD-3-Clause */
/* buffer.c - DMA buffers: memory (4 KiB ones from pool.c; huge pages when
 * the size asks for them, smaller pages when the huge page pool is empty), an
 * IOVA reservation and the IOMMU mapping (both from iommu.c), the record in
 * the buffer table; lookup and release. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rc.h"
#include "vfio_priv.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int log2_of(uint64_t p)
{
	return __builtin_ctzll(p);
}

/* Memory for a buffer of `size` (already rounded to the mapping granule): the documented page
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

				log_debug(s->name,
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

			log_err(s->name, e, "allocate: mmap of %s", log_size(len, a, sizeof(a)));
			errno = e;
			return NULL;
		}
	}
	errno = ENOMEM;
	return NULL;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* A device-read-only mapping pins the pages as they are now, without
 * faulting them writable: untouched anonymous memory would pin the shared
 * zero page, and the CPU's later writes would go to a copy the device never
 * sees. Fault every page writable first (contents unchanged). */
static void populate_writable(struct vfio_state *s, uint8_t *p, uint64_t len, uint64_t pg, bool pre)
{
	uint64_t off;

	if (!madvise(p, len, MADV_POPULATE_WRITE))
		return;
	if (pre) { /* never write the caller's memory ourselves */
		log_info(s->name,
		         "allocate: READ_ONLY: madvise(MADV_POPULATE_WRITE): %s; the "
		         "caller's pages must have been written before",
		         strerror(errno));
		return;
	}
	for (off = 0; off < len; off += pg) /* our fresh memory: zero already */
		((volatile uint8_t *)p)[off] = 0;
}

/* munmap fails only for a range that is not a mapping: a second try would
 * fail the same way, so it is reported, once. A pool slot goes back to its
 * pool. */
static int unmap_memory(struct vfio_state *s, struct buf_rec *b)
{
	if (b->pool)
		return pool_put(&s->pools, s->name, b->pool, b->pub.buffer_ptr);
	/* the length actually mapped: whole huge pages (OPAE leaks their rest) */
	if (munmap(b->pub.buffer_ptr, b->map_len)) {
		int e = errno;

		log_err(s->name, e, "munmap of buffer %p (0x%zx bytes)", (void *)b->pub.buffer_ptr,
		        b->map_len);
		return -e;
	}
	return 0;
}

void buffer_release_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct buf_rec *b;

	(void)v;
	while ((b = buftab_pop(&s->tab))) {
		if (!(b->pub.flags & OPAE_VFIO_BUF_PREALLOCATED) && !b->pool)
			unmap_memory(s, b);
		free(b);
	}
	pool_release_all(&s->pools, s->name); /* one munmap per 64 small buffers */
	while ((b = buftab_pop(&s->pins)))
		free(b); /* the caller's memory */
	buftab_destroy(&s->tab);
	buftab_destroy(&s->pins);
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_allocate(struct opae_vfio *v, size_t *size, uint8_t **buf,
                                               uint64_t *iova)
{
	return opae_vfio_buffer_allocate_ex(v, size, buf, iova, 0);
}

#define BUF_FLAGS (OPAE_VFIO_BUF_PREALLOCATED | OPAE_VFIO_BUF_QUIET | OPAE_VFIO_BUF_READ_ONLY)

static int buffer_allocate(struct opae_vfio *v, size_t *size, uint8_t **buf, uint64_t *iova,
                           int flags)
{
	struct vfio_state *s = vfio_state_of(v);
	bool pre = flags & OPAE_VFIO_BUF_PREALLOCATED;
	uint64_t len, at = 0;
	enum opae_vfio_rc rc = RC_BUF_MAP;
	struct buf_rec *b;
	char a[32];
	void *p;
	int e;

	if (!s || !size || (pre && (!buf || !*buf)) || (flags & ~BUF_FLAGS)) {
		log_err(s ? s->name : "-", EINVAL, "allocate: %s",
		        !s                     ? "device not open"
		        : !size                ? "size is NULL"
		        : (flags & ~BUF_FLAGS) ? "unknown flags"
		                               : "PREALLOCATED without a buffer");
		errno = EINVAL;
		return RC_BUF_BADARG;
	}
	if (!*size) {
		log_err(s->name, EINVAL, "allocate: size 0");
		errno = EINVAL;
		return RC_BUF_ZERO;
	}
	if (*size > (1ull << 46)) {
		log_err(s->name, ENOMEM, "allocate: %zu bytes is beyond any IOVA window", *size);
		errno = ENOMEM;
		return RC_BUF_MAP;
	}
	if (pre && ((uintptr_t)*buf & (s->map_align - 1))) {
		log_err(s->name, EINVAL,
		        "allocate: PREALLOCATED buffer %p is not aligned to 0x%llx", (void *)*buf,
		        (unsigned long long)s->map_align);
		errno = EINVAL;
		return RC_BUF_BADARG;
	}
	len = round_up(*size, s->map_align);
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return RC_BUF_TRACK;
	}

	pthread_mutex_lock(&v->lock);
	if (pre && buftab_find(&s->tab, buf_key(*buf))) {
		/* one record per address: a second mapping could never be freed */
		log_err(s->name, EEXIST, "allocate: PREALLOCATED buffer %p is already mapped",
		        (void *)*buf);
		e = -EEXIST;
		rc = RC_BUF_BADARG;
		goto out_rec;
	}
	if (pre) {
		p = *buf;
		b->map_len = len;
		b->page_size = s->map_align;
	} else if (len == POOL_SLOT) {
		/* a normal page from a pool: no mmap, madvise or munmap of its own */
		uint8_t *slot;

		e = pool_take(&s->pools, s->name, &slot, &b->pool);
		if (e)
			goto out_rec;
		p = slot;
		b->map_len = POOL_SLOT;
		b->page_size = POOL_SLOT;
	} else {
		p = buffer_memory(s, len, b);
		if (!p) {
			e = -errno;
			goto out_rec;
		}
	}
	b->pub.buffer_ptr = p;
	/* natural alignment for huge pages lets the IOMMU use large pages too */
	e = iova_reserve(&s->iova, len, b->page_size > s->map_align ? b->page_size : s->map_align,
	                 &at);
	if (e) {
		log_err(s->name, -e, "allocate: reserving %s of IOVA", log_size(len, a, sizeof(a)));
		goto out_mem;
	}
	b->iova_len = len;
	if ((flags & OPAE_VFIO_BUF_READ_ONLY) && b->pool)
		*(volatile uint8_t *)p = 0; /* one page, zero already: now writable */
	else if (flags & OPAE_VFIO_BUF_READ_ONLY)
		populate_writable(s, p, len, b->page_size, pre);
	e = iommu_map(v, s, p, at, len, flags & OPAE_VFIO_BUF_READ_ONLY);
	if (e)
		goto out_iova;
	if (!pre && !b->pool && madvise(p, b->map_len, MADV_DONTFORK)) {
		/* a forked child touching the pages would break the DMA mapping of
		 * the parent (copy-on-write); not fatal */
		log_info(s->name, "allocate: madvise(MADV_DONTFORK): %s", strerror(errno));
	}
	b->pub.buffer_size = len;
	b->pub.buffer_iova = at;
	b->pub.flags = flags;
	e = buftab_insert(&s->tab, buf_key(p), b);
	if (e) {
		log_err(s->name, -e, "allocate: buffer table");
		rc = RC_BUF_TRACK;
		iommu_unmap(v, s, at, len);
		goto out_iova;
	}
	pthread_mutex_unlock(&v->lock);
	*size = len;
	if (buf && !pre)
		*buf = p;
	if (iova)
		*iova = at;
	return RC_OK;

out_iova:
	iova_release(&s->iova, at, len);
out_mem:
	if (!pre)
		unmap_memory(s, b);
out_rec:
	pthread_mutex_unlock(&v->lock);
	free(b);
	errno = -e;
	return rc;
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_allocate_ex(struct opae_vfio *v, size_t *size, uint8_t **buf,
                                                  uint64_t *iova, int flags)
{
	int quiet = log_quiet, rc;

	if (flags & OPAE_VFIO_BUF_QUIET)
		log_quiet = 1;
	rc = buffer_allocate(v, size, buf, iova, flags);
	log_quiet = quiet;
	return rc;
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

int buffer_release(struct opae_vfio *v, struct vfio_state *s, struct buftab *t, uint64_t key,
                   size_t size)
{
	struct buf_rec *b;
	char a[32];
	int e;

	pthread_mutex_lock(&v->lock);
	b = buftab_find(t, key);
	if (!b || (size && b->pub.buffer_size != size)) {
		pthread_mutex_unlock(&v->lock);
		if (b)
			log_err(s->name, EINVAL, "IOVA 0x%llx was mapped with %s, not %zu bytes",
			        (unsigned long long)b->pub.buffer_iova,
			        log_size(b->pub.buffer_size, a, sizeof(a)), size);
		return b ? -EMSGSIZE : -ENOENT;
	}
	/* unmap first: if the kernel refuses (or unmaps less than the range),
	 * the record stays whole and tracked, and its IOVA is not reused */
	e = iommu_unmap(v, s, b->pub.buffer_iova, b->pub.buffer_size);
	if (e) {
		pthread_mutex_unlock(&v->lock);
		return e;
	}
	buftab_remove(t, key);
	iova_release(&s->iova, b->pub.buffer_iova, b->iova_len);
	if (!(b->pub.flags & OPAE_VFIO_BUF_PREALLOCATED))
		e = unmap_memory(s, b); /* gone from the IOMMU and the table: memory left */
	pthread_mutex_unlock(&v->lock);
	free(b);
	return e;
}

int buffer_release_rc(int e)
{
	errno = e == -EBADFD || e == -EMSGSIZE ? EINVAL : -e;
	switch (e) {
	case 0:
		return RC_OK;
	case -EBADFD:
	case -EMSGSIZE:
		return RC_FREE_BADARG;
	case -ENOENT:
		return RC_FREE_NOTFOUND;
	default:
		return RC_FREE_UNMAP;
	}
}

OPAE_VFIO_EXPORT int opae_vfio_buffer_free(struct opae_vfio *v, uint8_t *buf)
{
	struct vfio_state *s = vfio_state_of(v);
	int e = s ? buffer_release(v, s, &s->tab, buf_key(buf), 0) : -EBADFD;

	if (e == -ENOENT)
		log_err(s->name, ENOENT, "free: %p is not the start of a buffer", (void *)buf);
	return buffer_release_rc(e);
}
