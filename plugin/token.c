// SPDX-License-Identifier: BSD-3-Clause
/* token.c - plugin tokens: a snapshot of one object taken at enumeration,
 * starting with the fpga_token_header the framework reads. Tokens come from
 * a pool whose memory is kept until the plugin unloads, so a destroyed token
 * passed again reads a cleared magic instead of freed memory. */
#include <stdlib.h>
#include <string.h>

#include "plugin_priv.h"

#define TOKEN_CHUNK 64

struct token_chunk {
	struct token_chunk *next;
	struct pl_token t[TOKEN_CHUNK];
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct token_chunk *chunks;
static struct pl_token *free_tokens;

static struct pl_token *token_alloc(void)
{
	struct pl_token *t;

	pthread_mutex_lock(&pool_lock);
	if (!free_tokens) {
		struct token_chunk *c = calloc(1, sizeof(*c));

		if (!c) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		c->next = chunks;
		chunks = c;
		for (unsigned i = 0; i < TOKEN_CHUNK; i++) {
			c->t[i].next_free = free_tokens;
			free_tokens = &c->t[i];
		}
	}
	t = free_tokens;
	free_tokens = t->next_free;
	pthread_mutex_unlock(&pool_lock);
	memset(t, 0, sizeof(*t));
	return t;
}

void token_free(struct pl_token *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&pool_lock);
	memset(t, 0, sizeof(*t));
	t->next_free = free_tokens;
	free_tokens = t;
	pthread_mutex_unlock(&pool_lock);
}

void token_pool_free_all(void)
{
	pthread_mutex_lock(&pool_lock);
	while (chunks) {
		struct token_chunk *c = chunks;

		chunks = c->next;
		free(c);
	}
	free_tokens = NULL;
	pthread_mutex_unlock(&pool_lock);
}

/* Unique per object: the full 32-bit PCI domain (the header's segment holds
 * only 16 bits), bus, device, function and the object's index. */
uint64_t token_object_id(uint32_t domain, uint8_t bus, uint8_t dev, uint8_t fn, unsigned obj)
{
	return (uint64_t)domain << 32 | (uint64_t)bus << 24 | (uint64_t)(dev & 0x1f) << 19 |
	       (uint64_t)(fn & 7) << 16 | (obj & 0xffff);
}

void token_init(struct pl_token *t, const struct pl_dev *dev, const struct pl_obj *obj)
{
	const struct pl_pci *p = &dev->pci;

	memset(t, 0, sizeof(*t));
	t->hdr.magic = PL_TOKEN_MAGIC;
	t->hdr.vendor_id = p->ids[0];
	t->hdr.device_id = p->ids[1];
	t->hdr.subsystem_vendor_id = p->ids[2];
	t->hdr.subsystem_device_id = p->ids[3];
	t->hdr.segment = (uint16_t)p->domain;
	t->hdr.bus = p->bus;
	t->hdr.device = p->dev;
	t->hdr.function = p->fn;
	t->hdr.interface = FPGA_IFC_VFIO;
	memcpy(t->addr, p->addr, sizeof(t->addr));
	t->domain = p->domain;
	t->numa = p->numa;
	if (obj) {
		t->hdr.objtype = obj->type;
		t->hdr.object_id = token_object_id(p->domain, p->bus, p->dev, p->fn, obj->index);
		memcpy(t->hdr.guid, obj->guid, 16);
		t->obj = obj->index;
		t->num_mmio = obj->nspaces;
		t->num_irqs = obj->num_irqs;
		t->num_slots = obj->num_slots;
		t->bbs_id = obj->bbs_id;
	} else {
		/* a device we could not look into: an accelerator, GUID unknown */
		t->hdr.objtype = FPGA_ACCELERATOR;
		t->hdr.object_id = token_object_id(p->domain, p->bus, p->dev, p->fn, 1);
		t->obj = 1;
		t->unidentified = 1;
		t->num_irqs = p->num_vectors;
		t->unknown_busy = dev->unknown_busy;
	}
}

struct pl_token *token_new(const struct pl_dev *dev, const struct pl_obj *obj)
{
	struct pl_token *t = token_alloc();

	if (t)
		token_init(t, dev, obj);
	return t;
}

struct pl_token *token_clone(const struct pl_token *src)
{
	struct pl_token *t = token_alloc();

	if (t) {
		*t = *src;
		t->next_free = NULL;
	}
	return t;
}

struct pl_token *token_check(fpga_token tok)
{
	struct pl_token *t = tok;

	if (!t || ((uintptr_t)t % _Alignof(struct pl_token)) || t->hdr.magic != PL_TOKEN_MAGIC)
		return NULL;
	return t;
}
