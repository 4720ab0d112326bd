/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_iommu.c - /dev/vfio/vfio containers and the type1 IOMMU behind them:
 * extensions, SET_IOMMU, GET_INFO with its capability chain, MAP/UNMAP_DMA
 * (Linux 6.1 vfio_iommu_type1 rules), and device DMA translated through the
 * mappings, with IOMMU faults recorded.
 *
 * Mappings live in a tsearch tree ordered by IOVA with an "overlap = equal"
 * comparator: lookups, inserts and removals are O(log n) with 10,000+ maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/pci_regs.h>
#include <search.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mock_internal.h"

struct mock_dma {
	uint64_t iova, size, vaddr;
	int prot; /* VFIO_DMA_MAP_FLAG_READ | _WRITE */
	struct mock_pin pin;
};

static void dma_free(void *p)
{
	struct mock_dma *m = p;

	mock_unpin_range(&m->pin);
	free(m);
}

#define MAX_FAULTS 1024
static struct vfio_mock_iommu_fault faults[MAX_FAULTS];
static unsigned nfaults;

/* every container ever opened and not yet freed (for leak accounting) */
#define MAX_CONTAINERS 1024
static struct mock_container *containers[MAX_CONTAINERS];

void mock_container_track(struct mock_container *c)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i] == c)
			return;
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (!containers[i]) {
			containers[i] = c;
			return;
		}
}

/* vfio_mock_short_unmap: the nth VFIO_IOMMU_UNMAP_DMA from now (0 = none). */
static unsigned short_unmap_nth;

/* A new scenario: every container is forgotten with its mappings. */
void mock_containers_forget_all(void)
{
	short_unmap_nth = 0;
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i]) {
			tdestroy(containers[i]->dma_root, dma_free);
			free(containers[i]);
			containers[i] = NULL;
		}
}

static void untrack(struct mock_container *c)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i] == c)
			containers[i] = NULL;
}

static int cmp_range(const void *a, const void *b)
{
	const struct mock_dma *x = a, *y = b;

	if (x->iova + x->size <= y->iova)
		return -1;
	if (x->iova >= y->iova + y->size)
		return 1;
	return 0;
}

static struct mock_dma *find(struct mock_container *c, uint64_t iova, uint64_t size)
{
	struct mock_dma key = {.iova = iova, .size = size ? size : 1};
	void *n = tfind(&key, &c->dma_root, cmp_range);

	return n ? *(struct mock_dma **)n : NULL;
}

static void remove_dma(struct mock_container *c, struct mock_dma *m)
{
	tdelete(m, &c->dma_root, cmp_range);
	dma_free(m);
	c->ndma--;
}

void mock_container_unmap_all(struct mock_container *c)
{
	tdestroy(c->dma_root, dma_free);
	c->dma_root = NULL;
	c->ndma = 0;
}

void mock_container_put(struct mock_container *c)
{
	if (--c->refs)
		return;
	/* the kernel drops every mapping when the container goes away */
	tdestroy(c->dma_root, dma_free);
	untrack(c);
	free(c);
}

static int iova_valid(uint64_t start, uint64_t end)
{
	if (!mock_w.iova_caps && !mock_w.nranges)
		return 1;
	for (unsigned i = 0; i < mock_w.nranges; i++)
		if (start >= mock_w.ranges[i][0] && end <= mock_w.ranges[i][1])
			return 1;
	return 0;
}

static uint64_t min_pgsize(void)
{
	return mock_w.pgsizes & -mock_w.pgsizes;
}

static int map_dma(struct mock_container *c, struct vfio_iommu_type1_dma_map *map)
{
	const size_t minsz = offsetof(struct vfio_iommu_type1_dma_map, size) + sizeof(map->size);
	uint64_t pg = min_pgsize();
	struct mock_dma *m;
	int ret;

	if (map->argsz < minsz || map->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
	                                         VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	if (map->flags & VFIO_DMA_MAP_FLAG_VADDR)
		return -EINVAL; /* live update of vaddr is not modelled */
	if (!(map->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!map->size || ((map->size | map->iova | map->vaddr) & (pg - 1)))
		return -EINVAL;
	if (map->iova + map->size - 1 < map->iova || map->vaddr + map->size - 1 < map->vaddr)
		return -EINVAL;
	if (find(c, map->iova, map->size))
		return -EEXIST;
	if (c->ndma >= mock_w.dma_entry_limit)
		return -ENOSPC;
	if (!iova_valid(map->iova, map->iova + map->size - 1))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = mock_pin_range(map->vaddr, map->size, !!(map->flags & VFIO_DMA_MAP_FLAG_WRITE),
	                     &m->pin);
	if (ret) {
		free(m);
		return ret;
	}
	m->iova = map->iova;
	m->size = map->size;
	m->vaddr = map->vaddr;
	m->prot = (int)(map->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	if (!tsearch(m, &c->dma_root, cmp_range)) {
		dma_free(m);
		return -ENOMEM;
	}
	c->ndma++;
	return 0;
}

static int unmap_dma(struct mock_container *c, struct vfio_iommu_type1_dma_unmap *um)
{
	const size_t minsz = offsetof(struct vfio_iommu_type1_dma_unmap, size) + sizeof(um->size);
	uint64_t pg = min_pgsize(), iova = um->iova, size = um->size, unmapped = 0;
	int all = !!(um->flags & VFIO_DMA_UNMAP_FLAG_ALL);
	struct mock_dma *m, *keep = NULL;

	if (um->argsz < minsz || um->flags & ~(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
	                                       VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if (all && !mock_w.unmap_all)
		return -EINVAL; /* a kernel before 5.12: an unknown flag */
	if (um->flags & (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR))
		return -EINVAL; /* dirty tracking and vaddr invalidation are not modelled */
	if (iova & (pg - 1))
		return -EINVAL;
	if (all) {
		if (iova || size)
			return -EINVAL;
		size = UINT64_MAX;
	} else if (!size || (size & (pg - 1)) || iova + size - 1 < iova) {
		return -EINVAL;
	}
	if (c->iommu_type == VFIO_TYPE1v2_IOMMU && !all) {
		/* v2: an unmap must not bisect a mapping */
		m = find(c, iova, 1);
		if (m && m->iova != iova)
			return -EINVAL;
		m = find(c, iova + size - 1, 1);
		if (m && m->iova + m->size != iova + size)
			return -EINVAL;
	}
	if (c->iommu_type == VFIO_TYPE1_IOMMU) {
		/* v1: a request starting inside a mapping unmaps nothing */
		m = find(c, iova, 1);
		if (m && m->iova < iova)
			goto done;
	}
	if (short_unmap_nth && !--short_unmap_nth) {
		/* injected: one mapping of the range stays, and the size reported
		 * is what really went (vfio_mock_short_unmap) */
		keep = find(c, iova, size == UINT64_MAX ? UINT64_MAX - iova : size);
		if (keep)
			tdelete(keep, &c->dma_root, cmp_range);
	}
	while ((m = find(c, iova, size == UINT64_MAX ? UINT64_MAX - iova : size))) {
		unmapped += m->size;
		remove_dma(c, m);
	}
	if (keep && !tsearch(keep, &c->dma_root, cmp_range)) {
		unmapped += keep->size; /* out of memory: it is gone after all */
		free(keep);
		c->ndma--;
	}
done:
	um->size = unmapped;
	return 0;
}

/* vfio_info_cap_add as 6.1 has it: capabilities packed one after the other
 * (the 12-byte DMA_AVAIL leaves the next one 4-byte aligned). The scenario's
 * "cap_align": 8 gives the later kernels' layout ("vfio: align capability
 * structures", 6.6 and the stable kernels after it). */
static size_t cap_add(uint8_t *buf, size_t *size, size_t len, uint16_t id, uint16_t version,
                      size_t *last)
{
	struct vfio_info_cap_header h = {.id = id, .version = version};
	size_t at = *size;

	if (mock_w.cap_align > 1)
		len = (len + mock_w.cap_align - 1) & ~(size_t)(mock_w.cap_align - 1);
	memset(buf + at, 0, len);
	memcpy(buf + at, &h, sizeof(h));
	if (at) {
		struct vfio_info_cap_header prev;

		memcpy(&prev, buf + *last, sizeof(prev));
		prev.next = (uint32_t)at;
		memcpy(buf + *last, &prev, sizeof(prev));
	}
	*last = at;
	*size += len;
	return at;
}

static int get_info(struct mock_container *c, uint8_t *arg)
{
	struct vfio_iommu_type1_info info;
	const size_t minsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + 8;
	uint8_t caps[512];
	size_t csize = 0, last = 0, at, copy;

	memset(&info, 0, sizeof(info));
	memcpy(&info, arg, minsz);
	if (info.argsz < minsz)
		return -EINVAL;
	copy = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = mock_w.pgsizes;
	{
		struct vfio_iommu_type1_info_cap_migration mig;

		at = cap_add(caps, &csize, sizeof(mig), VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1,
		             &last);
		memcpy(&mig, caps + at, sizeof(mig));
		mig.flags = 0;
		mig.pgsize_bitmap = min_pgsize();
		mig.max_dirty_bitmap_size = 0x10000000ULL; /* DIRTY_BITMAP_SIZE_MAX */
		memcpy(caps + at, &mig, sizeof(mig));
	}
	{
		struct vfio_iommu_type1_info_dma_avail av;

		at = cap_add(caps, &csize, sizeof(av), VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, &last);
		memcpy(&av, caps + at, sizeof(av));
		av.avail = mock_w.dma_entry_limit - c->ndma;
		memcpy(caps + at, &av, sizeof(av));
	}
	if (mock_w.iova_caps) {
		struct vfio_iommu_type1_info_cap_iova_range r;
		size_t len = sizeof(r) + mock_w.nranges * sizeof(struct vfio_iova_range);

		at = cap_add(caps, &csize, len, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, &last);
		memcpy(&r, caps + at, sizeof(r));
		r.nr_iovas = mock_w.nranges;
		memcpy(caps + at, &r, sizeof(r));
		for (unsigned i = 0; i < mock_w.nranges; i++) {
			struct vfio_iova_range ir = {.start = mock_w.ranges[i][0],
			                             .end = mock_w.ranges[i][1]};

			memcpy(caps + at + sizeof(r) + i * sizeof(ir), &ir, sizeof(ir));
		}
	}
	if (csize) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + csize) {
			info.argsz = (uint32_t)(sizeof(info) + csize);
		} else {
			/* shift the chain's offsets to be relative to the info struct */
			{
				size_t off = 0;

				for (;;) {
					struct vfio_info_cap_header h;
					uint32_t next;

					memcpy(&h, caps + off, sizeof(h));
					next = h.next;
					if (next)
						h.next = next + (uint32_t)sizeof(info);
					memcpy(caps + off, &h, sizeof(h));
					if (!next)
						break;
					off = next;
				}
			}
			memcpy(arg + sizeof(info), caps, csize);
			info.cap_offset = sizeof(info);
		}
	}
	memcpy(arg, &info, copy);
	return 0;
}

int mock_container_ioctl(struct mock_container *c, unsigned long req, void *arg)
{
	uintptr_t val = (uintptr_t)arg;

	switch (req) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		/* vfio_iommu_type1_check_extension (6.1), asked with no IOMMU
		 * before SET_IOMMU and with the container's after it */
		switch (val) {
		case VFIO_TYPE1_IOMMU:
			return 1;
		case VFIO_TYPE1v2_IOMMU:
			return mock_w.type1v2;
		case VFIO_TYPE1_NESTING_IOMMU:
		case VFIO_UNMAP_ALL:
			return mock_w.unmap_all; /* 5.12+, like the nesting answer */
		case VFIO_DMA_CC_IOMMU:
			return c->iommu_type && mock_w.dma_cc;
		default:
			return 0; /* UPDATE_VADDR: 1 on 6.1 after SET_IOMMU; not modelled */
		}
	case VFIO_SET_IOMMU:
		if (!c->ngroups || c->iommu_type)
			return -EINVAL;
		if (val != VFIO_TYPE1_IOMMU && !(val == VFIO_TYPE1v2_IOMMU && mock_w.type1v2))
			return -ENODEV; /* vfio_ioctl_set_iommu: no driver supports it */
		c->iommu_type = (int)val;
		return 0;
	}
	if (!c->iommu_type)
		return -EINVAL; /* no IOMMU driver behind the container yet */
	if (!arg && (req == VFIO_IOMMU_GET_INFO || req == VFIO_IOMMU_MAP_DMA ||
	             req == VFIO_IOMMU_UNMAP_DMA))
		return -EFAULT;
	switch (req) {
	case VFIO_IOMMU_GET_INFO:
		return get_info(c, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(c, arg);
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap um;
		const size_t minsz = offsetof(struct vfio_iommu_type1_dma_unmap, size) + 8;
		int ret;

		memcpy(&um, arg, minsz);
		ret = unmap_dma(c, &um);
		if (!ret)
			memcpy(arg, &um, minsz);
		return ret;
	}
	default:
		return -ENOTTY;
	}
}

/* ---- accounting -------------------------------------------------------- */

unsigned mock_dma_total(void)
{
	unsigned n = 0;

	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i])
			n += containers[i]->ndma;
	return n;
}

static struct vfio_mock_dma_map *snap_out;
static unsigned snap_max, snap_n;

static void snap_visit(const void *node, VISIT v, int depth)
{
	const struct mock_dma *m = *(struct mock_dma *const *)node;

	(void)depth;
	if (v != postorder && v != leaf)
		return;
	if (snap_n < snap_max) {
		snap_out[snap_n].iova = m->iova;
		snap_out[snap_n].size = m->size;
		snap_out[snap_n].vaddr = m->vaddr;
	}
	snap_n++;
}

unsigned mock_dma_snapshot(struct mock_container *c, struct vfio_mock_dma_map *out, unsigned max)
{
	snap_out = out;
	snap_max = out ? max : 0;
	snap_n = 0;
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i] && (!c || containers[i] == c))
			twalk(containers[i]->dma_root, snap_visit);
	return snap_n;
}

static void report_visit(const void *node, VISIT v, int depth)
{
	const struct mock_dma *m = *(struct mock_dma *const *)node;

	(void)depth;
	if (v == postorder || v == leaf)
		fprintf(stderr,
		        "vfio-mock: leak: DMA mapping iova 0x%llx size 0x%llx vaddr 0x%llx\n",
		        (unsigned long long)m->iova, (unsigned long long)m->size,
		        (unsigned long long)m->vaddr);
}

void mock_dma_report(void)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i])
			twalk(containers[i]->dma_root, report_visit);
}

/* ---- IOMMU faults ------------------------------------------------------ */

void mock_iommu_fault_record(struct mock_dev *d, uint64_t iova, uint32_t len, int write)
{
	if (nfaults < MAX_FAULTS) {
		struct vfio_mock_iommu_fault *f = &faults[nfaults++];

		snprintf(f->device, sizeof(f->device), "%s", d->cfg.address);
		f->iova = iova;
		f->len = len;
		f->write = write;
	}
}

void mock_iommu_faults_clear(void)
{
	nfaults = 0;
}

unsigned vfio_mock_iommu_faults(struct vfio_mock_iommu_fault *out, unsigned max)
{
	unsigned n;

	mock_lock();
	n = nfaults;
	for (unsigned i = 0; out && i < n && i < max; i++)
		out[i] = faults[i];
	mock_unlock();
	return n;
}

int vfio_mock_short_unmap(unsigned nth)
{
	mock_lock();
	short_unmap_nth = nth;
	mock_unlock();
	return 0;
}

void vfio_mock_clear_iommu_faults(void)
{
	mock_lock();
	nfaults = 0;
	mock_unlock();
}

/* ---- DMA for models ---------------------------------------------------- */

/* The device's access to [pos, pos+n) of mapping m: at the pinned pages,
 * wherever they are now (mock_pinned.c). */
static int copy_at(struct mock_dma *m, uint64_t pos, void *local, uint64_t n, int write)
{
	while (n) {
		uint64_t room, k;
		uintptr_t at = mock_pinned_vaddr(&m->pin, pos - m->iova, &room);
		struct iovec l, r;
		ssize_t done;

		k = n < room ? n : room;
		l = (struct iovec){.iov_base = local, .iov_len = k};
		r = (struct iovec){.iov_base = (void *)at, .iov_len = k};
		done = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
		             : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (done != (ssize_t)k)
			return -1;
		pos += k;
		local = (uint8_t *)local + k;
		n -= k;
	}
	return 0;
}

/* Device access to [pos, pos+n) of mapping m; pages pinned as the shared
 * zero page read as zeros. */
static int dma_copy(struct mock_dma *m, uint64_t pos, void *local, uint64_t n, int write)
{
	if (write || !m->pin.zero)
		return copy_at(m, pos, local, n, write);
	while (n) {
		uint64_t k = ((pos | (MOCK_PAGE - 1)) + 1) - pos;

		if (k > n)
			k = n;
		if (mock_pin_zero_page(&m->pin, (pos - m->iova) / MOCK_PAGE))
			memset(local, 0, k);
		else if (copy_at(m, pos, local, k, 0))
			return -1;
		pos += k;
		local = (uint8_t *)local + k;
		n -= k;
	}
	return 0;
}

/* A faulting read: page by page, zeros where the IOMMU refuses. */
static void read_with_zeros(struct mock_container *c, uint64_t iova, uint8_t *buf, size_t len)
{
	for (uint64_t pos = iova; pos < iova + len;) {
		uint64_t n = ((pos | (MOCK_PAGE - 1)) + 1) - pos;
		struct mock_dma *m = c && c->iommu_type ? find(c, pos, 1) : NULL;

		if (n > iova + len - pos)
			n = iova + len - pos;
		if (!m || !(m->prot & VFIO_DMA_MAP_FLAG_READ) ||
		    dma_copy(m, pos, buf + (pos - iova), n, 0))
			memset(buf + (pos - iova), 0, n);
		pos += n;
	}
}

static int dma(struct mock_dev *d, uint64_t iova, void *buf, size_t len, int write)
{
	struct mock_container *c = d->group ? d->group->container : NULL;
	int need = write ? VFIO_DMA_MAP_FLAG_WRITE : VFIO_DMA_MAP_FLAG_READ;
	uint64_t pos;

	if (!(d->config[PCI_COMMAND] & PCI_COMMAND_MASTER))
		return -2; /* bus mastering off: dropped */
	if (!len)
		return 0;
	/* first translate every page. A write that faults transfers nothing; a
	 * read gets zeros for the pages that fault (what QEMU's devices, edu
	 * included, read from an IOVA the IOMMU refuses) and data for the rest */
	for (pos = iova & ~(MOCK_PAGE - 1); pos < iova + len; pos += MOCK_PAGE) {
		struct mock_dma *m = c && c->iommu_type ? find(c, pos, 1) : NULL;

		if (!m || !(m->prot & need) || iova + len < iova) {
			mock_iommu_fault_record(d, pos < iova ? iova : pos, (uint32_t)len, write);
			mock_log(1, "%s: IOMMU fault: DMA %s iova 0x%llx (%zu bytes) not mapped",
			         d->cfg.address, write ? "write" : "read", (unsigned long long)pos,
			         len);
			if (!write && iova + len >= iova)
				read_with_zeros(c, iova, buf, len);
			return -1;
		}
	}
	for (pos = iova; pos < iova + len;) {
		struct mock_dma *m = find(c, pos, 1);
		uint64_t n = m->iova + m->size - pos;

		if (n > iova + len - pos)
			n = iova + len - pos;
		if (dma_copy(m, pos, (uint8_t *)buf + (pos - iova), n, write)) {
			mock_iommu_fault_record(d, pos, (uint32_t)n, write);
			return -1;
		}
		pos += n;
	}
	return 0;
}

int mock_dma_read(struct mock_dev *d, uint64_t iova, void *buf, size_t len)
{
	return dma(d, iova, buf, len, 0);
}

int mock_dma_write(struct mock_dev *d, uint64_t iova, const void *buf, size_t len)
{
	return dma(d, iova, (void *)buf, len, 1);
}
