/* device.c - the device fd (with a VF token for secure_open), its info, and
 * its PCI config space: where it is, and memory + bus master turned on. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <unistd.h>

#include "vfio_priv.h"

int device_open(struct opae_vfio *v, struct vfio_state *s, const char *token)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	struct vfio_region_info cfg = {.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX};
	char name[128];
	int fd, e;

	/* the kernel parses "<address> vf_token=<uuid>" (both validated) */
	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", v->cont_pciaddr, token);
	else
		snprintf(name, sizeof(name), "%s", v->cont_pciaddr);
	fd = kcall_expect(s, v->group.group_fd, VFIO_GROUP_GET_DEVICE_FD, name, KCALL_CALLER_LOGS,
	                  KCALL_NO_CONTEXT);
	if (fd < 0) {
		log_err(s->name, -fd, "VFIO_GROUP_GET_DEVICE_FD%s%s", token ? " with VF token" : "",
		        fd == -EBUSY ? " (device already open)" : "");
		return fd;
	}
	v->device.device_fd = fd;
	e = kcall(s, fd, VFIO_DEVICE_GET_INFO, &di, KCALL_NO_CONTEXT);
	if (e < 0)
		return e;
	v->device.device_num_regions = di.num_regions;
	v->device.device_num_irqs = di.num_irqs;
	e = kcall(s, fd, VFIO_DEVICE_GET_REGION_INFO, &cfg, " (PCI config space)");
	if (e < 0)
		return e;
	v->device.device_config_offset = cfg.offset;
	return 0;
}

/* Memory space + bus master in PCI COMMAND: without bus master the device's
 * DMA (and MSI) never reaches the IOMMU. */
int device_enable(struct opae_vfio *v, struct vfio_state *s)
{
	const uint16_t want = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	off_t off = (off_t)(v->device.device_config_offset + PCI_COMMAND);
	uint16_t cmd;
	ssize_t n;

	n = pread(v->device.device_fd, &cmd, sizeof(cmd), off);
	if (n != (ssize_t)sizeof(cmd)) {
		int e = n < 0 ? errno : EIO;

		log_err(s->name, e, "reading PCI COMMAND");
		return -e;
	}
	if ((cmd & want) == want)
		return 0;
	cmd |= want;
	n = pwrite(v->device.device_fd, &cmd, sizeof(cmd), off);
	if (n != (ssize_t)sizeof(cmd)) {
		int e = n < 0 ? errno : EIO;

		log_err(s->name, e, "writing PCI COMMAND (memory + bus master)");
		return -e;
	}
	return 0;
}

void device_close(struct opae_vfio *v, struct vfio_state *s)
{
	if (v->device.device_fd >= 0 && close(v->device.device_fd))
		log_err(s->name, errno, "close of the device fd");
	v->device.device_fd = -1;
}
