// SPDX-License-Identifier: BSD-3-Clause
/*
 * core_bench.c - what the core library's calls cost on the real kernel, each
 * beside the raw kernel calls OPAE's libopaevfio makes for the same job, with
 * the ratio. Run in the VM by scripts/vm-bench.sh (never by ctest or CI: the
 * VM is software-emulated and shared, so the figures are for comparison
 * within one run, not pass/fail).
 *
 * The baseline is written from the call sequences in docs/references.md
 * (OPAE 2.14 libopaevfio: open, buffers, IRQs, close), as raw ioctl/mmap
 * calls with no user-space work at all: OPAE's own bookkeeping (its IOVA
 * list walk, its 19,441-bucket table) would only add to it, so a ratio <= 1
 * means "no slower than OPAE" with margin.
 *
 * Usage: core_bench [iterations-scale]   (edu: $VFIO_BDF; MSI-X on NVMe when
 *                                          $NVME_BDF is set, --nvme 1M)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <opae/vfio.h>

#include "edu_test.h"

#define PAGE       4096u
#define MAX_REGION 16
#define RAW_IOVA   0x100000000ull /* the baseline's buffers: 4 GiB up, in the upper window */

static int scale = 1;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "core_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- the baseline: OPAE's kernel calls, nothing else ----------------------- */

struct raw {
	int cont, group, dev;
	struct {
		void *p;
		size_t len;
	} reg[MAX_REGION];
	unsigned nreg;
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
};

/* open: container, API version, Type1 extension, group from the sysfs link,
 * viability, SET_CONTAINER, SET_IOMMU(Type1), device fd, config region,
 * PCI COMMAND read (and write), device info, every region (mmap the
 * mmap-able ones; re-query those with capabilities), every IRQ index, and
 * the IOMMU info twice (size, then the capability chain). */
static void raw_open(struct raw *r, const char *bdf)
{
	char path[PATH_MAX], link[256];
	struct vfio_group_status gs = {.argsz = sizeof(gs)};
	struct vfio_device_info di = {.argsz = sizeof(di)};
	struct vfio_region_info cfg = {.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX};
	struct vfio_iommu_type1_info ii = {.argsz = sizeof(ii)};
	uint16_t cmd = 0;
	ssize_t n;
	const char *slash;
	void *buf;

	memset(r, 0, sizeof(*r));
	r->cont = open("/dev/vfio/vfio", O_RDWR);
	if (r->cont < 0 || ioctl(r->cont, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(r->cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
		die("raw: container");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("raw: readlink iommu_group");
	link[n] = 0;
	slash = strrchr(link, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", slash ? slash + 1 : link);
	r->group = open(path, O_RDWR);
	if (r->group < 0 || ioctl(r->group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(r->group, VFIO_GROUP_SET_CONTAINER, &r->cont) ||
	    ioctl(r->cont, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		die("raw: group");
	r->dev = ioctl(r->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (r->dev < 0 || ioctl(r->dev, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		die("raw: device");
	if (pread(r->dev, &cmd, sizeof(cmd), (off_t)cfg.offset + 4) != sizeof(cmd))
		die("raw: PCI COMMAND");
	if ((cmd & 6) != 6) {
		cmd |= 6;
		if (pwrite(r->dev, &cmd, sizeof(cmd), (off_t)cfg.offset + 4) != sizeof(cmd))
			die("raw: PCI COMMAND write");
	}
	if (ioctl(r->dev, VFIO_DEVICE_GET_INFO, &di))
		die("raw: device info");
	for (uint32_t i = 0; i < di.num_regions; i++) {
		struct vfio_region_info ri = {.argsz = sizeof(ri), .index = i};

		if (ioctl(r->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
		    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size || r->nreg == MAX_REGION)
			continue;
		if (ri.flags & VFIO_REGION_INFO_FLAG_CAPS) {
			struct vfio_region_info *full = calloc(1, ri.argsz);

			if (!full)
				die("raw: calloc");
			full->argsz = ri.argsz;
			full->index = i;
			if (ioctl(r->dev, VFIO_DEVICE_GET_REGION_INFO, full))
				die("raw: region caps");
			free(full); /* edu and QEMU's NVMe have no sparse BAR */
		}
		buf = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, r->dev,
		           (off_t)ri.offset);
		if (buf == MAP_FAILED)
			die("raw: mmap region");
		r->reg[r->nreg].p = buf;
		r->reg[r->nreg++].len = ri.size;
	}
	for (uint32_t i = 0; i < di.num_irqs && i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info q = {.argsz = sizeof(q), .index = i};

		if (!ioctl(r->dev, VFIO_DEVICE_GET_IRQ_INFO, &q))
			r->irq_count[i] = q.count;
	}
	if (ioctl(r->cont, VFIO_IOMMU_GET_INFO, &ii))
		die("raw: IOMMU info");
	buf = calloc(1, ii.argsz);
	if (!buf)
		die("raw: calloc");
	((struct vfio_iommu_type1_info *)buf)->argsz = ii.argsz;
	if (ioctl(r->cont, VFIO_IOMMU_GET_INFO, buf))
		die("raw: IOMMU info caps");
	free(buf);
}

/* close (after the buffers): regions, device, group off the container, group,
 * container. OPAE leaves IRQs to the closing device fd. */
static void raw_close(struct raw *r)
{
	for (unsigned i = 0; i < r->nreg; i++)
		munmap(r->reg[i].p, r->reg[i].len);
	close(r->dev);
	ioctl(r->group, VFIO_GROUP_UNSET_CONTAINER, &r->cont);
	close(r->group);
	close(r->cont);
}

/* OPAE's enable/disable: one SET_IRQS over the whole index with every
 * vector's eventfd (-1 for a vector without one). */
static void raw_irq(struct raw *r, uint32_t index, int32_t fd0)
{
	uint32_t count = r->irq_count[index];
	size_t len = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set = calloc(1, len);

	if (!set)
		die("raw: calloc");
	set->argsz = (uint32_t)len;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->count = count;
	for (uint32_t k = 0; k < count; k++) {
		int32_t fd = k ? -1 : fd0;

		memcpy(set->data + k * sizeof(fd), &fd, sizeof(fd));
	}
	if (ioctl(r->dev, VFIO_DEVICE_SET_IRQS, set))
		die("raw: SET_IRQS");
	free(set);
}

/* The index off (not something OPAE does; used between measurements). */
static void raw_irq_off(struct raw *r, uint32_t index)
{
	struct vfio_irq_set set = {.argsz = sizeof(set),
	                           .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	                           .index = index};

	if (ioctl(r->dev, VFIO_DEVICE_SET_IRQS, &set))
		die("raw: SET_IRQS off");
}

/* allocate: anonymous mmap (normal pages for 4 KiB), MAP_DMA read+write. */
static void *raw_alloc(struct raw *r, uint64_t iova)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vfio_iommu_type1_dma_map m = {.argsz = sizeof(m),
	                                     .flags = VFIO_DMA_MAP_FLAG_READ |
	                                              VFIO_DMA_MAP_FLAG_WRITE,
	                                     .vaddr = (uint64_t)(uintptr_t)p,
	                                     .iova = iova,
	                                     .size = PAGE};

	if (p == MAP_FAILED || ioctl(r->cont, VFIO_IOMMU_MAP_DMA, &m))
		die("raw: allocate");
	return p;
}

/* free: UNMAP_DMA, munmap. */
static void raw_free(struct raw *r, void *p, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = PAGE};

	if (ioctl(r->cont, VFIO_IOMMU_UNMAP_DMA, &u) || munmap(p, PAGE))
		die("raw: free");
}

/* ---- the measurements ---------------------------------------------------------- */

/* The VM is emulated on a shared host whose load comes and goes: each side
 * runs in short chunks, ours and OPAE's alternating, and the row shows the
 * median chunk (and the ratio of the fastest chunks beside it). An op
 * returns the nanoseconds of its timed part. */
#define MAX_CHUNKS 64

struct ctx {
	struct opae_vfio *v;
	uint32_t index;
	int efd;
	const char *bdf;
};

typedef double (*op_fn)(struct ctx *c);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void compare(const char *what, struct ctx *c, op_fn ours, op_fn base, int chunks, int per)
{
	double o[MAX_CHUNKS], b[MAX_CHUNKS];

	chunks = chunks > MAX_CHUNKS ? MAX_CHUNKS : chunks;
	for (int k = 0; k < chunks; k++) {
		double so = 0, sb = 0;

		for (int i = 0; i < per; i++) {
			if (k & 1) {
				sb += base(c);
				so += ours(c);
			} else {
				so += ours(c);
				sb += base(c);
			}
		}
		o[k] = so / per;
		b[k] = sb / per;
	}
	qsort(o, (size_t)chunks, sizeof(o[0]), cmp_double);
	qsort(b, (size_t)chunks, sizeof(b[0]), cmp_double);
	printf("%-38s %12.0f %12.0f %7.2f %7.2f\n", what, o[chunks / 2], b[chunks / 2],
	       o[chunks / 2] / b[chunks / 2], o[0] / b[0]);
	fflush(stdout);
}

static void lib_open(struct opae_vfio *v, const char *bdf)
{
	if (opae_vfio_open(v, bdf))
		die("opae_vfio_open");
}

static double ours_open_close(struct ctx *c)
{
	struct opae_vfio v;
	double t0 = now_ns();

	lib_open(&v, c->bdf);
	opae_vfio_close(&v);
	return now_ns() - t0;
}

static double base_open_close(struct ctx *c)
{
	struct raw r;
	double t0 = now_ns();

	raw_open(&r, c->bdf);
	raw_close(&r);
	return now_ns() - t0;
}

/* OPAE's IRQ calls on the library's own device fd: the kernel work is the
 * same, and both sides see the same device state. */
static struct raw raw_of(struct opae_vfio *v)
{
	struct raw r = {.cont = v->cont_fd, .group = v->group.group_fd, .dev = v->device.device_fd};

	for (struct opae_vfio_device_irq *q = v->device.irqs; q; q = q->next)
		if (q->index < VFIO_PCI_NUM_IRQS)
			r.irq_count[q->index] = q->count;
	return r;
}

static double ours_pair(struct ctx *c)
{
	double t0 = now_ns();

	if (opae_vfio_irq_enable(c->v, c->index, 0, c->efd) ||
	    opae_vfio_irq_disable(c->v, c->index, 0))
		die("irq pair");
	return now_ns() - t0;
}

static double base_pair(struct ctx *c)
{
	struct raw r = raw_of(c->v);
	double t0 = now_ns();

	raw_irq(&r, c->index, c->efd);
	raw_irq(&r, c->index, -1);
	return now_ns() - t0;
}

/* the disable right after the index was set up; the index off again after */
static double ours_first_disable(struct ctx *c)
{
	double t0;

	if (opae_vfio_irq_enable(c->v, c->index, 0, c->efd))
		die("irq enable");
	t0 = now_ns();
	opae_vfio_irq_disable(c->v, c->index, 0);
	t0 = now_ns() - t0;
	opae_vfio_irq_disable(c->v, c->index, 0); /* asked again: off */
	return t0;
}

static double base_first_disable(struct ctx *c)
{
	struct raw r = raw_of(c->v);
	double t0;

	raw_irq(&r, c->index, c->efd);
	t0 = now_ns();
	raw_irq(&r, c->index, -1);
	t0 = now_ns() - t0;
	raw_irq_off(&r, c->index);
	return t0;
}

static void bench_irq(const char *bdf, uint32_t index, const char *pair, const char *first)
{
	struct opae_vfio v;
	struct ctx c = {.v = &v, .index = index, .efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

	lib_open(&v, bdf);
	/* the index on with every vector, as OPAE's first enable leaves it, so
	 * both sides' calls meet the same kernel state */
	uint32_t last = raw_of(&v).irq_count[index] - 1;
	if (opae_vfio_irq_enable(&v, index, last, c.efd) || opae_vfio_irq_disable(&v, index, last))
		die("irq set-up");
	compare(pair, &c, ours_pair, base_pair, 10, 10 * scale);
	opae_vfio_irq_disable(&v, index, 0); /* off */
	if (first)
		compare(first, &c, ours_first_disable, base_first_disable, 10, 3 * scale);
	opae_vfio_close(&v);
	close(c.efd);
}

static double ours_alloc_free(struct ctx *c)
{
	size_t sz = PAGE;
	uint8_t *p;
	double t0 = now_ns();

	if (opae_vfio_buffer_allocate(c->v, &sz, &p, NULL) || opae_vfio_buffer_free(c->v, p))
		die("allocate + free");
	return now_ns() - t0;
}

static double base_alloc_free(struct ctx *c)
{
	struct raw r = raw_of(c->v);
	double t0 = now_ns();

	raw_free(&r, raw_alloc(&r, RAW_IOVA), RAW_IOVA);
	return now_ns() - t0;
}

/* Both sides on one container holding the same live buffers (the
 * library's): the kernel's cost depends on what the container holds. */
static void bench_alloc(const char *bdf)
{
	static const unsigned lives[] = {0, 1000, 10000};
	struct opae_vfio v;
	struct ctx c = {.v = &v};
	unsigned have = 0;
	char what[64];

	lib_open(&v, bdf);
	for (unsigned k = 0; k < 3; k++) {
		for (; have < lives[k]; have++) {
			size_t sz = PAGE;

			if (opae_vfio_buffer_allocate(&v, &sz, NULL, NULL))
				die("opae_vfio_buffer_allocate (live)");
		}
		snprintf(what, sizeof(what), "alloc + free 4 KiB, %u live", lives[k]);
		compare(what, &c, ours_alloc_free, base_alloc_free, 15, 10 * scale);
	}
	opae_vfio_close(&v);
}

#define CLOSE_LIVE 10000u

static double ours_close_live(struct ctx *c)
{
	struct opae_vfio v;
	double t0;

	lib_open(&v, c->bdf);
	for (unsigned i = 0; i < CLOSE_LIVE; i++) {
		size_t sz = PAGE;

		if (opae_vfio_buffer_allocate(&v, &sz, NULL, NULL))
			die("opae_vfio_buffer_allocate (close)");
	}
	t0 = now_ns();
	opae_vfio_close(&v);
	return now_ns() - t0;
}

static double base_close_live(struct ctx *c)
{
	static void *live[CLOSE_LIVE];
	struct raw r;
	double t0;

	raw_open(&r, c->bdf);
	for (unsigned i = 0; i < CLOSE_LIVE; i++)
		live[i] = raw_alloc(&r, RAW_IOVA + (uint64_t)i * PAGE);
	t0 = now_ns();
	for (unsigned i = 0; i < CLOSE_LIVE; i++) /* OPAE: each buffer destroyed */
		raw_free(&r, live[i], RAW_IOVA + (uint64_t)i * PAGE);
	raw_close(&r);
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	const char *nvme = getenv("NVME_BDF");
	char bdf[64];

	if (argc > 1)
		scale = atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
	if (edu_find(1, argv, bdf, sizeof(bdf)))
		die("no edu device");
	printf("core_bench: edu %s%s%s, iterations x%d; ns per operation, ratio = ours / OPAE's "
	       "kernel calls\n",
	       bdf, nvme ? ", NVMe " : "", nvme ? nvme : "", scale);
	printf("%-38s %12s %12s %7s %7s\n", "operation (median ns)", "opae-vfio", "OPAE calls",
	       "ratio", "r(min)");
	struct ctx c = {.bdf = bdf};

	compare("open + close", &c, ours_open_close, base_open_close, 8, scale);
	bench_irq(bdf, VFIO_PCI_MSI_IRQ_INDEX, "MSI enable + disable pair", "first MSI disable");
	bench_irq(bdf, VFIO_PCI_INTX_IRQ_INDEX, "INTx enable + disable pair", NULL);
	if (nvme && *nvme)
		bench_irq(nvme, VFIO_PCI_MSIX_IRQ_INDEX, "MSI-X enable + disable pair (NVMe)",
		          "first MSI-X disable (NVMe)");
	bench_alloc(bdf);
	c.bdf = bdf;
	compare("close with 10000 live", &c, ours_close_live, base_close_live, 2, 1);
	printf("core_bench: done\n");
	return 0;
}
