// SPDX-License-Identifier: BSD-3-Clause
/* symbol_clash.c - an application with its own functions named like the core
 * library's internals (vlog, iova_reserve, buftab_find, ...). Linked with
 * libopaevfio.a it must build (no duplicate definitions), the library must
 * never call the application's functions, and the library's own log line
 * must still appear. Runs on the mock kernel's edu device. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <opae/vfio.h>

#include "vfio_mock.h"

#define EDU_ADDR "0000:00:03.0"

static int app_calls;

/* The application's own functions; signatures deliberately unlike the
 * library's. */
void vlog(const char *fmt, ...);
int iova_reserve(int x);
void *buftab_find(void);
int iova_init(void);
int close_teardown(void);
int sysfs_find_group(void);
int log_appendf(void);
int log_line(void);
int kcall_do(void);
int iommu_map(void);
int iommu_unmap_all(void);

void vlog(const char *fmt, ...)
{
	(void)fmt;
	app_calls++;
}
int iova_reserve(int x)
{
	app_calls++;
	return x;
}
void *buftab_find(void)
{
	app_calls++;
	return NULL;
}
int iova_init(void)
{
	return ++app_calls;
}
int close_teardown(void)
{
	return ++app_calls;
}
int sysfs_find_group(void)
{
	return ++app_calls;
}
int log_appendf(void)
{
	return ++app_calls;
}
int iommu_map(void)
{
	return ++app_calls;
}
int iommu_unmap_all(void)
{
	return ++app_calls;
}
int log_line(void)
{
	return ++app_calls;
}
int kcall_do(void)
{
	return ++app_calls;
}

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	failures += !ok;
}

int main(void)
{
	static const char scenario[] =
	    "{\"devices\":[{\"address\":\"" EDU_ADDR "\",\"model\":\"edu\",\"group\":1}]}";
	struct opae_vfio v;
	char log[4096] = "";
	size_t size = 4096;
	uint8_t *buf = NULL;
	uint64_t iova = 0;
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!cap || saved < 0 || vfio_mock_load_scenario(scenario)) {
		printf("FAIL: set-up\n");
		return 1;
	}
	memset(&v, 0, sizeof(v));
	dup2(fileno(cap), STDERR_FILENO);
	check(opae_vfio_open(&v, EDU_ADDR) == 0, "opae_vfio_open");
	check(opae_vfio_buffer_allocate(&v, &size, &buf, &iova) == 0 && iova >= 0x10000,
	      "opae_vfio_buffer_allocate (the library's own IOVA allocator)");
	check(opae_vfio_buffer_info(&v, buf) != NULL, "opae_vfio_buffer_info (its own table)");
	check(opae_vfio_buffer_free(&v, buf + 4096) != 0 && errno == ENOENT,
	      "opae_vfio_buffer_free of an unknown pointer fails");
	check(opae_vfio_buffer_free(&v, buf) == 0, "opae_vfio_buffer_free");
	opae_vfio_close(&v);
	dup2(saved, STDERR_FILENO);
	n = pread(fileno(cap), log, sizeof(log) - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	check(strstr(log, "opae-vfio: " EDU_ADDR ": free: ") != NULL,
	      "the library logged through its own logger");
	check(app_calls == 0, "the library never called the application's functions");
	fputs(log, stderr);
	printf("symbol_clash: %d failed\n", failures);
	return failures != 0;
}
