// SPDX-License-Identifier: BSD-3-Clause
/* bench_framework.c - what libopae-c's dispatch costs, next to calling the
 * plugin directly (through the same function pointer the framework uses):
 *   - fpgaReadMMIO64 through the framework vs the plugin's entry, one thread
 *     and two threads on one handle (no lock on this path: the per-call cost
 *     must not grow with threads);
 *   - fpgaGetProperties(NULL) + fpgaDestroyProperties vs malloc + free;
 *   - fpgaGetProperties(token) + fpgaDestroyProperties vs the plugin's
 *     GetProperties + fpgaDestroyProperties.
 * The plugin does nothing (bench_fw_plugin.c). Each figure is the best of
 * ROUNDS rounds (the machine is shared; the minimum is the least disturbed).
 * Prints figures; never fails on timing.
 *
 * usage: bench_framework PLUGIN [iterations]   (default 5,000,000)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

/* CPU time of the calling thread: on a shared, loaded machine the time a
 * thread spends descheduled would otherwise dominate the figures. */
static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

#define ROUNDS 7

static fpga_handle fw_handle;
static fpga_handle raw_handle;
static opae_api_adapter_table direct; /* the plugin's table, filled by us */
static long iters;

static double mmio_framework(void)
{
	uint64_t v, sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		fpgaReadMMIO64(fw_handle, 0, (uint64_t)i & 0xff8, &v);
		sum += v;
	}
	__asm__ volatile("" : : "r"(sum));
	return (now_ns() - t0) / (double)iters;
}

static double mmio_direct(void)
{
	fpga_result (*volatile read64)(fpga_handle, uint32_t, uint64_t, uint64_t *) =
	    direct.fpgaReadMMIO64;
	uint64_t v, sum = 0;
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		read64(raw_handle, 0, (uint64_t)i & 0xff8, &v);
		sum += v;
	}
	__asm__ volatile("" : : "r"(sum));
	return (now_ns() - t0) / (double)iters;
}

static void *mmio_thread(void *arg)
{
	*(double *)arg = mmio_framework();
	return NULL;
}

static double props_empty(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		fpga_properties p;
		fpgaGetProperties(NULL, &p);
		fpgaDestroyProperties(&p);
	}
	return (now_ns() - t0) / (double)n;
}

static double malloc_free(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		void *volatile p = calloc(1, 144);
		free(p);
	}
	return (now_ns() - t0) / (double)n;
}

static double props_token(fpga_token t, long n, int through_framework)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		fpga_properties p;
		if (through_framework)
			fpgaGetProperties(t, &p);
		else
			direct.fpgaGetProperties(t, &p);
		fpgaDestroyProperties(&p);
	}
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	typedef int (*configure_fn)(opae_api_adapter_table *, const char *);
	fpga_token tok = NULL, raw_tok = NULL;
	uint32_t n = 0;
	pthread_t th[2];
	double two[2];
	void *dl;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_framework PLUGIN [iterations]\n");
		return 2;
	}
	iters = argc > 2 ? atol(argv[2]) : 5000000;
	if (iters < 1000)
		iters = 1000;
	if (opae_plugin_mgr_register_plugin(argv[1], "{}") || fpgaInitialize(NULL) != FPGA_OK ||
	    fpgaEnumerate(NULL, 0, &tok, 1, &n) != FPGA_OK || n != 1 ||
	    fpgaOpen(tok, &fw_handle, 0) != FPGA_OK) {
		fprintf(stderr, "bench_framework: cannot load/open %s\n", argv[1]);
		return 1;
	}
	/* The same plugin's entries, called without the framework. */
	dl = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
	configure_fn configure = dl ? (configure_fn)dlsym(dl, "opae_plugin_configure") : NULL;
	if (!configure || configure(&direct, "{}") ||
	    direct.fpgaEnumerate(NULL, 0, &raw_tok, 1, &n) != FPGA_OK ||
	    direct.fpgaOpen(raw_tok, &raw_handle, 0) != FPGA_OK) {
		fprintf(stderr, "bench_framework: cannot call the plugin directly\n");
		return 1;
	}

	mmio_framework(); /* warm up */
	double fw = 1e30, dir = 1e30, pe = 1e30, mf = 1e30, pf = 1e30, pd = 1e30, x;
	long pn = iters / 10;
	for (int r = 0; r < ROUNDS; r++) {
		fw = (x = mmio_framework()) < fw ? x : fw;
		dir = (x = mmio_direct()) < dir ? x : dir;
		pe = (x = props_empty(pn)) < pe ? x : pe;
		mf = (x = malloc_free(pn)) < mf ? x : mf;
		pf = (x = props_token(tok, pn, 1)) < pf ? x : pf;
		pd = (x = props_token(raw_tok, pn, 0)) < pd ? x : pd;
	}
	printf("fpgaReadMMIO64: %.2f ns/call through libopae-c, %.2f ns calling the plugin "
	       "directly: dispatch adds %.2f ns (%ld calls)\n",
	       fw, dir, fw - dir, iters);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, mmio_thread, &two[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("fpgaReadMMIO64, 2 threads on one handle: %.2f and %.2f ns/call (no lock on the "
	       "path)\n",
	       two[0], two[1]);

	printf("fpgaGetProperties(NULL) + fpgaDestroyProperties: %.1f ns; calloc + free of the "
	       "same 144 bytes: %.1f ns\n",
	       pe, mf);
	printf("fpgaGetProperties(token) + fpgaDestroyProperties: %.1f ns through libopae-c, %.1f "
	       "ns calling the plugin directly: the framework adds %.1f ns\n",
	       pf, pd, pf - pd);

	direct.fpgaClose(raw_handle);
	dlclose(dl);
	fpgaClose(fw_handle);
	fpgaDestroyToken(&tok);
	fpgaFinalize();
	return 0;
}
