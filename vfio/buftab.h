/* SPDX-License-Identifier: BSD-3-Clause */
/* buftab.h - a table of DMA mapping records keyed by a non-zero 64-bit value
 * (a buffer's exact user address, or a pin's IOVA): open addressing, O(1)
 * expected insert/find/remove, grows by doubling. */
#ifndef VFIO_BUFTAB_H
#define VFIO_BUFTAB_H

#include <stddef.h>
#include <stdint.h>

#include <opae/vfio.h>

struct pool;

/* One buffer as the library tracks it. `pub` is what opae_vfio_buffer_info
 * returns, so it comes first and the record never moves while live. */
struct buf_rec {
	struct opae_vfio_buffer pub;
	size_t map_len;     /* bytes of memory mmap'ed (huge page multiple) */
	uint64_t page_size; /* page size actually used */
	uint64_t iova_len;  /* bytes of IOVA reserved */
	struct pool *pool;  /* the 4 KiB slot's pool (pool.c), or NULL: its own mapping */
};

/* The key sits in the slot, so a lookup touches one cache line of the table
 * and not the record. */
struct buftab_slot {
	uint64_t key; /* 0 = empty */
	struct buf_rec *rec;
};

struct buftab {
	struct buftab_slot *slots;
	size_t nslots; /* power of two, at most half full */
	size_t count;
	size_t cursor; /* first slot that may be non-empty, for buftab_pop */
};

int buftab_init(struct buftab *t);
void buftab_destroy(struct buftab *t); /* frees the slots, not the records */

/* 0, -EINVAL (key 0) or -ENOMEM (the table is unchanged). The key must not
 * be present. */
int buftab_insert(struct buftab *t, uint64_t key, struct buf_rec *b);
struct buf_rec *buftab_find(const struct buftab *t, uint64_t key);
/* Unlink and return the record with this key, or NULL. */
struct buf_rec *buftab_remove(struct buftab *t, uint64_t key);
/* Unlink and return any record, or NULL when empty (for close). */
struct buf_rec *buftab_pop(struct buftab *t);

#endif
