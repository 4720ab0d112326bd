// SPDX-License-Identifier: BSD-3-Clause
/* probe.c - look into a device without changing it: the minimum VFIO set-up
 * the kernel requires for a device fd, then its memory BARs mapped read-only
 * for the DFL walk. Unlike opae_vfio_open() it writes no PCI COMMAND bit
 * (bus mastering stays off), maps nothing writable, queries no IOMMU or IRQ
 * state, and never presents a VF token it was not given. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "plugin_priv.h"

static int fail(struct pl_probe *p, const char *addr, const char *step, int err)
{
	log_debug(addr, "probe: %s: %s", step, strerror(err));
	probe_close(p);
	return -err;
}

static int setup_container(struct pl_probe *p, const char *addr)
{
	int type;

	p->cont = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (p->cont < 0)
		return fail(p, addr, "open /dev/vfio/vfio", errno);
	if (ioctl(p->cont, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail(p, addr, "VFIO_GET_API_VERSION", EPROTO);
	type = ioctl(p->cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? VFIO_TYPE1v2_IOMMU
	                                                                    : VFIO_TYPE1_IOMMU;
	if (ioctl(p->group, VFIO_GROUP_SET_CONTAINER, &p->cont))
		return fail(p, addr, "VFIO_GROUP_SET_CONTAINER", errno);
	if (ioctl(p->cont, VFIO_SET_IOMMU, type))
		return fail(p, addr, "VFIO_SET_IOMMU", errno);
	return 0;
}

static void map_bars(struct pl_probe *p, const struct pl_pci *pci)
{
	for (unsigned i = 0; i < DFL_NUM_BARS; i++) {
		struct vfio_region_info ri = {.argsz = sizeof(ri), .index = i};
		void *m;

		if (!pci->bar_len[i] || ioctl(p->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
		    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size)
			continue;
		m = mmap(NULL, ri.size, PROT_READ, MAP_SHARED, p->dev, (off_t)ri.offset);
		if (m == MAP_FAILED) {
			log_debug(pci->addr, "probe: BAR %u cannot be mapped: %s", i, strerror(errno));
			continue;
		}
		p->bars.base[i] = m;
		p->bars.len[i] = ri.size;
		p->map_len[i] = ri.size;
	}
}

int probe_open(const struct pl_pci *pci, const char *vf_token, struct pl_probe *p)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char path[64], name[CFG_ADDR_MAX + 16 + CFG_UUID_MAX];
	int r;

	memset(p, 0, sizeof(*p));
	p->cont = p->group = p->dev = -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", pci->group);
	/* The group is single-open: EBUSY means another process (or this
	 * one) holds the device, and nothing of it was touched. */
	p->group = open(path, O_RDWR | O_CLOEXEC);
	if (p->group < 0)
		return fail(p, pci->addr, path, errno);
	if (ioctl(p->group, VFIO_GROUP_GET_STATUS, &st))
		return fail(p, pci->addr, "VFIO_GROUP_GET_STATUS", errno);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail(p, pci->addr, "group not viable", EPERM);
	r = setup_container(p, pci->addr);
	if (r)
		return r;
	if (vf_token && *vf_token)
		snprintf(name, sizeof(name), "%s vf_token=%s", pci->addr, vf_token);
	else
		snprintf(name, sizeof(name), "%s", pci->addr);
	/* The kernel checks the VF token here, before it enables (and resets)
	 * the function; a wrong or missing token changes nothing. */
	p->dev = ioctl(p->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (p->dev < 0)
		return fail(p, pci->addr, "VFIO_GROUP_GET_DEVICE_FD", errno);
	map_bars(p, pci);
	return 0;
}

void probe_close(struct pl_probe *p)
{
	for (unsigned i = 0; i < DFL_NUM_BARS; i++) {
		if (p->bars.base[i])
			munmap((void *)(uintptr_t)p->bars.base[i], p->map_len[i]);
		p->bars.base[i] = NULL;
	}
	if (p->dev >= 0)
		close(p->dev);
	if (p->group >= 0)
		close(p->group); /* also detaches the container */
	if (p->cont >= 0)
		close(p->cont);
	p->dev = p->group = p->cont = -1;
}
