// SPDX-License-Identifier: BSD-3-Clause
/* discover.c - what the plugin learns from sysfs about functions bound to
 * vfio-pci: ids, NUMA node, IOMMU group, SR-IOV relations, BAR sizes and
 * interrupt vectors. Reads files and links only; opens no device. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_priv.h"

#define SYS_DEVICES "/sys/bus/pci/devices"
#define SYS_VFIO    "/sys/bus/pci/drivers/vfio-pci"

#define PCI_CAP_PTR      0x34
#define PCI_STATUS       0x06
#define PCI_STATUS_CAPS  0x10
#define PCI_CAP_ID_MSI   0x05
#define PCI_CAP_ID_MSIX  0x11
#define IORESOURCE_MEM   0x200

static int cmp_bound(const void *a, const void *b)
{
	return strcmp(((const struct pl_bound *)a)->addr, ((const struct pl_bound *)b)->addr);
}

int discover_bound(struct pl_bound **out)
{
	struct pl_bound *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	d = opendir(SYS_VFIO);
	if (!d)
		return errno == ENOENT ? 0 : -errno; /* no vfio-pci driver: nothing bound */
	while ((e = readdir(d))) {
		char canon[CFG_ADDR_MAX], path[PATH_MAX];
		struct stat st;

		/* the driver directory also holds bind, unbind, new_id, module... */
		if (cfg_canonical_address(e->d_name, canon) || strcmp(canon, e->d_name))
			continue;
		snprintf(path, sizeof(path), SYS_VFIO "/%s", e->d_name);
		if (lstat(path, &st))
			continue; /* unbound meanwhile */
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		memcpy(v[n].addr, canon, sizeof(canon));
		/* kernfs gives every new link a new inode number; a plain file
		 * system (the mock's) may reuse one, but not with the same ctime */
		v[n].bind_id = (uint64_t)st.st_ino * 0x9E3779B97F4A7C15ull ^
		               ((uint64_t)st.st_ctim.tv_sec * 1000000000ull + (uint64_t)st.st_ctim.tv_nsec);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_bound);
	*out = v;
	return (int)n;
}

/* The first line of <device>/<file>, without the newline. */
static int read_line(const char *addr, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	char *nl;

	snprintf(path, sizeof(path), SYS_DEVICES "/%s/%s", addr, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static int read_num(const char *addr, const char *file, int base, long *out)
{
	char buf[64], *end;
	int r = read_line(addr, file, buf, sizeof(buf));

	if (r)
		return r;
	errno = 0;
	*out = strtol(buf, &end, base);
	return errno || end == buf ? -EINVAL : 0;
}

/* Last component of a link under the device directory. */
static int read_link_base(const char *addr, const char *link, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *b;
	ssize_t n;

	snprintf(path, sizeof(path), SYS_DEVICES "/%s/%s", addr, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	memcpy(out, b, strlen(b) + 1);
	return 0;
}

/* BAR sizes from <device>/resource: "start end flags" per line. */
static void read_bars(const char *addr, struct pl_pci *p)
{
	char path[PATH_MAX], line[128];
	unsigned i = 0;
	FILE *f;

	snprintf(path, sizeof(path), SYS_DEVICES "/%s/resource", addr);
	f = fopen(path, "re");
	if (!f)
		return;
	while (i < DFL_NUM_BARS && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, flags;

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 &&
		    (flags & IORESOURCE_MEM) && end > start)
			p->bar_len[i] = end - start + 1;
		i++;
	}
	fclose(f);
}

/* Interrupt vectors from the capability list in <device>/config (the part
 * an unprivileged reader sees may stop before the capabilities: then 0). */
static void read_vectors(const char *addr, struct pl_pci *p)
{
	uint8_t cfg[256];
	char path[PATH_MAX];
	unsigned ptr, msi = 0, msix = 0, steps = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYS_DEVICES "/%s/config", addr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 0x40 || !(cfg[PCI_STATUS] & PCI_STATUS_CAPS))
		return;
	for (ptr = cfg[PCI_CAP_PTR] & ~3u; ptr >= 0x40 && ptr + 4 <= (unsigned)n && steps < 48;
	     ptr = cfg[ptr + 1] & ~3u, steps++) {
		uint16_t ctl = (uint16_t)(cfg[ptr + 2] | cfg[ptr + 3] << 8);

		if (cfg[ptr] == PCI_CAP_ID_MSIX)
			msix = (ctl & 0x7ffu) + 1;
		else if (cfg[ptr] == PCI_CAP_ID_MSI)
			msi = 1u << ((ctl >> 1) & 7);
	}
	p->num_vectors = msix ? msix : msi;
}

int discover_read(const char *addr, struct pl_pci *p)
{
	static const char *const id_files[4] = {"vendor", "device", "subsystem_vendor",
	                                        "subsystem_device"};
	char grp[32], *end;
	unsigned long dom, bus, dev, fn;
	long v;
	int r;

	memset(p, 0, sizeof(*p));
	if (cfg_canonical_address(addr, p->addr))
		return -EINVAL;
	if (sscanf(p->addr, "%lx:%lx:%lx.%lu", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	p->domain = (uint32_t)dom;
	p->bus = (uint8_t)bus;
	p->dev = (uint8_t)dev;
	p->fn = (uint8_t)fn;
	for (int i = 0; i < 4; i++) {
		r = read_num(addr, id_files[i], 16, &v);
		if (r || v < 0 || v > 0xffff) {
			log_debug(addr, "sysfs: cannot read %s", id_files[i]);
			return r ? r : -EINVAL;
		}
		p->ids[i] = (uint16_t)v;
	}
	p->numa = read_num(addr, "numa_node", 10, &v) || v < 0 || v > 255 ? -1 : (int)v;
	r = read_link_base(addr, "iommu_group", grp, sizeof(grp));
	if (r)
		return r;
	v = strtol(grp, &end, 10);
	if (*end || v < 0 || v > 0x7fffffff)
		return -EINVAL;
	p->group = (int)v;
	if (read_link_base(addr, "physfn", p->physfn, sizeof(p->physfn)))
		p->physfn[0] = '\0';
	if (!read_num(addr, "sriov_totalvfs", 10, &v)) {
		p->sriov_pf = v > 0;
		if (!read_num(addr, "sriov_numvfs", 10, &v) && v > 0)
			p->numvfs = (unsigned)v;
	}
	read_bars(addr, p);
	read_vectors(addr, p);
	return 0;
}

int discover_on_vfio(const char *addr)
{
	char drv[64];

	return !read_link_base(addr, "driver", drv, sizeof(drv)) && !strcmp(drv, "vfio-pci");
}
