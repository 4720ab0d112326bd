// SPDX-License-Identifier: BSD-3-Clause
/* handle.c - fpgaOpen / fpgaClose / fpgaReset and the handle table.
 *
 * A handle given to the framework is an id (generation << 16 | slot), not a
 * pointer. Slots live until the plugin unloads; a closed slot gets a new
 * generation, so a stale, doubly closed or forged handle fails one compare.
 * Calls on a handle (MMIO above all) take no lock: they count themselves in
 * a per-thread-shard counter, and close waits for those counters to drain
 * after it has marked the slot closing. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <opae/types_enum.h>

#include "plugin_priv.h"

#define SLOT_BITS  PL_SLOT_BITS
#define CHUNK      PL_CHUNK
#define MAX_CHUNKS PL_MAX_CHUNKS
#define chunks     pl_handle_chunks

struct pl_handle *_Atomic pl_handle_chunks[PL_MAX_CHUNKS];
int pl_fast_enter;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned nchunks;
static struct pl_handle *free_slots;
static _Atomic unsigned threads_seen;

/* initial-exec: one fs-relative load, no __tls_get_addr on the MMIO path */
__thread unsigned pl_my_shard __attribute__((tls_model("initial-exec")));

/* The first PL_EXCL_SHARDS threads own a counter each for the life of the
 * process (ids are never reused, so no thread-exit hook is needed); the
 * others share the last one. */
unsigned handle_first_shard(void)
{
	unsigned s = atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed);

	s = s < PL_EXCL_SHARDS ? s : PL_EXCL_SHARDS;
	pl_my_shard = s + 1;
	return s;
}

#if defined(__SANITIZE_THREAD__)
#define PL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PL_TSAN 1
#endif
#endif

void handle_setup_fences(void)
{
#ifdef PL_TSAN
	/* ThreadSanitizer cannot see the fence membarrier gives: keep the
	 * locked protocol there, which it can check */
	pl_fast_enter = 0;
#else
	pl_fast_enter = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
}

/* Every thread of the process executes a full barrier before this returns. */
static void fence_all_threads(void)
{
	if (pl_fast_enter && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		abort(); /* registered at configure: cannot fail, and must not be skipped */
}

static inline uint64_t state_word(uint64_t gen, unsigned st)
{
	return gen << 2 | st;
}

static struct pl_handle *slot_of(uint64_t id)
{
	unsigned slot = (unsigned)(id & ((1u << SLOT_BITS) - 1));
	struct pl_handle *c;

	if (!(id >> SLOT_BITS))
		return NULL;
	c = atomic_load_explicit(&chunks[slot / CHUNK], memory_order_acquire);
	return c ? &c[slot % CHUNK] : NULL;
}

static struct pl_handle *slot_alloc(void)
{
	struct pl_handle *s;

	pthread_mutex_lock(&table_lock);
	if (!free_slots && nchunks < MAX_CHUNKS) {
		struct pl_handle *c = aligned_alloc(64, CHUNK * sizeof(*c));

		if (c) {
			memset(c, 0, CHUNK * sizeof(*c));
			for (unsigned i = CHUNK; i-- > 0;) {
				c[i].slot = nchunks * CHUNK + i;
				pthread_mutex_init(&c[i].ws.lock, NULL);
				/* slot 0 of chunk 0 is never used: id 1 << 16 | 0 is fine, but
				 * generation 0 is reserved for "never valid" */
				atomic_init(&c[i].state, state_word(1, PH_FREE));
				c[i].next_free = free_slots;
				free_slots = &c[i];
			}
			atomic_store_explicit(&chunks[nchunks], c, memory_order_release);
			nchunks++;
		}
	}
	s = free_slots;
	if (s)
		free_slots = s->next_free;
	pthread_mutex_unlock(&table_lock);
	return s;
}

/* Back to the free list with the next generation (slot not open). */
static void slot_release(struct pl_handle *s)
{
	uint64_t gen = atomic_load_explicit(&s->state, memory_order_relaxed) >> 2;

	s->nspaces = 0;
	s->token = NULL;
	s->dev = NULL;
	s->session = NULL;
	s->port = NULL;
	s->flags = 0;
	s->parent = s->first_child = s->next_sibling = NULL;
	atomic_store_explicit(&s->nchildren, 0, memory_order_relaxed);
	atomic_store_explicit(&s->state, state_word(gen + 1, PH_FREE), memory_order_release);
	pthread_mutex_lock(&table_lock);
	s->next_free = free_slots;
	free_slots = s;
	pthread_mutex_unlock(&table_lock);
}

/* The object a token names, if the device still has it unchanged. */
static struct pl_obj *find_obj(struct pl_dev *dev, const struct pl_token *t)
{
	for (unsigned i = 0; i < dev->nobjs; i++) {
		struct pl_obj *o = &dev->objs[i];

		if (o->index == t->obj && o->type == t->hdr.objtype &&
		    (t->unidentified || !memcmp(o->guid, t->hdr.guid, 16)))
			return o;
	}
	return NULL;
}

/* A token of a device we could not look into: open it, look now, and
 * take its one accelerator. */
static struct pl_obj *identify_opened(struct pl_dev *dev)
{
	struct pl_obj *only = NULL;
	unsigned n = 0;

	if (dev->ident == PL_ID_UNKNOWN)
		registry_identify(dev);
	if (dev->ident != PL_ID_DONE)
		return NULL;
	for (unsigned i = 0; i < dev->nobjs; i++)
		if (dev->objs[i].type == FPGA_ACCELERATOR) {
			only = &dev->objs[i];
			n++;
		}
	if (n != 1) {
		log_err(dev->pci.addr, 0, "fpgaOpen: the device has %u accelerators now that it "
		                           "could be identified; enumerate again",
		         n);
		return NULL;
	}
	return only;
}

/* MMIO windows and port registers from the session's mappings. */
static fpga_result map_spaces(struct pl_handle *s, const struct pl_obj *o)
{
	const char *addr = s->dev->pci.addr;
	uint8_t *ptr;
	size_t size;

	for (unsigned i = 0; i < o->nspaces; i++) {
		const struct pl_space *sp = &o->space[i];

		if (opae_vfio_region_get(&s->session->v, sp->bar, &ptr, &size) || sp->off > size ||
		    size - sp->off < sp->size) {
			log_err(addr, 0, "fpgaOpen: BAR %u is not mapped or smaller than MMIO space %u "
			                  "(0x%llx + 0x%llx bytes)",
			         sp->bar, i, (unsigned long long)sp->off, (unsigned long long)sp->size);
			return FPGA_EXCEPTION;
		}
		s->space[i].base = ptr + sp->off;
		s->space[i].size = sp->size;
	}
	s->nspaces = o->nspaces;
	if (o->port >= 0) {
		if (opae_vfio_region_get(&s->session->v, o->port_bar, &ptr, &size) ||
		    o->port_off > size || size - o->port_off < PORT_REGS_END)
			return FPGA_EXCEPTION;
		s->port = ptr + o->port_off;
	}
	return FPGA_OK;
}

/* The device may have been reprogrammed since it was walked. */
static fpga_result check_afu(struct pl_handle *s, struct pl_obj *o)
{
	uint8_t guid[16];

	if (s->dev->rule.kind != CFG_KIND_DFL || o->type != FPGA_ACCELERATOR)
		return FPGA_OK;
	if (s->port && (dfl_read64(s->port, PORT_CONTROL) & PORT_CTL_SOFT_RESET)) {
		log_info(s->dev->pci.addr, "fpgaOpen: port %d is held in reset: releasing it", o->port);
		if (dfl_port_reset(s->port, s->dev->pci.addr, 0))
			return FPGA_EXCEPTION;
	}
	dfl_guid_from_regs(dfl_read64(s->space[0].base, DFL_GUID_H),
	                   dfl_read64(s->space[0].base, DFL_GUID_L), guid);
	if (memcmp(guid, o->guid, 16)) {
		log_err(s->dev->pci.addr, 0, "fpgaOpen: the AFU's GUID changed since enumeration "
		                              "(reprogrammed?); enumerate again");
		return FPGA_NOT_FOUND;
	}
	return FPGA_OK;
}

static int obj_opens(const struct pl_dev *dev)
{
	unsigned n = 0;

	for (unsigned i = 0; i < dev->nobjs; i++)
		n += dev->objs[i].opens;
	return (int)n;
}

fpga_result pl_open(fpga_token token, fpga_handle *handle, int flags)
{
	struct pl_token *t = token_check(token);
	struct pl_handle *s = NULL;
	struct pl_obj *o = NULL;
	struct pl_dev *dev;
	fpga_result r;
	uint64_t gen;

	if (!t || !handle) {
		log_err("-", 0, "fpgaOpen: %s", t ? "handle pointer is NULL" : "not a token of this plugin");
		return FPGA_INVALID_PARAM;
	}
	if (flags & ~(FPGA_OPEN_SHARED | FPGA_OPEN_HAS_PARENT_AFU)) {
		log_err(t->addr, 0, "fpgaOpen: unknown flags 0x%x", (unsigned)flags);
		return FPGA_INVALID_PARAM;
	}
	pthread_mutex_lock(&pl_reg.lock);
	dev = registry_find(t->addr);
	if (!dev || !dev->present || !dev->claimed) {
		log_err(t->addr, 0, "fpgaOpen: the device is no longer bound to vfio-pci");
		r = FPGA_NOT_FOUND;
		goto out;
	}
	if (!t->unidentified) {
		o = find_obj(dev, t);
		if (!o) {
			log_err(t->addr, 0, "fpgaOpen: the device changed since enumeration; enumerate again");
			r = FPGA_NOT_FOUND;
			goto out;
		}
		if (o->exclusive || (o->opens && !(flags & FPGA_OPEN_SHARED))) {
			log_err(t->addr, 0, "fpgaOpen: already open in this process%s",
			         o->exclusive ? " (exclusively)" : "; open with FPGA_OPEN_SHARED to share it");
			r = FPGA_BUSY;
			goto out;
		}
	}
	s = slot_alloc();
	if (!s) {
		r = FPGA_NO_MEMORY;
		goto out;
	}
	s->dev = dev;
	r = session_get(dev, &s->session);
	if (r != FPGA_OK) {
		s->session = NULL;
		goto out;
	}
	if (t->unidentified && !(o = identify_opened(dev))) {
		r = FPGA_NOT_FOUND;
		goto out;
	}
	if (t->unidentified && (o->exclusive || (o->opens && !(flags & FPGA_OPEN_SHARED)))) {
		r = FPGA_BUSY;
		goto out;
	}
	r = map_spaces(s, o);
	if (r == FPGA_OK)
		r = check_afu(s, o);
	if (r == FPGA_OK && !(s->token = token_new(dev, o)))
		r = FPGA_NO_MEMORY;
	s->flags = flags;
	/* last: nothing fails after the child is linked under its parent */
	if (r == FPGA_OK && (flags & FPGA_OPEN_HAS_PARENT_AFU))
		r = family_link(s, *handle);
	if (r != FPGA_OK) {
		if (r == FPGA_NOT_FOUND && !obj_opens(dev))
			dev->ident = PL_ID_UNKNOWN; /* learn it again at the next enumeration */
		goto out;
	}
	s->obj = o->index;
	o->opens++;
	o->exclusive = !(flags & FPGA_OPEN_SHARED);
	gen = atomic_load_explicit(&s->state, memory_order_relaxed) >> 2;
	atomic_store_explicit(&s->state, state_word(gen, PH_OPEN), memory_order_release);
	*handle = (fpga_handle)(uintptr_t)(gen << SLOT_BITS | s->slot);
	s = NULL;
out:
	if (s) {
		token_free(s->token);
		if (s->session)
			session_put(s->session);
		slot_release(s);
	}
	pthread_mutex_unlock(&pl_reg.lock);
	return r;
}

fpga_result pl_close(fpga_handle h)
{
	uint64_t id = (uint64_t)(uintptr_t)h;
	struct pl_handle *s = slot_of(id);
	uint64_t open = state_word(id >> SLOT_BITS, PH_OPEN);
	struct pl_obj *o;

	if (!s || !atomic_compare_exchange_strong(&s->state, &open,
	                                          state_word(id >> SLOT_BITS, PH_CLOSING))) {
		log_err("-", 0, "fpgaClose: not an open handle (closed already?)");
		return FPGA_INVALID_PARAM;
	}
	/* calls that entered before the exchange finish; later ones fail */
	fence_all_threads();
	for (unsigned i = 0; i < PL_SHARDS; i++)
		while (atomic_load_explicit(&s->inflight[i].n, memory_order_acquire))
			sched_yield();
	event_close_handle(s);
	family_unlink(s);
	buffer_close_all(s);
	pthread_mutex_lock(&pl_reg.lock);
	o = NULL;
	for (unsigned i = 0; i < s->dev->nobjs; i++)
		if (s->dev->objs[i].index == s->obj)
			o = &s->dev->objs[i];
	if (o) {
		o->opens--;
		o->exclusive = 0;
	}
	session_put(s->session);
	pthread_mutex_unlock(&pl_reg.lock);
	token_free(s->token);
	slot_release(s);
	return FPGA_OK;
}

fpga_result pl_reset(fpga_handle h)
{
	unsigned shard;
	struct pl_handle *s = handle_enter(h, &shard);
	fpga_result r;

	if (!s) {
		log_err("-", 0, "fpgaReset: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	if (s->token->hdr.objtype == FPGA_DEVICE)
		r = session_device_reset(s);
	else
		r = kind_of(s->dev)->reset(s);
	handle_leave(s, shard);
	return r;
}

void handle_close_all(void)
{
	for (unsigned c = 0; c < MAX_CHUNKS; c++) {
		struct pl_handle *chunk = atomic_load(&chunks[c]);

		if (!chunk)
			continue;
		for (unsigned i = 0; i < CHUNK; i++) {
			uint64_t st = atomic_load(&chunk[i].state);

			if ((st & 3) == PH_OPEN)
				pl_close((fpga_handle)(uintptr_t)((st >> 2) << SLOT_BITS | chunk[i].slot));
		}
	}
}

void handle_table_free(void)
{
	pthread_mutex_lock(&table_lock);
	for (unsigned c = 0; c < MAX_CHUNKS; c++) {
		struct pl_handle *chunk = atomic_load(&chunks[c]);

		for (unsigned i = 0; chunk && i < CHUNK; i++)
			buffer_table_free(&chunk[i].ws);
		free(chunk);
		atomic_store(&chunks[c], NULL);
	}
	nchunks = 0;
	free_slots = NULL;
	pthread_mutex_unlock(&table_lock);
}
