/* mock_worker.c - the mock kernel's worker thread: runs model work scheduled
 * with mock_schedule (a DMA engine that takes time, a computation finishing)
 * after its delay, with the world (device) lock held.
 *
 * The thread starts when a scenario is loaded. Work of a device is dropped on its reset
 * and destruction, so a callback never sees a stale state pointer.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "mock_internal.h"

/* mock_schedule runs in signal context (a model's on_write inside the MMIO
 * trap), so it may not malloc, create threads or take a condvar: work items
 * come from a fixed pool, the thread is started outside signal context
 * (scenario load, or fork), and the wake-up is a write to an eventfd. */
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
static int wake_fd = -1;    /* eventfd: "the queue changed" */
static int started;

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

static void *worker(void *unused)
{
	(void)unused;
	for (;;) {
		uint64_t due = UINT64_MAX, now, junk;
		struct work *w = NULL;
		struct pollfd p = {.fd = wake_fd, .events = POLLIN};

		mock_lock();
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
			poll(&p, 1, -1);
		} else {
			struct timespec ts = {.tv_sec = (time_t)((due - now) / 1000000000ULL),
			                      .tv_nsec = (long)((due - now) % 1000000000ULL)};

			ppoll(&p, 1, &ts, NULL);
		}
		if (p.revents & POLLIN)
			(void)!read(wake_fd, &junk, sizeof(junk));
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
	if (wake_fd < 0)
		wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* the worker must never take the program's signals */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (wake_fd >= 0 && pthread_create(&t, &attr, worker, NULL) == 0)
		started = 1;
	else
		mock_log(0, "cannot start the mock's worker thread");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	mock_unlock();
}

/* A forked child has no worker thread: start a new one if devices exist. */
static void child_after_fork(void)
{
	started = 0;
	if (__atomic_load_n(&mock_w.loaded, __ATOMIC_ACQUIRE))
		mock_worker_start();
}

__attribute__((constructor)) static void worker_init(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

void mock_schedule(struct mock_dev *d, uint64_t delay_ns, void (*fn)(void *state, void *arg),
                   void *arg)
{
	struct work *w, **pp;
	uint64_t one = 1;

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
	if (!started)
		mock_log(0, "%s: device work scheduled but the worker is not running", d->cfg.address);
	else
		(void)!write(wake_fd, &one, sizeof(one));
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
