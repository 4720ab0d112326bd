// SPDX-License-Identifier: BSD-3-Clause
/* ctor_enum_lib.c - a shared library that enumerates PCI devices through sysfs
 * in its constructor, as OPAE's libopae-c loads its plugins and scans
 * /sys/bus/pci there. Linked by ctor_enum_main.c, its constructor runs before
 * the constructor of the preloaded mock. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ctor_enum_devices = -1; /* devices seen by the constructor */
int ctor_enum_vfio = -1;    /* of them bound to vfio-pci */
int ctor_enum_groups = -1;  /* /dev/vfio/N nodes */

static int bound_to_vfio(const char *bdf)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (!realpath(path, real))
		return 0;
	return !strcmp(strrchr(real, '/') + 1, "vfio-pci");
}

__attribute__((constructor)) static void enumerate(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	if (d) {
		ctor_enum_devices = ctor_enum_vfio = 0;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			ctor_enum_devices++;
			ctor_enum_vfio += bound_to_vfio(e->d_name);
		}
		closedir(d);
	}
	d = opendir("/dev/vfio");
	if (d) {
		ctor_enum_groups = 0;
		while ((e = readdir(d)))
			ctor_enum_groups += e->d_name[0] >= '0' && e->d_name[0] <= '9';
		closedir(d);
	}
}
