/* mock_fdtab.c - the mock kernel's fd table: which real fds of the process are
 * VFIO container, group or device files, and what they point to.
 *
 * Lookups are lock free (atomic loads) so that every read/close/ioctl on an fd
 * that is not the mock's pays one load and takes no lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "mock_internal.h"

static struct mock_fd *table[MOCK_MAX_FDS];

struct mock_fd *mock_fd_lookup(int fd)
{
	if (fd < 0 || fd >= MOCK_MAX_FDS)
		return NULL;
	return __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
}

int mock_fd_install(int fd, enum mock_fd_kind kind, void *obj)
{
	struct mock_fd *f;

	if (fd < 0 || fd >= MOCK_MAX_FDS)
		return -EMFILE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = kind;
	f->obj = obj;
	f->generation = mock_w.generation;
	__atomic_store_n(&table[fd], f, __ATOMIC_RELEASE);
	return 0;
}

void mock_fd_forget(int fd)
{
	struct mock_fd *f = mock_fd_lookup(fd);

	if (!f)
		return;
	__atomic_store_n(&table[fd], NULL, __ATOMIC_RELEASE);
	free(f);
}

void mock_fd_forget_all(void)
{
	for (int fd = 0; fd < MOCK_MAX_FDS; fd++)
		if (table[fd])
			mock_fd_forget(fd);
}

unsigned mock_fd_count(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < MOCK_MAX_FDS; fd++)
		if (table[fd])
			n++;
	return n;
}

void mock_fd_report(void)
{
	static const char *const names[] = {"?", "container", "group", "device"};

	for (int fd = 0; fd < MOCK_MAX_FDS; fd++) {
		struct mock_fd *f = table[fd];

		if (!f)
			continue;
		if (f->kind == FD_DEVICE)
			fprintf(stderr, "vfio-mock: leak: fd %d: device %s\n", fd,
			        ((struct mock_dev *)f->obj)->cfg.address);
		else if (f->kind == FD_GROUP)
			fprintf(stderr, "vfio-mock: leak: fd %d: group %u\n", fd,
			        ((struct mock_group *)f->obj)->id);
		else
			fprintf(stderr, "vfio-mock: leak: fd %d: %s\n", fd, names[f->kind]);
	}
}
