// SPDX-License-Identifier: BSD-3-Clause
/* objtab.c - id-named object tables (see objtab.h): chunked slots that are
 * never freed, a free list, and generation-tagged ids. */
#include <stdlib.h>
#include <string.h>

#include "objtab.h"

#define GEN_MASK 0xffffffu

static struct objtab_slot *slot_at(struct objtab *t, uint32_t idx)
{
	unsigned char *chunk =
	    atomic_load_explicit(&t->chunks[idx / OBJTAB_CHUNK_SLOTS], memory_order_acquire);
	return (struct objtab_slot *)(chunk + (size_t)(idx % OBJTAB_CHUNK_SLOTS) * t->slot_size);
}

/* Under t->lock: make sure slot idx exists. */
static int grow_to(struct objtab *t, uint32_t idx)
{
	uint32_t c = idx / OBJTAB_CHUNK_SLOTS;
	unsigned char *chunk;

	if (c >= OBJTAB_MAX_CHUNKS)
		return -1;
	if (atomic_load_explicit(&t->chunks[c], memory_order_relaxed))
		return 0;
	chunk = calloc(OBJTAB_CHUNK_SLOTS, t->slot_size);
	if (!chunk)
		return -1;
	for (uint32_t i = 0; i < OBJTAB_CHUNK_SLOTS; i++) {
		struct objtab_slot *s = (struct objtab_slot *)(chunk + (size_t)i * t->slot_size);
		s->index = c * OBJTAB_CHUNK_SLOTS + i;
	}
	atomic_store_explicit(&t->chunks[c], chunk, memory_order_release);
	return 0;
}

void *objtab_alloc(struct objtab *t)
{
	struct objtab_slot *s = NULL;
	uint32_t idx, gen;

	pthread_mutex_lock(&t->lock);
	if (t->free_head) {
		idx = t->free_head - 1;
		s = slot_at(t, idx);
		t->free_head = s->next_free;
	} else if (t->nslots < OBJTAB_CHUNK_SLOTS * OBJTAB_MAX_CHUNKS && !grow_to(t, t->nslots)) {
		idx = t->nslots++;
		s = slot_at(t, idx);
	}
	if (s) {
		t->live++;
		gen = s->gen;
		/* Everything after the header starts zeroed. */
		memset((unsigned char *)s + sizeof(*s), 0, t->slot_size - sizeof(*s));
		s->gen = gen;
		s->next_free = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

void *objtab_publish(struct objtab *t, void *obj)
{
	struct objtab_slot *s = obj;
	uint64_t id;

	s->gen = (s->gen + 1) & GEN_MASK;
	if (!s->gen)
		s->gen = 1;
	id = ((uint64_t)t->tag << 56) | ((uint64_t)s->gen << 32) | s->index;
	atomic_store_explicit(&s->id, id, memory_order_release);
	return (void *)(uintptr_t)id;
}

void *objtab_claim(struct objtab *t, const void *value)
{
	struct objtab_slot *s = objtab_lookup(t, value);
	uint64_t expect = (uint64_t)(uintptr_t)value;

	if (!s || !atomic_compare_exchange_strong_explicit(&s->id, &expect, 0, memory_order_acq_rel,
	                                                   memory_order_relaxed))
		return NULL;
	return s;
}

void objtab_free(struct objtab *t, void *obj)
{
	struct objtab_slot *s = obj;

	atomic_store_explicit(&s->id, 0, memory_order_release);
	pthread_mutex_lock(&t->lock);
	s->next_free = t->free_head;
	t->free_head = s->index + 1;
	t->live--;
	pthread_mutex_unlock(&t->lock);
}

/* Claim the next live object at or after *cursor. */
static void *claim_next(struct objtab *t, uint32_t *cursor)
{
	struct objtab_slot *found = NULL;

	pthread_mutex_lock(&t->lock);
	for (; *cursor < t->nslots && !found; (*cursor)++) {
		struct objtab_slot *s = slot_at(t, *cursor);
		uint64_t id = atomic_load_explicit(&s->id, memory_order_acquire);

		if (id && atomic_compare_exchange_strong_explicit(
		              &s->id, &id, 0, memory_order_acq_rel, memory_order_relaxed))
			found = s;
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

unsigned int objtab_drain(struct objtab *t, void (*release)(void *obj))
{
	uint32_t cursor = 0;
	unsigned int n = 0;
	void *obj;

	/* The lock is not held while release runs (it calls into plugins). */
	while ((obj = claim_next(t, &cursor))) {
		release(obj);
		n++;
	}
	return n;
}

void *objtab_find(struct objtab *t, bool (*fn)(void *obj, void *arg), void *arg)
{
	struct objtab_slot *found = NULL;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->nslots && !found; i++) {
		struct objtab_slot *s = slot_at(t, i);

		if (atomic_load_explicit(&s->id, memory_order_acquire) && fn(s, arg))
			found = s;
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}
