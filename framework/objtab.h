/* SPDX-License-Identifier: BSD-3-Clause */
/* objtab.h - tables of framework objects (tokens, handles, event handles,
 * sysobjects) named by tagged ids instead of pointers.
 *
 * The value an application holds (fpga_token, fpga_handle, ...) is an id:
 * tag (8 bits) | generation (24 bits) | slot index (32 bits). Slots live in
 * chunks that are never freed while the library is loaded, so looking an id
 * up never touches freed memory: a stale id (its slot was freed or reused),
 * an id of another kind (other tag) or garbage simply does not match, without
 * a lock. The ids are non-canonical x86-64 addresses, so code that
 * dereferences one faults at once instead of reading someone else's memory.
 */
#ifndef FW_OBJTAB_H
#define FW_OBJTAB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBJTAB_CHUNK_SLOTS 256u
#define OBJTAB_MAX_CHUNKS  4096u /* 1 Mi objects of each kind */

/* First member of every object kept in a table. */
struct objtab_slot {
	_Atomic uint64_t id; /* live id; 0 while free or being destroyed */
	uint32_t index;      /* position in the table */
	uint32_t gen;        /* generation of the last id handed out */
	uint32_t next_free;  /* free list link (index + 1), under the lock */
};

struct objtab {
	const char *what; /* "token", "handle", ... for messages */
	uint8_t tag;
	size_t slot_size;
	pthread_mutex_t lock; /* allocation and free only */
	_Atomic(unsigned char *) chunks[OBJTAB_MAX_CHUNKS];
	uint32_t nslots;    /* slots created so far */
	uint32_t free_head; /* index + 1 of the first free slot; 0 = none */
	uint32_t live;      /* published or reserved slots */
};

#define OBJTAB_INIT(name, tagv, type)                                                              \
	{                                                                                          \
		.what = (name), .tag = (tagv), .slot_size = sizeof(type),                          \
		.lock = PTHREAD_MUTEX_INITIALIZER                                                  \
	}

/* Reserve a zeroed slot (its id stays 0 until objtab_publish). NULL when
 * out of memory or when the table is full. */
void *objtab_alloc(struct objtab *t);

/* Make a reserved slot visible; returns the id the caller hands out. */
void *objtab_publish(struct objtab *t, void *obj);

/* Take ownership of the live object named by value: its id becomes 0 (so
 * every later lookup fails) and only one caller wins. NULL if not live. */
void *objtab_claim(struct objtab *t, const void *value);

/* Return a claimed or never-published slot to the free list. */
void objtab_free(struct objtab *t, void *obj);

/* Claim every live object and hand it to release (tear-down); returns how
 * many there were. */
unsigned int objtab_drain(struct objtab *t, void (*release)(void *obj));

/* Call fn on every live object, under the table lock (fn must not call
 * back into the table). Stops when fn returns true; returns that object. */
void *objtab_find(struct objtab *t, bool (*fn)(void *obj, void *arg), void *arg);

/* The id of a live object (0 if it is not live). */
static inline void *objtab_id(const void *obj)
{
	const struct objtab_slot *s = (const struct objtab_slot *)obj;
	return (void *)(uintptr_t)atomic_load_explicit(&s->id, memory_order_acquire);
}

/* Lock-free lookup: the live object named by value, or NULL. */
static inline void *objtab_lookup(struct objtab *t, const void *value)
{
	uint64_t id = (uint64_t)(uintptr_t)value;
	uint32_t idx = (uint32_t)id;
	unsigned char *chunk;
	struct objtab_slot *s;

	if ((uint8_t)(id >> 56) != t->tag || idx >= OBJTAB_CHUNK_SLOTS * OBJTAB_MAX_CHUNKS)
		return NULL;
	chunk = atomic_load_explicit(&t->chunks[idx / OBJTAB_CHUNK_SLOTS], memory_order_acquire);
	if (!chunk)
		return NULL;
	s = (struct objtab_slot *)(chunk + (size_t)(idx % OBJTAB_CHUNK_SLOTS) * t->slot_size);
	if (atomic_load_explicit(&s->id, memory_order_acquire) != id)
		return NULL;
	return s;
}

#endif /* FW_OBJTAB_H */
