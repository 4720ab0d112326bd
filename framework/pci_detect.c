// SPDX-License-Identifier: BSD-3-Clause
/* pci_detect.c - platform detection as OPAE does it: every function under
 * /sys/bus/pci/devices is compared with the rows of the plugin table by
 * vendor and device ID, and by subsystem IDs unless the row has the
 * wildcard 0xffff there. Unlike OPAE, a function whose ID files cannot be
 * read is skipped (and said so at debug level) instead of stopping detection
 * and, with it, all plugin loading. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_priv.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

static int read_id(const char *bdf, const char *file, uint16_t *out)
{
	char path[256], buf[32], *end;
	unsigned long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || v > 0xffff)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static bool row_matches(const struct fw_cfg_row *r, const uint16_t id[4])
{
	return r->vendor == id[0] && r->device == id[1] &&
	       (r->subvendor == 0xffff || r->subvendor == id[2]) &&
	       (r->subdevice == 0xffff || r->subdevice == id[3]);
}

void fw_pci_detect(struct fw_cfg *c)
{
	static const char *const files[4] = {"vendor", "device", "subsystem_vendor",
	                                     "subsystem_device"};
	DIR *dir = opendir(PCI_DEVICES);
	struct dirent *e;

	if (!dir) {
		fw_err("platform detection: %s: %s; no plugin can be matched", PCI_DEVICES,
		       strerror(errno));
		return;
	}
	while ((e = readdir(dir))) {
		uint16_t id[4];
		int err = 0, i;

		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < 4 && !err; i++)
			err = read_id(e->d_name, files[i], &id[i]);
		if (err) {
			fw_dbg("platform detection: %s: cannot read %s: %s; function skipped",
			       e->d_name, files[i - 1], strerror(-err));
			continue;
		}
		for (size_t k = 0; k < c->nrows; k++) {
			struct fw_cfg_row *r = &c->rows[k];

			if (r->detected || !row_matches(r, id))
				continue;
			r->detected = true;
			size_t l = strnlen(e->d_name, sizeof(r->detected_at) - 1);

			memcpy(r->detected_at, e->d_name, l);
			r->detected_at[l] = '\0';
			fw_msg("%s: %s (%04x:%04x subsystem %04x:%04x) detected at %s", c->path,
			       r->name, id[0], id[1], id[2], id[3], e->d_name);
		}
	}
	closedir(dir);
}
