/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_core_buffers.c - cost of the core's buffer calls as live buffers
 * accumulate: ns per 4 KiB allocate+free pair and per buffer_info lookup with
 * 1, 1,000 and 10,000 buffers live, the 10,000/1 ratio (goal <= 1.5), and the
 * cost of close with 10,000 live buffers. Runs on the mock kernel.
 *
 * usage: bench_core_buffers [iterations]   (default 20000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opae/vfio.h>
#include "vfio_mock.h"

/* the core's own bookkeeping, measured without any kernel (mock) cost */
#include "buftab.h"
#include "iova.h"

#define ADDR "0000:00:03.0"

static const char scenario[] =
    "{\"iommu\":{\"ranges\":[[\"0x0\",\"0xfedfffff\"],[\"0xfef00000\",\"0x7fffffffff\"]],"
    "\"pgsizes\":\"0x40201000\",\"dma_entry_limit\":65535,\"type1v2\":true,\"iova_caps\":true},"
    "\"hugepages\":{\"2048kB\":0,\"1048576kB\":0},"
    "\"devices\":[{\"address\":\"" ADDR "\",\"model\":\"none\",\"group\":1,"
    "\"driver\":\"vfio-pci\",\"bars\":[{\"index\":0,\"size\":\"0x1000\",\"mmap\":true}]}]}";

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

struct result {
	double pair_ns;
	double info_ns;
};

static int measure(struct opae_vfio *v, unsigned live, unsigned iters, struct result *res)
{
	uint8_t **bufs = calloc(live, sizeof(*bufs));
	volatile uintptr_t sink = 0;
	double t0, t1;
	unsigned i;

	if (!bufs)
		return -1;
	for (i = 0; i < live; i++) {
		size_t sz = 4096;

		if (opae_vfio_buffer_allocate(v, &sz, &bufs[i], NULL)) {
			fprintf(stderr, "bench: allocate #%u: %s\n", i, strerror(errno));
			return -1;
		}
	}
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		size_t sz = 4096;
		uint8_t *p;

		if (opae_vfio_buffer_allocate(v, &sz, &p, NULL) || opae_vfio_buffer_free(v, p)) {
			fprintf(stderr, "bench: allocate/free: %s\n", strerror(errno));
			return -1;
		}
	}
	t1 = now_ns();
	res->pair_ns = (t1 - t0) / iters;
	t0 = now_ns();
	for (i = 0; i < iters * 10; i++) {
		struct opae_vfio_buffer *b = opae_vfio_buffer_info(v, bufs[(i * 7919u) % live]);

		sink += (uintptr_t)b;
	}
	t1 = now_ns();
	res->info_ns = (t1 - t0) / (iters * 10.0);
	(void)sink;
	/* free in a scattered order, as real programs do */
	for (i = 0; i < live; i++) {
		unsigned k = (unsigned)(((uint64_t)i * 7919u) % live);

		if (bufs[k] && opae_vfio_buffer_free(v, bufs[k]) == 0)
			bufs[k] = NULL;
	}
	for (i = 0; i < live; i++)
		if (bufs[i])
			opae_vfio_buffer_free(v, bufs[i]);
	free(bufs);
	return 0;
}

/* ns per reserve+insert+find+remove+release with `live` entries present:
 * the library's share of an allocate+free pair. */
static double bookkeeping_ns(unsigned live, unsigned iters)
{
	struct buf_rec *recs = calloc(live + 1, sizeof(*recs));
	struct iova_space sp;
	struct buftab t;
	double t0, t1;
	unsigned i;

	if (!recs || buftab_init(&t))
		return -1;
	iova_init(&sp);
	iova_add_free(&sp, 0x10000, 1ull << 39);
	/* fragment the IOVA space: live buffers with a free hole after each, so
	 * the free-range tree holds about `live` ranges */
	for (i = 0; i < live; i++) {
		uint64_t hole;

		iova_reserve(&sp, 4096, 4096, &recs[i].pub.buffer_iova);
		iova_reserve(&sp, 4096, 4096, &hole);
		recs[i].pub.buffer_ptr = (uint8_t *)(uintptr_t)(0x7f0000000000ull + 0x1000ull * i);
		buftab_insert(&t, (uint64_t)(uintptr_t)recs[i].pub.buffer_ptr, &recs[i]);
		if (i % 2)
			iova_release(&sp, hole, 4096);
	}
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		struct buf_rec *b = &recs[live];
		uint64_t iova;

		iova_reserve(&sp, 4096, 4096, &iova);
		/* a fresh address each time, as mmap gives */
		b->pub.buffer_ptr = (uint8_t *)(uintptr_t)(0x7e0000000000ull + 0x1000ull * i);
		buftab_insert(&t, (uint64_t)(uintptr_t)b->pub.buffer_ptr, b);
		if (buftab_find(&t, (uint64_t)(uintptr_t)b->pub.buffer_ptr) != b)
			return -1;
		buftab_remove(&t, (uint64_t)(uintptr_t)b->pub.buffer_ptr);
		iova_release(&sp, iova, 4096);
	}
	t1 = now_ns();
	buftab_destroy(&t);
	iova_destroy(&sp);
	free(recs);
	return (t1 - t0) / iters;
}

int main(int argc, char **argv)
{
	static const unsigned lives[] = {1, 1000, 10000};
	unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 20000;
	struct result r[3];
	struct opae_vfio v;
	double t0, close_ns, ratio;
	unsigned i;

	if (!iters)
		iters = 1;
	if (vfio_mock_load_scenario(scenario)) {
		fprintf(stderr, "bench: the mock rejected the scenario\n");
		return 1;
	}
	memset(&v, 0, sizeof(v));
	if (opae_vfio_open(&v, ADDR)) {
		fprintf(stderr, "bench: open %s: %s\n", ADDR, strerror(errno));
		return 1;
	}
	printf("opae-vfio core buffer benchmark (mock kernel, %u iterations)\n", iters);
	printf("%8s  %22s  %18s\n", "live", "ns/allocate+free 4K", "ns/buffer_info");
	for (i = 0; i < 3; i++) {
		if (measure(&v, lives[i], iters, &r[i]))
			return 1;
		printf("%8u  %22.0f  %18.1f\n", lives[i], r[i].pair_ns, r[i].info_ns);
	}
	for (i = 0; i < 10000; i++) {
		size_t sz = 4096;

		if (opae_vfio_buffer_allocate(&v, &sz, NULL, NULL))
			return 1;
	}
	t0 = now_ns();
	opae_vfio_close(&v);
	close_ns = now_ns() - t0;
	ratio = r[2].pair_ns / r[0].pair_ns;
	printf("ratio 10000/1 allocate+free: %.2f (goal <= 1.5: %s)\n", ratio,
	       ratio <= 1.5 ? "met" : "NOT met");
	printf("ratio 10000/1 buffer_info:   %.2f\n", r[2].info_ns / r[0].info_ns);
	printf("close with 10000 live buffers: %.1f ms (%.0f ns per buffer)\n", close_ns / 1e6,
	       close_ns / 10000);
	{
		double bk[3];

		printf("library bookkeeping only (IOVA treap + buffer table, no kernel calls,\n"
		       "free IOVA space fragmented into ~live/2 holes):\n");
		for (i = 0; i < 3; i++) {
			bk[i] = bookkeeping_ns(lives[i], iters * 10);
			printf("%8u live: %8.1f ns per reserve+insert+find+remove+release\n",
			       lives[i], bk[i]);
		}
		printf("ratio 10000/1 bookkeeping: %.2f\n", bk[2] / bk[0]);
	}
	return 0;
}
