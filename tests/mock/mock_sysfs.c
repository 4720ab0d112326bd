/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_sysfs.c - the fake /sys and /dev/vfio: a real directory tree (the
 * machine's directory, see mock_machine.c) rendered from the scenario and
 * the machine's state, and the path redirection into it.
 *
 * Only the subtrees a VFIO user reads are redirected (see prefixes below);
 * the symlinks are relative, exactly like the kernel's, so readlink/realpath
 * on the redirected paths resolve inside the fake tree. Cards off bus 0 sit
 * below a PCIe root port, as on a real machine; their VFs are siblings.
 * What the files do when written is in mock_sysfs_write.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_internal.h"

#define MAX_BRIDGES 64

static const char *const prefixes[] = {
    "/sys/bus/pci",     "/sys/kernel/iommu_groups", "/sys/kernel/mm/hugepages",
    "/sys/devices/pci", "/sys/module/vfio",         "/sys/module/vfio_pci",
    "/sys/module/vfio_iommu_type1", "/dev/vfio",  NULL};
static char root[256];
static size_t root_len;
static int active; /* atomic: redirection on */

/* root ports: the (domain, bus) of the cards below them, their own address */
static struct bridge {
	unsigned domain, bus, group;
	char address[16];
} bridges[MAX_BRIDGES];
static unsigned nbridges;

const char *mock_path_redirect(const char *path, char *buf, size_t len)
{
	if (!path || path[0] != '/')
		return NULL;
	if (strncmp(path, "/sys/", 5) && strncmp(path, "/dev/vfio", 9))
		return NULL;
	mock_ensure_init();
	if (!__atomic_load_n(&active, __ATOMIC_ACQUIRE))
		return NULL;
	for (unsigned i = 0; prefixes[i]; i++) {
		size_t n = strlen(prefixes[i]);
		char next;

		if (strncmp(path, prefixes[i], n))
			continue;
		next = path[n];
		/* "/sys/devices/pci" matches pci0000:00; the others whole components */
		if (next && next != '/' && strcmp(prefixes[i], "/sys/devices/pci"))
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
			return NULL;
		return buf;
	}
	return NULL;
}

void mock_path_unredirect(char *path)
{
	if (!path || !root_len || strncmp(path, root, root_len) || path[root_len] != '/')
		return;
	memmove(path, path + root_len, strlen(path + root_len) + 1);
}

/* root + the formatted path, or -1 if it does not fit */
static int full_path(char *out, size_t len, const char *fmt, va_list ap)
{
	int n = snprintf(out, len, "%s", root);

	return (size_t)vsnprintf(out + n, len - (size_t)n, fmt, ap) >= len - (size_t)n ? -1 : 0;
}

/* Write `text` (already formatted) to root + path, with mode. */
int mock_sysfs_write_text(const char *path, mode_t mode, const char *text)
{
	char full[768];
	int fd, ok;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >= sizeof(full))
		return -1;
	fd = mock_real.open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	ok = mock_real.write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	fchmod(fd, mode);
	mock_real.close(fd);
	return ok ? 0 : -1;
}

/* mock_sysfs_put(mode, path-format, args..., then "%s"-style text?) would be
 * ambiguous: files are written as put(dir, name, mode, text-format, ...). */
int mock_sysfs_put(const char *dir, const char *name, mode_t mode, const char *fmt, ...)
{
	char path[512], text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1; /* never write past what was formatted */
	return mock_sysfs_write_text(path, mode, text);
}

int mock_sysfs_exists(const char *path)
{
	char full[768];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	return lstat(full, &st) == 0;
}

static int mkdirs(const char *path)
{
	char tmp[768];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", root, path) >= sizeof(tmp))
		return -1;
	for (char *p = tmp + root_len + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* symlink root + path -> target, replacing one that exists */
int mock_sysfs_link(const char *target, const char *fmt, ...)
{
	char path[768];
	va_list ap;
	int bad;

	va_start(ap, fmt);
	bad = full_path(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (bad)
		return -1;
	unlink(path);
	return symlink(target, path);
}

void mock_sysfs_unlink(const char *fmt, ...)
{
	char path[768];
	va_list ap;
	int bad;

	va_start(ap, fmt);
	bad = full_path(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (!bad)
		unlink(path);
}

/* ---- topology ------------------------------------------------------------ */

static void parse_bdf(const char *a, unsigned *dom, unsigned *bus, unsigned *dev)
{
	unsigned fn;

	if (sscanf(a, "%x:%x:%x.%x", dom, bus, dev, &fn) != 4)
		*dom = *bus = *dev = 0;
}

static struct bridge *bridge_of(unsigned dom, unsigned bus)
{
	for (unsigned i = 0; i < nbridges; i++)
		if (bridges[i].domain == dom && bridges[i].bus == bus)
			return &bridges[i];
	return NULL;
}

static int slot_used(unsigned dom, unsigned slot)
{
	unsigned d, b, s;

	for (unsigned k = 0; k < mock_w.ndev; k++) {
		parse_bdf(mock_w.dev[k]->cfg.address, &d, &b, &s);
		if (d == dom && b == 0 && s == slot)
			return 1;
	}
	for (unsigned k = 0; k < nbridges; k++) {
		parse_bdf(bridges[k].address, &d, &b, &s);
		if (d == dom && s == slot)
			return 1;
	}
	return 0;
}

/* A root port on bus 0 for every bus a card (not a VF) sits on, in the first
 * device slot no scenario device uses; its IOMMU group follows the scenario's.
 * The same in every process of the machine (it depends on the scenario only). */
static void plan_bridges(void)
{
	unsigned max_group = 0;

	nbridges = 0;
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->cfg.group > max_group)
			max_group = mock_w.dev[i]->cfg.group;
	for (unsigned i = 0; i < mock_w.ndev && nbridges < MAX_BRIDGES; i++) {
		const struct mock_dev_config *c = &mock_w.dev[i]->cfg;
		unsigned dom, bus, dev, slot = 1;

		parse_bdf(c->address, &dom, &bus, &dev);
		if (c->physfn[0] || !bus || bridge_of(dom, bus))
			continue;
		while (slot < 31 && slot_used(dom, slot))
			slot++;
		bridges[nbridges].domain = dom;
		bridges[nbridges].bus = bus;
		bridges[nbridges].group = max_group + 1 + nbridges;
		snprintf(bridges[nbridges].address, sizeof(bridges[0].address), "%04x:00:%02x.0", dom,
		         slot);
		nbridges++;
	}
}

/* The directory of a device below /sys/devices, e.g. (a card)
 * "pci0000:00/0000:00:01.0/0000:3b:00.0" or (bus 0) "pci0000:00/0000:00:03.0".
 * A VF sits beside its PF. */
void mock_sysfs_dir_of(const struct mock_dev_config *c, char *out, size_t len)
{
	unsigned dom, bus, dev;
	struct bridge *b;

	parse_bdf(c->physfn[0] ? c->physfn : c->address, &dom, &bus, &dev);
	b = bus ? bridge_of(dom, bus) : NULL;
	if (b)
		snprintf(out, len, "pci%04x:00/%s/%s", dom, b->address, c->address);
	else
		snprintf(out, len, "pci%04x:%02x/%s", dom, bus, c->address);
}

/* "../" as often as it takes from /sys/devices/<dir>/ up to /sys */
static void up_to_sys(const char *dir, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "../..");

	for (const char *p = dir; *p && n < len; p++)
		if (*p == '/')
			n += (size_t)snprintf(out + n, len - n, "/..");
}

static void group_dir(unsigned group, const char *dev_dir, const char *address)
{
	char dir[128], target[320];

	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%u/devices", group);
	mkdirs(dir);
	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%u", group);
	mock_sysfs_put(dir, "type", 0444, "DMA\n");
	mock_sysfs_put(dir, "reserved_regions", 0444,
	               "0x00000000fee00000 0x00000000feefffff msi\n");
	snprintf(target, sizeof(target), "../../../../devices/%s", dev_dir);
	mock_sysfs_link(target, "/sys/kernel/iommu_groups/%u/devices/%s", group, address);
}

static void render_bridge(const struct bridge *b)
{
	char dir[160], rel[96], up[64], target[256];

	snprintf(rel, sizeof(rel), "pci%04x:00/%s", b->domain, b->address);
	snprintf(dir, sizeof(dir), "/sys/devices/%s", rel);
	mkdirs(dir);
	mock_sysfs_put(dir, "vendor", 0444, "0x8086\n");
	mock_sysfs_put(dir, "device", 0444, "0x347a\n");
	mock_sysfs_put(dir, "class", 0444, "0x060400\n");
	mock_sysfs_put(dir, "secondary_bus_number", 0444, "%u\n", b->bus);
	mock_sysfs_put(dir, "subordinate_bus_number", 0444, "%u\n", b->bus + 1);
	mock_sysfs_put(dir, "current_link_speed", 0444, "16.0 GT/s PCIe\n");
	mock_sysfs_put(dir, "current_link_width", 0444, "16\n");
	up_to_sys(rel, up, sizeof(up));
	snprintf(target, sizeof(target), "%s/bus/pci/drivers/pcieport", up);
	mock_sysfs_link(target, "%s/driver", dir);
	snprintf(target, sizeof(target), "%s/kernel/iommu_groups/%u", up, b->group);
	mock_sysfs_link(target, "%s/iommu_group", dir);
	snprintf(target, sizeof(target), "%s/bus/pci", up);
	mock_sysfs_link(target, "%s/subsystem", dir);
	snprintf(target, sizeof(target), "../../../devices/%s", rel);
	mock_sysfs_link(target, "/sys/bus/pci/devices/%s", b->address);
	snprintf(target, sizeof(target), "../../../../devices/%s", rel);
	mock_sysfs_link(target, "/sys/bus/pci/drivers/pcieport/%s", b->address);
	group_dir(b->group, rel, b->address);
}

/* /dev/vfio/N exists while a device of group N is bound to vfio-pci; owner
 * and mode from the scenario (the mock checks them itself on open: root
 * cannot be refused by a file's mode, and a user cannot chown). */
void mock_sysfs_render_group_node(struct mock_group *g)
{
	char path[64];
	int bound = 0;

	for (unsigned i = 0; i < mock_w.ndev; i++)
		bound |= mock_w.dev[i]->group == g && !strcmp(mock_w.dev[i]->cfg.driver, "vfio-pci");
	snprintf(path, sizeof(path), "/dev/vfio/%u", g->id);
	if (!bound) {
		mock_sysfs_unlink("%s", path);
		return;
	}
	mock_sysfs_write_text(path, mock_w.dev_vfio_mode, "");
	{
		char full[768];

		snprintf(full, sizeof(full), "%s%s", root, path);
		if (chown(full, mock_w.dev_vfio_uid, mock_w.dev_vfio_gid))
			mock_log(2, "%s: chown: %s", full, strerror(errno));
	}
}

/* The driver-dependent part of a device: its driver links, driver_override
 * and its group's /dev/vfio node. Caller holds the machine lock. */
void mock_sysfs_render_binding(struct mock_dev *d)
{
	const struct mock_mdev *md = &mock_m->dev[d->mi];
	char rel[128], dir[160], up[64], target[320];

	mock_sysfs_dir_of(&d->cfg, rel, sizeof(rel));
	snprintf(dir, sizeof(dir), "/sys/devices/%s", rel);
	up_to_sys(rel, up, sizeof(up));
	mock_sysfs_unlink("%s/driver", dir);
	for (unsigned i = 0; i < mock_w.ndrivers; i++)
		mock_sysfs_unlink("/sys/bus/pci/drivers/%s/%s", mock_w.drivers[i], d->cfg.address);
	if (md->driver[0]) {
		snprintf(target, sizeof(target), "%s/bus/pci/drivers/%s", up, md->driver);
		mock_sysfs_link(target, "%s/driver", dir);
		snprintf(target, sizeof(target), "../../../../devices/%s", rel);
		mock_sysfs_link(target, "/sys/bus/pci/drivers/%s/%s", md->driver, d->cfg.address);
	}
	mock_sysfs_put(dir, "driver_override", 0644, "%s\n", md->override[0] ? md->override : "(null)");
	mock_sysfs_put(dir, "uevent", 0644,
	               "%s%s%sPCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
	               "PCI_SLOT_NAME=%s\nMODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
	               md->driver[0] ? "DRIVER=" : "", md->driver, md->driver[0] ? "\n" : "",
	               d->cfg.class_code, d->cfg.vendor, d->cfg.device, d->cfg.subsystem_vendor,
	               d->cfg.subsystem_device, d->cfg.address, d->cfg.vendor, d->cfg.device,
	               d->cfg.subsystem_vendor, d->cfg.subsystem_device, d->cfg.class_code >> 16,
	               (d->cfg.class_code >> 8) & 0xff, d->cfg.class_code & 0xff);
	mock_sysfs_render_group_node(d->group);
}

/* sriov_numvfs and the virtfnN links of a PF. */
void mock_sysfs_render_sriov(struct mock_dev *pf)
{
	char rel[128], dir[160];
	unsigned n = 0;

	mock_sysfs_dir_of(&pf->cfg, rel, sizeof(rel));
	snprintf(dir, sizeof(dir), "/sys/devices/%s", rel);
	mock_sysfs_put(dir, "sriov_numvfs", 0644, "%u\n", mock_m->dev[pf->mi].numvfs);
	for (unsigned i = 0; i < pf->cfg.sriov_totalvfs; i++)
		mock_sysfs_unlink("%s/virtfn%u", dir, i);
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *v = mock_w.dev[i];
		char target[64];

		if (strcmp(v->cfg.physfn, pf->cfg.address))
			continue;
		snprintf(target, sizeof(target), "../%s", v->cfg.address);
		mock_sysfs_link(target, "%s/virtfn%u", dir, n++);
	}
}

static void render_resources(struct mock_dev *d, const char *dir)
{
	const struct mock_dev_config *c = &d->cfg;
	char res[2048] = "";
	size_t used = 0;

	/* resource: 13 lines (6 BARs, ROM, 6 IOV) as the kernel prints them */
	for (int i = 0; i < 13; i++) {
		uint64_t start = 0, end = 0, flags = 0;

		if (i < 6 && c->bar[i].size) {
			start = d->bar_phys[i];
			end = start + c->bar[i].size - 1;
			flags = mock_bar_resource_flags(d, i);
		}
		used += (size_t)snprintf(
		    res + used, sizeof(res) - used, "0x%016llx 0x%016llx 0x%016llx\n",
		    (unsigned long long)start, (unsigned long long)end, (unsigned long long)flags);
	}
	mock_sysfs_put(dir, "resource", 0444, "%s", res);
	/* resourceN (+ _wc when prefetchable): sized like the BAR; mapping them
	 * gives plain memory, not the model (documented) */
	for (int i = 0; i < 6; i++) {
		char full[1024];
		int fd;

		if (!c->bar[i].size)
			continue;
		for (int wc = 0; wc <= mock_bar_prefetchable(d, i); wc++) {
			snprintf(full, sizeof(full), "%s%s/resource%d%s", root, dir, i, wc ? "_wc" : "");
			fd = mock_real.open(full, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0)
				continue;
			if (ftruncate(fd, (off_t)c->bar[i].size))
				mock_log(1, "%s: cannot size it", full);
			mock_real.close(fd);
		}
	}
}

/* Every file and link of a device. Caller holds the machine lock. */
void mock_sysfs_render_device(struct mock_dev *d)
{
	const struct mock_dev_config *c = &d->cfg;
	char rel[128], dir[160], up[64], target[320], full[1024];
	int fd;

	mock_sysfs_dir_of(c, rel, sizeof(rel));
	snprintf(dir, sizeof(dir), "/sys/devices/%s", rel);
	up_to_sys(rel, up, sizeof(up));
	if (mkdirs(dir))
		return;
	mock_sysfs_put(dir, "vendor", 0444, "0x%04x\n", c->vendor);
	mock_sysfs_put(dir, "device", 0444, "0x%04x\n", c->device);
	mock_sysfs_put(dir, "subsystem_vendor", 0444, "0x%04x\n", c->subsystem_vendor);
	mock_sysfs_put(dir, "subsystem_device", 0444, "0x%04x\n", c->subsystem_device);
	mock_sysfs_put(dir, "class", 0444, "0x%06x\n", c->class_code);
	mock_sysfs_put(dir, "revision", 0444, "0x%02x\n", c->revision);
	mock_sysfs_put(dir, "numa_node", 0644, "%d\n", c->numa_node);
	mock_sysfs_put(dir, "local_cpulist", 0444, "0-1\n");
	mock_sysfs_put(dir, "irq", 0444, "%u\n", c->irq_count[VFIO_PCI_INTX_IRQ_INDEX] ? 11u : 0u);
	mock_sysfs_put(dir, "modalias", 0444, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
	               c->vendor, c->device, c->subsystem_vendor, c->subsystem_device,
	               c->class_code >> 16, (c->class_code >> 8) & 0xff, c->class_code & 0xff);
	if (c->pcie) {
		mock_sysfs_put(dir, "current_link_speed", 0444, "16.0 GT/s PCIe\n");
		mock_sysfs_put(dir, "current_link_width", 0444, "16\n");
		mock_sysfs_put(dir, "max_link_speed", 0444, "16.0 GT/s PCIe\n");
		mock_sysfs_put(dir, "max_link_width", 0444, "16\n");
	}
	if (c->reset)
		mock_sysfs_put(dir, "reset", 0200, "%s", "");
	render_resources(d, dir);
	snprintf(full, sizeof(full), "%s%s/config", root, dir);
	fd = mock_real.open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (mock_real.write(fd, d->config, d->cfg_size) < 0)
			mock_log(1, "cannot write %s", full);
		mock_real.close(fd);
	}
	if (c->sriov_totalvfs) {
		mock_sysfs_put(dir, "sriov_totalvfs", 0444, "%u\n", c->sriov_totalvfs);
		mock_sysfs_put(dir, "sriov_offset", 0444, "%u\n", c->sriov_offset);
		mock_sysfs_put(dir, "sriov_stride", 0444, "%u\n", c->sriov_stride);
		mock_sysfs_put(dir, "sriov_vf_device", 0444, "%x\n", mock_vf_device_id(d));
		mock_sysfs_put(dir, "sriov_drivers_autoprobe", 0644, "1\n");
		mock_sysfs_render_sriov(d);
	}
	if (c->physfn[0]) {
		snprintf(target, sizeof(target), "../%s", c->physfn);
		mock_sysfs_link(target, "%s/physfn", dir);
	}
	snprintf(target, sizeof(target), "%s/kernel/iommu_groups/%u", up, c->group);
	mock_sysfs_link(target, "%s/iommu_group", dir);
	snprintf(target, sizeof(target), "%s/bus/pci", up);
	mock_sysfs_link(target, "%s/subsystem", dir);
	snprintf(target, sizeof(target), "../../../devices/%s", rel);
	mock_sysfs_link(target, "/sys/bus/pci/devices/%s", c->address);
	group_dir(c->group, rel, c->address);
	mock_sysfs_render_binding(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A device that went away (a VF removed through sriov_numvfs). */
void mock_sysfs_remove_device(struct mock_dev *d)
{
	char rel[128], full[1024];

	mock_sysfs_dir_of(&d->cfg, rel, sizeof(rel));
	snprintf(full, sizeof(full), "%s/sys/devices/%s", root, rel);
	nftw(full, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mock_sysfs_unlink("/sys/bus/pci/devices/%s", d->cfg.address);
	for (unsigned i = 0; i < mock_w.ndrivers; i++)
		mock_sysfs_unlink("/sys/bus/pci/drivers/%s/%s", mock_w.drivers[i], d->cfg.address);
	mock_sysfs_unlink("/sys/kernel/iommu_groups/%u/devices/%s", d->cfg.group, d->cfg.address);
	snprintf(full, sizeof(full), "%s/sys/kernel/iommu_groups/%u", root, d->cfg.group);
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i] != d && mock_w.dev[i]->group == d->group)
			full[0] = 0; /* the group has other devices: it stays */
	if (full[0])
		nftw(full, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mock_sysfs_render_group_node(d->group);
}

void mock_sysfs_update_hugepages(void)
{
	static const char *const pools[2] = {"hugepages-2048kB", "hugepages-1048576kB"};
	char dir[128];

	if (!root_len || !mock_m)
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "/sys/kernel/mm/hugepages/%s", pools[i]);
		mock_sysfs_put(dir, "nr_hugepages", 0644, "%u\n", mock_m->huge_total[i]);
		mock_sysfs_put(dir, "free_hugepages", 0444, "%u\n", mock_m->huge_free[i]);
	}
}

static void render_modules(void)
{
	const char *p = "/sys/module/vfio_pci/parameters";
	const char *t = "/sys/module/vfio_iommu_type1/parameters";

	mkdirs(p);
	mkdirs(t);
	mkdirs("/sys/module/vfio/parameters");
	mock_sysfs_put(p, "enable_sriov", 0444, "%c\n", mock_w.enable_sriov ? 'Y' : 'N');
	mock_sysfs_put(p, "disable_idle_d3", 0444, "N\n");
	mock_sysfs_put(p, "disable_vga", 0444, "N\n");
	mock_sysfs_put(p, "disable_denylist", 0444, "N\n");
	mock_sysfs_put(p, "nointxmask", 0444, "N\n");
	mock_sysfs_put(t, "dma_entry_limit", 0644, "%u\n", mock_w.dma_entry_limit);
	mock_sysfs_put(t, "allow_unsafe_interrupts", 0644, "N\n");
	mock_sysfs_put(t, "disable_hugepages", 0444, "N\n");
	mock_sysfs_put("/sys/module/vfio/parameters", "enable_unsafe_noiommu_mode", 0644, "N\n");
}

/* The tree for a new machine: everything. Caller holds both locks. */
int mock_sysfs_build(void)
{
	static const char *const pools[2] = {"hugepages-2048kB", "hugepages-1048576kB"};
	char path[128];

	mkdirs("/sys/bus/pci/devices");
	mkdirs("/sys/kernel/iommu_groups");
	mkdirs("/dev/vfio");
	mock_sysfs_put("/dev/vfio", "vfio", 0666, "%s", "");
	mock_sysfs_put("/sys/bus/pci", "drivers_probe", 0200, "%s", "");
	mock_sysfs_put("/sys/bus/pci", "rescan", 0200, "%s", "");
	mock_sysfs_put("/sys/bus/pci", "drivers_autoprobe", 0644, "1\n");
	for (unsigned i = 0; i < mock_w.ndrivers; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", mock_w.drivers[i]);
		if (mkdirs(path))
			return -1;
		mock_sysfs_put(path, "bind", 0200, "%s", "");
		mock_sysfs_put(path, "unbind", 0200, "%s", "");
		mock_sysfs_put(path, "new_id", 0200, "%s", "");
		mock_sysfs_put(path, "remove_id", 0200, "%s", "");
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s", pools[i]);
		mkdirs(path);
		mock_sysfs_put(path, "resv_hugepages", 0444, "0\n");
		mock_sysfs_put(path, "surplus_hugepages", 0444, "0\n");
	}
	mock_sysfs_update_hugepages();
	render_modules();
	for (unsigned i = 0; i < nbridges; i++)
		render_bridge(&bridges[i]);
	for (unsigned i = 0; i < mock_w.ndev; i++)
		mock_sysfs_render_device(mock_w.dev[i]);
	return 0;
}

/* Redirect into the machine's directory (every member). */
void mock_sysfs_attach(const char *dir)
{
	snprintf(root, sizeof(root), "%s", dir);
	root_len = strlen(root);
	snprintf(mock_w.root, sizeof(mock_w.root), "%s", root);
	plan_bridges();
	__atomic_store_n(&active, 1, __ATOMIC_RELEASE);
}

/* Stop redirecting; `remove`: delete the tree (the machine's creator). */
void mock_sysfs_detach(int remove)
{
	__atomic_store_n(&active, 0, __ATOMIC_RELEASE);
	if (remove && root_len)
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = 0;
	root_len = 0;
	mock_w.root[0] = 0;
}
