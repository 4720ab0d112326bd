/* mock_config.c - a device's PCI config space as vfio-pci presents it: a
 * type-0 header from the scenario, virtualised BARs, a capability list (MSI,
 * MSI-X, PCIe) and the few writable bits (COMMAND, BAR sizing, INTx line).
 */
#include <errno.h>
#include <string.h>

#include "mock_internal.h"
#include "mock_msix.h"

#define CMD_WRITABLE 0x0407 /* I/O, memory, bus master, INTx disable */

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
	unsigned pos = d->config[0x34];

	for (int guard = 0; pos && guard < 48; guard++) {
		if (d->config[pos] == id)
			return pos;
		pos = d->config[pos + 1];
	}
	return 0;
}

static uint32_t bar_value(struct mock_dev *d, int i)
{
	uint64_t size = d->cfg.bar[i].size;

	if (!size)
		return 0;
	/* 32-bit non-prefetchable memory BAR; sizing writes read back ~(size-1) */
	return (uint32_t)(d->bar_reg[i] & ~(size - 1) & 0xfffffff0u);
}

void mock_config_init(struct mock_dev *d)
{
	const struct mock_dev_config *c = &d->cfg;
	uint8_t *cs = d->config;
	unsigned pos = 0x40, prev = 0x34;

	memset(cs, 0, sizeof(d->config));
	d->cfg_size = c->pcie ? 4096 : 256;
	put16(cs + 0x00, c->vendor);
	put16(cs + 0x02, c->device);
	put16(cs + 0x06, 0x0010); /* capability list */
	cs[0x08] = c->revision;
	cs[0x09] = (uint8_t)c->class_code;
	cs[0x0a] = (uint8_t)(c->class_code >> 8);
	cs[0x0b] = (uint8_t)(c->class_code >> 16);
	for (int i = 0; i < 6; i++) {
		d->bar_reg[i] = (uint32_t)d->bar_phys[i];
		put32(cs + 0x10 + 4 * i, bar_value(d, i));
	}
	put16(cs + 0x2c, c->subsystem_vendor);
	put16(cs + 0x2e, c->subsystem_device);
	if (c->irq_count[VFIO_PCI_INTX_IRQ_INDEX]) {
		cs[0x3c] = 11;
		cs[0x3d] = 1; /* INTA# */
	}
	if (c->irq_count[VFIO_PCI_MSI_IRQ_INDEX]) {
		unsigned mmc = 0;

		while ((1u << mmc) < c->irq_count[VFIO_PCI_MSI_IRQ_INDEX])
			mmc++;
		cs[prev] = (uint8_t)pos;
		cs[pos] = 0x05;
		put16(cs + pos + 2, (uint16_t)(0x0080 | mmc << 1)); /* 64-bit, MMC */
		prev = pos + 1;
		pos += 0x10;
	}
	if (c->irq_count[VFIO_PCI_MSIX_IRQ_INDEX]) {
		unsigned bir;
		uint32_t table, pba;

		mock_msix_place(c, &bir, &table, &pba);
		cs[prev] = (uint8_t)pos;
		cs[pos] = 0x11;
		put16(cs + pos + 2, (uint16_t)(c->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] - 1));
		put32(cs + pos + 4, table | bir);
		put32(cs + pos + 8, pba | bir);
		prev = pos + 1;
		pos += 0x10;
	}
	if (c->pcie) {
		cs[prev] = (uint8_t)pos;
		cs[pos] = 0x10;
		put16(cs + pos + 2, 0x0002); /* version 2, endpoint */
		prev = pos + 1;
		pos += 0x3c;
	}
	if (cs[0x34] == 0)
		put16(cs + 0x06, 0);
}

/* vfio-pci reflects its own IRQ state in the MSI/MSI-X enable bits. */
void mock_config_irq_sync(struct mock_dev *d);
void mock_config_irq_sync(struct mock_dev *d)
{
	unsigned msi = cap_find(d, 0x05), msix = cap_find(d, 0x11);

	if (msi)
		d->config[msi + 2] =
		    (uint8_t)((d->config[msi + 2] & ~1u) | (d->irq_type == VFIO_PCI_MSI_IRQ_INDEX));
	if (msix)
		d->config[msix + 3] =
		    (uint8_t)((d->config[msix + 3] & 0x7f) |
		              (d->irq_type == VFIO_PCI_MSIX_IRQ_INDEX ? 0x80 : 0));
	/* status bit 3: the INTx line as the device drives it */
	d->config[6] = (uint8_t)((d->config[6] & ~0x08u) | (d->intx_level ? 0x08 : 0));
}

/* write mask of config byte `b` */
static uint8_t wmask(struct mock_dev *d, unsigned b)
{
	unsigned msi = cap_find(d, 0x05);

	if (b == 0x04)
		return CMD_WRITABLE & 0xff;
	if (b == 0x05)
		return CMD_WRITABLE >> 8;
	if (b >= 0x10 && b < 0x28)
		return 0xff;
	if (b == 0x3c)
		return 0xff;
	if (msi && b >= msi + 4 && b < msi + 14)
		return 0xff; /* MSI address/data: virtualised, writable */
	return 0;
}

ssize_t mock_config_rw(struct mock_dev *d, uint8_t *buf, size_t n, uint64_t pos, int write);
ssize_t mock_config_rw(struct mock_dev *d, uint8_t *buf, size_t n, uint64_t pos, int write)
{
	if (pos >= d->cfg_size)
		return -EINVAL;
	if (n > d->cfg_size - pos)
		n = d->cfg_size - pos;
	if (!write) {
		mock_config_irq_sync(d);
		memcpy(buf, d->config + pos, n);
		return (ssize_t)n;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned b = (unsigned)(pos + i);
		uint8_t m = wmask(d, b);

		if (b >= 0x10 && b < 0x28) {
			int bar = (int)(b - 0x10) / 4, shift = 8 * ((int)(b - 0x10) % 4);

			d->bar_reg[bar] = (d->bar_reg[bar] & ~(0xffu << shift)) | (uint32_t)buf[i]
			                                                              << shift;
			continue;
		}
		d->config[b] = (uint8_t)((d->config[b] & ~m) | (buf[i] & m));
	}
	for (int i = 0; i < 6; i++)
		put32(d->config + 0x10 + 4 * i, bar_value(d, i));
	mock_irq_config_changed(d);
	return (ssize_t)n;
}
