// SPDX-License-Identifier: BSD-3-Clause
/* check.c - `opaevfio -c [ADDR]`: the result list, and the per-device checks
 * (driver, IOMMU group viability, access to /dev/vfio/N, VF token, SR-IOV). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/vfio.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "out.h"

static const char *const status_name[] = {"ok", "info", "warn", "fail"};
static const char *const status_tag[] = {"[ OK ]", "[INFO]", "[WARN]", "[FAIL]"};

void ck_add(struct ck_list *cl, const char *check, const char *device, enum ck_status st,
            json_object *details, const char *fix, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cl->fails += st == CK_FAIL;
	cl->warns += st == CK_WARN;
	if (cl->arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "check", json_object_new_string(check));
		json_object_object_add(o, "device", json_str_or_null(device));
		json_object_object_add(o, "status", json_object_new_string(status_name[st]));
		json_object_object_add(o, "message", json_object_new_string(msg));
		json_object_object_add(o, "fix", json_str_or_null(fix));
		json_object_object_add(o, "details", details);
		json_object_array_add(cl->arr, o);
		return;
	}
	json_object_put(details);
	fprintf(cl->ctx->out, "%s %s%s%s: %s\n", status_tag[st], device ? device : "",
	        device ? " " : "", check, msg);
	if (fix)
		fprintf(cl->ctx->out, "       fix: %s\n", fix);
}

void ck_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used = n < 0 ? len : *used + (size_t)n;
}

void ck_size(char *buf, size_t len, unsigned long long bytes)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", bytes, unit[u]);
}

/* Who the check is about: under sudo the user who ran sudo, else the caller. */
struct who {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char name[64];
};

static void who_init(struct who *w)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	struct passwd *pw;

	memset(w, 0, sizeof(*w));
	if (geteuid() == 0 && su && sg && atoi(su) > 0) {
		w->uid = (uid_t)atoi(su);
		w->gid = (gid_t)atoi(sg);
		pw = getpwuid(w->uid);
		w->ngroups = 64;
		if (!pw || getgrouplist(pw->pw_name, w->gid, w->groups, &w->ngroups) < 0)
			w->ngroups = 0;
	} else {
		w->uid = geteuid();
		w->gid = getegid();
		w->ngroups = getgroups(64, w->groups);
		if (w->ngroups < 0)
			w->ngroups = 0;
		pw = getpwuid(w->uid);
	}
	if (pw)
		snprintf(w->name, sizeof(w->name), "%s", pw->pw_name);
	else
		snprintf(w->name, sizeof(w->name), "uid %u", (unsigned)w->uid);
}

/* Read+write permission from the mode bits, as the kernel decides for a
 * process without CAP_DAC_OVERRIDE (root has it). */
static int may_rw(const struct who *w, const struct stat *st)
{
	int in_group = st->st_gid == w->gid;

	if (w->uid == 0)
		return 1;
	for (int i = 0; i < w->ngroups && !in_group; i++)
		in_group = st->st_gid == w->groups[i];
	if (st->st_uid == w->uid)
		return (st->st_mode & 0600) == 0600;
	if (in_group)
		return (st->st_mode & 0060) == 0060;
	return (st->st_mode & 0006) == 0006;
}

static void owner_text(char *buf, size_t len, const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	char u[32], g[32];

	snprintf(u, sizeof(u), "%u", (unsigned)st->st_uid);
	snprintf(g, sizeof(g), "%u", (unsigned)st->st_gid);
	snprintf(buf, len, "%s:%s %04o", pw ? pw->pw_name : u, gr ? gr->gr_name : g,
	         (unsigned)(st->st_mode & 07777));
}

static void ck_access(struct ck_list *cl, const struct ovf_dev *d, const char *node)
{
	struct who w;
	struct stat st;
	char own[96], fix[512];
	json_object *det;

	who_init(&w);
	if (stat(node, &st)) {
		ck_add(cl, "access", d->addr, CK_FAIL, NULL,
		       "check that vfio is loaded (the vfio check)",
		       "%s does not exist although the device is on %s", node, d->driver);
		return;
	}
	owner_text(own, sizeof(own), &st);
	det = json_object_new_object();
	json_object_object_add(det, "node", json_object_new_string(node));
	json_object_object_add(det, "uid", json_object_new_int((int)st.st_uid));
	json_object_object_add(det, "gid", json_object_new_int((int)st.st_gid));
	json_object_object_add(det, "mode", json_object_new_int((int)(st.st_mode & 07777)));
	json_object_object_add(det, "user", json_object_new_string(w.name));
	if (may_rw(&w, &st)) {
		ck_add(cl, "access", d->addr, CK_OK, det, NULL,
		       "%s (%s) is readable and writable for %s", node, own, w.name);
		return;
	}
	snprintf(fix, sizeof(fix),
	         "sudo opaevfio -r %s && sudo opaevfio -i %s -u %s (or: sudo chown %s %s)", d->addr,
	         d->addr, w.name, w.name, node);
	ck_add(cl, "access", d->addr, CK_FAIL, det, fix, "%s (%s): %s cannot open it", node, own,
	       w.name);
}

/* The kernel's own verdict when the group can be opened: VFIO_GROUP_GET_STATUS.
 * Returns 1 viable, 0 not, -EBUSY in use, other -errno when unknown. */
static int kernel_viable(const char *node)
{
	struct vfio_group_status gs = {.argsz = sizeof(gs)};
	int fd = open(node, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ioctl(fd, VFIO_GROUP_GET_STATUS, &gs) ? -errno : !!(gs.flags & VFIO_GROUP_FLAGS_VIABLE);
	close(fd);
	return r;
}

static void ck_group(struct ck_list *cl, const struct ovf_dev *d, const char *node, int have_node)
{
	struct ovf_blocker b[8];
	char list[600] = "", fix[700];
	size_t used = 0;
	int n = pci_group_blockers(d->group, b, 8), kv = have_node ? kernel_viable(node) : -ENOENT;
	json_object *det = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(det, "iommu_group", json_object_new_int(d->group));
	for (int i = 0; i < n && i < 8; i++) {
		json_object *m = json_object_new_object();

		json_object_object_add(m, "address", json_object_new_string(b[i].addr));
		json_object_object_add(m, "driver", json_object_new_string(b[i].driver));
		json_object_array_add(arr, m);
		ck_append(list, sizeof(list), &used, "%s%s is bound to %s", i ? ", " : "",
		          b[i].addr, b[i].driver);
	}
	json_object_object_add(det, "blockers", arr);
	json_object_object_add(det, "kernel_viable", kv >= 0 ? json_object_new_boolean(kv) : NULL);
	if (kv == -EBUSY)
		ck_add(cl, "in-use", d->addr, CK_INFO, NULL, NULL,
		       "%s is open in another program now (a group is opened by one process at a "
		       "time)",
		       node);
	if (n > 0) {
		snprintf(
		    fix, sizeof(fix),
		    "bind the other members to vfio-pci too (sudo opaevfio -i %s) or unbind them "
		    "(echo %s > /sys/bus/pci/devices/%s/driver/unbind); if they must stay, move "
		    "the card to a slot with its own group",
		    b[0].addr, b[0].addr, b[0].addr);
		ck_add(cl, "group", d->addr, CK_FAIL, det, fix,
		       "IOMMU group %d is not viable: %s (host driver%s)", d->group, list,
		       n > 1 ? "s" : "");
	} else if (kv == 0) {
		ck_add(
		    cl, "group", d->addr, CK_FAIL, det, "opaevfio -l shows the group's members",
		    "IOMMU group %d is not viable according to the kernel (VFIO_GROUP_GET_STATUS)",
		    d->group);
	} else {
		ck_add(cl, "group", d->addr, CK_OK, det, NULL, "IOMMU group %d is viable",
		       d->group);
	}
}

/* SR-IOV: VF tokens and vfio-pci's enable_sriov. */
static void ck_sriov(struct ck_list *cl, const struct ovf_dev *d)
{
	if (d->physfn[0]) {
		struct ovf_dev pf;

		if (!pci_dev_read(d->physfn, &pf) && !strcmp(pf.driver, "vfio-pci"))
			ck_add(
			    cl, "vf-token", d->addr, CK_INFO, NULL, NULL,
			    "VF of %s, which is on vfio-pci: open it with opae_vfio_secure_open() "
			    "and the VF token the PF's user set",
			    d->physfn);
		return;
	}
	if (d->sriov_totalvfs <= 0)
		return;
	if (host_param_bool("vfio_pci", "enable_sriov") == 0)
		ck_add(cl, "sriov", d->addr, CK_WARN, NULL,
		       "echo Y > /sys/module/vfio_pci/parameters/enable_sriov (opaevfio -i does it "
		       "unless -n)",
		       "SR-IOV PF (%d VFs possible) but vfio_pci.enable_sriov is N: its VFs cannot "
		       "be enabled",
		       d->sriov_totalvfs);
	else if (d->sriov_numvfs > 0)
		ck_add(cl, "sriov", d->addr, CK_INFO, NULL, NULL,
		       "SR-IOV PF with %d of %d VFs enabled; opening a VF needs this PF's VF token",
		       d->sriov_numvfs, d->sriov_totalvfs);
}

static void check_device(struct ck_list *cl, const struct ovf_dev *d)
{
	char node[64], fix[160];
	int have_node;

	if (strcmp(d->driver, "vfio-pci") && !pci_driver_is_vfio(d->driver)) {
		snprintf(fix, sizeof(fix), "sudo opaevfio -i %s -u $USER", d->addr);
		ck_add(cl, "driver", d->addr, CK_FAIL, NULL, fix, "not bound to vfio-pci (%s%s)",
		       d->driver[0] ? "driver: " : "no driver", d->driver);
	} else {
		ck_add(cl, "driver", d->addr, CK_OK, NULL, NULL, "bound to %s", d->driver);
	}
	if (d->group < 0) {
		ck_add(cl, "group", d->addr, CK_FAIL, NULL,
		       "turn the IOMMU on (see the iommu check above)",
		       "no IOMMU group: vfio-pci cannot use the device");
		return;
	}
	have_node = !pci_group_node(d->group, node, sizeof(node));
	ck_group(cl, d, node, have_node);
	if (have_node && !strncmp(node, "/dev/vfio/noiommu-", 18))
		ck_add(cl, "noiommu", d->addr, CK_FAIL, NULL,
		       "turn the IOMMU on; the core library needs a real IOMMU (Type1)",
		       "bound in unsafe no-IOMMU mode (%s): DMA is not translated or isolated",
		       node);
	else if (have_node || pci_driver_is_vfio(d->driver))
		ck_access(cl, d, node);
	ck_sriov(cl, d);
}

/* All devices bound to vfio-pci (when no ADDR is given). */
static void check_bound_devices(struct ck_list *cl)
{
	char(*addrs)[OVF_ADDR_LEN];
	size_t n;
	int found = 0;

	if (pci_list_addrs(&addrs, &n)) {
		ck_add(cl, "devices", NULL, CK_FAIL, NULL, NULL,
		       "cannot read /sys/bus/pci/devices");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ovf_dev d;

		if (pci_dev_read(addrs[i], &d) || !pci_driver_is_vfio(d.driver))
			continue;
		check_device(cl, &d);
		found++;
	}
	free(addrs);
	if (!found)
		ck_add(cl, "devices", NULL, CK_INFO, NULL, "sudo opaevfio -i ADDR -u $USER",
		       "no device is bound to vfio-pci");
}

int ovf_check(struct ovf_ctx *ctx)
{
	struct ck_list cl = {.ctx = ctx};
	struct ovf_dev d;

	if (ctx->addr[0] && pci_dev_read(ctx->addr, &d)) {
		ovf_error(ctx, "%s: no such PCI device (opaevfio -l lists them)", ctx->addr);
		return OVF_NOT_FOUND;
	}
	if (ctx->json)
		cl.arr = json_object_new_array();
	ck_iommu(&cl);
	ck_vfio_modules(&cl);
	ck_noiommu(&cl);
	ck_intremap(&cl);
	ck_hugepages(&cl);
	ck_memlock(&cl);
	if (ctx->addr[0])
		check_device(&cl, &d);
	else
		check_bound_devices(&cl);
	if (ctx->json) {
		json_object *root = json_object_new_object();

		json_object_object_add(root, "device", json_str_or_null(ctx->addr));
		json_object_object_add(root, "checks", cl.arr);
		json_object_object_add(root, "problems", json_object_new_int(cl.fails));
		json_object_object_add(root, "warnings", json_object_new_int(cl.warns));
		if (json_print(ctx, root))
			return OVF_ENV;
	} else {
		fprintf(ctx->out, "%d problem%s, %d warning%s\n", cl.fails,
		        cl.fails == 1 ? "" : "s", cl.warns, cl.warns == 1 ? "" : "s");
	}
	return cl.fails ? OVF_PROBLEMS : OVF_OK;
}
