/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_worker.c - the mock kernel's worker thread: runs model work scheduled
 * with mock_schedule (a DMA engine that takes time, a computation finishing)
 * after its delay, with the world (device) lock held.
 *
 * The thread starts when a scenario is loaded. Work of a device is dropped on its reset
 * and destruction, so a callback never sees a stale state pointer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mock_internal.h"

/* mock_schedule runs in signal context (a model's on_write inside the MMIO
 * trap), so it may not malloc, create threads or take a condvar: work items
 * come from a fixed pool, the thread is started outside signal context
 * (scenario load, or the first VFIO call after a fork), and the wake-up is a
 * futex (no fd: the kernel's work costs the program no fd either). */
#define WORK_POOL 1024

struct work {
	struct work *next;
	uint64_t due_ns;
	struct mock_dev *dev;
	void (*fn)(void *state, void *arg);
	void *arg;
};

static struct work pool[WORK_POOL];
static struct work *free_items; /* guarded by the world lock */
static int pool_ready;
static struct work *queue;  /* sorted by due_ns; guarded by the world lock */
static uint32_t wake_seq;   /* futex word: bumped when the queue changes */
static int started;
static int restart_pending; /* a fork child that had a scenario loaded */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Caller holds the world lock. */
static void item_put(struct work *w)
{
	w->next = free_items;
	free_items = w;
}

static struct work *item_get(void)
{
	struct work *w;

	if (!pool_ready) {
		for (unsigned i = 0; i < WORK_POOL; i++)
			item_put(&pool[i]);
		pool_ready = 1;
	}
	w = free_items;
	if (w)
		free_items = w->next;
	return w;
}

static void futex_wait(uint32_t *word, uint32_t seen, const struct timespec *rel)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, rel, NULL, 0);
}

static void wake_worker(void)
{
	__atomic_add_fetch(&wake_seq, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *worker(void *unused)
{
	(void)unused;
	for (;;) {
		uint64_t due = UINT64_MAX, now;
		struct work *w = NULL;
		uint32_t seen;

		mock_lock();
		seen = __atomic_load_n(&wake_seq, __ATOMIC_ACQUIRE);
		now = now_ns();
		if (queue && queue->due_ns <= now) {
			w = queue;
			queue = w->next;
			w->fn(w->dev->state, w->arg);
			item_put(w);
		} else if (queue) {
			due = queue->due_ns;
		}
		mock_unlock();
		if (w)
			continue;
		if (due == UINT64_MAX) {
			futex_wait(&wake_seq, seen, NULL);
		} else {
			struct timespec ts = {.tv_sec = (time_t)((due - now) / 1000000000ULL),
			                      .tv_nsec = (long)((due - now) % 1000000000ULL)};

			futex_wait(&wake_seq, seen, &ts);
		}
	}
	return NULL;
}

/* Start the worker thread (not from signal context). Idempotent. */
void mock_worker_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	mock_lock();
	if (started) {
		mock_unlock();
		return;
	}
	restart_pending = 0;
	/* the worker must never take the program's signals */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, worker, NULL) == 0)
		started = 1;
	else
		mock_log(0, "cannot start the mock's worker thread");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	mock_unlock();
}

/* A forked child has no worker thread. A child that only calls exec
 * (timeout, system, a shell) or only makes calls that schedule no device work
 * does not need one, and ThreadSanitizer kills a child that creates threads
 * after a multi-threaded fork: start it when the child first has work. */
void mock_worker_after_fork(void)
{
	started = 0;
	wake_seq = 0;
	restart_pending = __atomic_load_n(&mock_w.loaded, __ATOMIC_ACQUIRE);
}

/* Under ThreadSanitizer a child of a multi-threaded process must not create
 * threads (TSan kills it): such a child starts the worker only on demand. */
extern void __tsan_init(void) __attribute__((weak));

/* fork() has returned in the child (normal context, libc's locks sane): a
 * child that inherited open devices keeps driving them, and a trapped MMIO
 * access cannot start a thread, so its worker starts now. */
void mock_worker_child_started(void)
{
	int open_devices = 0;

	if (!__atomic_load_n(&restart_pending, __ATOMIC_ACQUIRE) || __tsan_init)
		return;
	mock_lock();
	for (unsigned i = 0; i < mock_w.ndev; i++)
		open_devices |= mock_w.dev[i]->open_count > 0;
	mock_unlock();
	if (open_devices)
		mock_worker_start();
}

/* Not from signal context: start the worker of a fork child once it has
 * work (queued by a trapped access, which could not start it). */
void mock_worker_ensure(void)
{
	if (__atomic_load_n(&restart_pending, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&queue, __ATOMIC_ACQUIRE))
		mock_worker_start();
}

void mock_schedule(struct mock_dev *d, uint64_t delay_ns, void (*fn)(void *state, void *arg),
                   void *arg)
{
	struct work *w, **pp;

	mock_lock();
	w = item_get();
	if (!w) {
		mock_unlock();
		mock_log(0, "%s: more than %d device work items pending; dropped", d->cfg.address,
		         WORK_POOL);
		return;
	}
	w->due_ns = now_ns() + delay_ns;
	w->dev = d;
	w->fn = fn;
	w->arg = arg;
	for (pp = &queue; *pp && (*pp)->due_ns <= w->due_ns; pp = &(*pp)->next)
		;
	w->next = *pp;
	*pp = w;
	mock_unlock();
	if (!started && restart_pending && !mock_in_trap_callback())
		mock_worker_start();
	if (!started && !restart_pending)
		mock_log(0, "%s: device work scheduled but the worker is not running", d->cfg.address);
	else
		wake_worker();
}

void mock_worker_drop(struct mock_dev *d)
{
	struct work **pp = &queue;

	mock_lock();
	while (*pp) {
		struct work *w = *pp;

		if (w->dev == d) {
			*pp = w->next;
			item_put(w);
		} else {
			pp = &w->next;
		}
	}
	mock_unlock();
}
