/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_pinned.c - pages stay bound to the device from MAP_DMA to UNMAP_DMA,
 * as Linux's type1 pins them: a program that unmaps, remaps (MAP_FIXED,
 * mremap) or discards (MADV_DONTNEED) memory still DMA-mapped does not change
 * what the device reads and writes (audit C16).
 *
 * Before such a call changes a pinned range, the mock moves the pinned pages
 * out of the way (mremap: the program's range is then unmapped, as it asked)
 * and keeps them for the device until UNMAP_DMA; an mremap that moves pinned
 * pages makes the device follow them, as the kernel's page tables do. This
 * costs a memory mapping per moved block while the program's bug lasts (the
 * kernel holds such pages without one). Calls libc makes internally (free of
 * a large malloc block, realloc) do not reach the mock.
 *
 * Pins are found by a hash of the 2 MiB blocks of address space they cover.
 * Caller holds the world lock throughout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mock_internal.h"

#define CHUNK_SHIFT 21
#define HEADS       4096

struct moved {
	uintptr_t addr;
	size_t len;
	unsigned refs;
	int program; /* the program's own mapping now (after its mremap): never unmapped by the mock */
};

struct pin_reloc {
	uint64_t off, len; /* within the pin */
	uintptr_t at;      /* where those pages are now */
	struct moved *block;
};

struct entry {
	uint64_t chunk;
	struct mock_pin *pin;
	struct entry *next;
};

static struct entry *heads[HEADS];
static unsigned live_pins; /* atomic: nothing to check while 0 */

static unsigned head_of(uint64_t chunk)
{
	return (unsigned)((chunk * 0x9E3779B97F4A7C15ULL) >> 52) % HEADS;
}

static void index_add(struct mock_pin *pin, uint64_t vaddr, uint64_t size)
{
	for (uint64_t c = vaddr >> CHUNK_SHIFT; c <= (vaddr + size - 1) >> CHUNK_SHIFT; c++) {
		struct entry *e = malloc(sizeof(*e));

		if (!e)
			continue; /* not found later: the pin just is not protected */
		e->chunk = c;
		e->pin = pin;
		e->next = heads[head_of(c)];
		heads[head_of(c)] = e;
	}
}

static void index_remove(struct mock_pin *pin)
{
	for (uint64_t c = pin->vaddr >> CHUNK_SHIFT; c <= (pin->vaddr + pin->size - 1) >> CHUNK_SHIFT;
	     c++)
		for (struct entry **pp = &heads[head_of(c)]; *pp; pp = &(*pp)->next)
			if ((*pp)->pin == pin && (*pp)->chunk == c) {
				struct entry *e = *pp;

				*pp = e->next;
				free(e);
				break;
			}
}

/* A pin of [vaddr, vaddr+size); `watch`: keep its pages bound (not for BAR
 * mappings: peer-to-peer memory is the device's own). */
void mock_pinned_add(struct mock_pin *pin, uint64_t vaddr, uint64_t size, int watch)
{
	pin->vaddr = vaddr;
	pin->size = size;
	pin->watched = watch;
	if (!watch)
		return;
	index_add(pin, vaddr, size);
	__atomic_add_fetch(&live_pins, 1, __ATOMIC_RELEASE);
}

void mock_pinned_remove(struct mock_pin *pin)
{
	for (unsigned i = 0; i < pin->nrelocs; i++) {
		struct moved *b = pin->relocs[i].block;

		if (!--b->refs) { /* the kernel unpins: the pages are freed */
			if (!b->program)
				mock_real.munmap((void *)b->addr, b->len);
			free(b);
		}
	}
	free(pin->relocs);
	pin->relocs = NULL;
	pin->nrelocs = 0;
	if (pin->watched) {
		index_remove(pin);
		__atomic_sub_fetch(&live_pins, 1, __ATOMIC_RELEASE);
	}
	pin->watched = 0;
	pin->size = 0;
}

/* Where the device finds byte `off` of the pin now (none of its relocated
 * parts, or one of them). */
uintptr_t mock_pinned_vaddr(const struct mock_pin *pin, uint64_t off, uint64_t *room)
{
	uint64_t next = pin->size;

	for (unsigned i = 0; i < pin->nrelocs; i++) {
		const struct pin_reloc *r = &pin->relocs[i];

		if (off >= r->off && off < r->off + r->len) {
			*room = r->off + r->len - off;
			return r->at + (off - r->off);
		}
		if (r->off > off && r->off < next)
			next = r->off;
	}
	*room = next - off;
	return (uintptr_t)(pin->vaddr + off);
}

static int add_reloc(struct mock_pin *pin, uint64_t off, uint64_t len, uintptr_t at,
                     struct moved *b)
{
	struct pin_reloc *r = realloc(pin->relocs, (pin->nrelocs + 1) * sizeof(*r));

	if (!r)
		return -1;
	pin->relocs = r;
	r[pin->nrelocs++] = (struct pin_reloc){off, len, at, b};
	b->refs++;
	return 0;
}

/* The pins (not yet relocated there) overlapping [a, b). */
static unsigned pins_in(uintptr_t a, uintptr_t b, struct mock_pin **out, unsigned max)
{
	unsigned n = 0;

	for (uint64_t c = a >> CHUNK_SHIFT; c <= (b - 1) >> CHUNK_SHIFT; c++)
		for (struct entry *e = heads[head_of(c)]; e; e = e->next) {
			struct mock_pin *p = e->pin;
			int dup = 0;

			if (e->chunk != c || p->vaddr >= b || p->vaddr + p->size <= a)
				continue;
			for (unsigned k = 0; k < n; k++)
				dup |= out[k] == p;
			if (!dup && n < max)
				out[n++] = p;
		}
	return n;
}

/* Is byte v of pin p still at its original place (not relocated)? */
static int in_place(const struct mock_pin *p, uintptr_t v)
{
	uint64_t room;

	return mock_pinned_vaddr(p, v - p->vaddr, &room) == v;
}

/* Move the pages of [a, b) to [to, ...): one mremap, or halves when the
 * range spans several mappings (mremap moves within one). */
static int move_pages(uintptr_t a, uintptr_t b, uintptr_t to)
{
	/* the kernel's mremap, not the interposer (which would follow the move) */
	if (syscall(SYS_mremap, a, b - a, b - a, MREMAP_MAYMOVE | MREMAP_FIXED, to) != -1)
		return 0;
	if (errno != EFAULT || b - a <= MOCK_PAGE)
		return -1;
	{
		uintptr_t mid = a + ((b - a) / 2 & ~(uintptr_t)(MOCK_PAGE - 1));

		return move_pages(a, mid, to) || move_pages(mid, b, to + (mid - a)) ? -1 : 0;
	}
}

/* Move [a, b) (page aligned, mapped) out of the program's way: returns its
 * new address (the program's range is left unmapped), 0 if it cannot. */
static uintptr_t move_out(uintptr_t a, uintptr_t b)
{
	void *to = mock_real.mmap(NULL, b - a, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (to != MAP_FAILED && !move_pages(a, b, (uintptr_t)to))
		return (uintptr_t)to;
	mock_log(1, "pinned pages at %#lx+%#lx could not be kept for the device: %s",
	         (unsigned long)a, (unsigned long)(b - a), strerror(errno));
	if (to != MAP_FAILED)
		mock_real.munmap(to, b - a);
	return 0;
}

/* The program is about to unmap, replace or discard [addr, addr+len): keep
 * the pinned pages there for the device. */
void mock_pinned_release(uintptr_t addr, size_t len)
{
	struct mock_pin *pins[64];
	uintptr_t a = addr & ~(uintptr_t)(MOCK_PAGE - 1), end = addr + len;
	unsigned n;

	if (!__atomic_load_n(&live_pins, __ATOMIC_ACQUIRE) || !len || end < addr)
		return;
	if (((end - a) >> CHUNK_SHIFT) > 4096)
		return; /* a giant range: not checked (documented limit) */
	n = pins_in(a, end, pins, 64);
	/* page by page, grouping runs of pinned pages (one mremap per run) */
	for (uintptr_t v = a; v < end;) {
		uintptr_t run = v, at;
		struct moved *blk;

		while (run < end) {
			int pinned = 0;

			for (unsigned k = 0; k < n && !pinned; k++)
				pinned = run >= pins[k]->vaddr && run < pins[k]->vaddr + pins[k]->size &&
				         in_place(pins[k], run);
			if (!pinned)
				break;
			run += MOCK_PAGE;
		}
		if (run == v) {
			v += MOCK_PAGE;
			continue;
		}
		at = move_out(v, run);
		blk = at ? calloc(1, sizeof(*blk)) : NULL;
		if (blk) {
			blk->addr = at;
			blk->len = run - v;
			for (unsigned k = 0; k < n; k++) {
				uintptr_t lo = v > pins[k]->vaddr ? v : pins[k]->vaddr;
				uintptr_t hi = run < pins[k]->vaddr + pins[k]->size
				                   ? run
				                   : pins[k]->vaddr + pins[k]->size;

				if (lo < hi)
					add_reloc(pins[k], lo - pins[k]->vaddr, hi - lo, at + (lo - v), blk);
			}
			if (!blk->refs) {
				mock_real.munmap((void *)at, blk->len);
				free(blk);
			}
		}
		v = run;
	}
}

/* mremap moved [old, old+len) to `to`: pinned pages there moved with it, and
 * the device follows them (the kernel's pin is on the pages, not the
 * address). */
void mock_pinned_moved(uintptr_t old, size_t len, uintptr_t to)
{
	struct mock_pin *pins[64];
	unsigned n;

	if (!__atomic_load_n(&live_pins, __ATOMIC_ACQUIRE) || old == to || !len)
		return;
	n = pins_in(old, old + len, pins, 64);
	for (unsigned k = 0; k < n; k++) {
		struct mock_pin *p = pins[k];
		uintptr_t lo = old > p->vaddr ? old : p->vaddr;
		uintptr_t hi = old + len < p->vaddr + p->size ? old + len : p->vaddr + p->size;
		struct moved *blk;

		if (lo >= hi || !in_place(p, lo))
			continue;
		if (lo == p->vaddr && hi == p->vaddr + p->size && !p->nrelocs) {
			/* the whole buffer moved (a realloc): the pin follows it */
			index_remove(p);
			p->vaddr += to - old;
			index_add(p, p->vaddr, p->size);
			continue;
		}
		/* part of it: those pages are the program's mapping at `to` now
		 * (a later munmap of that part is not watched: documented) */
		blk = calloc(1, sizeof(*blk));
		if (!blk)
			continue;
		blk->program = 1;
		add_reloc(p, lo - p->vaddr, hi - lo, to + (lo - old), blk);
	}
}

int mock_pinned_any(void)
{
	return __atomic_load_n(&live_pins, __ATOMIC_ACQUIRE) != 0;
}

/* Is [a, a+len) private anonymous memory (one VMA or several)? Its
 * protection in *prot. From /proc/self/maps (only when pins exist). */
int mock_anon_private(uintptr_t a, size_t len, int *prot)
{
	char buf[8192];
	uintptr_t covered = a;
	ssize_t n, used = 0;
	int fd = mock_real.open("/proc/self/maps", O_RDONLY | O_CLOEXEC), ok = 1, found = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		char *nl, *line = buf;

		n = mock_real.read(fd, buf + used, sizeof(buf) - 1 - (size_t)used);
		if (n <= 0)
			break;
		used += n;
		buf[used] = 0;
		while ((nl = strchr(line, '\n'))) {
			unsigned long lo, hi, off, ino;
			char perms[5], path[2] = "";
			unsigned maj, min;

			*nl = 0;
			if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %1s", &lo, &hi, perms, &off, &maj,
			           &min, &ino, path) >= 7 &&
			    hi > covered && lo < a + len) {
				if (lo > covered || perms[3] != 'p' || ino || (path[0] && path[0] != '['))
					ok = 0;
				*prot = (perms[0] == 'r' ? PROT_READ : 0) |
				        (perms[1] == 'w' ? PROT_WRITE : 0) |
				        (perms[2] == 'x' ? PROT_EXEC : 0);
				covered = hi;
				found = 1;
			}
			line = nl + 1;
		}
		used -= line - buf;
		memmove(buf, line, (size_t)used);
	}
	mock_real.close(fd);
	return ok && found && covered >= a + len;
}
