/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_mmap.c - memory mappings the mock kernel owns: program mmaps of BAR
 * regions (the BAR's memfd, MAP_SHARED, with model pages behind the MMIO trap)
 * and anonymous MAP_HUGETLB mappings served from the scenario's pools.
 *
 * Both kinds are tracked so munmap can untrap / refill the pool, and so the
 * leak report can name them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mock_internal.h"
#include "trap.h"

#define MAX_MAPS 4096

struct tracked_map {
	uintptr_t addr;
	size_t len;
	int huge;      /* 0 BAR, else pool index + 1 */
	int prot;      /* the program's PROT_* */
	int inherited; /* a huge mapping a fork child got from its parent */
	uint64_t page; /* huge page size */
	struct mock_dev *dev;
	struct mock_devfile *file; /* a BAR map holds a reference on it */
	unsigned bar;
	uint64_t bar_off; /* BAR offset of addr */
	unsigned generation;
	int held; /* closed for a reset (mock_bar_maps_hold) */
	struct trap_range_ctx {
		struct tracked_map *map;
		uintptr_t start;
		size_t len;
	} traps[8];
	unsigned ntraps;
};

static struct tracked_map *maps[MAX_MAPS];
volatile int mock_tracked_maps;

/* > 0 while this thread runs a model callback of the MMIO trap (a signal
 * handler): nothing there may create threads or allocate. */
static __thread int in_trap __attribute__((tls_model("initial-exec")));

int mock_in_trap_callback(void)
{
	return in_trap;
}

static unsigned default_width(uint64_t off)
{
	return off & 7 ? 4 : 8;
}

static void trap_before_load(void *ctx, uint64_t off)
{
	struct trap_range_ctx *t = ctx;
	struct tracked_map *m = t->map;
	struct mock_dev *d = m->dev;
	uint64_t bar_off = m->bar_off + (t->start - m->addr) + off;
	unsigned w;

	in_trap++;
	mock_lock();
	if (m->generation == mock_w.generation && d->ops->on_read) {
		w = d->ops->reg_width ? d->ops->reg_width(d->state, m->bar, bar_off)
		                      : default_width(bar_off);
		bar_off &= ~(uint64_t)(w - 1);
		d->ops->on_read(d->state, m->bar, bar_off, w);
	}
	mock_unlock();
	in_trap--;
}

static void trap_after_store(void *ctx, uint64_t off)
{
	struct trap_range_ctx *t = ctx;
	struct tracked_map *m = t->map;
	struct mock_dev *d = m->dev;
	uint64_t bar_off = m->bar_off + (t->start - m->addr) + off, v = 0;
	unsigned w;

	in_trap++;
	mock_lock();
	if (m->generation == mock_w.generation)
		d->mmio_writes++;
	if (m->generation == mock_w.generation && d->ops->on_write) {
		w = d->ops->reg_width ? d->ops->reg_width(d->state, m->bar, bar_off)
		                      : default_width(bar_off);
		bar_off &= ~(uint64_t)(w - 1);
		memcpy(&v, d->bar_view[m->bar] + bar_off, w);
		d->ops->on_write(d->state, m->bar, bar_off, w, v);
	}
	mock_unlock();
	in_trap--;
}

static const struct trap_ops bar_trap_ops = {
    .before_load = trap_before_load,
    .after_store = trap_after_store,
};

static int page_trapped(struct mock_dev *d, unsigned bar, uint64_t page_off)
{
	if (mock_trap_all) /* VFIO_MOCK_TRAP_ALL: every store is seen and counted */
		return 1;
	if (d->ops->page_trapped)
		return d->ops->page_trapped(d->state, bar, page_off);
	return d->ops->on_write || d->ops->on_read;
}

static void untrap(struct tracked_map *m)
{
	for (unsigned i = 0; i < m->ntraps; i++)
		trap_remove((void *)m->traps[i].start, m->traps[i].len);
	m->ntraps = 0;
}

/* Trap the model's pages of [addr, addr+len): runs of trapped pages. */
static int trap_pages(struct tracked_map *m)
{
	uintptr_t p = m->addr, end = m->addr + m->len;

	while (p < end) {
		uintptr_t run;

		if (!page_trapped(m->dev, m->bar, m->bar_off + (p - m->addr))) {
			p += MOCK_PAGE;
			continue;
		}
		for (run = p;
		     run < end && page_trapped(m->dev, m->bar, m->bar_off + (run - m->addr));
		     run += MOCK_PAGE)
			;
		if (m->ntraps == sizeof(m->traps) / sizeof(m->traps[0]))
			return -ENOSPC;
		m->traps[m->ntraps].map = m;
		m->traps[m->ntraps].start = p;
		m->traps[m->ntraps].len = run - p;
		if (trap_add((void *)p, run - p, &bar_trap_ops, &m->traps[m->ntraps]) == 0) {
			m->ntraps++;
		} else {
			return -ENOSPC;
		}
		p = run;
	}
	return 0;
}

static int track(struct tracked_map *m)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (!maps[i]) {
			maps[i] = m;
			__atomic_add_fetch(&mock_tracked_maps, 1, __ATOMIC_RELEASE);
			return 0;
		}
	return -ENOMEM;
}

static void untrack(int i)
{
	free(maps[i]);
	maps[i] = NULL;
	__atomic_sub_fetch(&mock_tracked_maps, 1, __ATOMIC_RELEASE);
}

/* ---- zap: memory decoding off ------------------------------------------ *
 * 6.1's vfio_basic_config_write zaps every BAR mmap of the device when
 * COMMAND.MEM is cleared (vfio_pci_zap_and_down_write_memory_lock), and
 * vfio_pci_mmap_fault answers VM_FAULT_SIGBUS while decoding stays off; once
 * it is on again the next access faults the BAR back in. The mock puts a
 * mapping of an empty memfd in the BAR mapping's place (an access beyond a
 * file's end is a real SIGBUS, with si_addr, from the host kernel), made from
 * one such mapping with mremap, so no fd is used; trapped pages stay
 * registered with the trap and are closed again when the BAR comes back. */
static void *sigbus_src;

static void zap_one(struct tracked_map *m, int zap)
{
	void *src, *p;

	if (zap && !sigbus_src) {
		int fd = memfd_create("vfio-bar-zapped", MFD_CLOEXEC);

		if (fd >= 0) {
			p = mock_real.mmap(NULL, MOCK_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			sigbus_src = p == MAP_FAILED ? NULL : p;
			mock_real.close(fd);
		}
		if (!sigbus_src)
			return; /* no zap: the mapping keeps working */
	}
	src = zap ? sigbus_src : m->dev->bar_view[m->bar] + m->bar_off;
	p = mremap(src, 0, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)m->addr);
	if (p == MAP_FAILED)
		return;
	if (m->prot != (PROT_READ | PROT_WRITE))
		mprotect(p, m->len, m->prot);
	for (unsigned i = 0; !zap && i < m->ntraps; i++)
		mprotect((void *)m->traps[i].start, m->traps[i].len, PROT_NONE);
}

void mock_bar_maps_zap(struct mock_dev *d, int zap)
{
	if (d->mem_zapped == zap)
		return;
	d->mem_zapped = zap;
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i] && !maps[i]->huge && maps[i]->dev == d &&
		    maps[i]->generation == mock_w.generation)
			zap_one(maps[i], zap);
}

/* ---- hold: a reset ------------------------------------------------------ *
 * 6.1's VFIO_DEVICE_RESET zaps every BAR mmap and resets under memory_lock
 * (vfio_pci_zap_and_down_write_memory_lock): an access meanwhile waits in
 * vfio_pci_mmap_fault and then sees the registers after the reset. The mock
 * closes the untrapped pages of each mapping (trapped pages already wait for
 * the world lock) and has the trap's handler wait for the hold (trap_hold.c).
 * A mapping still being made (no file yet) or zapped by decoding off is left
 * as it is. Caller holds the world lock. */
static void untrapped_prot(struct tracked_map *m, int prot)
{
	uintptr_t p = m->addr, end = m->addr + m->len;

	while (p < end) {
		uintptr_t next = end;

		for (unsigned i = 0; i < m->ntraps; i++) {
			if (m->traps[i].start == p) {
				p += m->traps[i].len;
				next = 0;
				break;
			}
			if (m->traps[i].start > p && m->traps[i].start < next)
				next = m->traps[i].start;
		}
		if (next) {
			mprotect((void *)p, next - p, prot);
			p = next;
		}
	}
}

void mock_bar_maps_hold(struct mock_dev *d, int hold)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct tracked_map *m = maps[i];

		if (!m || m->huge || m->dev != d || m->generation != mock_w.generation)
			continue;
		if (hold && !m->held && m->file && !d->mem_zapped &&
		    !trap_hold((void *)m->addr, m->len)) {
			m->held = 1;
			untrapped_prot(m, PROT_NONE);
		} else if (!hold && m->held) {
			untrapped_prot(m, m->prot);
			trap_release((void *)m->addr, m->len);
			m->held = 0;
		}
	}
}

/* vfio_pci_core_mmap rules, plus: no mapping over a sparse-mmap hole.
 * Called without the world lock: trap_add must not run under it (a trapped
 * access on another thread holds the trap's lock while it waits for ours). */
void *mock_bar_mmap(struct mock_dev *d, struct mock_devfile *file, int fd, void *addr, size_t len,
                    int prot, int flags, off_t off)
{
	uint64_t index = (uint64_t)off >> MOCK_REGION_SHIFT;
	uint64_t pos = (uint64_t)off & ((1ULL << MOCK_REGION_SHIFT) - 1);
	const struct mock_bar_config *b;
	struct tracked_map *m;
	void *p;
	int err;

	mock_lock();
	err = mock_fault_check("mmap_bar", NULL);
	if (err)
		goto fail;
	err = EINVAL;
	if (off < 0 || (off & (MOCK_PAGE - 1)) || !len)
		goto fail;
	if (!(flags & MAP_SHARED) || index > VFIO_PCI_BAR5_REGION_INDEX)
		goto fail;
	b = &d->cfg.bar[index];
	if (!b->size || !b->mmap || pos + len > d->bar_map_size[index] || pos + len < pos)
		goto fail;
	if (b->nsparse) {
		int inside = 0;

		for (unsigned i = 0; i < b->nsparse; i++)
			if (pos >= b->sparse[i].offset &&
			    pos + len <=
			        ((b->sparse[i].offset + b->sparse[i].size + MOCK_PAGE - 1) &
			         ~(MOCK_PAGE - 1)))
				inside = 1;
		if (!inside)
			goto fail;
	}
	err = ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	/* a second mapping of the view's pages (mremap of a shared mapping with
	 * old_size 0), then the program's protection */
	p = mremap(d->bar_view[index] + pos, 0, len,
	           MREMAP_MAYMOVE | (flags & MAP_FIXED ? MREMAP_FIXED : 0), addr);
	if (p != MAP_FAILED && prot != (PROT_READ | PROT_WRITE) && mprotect(p, len, prot)) {
		err = errno;
		mock_real.munmap(p, len);
		p = MAP_FAILED;
		errno = err;
	}
	if (p == MAP_FAILED) {
		err = errno;
		free(m);
		goto fail;
	}
	m->addr = (uintptr_t)p;
	m->len = (len + MOCK_PAGE - 1) & ~(MOCK_PAGE - 1);
	m->dev = d;
	m->bar = (unsigned)index;
	m->bar_off = pos;
	m->generation = mock_w.generation;
	m->prot = prot;
	if (track(m)) {
		mock_real.munmap(p, len);
		free(m);
		goto fail;
	}
	mock_unlock();
	err = trap_pages(m);
	if (err) {
		untrap(m);
		mock_lock();
		for (int i = 0; i < MAX_MAPS; i++)
			if (maps[i] == m)
				untrack(i);
		mock_unlock();
		mock_real.munmap(p, len);
		errno = -err;
		return MAP_FAILED;
	}
	mock_lock();
	if (m->generation == mock_w.generation) {
		m->file = file; /* like the VMA's reference on the device file */
		mock_devfile_get(file, fd);
		if (d->mem_zapped) /* vfio_pci_core_mmap does not check: the fault does */
			zap_one(m, 1);
	}
	mock_unlock();
	return p;
fail:
	mock_unlock();
	errno = err;
	return MAP_FAILED;
}

/* Pages back to the machine's pool. Caller holds the world lock. */
static void huge_credit(int pool, uint64_t pages)
{
	mock_machine_lock();
	mock_m->huge_free[pool] += (unsigned)pages;
	mock_sysfs_update_hugepages();
	mock_machine_unlock();
}

/* fork child: the huge page mappings it inherited share their pages with the
 * parent; unmapping them frees nothing. */
void mock_mmap_after_fork(void)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i] && maps[i]->huge)
			maps[i]->inherited = 1;
}

void *mock_huge_mmap(void *addr, size_t len, int prot, int flags)
{
	int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
	int pool = shift == 30 ? 1 : shift == 21 || shift == 0 ? 0 : -1;
	uint64_t page = pool == 1 ? 1ULL << 30 : 2ULL << 20;
	size_t need, rounded;
	struct tracked_map *m;
	uint8_t *raw, *aligned;
	int err;

	(void)addr;
	err = mock_fault_check("mmap_huge", NULL);
	if (err) {
		errno = err;
		return MAP_FAILED;
	}
	if (pool < 0 || !len) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	rounded = (len + page - 1) & ~(page - 1);
	need = rounded / page;
	/* the pools are the machine's, shared by its processes like the kernel's */
	mock_machine_lock();
	if (mock_m->huge_free[pool] < need) {
		mock_machine_unlock();
		errno = ENOMEM;
		return MAP_FAILED;
	}
	mock_m->huge_free[pool] -= (unsigned)need; /* given back below on failure */
	mock_machine_unlock();
	m = calloc(1, sizeof(*m));
	if (!m) {
		huge_credit(pool, need);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	/* over-allocate, then trim to an aligned window of whole huge pages */
	raw = mock_real.mmap(
	    NULL, rounded + page, prot,
	    (int)((unsigned)flags &
	          ~(MAP_HUGETLB | ((unsigned)MAP_HUGE_MASK << MAP_HUGE_SHIFT) | MAP_FIXED)),
	    -1, 0);
	if (raw == MAP_FAILED) {
		huge_credit(pool, need);
		free(m);
		return MAP_FAILED;
	}
	aligned = (uint8_t *)(((uintptr_t)raw + page - 1) & ~(uintptr_t)(page - 1));
	if (aligned > raw)
		mock_real.munmap(raw, (size_t)(aligned - raw));
	if (raw + rounded + page > aligned + rounded)
		mock_real.munmap(aligned + rounded,
		                 (size_t)(raw + rounded + page - (aligned + rounded)));
	m->addr = (uintptr_t)aligned;
	m->len = rounded;
	m->huge = pool + 1;
	m->prot = prot;
	m->page = page;
	if (track(m)) {
		mock_real.munmap(aligned, rounded);
		free(m);
		huge_credit(pool, need);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	mock_machine_lock();
	mock_sysfs_update_hugepages();
	mock_machine_unlock();
	return aligned;
}

static int huge_munmap(int i, void *addr, size_t len)
{
	struct tracked_map *m = maps[i];
	uintptr_t a = (uintptr_t)addr, end = a + len;

	/* hugetlb VMAs split only at huge page boundaries */
	if ((a & (m->page - 1)) || (len & (m->page - 1))) {
		errno = EINVAL;
		return -1;
	}
	if (mock_real.munmap(addr, len))
		return -1;
	if (a <= m->addr && end >= m->addr + m->len) {
		if (!m->inherited)
			huge_credit(m->huge - 1, m->len / m->page);
		untrack(i);
	} else {
		uintptr_t lo = a > m->addr ? a : m->addr;
		uintptr_t hi = end < m->addr + m->len ? end : m->addr + m->len;

		if (!m->inherited)
			huge_credit(m->huge - 1, (hi - lo) / m->page);
		if (lo == m->addr) {
			m->len -= hi - lo;
			m->addr = hi;
		} else {
			m->len = lo - m->addr; /* a middle hole leaves the tail untracked */
		}
	}
	return 0;
}

/* munmap of a tracked mapping; *handled = 0 if addr..len is none of ours.
 * Takes the world lock itself and untraps outside it (see mock_bar_mmap). */
int mock_munmap_tracked(void *addr, size_t len, int *handled)
{
	uintptr_t a = (uintptr_t)addr, end = a + len;
	struct tracked_map *m = NULL;
	int err = 0, ret;

	*handled = 0;
	mock_lock();
	for (int i = 0; i < MAX_MAPS; i++) {
		if (!maps[i] || a >= maps[i]->addr + maps[i]->len || end <= maps[i]->addr)
			continue;
		*handled = 1;
		err = mock_fault_check("munmap", NULL);
		if (err)
			break;
		if (maps[i]->huge) {
			ret = huge_munmap(i, addr, len);
			mock_unlock();
			return ret;
		}
		m = maps[i];
		maps[i] = NULL; /* detached; freed or re-tracked below */
		__atomic_sub_fetch(&mock_tracked_maps, 1, __ATOMIC_RELEASE);
		break;
	}
	mock_unlock();
	if (err) {
		errno = err;
		return -1;
	}
	if (!m)
		return 0;
	untrap(m);
	ret = mock_real.munmap(addr, len);
	if (!ret && a <= m->addr && end >= m->addr + m->len) {
		mock_lock();
		if (m->generation == mock_w.generation)
			mock_devfile_put(m->file); /* may close the device */
		mock_unlock();
		free(m);
		return 0;
	}
	if (!ret) {
		uintptr_t lo = a > m->addr ? a : m->addr;
		uintptr_t hi = end < m->addr + m->len ? end : m->addr + m->len;

		hi = (hi + MOCK_PAGE - 1) & ~(MOCK_PAGE - 1);
		if (lo == m->addr) {
			m->bar_off += hi - m->addr;
			m->len -= hi - m->addr;
			m->addr = hi;
		} else {
			m->len = lo - m->addr;
		}
	}
	trap_pages(m);
	mock_lock();
	if (track(m))
		free(m);
	else if (m->generation == mock_w.generation && m->dev->mem_zapped)
		zap_one(m, 1); /* the rest stays zapped (trap_pages closed its pages) */
	mock_unlock();
	return ret;
}

/* Is [addr, addr+len) inside one tracked mapping? 1 (and its kind and
 * protection), 0 if it touches none, -1 if it is partly inside one. Caller
 * holds the world lock. */
int mock_tracked_range(uintptr_t addr, size_t len, int *huge, int *prot)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct tracked_map *m = maps[i];

		if (!m || addr >= m->addr + m->len || addr + len <= m->addr)
			continue;
		if (addr < m->addr || addr + len > m->addr + m->len)
			return -1;
		*huge = m->huge;
		*prot = m->prot;
		return 1;
	}
	return 0;
}

unsigned mock_bar_maps_live(void)
{
	unsigned n = 0;

	for (int i = 0; i < MAX_MAPS; i++)
		n += maps[i] && !maps[i]->huge;
	return n;
}

unsigned mock_huge_maps_live(void)
{
	unsigned n = 0;

	for (int i = 0; i < MAX_MAPS; i++)
		n += maps[i] && maps[i]->huge;
	return n;
}

void mock_mmap_report(void)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct tracked_map *m = maps[i];

		if (!m)
			continue;
		if (m->huge)
			fprintf(stderr, "vfio-mock: leak: huge page mapping %p len 0x%zx\n",
			        (void *)m->addr, m->len);
		else
			fprintf(stderr, "vfio-mock: leak: BAR%u mapping of %s at %p len 0x%zx\n",
			        m->bar, m->dev->cfg.address, (void *)m->addr, m->len);
	}
}

/* A new scenario: BAR mappings stay as plain memory, pools are forgotten. */
/* Forgotten maps whose traps are still installed: trap_remove must not run
 * under the world lock (a trapped access on another thread holds the trap's
 * lock while its callback waits for ours), so the caller of
 * mock_mmap_forget_all calls mock_mmap_release_forgotten after unlocking. */
static struct tracked_map *forgotten[MAX_MAPS];
static unsigned nforgotten;

/* Caller holds the world lock. */
void mock_mmap_forget_all(void)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i]) {
			if (nforgotten < MAX_MAPS) {
				forgotten[nforgotten++] = maps[i];
				maps[i] = NULL;
				__atomic_sub_fetch(&mock_tracked_maps, 1, __ATOMIC_RELEASE);
			} else {
				untrap(maps[i]); /* cannot happen: as many slots as maps */
				untrack(i);
			}
		}
}

/* Caller does NOT hold the world lock. */
void mock_mmap_release_forgotten(void)
{
	static struct tracked_map *batch[MAX_MAPS];
	static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned n;

	pthread_mutex_lock(&batch_lock);
	mock_lock();
	n = nforgotten;
	memcpy(batch, forgotten, n * sizeof(batch[0]));
	nforgotten = 0;
	mock_unlock();
	for (unsigned i = 0; i < n; i++) {
		untrap(batch[i]);
		free(batch[i]);
	}
	pthread_mutex_unlock(&batch_lock);
}
