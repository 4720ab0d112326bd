// SPDX-License-Identifier: BSD-3-Clause
// wrap_shim.cpp - the --wrap targets of wrap_shim.h: each forwards to the real
// call (the mock's or libc's), counting and failing allocations and handing
// ioctl and readlink answers to the test's hook.
#include "wrap_shim.h"

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstring>
#include <pthread.h>

extern "C" {
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_ioctl(int fd, unsigned long req, ...);
long __real_readlink(const char *path, char *buf, unsigned long len);
long __real___readlink_chk(const char *path, char *buf, unsigned long len, unsigned long buflen);
}

namespace
{
std::atomic<bool> counting{false};
std::atomic<unsigned> calls{0};
std::atomic<unsigned> fail_at{0};
IoctlHook ioctl_hook;
ReadlinkHook readlink_hook;

// true when this allocation is the one to fail
bool alloc_fails()
{
	if (!counting.load())
		return false;
	unsigned n = ++calls;
	return n == fail_at.load();
}
} // namespace

void shim_alloc_start(unsigned fail_nth)
{
	calls = 0;
	fail_at = fail_nth;
	counting = true;
}

unsigned shim_alloc_stop()
{
	counting = false;
	fail_at = 0;
	return calls.load();
}

void shim_ioctl_hook(IoctlHook h)
{
	ioctl_hook = std::move(h);
}

void shim_readlink_hook(ReadlinkHook h)
{
	readlink_hook = std::move(h);
}

extern "C" {
void *__wrap_malloc(size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return nullptr;
	}
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return nullptr;
	}
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return nullptr;
	}
	return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return nullptr;
	}
	return __real_strdup(s);
}

int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	if (alloc_fails())
		return ENOMEM;
	return __real_pthread_mutex_init(m, a);
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int r = __real_ioctl(fd, req, arg);
	if (!ioctl_hook)
		return r;
	int e = errno;
	int out = ioctl_hook(fd, req, arg, r);
	if (out == r)
		errno = e;
	return out;
}

static long readlink_hooked(const char *path, char *buf, unsigned long len, long r)
{
	if (!readlink_hook || r < 0 || (unsigned long)r >= len)
		return r;
	buf[r] = '\0';
	return readlink_hook(path, buf, len, r);
}

long __wrap_readlink(const char *path, char *buf, unsigned long len)
{
	return readlink_hooked(path, buf, len, __real_readlink(path, buf, len));
}

// what _FORTIFY_SOURCE makes of readlink into a buffer of known size
long __wrap___readlink_chk(const char *path, char *buf, unsigned long len, unsigned long buflen)
{
	return readlink_hooked(path, buf, len, __real___readlink_chk(path, buf, len, buflen));
}
}
