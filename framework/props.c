// SPDX-License-Identifier: BSD-3-Clause
/* props.c - the properties object (struct _fpga_properties, OPAE's layout,
 * opae/plugin/props.h): create, clone, clear, destroy, validation, and the
 * reference a properties object holds on a wrapped parent token.
 *
 * The objects are malloc'd as in OPAE (plugins built against OPAE may free
 * them directly). A registry of live objects lets every entry point refuse a
 * garbage, foreign or destroyed pointer before touching it: a sharded,
 * open-addressed hash set of addresses. */
#include <stdlib.h>
#include <string.h>

#include "fw_priv.h"

#define REG_SHARDS    16
#define REG_TOMBSTONE ((uintptr_t)1)

struct reg_shard {
	pthread_mutex_t lock;
	uintptr_t *keys; /* 0 empty, REG_TOMBSTONE removed */
	size_t cap;      /* power of two, or 0 */
	size_t used;     /* live + tombstones */
};

static struct reg_shard reg[REG_SHARDS];
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void reg_setup(void)
{
	for (int i = 0; i < REG_SHARDS; i++)
		pthread_mutex_init(&reg[i].lock, NULL);
}

static uint64_t reg_hash(uintptr_t k)
{
	uint64_t h = (uint64_t)k >> 4;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct reg_shard *reg_shard_of(uintptr_t k, uint64_t *h)
{
	pthread_once(&reg_once, reg_setup);
	*h = reg_hash(k);
	return &reg[*h % REG_SHARDS];
}

/* Under s->lock: index of k, or of the slot where it would go (*found false). */
static size_t reg_probe(const struct reg_shard *s, uintptr_t k, uint64_t h, bool *found)
{
	size_t mask = s->cap - 1, i = (size_t)(h / REG_SHARDS) & mask, first_free = SIZE_MAX;

	for (size_t n = 0; n < s->cap; n++, i = (i + 1) & mask) {
		if (s->keys[i] == k) {
			*found = true;
			return i;
		}
		if (s->keys[i] == REG_TOMBSTONE && first_free == SIZE_MAX)
			first_free = i;
		if (!s->keys[i])
			break;
	}
	*found = false;
	return first_free != SIZE_MAX ? first_free : i;
}

static int reg_resize(struct reg_shard *s)
{
	size_t live = 0, cap;
	uintptr_t *old = s->keys, *keys;
	size_t oldcap = s->cap;

	for (size_t i = 0; i < oldcap; i++)
		live += old[i] > REG_TOMBSTONE;
	for (cap = 64; cap < 4 * (live + 1); cap *= 2)
		;
	keys = calloc(cap, sizeof(*keys));
	if (!keys)
		return -1;
	s->keys = keys;
	s->cap = cap;
	s->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i] > REG_TOMBSTONE) {
			bool found;
			s->keys[reg_probe(s, old[i], reg_hash(old[i]), &found)] = old[i];
			s->used++;
		}
	}
	free(old);
	return 0;
}

static int reg_add(const void *p)
{
	uint64_t h;
	struct reg_shard *s = reg_shard_of((uintptr_t)p, &h);
	int rc = 0;
	bool found;
	size_t i;

	pthread_mutex_lock(&s->lock);
	if ((s->used + 1) * 2 > s->cap && reg_resize(s))
		rc = -1;
	if (!rc) {
		i = reg_probe(s, (uintptr_t)p, h, &found);
		/* Already present: a plugin freed an object directly (OPAE's
		 * plugins do on error paths) and malloc reused the address. */
		if (!found) {
			s->used += s->keys[i] == 0;
			s->keys[i] = (uintptr_t)p;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Remove p; true for exactly one caller when p was registered. */
static bool reg_remove(const void *p)
{
	uint64_t h;
	struct reg_shard *s;
	bool found = false;
	size_t i;

	if ((uintptr_t)p <= REG_TOMBSTONE) /* never a key: see reg_contains */
		return false;
	s = reg_shard_of((uintptr_t)p, &h);

	pthread_mutex_lock(&s->lock);
	if (s->cap) {
		i = reg_probe(s, (uintptr_t)p, h, &found);
		if (found)
			s->keys[i] = REG_TOMBSTONE;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static bool reg_contains(const void *p)
{
	uint64_t h;
	struct reg_shard *s;
	bool found = false;

	/* 0 and 1 mark empty and removed slots: as keys they would "find" one
	 * (a program passing (fpga_properties)1 was then dereferenced). */
	if ((uintptr_t)p <= REG_TOMBSTONE)
		return false;
	s = reg_shard_of((uintptr_t)p, &h);

	pthread_mutex_lock(&s->lock);
	if (s->cap)
		reg_probe(s, (uintptr_t)p, h, &found);
	pthread_mutex_unlock(&s->lock);
	return found;
}

struct _fpga_properties *fw_props_lock(fpga_properties prop)
{
	struct _fpga_properties *p = prop;

	if (!p || !reg_contains(p))
		return NULL;
	pthread_mutex_lock(&p->lock);
	if (p->magic != FPGA_PROPERTY_MAGIC) {
		pthread_mutex_unlock(&p->lock);
		return NULL;
	}
	return p;
}

void fw_props_unlock(struct _fpga_properties *p)
{
	pthread_mutex_unlock(&p->lock);
}

void fw_props_clear_parent(struct _fpga_properties *p)
{
	/* A no-op for a raw value or an id the application already destroyed. */
	if (FIELD_VALID(p, FPGA_PROPERTY_PARENT))
		fw_token_drop(p->parent);
	CLEAR_FIELD_VALID(p, FPGA_PROPERTY_PARENT);
	p->parent = NULL;
}

/* The value to store for parent: a private id when parent is a live token
 * id (so the object keeps the plugin token alive and the application's
 * fpgaDestroyToken of its own id cannot pull it away), else parent itself. */
static fpga_result parent_value(fpga_token parent, fpga_token *out)
{
	*out = parent;
	if (objtab_lookup(&fw_tokens, parent)) {
		*out = fw_token_alias(parent);
		if (!*out)
			return FPGA_NO_MEMORY;
	}
	return FPGA_OK;
}

fpga_result fw_props_set_parent(struct _fpga_properties *p, fpga_token parent)
{
	fpga_token v;
	fpga_result r = parent_value(parent, &v);

	if (r != FPGA_OK)
		return r;
	fw_props_clear_parent(p);
	p->parent = v;
	SET_FIELD_VALID(p, FPGA_PROPERTY_PARENT);
	return FPGA_OK;
}

static struct _fpga_properties *props_create(void)
{
	struct _fpga_properties *p = calloc(1, sizeof(*p));
	pthread_mutexattr_t attr;

	if (!p)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	if (pthread_mutex_init(&p->lock, &attr)) {
		pthread_mutexattr_destroy(&attr);
		free(p);
		return NULL;
	}
	pthread_mutexattr_destroy(&attr);
	p->magic = FPGA_PROPERTY_MAGIC;
	if (reg_add(p)) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	return p;
}

fpga_result fw_props_new(fpga_properties *prop)
{
	struct _fpga_properties *p;

	if (!prop)
		return FPGA_INVALID_PARAM;
	p = props_create();
	if (!p) {
		fw_err("fpgaGetProperties: out of memory");
		return FPGA_NO_MEMORY;
	}
	*prop = p;
	return FPGA_OK;
}

FW_API fpga_result fpgaClearProperties(fpga_properties prop)
{
	struct _fpga_properties *p = fw_props_lock(prop);

	if (!p)
		return FPGA_INVALID_PARAM;
	fw_props_clear_parent(p);
	p->valid_fields = 0;
	fw_props_unlock(p);
	return FPGA_OK;
}

FW_API fpga_result fpgaCloneProperties(fpga_properties src, fpga_properties *dst)
{
	struct _fpga_properties *p, *c;
	pthread_mutex_t lock;

	if (!dst)
		return FPGA_INVALID_PARAM;
	p = fw_props_lock(src);
	if (!p)
		return FPGA_INVALID_PARAM;
	c = props_create();
	if (!c) {
		fw_props_unlock(p);
		return FPGA_NO_MEMORY;
	}
	lock = c->lock;
	*c = *p;
	c->lock = lock;
	/* The copy owns its own parent id. */
	if (FIELD_VALID(p, FPGA_PROPERTY_PARENT) && parent_value(p->parent, &c->parent)) {
		fw_props_unlock(p);
		c->valid_fields = 0;
		fpgaDestroyProperties((fpga_properties *)&c);
		return FPGA_NO_MEMORY;
	}
	fw_props_unlock(p);
	*dst = c;
	return FPGA_OK;
}

FW_API fpga_result fpgaDestroyProperties(fpga_properties *prop)
{
	struct _fpga_properties *p;

	if (!prop || !*prop)
		return FPGA_INVALID_PARAM;
	p = *prop;
	/* Unregistering first: of two racing destroys only one proceeds. */
	if (!reg_remove(p))
		return FPGA_INVALID_PARAM;
	pthread_mutex_lock(&p->lock);
	if (p->magic != FPGA_PROPERTY_MAGIC) {
		pthread_mutex_unlock(&p->lock);
		return FPGA_INVALID_PARAM;
	}
	fw_props_clear_parent(p);
	p->magic = 0;
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*prop = NULL;
	return FPGA_OK;
}
