/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_eventfd.c - eventfds attached to a device's interrupts, held the way
 * the kernel holds them: by reference, without costing the program an fd.
 *
 * The kernel's eventfd_ctx_fdget takes a reference on the eventfd, not an fd.
 * The mock signals the program's own fd number instead of a dup of it, and
 * marks that number in the fd table (FD_EVENTFD, with the number of vectors
 * that use it). Only when the program closes an attached eventfd does the
 * mock keep a dup (made before the close, so the program's fd count does not
 * change), as the kernel keeps the eventfd alive for the vector. Calls the
 * mock does not see (dup2 over the number, close_range) are caught when the
 * vector fires: an fd that is no longer an eventfd is not written to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mock_internal.h"

/* readlink without the interposer (no fault injection, no redirection) and
 * async-signal-safe: a vector may fire from a trapped MMIO store. */
static int is_eventfd(int fd)
{
	char path[40] = "/proc/self/fd/", target[32];
	char digits[12];
	int n = 0, len = (int)strlen(path);
	long r;

	if (fd < 0)
		return 0;
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd);
	while (n)
		path[len++] = digits[--n];
	path[len] = 0;
	r = syscall(SYS_readlinkat, AT_FDCWD, path, target, sizeof(target) - 1);
	if (r < 0)
		return 0;
	target[r] = 0;
	return !strcmp(target, "anon_inode:[eventfd]");
}

/* eventfd_ctx_fdget: returns the number to signal, or -EBADF / -EINVAL.
 * Caller holds the world lock. */
int mock_efd_attach(int fd)
{
	struct mock_fd *f;
	int ret;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	f = mock_fd_lookup(fd);
	if (f && f->kind != FD_EVENTFD)
		return -EINVAL; /* a VFIO fd is not an eventfd */
	if (!f && !is_eventfd(fd))
		return -EINVAL;
	if (!f) {
		ret = mock_fd_install(fd, FD_EVENTFD, NULL);
		if (ret)
			return ret;
		f = mock_fd_lookup(fd);
	}
	f->efd_refs++;
	return fd;
}

/* eventfd_ctx_put. Caller holds the world lock. */
void mock_efd_detach(int *efd)
{
	struct mock_fd *f = mock_fd_lookup(*efd);

	if (*efd >= 0 && f && f->kind == FD_EVENTFD && !--f->efd_refs) {
		int held = f->efd_held, fd = *efd;

		mock_fd_forget(fd);
		if (held)
			mock_real.close(fd);
	}
	*efd = -1;
}

/* eventfd_signal; async-signal-safe. */
void mock_efd_signal(int efd)
{
	struct mock_fd *f = mock_fd_lookup(efd);
	uint64_t one = 1;

	if (efd < 0)
		return;
	if (f && !f->efd_held && !is_eventfd(efd)) {
		mock_log(1, "fd %d is no longer the eventfd attached to the vector: not signalled",
		         efd);
		return;
	}
	if (mock_real.write(efd, &one, sizeof(one)) < 0)
		mock_log(2, "eventfd %d: write failed", efd);
}

static void repoint(int *slot, int from, int to)
{
	if (*slot == from)
		*slot = to;
}

/* The program closes `fd`, an eventfd still attached to vectors: keep it for
 * them under a new number, taken before the program's number is freed (if no
 * fd is free, the mock keeps the program's number itself). Returns 1 if the
 * caller must not close `fd`. Caller holds the world lock. */
int mock_efd_program_closes(int fd)
{
	struct mock_fd *f = mock_fd_lookup(fd);
	int keep;

	if (!f || f->kind != FD_EVENTFD || f->efd_held)
		return 0;
	keep = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (keep < 0) {
		f->efd_held = 1; /* the number stays the mock's */
		return 1;
	}
	if (mock_fd_install(keep, FD_EVENTFD, NULL)) {
		mock_real.close(keep);
		f->efd_held = 1;
		return 1;
	}
	mock_fd_lookup(keep)->efd_refs = f->efd_refs;
	mock_fd_lookup(keep)->efd_held = 1;
	mock_fd_forget(fd);
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		for (unsigned v = 0; v < sizeof(d->ctx) / sizeof(d->ctx[0]); v++)
			repoint(&d->ctx[v].efd, fd, keep);
		repoint(&d->err_efd, fd, keep);
		repoint(&d->req_efd, fd, keep);
	}
	return 0;
}

/* dup2 replaced `fd` while the mock kept it for its vectors (no fd was free
 * for a copy): the vectors lose it. Caller holds the world lock. */
void mock_efd_lost(int fd)
{
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		for (unsigned v = 0; v < sizeof(d->ctx) / sizeof(d->ctx[0]); v++)
			repoint(&d->ctx[v].efd, fd, -1);
		repoint(&d->err_efd, fd, -1);
		repoint(&d->req_efd, fd, -1);
	}
	mock_fd_forget(fd);
}
