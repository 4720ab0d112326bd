// SPDX-License-Identifier: BSD-3-Clause
/* bind.c - `opaevfio -i` and `-r`: move a device between its driver and
 * vfio-pci through driver_override/unbind/bind, give /dev/vfio/N to a user,
 * and put everything back when a step fails. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opaevfio.h"

#define VFIO_PCI     "vfio-pci"
#define NODE_WAIT_MS 5000

extern char **environ;

/* What -i/-r changed so far: undone in reverse on failure. */
struct bind_state {
	struct ovf_ctx *ctx;
	struct ovf_dev dev;      /* as found at the start */
	int override_changed;    /* driver_override was written */
	int left_orig;           /* unbound from dev.driver */
	int on_target;           /* bound to the driver we moved it to */
	int sriov_param_changed; /* vfio_pci.enable_sriov N -> Y */
	struct stat node_st;     /* -r: /dev/vfio/N before release */
	int have_node_st;
};

static void dev_attr(char *buf, size_t len, const char *addr, const char *attr)
{
	snprintf(buf, len, "/sys/bus/pci/devices/%s/%s", addr, attr);
}

static void drv_attr(char *buf, size_t len, const char *drv, const char *attr)
{
	snprintf(buf, len, "/sys/bus/pci/drivers/%s/%s", drv, attr);
}

static int write_dev(const char *addr, const char *attr, const char *val)
{
	char path[OVF_PATH_LEN];

	dev_attr(path, sizeof(path), addr, attr);
	return sysfs_write(path, val);
}

static int write_drv(const char *drv, const char *attr, const char *addr)
{
	char path[OVF_PATH_LEN];

	drv_attr(path, sizeof(path), drv, attr);
	return sysfs_write(path, addr);
}

static void current_driver(const char *addr, char *out, size_t len)
{
	char path[OVF_PATH_LEN];

	dev_attr(path, sizeof(path), addr, "driver");
	if (sysfs_link_base(path, out, len))
		out[0] = '\0';
}

static int is_perm(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* A sysfs write failed before anything changed: permission or the kernel. */
static int first_write_failed(struct bind_state *s, const char *what, int err)
{
	ovf_error(s->ctx, "%s: cannot write %s: %s%s; nothing was changed", s->dev.addr, what,
	          strerror(-err), is_perm(err) ? " (run as root, e.g. with sudo)" : "");
	return is_perm(err) ? OVF_PERM : OVF_KERNEL;
}

static int run_cmd(char *const argv[])
{
	pid_t pid;
	int st, r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (r)
		return -r;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* udev may still be applying rules to the new node: let it finish first so
 * it does not undo the owner we set (no udev, e.g. in an initramfs: no-op). */
static void udev_settle(void)
{
	char *argv[] = {"udevadm", "settle", "--timeout=5", NULL};

	if (access("/run/udev/control", F_OK) == 0)
		run_cmd(argv);
}

/* -u/-g to ids; -1 = leave as is. */
static int resolve_owner(struct ovf_ctx *ctx, uid_t *uid, gid_t *gid)
{
	char *end;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (ctx->user) {
		struct passwd *pw = getpwnam(ctx->user);
		unsigned long v = strtoul(ctx->user, &end, 10);

		if (pw)
			*uid = pw->pw_uid;
		else if (*ctx->user && !*end && v < (uid_t)-1)
			*uid = (uid_t)v;
		else {
			ovf_error(ctx, "-u %s: no such user", ctx->user);
			return OVF_NOT_FOUND;
		}
	}
	if (ctx->group) {
		struct group *gr = getgrnam(ctx->group);
		unsigned long v = strtoul(ctx->group, &end, 10);

		if (gr)
			*gid = gr->gr_gid;
		else if (*ctx->group && !*end && v < (gid_t)-1)
			*gid = (gid_t)v;
		else {
			ovf_error(ctx, "-g %s: no such group", ctx->group);
			return OVF_NOT_FOUND;
		}
	}
	return OVF_OK;
}

/* The group's device node once the kernel (and devtmpfs/udev) made it. */
static int wait_node(int group, char *node, size_t len)
{
	for (int waited = 0; waited <= NODE_WAIT_MS; waited += 10) {
		if (!pci_group_node(group, node, len))
			return 0;
		sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* EBUSY from opening the group = a program has it (or one of its devices)
 * open; unbinding then blocks in the kernel until that program lets go. */
static int group_in_use(int group)
{
	char node[64];
	int fd;

	if (pci_group_node(group, node, sizeof(node)))
		return 0;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EBUSY;
}

/* Bind addr to drv and check the driver link: 0, or the bind error. */
static int bind_to(const char *addr, const char *drv)
{
	char now[OVF_NAME_LEN];
	int r = write_drv(drv, "bind", addr);

	current_driver(addr, now, sizeof(now));
	if (!strcmp(now, drv))
		return 0;
	return r ? r : -ENODEV;
}

/* -i failed after a change: vfio-pci off, override back, original driver
 * back. Returns 0 when the device is as it was. */
static int undo_init(struct bind_state *s)
{
	const char *addr = s->dev.addr;
	char now[OVF_NAME_LEN];
	int ok = 1;

	current_driver(addr, now, sizeof(now));
	if (!strcmp(now, VFIO_PCI) && write_drv(VFIO_PCI, "unbind", addr))
		ok = 0;
	if (s->override_changed &&
	    write_dev(addr, "driver_override", s->dev.override[0] ? s->dev.override : "\n"))
		ok = 0;
	if (s->left_orig && bind_to(addr, s->dev.driver)) {
		/* the driver core's own matching as a second try */
		sysfs_write("/sys/bus/pci/drivers_probe", addr);
		current_driver(addr, now, sizeof(now));
		if (strcmp(now, s->dev.driver))
			ok = 0;
	}
	if (s->sriov_param_changed) {
		char path[OVF_PATH_LEN], buf[OVF_PATH_LEN + 64];

		snprintf(path, sizeof(path), "/sys/module/vfio_pci/parameters/enable_sriov");
		sysfs_write(host_path(path, buf, sizeof(buf)), "N");
	}
	return ok ? 0 : -1;
}

static int init_failed(struct bind_state *s, const char *step, int err)
{
	const char *addr = s->dev.addr, *orig = s->dev.driver;
	char now[OVF_NAME_LEN], hint[OVF_PATH_LEN] = "";

	if (undo_init(s)) {
		current_driver(addr, now, sizeof(now));
		if (orig[0])
			snprintf(hint, sizeof(hint),
			         "; rebind it with: echo %s > "
			         "/sys/bus/pci/drivers/%s/bind",
			         addr, orig);
		ovf_error(s->ctx,
		          "%s: %s: %s; putting the device back failed too: it is on %s instead "
		          "of %s%s",
		          addr, step, strerror(-err), now[0] ? now : "no driver",
		          orig[0] ? orig : "no driver", hint);
		return OVF_UNRESTORED;
	}
	ovf_error(s->ctx, "%s: %s: %s; the device is back %s%s", addr, step, strerror(-err),
	          orig[0] ? "on " : "without a driver, as before", orig);
	return is_perm(err) ? OVF_PERM : OVF_KERNEL;
}

/* vfio-pci must be there; OPAE loads it with enable_sriov=1 unless -n. When
 * it is loaded already, an SR-IOV PF still gets enable_sriov=Y unless -n. */
static int ensure_vfio_pci(struct bind_state *s)
{
	char path[OVF_PATH_LEN], buf[OVF_PATH_LEN + 64];
	int r;

	if (!pci_driver_exists(VFIO_PCI)) {
		char *argv[] = {"modprobe", VFIO_PCI, s->ctx->no_sriov ? NULL : "enable_sriov=1",
		                NULL};

		r = run_cmd(argv);
		if (pci_driver_exists(VFIO_PCI))
			return OVF_OK;
		if (geteuid() != 0) {
			ovf_error(s->ctx,
			          "%s: vfio-pci is not loaded and loading it needs root "
			          "(sudo opaevfio -i ...); nothing was changed",
			          s->dev.addr);
			return OVF_PERM;
		}
		ovf_error(s->ctx,
		          "%s: vfio-pci is not loaded and `modprobe vfio-pci` failed (%s%d); "
		          "nothing was changed",
		          s->dev.addr, r < 0 ? "error " : "exit ", r < 0 ? -r : r);
		return OVF_ENV;
	}
	if (s->ctx->no_sriov || s->dev.sriov_totalvfs <= 0 ||
	    host_param_bool("vfio_pci", "enable_sriov") != 0)
		return OVF_OK;
	snprintf(path, sizeof(path), "/sys/module/vfio_pci/parameters/enable_sriov");
	r = sysfs_write(host_path(path, buf, sizeof(buf)), "Y");
	if (r)
		return first_write_failed(s, "vfio_pci's enable_sriov parameter", r);
	s->sriov_param_changed = 1;
	fprintf(s->ctx->out, "%s: vfio-pci SR-IOV enabled (enable_sriov=Y; -n leaves it off)\n",
	        s->dev.addr);
	return OVF_OK;
}

static void warn_not_viable(struct bind_state *s, int group)
{
	struct ovf_blocker b[4];
	int n = pci_group_blockers(group, b, 4);

	for (int i = 0; i < n && i < 4; i++)
		fprintf(s->ctx->err,
		        "opaevfio: warning: %s: IOMMU group %d is not viable: %s is bound to the "
		        "host driver %s; bind it too (opaevfio -i %s) before opening the device\n",
		        s->dev.addr, group, b[i].addr, b[i].driver, b[i].addr);
}

int ovf_init(struct ovf_ctx *ctx)
{
	struct bind_state s = {.ctx = ctx};
	struct ovf_dev now;
	char node[OVF_PATH_LEN], owner[96] = "";
	uid_t uid;
	gid_t gid;
	int r = resolve_owner(ctx, &uid, &gid);

	if (r)
		return r;
	if (pci_dev_read(ctx->addr, &s.dev)) {
		ovf_error(ctx, "%s: no such PCI device (opaevfio -l lists them)", ctx->addr);
		return OVF_NOT_FOUND;
	}
	if (pci_driver_is_vfio(s.dev.driver)) {
		ovf_error(ctx,
		          "%s: already bound to %s (IOMMU group %d); release it first with "
		          "opaevfio -r %s",
		          ctx->addr, s.dev.driver, s.dev.group, ctx->addr);
		return OVF_STATE;
	}
	if (s.dev.group < 0 && host_param_bool("vfio", "enable_unsafe_noiommu_mode") != 1) {
		ovf_error(ctx,
		          "%s: has no IOMMU group: the IOMMU is off or missing, so vfio-pci "
		          "cannot take it; nothing was changed (opaevfio -c says how to fix it)",
		          ctx->addr);
		return OVF_ENV;
	}
	r = ensure_vfio_pci(&s);
	if (r)
		return r;

	r = write_dev(ctx->addr, "driver_override", VFIO_PCI);
	if (r) {
		int code = first_write_failed(&s, "driver_override", r);

		undo_init(&s); /* the enable_sriov parameter */
		return code;
	}
	s.override_changed = 1;
	if (s.dev.driver[0]) {
		r = write_dev(ctx->addr, "driver/unbind", ctx->addr);
		if (r)
			return init_failed(&s, "unbinding from its driver", r);
		s.left_orig = 1;
	}
	r = bind_to(ctx->addr, VFIO_PCI);
	if (r)
		return init_failed(&s, "vfio-pci did not take the device", r);
	s.on_target = 1;
	if (pci_dev_read(ctx->addr, &now) || now.group < 0)
		return init_failed(&s, "bound, but the device has no IOMMU group", -ENOENT);
	udev_settle();
	if (wait_node(now.group, node, sizeof(node)))
		return init_failed(&s, "waiting for /dev/vfio/<group>", -ETIMEDOUT);
	if (uid != (uid_t)-1 || gid != (gid_t)-1) {
		struct stat st;

		if (chown(node, uid, gid) || chmod(node, 0660) || stat(node, &st)) {
			char step[OVF_PATH_LEN + 32];

			r = -errno;
			snprintf(step, sizeof(step), "giving %s to %s%s%s", node,
			         ctx->user ? ctx->user : "", ctx->group ? ":" : "",
			         ctx->group ? ctx->group : "");
			return init_failed(&s, step, r);
		}
		snprintf(owner, sizeof(owner), ", owner %u:%u mode %04o", (unsigned)st.st_uid,
		         (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
	}
	fprintf(ctx->out, "%s: bound to vfio-pci (was: %s), IOMMU group %d, %s%s\n", ctx->addr,
	        s.dev.driver[0] ? s.dev.driver : "no driver", now.group, node, owner);
	warn_not_viable(&s, now.group);
	return OVF_OK;
}

/* -r failed after vfio-pci let go: bind it back and restore the node. */
static int undo_release(struct bind_state *s)
{
	const char *addr = s->dev.addr;
	char now[OVF_NAME_LEN], node[OVF_PATH_LEN];
	int ok = 1;

	current_driver(addr, now, sizeof(now));
	if (now[0] && strcmp(now, VFIO_PCI) && write_drv(now, "unbind", addr))
		ok = 0;
	if (s->override_changed &&
	    write_dev(addr, "driver_override", s->dev.override[0] ? s->dev.override : "\n"))
		ok = 0;
	if (s->left_orig && bind_to(addr, VFIO_PCI))
		ok = 0;
	if (ok && s->left_orig && s->have_node_st) {
		if (wait_node(s->dev.group, node, sizeof(node)) ||
		    chown(node, s->node_st.st_uid, s->node_st.st_gid) ||
		    chmod(node, s->node_st.st_mode & 07777))
			ok = 0;
	}
	return ok ? 0 : -1;
}

static int release_failed(struct bind_state *s, const char *step, int err)
{
	char now[OVF_NAME_LEN];

	if (undo_release(s)) {
		current_driver(s->dev.addr, now, sizeof(now));
		ovf_error(
		    s->ctx,
		    "%s: %s: %s; putting it back on vfio-pci failed too: it is on %s (opaevfio "
		    "-i %s binds it again)",
		    s->dev.addr, step, strerror(-err), now[0] ? now : "no driver", s->dev.addr);
		return OVF_UNRESTORED;
	}
	ovf_error(s->ctx, "%s: %s: %s; the device is back on vfio-pci", s->dev.addr, step,
	          strerror(-err));
	return is_perm(err) ? OVF_PERM : OVF_KERNEL;
}

/* A program holding the group (or a VF's group: unbinding the PF removes
 * its VFs) would make the unbind block: refuse instead. */
static int release_busy(struct bind_state *s)
{
	char(*vfs)[OVF_ADDR_LEN] = NULL;
	size_t n = 0;
	int busy = 0;

	if (s->dev.group >= 0 && group_in_use(s->dev.group)) {
		ovf_error(s->ctx,
		          "%s: IOMMU group %d is in use: a program has /dev/vfio/%d open; "
		          "close it first (nothing was changed)",
		          s->dev.addr, s->dev.group, s->dev.group);
		return 1;
	}
	if (s->dev.sriov_numvfs > 0 && !pci_virtfns(s->dev.addr, &vfs, &n)) {
		for (size_t i = 0; i < n && !busy; i++) {
			struct ovf_dev vf;

			if (pci_dev_read(vfs[i], &vf) || vf.group < 0 || !group_in_use(vf.group))
				continue;
			ovf_error(s->ctx,
			          "%s: its VF %s (IOMMU group %d) is in use by a program; "
			          "releasing the PF would remove it: close it first (nothing was "
			          "changed)",
			          s->dev.addr, vf.addr, vf.group);
			busy = 1;
		}
		free(vfs);
	}
	return busy;
}

int ovf_release(struct ovf_ctx *ctx)
{
	struct bind_state s = {.ctx = ctx};
	char node[OVF_PATH_LEN], vfs[48] = "";
	int r;

	if (pci_dev_read(ctx->addr, &s.dev)) {
		ovf_error(ctx, "%s: no such PCI device (opaevfio -l lists them)", ctx->addr);
		return OVF_NOT_FOUND;
	}
	if (strcmp(s.dev.driver, VFIO_PCI)) {
		ovf_error(ctx, "%s: not bound to vfio-pci (%s%s); nothing to release", ctx->addr,
		          s.dev.driver[0] ? "driver: " : "no driver", s.dev.driver);
		return OVF_STATE;
	}
	if (ctx->driver && !pci_driver_exists(ctx->driver)) {
		ovf_error(ctx,
		          "-d %s: no such PCI driver (not in /sys/bus/pci/drivers; load it "
		          "with modprobe first); nothing was changed",
		          ctx->driver);
		return OVF_NOT_FOUND;
	}
	if (release_busy(&s))
		return OVF_STATE;
	if (s.dev.group >= 0 && !pci_group_node(s.dev.group, node, sizeof(node)) &&
	    !stat(node, &s.node_st))
		s.have_node_st = 1;

	/* cleared first, so that a later probe does not bring vfio-pci back */
	r = write_dev(ctx->addr, "driver_override", "\n");
	if (r)
		return first_write_failed(&s, "driver_override", r);
	s.override_changed = 1;
	r = write_drv(VFIO_PCI, "unbind", ctx->addr);
	if (r)
		return release_failed(&s, "unbinding from vfio-pci", r);
	s.left_orig = 1;
	/* vfio-pci disables SR-IOV when it lets go of a PF */
	if (s.dev.sriov_numvfs > 0)
		snprintf(vfs, sizeof(vfs), " (its %d VF%s went with it)", s.dev.sriov_numvfs,
		         s.dev.sriov_numvfs == 1 ? "" : "s");
	if (ctx->driver) {
		r = bind_to(ctx->addr, ctx->driver);
		if (r) {
			char step[OVF_NAME_LEN + 32];

			snprintf(step, sizeof(step), "%s did not take the device", ctx->driver);
			return release_failed(&s, step, r);
		}
		fprintf(ctx->out, "%s: released from vfio-pci%s, bound to %s\n", ctx->addr, vfs,
		        ctx->driver);
		return OVF_OK;
	}
	fprintf(ctx->out,
	        "%s: released from vfio-pci%s, left without a driver (-d DRIVER binds one)\n",
	        ctx->addr, vfs);
	return OVF_OK;
}
