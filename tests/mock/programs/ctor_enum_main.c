// SPDX-License-Identifier: BSD-3-Clause
/* ctor_enum_main.c - run under the mock (LD_PRELOAD) with a scenario: the
 * device list the library constructor of ctor_enum_lib.c saw must be the one
 * main() sees, and not empty; prints what both saw. */
#include <dirent.h>
#include <stdio.h>

extern int ctor_enum_devices, ctor_enum_vfio, ctor_enum_groups;

int main(void)
{
	int n = 0, groups = 0;
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	d = opendir("/dev/vfio");
	while (d && (e = readdir(d)))
		groups += e->d_name[0] >= '0' && e->d_name[0] <= '9';
	if (d)
		closedir(d);
	printf("constructor saw %d devices (%d on vfio-pci) and %d groups; main saw %d and %d\n",
	       ctor_enum_devices, ctor_enum_vfio, ctor_enum_groups, n, groups);
	if (n > 0 && ctor_enum_devices == n && ctor_enum_vfio > 0 && ctor_enum_groups == groups) {
		printf("PASS: a library constructor sees the scenario\n");
		return 0;
	}
	printf("FAIL: a library constructor sees the scenario\n");
	return 1;
}
