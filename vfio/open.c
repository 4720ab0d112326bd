/* open.c - opae_vfio_open / opae_vfio_secure_open: container, group, IOMMU,
 * device, PCI COMMAND, regions, IRQ info, IOVA space. Each step either
 * succeeds or the whole partial state is released (close_teardown). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rc.h"
#include "vfio_priv.h"

/* Return codes of open (errno carries the precise cause). 2 stays "group
 * cannot be opened" because OPAE's callers map 2 to "busy". */
enum {
	OPEN_EINVAL = 1,  /* bad argument: NULL, PCI address, VF token */
	OPEN_EGROUP = 2,  /* group open failed (busy, permission, missing) */
	OPEN_ENODEV = 3,  /* device missing, not bound to vfio-pci, no IOMMU group */
	OPEN_EVIABLE = 4, /* group not viable */
	OPEN_ECONT = 5,   /* container: API version, Type1 missing, set-up ioctls */
	OPEN_EDEVICE = 6, /* device fd, info, config, regions, IRQs */
	OPEN_ENOMEM = 7,  /* out of memory */
};

static int fail(struct opae_vfio *v, int code, int err)
{
	close_teardown(v);
	errno = err;
	return code;
}

static int open_container(struct opae_vfio *v, struct vfio_state *s)
{
	int r;

	v->cont_fd = open(v->cont_device, O_RDWR | O_CLOEXEC);
	if (v->cont_fd < 0) {
		r = errno;
		vlog_err(s->name, r, "open %s", v->cont_device);
		return r;
	}
	r = ioctl(v->cont_fd, VFIO_GET_API_VERSION);
	if (r != VFIO_API_VERSION) {
		r = r < 0 ? errno : EPROTO;
		vlog_err(s->name, r, "VFIO_GET_API_VERSION (want %d)", VFIO_API_VERSION);
		return r;
	}
	r = ioctl(v->cont_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (r < 0) {
		r = errno;
		vlog_err(s->name, r, "VFIO_CHECK_EXTENSION (Type1v2)");
		return r;
	}
	if (r > 0) {
		s->type1v2 = 1;
		return 0;
	}
	r = ioctl(v->cont_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU);
	if (r < 0) {
		r = errno;
		vlog_err(s->name, r, "VFIO_CHECK_EXTENSION (Type1)");
		return r;
	}
	if (r == 0) {
		vlog_err(s->name, ENOTSUP,
		         "VFIO_CHECK_EXTENSION: the kernel offers no Type1 IOMMU");
		return ENOTSUP;
	}
	return 0;
}

static void group_path(int group, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vfio/%d", group);
}

/* Returns 0 or an open code; errno set. */
static int open_group(struct opae_vfio *v, struct vfio_state *s, int group)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64], why[512];
	int e;

	group_path(group, path, sizeof(path));
	v->group.group_device = strdup(path);
	if (!v->group.group_device) {
		errno = ENOMEM;
		return OPEN_ENOMEM;
	}
	v->group.group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->group.group_fd < 0) {
		char noiommu[64];
		const char *hint = "";

		e = errno;
		snprintf(noiommu, sizeof(noiommu), "/dev/vfio/noiommu-%d", group);
		if (e == EBUSY)
			hint = " (the group is in use by another process or handle)";
		else if (e == ENOENT && access(noiommu, F_OK) == 0)
			hint = " (the group is in no-IOMMU mode, which has no DMA mapping: "
			       "unsupported)";
		else if (e == ENOENT)
			hint = " (is the vfio-pci module loaded?)";
		vlog_err(s->name, e, "open %s%s", path, hint);
		errno = e;
		return OPEN_EGROUP;
	}
	if (ioctl(v->group.group_fd, VFIO_GROUP_GET_STATUS, &st)) {
		e = errno;
		vlog_err(s->name, e, "VFIO_GROUP_GET_STATUS (%s)", path);
		errno = e;
		return OPEN_EGROUP;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		sysfs_group_unviable_reason(group, why, sizeof(why));
		vlog_err(s->name, EPERM, "VFIO_GROUP_GET_STATUS: group %d is not viable: %s", group,
		         why);
		errno = EPERM;
		return OPEN_EVIABLE;
	}
	if (ioctl(v->group.group_fd, VFIO_GROUP_SET_CONTAINER, &v->cont_fd)) {
		e = errno;
		vlog_err(s->name, e, "VFIO_GROUP_SET_CONTAINER (%s)", path);
		errno = e;
		return OPEN_ECONT;
	}
	if (ioctl(v->cont_fd, VFIO_SET_IOMMU, s->type1v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU)) {
		e = errno;
		vlog_err(s->name, e, "VFIO_SET_IOMMU (%s)", s->type1v2 ? "Type1v2" : "Type1");
		errno = e;
		return OPEN_ECONT;
	}
	return 0;
}

/* Memory space + bus master in PCI COMMAND: without bus master the device's
 * DMA never reaches the IOMMU. */
static int enable_command(struct opae_vfio *v, struct vfio_state *s)
{
	uint16_t cmd;
	off_t off = (off_t)(v->device.device_config_offset + 4);
	ssize_t n;

	n = pread(v->device.device_fd, &cmd, sizeof(cmd), off);
	if (n != (ssize_t)sizeof(cmd)) {
		int e = n < 0 ? errno : EIO;

		vlog_err(s->name, e, "reading PCI COMMAND");
		return -e;
	}
	if ((cmd & 0x6) == 0x6)
		return 0;
	cmd |= 0x6;
	n = pwrite(v->device.device_fd, &cmd, sizeof(cmd), off);
	if (n != (ssize_t)sizeof(cmd)) {
		int e = n < 0 ? errno : EIO;

		vlog_err(s->name, e, "writing PCI COMMAND (memory + bus master)");
		return -e;
	}
	return 0;
}

static int open_device(struct opae_vfio *v, struct vfio_state *s, const char *token)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	struct vfio_region_info cfg = {.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX};
	char name[128];
	int e;

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", v->cont_pciaddr, token);
	else
		snprintf(name, sizeof(name), "%s", v->cont_pciaddr);
	v->device.device_fd = ioctl(v->group.group_fd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (v->device.device_fd < 0) {
		e = errno;
		v->device.device_fd = -1;
		vlog_err(s->name, e, "VFIO_GROUP_GET_DEVICE_FD%s%s", token ? " with VF token" : "",
		         e == EBUSY ? " (device already open)" : "");
		errno = e;
		return e == EBUSY ? OPEN_EGROUP : OPEN_EDEVICE;
	}
	if (ioctl(v->device.device_fd, VFIO_DEVICE_GET_INFO, &di)) {
		e = errno;
		vlog_err(s->name, e, "VFIO_DEVICE_GET_INFO");
		errno = e;
		return OPEN_EDEVICE;
	}
	v->device.device_num_regions = di.num_regions;
	v->device.device_num_irqs = di.num_irqs;
	if (ioctl(v->device.device_fd, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		e = errno;
		vlog_err(s->name, e, "VFIO_DEVICE_GET_REGION_INFO (PCI config space)");
		errno = e;
		return OPEN_EDEVICE;
	}
	v->device.device_config_offset = cfg.offset;
	e = enable_command(v, s);
	if (!e)
		e = region_setup_all(v, s);
	if (!e)
		e = irq_setup_all(v, s);
	if (e) {
		errno = -e;
		return e == -ENOMEM ? OPEN_ENOMEM : OPEN_EDEVICE;
	}
	return 0;
}

static int iova_setup(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_iova_range *r;

	for (r = v->cont_ranges; r; r = r->next) {
		/* the last page of the 64-bit space is never used, so no range
		 * end wraps to 0 */
		uint64_t end = r->end > VFIO_IOVA_TOP ? VFIO_IOVA_TOP : r->end;
		int e;

		if (r->start > end)
			continue;
		e = iova_add_free(&s->iova, r->start, end - r->start + 1);
		if (e == -ENOMEM)
			return e;
		if (e)
			vlog_info(s->name, "IOVA window [0x%llx, 0x%llx] overlaps another, ignored",
			          (unsigned long long)r->start, (unsigned long long)r->end);
	}
	return iova_carve(&s->iova, 0, VFIO_IOVA_GUARD - 1);
}

/* `secure`: token required (secure_open), even when the caller passed NULL. */
static int vfio_open_common(struct opae_vfio *v, const char *pciaddr, const char *token,
                            int secure)
{
	struct vfio_state *s;
	int group = -1, code, e;

	if (!v) {
		errno = EINVAL;
		return OPEN_EINVAL;
	}
	close_reset_fields(v);
	if (!sysfs_valid_pciaddr(pciaddr)) {
		vlog_err(pciaddr ? pciaddr : "(null)", EINVAL,
		         "open: PCI address must look like 0000:00:03.0");
		errno = EINVAL;
		return OPEN_EINVAL;
	}
	if (secure && !sysfs_valid_token(token)) {
		vlog_err(pciaddr, EINVAL,
		         "secure_open: %s; it must be a UUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
		         token ? "malformed VF token" : "no VF token");
		errno = EINVAL;
		return OPEN_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return OPEN_ENOMEM;
	}
	s->magic = VFIO_STATE_MAGIC;
	snprintf(s->name, sizeof(s->name), "%s", pciaddr);
	iova_init(&s->iova);
	v->iova_alloc.priv = s;
	v->cont_buffers.priv = &s->tab;
	if (pthread_mutex_init(&v->lock, NULL)) {
		v->iova_alloc.priv = NULL;
		v->cont_buffers.priv = NULL;
		free(s);
		errno = ENOMEM;
		return OPEN_ENOMEM;
	}
	if (buftab_init(&s->tab) || buftab_init(&s->pins))
		return fail(v, OPEN_ENOMEM, ENOMEM);
	v->cont_device = strdup("/dev/vfio/vfio");
	v->cont_pciaddr = strdup(pciaddr);
	if (!v->cont_device || !v->cont_pciaddr)
		return fail(v, OPEN_ENOMEM, ENOMEM);

	e = sysfs_find_group(pciaddr, &group);
	if (e)
		return fail(v, OPEN_ENODEV, -e);
	e = open_container(v, s);
	if (e)
		return fail(v, OPEN_ECONT, e);
	code = open_group(v, s, group);
	if (code)
		return fail(v, code, errno);
	e = caps_iommu_info(v, s);
	if (e)
		return fail(v, e == -ENOMEM ? OPEN_ENOMEM : OPEN_ECONT, -e);
	code = open_device(v, s, token);
	if (code)
		return fail(v, code, errno);
	e = iova_setup(v, s);
	if (e)
		return fail(v, OPEN_ENOMEM, -e);
	vlog_debug(s->name, "open: group %d, %s, %u regions, %u IRQ indexes", group,
	           s->type1v2 ? "Type1v2" : "Type1", v->device.device_num_regions,
	           v->device.device_num_irqs);
	return 0;
}

OPAE_VFIO_EXPORT int opae_vfio_open(struct opae_vfio *v, const char *pciaddr)
{
	return vfio_open_common(v, pciaddr, NULL, 0);
}

OPAE_VFIO_EXPORT int opae_vfio_secure_open(struct opae_vfio *v, const char *pciaddr,
                                           const char *token)
{
	return vfio_open_common(v, pciaddr, token, 1);
}

/* OPAE 2.12+: is the device's group free to open? Opens and closes the group
 * (there is no other way to ask vfio), so it can race with an open elsewhere. */
OPAE_VFIO_EXPORT int opae_vfio_dev_busy(const char *pciaddr)
{
	char path[64];
	int group = -1, fd, e;

	if (!sysfs_valid_pciaddr(pciaddr)) {
		vlog_err(pciaddr ? pciaddr : "(null)", EINVAL,
		         "dev_busy: PCI address must look like 0000:00:03.0");
		errno = EINVAL;
		return RC_BUSY_BADARG;
	}
	e = sysfs_find_group(pciaddr, &group);
	if (e) {
		errno = -e;
		return RC_BUSY_NODEV;
	}
	group_path(group, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		vlog_debug(pciaddr, "dev_busy: open %s: %s", path, strerror(e));
		errno = e;
		return RC_BUSY;
	}
	if (close(fd))
		vlog_err(pciaddr, errno, "dev_busy: close of %s", path);
	return RC_OK;
}
