/* sysfs.c - what the core reads from /sys: the PCI address and VF token
 * syntax, the driver binding, the IOMMU group and why a group is not viable. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio_priv.h"

#define SYSFS_PCI "/sys/bus/pci/devices"

static bool hex_run(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "dddd:bb:dd.f" with a 4..8 hex digit domain (VMD uses 10000:), lower case
 * as sysfs names it, device <= 0x1f, function 0..7. */
bool sysfs_valid_pciaddr(const char *a)
{
	size_t len, dom, i;

	if (!a)
		return false;
	len = strnlen(a, 32);
	if (len < 12 || len > 16)
		return false;
	dom = len - 8;
	for (i = 0; i < len; i++)
		if (isupper((unsigned char)a[i]))
			return false;
	if (!hex_run(a, dom) || a[dom] != ':' || !hex_run(a + dom + 1, 2) || a[dom + 3] != ':' ||
	    !hex_run(a + dom + 4, 2) || a[dom + 6] != '.' || a[dom + 7] < '0' || a[dom + 7] > '7')
		return false;
	return strtoul(a + dom + 4, NULL, 16) <= 0x1f;
}

/* Exactly a UUID, 8-4-4-4-12 hex digits, nothing before or after: the token
 * is pasted into the device name the kernel parses. */
bool sysfs_valid_token(const char *t)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t i;

	if (!t)
		return false;
	for (i = 0; i < 5; i++) {
		if (!hex_run(t, (size_t)groups[i]))
			return false;
		t += groups[i];
		if (i < 4 && *t++ != '-')
			return false;
	}
	return *t == '\0';
}

/* Last path component of a symlink's target, or -errno. */
static int link_base(const char *path, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, b);
	return 0;
}

int sysfs_find_group(const char *addr, int *group)
{
	char path[PATH_MAX], drv[NAME_MAX + 1], grp[NAME_MAX + 1];
	int rd, rg;
	char *end;
	long g;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", addr);
	rd = link_base(path, drv, sizeof(drv));
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", addr);
	rg = link_base(path, grp, sizeof(grp));

	if (rd == -ENOENT && rg == -ENOENT) {
		log_err(addr, ENODEV, "sysfs: no such PCI device, or it has no IOMMU group");
		return -ENODEV;
	}
	if (rd == -ENOENT) {
		log_err(addr, ENODEV,
		         "sysfs: device is not bound to any driver (bind it to vfio-pci)");
		return -ENODEV;
	}
	if (rd < 0) {
		log_err(addr, -rd, "sysfs: reading %s/%s/driver", SYSFS_PCI, addr);
		return rd;
	}
	if (strcmp(drv, "vfio-pci") != 0) {
		log_err(addr, ENODEV, "sysfs: device is bound to %s, not vfio-pci", drv);
		return -ENODEV;
	}
	if (rg < 0) {
		log_err(addr, -rg, "sysfs: no iommu_group link (IOMMU disabled?)");
		return rg == -ENOENT ? -ENODEV : rg;
	}
	errno = 0;
	g = strtol(grp, &end, 10);
	if (errno || *end || g < 0 || g > INT_MAX) {
		log_err(addr, EINVAL, "sysfs: malformed IOMMU group name '%s'", grp);
		return -EINVAL;
	}
	*group = (int)g;
	return 0;
}

/* A group is viable when every device in it is bound to vfio-pci (or to no
 * driver, or to pci-stub / pcieport): name the ones that are not. */
void sysfs_group_unviable_reason(int group, char *buf, size_t len)
{
	char path[PATH_MAX], drv[NAME_MAX + 1];
	size_t used = 0;
	struct dirent *e;
	DIR *d;

	snprintf(buf, len, "another device of IOMMU group %d is bound to a host driver", group);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char lpath[PATH_MAX];
		int r;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(lpath, sizeof(lpath), "%s/%s/driver", path, e->d_name) >=
		    (int)sizeof(lpath))
			continue;
		r = link_base(lpath, drv, sizeof(drv));
		if (r < 0 || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
		    !strcmp(drv, "pcieport"))
			continue;
		if (!used)
			log_appendf(buf, len, &used, "IOMMU group %d also holds", group);
		log_appendf(buf, len, &used, " %s (bound to %s)", e->d_name, drv);
	}
	closedir(d);
	if (used)
		log_appendf(buf, len, &used, "; bind them to vfio-pci or unbind them");
}
