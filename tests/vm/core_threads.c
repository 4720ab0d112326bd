// SPDX-License-Identifier: MIT
/*
 * core_threads.c - the opae-vfio core API used from several threads at once
 * on one handle, while the device really does DMA and interrupts.
 *
 * Two threads allocate, check and free DMA buffers of varying sizes in a
 * loop (each allocate/free is a VFIO_IOMMU_MAP_DMA/UNMAP_DMA on the shared
 * container), a third looks up a long-lived buffer with buffer_info, and the
 * main thread meanwhile moves data with edu's DMA engine through two
 * long-lived buffers and takes MSIs. Any error, any buffer whose IOVA
 * overlaps a live one, any corrupted transfer is a failure; at the end nothing
 * may be left (fds, and the mock's leak check).
 *
 * In the VM it runs with 2 guest CPUs (run-in-vm.sh --smp 2), so the threads
 * really run in parallel against the real kernel.
 *
 * Output: "PASS: ..." / "FAIL: ..." per check, then
 * "core_threads: N passed, M failed"; exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <opae/vfio.h>

#include "edu_test.h"

#define CHURN_ROUNDS 300 /* allocate/free rounds per churn thread */
#define DMA_ROUNDS   20  /* edu round trips in the main thread */
#define N_CHURN      2

struct shared {
	struct opae_vfio *v;
	uint8_t *fixed; /* long-lived buffer the lookup thread queries */
	uint64_t fixed_iova;
	atomic_int stop;
	atomic_int errors;
	char first_error[160];
	pthread_mutex_t error_lock;
	/* IOVA ranges of every churn buffer alive right now, all threads */
	pthread_mutex_t live_lock;
	struct {
		uint64_t iova;
		size_t size;
	} live[N_CHURN * 4];
	atomic_int next_slot;
};

static void thread_error(struct shared *sh, const char *what, int err)
{
	if (atomic_fetch_add(&sh->errors, 1) == 0) {
		pthread_mutex_lock(&sh->error_lock);
		snprintf(sh->first_error, sizeof(sh->first_error), "%s (%s)", what, strerror(err));
		pthread_mutex_unlock(&sh->error_lock);
	}
}

/* Register a live buffer; 0, or -1 if it overlaps a buffer another (or this)
 * thread holds: the allocator handed out one IOVA range twice. */
static int live_add(struct shared *sh, int slot, uint64_t iova, size_t size)
{
	int overlap = 0;

	pthread_mutex_lock(&sh->live_lock);
	for (int i = 0; i < N_CHURN * 4; i++)
		if (sh->live[i].size && iova < sh->live[i].iova + sh->live[i].size &&
		    sh->live[i].iova < iova + size)
			overlap = 1;
	sh->live[slot].iova = iova;
	sh->live[slot].size = size;
	pthread_mutex_unlock(&sh->live_lock);
	return overlap ? -1 : 0;
}

static void live_del(struct shared *sh, int slot)
{
	pthread_mutex_lock(&sh->live_lock);
	sh->live[slot].size = 0;
	pthread_mutex_unlock(&sh->live_lock);
}

/* Allocate a few buffers, check them against each other, free them. */
static void *churn(void *arg)
{
	struct shared *sh = arg;
	int base = atomic_fetch_add(&sh->next_slot, 1) * 4;
	static const size_t sizes[] = {4096, 8192, 65536, 4096 * 3};

	for (int r = 0; r < CHURN_ROUNDS; r++) {
		struct {
			uint8_t *ptr;
			uint64_t iova;
			size_t size;
		} b[4] = {0};

		for (int i = 0; i < 4; i++) {
			struct opae_vfio_buffer *bi;

			b[i].size = sizes[(r + i) % 4];
			if (opae_vfio_buffer_allocate(sh->v, &b[i].size, &b[i].ptr, &b[i].iova)) {
				thread_error(sh, "buffer_allocate", errno);
				b[i].ptr = NULL;
				continue;
			}
			memset(b[i].ptr, r & 0xff, b[i].size);
			bi = opae_vfio_buffer_info(sh->v, b[i].ptr);
			if (!bi || bi->buffer_iova != b[i].iova)
				thread_error(sh, "buffer_info of a fresh buffer", ENOENT);
			if (!b[i].iova || b[i].iova + b[i].size > EDU_DMA_LIMIT)
				thread_error(sh, "IOVA zero or above 256 MiB", ERANGE);
			/* IOVA ranges of live buffers never overlap, across threads
			 * too, nor the long-lived one. */
			if (b[i].iova < sh->fixed_iova + 4096 &&
			    sh->fixed_iova < b[i].iova + b[i].size)
				thread_error(sh, "IOVA overlaps the long-lived buffer", EEXIST);
			if (live_add(sh, base + i, b[i].iova, b[i].size))
				thread_error(sh, "IOVAs of two live buffers overlap", EEXIST);
		}
		for (int i = 0; i < 4; i++) {
			if (!b[i].ptr)
				continue;
			live_del(sh, base + i);
			if (opae_vfio_buffer_free(sh->v, b[i].ptr))
				thread_error(sh, "buffer_free", errno);
		}
	}
	return NULL;
}

static void *lookup(void *arg)
{
	struct shared *sh = arg;
	long n = 0;

	while (!atomic_load(&sh->stop)) {
		struct opae_vfio_buffer *bi = opae_vfio_buffer_info(sh->v, sh->fixed);

		if (!bi || bi->buffer_iova != sh->fixed_iova)
			thread_error(sh, "buffer_info of the long-lived buffer", ENOENT);
		if (opae_vfio_buffer_info(sh->v, sh->fixed + 8))
			thread_error(sh, "buffer_info of an interior pointer", EEXIST);
		if (++n % 1024 == 0)
			sched_yield();
	}
	return NULL;
}

/* The main thread's device work while the others run. */
static void device_work(struct opae_vfio *v, uint8_t *src, uint64_t src_iova, uint8_t *dst,
                        uint64_t dst_iova)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), dma_ok = 1, irq_ok = 1;

	if (efd < 0 || opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd)) {
		check(0, "MSI enable: %s", strerror(errno));
		irq_ok = 0;
	}
	for (int r = 0; r < DMA_ROUNDS; r++) {
		for (int i = 0; i < EDU_DMA_MAX; i++)
			src[i] = (uint8_t)(i * 11 + r);
		memset(dst, 0, EDU_DMA_MAX);
		if (edu_dma(src_iova, EDU_DMA_WINDOW, EDU_DMA_MAX, 0) ||
		    edu_dma(EDU_DMA_WINDOW, dst_iova, EDU_DMA_MAX, EDU_DMA_TO_RAM) ||
		    memcmp(src, dst, EDU_DMA_MAX))
			dma_ok = 0;
		if (irq_ok) {
			edu_wr32(EDU_REG_IRQ_RAISE, 0x10);
			if (wait_eventfd(efd, EDU_WAIT_MS) < 1)
				irq_ok = 0;
			edu_ack();
		}
	}
	check(dma_ok, "%d edu DMA round trips correct while other threads map and unmap",
	      DMA_ROUNDS);
	check(irq_ok, "%d MSIs delivered while other threads map and unmap", DMA_ROUNDS);
	if (efd >= 0) {
		opae_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX, 0);
		close(efd);
	}
}

int main(int argc, char **argv)
{
	struct shared sh = {.error_lock = PTHREAD_MUTEX_INITIALIZER};
	char bdf[NAME_MAX + 1] = "";
	struct opae_vfio v;
	pthread_t churners[N_CHURN], looker;
	uint8_t *bar0 = NULL, *dst = NULL;
	uint64_t dst_iova = 0;
	size_t size = 4096, dsize = 4096;
	int fds_before, started = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (edu_find(argc, argv, bdf, sizeof(bdf))) {
		check(0, "no edu device (1234:11e8) found in /sys/bus/pci/devices");
		return summary("core_threads");
	}
	info("device %s, %ld CPUs online", bdf, sysconf(_SC_NPROCESSORS_ONLN));
	fds_before = count_fds();
	memset(&v, 0, sizeof(v));
	if (opae_vfio_open(&v, bdf) || opae_vfio_region_get(&v, 0, &bar0, NULL) || !bar0) {
		check(0, "opae_vfio_open / region_get(0) of %s: %s", bdf, strerror(errno));
		opae_vfio_close(&v);
		return summary("core_threads");
	}
	edu_set_bar0(bar0);
	edu_enable_bus_master(v.device.device_fd, v.device.device_config_offset);
	if (opae_vfio_buffer_allocate(&v, &size, &sh.fixed, &sh.fixed_iova) ||
	    opae_vfio_buffer_allocate(&v, &dsize, &dst, &dst_iova)) {
		check(0, "the two long-lived buffers: %s", strerror(errno));
		opae_vfio_close(&v);
		return summary("core_threads");
	}
	sh.v = &v;

	for (int i = 0; i < N_CHURN; i++)
		if (pthread_create(&churners[i], NULL, churn, &sh) == 0)
			started++;
	check(started == N_CHURN && pthread_create(&looker, NULL, lookup, &sh) == 0,
	      "%d churn threads and a lookup thread started", N_CHURN);
	device_work(&v, sh.fixed, sh.fixed_iova, dst, dst_iova);
	for (int i = 0; i < started; i++)
		pthread_join(churners[i], NULL);
	atomic_store(&sh.stop, 1);
	pthread_join(looker, NULL);

	check(atomic_load(&sh.errors) == 0,
	      "%d threads x %d rounds of 4 allocate/check/free: %d errors%s%s", N_CHURN,
	      CHURN_ROUNDS, atomic_load(&sh.errors), sh.errors ? ", first: " : "", sh.first_error);
	check(opae_vfio_buffer_free(&v, sh.fixed) == 0 && opae_vfio_buffer_free(&v, dst) == 0,
	      "long-lived buffers freed");
	opae_vfio_close(&v);
	check(count_fds() == fds_before, "no fd left open (%d before, %d after)", fds_before,
	      count_fds());
	return summary("core_threads");
}
