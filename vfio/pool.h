/* SPDX-License-Identifier: BSD-3-Clause */
/* pool.h - 4 KiB DMA buffers carved from shared 256 KiB mappings: one mmap
 * and one madvise(MADV_DONTFORK) per 64 buffers instead of per buffer, and
 * one munmap per pool at close. */
#ifndef VFIO_POOL_H
#define VFIO_POOL_H

#include <stdint.h>

#define POOL_SLOT  0x1000u /* bytes per buffer */
#define POOL_SLOTS 64u     /* buffers per pool: one bit each in a uint64_t */

struct pool {
	uint8_t *base;            /* POOL_SLOTS * POOL_SLOT bytes, MADV_DONTFORK */
	uint64_t free_mask;       /* bit k: slot k is free */
	struct pool *prev, *next; /* in pools.partial or pools.full */
};

struct pools {
	struct pool *partial; /* pools with a free slot (allocation takes the head) */
	struct pool *full;    /* pools with none */
	struct pool *spare;   /* the one wholly free pool kept for churn (in no list), or NULL */
};

/* A zeroed 4 KiB slot: 0 with out and owner set, or -errno (from mmap). `name`
 * names the device in messages. */
int pool_take(struct pools *ps, const char *name, uint8_t **out, struct pool **owner);
/* Give slot p of `owner` back: zeroed now (the next buffer gets clean
 * memory); a second wholly free pool is unmapped. 0, or munmap's -errno. */
int pool_put(struct pools *ps, const char *name, struct pool *owner, uint8_t *p);
/* Unmap every pool (close: the buffers are gone from the IOMMU). */
void pool_release_all(struct pools *ps, const char *name);

#endif
