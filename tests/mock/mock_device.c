/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_device.c - the kernel side of a VFIO PCI device: creation from the
 * scenario (BAR backing memfds, config space, model), the device ioctls
 * (GET_INFO, GET_REGION_INFO, GET_IRQ_INFO, SET_IRQS, RESET), region
 * read/write, and open/close life cycle (vfio_pci_core_enable/disable).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "mock_internal.h"
#include "mock_msix.h"

ssize_t mock_config_rw(struct mock_dev *d, uint8_t *buf, size_t n, uint64_t pos, int write);
void mock_config_irq_sync(struct mock_dev *d);
void mock_config_open(struct mock_dev *d);
void mock_group_dev_closed(struct mock_group *g);

struct mock_dev *mock_dev_find(const char *addr)
{
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (!strcmp(mock_w.dev[i]->cfg.address, addr))
			return mock_w.dev[i];
	return NULL;
}

/* ---- services for models ----------------------------------------------- */

uint8_t *mock_bar_mem(struct mock_dev *d, unsigned bar)
{
	return bar < 6 ? d->bar_view[bar] : NULL;
}

uint64_t mock_bar_size(struct mock_dev *d, unsigned bar)
{
	return bar < 6 ? d->cfg.bar[bar].size : 0;
}

const struct mock_dev_config *mock_dev_cfg(struct mock_dev *d)
{
	return &d->cfg;
}

static void dev_reset(struct mock_dev *d);

/* IORESOURCE flags of a BAR as the kernel prints them in sysfs "resource":
 * MEM | SIZEALIGN (| PREFETCH) (| MEM_64), and the BAR's own type bits. */
uint64_t mock_bar_resource_flags(const struct mock_dev *d, int bar)
{
	const struct mock_bar_config *b = &d->cfg.bar[bar];
	uint64_t f = 0x40200;

	if (b->prefetch)
		f |= 0x2000 | 0x8;
	if (b->is64)
		f |= 0x100000 | 0x4;
	return f;
}

int mock_bar_prefetchable(const struct mock_dev *d, int bar)
{
	return d->cfg.bar[bar].prefetch;
}

/* A reset from outside VFIO (sysfs "reset"): the model's registers go back
 * to their reset values; the kernel saves and restores config space. */
void mock_dev_function_reset(struct mock_dev *d)
{
	d->resets++;
	dev_reset(d);
}

/* ---- creation ---------------------------------------------------------- */

static uint64_t next_mmio32 = 0xfe000000ULL, next_mmio64 = 0x4000000000ULL;

/* A BAR's memory: a memfd mapped once (the model's view); the fd is closed
 * at once, because the kernel's BARs cost the program no fd. Program mmaps
 * are made from the view (mremap with old_size 0, see mock_bar_mmap). */
static int bar_create(struct mock_dev *d, int i)
{
	uint64_t size = d->cfg.bar[i].size, len = (size + MOCK_PAGE - 1) & ~(MOCK_PAGE - 1);
	int fd = memfd_create("vfio-bar", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)len)) {
		mock_real.close(fd);
		return -1;
	}
	d->bar_view[i] = mock_real.mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mock_real.close(fd);
	if (d->bar_view[i] == MAP_FAILED) {
		d->bar_view[i] = NULL;
		return -1;
	}
	d->bar_map_size[i] = len;
	/* "BIOS" assignment: small BARs below 4 GiB, big ones above */
	if (size <= 0x10000000ULL) {
		next_mmio32 = (next_mmio32 - size) & ~(size - 1);
		d->bar_phys[i] = next_mmio32;
	} else {
		next_mmio64 = (next_mmio64 + size - 1) & ~(size - 1);
		d->bar_phys[i] = next_mmio64;
		next_mmio64 += size;
	}
	return 0;
}

static struct mock_group *group_get(unsigned id)
{
	struct mock_group *g = mock_group_find(id);

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->id = id;
	g->lock_fd = -1;
	mock_w.group[mock_w.ngroup++] = g;
	return g;
}

int mock_dev_create(const struct mock_dev_config *cfg, const struct mock_model_ops *ops)
{
	struct mock_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	d->cfg = *cfg;
	if (cfg->physfn[0]) /* vfio_pci_get_irq_count: no INTx on a VF */
		d->cfg.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 0;
	d->ops = ops;
	d->irq_type = -1;
	d->err_efd = d->req_efd = d->intx_unmask_efd = -1;
	for (unsigned i = 0; i < sizeof(d->ctx) / sizeof(d->ctx[0]); i++)
		d->ctx[i].efd = -1;
	if (mock_w.ndev == 0) {
		next_mmio32 = 0xfe000000ULL;
		next_mmio64 = 0x4000000000ULL;
	}
	d->group = group_get(cfg->group);
	if (!d->group)
		goto fail;
	for (int i = 0; i < 6; i++)
		if (cfg->bar[i].size && bar_create(d, i))
			goto fail;
	mock_config_init(d);
	if (getrandom(d->vf_token, sizeof(d->vf_token), 0) != sizeof(d->vf_token))
		goto fail;
	mock_w.dev[mock_w.ndev++] = d;
	if ((ops->create && ops->create(d, &d->cfg, &d->state)) || mock_msix_init(d)) {
		mock_w.ndev--;
		goto fail;
	}
	return 0;
fail:
	mock_dev_destroy(d);
	return -1;
}

void mock_dev_destroy(struct mock_dev *d)
{
	mock_worker_drop(d);
	if (d->state && d->ops->destroy)
		d->ops->destroy(d->state);
	d->state = NULL;
	mock_irq_disable_all(d);
	mock_msix_free(d);
	for (int i = 0; i < 6; i++)
		if (d->bar_view[i])
			mock_real.munmap(d->bar_view[i], d->bar_map_size[i]);
	free(d);
}

/* ---- open / close ------------------------------------------------------ */

void mock_dev_opened(struct mock_dev *d)
{
	if (d->open_count++)
		return;
	/* vfio_pci_core_enable: pci_enable_device, pci_try_reset_function (the
	 * device starts from its reset values when it can reset; `resets`
	 * counts VFIO_DEVICE_RESET only), then vfio_config_init */
	if (d->cfg.reset)
		dev_reset(d);
	mock_config_open(d);
}

static void dev_reset(struct mock_dev *d)
{
	mock_worker_drop(d);
	d->intx_level = 0;
	if (d->ops->reset)
		d->ops->reset(d->state);
	mock_msix_reset(d);
}

void mock_dev_closed(struct mock_dev *d)
{
	mock_group_dev_closed(d->group);
	if (--d->open_count)
		return;
	/* vfio_pci_core_disable: IRQs off, bus master off, reset if possible */
	mock_irq_disable_all(d);
	d->virq_disabled = 0;
	d->config[PCI_COMMAND] &=
	    (uint8_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (d->cfg.reset)
		dev_reset(d);
}

/* ---- ioctls ------------------------------------------------------------ */

static int region_info(struct mock_dev *d, struct vfio_region_info *arg)
{
	const size_t minsz = offsetof(struct vfio_region_info, offset) + sizeof(arg->offset);
	struct vfio_region_info info;
	uint8_t caps[sizeof(struct vfio_region_info_cap_sparse_mmap) +
	             MOCK_MAX_SPARSE * sizeof(struct vfio_region_sparse_mmap_area) +
	             sizeof(struct vfio_info_cap_header)];
	size_t csize = 0;

	memcpy(&info, arg, minsz);
	if (info.argsz < minsz)
		return -EINVAL;
	info.offset = (uint64_t)info.index << MOCK_REGION_SHIFT;
	info.cap_offset = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = d->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX: {
		const struct mock_bar_config *b = &d->cfg.bar[info.index];

		info.size = b->size;
		info.flags = 0;
		if (!b->size)
			break;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		if (!b->mmap)
			break;
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		if (b->nsparse) {
			struct vfio_region_info_cap_sparse_mmap sp;

			memset(&sp, 0, sizeof(sp));
			sp.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
			sp.header.version = 1;
			sp.nr_areas = b->nsparse;
			memcpy(caps, &sp, sizeof(sp));
			for (unsigned i = 0; i < b->nsparse; i++) {
				struct vfio_region_sparse_mmap_area a = {
				    .offset = b->sparse[i].offset, .size = b->sparse[i].size};

				memcpy(caps + sizeof(sp) + i * sizeof(a), &a, sizeof(a));
			}
			csize =
			    sizeof(sp) + b->nsparse * sizeof(struct vfio_region_sparse_mmap_area);
		}
		csize = mock_msix_region_cap(d, info.index, caps, csize, sizeof(caps));
		break;
	}
	case VFIO_PCI_ROM_REGION_INDEX:
		info.size = 0;
		info.flags = 0;
		break;
	default:
		/* VGA: only for VGA devices (vdev->has_vga); no device-specific regions */
		return -EINVAL;
	}
	if (csize) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + csize) {
			info.argsz = (uint32_t)(sizeof(info) + csize);
			info.cap_offset = 0;
		} else {
			memcpy((uint8_t *)arg + sizeof(info), caps, csize);
			info.cap_offset = sizeof(info);
		}
	}
	memcpy(arg, &info, minsz);
	return 0;
}

static int irq_info(struct mock_dev *d, struct vfio_irq_info *arg)
{
	const size_t minsz = offsetof(struct vfio_irq_info, count) + sizeof(arg->count);
	struct vfio_irq_info info;

	memcpy(&info, arg, minsz);
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !d->cfg.pcie)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = d->cfg.irq_count[info.index]; /* a VF's INTx: 0 (mock_dev_create) */
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	memcpy(arg, &info, minsz);
	return 0;
}

/* VFIO_DEVICE_FEATURE: only PCI_VF_TOKEN (SET) on an SR-IOV PF, as 6.1's
 * vfio_pci_core_feature_token; every other feature is ENOTTY. */
static int device_feature(struct mock_dev *d, struct vfio_device_feature *arg)
{
	const size_t minsz = offsetof(struct vfio_device_feature, flags) + sizeof(arg->flags);
	const uint32_t getset = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;
	struct vfio_device_feature f;

	memcpy(&f, arg, minsz);
	if (f.argsz < minsz)
		return -EINVAL;
	if (f.flags & ~(VFIO_DEVICE_FEATURE_MASK | getset | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(f.flags & VFIO_DEVICE_FEATURE_PROBE) && (f.flags & getset) == getset)
		return -EINVAL;
	if ((f.flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_PCI_VF_TOKEN ||
	    !d->cfg.sriov_totalvfs)
		return -ENOTTY;
	/* vfio_check_feature(flags, argsz, SET, sizeof(uuid)) */
	if (f.flags & VFIO_DEVICE_FEATURE_GET)
		return -EINVAL; /* the token is never read back */
	if (f.flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(f.flags & VFIO_DEVICE_FEATURE_SET) || f.argsz - minsz < 16)
		return -EINVAL;
	mock_machine_lock();
	memcpy(mock_m->dev[d->mi].vf_token, (uint8_t *)arg + minsz, 16);
	mock_machine_unlock();
	return 0;
}

int mock_dev_ioctl(struct mock_dev *d, unsigned long req, void *arg)
{
	if (!arg && (req == VFIO_DEVICE_GET_INFO || req == VFIO_DEVICE_GET_REGION_INFO ||
	             req == VFIO_DEVICE_GET_IRQ_INFO || req == VFIO_DEVICE_SET_IRQS ||
	             req == VFIO_DEVICE_FEATURE))
		return -EFAULT;
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;
		size_t minsz = offsetof(struct vfio_device_info, num_irqs) + 4;

		memcpy(&info, arg, minsz);
		if (info.argsz < minsz)
			return -EINVAL;
		/* vfio_pci_ioctl_get_info: a caller with room for cap_offset
		 * gets it, 0 (no capabilities) */
		if (info.argsz >= offsetof(struct vfio_device_info, cap_offset) + 4) {
			minsz = offsetof(struct vfio_device_info, cap_offset) + 4;
			info.cap_offset = 0;
		}
		info.flags = VFIO_DEVICE_FLAGS_PCI | (d->cfg.reset ? VFIO_DEVICE_FLAGS_RESET : 0);
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		memcpy(arg, &info, minsz);
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(d, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return irq_info(d, arg);
	case VFIO_DEVICE_SET_IRQS:
		return mock_irq_set(d, arg);
	case VFIO_DEVICE_FEATURE:
		return device_feature(d, arg);
	case VFIO_DEVICE_RESET:
		if (!d->cfg.reset)
			return -EINVAL;
		/* vfio_pci_zap_and_down_write_memory_lock: an access to a BAR
		 * mmap waits for the reset and then sees its result */
		mock_bar_maps_hold(d, 1);
		mock_reset_hook_run(d);
		d->resets++;
		dev_reset(d);
		mock_bar_maps_hold(d, 0);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* ---- region read/write --------------------------------------------------- */

static ssize_t bar_rw(struct mock_dev *d, unsigned bar, uint8_t *buf, size_t n, uint64_t pos,
                      int write)
{
	uint64_t size = d->cfg.bar[bar].size;
	size_t done = 0;

	if (!size || pos >= size)
		return -EINVAL;
	if (!(d->config[PCI_COMMAND] & PCI_COMMAND_MEMORY) && !d->cfg.physfn[0])
		return -EIO; /* decoding off: __vfio_pci_memory_enabled (a VF's bit is virtual) */
	if (n > size - pos)
		n = size - pos;
	/* naturally aligned chunks of at most 4 bytes, like 6.1's do_io_rw: an
	 * 8-byte access is two 32-bit MMIO accesses, low dword first (8-byte
	 * accesses came in later kernels) */
	while (done < n) {
		uint64_t off = pos + done;
		unsigned chunk = 4;
		int in_table;
		size_t room = mock_msix_rw_window(d, bar, off, n - done, &in_table);

		if (in_table) { /* vfio_pci_bar_rw: the MSI-X table is the kernel's */
			if (!write)
				memset(buf + done, 0xff, room);
			done += room;
			continue;
		}
		while (chunk > 1 && ((off & (chunk - 1)) || chunk > room))
			chunk >>= 1;
		if (write) {
			uint64_t v = 0;

			memcpy(d->bar_view[bar] + off, buf + done, chunk);
			memcpy(&v, buf + done, chunk);
			d->mmio_writes++;
			if (d->ops->on_write)
				d->ops->on_write(d->state, bar, off, chunk, v);
		} else {
			if (d->ops->on_read)
				d->ops->on_read(d->state, bar, off, chunk);
			memcpy(buf + done, d->bar_view[bar] + off, chunk);
		}
		done += chunk;
	}
	return (ssize_t)n;
}

ssize_t mock_dev_rw(struct mock_dev *d, void *buf, size_t n, off_t off, int write)
{
	uint64_t index = (uint64_t)off >> MOCK_REGION_SHIFT;
	uint64_t pos = (uint64_t)off & ((1ULL << MOCK_REGION_SHIFT) - 1);

	if (!n)
		return 0; /* vfio_pci_core_read/write: count 0 before any check */
	if (off < 0)
		return -EINVAL;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return bar_rw(d, (unsigned)index, buf, n, pos, write);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return mock_config_rw(d, buf, n, pos, write);
	return -EINVAL;
}
