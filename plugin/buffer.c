// SPDX-License-Identifier: BSD-3-Clause
/* buffer.c - fpgaPrepareBuffer / ReleaseBuffer / GetIOAddress / GetWSInfo:
 * DMA buffers of the core, named by workspace ids from a per-handle table
 * (never pointers; see PL_WS_* in plugin_priv.h). Pins: family.c.
 * Allocation and release take the table's lock; lookups take none. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <opae/types_enum.h>

#include "plugin_priv.h"

#define WS_FLAGS   (FPGA_BUF_PREALLOCATED | FPGA_BUF_QUIET | FPGA_BUF_READ_ONLY)
#define INDEX_MASK ((1u << PL_WS_INDEX_BITS) - 1)
#define SLOT_MASK  ((1u << PL_SLOT_BITS) - 1)
#define GEN_MASK   ((1ull << (64 - PL_WS_GEN_SHIFT)) - 1)

static struct pl_handle *enter(fpga_handle h, const char *call, unsigned *shard)
{
	struct pl_handle *s = handle_enter(h, shard);

	if (!s)
		log_err("-", 0, "%s: not an open handle", call);
	return s;
}

static struct pl_ws *ws_at(const struct pl_wstab *t, uint32_t index)
{
	struct pl_ws *c;

	if (!t->chunks || index >= PL_WS_MAX_CHUNKS * PL_WS_CHUNK)
		return NULL;
	c = atomic_load_explicit(&t->chunks[index >> PL_WS_CHUNK_BITS], memory_order_acquire);
	return c ? &c[index & (PL_WS_CHUNK - 1)] : NULL;
}

static uint64_t ws_id(const struct pl_handle *h, uint32_t index, uint64_t gen)
{
	return gen << PL_WS_GEN_SHIFT | (uint64_t)(h->slot & SLOT_MASK) << PL_WS_INDEX_BITS | index;
}

/* The entry a wsid names if it is live in this handle's table, else NULL
 * with the reason logged. *state gets the entry's state word. */
static struct pl_ws *ws_find(struct pl_handle *h, const char *call, uint64_t wsid,
                             uint64_t *state)
{
	const char *addr = h->dev->pci.addr;
	uint32_t index = (uint32_t)(wsid & INDEX_MASK);
	uint64_t gen = wsid >> PL_WS_GEN_SHIFT;
	struct pl_ws *e;

	if (((wsid >> PL_WS_INDEX_BITS) & SLOT_MASK) != (h->slot & SLOT_MASK) || !gen) {
		log_err(addr, 0, "%s: workspace id 0x%" PRIx64 " was not made by this handle", call,
		        wsid);
		return NULL;
	}
	e = ws_at(&h->ws, index);
	*state = e ? atomic_load_explicit(&e->state, memory_order_acquire) : 0;
	if (!e || *state != (gen << 1 | 1)) {
		log_err(addr, 0, "%s: workspace id 0x%" PRIx64 " names no live buffer (released "
		                 "already?)",
		        call, wsid);
		return NULL;
	}
	return e;
}

/* A free entry of the table (lock held), made if needed; NULL when full or
 * out of memory. */
static struct pl_ws *ws_take(struct pl_wstab *t, uint32_t *index)
{
	struct pl_ws *e, *c;

	if (t->free_head) {
		*index = t->free_head - 1;
		e = ws_at(t, *index);
		t->free_head = e->next_free;
		return e;
	}
	if (t->nmade >= PL_WS_MAX_CHUNKS * PL_WS_CHUNK)
		return NULL;
	if (!t->chunks && !(t->chunks = calloc(PL_WS_MAX_CHUNKS, sizeof(*t->chunks))))
		return NULL;
	if (!(t->nmade & (PL_WS_CHUNK - 1))) {
		c = calloc(PL_WS_CHUNK, sizeof(*c));
		if (!c)
			return NULL;
		for (unsigned i = 0; i < PL_WS_CHUNK; i++)
			atomic_init(&c[i].state, 1u << 1); /* generation 1, not live */
		atomic_store_explicit(&t->chunks[t->nmade >> PL_WS_CHUNK_BITS], c,
		                      memory_order_release);
	}
	*index = t->nmade++;
	return ws_at(t, *index);
}

/* Retire entry e (not live any more): next generation, back on the list. */
static void ws_put(struct pl_wstab *t, struct pl_ws *e, uint32_t index, int was_live)
{
	uint64_t gen = (atomic_load_explicit(&e->state, memory_order_relaxed) >> 1) + 1;

	if (!(gen & GEN_MASK)) /* wrapped: generation 0 is never valid */
		gen = 1;
	atomic_store_explicit(&e->state, (gen & GEN_MASK) << 1, memory_order_release);
	e->next_free = t->free_head;
	t->free_head = index + 1;
	if (was_live)
		t->live--;
}

/* Core allocation result -> fpga_result. */
static fpga_result alloc_result(int rc, int err)
{
	if (rc == 1 || rc == 2)
		return FPGA_INVALID_PARAM;
	return err == ENOMEM || err == ENOSPC ? FPGA_NO_MEMORY : FPGA_EXCEPTION;
}

fpga_result pl_prepare_buffer(fpga_handle handle, uint64_t len, void **buf_addr, uint64_t *wsid,
                              int flags)
{
	const char *call = "fpgaPrepareBuffer";
	unsigned shard;
	struct pl_handle *h;
	struct pl_ws *e;
	uint8_t *buf;
	uint64_t iova = 0;
	uint32_t index;
	size_t size = (size_t)len;
	fpga_result r;
	int rc, err;

	if (!(h = enter(handle, call, &shard)))
		return FPGA_INVALID_PARAM;
	if ((flags & FPGA_BUF_PREALLOCATED) && !len && !buf_addr) {
		handle_leave(h, shard); /* the framework asks: is preallocation supported? */
		return FPGA_OK;
	}
	if (!buf_addr || !wsid || (flags & ~WS_FLAGS) || !len ||
	    ((flags & FPGA_BUF_PREALLOCATED) && !*buf_addr) || (h->flags & FPGA_OPEN_HAS_PARENT_AFU)) {
		log_err(h->dev->pci.addr, 0, "%s: %s", call,
		        !buf_addr || !wsid    ? "buf_addr or wsid is NULL"
		        : (flags & ~WS_FLAGS) ? "unknown flags"
		        : !len                ? "length 0"
		        : (h->flags & FPGA_OPEN_HAS_PARENT_AFU)
		            ? "a child AFU's buffers are prepared on its parent's handle"
		            : "FPGA_BUF_PREALLOCATED with *buf_addr NULL");
		handle_leave(h, shard);
		return FPGA_INVALID_PARAM;
	}
	pthread_mutex_lock(&h->ws.lock);
	e = ws_take(&h->ws, &index);
	pthread_mutex_unlock(&h->ws.lock);
	if (!e) {
		log_err(h->dev->pci.addr, ENOMEM, "%s: workspace table", call);
		handle_leave(h, shard);
		return FPGA_NO_MEMORY;
	}
	/* the flags are the core's (same values): it maps read-only, keeps
	 * quiet, or maps the caller's memory exactly */
	buf = (flags & FPGA_BUF_PREALLOCATED) ? *buf_addr : NULL;
	rc = opae_vfio_buffer_allocate_ex(&h->session->v, &size, &buf, &iova, flags);
	err = errno;
	pthread_mutex_lock(&h->ws.lock);
	if (rc) {
		ws_put(&h->ws, e, index, 0);
		pthread_mutex_unlock(&h->ws.lock);
		r = alloc_result(rc, err);
		/* the core named the step and the reason */
		log_line(flags & FPGA_BUF_QUIET ? LOGL_DEBUG : LOGL_ERROR, h->dev->pci.addr, 0,
		         "%s: %" PRIu64 " bytes not prepared (result %d)", call, len, (int)r);
		handle_leave(h, shard);
		return r;
	}
	/* seqlock writer: the entry is not live; order its field stores after
	 * the state stores that retired it */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->va, (uintptr_t)buf, memory_order_relaxed);
	atomic_store_explicit(&e->iova, iova, memory_order_relaxed);
	atomic_store_explicit(&e->len, size, memory_order_relaxed);
	e->flags = flags;
	atomic_store_explicit(&e->state, atomic_load_explicit(&e->state, memory_order_relaxed) | 1,
	                      memory_order_release);
	h->ws.live++;
	*wsid = ws_id(h, index, atomic_load_explicit(&e->state, memory_order_relaxed) >> 1);
	pthread_mutex_unlock(&h->ws.lock);
	if (!(flags & FPGA_BUF_PREALLOCATED))
		*buf_addr = buf;
	handle_leave(h, shard);
	return FPGA_OK;
}

/* Release entry e (lock held; pl_family_lock too when `family`: children
 * that pinned it let go first). 0, or -errno with the buffer still live. */
static int ws_release(struct pl_handle *h, struct pl_ws *e, uint32_t index, int family)
{
	uint8_t *va = (uint8_t *)atomic_load_explicit(&e->va, memory_order_relaxed);
	struct opae_vfio *v = &h->session->v;
	int rc;

	if (family)
		family_unpin_released(h, va, atomic_load_explicit(&e->len, memory_order_relaxed));
	rc = opae_vfio_buffer_free(v, va);
	/* the kernel refused the unmap: the core keeps the buffer mapped and
	 * tracked, so the id stays valid (close tries again) */
	if (rc && opae_vfio_buffer_info(v, va))
		return -EIO;
	ws_put(&h->ws, e, index, 1);
	return rc ? -EIO : 0;
}

/* Lock h's table for a release; with children also pl_family_lock, first
 * (the lock order). Children are linked only under the table's lock, so
 * "none" seen while holding it stays true. Returns 1 when the family lock
 * is held. */
static int lock_for_release(struct pl_handle *h)
{
	for (;;) {
		int family = atomic_load(&h->nchildren) != 0;

		if (family)
			pthread_mutex_lock(&pl_family_lock);
		pthread_mutex_lock(&h->ws.lock);
		if (family || !atomic_load(&h->nchildren))
			return family;
		pthread_mutex_unlock(&h->ws.lock); /* a child came: take the family lock first */
	}
}

fpga_result pl_release_buffer(fpga_handle handle, uint64_t wsid)
{
	unsigned shard;
	struct pl_handle *h = enter(handle, "fpgaReleaseBuffer", &shard);
	struct pl_ws *e;
	uint64_t st;
	fpga_result r = FPGA_OK;
	int family;

	if (!h)
		return FPGA_INVALID_PARAM;
	family = lock_for_release(h);
	e = ws_find(h, "fpgaReleaseBuffer", wsid, &st);
	if (!e)
		r = FPGA_NOT_FOUND;
	else if (ws_release(h, e, (uint32_t)(wsid & INDEX_MASK), family))
		r = FPGA_EXCEPTION;
	pthread_mutex_unlock(&h->ws.lock);
	if (family)
		pthread_mutex_unlock(&pl_family_lock);
	handle_leave(h, shard);
	return r;
}

/* Lock-free read of a live entry's fields: FPGA_NOT_FOUND if it is not
 * live, or was released while being read. */
static fpga_result ws_read(fpga_handle handle, const char *call, uint64_t wsid, uint64_t *iova,
                           void **va, uint64_t *len)
{
	unsigned shard;
	struct pl_handle *h = enter(handle, call, &shard);
	struct pl_ws *e;
	uint64_t st, i, l;
	uintptr_t p;

	if (!h)
		return FPGA_INVALID_PARAM;
	e = ws_find(h, call, wsid, &st);
	if (!e) {
		handle_leave(h, shard);
		return FPGA_NOT_FOUND;
	}
	i = atomic_load_explicit(&e->iova, memory_order_relaxed);
	l = atomic_load_explicit(&e->len, memory_order_relaxed);
	p = atomic_load_explicit(&e->va, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&e->state, memory_order_relaxed) != st) {
		log_err(h->dev->pci.addr, 0, "%s: workspace id 0x%" PRIx64 " was released meanwhile",
		        call, wsid);
		handle_leave(h, shard);
		return FPGA_NOT_FOUND;
	}
	handle_leave(h, shard);
	if (iova)
		*iova = i;
	if (va)
		*va = (void *)p;
	if (len)
		*len = l;
	return FPGA_OK;
}

fpga_result pl_get_io_address(fpga_handle h, uint64_t wsid, uint64_t *ioaddr)
{
	if (!ioaddr) {
		log_err("-", 0, "fpgaGetIOAddress: ioaddr is NULL");
		return FPGA_INVALID_PARAM;
	}
	return ws_read(h, "fpgaGetIOAddress", wsid, ioaddr, NULL, NULL);
}

fpga_result pl_get_ws_info(fpga_handle h, uint64_t wsid, uint64_t *ioaddr, void **buf,
                           uint64_t *len)
{
	return ws_read(h, "fpgaGetWSInfo", wsid, ioaddr, buf, len);
}

void buffer_close_all(struct pl_handle *h)
{
	struct pl_wstab *t = &h->ws;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->nmade && t->live; i++) {
		struct pl_ws *e = ws_at(t, i);

		/* family_unlink ran first: no child holds a pin any more */
		if ((atomic_load_explicit(&e->state, memory_order_relaxed) & 1) &&
		    ws_release(h, e, i, 0)) {
			/* the core keeps it until the device closes; the id must die now */
			ws_put(t, e, i, 1);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void buffer_table_free(struct pl_wstab *t)
{
	if (t->chunks)
		for (unsigned c = 0; c < PL_WS_MAX_CHUNKS; c++)
			free(atomic_load_explicit(&t->chunks[c], memory_order_relaxed));
	free(t->chunks);
	t->chunks = NULL;
	t->nmade = t->free_head = t->live = 0;
	pthread_mutex_destroy(&t->lock);
}
