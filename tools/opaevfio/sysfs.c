// SPDX-License-Identifier: BSD-3-Clause
/* sysfs.c - reading and writing sysfs attributes with the kernel's errno, and
 * the test-only root for the host files the mock kernel does not serve. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opaevfio.h"

/* Reads a whole (small) attribute; trailing newlines are stripped. */
int sysfs_read(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (used + 1 < len) {
		ssize_t n = read(fd, buf + used, len - 1 - used);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (err)
		return err;
	buf[used] = '\0';
	while (used && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		buf[--used] = '\0';
	return 0;
}

int sysfs_read_int(const char *path, long long *val)
{
	char buf[64], *end;
	int r = sysfs_read(path, buf, sizeof(buf));

	if (r)
		return r;
	errno = 0;
	*val = strtoll(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* One write(2) of the whole value: sysfs stores act on that single write and
 * report the driver core's error (EINVAL, ENODEV, EBUSY, ...) from it. */
int sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err && errno != EINTR)
		err = -errno;
	return err;
}

/* Last path component of a symlink's target (a driver name, a group number). */
int sysfs_link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	memcpy(out, b, strlen(b) + 1);
	return 0;
}

int sysfs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The mock kernel serves /sys/bus/pci, /sys/kernel/iommu_groups, huge pages
 * and /dev/vfio, but not the host's boot and module state; tests point
 * OPAEVFIO_HOST_ROOT at a directory holding proc/cmdline, sys/module/...
 * Only those paths go through here; everything else is always the real one. */
const char *host_path(const char *path, char *buf, size_t len)
{
	const char *root = getenv("OPAEVFIO_HOST_ROOT");

	if (!root || !*root)
		return path;
	if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
		return path;
	return buf;
}

/* /sys/module/<module>/parameters/<param> as a boolean: 1 (Y, 1), 0 (N, 0),
 * or -errno when the module is not loaded or has no such parameter. */
int host_param_bool(const char *module, const char *param)
{
	char path[OVF_PATH_LEN], buf[OVF_PATH_LEN + 64], val[16];
	int r;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
	r = sysfs_read(host_path(path, buf, sizeof(buf)), val, sizeof(val));
	if (r)
		return r;
	return val[0] == 'Y' || val[0] == 'y' || val[0] == '1';
}
