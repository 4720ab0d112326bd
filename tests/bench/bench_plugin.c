// SPDX-License-Identifier: BSD-3-Clause
/* bench_plugin.c - what libopae-vfio.so costs, called through its adapter
 * table the way a framework calls it (hosted by framework/'s libopae-c, on
 * the mock kernel):
 *   - ns per fpgaReadMMIO64 next to a raw volatile load of the same mapped
 *     register, with 1 and 2 threads on one handle (an untrapped BAR page of
 *     a plain device, so the mock adds nothing to either figure);
 *   - fpgaEnumerate with one PF and 64 VFs:
 *     the first call, later calls, and the first call once the VF token is
 *     known (64 VFs looked into);
 *   - fpgaOpen + fpgaClose of a PF port and of a VF (which opens its PF);
 *   - fpgaPrepareBuffer + fpgaReleaseBuffer of 4 KiB with 0, 1,000 and 10,000
 *     buffers live on the handle, fpgaGetIOAddress with 10,000 live;
 *   - interrupt latency: NLB0 raising MSI-X vector 0 (a trapped register
 *     store) to poll() returning on the event's fd, beside the cost of the
 *     trapped store alone.
 * Prints figures; never fails on timing.
 *
 * usage: bench_plugin [mmio-iterations]   (default 20000000)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>
#include "vfio_mock.h"

#define NVFS 64 /* the figure: one PF and 64 VFs (the mock holds 256 devices) */

static opae_api_adapter_table *tab;
static void *dl;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int load_plugin(const char *scenario, const char *config)
{
	int (*configure)(opae_api_adapter_table *, const char *);

	if (vfio_mock_load_scenario(scenario)) {
		fprintf(stderr, "bench: scenario refused\n");
		return -1;
	}
	dl = dlopen(PLUGIN_PATH, RTLD_LAZY | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "bench: %s\n", dlerror());
		return -1;
	}
	*(void **)&configure = dlsym(dl, "opae_plugin_configure");
	tab = calloc(1, sizeof(*tab));
	if (!configure || !tab || configure(tab, config)) {
		fprintf(stderr, "bench: configure failed\n");
		return -1;
	}
	return 0;
}

static void unload_plugin(void)
{
	tab->finalize();
	dlclose(dl);
	free(tab);
	vfio_mock_reset();
}

/* ---- MMIO -------------------------------------------------------------- */

struct mmio_job {
	fpga_handle h;
	volatile uint64_t *raw;
	unsigned long iters;
	double ns_api, ns_raw;
};

/* The machine is shared: time many short batches, alternating the two loops,
 * and keep each loop's fastest batch (a batch that was preempted is slower,
 * never faster). */
#define BATCHES 400

static void *mmio_thread(void *arg)
{
	struct mmio_job *j = arg;
	unsigned long per = j->iters / BATCHES ? j->iters / BATCHES : 1;
	double best_api = 1e30, best_raw = 1e30;
	uint64_t v, sum = 0;

	for (unsigned b = 0; b < BATCHES; b++) {
		double t0 = now_ns(), t1, t2;

		for (unsigned long i = 0; i < per; i++) {
			tab->fpgaReadMMIO64(j->h, 0, 0x8, &v);
			sum += v;
		}
		t1 = now_ns();
		for (unsigned long i = 0; i < per; i++)
			sum += j->raw[1];
		t2 = now_ns();
		if (t1 - t0 < best_api)
			best_api = t1 - t0;
		if (t2 - t1 < best_raw)
			best_raw = t2 - t1;
	}
	j->ns_api = best_api / (double)per;
	j->ns_raw = best_raw / (double)per;
	if (sum == 42)
		printf(" ");
	return NULL;
}

static int bench_mmio(unsigned long iters)
{
	static const char scenario[] =
	    "{\"devices\":[{\"address\":\"0000:00:04.0\",\"model\":\"none\",\"group\":4,"
	    "\"bars\":[{\"index\":0,\"size\":\"0x1000\",\"mmap\":true}]}]}";
	static const char config[] =
	    "{\"devices\":[{\"pci\":\"0000:00:04.0\",\"kind\":\"plain\","
	    "\"guid\":\"bbf535c8-f8f1-43eb-8660-f076ccb02dd2\"}]}";
	struct mmio_job jobs[2];
	fpga_token tok = NULL;
	fpga_handle h = NULL;
	uint64_t *base = NULL;
	uint32_t n = 0;

	if (load_plugin(scenario, config))
		return -1;
	if (tab->fpgaEnumerate(NULL, 0, &tok, 1, &n) || n != 1 || tab->fpgaOpen(tok, &h, 0) ||
	    tab->fpgaMapMMIO(h, 0, &base)) {
		fprintf(stderr, "bench: plain device not usable\n");
		return -1;
	}
	for (unsigned threads = 1; threads <= 2; threads++) {
		pthread_t th[2];
		double api = 0, raw = 0;

		for (unsigned i = 0; i < threads; i++) {
			jobs[i] = (struct mmio_job){h, (volatile uint64_t *)base, iters, 0, 0};
			pthread_create(&th[i], NULL, mmio_thread, &jobs[i]);
		}
		for (unsigned i = 0; i < threads; i++) {
			pthread_join(th[i], NULL);
			api += jobs[i].ns_api / threads;
			raw += jobs[i].ns_raw / threads;
		}
		printf("fpgaReadMMIO64 via adapter table, %u thread%s on one handle: %6.2f ns/call   "
		       "raw volatile load: %5.2f ns   (ratio %.1f; fastest of %d batches)\n",
		       threads, threads > 1 ? "s" : " ", api, raw, raw > 0 ? api / raw : 0.0, BATCHES);
	}
	tab->fpgaClose(h);
	tab->fpgaDestroyToken(&tok);
	unload_plugin();
	return 0;
}

/* ---- enumerate, open/close ------------------------------------------------ */

static char *pf_vfs_scenario(void)
{
	size_t cap = 512 + NVFS * 512, used;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	used = (size_t)snprintf(s, cap,
	                        "{\"devices\":[{\"address\":\"0000:3b:00.0\",\"model\":\"dfl-fpga\","
	                        "\"group\":12,\"sriov_totalvfs\":%d,\"sriov_numvfs\":%d,"
	                        "\"params\":{\"role\":\"pf\"}}",
	                        NVFS, NVFS);
	for (int i = 1; i <= NVFS; i++)
		used += (size_t)snprintf(
		    s + used, cap - used,
		    ",{\"address\":\"0000:3b:%02x.%d\",\"model\":\"dfl-fpga\",\"group\":%d,"
		    "\"physfn\":\"0000:3b:00.0\",\"device\":\"0xbccf\",\"bars\":[{\"index\":0,"
		    "\"size\":\"0x40000\",\"mmap\":true}],\"irqs\":{\"intx\":0,\"msi\":0,\"msix\":4},"
		    "\"params\":{\"role\":\"vf\"}}",
		    i / 8, i % 8, 12 + i);
	snprintf(s + used, cap - used, "]}");
	return s;
}

static double enumerate_ns(uint32_t *n)
{
	fpga_token toks[NVFS + 2];
	double t0 = now_ns(), t;

	tab->fpgaEnumerate(NULL, 0, toks, NVFS + 2, n);
	t = now_ns() - t0;
	for (uint32_t i = 0; i < *n && i < NVFS + 2; i++)
		tab->fpgaDestroyToken(&toks[i]);
	return t;
}

/* The token of function `fn` (device fn / 8), or NULL. */
static fpga_token token_of(unsigned fn)
{
	fpga_properties f = NULL;
	fpga_token tok = NULL;
	uint32_t n = 0;

	fpgaGetProperties(NULL, &f);
	fpgaPropertiesSetDevice(f, (uint8_t)(fn / 8));
	fpgaPropertiesSetFunction(f, (uint8_t)(fn % 8));
	fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR);
	tab->fpgaEnumerate(&f, 1, &tok, 1, &n);
	fpgaDestroyProperties(&f);
	return n == 1 ? tok : NULL;
}

static double open_close_ns(fpga_token tok, unsigned iters)
{
	double t0 = now_ns();

	for (unsigned i = 0; i < iters; i++) {
		fpga_handle h = NULL;

		if (tab->fpgaOpen(tok, &h, 0) || tab->fpgaClose(h))
			return -1;
	}
	return (now_ns() - t0) / iters;
}

static int bench_enum_open(void)
{
	char *sc = pf_vfs_scenario();
	fpga_token pf_port, vf;
	fpga_handle anchor = NULL;
	double first, later = 0;
	uint32_t n = 0;
	const int rounds = 20;

	if (!sc || load_plugin(sc, NULL))
		return -1;
	free(sc);
	first = enumerate_ns(&n);
	for (int i = 0; i < rounds; i++)
		later += enumerate_ns(&n) / rounds;
	printf("fpgaEnumerate, 1 PF + %d VFs (%u tokens): first call %8.1f us, later calls %7.1f us\n",
	       NVFS, n, first / 1e3, later / 1e3);

	pf_port = token_of(0);
	vf = token_of(1);
	if (!pf_port || !vf)
		return -1;
	printf("fpgaOpen + fpgaClose: PF port %7.1f us, VF (and its PF session) %7.1f us\n",
	       open_close_ns(pf_port, 50) / 1e3, open_close_ns(vf, 50) / 1e3);

	/* with the token known (a VF open holds the PF session), the next
	 * enumeration looks into every VF once, then caches */
	tab->fpgaDestroyToken(&vf);
	vf = token_of(1);
	if (!vf || tab->fpgaOpen(vf, &anchor, 0))
		return -1;
	first = enumerate_ns(&n);
	later = 0;
	for (int i = 0; i < rounds; i++)
		later += enumerate_ns(&n) / rounds;
	printf("fpgaEnumerate, VF token known: first call (%d VFs identified) %8.1f us, later calls "
	       "%7.1f us\n",
	       NVFS, first / 1e3, later / 1e3);
	tab->fpgaClose(anchor);
	tab->fpgaDestroyToken(&vf);
	tab->fpgaDestroyToken(&pf_port);
	unload_plugin();
	return 0;
}

/* ---- buffers and interrupts ---------------------------------------------- */

#define NLB0_AFU_GUID "d8424dc4-a4a3-c413-f89e-433683f9040b"
#define DMA_LIVE_MAX  10000
#define DMA_PAIRS     2000

static fpga_handle open_nlb0(void)
{
	fpga_properties f = NULL;
	fpga_token tok = NULL;
	fpga_handle h = NULL;
	fpga_guid g = {0xd8, 0x42, 0x4d, 0xc4, 0xa4, 0xa3, 0xc4, 0x13,
	               0xf8, 0x9e, 0x43, 0x36, 0x83, 0xf9, 0x04, 0x0b};
	uint32_t n = 0;

	fpgaGetProperties(NULL, &f);
	fpgaPropertiesSetGUID(f, g);
	if (tab->fpgaEnumerate(&f, 1, &tok, 1, &n) != FPGA_OK || n != 1 ||
	    tab->fpgaOpen(tok, &h, 0) != FPGA_OK)
		h = NULL;
	if (tok)
		tab->fpgaDestroyToken(&tok);
	fpgaDestroyProperties(&f);
	return h;
}

/* ns per 4 KiB prepare + release with the handle's live buffers as they are. */
static double prepare_release_ns(fpga_handle h)
{
	double t0 = now_ns();

	for (int i = 0; i < DMA_PAIRS; i++) {
		void *p = NULL;
		uint64_t ws = 0;

		if (tab->fpgaPrepareBuffer(h, 4096, &p, &ws, 0) != FPGA_OK ||
		    tab->fpgaReleaseBuffer(h, ws) != FPGA_OK)
			return -1;
	}
	return (now_ns() - t0) / DMA_PAIRS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Raise vector 0 through NLB0 (AFU + 0x180) and wait on the event's fd. */
static int irq_latency(fpga_handle h)
{
	enum { N = 200 };
	fpga_event_handle eh = NULL;
	double lat[N], store[N];
	int fd = -1, rc = -1;

	if (tab->fpgaCreateEventHandle(&eh) != FPGA_OK ||
	    tab->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0) != FPGA_OK ||
	    tab->fpgaGetOSObjectFromEventHandle(eh, &fd) != FPGA_OK)
		goto out;
	for (int i = 0; i < N; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		uint64_t cnt;
		double t0 = now_ns();

		tab->fpgaWriteMMIO32(h, 0, 0x100, (uint32_t)i); /* scratch: the store alone */
		store[i] = now_ns() - t0;
		t0 = now_ns();
		tab->fpgaWriteMMIO32(h, 0, 0x180, 0);
		if (poll(&p, 1, 5000) != 1 || read(fd, &cnt, 8) != 8)
			goto out;
		lat[i] = now_ns() - t0;
	}
	qsort(lat, N, sizeof(lat[0]), cmp_double);
	qsort(store, N, sizeof(store[0]), cmp_double);
	printf("interrupt latency (NLB0 raises MSI-X vector 0 -> poll returns): best %.1f us, median "
	       "%.1f us; of which the trapped register store alone: best %.1f us, median %.1f us\n",
	       lat[0] / 1e3, lat[N / 2] / 1e3, store[0] / 1e3, store[N / 2] / 1e3);
	rc = 0;
out:
	if (eh) {
		tab->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh);
		tab->fpgaDestroyEventHandle(&eh);
	}
	return rc;
}

static int bench_dma(void)
{
	static const char scenario[] =
	    "{\"devices\":[{\"address\":\"0000:3b:00.0\",\"model\":\"dfl-fpga\","
	    "\"group\":12,\"params\":{\"role\":\"pf\"}}]}";
	static uint64_t ws[DMA_LIVE_MAX];
	const unsigned lives[] = {0, 1000, DMA_LIVE_MAX};
	double ns[3], io_ns = 0, t0;
	unsigned live = 0;
	fpga_handle h;
	int rc = -1;

	if (load_plugin(scenario, NULL))
		return -1;
	h = open_nlb0();
	if (!h) {
		fprintf(stderr, "bench: NLB0 not usable\n");
		goto out;
	}
	for (int k = 0; k < 3; k++) {
		for (; live < lives[k]; live++) {
			void *p = NULL;

			if (tab->fpgaPrepareBuffer(h, 4096, &p, &ws[live], 0) != FPGA_OK)
				goto out;
		}
		ns[k] = prepare_release_ns(h);
		if (ns[k] < 0)
			goto out;
	}
	t0 = now_ns();
	for (unsigned i = 0; i < 100 * DMA_LIVE_MAX; i++) {
		uint64_t a;

		if (tab->fpgaGetIOAddress(h, ws[(i * 7919u) % DMA_LIVE_MAX], &a) != FPGA_OK)
			goto out;
	}
	io_ns = (now_ns() - t0) / (100.0 * DMA_LIVE_MAX);
	printf("fpgaPrepareBuffer + fpgaReleaseBuffer (4 KiB): %8.0f ns with 0 live, %8.0f ns with "
	       "1,000, %8.0f ns with 10,000 (10,000/0 = %.2f; goal <= 1.5)\n",
	       ns[0], ns[1], ns[2], ns[2] / ns[0]);
	printf("fpgaGetIOAddress with 10,000 live buffers: %.1f ns per call\n", io_ns);
	for (unsigned i = 0; i < live; i++)
		tab->fpgaReleaseBuffer(h, ws[i]);
	live = 0;
	rc = irq_latency(h);
out:
	if (h)
		tab->fpgaClose(h); /* releases what is left */
	unload_plugin();
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000000ul;
	fpga_version v;

	fpgaGetOPAECVersion(&v); /* the framework hosts the plugin */
	printf("bench_plugin: libopae-vfio.so through the adapter table of libopae-c %u.%u.%u, "
	       "mock kernel\n",
	       v.major, v.minor, v.patch);
	if (bench_mmio(iters) || bench_enum_open() || bench_dma()) {
		fprintf(stderr, "bench_plugin: FAILED\n");
		return 1;
	}
	return 0;
}
