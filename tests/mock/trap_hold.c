// SPDX-License-Identifier: BSD-3-Clause
/* trap_hold.c - BAR mappings held while a device resets: a fault there waits
 * in the SIGSEGV handler until the hold ends, then the access is retried
 * (vfio-pci's fault handler waiting for memory_lock during a reset).
 *
 * The registry is lock free on the reading side (the handler) and takes no
 * lock the trap's callbacks take, so the resetting thread may hold the world
 * lock while a trapped access on another thread waits for it.
 */
#define _GNU_SOURCE
#include "trap.h"
#include "trap_internal.h"

#include <errno.h>

#if !defined(__x86_64__) || !defined(__linux__)

int trap_hold(void *addr, size_t len)
{
	(void)addr;
	(void)len;
	return -ENOSYS; /* no fault handler to wait in */
}

void trap_release(void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

#else

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOLDS 512

static struct {
	_Atomic uintptr_t start, end; /* end == 0: free */
} holds[HOLDS];
/* Holds released lately: a thread that faulted just before the release
 * finds no hold when its handler looks, and must retry too (bounded, so a
 * real crash at that address later still crashes). */
#define RELEASED 32
static struct {
	_Atomic uintptr_t start, end;
	atomic_uint retries;
} released[RELEASED];
static atomic_uint released_next;
static atomic_uint hold_gen; /* bumped (and woken) at every release */
static pthread_mutex_t hold_mutex = PTHREAD_MUTEX_INITIALIZER;

int trap_hold(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	int ret = -ENOSPC;

	if (!len)
		return -EINVAL;
	ret = trap_install(); /* a BAR with no trapped page has no handler yet */
	if (ret)
		return ret;
	ret = -ENOSPC;
	pthread_mutex_lock(&hold_mutex);
	for (unsigned i = 0; i < HOLDS; i++)
		if (!atomic_load_explicit(&holds[i].end, memory_order_relaxed)) {
			atomic_store_explicit(&holds[i].start, a, memory_order_relaxed);
			atomic_store_explicit(&holds[i].end, a + len, memory_order_release);
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&hold_mutex);
	return ret;
}

void trap_release(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	pthread_mutex_lock(&hold_mutex);
	for (unsigned i = 0; i < HOLDS; i++)
		if (atomic_load_explicit(&holds[i].end, memory_order_relaxed) == a + len &&
		    atomic_load_explicit(&holds[i].start, memory_order_relaxed) == a) {
			atomic_store_explicit(&holds[i].end, 0, memory_order_release);
			break;
		}
	{
		unsigned r = atomic_fetch_add_explicit(&released_next, 1, memory_order_relaxed) % RELEASED;

		atomic_store_explicit(&released[r].end, 0, memory_order_relaxed);
		atomic_store_explicit(&released[r].start, a, memory_order_relaxed);
		atomic_store_explicit(&released[r].retries, 1024, memory_order_relaxed);
		atomic_store_explicit(&released[r].end, a + len, memory_order_release);
	}
	pthread_mutex_unlock(&hold_mutex);
	atomic_fetch_add_explicit(&hold_gen, 1, memory_order_release);
	syscall(SYS_futex, &hold_gen, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static int held(uintptr_t addr)
{
	for (unsigned i = 0; i < HOLDS; i++) {
		uintptr_t end = atomic_load_explicit(&holds[i].end, memory_order_acquire);

		if (end && addr < end && addr >= atomic_load_explicit(&holds[i].start,
		                                                      memory_order_relaxed))
			return 1;
	}
	return 0;
}

static int released_lately(uintptr_t addr)
{
	for (unsigned i = 0; i < RELEASED; i++) {
		uintptr_t end = atomic_load_explicit(&released[i].end, memory_order_acquire);
		unsigned n;

		if (!end || addr >= end ||
		    addr < atomic_load_explicit(&released[i].start, memory_order_relaxed))
			continue;
		n = atomic_load_explicit(&released[i].retries, memory_order_relaxed);
		while (n && !atomic_compare_exchange_weak_explicit(&released[i].retries, &n, n - 1,
		                                                   memory_order_relaxed,
		                                                   memory_order_relaxed))
			;
		if (n)
			return 1;
	}
	return 0;
}

/* In the SIGSEGV handler (async-signal-safe): 1 if addr was held and the
 * hold is over now (retry the access), 0 if it is not held. */
int trap_hold_wait(uintptr_t addr)
{
	const struct timespec tick = {0, 5 * 1000 * 1000}; /* re-check now and then */

	if (!held(addr))
		return released_lately(addr);
	for (;;) {
		unsigned gen = atomic_load_explicit(&hold_gen, memory_order_acquire);

		if (!held(addr))
			return 1;
		syscall(SYS_futex, &hold_gen, FUTEX_WAIT_PRIVATE, gen, &tick, NULL, 0);
	}
}

#endif
