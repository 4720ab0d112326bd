/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_fdtab.c - the mock kernel's fd table: which real fds of the process are
 * VFIO container, group or device files (and which are eventfds attached to a
 * device's interrupts), and what they point to.
 *
 * Lookups are lock free (atomic loads) so that every read/close/ioctl on an fd
 * that is not the mock's pays two loads and takes no lock. The table has two
 * levels (pages of 1024 entries, allocated on first use and never freed), so
 * any fd below 2^21 can be the mock's, however high RLIMIT_NOFILE is.
 */
#include <errno.h>
#include <stdlib.h>

#include "mock_internal.h"

#define PAGE_FDS  1024
#define MAX_PAGES 2048 /* 2^21 fds */

static struct mock_fd **pages[MAX_PAGES];
/* Forgotten entries, freed only when the world is cleared: a lock-free
 * lookup on another thread (read() of an eventfd while a vector is being
 * detached) may still read the entry it loaded. */
static struct mock_fd *retired;

static struct mock_fd **slot(int fd, int create)
{
	struct mock_fd **p;

	if (fd < 0 || fd >= PAGE_FDS * MAX_PAGES)
		return NULL;
	p = __atomic_load_n(&pages[fd / PAGE_FDS], __ATOMIC_ACQUIRE);
	if (!p && create) {
		/* only installs create pages, and they hold the world lock */
		p = calloc(PAGE_FDS, sizeof(*p));
		if (!p)
			return NULL;
		__atomic_store_n(&pages[fd / PAGE_FDS], p, __ATOMIC_RELEASE);
	}
	return p ? &p[fd % PAGE_FDS] : NULL;
}

struct mock_fd *mock_fd_lookup(int fd)
{
	struct mock_fd **s = slot(fd, 0);

	return s ? __atomic_load_n(s, __ATOMIC_ACQUIRE) : NULL;
}

/* Caller holds the world lock. */
int mock_fd_install(int fd, enum mock_fd_kind kind, void *obj)
{
	struct mock_fd **s, *f;

	if (fd < 0 || fd >= PAGE_FDS * MAX_PAGES)
		return -EMFILE;
	f = calloc(1, sizeof(*f));
	s = f ? slot(fd, 1) : NULL;
	if (!s) {
		free(f);
		return -ENOMEM;
	}
	f->kind = kind;
	f->obj = obj;
	f->generation = mock_w.generation;
	__atomic_store_n(s, f, __ATOMIC_RELEASE);
	return 0;
}

void mock_fd_forget(int fd)
{
	struct mock_fd **s = slot(fd, 0), *f;

	f = s ? *s : NULL;
	if (!f)
		return;
	__atomic_store_n(s, NULL, __ATOMIC_RELEASE);
	f->retired_next = __atomic_load_n(&retired, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&retired, &f->retired_next, f, 1, __ATOMIC_RELEASE,
	                                    __ATOMIC_RELAXED))
		;
}

/* fn(fd, entry) for every entry. */
static void each(void (*fn)(int fd, struct mock_fd *f, void *arg), void *arg)
{
	for (int pg = 0; pg < MAX_PAGES; pg++) {
		struct mock_fd **p = pages[pg];

		for (int i = 0; p && i < PAGE_FDS; i++)
			if (p[i])
				fn(pg * PAGE_FDS + i, p[i], arg);
	}
}

static void forget_one(int fd, struct mock_fd *f, void *arg)
{
	(void)f;
	(void)arg;
	mock_fd_forget(fd);
}

void mock_fd_forget_all(void)
{
	struct mock_fd *f = NULL;

	each(forget_one, NULL);
	f = __atomic_exchange_n(&retired, NULL, __ATOMIC_ACQUIRE);
	while (f) {
		struct mock_fd *next = f->retired_next;

		free(f);
		f = next;
	}
}

static void count_one(int fd, struct mock_fd *f, void *arg)
{
	(void)fd;
	/* eventfds are the program's own fds: not VFIO objects */
	*(unsigned *)arg += f->kind != FD_EVENTFD;
}

unsigned mock_fd_count(void)
{
	unsigned n = 0;

	each(count_one, &n);
	return n;
}

static void report_one(int fd, struct mock_fd *f, void *arg)
{
	static const char *const names[] = {"?", "container", "group", "device"};

	(void)arg;
	if (f->kind == FD_DEVICE)
		fprintf(stderr, "vfio-mock: leak: fd %d: device %s\n", fd,
		        ((struct mock_dev *)f->obj)->cfg.address);
	else if (f->kind == FD_GROUP)
		fprintf(stderr, "vfio-mock: leak: fd %d: group %u\n", fd,
		        ((struct mock_group *)f->obj)->id);
	else if (f->kind == FD_CONTAINER)
		fprintf(stderr, "vfio-mock: leak: fd %d: %s\n", fd, names[f->kind]);
}

void mock_fd_report(void)
{
	each(report_one, NULL);
}
