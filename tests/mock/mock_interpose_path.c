/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_interpose_path.c - the path-based libc calls the mock kernel
 * interposes to redirect /sys and /dev/vfio into its fake tree (stat, access,
 * readlink, realpath, opendir, scandir, fopen, glob, chown, chmod), their _FORTIFY_SOURCE
 * (_chk) variants, and the pre-2.33 glibc stat entry points (__xstat, ...)
 * that binaries built against an older glibc still call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- path redirection -------------------------------------------------- */

#define REDIRECT(path)                                                                             \
	char rbuf_[PATH_MAX];                                                                      \
	const char *rp_ = mock_path_redirect(path, rbuf_, sizeof(rbuf_));                          \
	if (rp_)                                                                                   \
	path = rp_

/* fopen for writing of a sysfs file that acts gives a FILE whose writes act
 * (mock_sysfs_write.c); errno set: refused like the kernel refuses */
FILE *fopen(const char *path, const char *mode)
{
	FILE *f = NULL;

	REAL(fopen, FILE * (*)(const char *, const char *));
	REDIRECT(path);
	if (rp_ && (f = mock_sysfs_fopen(path, mode ? mode : "")) == NULL && errno)
		return NULL;
	if (rp_ && f)
		return f;
	return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen(path, mode);
}

DIR *opendir(const char *path)
{
	REAL(opendir, DIR * (*)(const char *));
	REDIRECT(path);
	return real_opendir(path);
}

typedef int (*scan_filter)(const struct dirent *);
typedef int (*scan_compar)(const struct dirent **, const struct dirent **);
int scandir(const char *path, struct dirent ***list, scan_filter filter, scan_compar compar)
{
	REAL(scandir, int (*)(const char *, struct dirent ***, scan_filter, scan_compar));
	REDIRECT(path);
	return real_scandir(path, list, filter, compar);
}

typedef int (*scan_filter64)(const struct dirent64 *);
typedef int (*scan_compar64)(const struct dirent64 **, const struct dirent64 **);
int scandir64(const char *path, struct dirent64 ***list, scan_filter64 filter, scan_compar64 compar)
{
	REAL(scandir64, int (*)(const char *, struct dirent64 ***, scan_filter64, scan_compar64));
	REDIRECT(path);
	return real_scandir64(path, list, filter, compar);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	REAL(stat, int (*)(const char *, struct stat *));
	REDIRECT(path);
	return real_stat(path, st);
}

int stat64(const char *restrict path, struct stat64 *restrict st)
{
	REAL(stat64, int (*)(const char *, struct stat64 *));
	REDIRECT(path);
	return real_stat64(path, st);
}

int lstat(const char *restrict path, struct stat *restrict st)
{
	REAL(lstat, int (*)(const char *, struct stat *));
	REDIRECT(path);
	return real_lstat(path, st);
}

int lstat64(const char *restrict path, struct stat64 *restrict st)
{
	REAL(lstat64, int (*)(const char *, struct stat64 *));
	REDIRECT(path);
	return real_lstat64(path, st);
}

int fstatat(int dirfd, const char *restrict path, struct stat *restrict st, int flags)
{
	REAL(fstatat, int (*)(int, const char *, struct stat *, int));
	REDIRECT(path);
	return real_fstatat(dirfd, path, st, flags);
}

int fstatat64(int dirfd, const char *restrict path, struct stat64 *restrict st, int flags)
{
	REAL(fstatat64, int (*)(int, const char *, struct stat64 *, int));
	REDIRECT(path);
	return real_fstatat64(dirfd, path, st, flags);
}

int statx(int dirfd, const char *restrict path, int flags, unsigned mask,
          struct statx *restrict st)
{
	REAL(statx, int (*)(int, const char *, int, unsigned, struct statx *));
	REDIRECT(path);
	return real_statx(dirfd, path, flags, mask, st);
}

int access(const char *path, int mode)
{
	REAL(access, int (*)(const char *, int));
	REDIRECT(path);
	return real_access(path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	REAL(faccessat, int (*)(int, const char *, int, int));
	REDIRECT(path);
	return real_faccessat(dirfd, path, mode, flags);
}

/* Owner and mode of fake nodes (opaevfio -i -u/-g gives /dev/vfio/N to a
 * user): they change the files of the fake tree, whose owner and mode the
 * mock's open checks like the kernel. */
int chown(const char *path, uid_t uid, gid_t gid)
{
	REAL(chown, int (*)(const char *, uid_t, gid_t));
	REDIRECT(path);
	return real_chown(path, uid, gid);
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
	REAL(lchown, int (*)(const char *, uid_t, gid_t));
	REDIRECT(path);
	return real_lchown(path, uid, gid);
}

int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	REAL(fchownat, int (*)(int, const char *, uid_t, gid_t, int));
	REDIRECT(path);
	return real_fchownat(dirfd, path, uid, gid, flags);
}

int chmod(const char *path, mode_t mode)
{
	REAL(chmod, int (*)(const char *, mode_t));
	REDIRECT(path);
	return real_chmod(path, mode);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	REAL(fchmodat, int (*)(int, const char *, mode_t, int));
	REDIRECT(path);
	return real_fchmodat(dirfd, path, mode, flags);
}

int mock_fault_passthrough(const char *kind); /* mock_faults.c */

/* "readlink" faults apply to links of the fake sysfs only. */
ssize_t readlink(const char *restrict path, char *restrict buf, size_t len)
{
	int err;

	REAL(readlink, ssize_t(*)(const char *, char *, size_t));
	REDIRECT(path);
	err = rp_ ? mock_fault_passthrough("readlink") : 0;
	if (err) {
		errno = err;
		return -1;
	}
	return real_readlink(path, buf, len);
}

ssize_t readlinkat(int dirfd, const char *restrict path, char *restrict buf, size_t len)
{
	int err;

	REAL(readlinkat, ssize_t(*)(int, const char *, char *, size_t));
	REDIRECT(path);
	err = rp_ ? mock_fault_passthrough("readlink") : 0;
	if (err) {
		errno = err;
		return -1;
	}
	return real_readlinkat(dirfd, path, buf, len);
}

char *realpath(const char *restrict path, char *restrict resolved)
{
	char *ret;

	REAL(realpath, char *(*)(const char *, char *));
	REDIRECT(path);
	ret = real_realpath(path, resolved);
	if (ret && rp_)
		mock_path_unredirect(ret);
	return ret;
}

char *canonicalize_file_name(const char *path)
{
	char *ret;

	REAL(canonicalize_file_name, char *(*)(const char *));
	REDIRECT(path);
	ret = real_canonicalize_file_name(path);
	if (ret && rp_)
		mock_path_unredirect(ret);
	return ret;
}

typedef int (*glob_err)(const char *, int);
int glob(const char *restrict pattern, int flags, glob_err errfunc, glob_t *restrict g)
{
	int ret;

	REAL(glob, int (*)(const char *, int, glob_err, glob_t *));
	REDIRECT(pattern);
	ret = real_glob(pattern, flags, errfunc, g);
	if (rp_ && g->gl_pathv)
		for (size_t i = 0; i < g->gl_pathc; i++)
			mock_path_unredirect(g->gl_pathv[g->gl_offs + i]);
	return ret;
}

int glob64(const char *restrict pattern, int flags, glob_err errfunc, glob64_t *restrict g)
{
	int ret;

	REAL(glob64, int (*)(const char *, int, glob_err, glob64_t *));
	REDIRECT(pattern);
	ret = real_glob64(pattern, flags, errfunc, g);
	if (rp_ && g->gl_pathv)
		for (size_t i = 0; i < g->gl_pathc; i++)
			mock_path_unredirect(g->gl_pathv[g->gl_offs + i]);
	return ret;
}

/* ---- _FORTIFY_SOURCE variants --------------------------------------------
 * A program built with -D_FORTIFY_SOURCE=2 -O2 calls these instead of the
 * plain names when glibc knows the buffer size. Each checks like glibc
 * (__chk_fail when the buffer is smaller than the length) and then takes the
 * interposed plain call, so fortified programs see the same fake tree and
 * the same VFIO fds. */

extern void __chk_fail(void) __attribute__((noreturn));

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return read(fd, buf, n);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread(fd, buf, n, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread(fd, buf, n, off);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return readlink(path, buf, len);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return readlinkat(dirfd, path, buf, len);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	if (resolved && resolvedlen < PATH_MAX)
		__chk_fail();
	return realpath(path, resolved);
}

/* ---- glibc < 2.33 stat entry points --------------------------------------
 * Binaries linked against an older glibc (an OPAE SDK built elsewhere) call
 * these versioned compat symbols instead of stat/lstat/fstatat. */

#define XSTAT_VERSION "GLIBC_2.2.5"
#define COMPAT(name)                                                                               \
	static __typeof__(name) *real_##name;                                                      \
	if (!real_##name)                                                                          \
	*(void **)&real_##name = dlvsym(RTLD_NEXT, #name, XSTAT_VERSION)

int __xstat(int ver, const char *path, struct stat *st);
int __xstat(int ver, const char *path, struct stat *st)
{
	COMPAT(__xstat);
	REDIRECT(path);
	return real___xstat(ver, path, st);
}

int __xstat64(int ver, const char *path, struct stat64 *st);
int __xstat64(int ver, const char *path, struct stat64 *st)
{
	COMPAT(__xstat64);
	REDIRECT(path);
	return real___xstat64(ver, path, st);
}

int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st)
{
	COMPAT(__lxstat);
	REDIRECT(path);
	return real___lxstat(ver, path, st);
}

int __lxstat64(int ver, const char *path, struct stat64 *st);
int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	COMPAT(__lxstat64);
	REDIRECT(path);
	return real___lxstat64(ver, path, st);
}

int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	COMPAT(__fxstatat);
	REDIRECT(path);
	return real___fxstatat(ver, dirfd, path, st, flags);
}

int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	COMPAT(__fxstatat64);
	REDIRECT(path);
	return real___fxstatat64(ver, dirfd, path, st, flags);
}
