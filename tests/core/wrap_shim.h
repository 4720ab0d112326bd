// SPDX-License-Identifier: BSD-3-Clause
// wrap_shim.h - what the mock kernel cannot do, done at the library's own call
// sites: the test binary links with -Wl,--wrap=malloc,... (tests/core/
// CMakeLists.txt), so the library's allocations can fail one by one and its
// ioctl/readlink answers can be rewritten into what a hostile or unusual
// kernel would say. Only the objects linked into the test binary go through
// these wrappers; the mock (a shared library) and libstdc++ do not.
#ifndef WRAP_SHIM_H
#define WRAP_SHIM_H

#include <functional>

// Allocations (malloc, calloc, realloc, strdup, pthread_mutex_init) counted
// from now; the nth (1-based) fails with ENOMEM, 0 = none fails.
void shim_alloc_start(unsigned fail_nth = 0);
// Stops counting (and failing); returns the calls seen since the start.
unsigned shim_alloc_stop();

// Called after each ioctl the library makes, with the kernel's (the mock's)
// result; returns the result the library sees (and may rewrite *arg).
using IoctlHook = std::function<int(int fd, unsigned long req, void *arg, int r)>;
void shim_ioctl_hook(IoctlHook h); // nullptr: answers unchanged

// Called after each readlink of the library, with the link read into buf
// (NUL-terminated, r bytes); returns the length the library sees.
using ReadlinkHook = std::function<long(const char *path, char *buf, unsigned long len, long r)>;
void shim_readlink_hook(ReadlinkHook h);

#endif
