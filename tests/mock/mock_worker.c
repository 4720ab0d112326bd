/* mock_worker.c - the mock kernel's worker thread: runs model work scheduled
 * with mock_schedule (a DMA engine that takes time, a computation finishing)
 * after its delay, with the world (device) lock held.
 *
 * The thread starts on first use. Work of a device is dropped on its reset
 * and destruction, so a callback never sees a stale state pointer.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "mock_internal.h"

struct work {
	struct work *next;
	uint64_t due_ns;
	struct mock_dev *dev;
	void (*fn)(void *state, void *arg);
	void *arg;
};

static struct work *queue;  /* sorted by due_ns; guarded by the world lock */
static pthread_cond_t wake; /* CLOCK_MONOTONIC, set up before the thread starts */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static int started;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *worker(void *unused)
{
	(void)unused;
	for (;;) {
		uint64_t due = UINT64_MAX, now;
		struct work *w = NULL;

		mock_lock();
		now = now_ns();
		if (queue && queue->due_ns <= now) {
			w = queue;
			queue = w->next;
			w->fn(w->dev->state, w->arg);
		} else if (queue) {
			due = queue->due_ns;
		}
		mock_unlock();
		if (w) {
			free(w);
			continue;
		}
		pthread_mutex_lock(&wake_lock);
		if (due == UINT64_MAX) {
			pthread_cond_wait(&wake, &wake_lock);
		} else {
			struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ULL),
			                      .tv_nsec = (long)(due % 1000000000ULL)};

			pthread_cond_timedwait(&wake, &wake_lock, &ts);
		}
		pthread_mutex_unlock(&wake_lock);
	}
	return NULL;
}

/* A forked child has no worker thread (and inherits no lock holder): start
 * a new one on its first mock_schedule. */
static void child_after_fork(void)
{
	started = 0;
}

__attribute__((constructor)) static void worker_init(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

void mock_schedule(struct mock_dev *d, uint64_t delay_ns, void (*fn)(void *state, void *arg),
                   void *arg)
{
	struct work *w = malloc(sizeof(*w)), **pp;

	if (!w) {
		mock_log(0, "%s: out of memory scheduling device work", d->cfg.address);
		return;
	}
	w->due_ns = now_ns() + delay_ns;
	w->dev = d;
	w->fn = fn;
	w->arg = arg;
	mock_lock();
	for (pp = &queue; *pp && (*pp)->due_ns <= w->due_ns; pp = &(*pp)->next)
		;
	w->next = *pp;
	*pp = w;
	if (!started) {
		pthread_attr_t attr;
		pthread_t t;
		sigset_t all, old;
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&wake, &ca);
		pthread_condattr_destroy(&ca);

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
	}
	mock_unlock();
	pthread_mutex_lock(&wake_lock);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&wake_lock);
}

void mock_worker_drop(struct mock_dev *d)
{
	struct work **pp = &queue;

	mock_lock();
	while (*pp) {
		struct work *w = *pp;

		if (w->dev == d) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
	mock_unlock();
}
