/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_sysfs_write.c - sysfs files that act when written, with the kernel's
 * rules and errors (Linux 6.1 drivers/base/bus.c, drivers/pci/pci-driver.c,
 * pci-sysfs.c, iov.c, vfio_pci.c): driver bind/unbind/new_id/remove_id,
 * /sys/bus/pci/drivers_probe and rescan, a device's driver_override,
 * sriov_numvfs and reset.
 *
 * A write reaches the mock three ways: write(2) on an fd opened on such a
 * file (acts at once; the error is write's), a FILE from fopen (a cookie
 * FILE: acts when stdio flushes; the error is fflush's/fclose's), or a write
 * the mock did not see (a shell's builtin echo writes through libc's
 * internal write): then it acts when the fd is closed, and close reports
 * the error. Every change is made under the machine lock and seen by every
 * process of the machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mock_internal.h"

enum attr {
	A_NONE,
	A_BIND,
	A_UNBIND,
	A_NEW_ID,
	A_REMOVE_ID,
	A_DRIVERS_PROBE,
	A_RESCAN,
	A_DRIVER_OVERRIDE,
	A_SRIOV_NUMVFS,
	A_RESET,
};
#define ATTR(a, idx) ((int)(a) | (int)(idx) << 8)

/* Which acting file is `real` (a path inside the fake tree, links resolved)? */
static int classify(const char *real)
{
	static const struct {
		const char *name;
		enum attr a;
	} drv[] = {{"bind", A_BIND},
	           {"unbind", A_UNBIND},
	           {"new_id", A_NEW_ID},
	           {"remove_id", A_REMOVE_ID}},
	  dev[] = {{"driver_override", A_DRIVER_OVERRIDE},
	           {"sriov_numvfs", A_SRIOV_NUMVFS},
	           {"reset", A_RESET}};
	const char *root = mock_w.root, *p, *base, *dir;
	char parent[128];
	size_t rl = strlen(root);

	if (!rl || strncmp(real, root, rl))
		return A_NONE;
	p = real + rl;
	if (!strcmp(p, "/sys/bus/pci/drivers_probe"))
		return A_DRIVERS_PROBE;
	if (!strcmp(p, "/sys/bus/pci/rescan"))
		return A_RESCAN;
	base = strrchr(p, '/');
	if (!base || base == p)
		return A_NONE;
	for (dir = base - 1; dir > p && *dir != '/'; dir--)
		;
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - dir - 1), dir + 1);
	base++;
	if (!strncmp(p, "/sys/bus/pci/drivers/", 21) && mock_driver_index(parent) >= 0)
		for (size_t i = 0; i < sizeof(drv) / sizeof(drv[0]); i++)
			if (!strcmp(base, drv[i].name))
				return ATTR(drv[i].a, mock_driver_index(parent));
	if (!strncmp(p, "/sys/devices/", 13))
		for (unsigned k = 0; k < mock_w.ndev; k++)
			if (!strcmp(mock_w.dev[k]->cfg.address, parent))
				for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
					if (!strcmp(base, dev[i].name))
						return ATTR(dev[i].a, mock_w.dev[k]->mi);
	return A_NONE;
}

/* the buffer as a string without one trailing newline (sysfs_streq) */
static void text_of(const void *buf, size_t n, char *out, size_t len)
{
	if (n >= len)
		n = len - 1;
	memcpy(out, buf, n);
	out[n] = 0;
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
}

static struct mock_dev *by_mi(unsigned mi)
{
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->mi == mi)
			return mock_w.dev[i];
	return NULL;
}

/* device_release_driver of a vfio-pci device in use blocks until the user
 * lets go (vfio_pci_request signals REQ); the mock refuses with EBUSY. */
static int in_use(struct mock_dev *d)
{
	if (d->open_count || mock_machine_group_open(d->cfg.group)) {
		if (d->req_efd >= 0)
			mock_efd_signal(d->req_efd);
		mock_log(1, "%s: in use by a VFIO user: the kernel would wait for it to close",
		         d->cfg.address);
		return 1;
	}
	return 0;
}

/* Is (vendor, device, ...) already in drv's id table (its devices' ids) or
 * its dynamic ids? (new_id answers EEXIST then) */
static int driver_supports(const char *drv, unsigned v, unsigned dv, unsigned sv, unsigned sd)
{
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		const struct mock_dev_config *c = &mock_w.dev[i]->cfg;

		if (!strcmp(c->native_driver, drv) && c->vendor == v && c->device == dv &&
		    (sv == 0xffffffffu || sv == c->subsystem_vendor) &&
		    (sd == 0xffffffffu || sd == c->subsystem_device))
			return 1;
	}
	for (unsigned i = 0; i < mock_m->ndynids; i++) {
		const struct mock_dynid *id = &mock_m->dynids[i];

		if (!strcmp(id->driver, drv) && id->vendor == v && id->device == dv &&
		    (id->subvendor == 0xffffffffu || id->subvendor == sv) &&
		    (id->subdevice == 0xffffffffu || id->subdevice == sd))
			return 1;
	}
	return 0;
}

static int act_ids(const char *drv, const char *s, int add)
{
	unsigned v, dv, sv = 0xffffffffu, sd = 0xffffffffu, cls = 0, mask = 0;
	unsigned long data = 0;
	int fields = sscanf(s, "%x %x %x %x %x %x %lx", &v, &dv, &sv, &sd, &cls, &mask, &data);

	if (fields < 2)
		return -EINVAL;
	if (!add) { /* remove_id: an exact dynamic id */
		for (unsigned i = 0; i < mock_m->ndynids; i++) {
			struct mock_dynid *id = &mock_m->dynids[i];

			if (!strcmp(id->driver, drv) && id->vendor == v && id->device == dv &&
			    id->subvendor == sv && id->subdevice == sd && id->class_code == cls &&
			    id->class_mask == mask) {
				*id = mock_m->dynids[--mock_m->ndynids];
				mock_machine_changed();
				return 0;
			}
		}
		return -ENODEV;
	}
	if (fields != 7 && driver_supports(drv, v, dv, sv, sd))
		return -EEXIST;
	if (mock_m->ndynids == sizeof(mock_m->dynids) / sizeof(mock_m->dynids[0]))
		return -ENOMEM;
	mock_m->dynids[mock_m->ndynids++] = (struct mock_dynid){
	    .vendor = v, .device = dv, .subvendor = sv, .subdevice = sd, .class_code = cls,
	    .class_mask = mask};
	snprintf(mock_m->dynids[mock_m->ndynids - 1].driver, sizeof(mock_m->dynids[0].driver), "%s",
	         drv);
	/* driver_attach: every unbound device the driver now matches */
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		if (!d->cfg.driver[0] && mock_driver_matches(d, drv))
			mock_bind(d, drv);
	}
	mock_machine_changed();
	return 0;
}

static int act_sriov_numvfs(struct mock_dev *pf, const char *s)
{
	const struct mock_mdev *md = &mock_m->dev[pf->mi];
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (!*s || *end || n > 0xffff)
		return -EINVAL; /* kstrtou16 */
	if (n > pf->cfg.sriov_totalvfs)
		return -ERANGE;
	if (n == md->numvfs)
		return 0;
	if (!md->driver[0] || !strcmp(md->driver, "pci-stub")) {
		mock_log(1, "%s: no driver bound to device (or none with sriov_configure)",
		         pf->cfg.address);
		return -ENOENT;
	}
	if (!strcmp(md->driver, "vfio-pci") && !mock_w.enable_sriov) {
		mock_log(1, "%s: vfio-pci: SR-IOV needs vfio_pci.enable_sriov=1", pf->cfg.address);
		return -ENOENT;
	}
	if (!n)
		return mock_sriov_disable(pf, -1);
	if (md->numvfs) {
		mock_log(1, "%s: %u VFs already enabled. Disable before enabling %lu VFs",
		         pf->cfg.address, md->numvfs, n);
		return -EBUSY;
	}
	return mock_sriov_enable(pf, (unsigned)n);
}

/* One store to an acting file. Returns 0 or -errno. Caller holds both locks. */
static int act(int attr, const void *buf, size_t n)
{
	enum attr a = (enum attr)(attr & 0xff);
	unsigned idx = (unsigned)attr >> 8;
	const char *drv = a <= A_REMOVE_ID ? mock_w.drivers[idx] : NULL;
	struct mock_dev *d = NULL;
	char s[256];

	if (n >= 4095)
		return -EINVAL;
	text_of(buf, n, s, sizeof(s));
	if (a == A_BIND || a == A_UNBIND || a == A_DRIVERS_PROBE)
		d = mock_dev_find(s);
	else if (a >= A_DRIVER_OVERRIDE)
		d = by_mi(idx);
	switch (a) {
	case A_BIND: /* bind_store, __driver_probe_device */
		if (!d || !mock_driver_matches(d, drv))
			return -ENODEV;
		if (d->cfg.driver[0])
			return -EBUSY;
		mock_bind(d, drv);
		return 0;
	case A_UNBIND:
		if (!d || strcmp(d->cfg.driver, drv))
			return -ENODEV;
		if (!strcmp(drv, "vfio-pci") && in_use(d))
			return -EBUSY;
		if (!strcmp(drv, "vfio-pci") && d->cfg.sriov_totalvfs &&
		    mock_m->dev[d->mi].numvfs) { /* vfio_pci_core_unregister_device */
			int err = mock_sriov_disable(d, -1);

			if (err)
				return err;
		}
		mock_bind(d, "");
		return 0;
	case A_NEW_ID:
	case A_REMOVE_ID:
		return act_ids(drv, s, a == A_NEW_ID);
	case A_DRIVERS_PROBE:
		if (!d)
			return -ENODEV;
		if (!d->cfg.driver[0] && mock_probe_match(d)[0])
			mock_bind(d, mock_probe_match(d));
		return 0;
	case A_RESCAN:
		return 0;
	case A_DRIVER_OVERRIDE:
		if (!d)
			return -ENODEV;
		s[strcspn(s, "\n")] = 0; /* driver_set_override: up to the first newline */
		if (strlen(s) >= sizeof(mock_m->dev[0].override))
			return -EINVAL; /* the kernel takes up to a page; the mock 63 bytes */
		snprintf(mock_m->dev[d->mi].override, sizeof(mock_m->dev[0].override), "%s", s);
		mock_sysfs_render_binding(d);
		mock_machine_changed();
		return 0;
	case A_SRIOV_NUMVFS:
		return d ? act_sriov_numvfs(d, s) : -ENODEV;
	case A_RESET:
		if (!d || strcmp(s, "1"))
			return -EINVAL;
		mock_dev_function_reset(d);
		return 0;
	default:
		return -EINVAL;
	}
}

static int act_locked(int attr, const void *buf, size_t n)
{
	int ret;

	mock_lock();
	mock_machine_sync();
	mock_machine_lock();
	ret = act(attr, buf, n);
	mock_machine_unlock();
	mock_unlock();
	return ret;
}

/* Put a file back as the machine says it is after a write the program made
 * straight into it (the attribute files show values; the others stay empty). */
static void rerender(int attr)
{
	enum attr a = (enum attr)(attr & 0xff);
	struct mock_dev *d;

	mock_lock();
	mock_machine_lock();
	d = a >= A_DRIVER_OVERRIDE ? by_mi((unsigned)attr >> 8) : NULL;
	if (a == A_DRIVER_OVERRIDE && d)
		mock_sysfs_render_binding(d);
	else if (a == A_SRIOV_NUMVFS && d)
		mock_sysfs_render_sriov(d);
	mock_machine_unlock();
	mock_unlock();
}

/* ---- fds ------------------------------------------------------------------ */

static int real_path_of(int fd, char *out, size_t len)
{
	char link[64];
	long n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = syscall(SYS_readlinkat, AT_FDCWD, link, out, len - 1); /* not the interposer */
	if (n < 0)
		return -1;
	out[n] = 0;
	return 0;
}

/* After a redirected open succeeded: track fds opened for writing on acting
 * files. Returns fd. */
int mock_sysfs_opened(int fd, const char *path, int flags)
{
	char real[PATH_MAX];
	int attr;

	(void)path;
	if (fd < 0 || (flags & O_ACCMODE) == O_RDONLY || real_path_of(fd, real, sizeof(real)))
		return fd;
	attr = classify(real);
	if (attr == A_NONE)
		return fd;
	mock_lock();
	if (!mock_fd_install(fd, FD_SYSFS, NULL))
		mock_fd_lookup(fd)->sysfs_attr = attr;
	mock_unlock();
	return fd;
}

ssize_t mock_sysfs_fd_write(int fd, const void *buf, size_t n)
{
	struct mock_fd *f = mock_fd_lookup(fd);
	int ret;

	if (!f || f->kind != FD_SYSFS)
		return mock_real.write(fd, buf, n);
	f->sysfs_written = 1;
	ret = act_locked(f->sysfs_attr, buf, n);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return (ssize_t)n;
}

/* What an attribute file shows now (to tell a write into it from no write). */
static void shown(int attr, char *out, size_t len)
{
	enum attr a = (enum attr)(attr & 0xff);
	struct mock_dev *d;

	out[0] = 0;
	mock_lock();
	d = by_mi((unsigned)attr >> 8);
	if (d && a == A_DRIVER_OVERRIDE)
		snprintf(out, len, "%s\n",
		         mock_m->dev[d->mi].override[0] ? mock_m->dev[d->mi].override : "(null)");
	else if (d && a == A_SRIOV_NUMVFS)
		snprintf(out, len, "%u\n", mock_m->dev[d->mi].numvfs);
	mock_unlock();
}

/* close(): a write the mock did not see is in the file itself: act on it now
 * (close reports its error), then put the file back. */
int mock_sysfs_fd_close(int fd, int do_close)
{
	struct mock_fd *f = mock_fd_lookup(fd);
	char real[PATH_MAX], text[4096], now[128];
	int attr, written, ret = 0, rfd;
	enum attr a;
	ssize_t n = 0;

	if (!f || f->kind != FD_SYSFS)
		return mock_real.close(fd);
	attr = f->sysfs_attr;
	a = (enum attr)(attr & 0xff);
	written = f->sysfs_written;
	mock_lock();
	mock_fd_forget(fd);
	mock_unlock();
	if (written || real_path_of(fd, real, sizeof(real)))
		return do_close ? mock_real.close(fd) : 0;
	if (do_close && mock_real.close(fd))
		return -1;
	rfd = mock_real.open(real, O_RDONLY | O_CLOEXEC);
	if (rfd >= 0) {
		n = mock_real.pread(rfd, text, sizeof(text), 0);
		mock_real.close(rfd);
	}
	shown(attr, now, sizeof(now));
	if (n > 0 && !(strlen(now) == (size_t)n && !memcmp(now, text, (size_t)n)))
		ret = act_locked(attr, text, (size_t)n);
	if (a == A_DRIVER_OVERRIDE || a == A_SRIOV_NUMVFS) {
		rerender(attr);
	} else {
		rfd = mock_real.open(real, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (rfd >= 0)
			mock_real.close(rfd);
	}
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* ---- FILE ------------------------------------------------------------------ */

struct sysfs_cookie {
	int fd; /* the real file, for reading */
	int attr;
};

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	return mock_real.read(((struct sysfs_cookie *)c)->fd, buf, n);
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	int ret = act_locked(((struct sysfs_cookie *)c)->attr, buf, n);

	if (ret) {
		errno = -ret;
		return -1;
	}
	return (ssize_t)n;
}

static int cookie_close(void *c)
{
	struct sysfs_cookie *k = c;
	int ret = mock_real.close(k->fd);

	free(k);
	return ret;
}

/* fopen of an acting file for writing (`real`: its redirected path): a FILE
 * whose writes act. NULL with errno 0: not an acting file (plain fopen). */
FILE *mock_sysfs_fopen(const char *real, const char *mode)
{
	cookie_io_functions_t io = {cookie_read, cookie_write, NULL, cookie_close};
	char resolved[PATH_MAX];
	struct sysfs_cookie *k;
	int attr, flags;
	FILE *f;

	errno = 0;
	if (!strpbrk(mode, "wa+"))
		return NULL;
	if (!realpath(real, resolved)) {
		if (errno == ENOENT && strpbrk(mode, "wa"))
			errno = EACCES; /* sysfs creates no files */
		return NULL;
	}
	attr = classify(resolved);
	if (attr == A_NONE)
		return NULL;
	flags = strchr(mode, '+') ? O_RDWR : O_WRONLY;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	/* O_TRUNC is not needed: the file's content is not what a write acts on */
	k->fd = mock_real.open(resolved, flags | O_CLOEXEC);
	if (k->fd < 0) {
		int err = errno;

		free(k);
		errno = err; /* EACCES for a user who may not write it, as the kernel */
		return NULL;
	}
	k->attr = attr;
	f = fopencookie(k, mode, io);
	if (!f) {
		mock_real.close(k->fd);
		free(k);
	}
	return f;
}
