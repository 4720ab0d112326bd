/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_config.c - a device's PCI config space as vfio-pci presents it: a
 * type-0 header from the scenario, virtualised BARs, a capability list (MSI,
 * MSI-X, PCIe) and the few writable bits (COMMAND, BAR sizing, INTx line).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "mock_internal.h"
#include "mock_msix.h"

#define CMD_WRITABLE                                                                               \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* offset of capability `id` in the list, 0 if absent */
static unsigned cap_find(struct mock_dev *d, uint8_t id)
{
	unsigned pos = d->config[PCI_CAPABILITY_LIST];

	for (int guard = 0; pos && guard < 48; guard++) {
		if (d->config[pos] == id)
			return pos;
		pos = d->config[pos + PCI_CAP_LIST_NEXT];
	}
	return 0;
}

/* Is BAR register i the upper half of a 64-bit BAR? */
static int upper_half(const struct mock_dev *d, int i)
{
	return i > 0 && d->cfg.bar[i - 1].size && d->cfg.bar[i - 1].is64;
}

/* A BAR register as vfio_bar_fixup presents it: the address bits the size
 * leaves writable (sizing writes read back ~(size-1)) and the memory BAR's
 * type bits (64-bit 0x4, prefetchable 0x8); the upper half of a 64-bit BAR
 * keeps the bits of ~(size-1) >> 32. */
static uint32_t bar_value(struct mock_dev *d, int i)
{
	uint64_t size;

	if (upper_half(d, i))
		return d->bar_reg[i] & (uint32_t)(~(d->cfg.bar[i - 1].size - 1) >> 32);
	size = d->cfg.bar[i].size;
	if (!size)
		return 0;
	return ((uint32_t)(d->bar_reg[i] & ~(size - 1)) & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK) |
	       (d->cfg.bar[i].is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
	       (d->cfg.bar[i].prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

void mock_config_init(struct mock_dev *d)
{
	const struct mock_dev_config *c = &d->cfg;
	uint8_t *cs = d->config;
	unsigned pos = PCI_STD_HEADER_SIZEOF, prev = PCI_CAPABILITY_LIST;

	memset(cs, 0, sizeof(d->config));
	d->cfg_size = c->pcie ? 4096 : 256;
	put16(cs + PCI_VENDOR_ID, c->vendor);
	put16(cs + PCI_DEVICE_ID, c->device);
	put16(cs + PCI_STATUS, PCI_STATUS_CAP_LIST);
	cs[PCI_REVISION_ID] = c->revision;
	cs[PCI_CLASS_PROG] = (uint8_t)c->class_code;
	cs[PCI_CLASS_DEVICE] = (uint8_t)(c->class_code >> 8);
	cs[PCI_CLASS_DEVICE + 1] = (uint8_t)(c->class_code >> 16);
	for (int i = 0; i < 6; i++)
		d->bar_reg[i] = upper_half(d, i) ? (uint32_t)(d->bar_phys[i - 1] >> 32)
		                                 : (uint32_t)d->bar_phys[i];
	for (int i = 0; i < 6; i++)
		put32(cs + PCI_BASE_ADDRESS_0 + 4 * i, bar_value(d, i));
	put16(cs + PCI_SUBSYSTEM_VENDOR_ID, c->subsystem_vendor);
	put16(cs + PCI_SUBSYSTEM_ID, c->subsystem_device);
	if (c->irq_count[VFIO_PCI_INTX_IRQ_INDEX]) {
		cs[PCI_INTERRUPT_LINE] = 11;
		cs[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	}
	if (c->irq_count[VFIO_PCI_MSI_IRQ_INDEX]) {
		unsigned mmc = 0;

		while ((1u << mmc) < c->irq_count[VFIO_PCI_MSI_IRQ_INDEX])
			mmc++;
		cs[prev] = (uint8_t)pos;
		cs[pos] = PCI_CAP_ID_MSI;
		put16(cs + pos + PCI_MSI_FLAGS,
		      (uint16_t)(PCI_MSI_FLAGS_64BIT | mmc << 1)); /* MMC: PCI_MSI_FLAGS_QMASK */
		prev = pos + PCI_CAP_LIST_NEXT;
		pos += 0x10;
	}
	if (c->irq_count[VFIO_PCI_MSIX_IRQ_INDEX]) {
		unsigned bir;
		uint32_t table, pba;

		mock_msix_place(c, &bir, &table, &pba);
		cs[prev] = (uint8_t)pos;
		cs[pos] = PCI_CAP_ID_MSIX;
		put16(cs + pos + PCI_MSIX_FLAGS,
		      (uint16_t)(c->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] - 1)); /* table size */
		put32(cs + pos + PCI_MSIX_TABLE, table | bir);
		put32(cs + pos + PCI_MSIX_PBA, pba | bir);
		prev = pos + PCI_CAP_LIST_NEXT;
		pos += 0x10;
	}
	if (c->pcie) {
		cs[prev] = (uint8_t)pos;
		cs[pos] = PCI_CAP_ID_EXP;
		put16(cs + pos + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4); /* version 2 */
		prev = pos + PCI_CAP_LIST_NEXT;
		pos += PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	}
	if (cs[PCI_CAPABILITY_LIST] == 0)
		put16(cs + PCI_STATUS, 0);
}

/* MSI-X Enable is the physical register, which the kernel sets with the
 * ioctl; MSI's Enable and QSIZE are vfio-pci's virtual bits, see msi_fixup,
 * and its Multiple Message Capable field reads msi_qmax, the vectors of the
 * last enable (0 before any), as vfio_msi_config_read shows it. */
void mock_config_irq_sync(struct mock_dev *d);
void mock_config_irq_sync(struct mock_dev *d)
{
	unsigned msix = cap_find(d, PCI_CAP_ID_MSIX), msi = cap_find(d, PCI_CAP_ID_MSI);

	if (msi)
		d->config[msi + PCI_MSI_FLAGS] =
		    (uint8_t)((d->config[msi + PCI_MSI_FLAGS] & ~PCI_MSI_FLAGS_QMASK) |
		              d->msi_qmax << 1);

	if (msix)
		d->config[msix + PCI_MSIX_FLAGS + 1] = /* the high byte holds the enable bit */
		    (uint8_t)((d->config[msix + PCI_MSIX_FLAGS + 1] & ~(PCI_MSIX_FLAGS_ENABLE >> 8)) |
		              (d->irq_type == VFIO_PCI_MSIX_IRQ_INDEX ? PCI_MSIX_FLAGS_ENABLE >> 8 : 0));
	/* the INTx line as the device drives it */
	d->config[PCI_STATUS] = (uint8_t)((d->config[PCI_STATUS] & ~PCI_STATUS_INTERRUPT) |
	                                  (d->intx_level ? PCI_STATUS_INTERRUPT : 0));
}

/* write mask of config byte `b` */
static uint8_t wmask(struct mock_dev *d, unsigned b)
{
	unsigned msi = cap_find(d, PCI_CAP_ID_MSI);

	if (b == PCI_COMMAND)
		return CMD_WRITABLE & 0xff;
	if (b == PCI_COMMAND + 1)
		return CMD_WRITABLE >> 8;
	if (b >= PCI_BASE_ADDRESS_0 && b < PCI_CARDBUS_CIS)
		return 0xff;
	if (b == PCI_INTERRUPT_LINE)
		return 0xff;
	if (msi && b >= msi + PCI_MSI_ADDRESS_LO && b < msi + PCI_MSI_DATA_64 + 2)
		return 0xff; /* MSI address/data: virtualised, writable */
	if (msi && b == msi + PCI_MSI_FLAGS)
		return PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE; /* virtual, see msi_fixup */
	return 0;
}

/* vfio_msi_config_write (6.1): after a write of MSI's flags, Enable stays
 * set only while the ioctl has MSI enabled, and QSIZE is capped at the
 * vectors of the last enable. The ioctl itself never touches these bits. */
static void msi_fixup(struct mock_dev *d, uint64_t pos, size_t n)
{
	unsigned msi = cap_find(d, PCI_CAP_ID_MSI);
	uint8_t *f;

	if (!msi || pos > msi + PCI_MSI_FLAGS || pos + n <= msi + PCI_MSI_FLAGS)
		return;
	f = &d->config[msi + PCI_MSI_FLAGS];
	if (d->irq_type != VFIO_PCI_MSI_IRQ_INDEX)
		*f &= (uint8_t)~PCI_MSI_FLAGS_ENABLE;
	if ((unsigned)((*f & PCI_MSI_FLAGS_QSIZE) >> 4) > d->msi_qmax)
		*f = (uint8_t)((*f & ~PCI_MSI_FLAGS_QSIZE) | d->msi_qmax << 4);
}

ssize_t mock_config_rw(struct mock_dev *d, uint8_t *buf, size_t n, uint64_t pos, int write);
ssize_t mock_config_rw(struct mock_dev *d, uint8_t *buf, size_t n, uint64_t pos, int write)
{
	/* vfio_config_do_rw (6.1): anything past the end is EFAULT, nothing is
	 * transferred and nothing clipped */
	if (pos >= d->cfg_size || n > d->cfg_size - pos)
		return -EFAULT;
	if (!write) {
		mock_config_irq_sync(d);
		memcpy(buf, d->config + pos, n);
		return (ssize_t)n;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned b = (unsigned)(pos + i);
		uint8_t m = wmask(d, b);

		if (b >= PCI_BASE_ADDRESS_0 && b < PCI_CARDBUS_CIS) {
			int bar = (int)(b - PCI_BASE_ADDRESS_0) / 4;
			int shift = 8 * ((int)(b - PCI_BASE_ADDRESS_0) % 4);

			d->bar_reg[bar] = (d->bar_reg[bar] & ~(0xffu << shift)) | (uint32_t)buf[i]
			                                                              << shift;
			continue;
		}
		d->config[b] = (uint8_t)((d->config[b] & ~m) | (buf[i] & m));
	}
	for (int i = 0; i < 6; i++)
		put32(d->config + PCI_BASE_ADDRESS_0 + 4 * i, bar_value(d, i));
	msi_fixup(d, pos, n);
	/* vfio_basic_config_write: clearing MEM zaps the BAR mmaps; a VF has no
	 * memory enable of its own (no_command_memory), its bit is virtual */
	if (pos <= PCI_COMMAND && pos + n > PCI_COMMAND && !d->cfg.physfn[0])
		mock_bar_maps_zap(d, !(d->config[PCI_COMMAND] & PCI_COMMAND_MEMORY));
	mock_irq_config_changed(d);
	return (ssize_t)n;
}

/* First open (vfio_pci_core_enable): vfio_config_init builds the virtual
 * config space again from the device's, so what the last user wrote there
 * (BAR sizing, interrupt line, INTx-disable, MSI Enable) is gone;
 * pci_enable_device has turned memory decoding on, bus mastering is off. */
void mock_config_open(struct mock_dev *d);
void mock_config_open(struct mock_dev *d)
{
	mock_config_init(d);
	d->config[PCI_COMMAND] |= PCI_COMMAND_MEMORY;
	d->virq_disabled = 0;
	d->mem_zapped = 0;
}
