// SPDX-License-Identifier: BSD-3-Clause
/* kind_plain.c - device kind "plain accelerator": any vfio-pci function the
 * device list declares with a GUID becomes one FPGA_ACCELERATOR whose MMIO
 * spaces are its memory BARs. Identification reads nothing from the device
 * (sysfs and the rule say it all); reset is VFIO_DEVICE_RESET. */
#include <string.h>

#include "plugin_priv.h"

static int plain_identify(struct pl_dev *dev, const struct dfl_bars *bars)
{
	struct pl_obj *o = &dev->objs[0];

	(void)bars;
	memset(dev->objs, 0, sizeof(dev->objs));
	o->type = FPGA_ACCELERATOR;
	o->index = 1;
	memcpy(o->guid, dev->rule.guid, 16);
	o->port = -1;
	o->num_irqs = dev->pci.num_vectors;
	for (unsigned b = 0; b < DFL_NUM_BARS; b++) {
		int wanted = dev->rule.mmio_bars ? (dev->rule.mmio_bars >> b) & 1 : dev->pci.bar_len[b] != 0;

		if (!wanted)
			continue;
		if (!dev->pci.bar_len[b])
			log_err(dev->pci.addr, 0,
			         "devices[%u].mmio_bars: BAR %u is not a memory BAR of this device; "
			         "it is left out",
			         dev->rule.index, b);
		else
			o->space[o->nspaces++] = (struct pl_space){b, 0, dev->pci.bar_len[b]};
	}
	dev->nobjs = 1;
	return 0;
}

const struct pl_kind_ops pl_kind_plain = {
    .identify = plain_identify,
    .reset = session_device_reset,
};
