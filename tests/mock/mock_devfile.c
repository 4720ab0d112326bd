/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_devfile.c - the open file behind a device fd, referenced as the
 * kernel's struct file is: by the fd and by every BAR mmap made through it.
 * vfio_device_fops_release (device closed: IRQs off, reset, group no longer
 * busy) runs only when the last reference goes, so closing a device fd while
 * its BAR mappings live keeps the device open (audit D13).
 *
 * While mappings keep a closed fd's file alive, a PROT_NONE mapping of the
 * machine's lock file (the "anchor", mapped through that fd) keeps its OFD
 * locks, so other processes still see the device and its group open. It
 * costs one memory mapping, no fd.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "mock_internal.h"

struct mock_devfile {
	struct mock_dev *d;
	unsigned refs;
	void *anchor;
	struct mock_devfile *next;
};

static struct mock_devfile *files; /* every live one (freed with the world) */

/* GET_DEVICE_FD: a new file, held by its fd. Caller holds the world lock. */
struct mock_devfile *mock_devfile_new(struct mock_dev *d)
{
	struct mock_devfile *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->d = d;
	f->refs = 1;
	f->next = files;
	files = f;
	return f;
}

/* A BAR mmap through `fd` (this file's) takes a reference. */
void mock_devfile_get(struct mock_devfile *f, int fd)
{
	f->refs++;
	if (!f->anchor) {
		void *p = mock_real.mmap(NULL, MOCK_PAGE, PROT_NONE, MAP_SHARED, fd, 0);

		f->anchor = p == MAP_FAILED ? NULL : p;
	}
}

static void unlink_file(struct mock_devfile *f)
{
	for (struct mock_devfile **pp = &files; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			return;
		}
}

/* The fd closed or a mapping went: the last reference closes the device. */
void mock_devfile_put(struct mock_devfile *f)
{
	if (!f || --f->refs)
		return;
	if (f->anchor)
		mock_real.munmap(f->anchor, MOCK_PAGE);
	unlink_file(f);
	mock_dev_closed(f->d);
	free(f);
}

/* A new scenario: the old world's files are forgotten (their devices too). */
void mock_devfiles_forget_all(void)
{
	while (files) {
		struct mock_devfile *f = files;

		files = f->next;
		if (f->anchor)
			mock_real.munmap(f->anchor, MOCK_PAGE);
		free(f);
	}
}
