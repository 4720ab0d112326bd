// SPDX-License-Identifier: BSD-3-Clause
/* pci.c - the PCI model opaevfio works on: address syntax, one function's
 * sysfs attributes, IOMMU group members and viability, SR-IOV relations. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opaevfio.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

static int hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "[dddd:]bb:dd.f" (domain 4..8 hex digits, VMD uses 10000:) into the lower
 * case "dddd:bb:dd.f" sysfs names; device <= 0x1f, function 0..7. */
int pci_parse_addr(const char *in, char *out)
{
	size_t len = strnlen(in, OVF_ADDR_LEN), dom;
	char tmp[OVF_ADDR_LEN];

	if (len == 7) { /* bb:dd.f */
		snprintf(tmp, sizeof(tmp), "0000:%s", in);
		in = tmp;
		len += 5;
	}
	if (len < 12 || len > 16)
		return -EINVAL;
	dom = len - 8;
	if (!hex_run(in, dom) || in[dom] != ':' || !hex_run(in + dom + 1, 2) ||
	    in[dom + 3] != ':' || !hex_run(in + dom + 4, 2) || in[dom + 6] != '.' ||
	    in[dom + 7] < '0' || in[dom + 7] > '7' || strtoul(in + dom + 4, NULL, 16) > 0x1f)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	return 0;
}

static void dev_path(char *buf, size_t len, const char *addr, const char *attr)
{
	snprintf(buf, len, PCI_DEVICES "/%s/%s", addr, attr);
}

static unsigned read_hex(const char *addr, const char *attr)
{
	char path[OVF_PATH_LEN];
	long long v;

	dev_path(path, sizeof(path), addr, attr);
	return sysfs_read_int(path, &v) || v < 0 ? 0 : (unsigned)v;
}

static int read_num(const char *addr, const char *attr)
{
	char path[OVF_PATH_LEN];
	long long v;

	dev_path(path, sizeof(path), addr, attr);
	return sysfs_read_int(path, &v) ? -1 : (int)v;
}

/* The header type from config space (readable by anyone for the first 64
 * bytes): bridges do not count against a group's viability. */
static int read_hdr_type(const char *addr)
{
	char path[OVF_PATH_LEN];
	unsigned char b;
	int fd, r;

	dev_path(path, sizeof(path), addr, "config");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pread(fd, &b, 1, 0x0e) == 1 ? (b & 0x7f) : -1;
	close(fd);
	return r;
}

int pci_dev_read(const char *addr, struct ovf_dev *d)
{
	char path[OVF_PATH_LEN], buf[OVF_NAME_LEN];

	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	dev_path(path, sizeof(path), addr, "vendor");
	if (!sysfs_exists(path))
		return -ENODEV;
	d->vendor = read_hex(addr, "vendor");
	d->device = read_hex(addr, "device");
	d->subsys_vendor = read_hex(addr, "subsystem_vendor");
	d->subsys_device = read_hex(addr, "subsystem_device");
	d->class_code = read_hex(addr, "class");
	d->hdr_type = read_hdr_type(addr);
	d->numa_node = read_num(addr, "numa_node");
	d->sriov_totalvfs = read_num(addr, "sriov_totalvfs");
	d->sriov_numvfs = d->sriov_totalvfs >= 0 ? read_num(addr, "sriov_numvfs") : -1;
	dev_path(path, sizeof(path), addr, "driver");
	if (sysfs_link_base(path, d->driver, sizeof(d->driver)))
		d->driver[0] = '\0';
	dev_path(path, sizeof(path), addr, "driver_override");
	if (sysfs_read(path, d->override, sizeof(d->override)) || !strcmp(d->override, "(null)"))
		d->override[0] = '\0';
	dev_path(path, sizeof(path), addr, "iommu_group");
	d->group = -1;
	if (!sysfs_link_base(path, buf, sizeof(buf)))
		d->group = atoi(buf);
	dev_path(path, sizeof(path), addr, "physfn");
	if (sysfs_link_base(path, d->physfn, sizeof(d->physfn)))
		d->physfn[0] = '\0';
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Directory entries accepted by `keep` (prefix match), sorted. */
static int list_dir(const char *dir, const char *prefix, char (**out)[OVF_ADDR_LEN], size_t *n)
{
	char(*v)[OVF_ADDR_LEN] = NULL;
	size_t cap = 0, cnt = 0, plen = strlen(prefix);
	struct dirent *e;
	DIR *d = opendir(dir);

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		const char *name = e->d_name;

		if (name[0] == '.' || strncmp(name, prefix, plen))
			continue;
		name += plen;
		if (strlen(name) >= OVF_ADDR_LEN)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			void *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		snprintf(v[cnt++], OVF_ADDR_LEN, "%s", name);
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_addr);
	*out = v;
	*n = cnt;
	return 0;
}

int pci_list_addrs(char (**addrs)[OVF_ADDR_LEN], size_t *n)
{
	return list_dir(PCI_DEVICES, "", addrs, n);
}

int pci_group_members(int group, char (**addrs)[OVF_ADDR_LEN], size_t *n)
{
	char dir[OVF_PATH_LEN];

	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%d/devices", group);
	return list_dir(dir, "", addrs, n);
}

int pci_virtfns(const char *pf, char (**addrs)[OVF_ADDR_LEN], size_t *n)
{
	char dir[OVF_PATH_LEN], path[OVF_PATH_LEN + 32];
	char(*links)[OVF_ADDR_LEN];
	size_t cnt;
	int r;

	dev_path(dir, sizeof(dir), pf, "");
	r = list_dir(dir, "virtfn", &links, &cnt);
	if (r)
		return r;
	/* virtfn<i> names sort as text; resolve each to the VF's address */
	for (size_t i = 0; i < cnt; i++) {
		char idx[OVF_ADDR_LEN];

		memcpy(idx, links[i], sizeof(idx));
		snprintf(path, sizeof(path), "%svirtfn%s", dir, idx);
		if (sysfs_link_base(path, links[i], OVF_ADDR_LEN))
			snprintf(links[i], OVF_ADDR_LEN, "?");
	}
	if (cnt)
		qsort(links, cnt, sizeof(*links), cmp_addr);
	*addrs = links;
	*n = cnt;
	return 0;
}

/* vfio-pci and its variant drivers (mlx5_vfio_pci, ...) all carry "vfio". */
int pci_driver_is_vfio(const char *driver)
{
	return strstr(driver, "vfio") != NULL;
}

/* Header type 1/2; from the class (PCI-to-PCI, CardBus bridge) when the
 * config space cannot be read. */
int pci_is_bridge(const struct ovf_dev *d)
{
	if (d->hdr_type >= 0)
		return d->hdr_type > 0;
	return (d->class_code >> 8) == 0x0604 || (d->class_code >> 8) == 0x0607;
}

/* The kernel's rule (vfio_dev_driver_allowed): a group is viable when every
 * member is unbound, on a vfio driver, on pci-stub, or is a bridge. */
int pci_group_blockers(int group, struct ovf_blocker *b, size_t max)
{
	char(*members)[OVF_ADDR_LEN];
	size_t n, found = 0;
	int r = pci_group_members(group, &members, &n);

	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct ovf_dev d;

		if (pci_dev_read(members[i], &d))
			continue;
		if (!d.driver[0] || pci_driver_is_vfio(d.driver) || !strcmp(d.driver, "pci-stub") ||
		    pci_is_bridge(&d))
			continue;
		if (found < max) {
			snprintf(b[found].addr, sizeof(b[found].addr), "%s", d.addr);
			snprintf(b[found].driver, sizeof(b[found].driver), "%s", d.driver);
		}
		found++;
	}
	free(members);
	return (int)found;
}

int pci_group_node(int group, char *path, size_t len)
{
	snprintf(path, len, "/dev/vfio/%d", group);
	if (sysfs_exists(path))
		return 0;
	snprintf(path, len, "/dev/vfio/noiommu-%d", group);
	if (sysfs_exists(path))
		return 0;
	snprintf(path, len, "/dev/vfio/%d", group);
	return -ENOENT;
}

int pci_driver_exists(const char *driver)
{
	char path[OVF_PATH_LEN];

	if (!*driver || strchr(driver, '/') || !strcmp(driver, ".") || !strcmp(driver, ".."))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", driver);
	return sysfs_exists(path);
}
