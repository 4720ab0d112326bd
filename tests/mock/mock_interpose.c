/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_interpose.c - the libc calls the mock kernel interposes: /dev/vfio
 * opens (and opens redirected into the fake sysfs), VFIO fds (ioctl,
 * pread/pwrite, read/write, mmap, close), MAP_HUGETLB mappings and fork.
 * The other path-based calls are in mock_interpose_path.c.
 *
 * Each wrapper first decides cheaply and without a lock whether the call is
 * the mock's (an fd in the fd table, a redirected path prefix, a tracked
 * mapping); everything else goes straight to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_internal.h"

/* The libc names interposed here are, with vfio_mock_*, all the library
 * exports; everything else is hidden (check: mock.exports). */
#pragma GCC visibility push(default)

#define REAL(name, type_unused)                                                                    \
	static __typeof__(name) *real_##name;                                                      \
	if (!real_##name)                                                                          \
	*(void **)&real_##name = dlsym(RTLD_NEXT, #name)

static int has_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int set_errno(int err)
{
	errno = err;
	return -1;
}

int mock_fault_passthrough(const char *kind); /* mock_faults.c */

/* open of /dev/vfio/vfio or /dev/vfio/N: returns fd, or -errno; 1 = not ours */
static int vfio_open(const char *path, int flags)
{
	static const char dev[] = "/dev/vfio/";
	const char *name;
	int ret, err;

	if (strncmp(path, dev, sizeof(dev) - 1) ||
	    !__atomic_load_n(&mock_w.loaded, __ATOMIC_ACQUIRE))
		return 1;
	name = path + sizeof(dev) - 1;
	mock_worker_ensure();
	mock_lock();
	err = mock_fault_check("open", NULL);
	if (err) {
		ret = -err;
	} else if (!strcmp(name, "vfio")) {
		/* the fd first: with no free fd the kernel's open fails with EMFILE */
		int fd = memfd_create("vfio-container", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
		struct mock_container *c = fd < 0 ? NULL : calloc(1, sizeof(*c));

		if (fd < 0) {
			ret = -errno;
		} else if (!c) {
			ret = -ENOMEM;
			mock_real.close(fd);
		} else if ((ret = mock_fd_install(fd, FD_CONTAINER, c))) {
			free(c);
			mock_real.close(fd);
		} else {
			c->refs = 1;
			c->fd_open = 1;
			mock_container_track(c); /* only once nothing can fail any more */
			ret = fd;
		}
	} else {
		char *end;
		unsigned long id = strtoul(name, &end, 10);

		if (!*name || *end || (name[0] == '0' && name[1]))
			ret = -ENOENT;
		else
			ret = mock_group_open((unsigned)id, flags);
	}
	mock_unlock();
	return ret;
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode, int at)
{
	char buf[PATH_MAX];
	const char *p;
	int ret;

	mock_resolve();
	if (path && path[0] == '/') {
		if (!strncmp(path, "/dev/vfio/", 10))
			mock_ensure_init();
		ret = vfio_open(path, flags);
		if (ret <= 0)
			return ret < 0 ? set_errno(-ret) : ret;
		if (ret != 1)
			return ret;
		p = mock_path_redirect(path, buf, sizeof(buf));
		if (p) {
			struct stat st;

			/* sysfs creates no files (kernfs has no create: EACCES) */
			if ((flags & O_CREAT) && strncmp(path, "/dev/vfio", 9) && stat(p, &st))
				return set_errno(EACCES);
			ret = mock_real.open(p, flags, mode);
			return mock_sysfs_opened(ret, path, flags);
		}
	}
	if (at)
		return mock_real.openat(dirfd, path, flags, mode);
	return mock_real.open(path, flags, mode);
}

/* open's optional third argument exists only when flags may create a file;
 * `flags` must be the last named parameter of the caller. */
#define OPEN_MODE_ARG(flags, mode)                     \
	do {                                           \
		if (has_mode(flags)) {                 \
			va_list ap_;                   \
			va_start(ap_, flags);          \
			(mode) = va_arg(ap_, mode_t);  \
			va_end(ap_);                   \
		}                                      \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE_ARG(flags, mode);
	return do_open(AT_FDCWD, path, flags, mode, 0);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE_ARG(flags, mode);
	return do_open(AT_FDCWD, path, flags, mode, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE_ARG(flags, mode);
	return do_open(dirfd, path, flags, mode, 1);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE_ARG(flags, mode);
	return do_open(dirfd, path, flags, mode, 1);
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0, 0);
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0, 0);
}

int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0, 1);
}

int __openat64_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0, 1);
}

/* The mock's side of closing fd (the caller then closes it, or dup2 replaces
 * it). Returns 1 if fd must stay open (an attached eventfd the mock keeps).
 * An injected "close" failure of a VFIO fd (*err) releases the fd all the
 * same and then reports the error, as Linux does (close never leaves the fd
 * open). */
static int fd_closing(int fd, int replaced, int *err)
{
	struct mock_fd *f;
	int keep = 0;

	mock_worker_ensure();
	mock_lock();
	f = mock_fd_lookup(fd);
	if (f && !replaced && f->kind <= FD_DEVICE)
		*err = mock_fault_check("close", NULL);
	if (f) {
		switch (f->kind) {
		case FD_CONTAINER: {
			struct mock_container *c = f->obj;

			c->fd_open = 0;
			mock_container_put(c);
			break;
		}
		case FD_GROUP:
			mock_group_closed(f->obj);
			break;
		case FD_DEVICE: /* the device closes with the file's last reference */
			mock_devfile_put(f->file);
			break;
		case FD_EVENTFD:
			mock_irq_unmask_fd_closed(fd); /* the irqfd goes with the file */
			keep = mock_efd_program_closes(fd);
			if (keep && replaced)
				mock_efd_lost(fd);
			keep &= !replaced;
			f = NULL; /* mock_efd_program_closes forgot or kept it */
			break;
		case FD_SYSFS:
			f = NULL; /* see close() */
			break;
		}
		if (f)
			mock_fd_forget(fd);
	}
	mock_unlock();
	return keep;
}

int close(int fd)
{
	struct mock_fd *f;
	int err = 0, ret;

	mock_resolve();
	f = mock_fd_lookup(fd);
	if (f && f->kind == FD_SYSFS)
		return mock_sysfs_fd_close(fd, 1);
	if (f && fd_closing(fd, 0, &err))
		return 0;
	ret = mock_real.close(fd);
	return err ? set_errno(err) : ret;
}

__attribute__((visibility("hidden"))) void mock_fd_replaced(int fd)
{
	struct mock_fd *f = mock_fd_lookup(fd);

	if (f && f->kind == FD_SYSFS)
		mock_sysfs_fd_close(fd, 0);
	else if (f)
		fd_closing(fd, 1, &(int){0});
}

/* ---- fd copies -------------------------------------------------------------
 * Only for sysfs files that act: a shell redirects with dup2 before its
 * builtin writes, and replacing an fd with dup2 closes what was there. */

static void copy_sysfs_fd(int from, int to)
{
	struct mock_fd *f = mock_fd_lookup(from);

	if (to < 0 || !f || f->kind != FD_SYSFS)
		return;
	mock_lock();
	if (!mock_fd_install(to, FD_SYSFS, NULL))
		mock_fd_lookup(to)->sysfs_attr = f->sysfs_attr;
	mock_unlock();
}

static int dup_to(int old, int new, int flags, int three)
{
	REAL(dup2, int (*)(int, int));
	REAL(dup3, int (*)(int, int, int));
	struct mock_fd *f = mock_fd_lookup(new);
	int ret;

	if (f && old != new) /* the fd that is replaced is closed first */
		mock_fd_replaced(new);
	ret = three ? real_dup3(old, new, flags) : real_dup2(old, new);
	if (ret >= 0 && old != new)
		copy_sysfs_fd(old, ret);
	return ret;
}

int dup2(int old, int new)
{
	mock_resolve();
	return dup_to(old, new, 0, 0);
}

int dup3(int old, int new, int flags)
{
	mock_resolve();
	return dup_to(old, new, flags, 1);
}

int dup(int fd)
{
	REAL(dup, int (*)(int));
	int ret = real_dup(fd);

	copy_sysfs_fd(fd, ret);
	return ret;
}

static int do_fcntl(int fd, int cmd, va_list ap, int is64)
{
	REAL(fcntl, int (*)(int, int, ...));
	REAL(fcntl64, int (*)(int, int, ...));
	void *arg = va_arg(ap, void *);
	int ret = is64 && real_fcntl64 ? real_fcntl64(fd, cmd, arg) : real_fcntl(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		copy_sysfs_fd(fd, ret);
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int ret;

	va_start(ap, cmd);
	ret = do_fcntl(fd, cmd, ap, 0);
	va_end(ap);
	return ret;
}

int fcntl64(int fd, int cmd, ...);
int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	int ret;

	va_start(ap, cmd);
	ret = do_fcntl(fd, cmd, ap, 1);
	va_end(ap);
	return ret;
}

int ioctl(int fd, unsigned long req, ...)
{
	struct mock_fd *f;
	va_list ap;
	void *arg;
	int ret, err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	mock_resolve();
	if (!mock_fd_lookup(fd))
		return mock_real.ioctl(fd, req, arg);
	mock_worker_ensure();
	mock_lock();
	f = mock_fd_lookup(fd);
	if (!f || f->kind == FD_EVENTFD || f->kind == FD_SYSFS) {
		mock_unlock();
		return mock_real.ioctl(fd, req, arg);
	}
	err = mock_fault_check("ioctl", mock_ioctl_name((int)f->kind, req));
	if (err)
		ret = -err;
	else if (f->kind == FD_CONTAINER)
		ret = mock_container_ioctl(f->obj, req, arg);
	else if (f->kind == FD_GROUP)
		ret = mock_group_ioctl(f->obj, fd, req, arg);
	else
		ret = mock_dev_ioctl(f->obj, req, arg);
	mock_unlock();
	return ret < 0 ? set_errno(-ret) : ret;
}

static ssize_t dev_rw(int fd, void *buf, size_t n, off_t off, int write, int use_pos)
{
	struct mock_fd *f;
	ssize_t ret;
	int err;

	mock_worker_ensure();
	mock_lock();
	f = mock_fd_lookup(fd);
	if (!f || f->kind != FD_DEVICE) {
		mock_unlock();
		return set_errno(EINVAL);
	}
	if (use_pos)
		off = lseek(fd, 0, SEEK_CUR);
	err = mock_fault_check(write ? "pwrite" : "pread", NULL);
	ret = err ? -err : mock_dev_rw(f->obj, buf, n, off, write);
	if (use_pos && ret > 0)
		lseek(fd, off + ret, SEEK_SET);
	mock_unlock();
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int is_device_fd(int fd)
{
	struct mock_fd *f = mock_fd_lookup(fd);

	return f && f->kind == FD_DEVICE;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	mock_resolve();
	if (!is_device_fd(fd))
		return mock_real.pread(fd, buf, n, off);
	return dev_rw(fd, buf, n, off, 0, 0);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	mock_resolve();
	if (!is_device_fd(fd))
		return mock_real.pwrite(fd, buf, n, off);
	return dev_rw(fd, (void *)buf, n, off, 1, 0);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

ssize_t read(int fd, void *buf, size_t n)
{
	mock_resolve();
	if (!is_device_fd(fd))
		return mock_real.read(fd, buf, n);
	return dev_rw(fd, buf, n, 0, 0, 1);
}

/* An INTx unmask irqfd: the eventfd's own write (its errors, its count),
 * then the kernel's wake-up handler (mock_irq.c). */
static ssize_t unmask_efd_write(int fd, const void *buf, size_t n)
{
	ssize_t ret = mock_real.write(fd, buf, n);

	if (ret < 0)
		return ret;
	mock_lock();
	mock_irq_unmask_fd_written(fd);
	mock_unlock();
	return ret;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	struct mock_fd *f;

	mock_resolve();
	f = mock_fd_lookup(fd);
	if (f && f->kind == FD_SYSFS)
		return mock_sysfs_fd_write(fd, buf, n);
	if (f && f->kind == FD_EVENTFD && __atomic_load_n(&f->efd_unmask, __ATOMIC_RELAXED))
		return unmask_efd_write(fd, buf, n);
	if (!is_device_fd(fd))
		return mock_real.write(fd, buf, n);
	return dev_rw(fd, (void *)buf, n, 0, 1, 1);
}

/* glibc's eventfd_write calls its internal write, which the mock would not see */
int eventfd_write(int fd, eventfd_t value)
{
	return write(fd, &value, sizeof(value)) == (ssize_t)sizeof(value) ? 0 : -1;
}

/* Pinned pages stay the device's (mock_pinned.c): keep them before the
 * program's call changes [addr, addr+len). */
static void keep_pinned(void *addr, size_t len)
{
	if (!mock_pinned_any())
		return;
	mock_lock();
	mock_pinned_release((uintptr_t)addr, len);
	mock_unlock();
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct mock_fd *f;
	void *ret;

	mock_resolve();
	if (fd >= 0 && !(flags & MAP_ANONYMOUS) && (f = mock_fd_lookup(fd)) && f->kind == FD_DEVICE) {
		mock_worker_ensure();
		return mock_bar_mmap(f->obj, f->file, fd, addr, len, prot, flags, off);
	}
	if ((flags & MAP_HUGETLB) && (flags & MAP_ANONYMOUS))
		mock_ensure_init();
	if ((flags & MAP_HUGETLB) && (flags & MAP_ANONYMOUS) &&
	    __atomic_load_n(&mock_w.loaded, __ATOMIC_ACQUIRE)) {
		mock_lock();
		ret = mock_huge_mmap(addr, len, prot, flags);
		mock_unlock();
		return ret;
	}
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		keep_pinned(addr, len); /* MAP_FIXED replaces what is there */
	if (flags & MAP_ANONYMOUS) {
		int err = mock_fault_passthrough("mmap_anon");

		if (err) {
			errno = err;
			return MAP_FAILED;
		}
	}
	return mock_real.mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* Only to start the child's worker after fork() returns there (the at-fork
 * handlers run too early for threads); system() and posix_spawn() do not fork. */
pid_t fork(void)
{
	REAL(fork, pid_t (*)(void));
	pid_t pid = real_fork();

	if (pid == 0)
		mock_worker_child_started();
	return pid;
}

/* munmap of a BAR or huge page mapping is the mock's ("munmap"); of anything
 * else libc's, with "munmap_anon" faults while a scenario is loaded. */
int munmap(void *addr, size_t len)
{
	int handled = 0, ret, err;

	mock_resolve();
	keep_pinned(addr, len);
	if (__atomic_load_n(&mock_tracked_maps, __ATOMIC_ACQUIRE)) {
		ret = mock_munmap_tracked(addr, len, &handled);
		if (handled)
			return ret;
	}
	err = mock_fault_passthrough("munmap_anon");
	return err ? set_errno(err) : mock_real.munmap(addr, len);
}

/* "madvise" fault injection; and MADV_DONTNEED of pinned private memory:
 * the kernel zaps the program's page tables but the device keeps the pinned
 * pages, and the program gets zero pages there (mock_pinned.c). */
int madvise(void *addr, size_t len, int advice)
{
	int err, prot;

	REAL(madvise, int (*)(void *, size_t, int));
	err = mock_fault_passthrough("madvise");
	if (err)
		return set_errno(err);
	if (advice == MADV_DONTNEED && mock_pinned_any() &&
	    mock_anon_private((uintptr_t)addr, len, &prot)) {
		keep_pinned(addr, len);
		if (mock_real.mmap(addr, len, prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED)
			return -1;
	}
	return real_madvise(addr, len, advice);
}

/* mremap: pages that shrink away are kept for the device; pages that move
 * take the device with them (the pin is on the pages). */
void *mremap(void *old, size_t oldlen, size_t newlen, int flags, ...)
{
	REAL(mremap, void *(*)(void *, size_t, size_t, int, ...));
	void *want = NULL, *ret;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	if (newlen < oldlen)
		keep_pinned((uint8_t *)old + newlen, oldlen - newlen);
	if (flags & MREMAP_FIXED)
		keep_pinned(want, newlen); /* replaced at the target */
	ret = real_mremap(old, oldlen, newlen, flags, want);
	if (ret != MAP_FAILED && ret != old && mock_pinned_any()) {
		mock_lock();
		mock_pinned_moved((uintptr_t)old, oldlen < newlen ? oldlen : newlen, (uintptr_t)ret);
		mock_unlock();
	}
	return ret;
}
