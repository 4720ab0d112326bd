/* buftab.c - open-addressing hash table of buffer records (see buftab.h):
 * linear probing, at most half full, deletion by backward shift (no
 * tombstones, so lookups stay short however many frees happen). Keys are
 * page-aligned addresses (bit 0 may tag them): the low 12 bits are dropped
 * before a Fibonacci multiplicative hash. Starts small (not OPAE's fixed 152 KiB) and doubles. */
#include <errno.h>
#include <stdlib.h>

#include "buftab.h"

#define BUFTAB_MIN_SLOTS 64

static size_t slot_of(uint64_t key, size_t nslots)
{
	uint64_t k = key >> 12;

	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32) & (nslots - 1);
}

int buftab_init(struct buftab *t)
{
	t->slots = calloc(BUFTAB_MIN_SLOTS, sizeof(*t->slots));
	t->nslots = t->slots ? BUFTAB_MIN_SLOTS : 0;
	t->count = 0;
	t->cursor = 0;
	return t->slots ? 0 : -ENOMEM;
}

void buftab_destroy(struct buftab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
	t->count = 0;
	t->cursor = 0;
}

static void place(struct buftab_slot *slots, size_t nslots, uint64_t key, struct buf_rec *b)
{
	size_t i = slot_of(key, nslots);

	while (slots[i].key)
		i = (i + 1) & (nslots - 1);
	slots[i].key = key;
	slots[i].rec = b;
}

static int buftab_grow(struct buftab *t)
{
	size_t n = t->nslots * 2, i;
	struct buftab_slot *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].key)
			place(s, n, t->slots[i].key, t->slots[i].rec);
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	t->cursor = 0;
	return 0;
}

int buftab_insert(struct buftab *t, uint64_t key, struct buf_rec *b)
{
	if (!t->slots || !key)
		return t->slots ? -EINVAL : -ENOMEM;
	if ((t->count + 1) * 2 > t->nslots && buftab_grow(t))
		return -ENOMEM;
	place(t->slots, t->nslots, key, b);
	t->count++;
	t->cursor = 0;
	return 0;
}

static size_t find_slot(const struct buftab *t, uint64_t key, int *found)
{
	size_t i = slot_of(key, t->nslots);

	while (t->slots[i].key) {
		if (t->slots[i].key == key) {
			*found = 1;
			return i;
		}
		i = (i + 1) & (t->nslots - 1);
	}
	*found = 0;
	return i;
}

struct buf_rec *buftab_find(const struct buftab *t, uint64_t key)
{
	int found;
	size_t i;

	if (!t->slots || !key)
		return NULL;
	i = find_slot(t, key, &found);
	return found ? t->slots[i].rec : NULL;
}

/* Empty slot i and move later members of its probe run back into the hole. */
static void remove_at(struct buftab *t, size_t i)
{
	size_t mask = t->nslots - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->slots[j].key)
			break;
		home = slot_of(t->slots[j].key, t->nslots);
		/* j's entry may fill the hole at i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].key = 0;
	t->slots[i].rec = NULL;
	t->count--;
}

struct buf_rec *buftab_remove(struct buftab *t, uint64_t key)
{
	struct buf_rec *b;
	int found;
	size_t i;

	if (!t->slots || !key)
		return NULL;
	i = find_slot(t, key, &found);
	if (!found)
		return NULL;
	b = t->slots[i].rec;
	remove_at(t, i);
	return b;
}

struct buf_rec *buftab_pop(struct buftab *t)
{
	size_t i;

	/* slots below the cursor are empty, so a backward shift can only move
	 * an entry into the slot being emptied: resuming at the cursor drains
	 * the table in one linear pass */
	for (i = t->cursor; t->count && i < t->nslots; i++) {
		if (t->slots[i].key) {
			struct buf_rec *b = t->slots[i].rec;

			t->cursor = i;
			remove_at(t, i);
			return b;
		}
	}
	return NULL;
}
