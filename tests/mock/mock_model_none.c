/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_model_none.c - the "none" model: a plain device with no registers
 * (its BARs are plain memory), for tests of the VFIO plumbing alone.
 */
#include <string.h>

#include "mock_internal.h"

static void none_defaults(struct mock_dev_config *cfg)
{
	cfg->vendor = 0x1af4;
	cfg->device = 0x10f0;
	cfg->subsystem_vendor = 0x1af4;
	cfg->subsystem_device = 0x0000;
	cfg->class_code = 0xff0000;
	cfg->bar[0].size = 0x1000;
	cfg->bar[0].mmap = 1;
	cfg->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	cfg->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	cfg->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 0;
	cfg->irq_count[VFIO_PCI_REQ_IRQ_INDEX] = 1;
}

const struct mock_model_ops mock_model_none = {
    .name = "none",
    .defaults = none_defaults,
};
