/* SPDX-License-Identifier: BSD-3-Clause */
/* pool.c - 4 KiB buffers from shared mappings. A pool is one anonymous
 * mapping of 64 slots, madvise(MADV_DONTFORK) once, so a buffer costs only
 * its VFIO_IOMMU_MAP_DMA/UNMAP_DMA (OPAE: mmap + map + unmap + munmap); a
 * freed slot is zeroed and reused; one wholly free pool is kept for churn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "pool.h"

#define POOL_BYTES ((size_t)POOL_SLOTS * POOL_SLOT)
#define ALL_FREE   UINT64_MAX

static void unlink_pool(struct pool **head, struct pool *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		*head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

static void push_pool(struct pool **head, struct pool *p)
{
	p->prev = NULL;
	p->next = *head;
	if (*head)
		(*head)->prev = p;
	*head = p;
}

static int unmap_pool(const char *name, struct pool *p)
{
	int e = 0;

	if (munmap(p->base, POOL_BYTES)) {
		e = errno;
		log_err(name, e, "munmap of buffer pool %p (0x%zx bytes)", (void *)p->base,
		        POOL_BYTES);
	}
	free(p);
	return -e;
}

static int pool_new(struct pools *ps, const char *name)
{
	struct pool *p = calloc(1, sizeof(*p));
	int e;

	if (!p) {
		log_err(name, ENOMEM, "allocate: buffer pool record");
		return -ENOMEM;
	}
	p->base =
	    mmap(NULL, POOL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->base == MAP_FAILED) {
		e = errno;
		log_err(name, e, "allocate: mmap of a buffer pool (0x%zx bytes)", POOL_BYTES);
		free(p);
		return -e;
	}
	/* a forked child touching a buffer would break the parent's DMA mapping
	 * (copy-on-write): the child gets no pool at all; not fatal */
	if (madvise(p->base, POOL_BYTES, MADV_DONTFORK))
		log_info(name, "allocate: madvise(MADV_DONTFORK) of a buffer pool: %s",
		         strerror(errno));
	p->free_mask = ALL_FREE;
	push_pool(&ps->partial, p);
	return 0;
}

int pool_take(struct pools *ps, const char *name, uint8_t **out, struct pool **owner)
{
	struct pool *p;
	unsigned k;

	if (!ps->partial && ps->spare) {
		push_pool(&ps->partial, ps->spare);
		ps->spare = NULL;
	} else if (!ps->partial) {
		int e = pool_new(ps, name);

		if (e)
			return e;
	}
	p = ps->partial;
	k = (unsigned)__builtin_ctzll(p->free_mask);
	p->free_mask &= ~(1ull << k);
	if (!p->free_mask) {
		unlink_pool(&ps->partial, p);
		push_pool(&ps->full, p);
	}
	*out = p->base + (size_t)k * POOL_SLOT;
	*owner = p;
	return 0;
}

int pool_put(struct pools *ps, const char *name, struct pool *p, uint8_t *slot)
{
	unsigned k = (unsigned)((size_t)(slot - p->base) / POOL_SLOT);

	memset(slot, 0, POOL_SLOT);
	if (!p->free_mask) {
		unlink_pool(&ps->full, p);
		push_pool(&ps->partial, p);
	}
	p->free_mask |= 1ull << k;
	if (p->free_mask != ALL_FREE)
		return 0;
	unlink_pool(&ps->partial, p);
	if (!ps->spare) {
		ps->spare = p; /* kept out of the list: used when no pool has room */
		return 0;
	}
	return unmap_pool(name, p);
}

void pool_release_all(struct pools *ps, const char *name)
{
	struct pool **heads[] = {&ps->partial, &ps->full};

	for (unsigned i = 0; i < 2; i++)
		while (*heads[i]) {
			struct pool *p = *heads[i];

			unlink_pool(heads[i], p);
			unmap_pool(name, p);
		}
	if (ps->spare)
		unmap_pool(name, ps->spare);
	ps->spare = NULL;
}
