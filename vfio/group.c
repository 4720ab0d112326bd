/* group.c - the device's IOMMU group: /dev/vfio/N opened with a diagnosis
 * when it cannot be, its viability, attaching it to the container, and
 * opae_vfio_dev_busy (can the group be opened right now?). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc.h"
#include "vfio_priv.h"

static void group_path(int group, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vfio/%d", group);
}

/* Why /dev/vfio/N could not be opened, in words. */
static const char *group_open_hint(int group, int err)
{
	char noiommu[64];

	if (err == EBUSY)
		return " (the group is in use by another process or handle)";
	snprintf(noiommu, sizeof(noiommu), "/dev/vfio/noiommu-%d", group);
	if (err == ENOENT && access(noiommu, F_OK) == 0)
		return " (the group is in no-IOMMU mode, which has no DMA mapping: unsupported)";
	if (err == ENOENT)
		return " (is the vfio-pci module loaded?)";
	return "";
}

int group_open(struct opae_vfio *v, struct vfio_state *s, int group)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64];
	int e;

	group_path(group, path, sizeof(path));
	v->group.group_device = strdup(path);
	if (!v->group.group_device) {
		log_err(s->name, ENOMEM, "group path");
		return -ENOMEM;
	}
	v->group.group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->group.group_fd < 0) {
		e = errno;
		log_err(s->name, e, "open %s%s", path, group_open_hint(group, e));
		return -e;
	}
	e = kcall(s, v->group.group_fd, VFIO_GROUP_GET_STATUS, &st, " (%s)", path);
	if (e < 0)
		return e;
	s->group_viable = st.flags & VFIO_GROUP_FLAGS_VIABLE;
	return 0;
}

int group_check_viable(struct vfio_state *s, int group)
{
	char why[512];

	if (s->group_viable)
		return 0;
	sysfs_group_unviable_reason(group, why, sizeof(why));
	log_err(s->name, EPERM, "VFIO_GROUP_GET_STATUS: group %d is not viable: %s", group, why);
	return -EPERM;
}

int group_attach(struct opae_vfio *v, struct vfio_state *s)
{
	int e = kcall(s, v->group.group_fd, VFIO_GROUP_SET_CONTAINER, &v->cont_fd, " (%s)",
	              v->group.group_device);

	return e < 0 ? e : 0;
}

void group_close(struct opae_vfio *v, struct vfio_state *s)
{
	if (v->group.group_fd >= 0) {
		/* closing the group detaches it; the explicit unset only reports
		 * trouble earlier and is harmless when not attached */
		if (v->cont_fd >= 0)
			kcall_expect(s, v->group.group_fd, VFIO_GROUP_UNSET_CONTAINER, 0, EINVAL,
			             " (%s)", v->group.group_device);
		if (close(v->group.group_fd))
			log_err(s->name, errno, "close of the group fd");
	}
	v->group.group_fd = -1;
	free(v->group.group_device);
	v->group.group_device = NULL;
}

/* OPAE 2.12+: is the device's group free to open? Opens and closes the group
 * (vfio has no other way to ask), so it can race with an open elsewhere. */
OPAE_VFIO_EXPORT int opae_vfio_dev_busy(const char *pciaddr)
{
	char path[64];
	int group = -1, fd, e;

	if (!sysfs_valid_pciaddr(pciaddr)) {
		log_err(pciaddr ? pciaddr : "(null)", EINVAL,
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
		log_debug(pciaddr, "dev_busy: open %s: %s%s", path, strerror(e),
		          group_open_hint(group, e));
		errno = e;
		return RC_BUSY;
	}
	if (close(fd))
		log_err(pciaddr, errno, "dev_busy: close of %s", path);
	return RC_OK;
}
