/* buftab.c - chained hash table of buffer records (see buftab.h). Keys are
 * page-aligned addresses, so the low 12 bits are dropped before a Fibonacci
 * multiplicative hash. The table starts small (not OPAE's fixed 152 KiB) and
 * doubles at load factor 1, keeping lookups flat as buffers accumulate. */
#include <errno.h>
#include <stdlib.h>

#include "buftab.h"

#define BUFTAB_MIN_SLOTS 64

static size_t slot_of(const void *key, size_t nslots)
{
	uint64_t k = (uint64_t)(uintptr_t)key >> 12;

	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32) & (nslots - 1);
}

int buftab_init(struct buftab *t)
{
	t->slots = calloc(BUFTAB_MIN_SLOTS, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->nslots = BUFTAB_MIN_SLOTS;
	t->count = 0;
	t->cursor = 0;
	return 0;
}

void buftab_destroy(struct buftab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
	t->count = 0;
}

static void buftab_grow(struct buftab *t)
{
	size_t n = t->nslots * 2, i;
	struct buf_rec **s = calloc(n, sizeof(*s));

	if (!s)
		return; /* stay at the current size: still correct, just denser */
	for (i = 0; i < t->nslots; i++) {
		struct buf_rec *b = t->slots[i];

		while (b) {
			struct buf_rec *next = b->hnext;
			size_t j = slot_of(b->pub.buffer_ptr, n);

			b->hnext = s[j];
			s[j] = b;
			b = next;
		}
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	t->cursor = 0;
}

int buftab_insert(struct buftab *t, struct buf_rec *b)
{
	size_t i;

	if (!t->slots)
		return -ENOMEM;
	if (t->count >= t->nslots)
		buftab_grow(t);
	i = slot_of(b->pub.buffer_ptr, t->nslots);
	t->cursor = 0;
	b->hnext = t->slots[i];
	t->slots[i] = b;
	t->count++;
	return 0;
}

struct buf_rec *buftab_find(const struct buftab *t, const void *key)
{
	struct buf_rec *b;

	if (!t->slots)
		return NULL;
	for (b = t->slots[slot_of(key, t->nslots)]; b; b = b->hnext)
		if (b->pub.buffer_ptr == key)
			return b;
	return NULL;
}

struct buf_rec *buftab_remove(struct buftab *t, const void *key)
{
	struct buf_rec **pp, *b;

	if (!t->slots)
		return NULL;
	for (pp = &t->slots[slot_of(key, t->nslots)]; (b = *pp); pp = &b->hnext) {
		if (b->pub.buffer_ptr == key) {
			*pp = b->hnext;
			t->count--;
			return b;
		}
	}
	return NULL;
}

struct buf_rec *buftab_pop(struct buftab *t)
{
	size_t i;

	/* resume where the last pop stopped, so draining is linear */
	for (i = t->cursor; t->count && i < t->nslots; i++) {
		struct buf_rec *b = t->slots[i];

		if (b) {
			t->cursor = i;
			t->slots[i] = b->hnext;
			t->count--;
			return b;
		}
	}
	return NULL;
}
