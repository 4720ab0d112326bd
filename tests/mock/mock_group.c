/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_group.c - /dev/vfio/N: IOMMU group files, attaching a group to a
 * container, and handing out device fds by name (vfio_pci_core_match and
 * vfio_pci_validate_vf_token rules of Linux 6.1, VF tokens included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mock_internal.h"

struct mock_group *mock_group_find(unsigned id)
{
	for (unsigned i = 0; i < mock_w.ngroup; i++)
		if (mock_w.group[i]->id == id)
			return mock_w.group[i];
	return NULL;
}

/* A group is viable unless a device of it is bound to a driver that claims
 * DMA ownership: vfio-pci, pci-stub and pcieport do not (driver_managed_dma),
 * nor does an unbound device (iommu_group_dma_owner_claimed, 6.1). */
int mock_dev_viable_group(struct mock_group *g)
{
	static const char *const managed[] = {"", "vfio-pci", "pci-stub", "pcieport"};

	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];
		int ok = 0;

		if (d->group != g)
			continue;
		for (size_t k = 0; k < sizeof(managed) / sizeof(managed[0]); k++)
			ok |= !strcmp(d->cfg.driver, managed[k]);
		if (!ok)
			return 0;
	}
	return 1;
}

/* /dev/vfio/N exists only while some device of group N is bound to vfio-pci. */
static int group_has_vfio_device(struct mock_group *g)
{
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->group == g && !strcmp(mock_w.dev[i]->cfg.driver, "vfio-pci"))
			return 1;
	return 0;
}

static int has_cap(int cap)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &h, data))
		return 0;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

/* generic_permission for the group node: its owner, group and mode come from
 * the scenario ("dev_vfio"); CAP_DAC_OVERRIDE passes as on the kernel. */
static int may_open_node(int flags)
{
	unsigned need = (flags & O_ACCMODE) == O_RDONLY   ? 4
	                : (flags & O_ACCMODE) == O_WRONLY ? 2
	                                                  : 6;
	unsigned bits = mock_w.dev_vfio_mode;
	gid_t groups[256];
	int n, in_group = getegid() == (gid_t)mock_w.dev_vfio_gid;

	if (has_cap(CAP_DAC_OVERRIDE))
		return 0;
	n = getgroups(256, groups);
	for (int i = 0; i < n; i++)
		in_group |= groups[i] == (gid_t)mock_w.dev_vfio_gid;
	if (geteuid() == (uid_t)mock_w.dev_vfio_uid)
		bits >>= 6;
	else if (in_group)
		bits >>= 3;
	return (bits & need) == need ? 0 : -EACCES;
}

int mock_group_open(unsigned id, int flags)
{
	struct mock_group *g;
	int fd, ret;

	mock_machine_sync();
	g = mock_group_find(id);
	if (!g || !group_has_vfio_device(g))
		return -ENOENT;
	ret = may_open_node(flags);
	if (ret)
		return ret;
	if (g->fd_open)
		return -EBUSY;
	/* EBUSY too when another process has it (mock_machine.c) */
	fd = mock_machine_open_group(id, flags);
	if (fd < 0)
		return fd;
	ret = mock_fd_install(fd, FD_GROUP, g);
	if (ret) {
		mock_real.close(fd);
		return ret;
	}
	g->fd_open = 1;
	g->fd_count = 1;
	g->lock_fd = fd;
	return fd;
}

static void group_unset_container(struct mock_group *g)
{
	struct mock_container *c = g->container;

	g->container = NULL;
	c->ngroups--;
	if (!c->ngroups) {
		/* vfio_iommu_type1_detach_group -> vfio_iommu_unmap_unpin_all, then
		 * the container loses its IOMMU driver: every mapping is gone */
		mock_container_unmap_all(c);
		c->iommu_type = 0;
	}
	mock_container_put(c);
}

/* The group file is released when its fd and every device fd are closed. */
static void group_maybe_release(struct mock_group *g)
{
	if (g->fd_count || g->dev_fds)
		return;
	g->fd_open = 0;
	if (g->container)
		group_unset_container(g);
}

void mock_group_closed(struct mock_group *g)
{
	g->fd_count = 0;
	g->lock_fd = -1;
	group_maybe_release(g);
}

void mock_group_dev_closed(struct mock_group *g);
void mock_group_dev_closed(struct mock_group *g)
{
	g->dev_fds--;
	group_maybe_release(g);
}

static int parse_uuid(const char *s, uint8_t out[16])
{
	static const int dash[] = {8, 13, 18, 23};
	int k = 0;

	for (int i = 0; i < 36; i++) {
		int is_dash = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];
		char c = s[i];
		int v;

		if (is_dash) {
			if (c != '-')
				return -EINVAL;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (k & 1)
			out[k / 2] |= (uint8_t)v;
		else
			out[k / 2] = (uint8_t)(v << 4);
		k++;
	}
	return 0;
}

/* vfio_pci_core_match: 1 match, 0 no match, -errno */
static int dev_match(struct mock_dev *d, const char *buf, int *has_token, uint8_t uuid[16])
{
	size_t n = strlen(d->cfg.address);

	*has_token = 0;
	if (strncmp(d->cfg.address, buf, n))
		return 0;
	if (strlen(buf) > n) {
		buf += n;
		if (*buf != ' ')
			return 0;
		while (*buf) {
			if (*buf == ' ') {
				buf++;
				continue;
			}
			if (!*has_token && !strncmp(buf, "vf_token=", 9)) {
				buf += 9;
				if (strlen(buf) < 36)
					return -EINVAL;
				if (parse_uuid(buf, uuid))
					return -EINVAL;
				*has_token = 1;
				buf += 36;
			} else {
				return -EINVAL; /* unknown or duplicate option */
			}
		}
	}
	return 1;
}

/* Is a VF of PF pf open in any process? (the PF's vf_users > 0) */
static int vfs_in_use(struct mock_dev *pf, int probe_fd)
{
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *v = mock_w.dev[i];

		if (!strcmp(v->cfg.physfn, pf->cfg.address) &&
		    (v->open_count || mock_machine_device_open(probe_fd, v->mi)))
			return 1;
	}
	return 0;
}

/* vfio_pci_validate_vf_token (6.1); the PF's token lives in the machine, so
 * a PF opened with a token in one process lets another open its VF. */
static int validate_vf_token(struct mock_dev *d, int has_token, const uint8_t uuid[16],
                             int probe_fd)
{
	if (d->cfg.physfn[0]) {
		struct mock_dev *pf = mock_dev_find(d->cfg.physfn);
		int pf_vfio = pf && !strcmp(pf->cfg.driver, "vfio-pci");

		if (!pf_vfio) {
			if (!has_token)
				return 0;
			mock_log(1, "%s: VF token incorrectly provided, PF not bound to vfio-pci",
			         d->cfg.address);
			return -EINVAL;
		}
		if (!has_token) {
			mock_log(1, "%s: VF token required to access device", d->cfg.address);
			return -EACCES;
		}
		if (memcmp(uuid, mock_m->dev[pf->mi].vf_token, 16)) {
			mock_log(1, "%s: Incorrect VF token provided for device", d->cfg.address);
			return -EACCES;
		}
	} else if (d->cfg.sriov_totalvfs) {
		if (vfs_in_use(d, probe_fd)) {
			if (!has_token || memcmp(uuid, mock_m->dev[d->mi].vf_token, 16)) {
				mock_log(1, "%s: VF token %s", d->cfg.address,
				         has_token ? "incorrect" : "required");
				return -EACCES;
			}
		} else if (has_token) {
			mock_machine_lock();
			memcpy(mock_m->dev[d->mi].vf_token, uuid, 16);
			mock_machine_unlock();
		}
	} else if (has_token) {
		mock_log(1, "%s: VF token incorrectly provided, not a PF or VF", d->cfg.address);
		return -EINVAL;
	}
	return 0;
}

static int get_device_fd(struct mock_group *g, const char *name)
{
	struct mock_dev *d = NULL;
	uint8_t uuid[16];
	int has_token = 0, ret = 0, fd;

	if (!name)
		return -EFAULT;
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *x = mock_w.dev[i];

		if (x->group != g || strcmp(x->cfg.driver, "vfio-pci"))
			continue;
		ret = dev_match(x, name, &has_token, uuid);
		if (ret) {
			d = x;
			break;
		}
	}
	if (ret < 0)
		return ret;
	if (!d)
		return -ENODEV;
	ret = validate_vf_token(d, has_token, uuid, g->lock_fd);
	if (ret)
		return ret;
	if (!g->container || !g->container->iommu_type)
		return -EINVAL;
	/* the kernel gives device fds O_CLOEXEC always */
	fd = mock_machine_open_device(g->id, d->mi);
	if (fd < 0)
		return fd;
	ret = mock_fd_install(fd, FD_DEVICE, d);
	if (!ret && !(mock_fd_lookup(fd)->file = mock_devfile_new(d))) {
		mock_fd_forget(fd);
		ret = -ENOMEM;
	}
	if (ret) {
		mock_real.close(fd);
		return ret;
	}
	g->dev_fds++;
	mock_dev_opened(d);
	return fd;
}

int mock_group_ioctl(struct mock_group *g, int fd, unsigned long req, void *arg)
{
	(void)fd;
	mock_machine_sync();
	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (!st)
			return -EFAULT;
		if (st->argsz < offsetof(struct vfio_group_status, flags) + sizeof(st->flags))
			return -EINVAL;
		st->flags = 0;
		if (mock_dev_viable_group(g))
			st->flags |= VFIO_GROUP_FLAGS_VIABLE;
		if (g->container)
			st->flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct mock_fd *cf;
		struct mock_container *c;
		int cfd;

		if (!arg)
			return -EFAULT;
		cfd = *(int *)arg;
		if (fcntl(cfd, F_GETFD) < 0) /* fdget: any fd with no file, -1 included */
			return -EBADF;
		if (g->container)
			return -EINVAL;
		cf = mock_fd_lookup(cfd);
		if (!cf || cf->kind != FD_CONTAINER)
			return -EINVAL;
		if (!mock_dev_viable_group(g))
			return -EPERM;
		c = cf->obj;
		g->container = c;
		c->refs++;
		c->ngroups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container)
			return -EINVAL;
		if (g->dev_fds)
			return -EBUSY;
		group_unset_container(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		char name[4096];

		if (!arg)
			return -EFAULT;
		snprintf(name, sizeof(name), "%s", (const char *)arg);
		return get_device_fd(g, name);
	}
	default:
		return -ENOTTY;
	}
}
