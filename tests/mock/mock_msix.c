// SPDX-License-Identifier: BSD-3-Clause
/* mock_msix.c - MSI-X of a mock device as Linux 6.1 vfio-pci presents it and
 * as a PCI function implements it: the table and PBA live in a BAR; the BAR
 * reports VFIO_REGION_INFO_CAP_MSIX_MAPPABLE and can be mmap'd whole; region
 * read/write over the table reads 0xff and drops writes (vfio_pci_bar_rw);
 * the "kernel" programs an entry (message + unmask) for each vector that has
 * an eventfd and masks the others; the device sends a message only on an
 * unmasked vector, otherwise it sets the vector's pending bit, and a pending
 * vector fires when it is unmasked again (a re-attached eventfd gets it).
 *
 * The table and PBA are plain BAR memory (never trapped): the device reads
 * the entry's mask bit when it raises a vector, so a program that masks an
 * entry through its mmap masks it, as on hardware.
 */
#include <stdlib.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "mock_internal.h"
#include "mock_msix.h"

#define ENTRY_SIZE  16u
#define ENTRY_ADDR  0u
#define ENTRY_UADDR 4u
#define ENTRY_DATA  8u
#define ENTRY_CTRL  12u
#define CTRL_MASKED 1u

/* x86 MSI address with interrupt remapping: 0xfee, handle[14:0] in 19:5,
 * bit 4 remappable format, bit 3 SHV, handle[15] in bit 2 (what a 6.1 guest
 * with VT-d interrupt remapping writes, e.g. 0xfee00238). */
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_IR   0x10u
#define MSI_ADDR_SHV  0x08u

struct mock_msix {
	unsigned bar;
	uint64_t table, pba; /* BAR offsets */
	unsigned n;          /* table entries (QSIZE + 1) */
	uint16_t handle0;    /* "IRTE" handle of vector 0 */
	uint64_t pending[MOCK_MSIX_MAX / 64];
};

static const uint64_t page = MOCK_PAGE;

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void mock_msix_place(const struct mock_dev_config *c, unsigned *bir, uint32_t *table, uint32_t *pba)
{
	unsigned n = c->irq_count[VFIO_PCI_MSIX_IRQ_INDEX], b = 0;
	uint64_t size, tbytes = (uint64_t)n * ENTRY_SIZE, pbytes = round_up((n + 63) / 64 * 8, 8);

	while (b < 5 && !c->bar[b].size)
		b++;
	size = c->bar[b].size;
	*bir = b;
	if (round_up(tbytes, page) + round_up(pbytes, page) <= size) {
		/* page-aligned, at the end: 16 KiB BAR, 65 vectors -> 0x2000 / 0x3000
		 * (QEMU's NVMe); 1 MiB BAR, 7 vectors -> 0xfe000 / 0xff000 */
		*pba = (uint32_t)(size - round_up(pbytes, page));
		*table = (uint32_t)(*pba - round_up(tbytes, page));
	} else if (tbytes <= size / 4 && pbytes <= size / 4) {
		*table = (uint32_t)(size / 2); /* small BAR: its upper half */
		*pba = (uint32_t)(size / 4 * 3);
	} else {
		*table = 0; /* does not fit: a scenario error the program will see */
		*pba = 0;
	}
}

/* The MSI-X capability as vfio shows it (read-only, so it is the truth). */
static unsigned cap_pos(struct mock_dev *d)
{
	unsigned pos = d->config[PCI_CAPABILITY_LIST];

	for (int guard = 0; pos && guard < 48; guard++) {
		if (d->config[pos] == PCI_CAP_ID_MSIX)
			return pos;
		pos = d->config[pos + PCI_CAP_LIST_NEXT];
	}
	return 0;
}

static uint32_t cfg32(struct mock_dev *d, unsigned off)
{
	return (uint32_t)d->config[off] | (uint32_t)d->config[off + 1] << 8 |
	       (uint32_t)d->config[off + 2] << 16 | (uint32_t)d->config[off + 3] << 24;
}

static uint8_t *entry(struct mock_dev *d, unsigned v)
{
	return d->bar_view[d->msix->bar] + d->msix->table + (uint64_t)v * ENTRY_SIZE;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t msg_addr(struct mock_dev *d, unsigned v)
{
	uint16_t h = (uint16_t)(d->msix->handle0 + v);

	return MSI_ADDR_BASE | (uint32_t)(h & 0x7fff) << 5 | MSI_ADDR_IR | MSI_ADDR_SHV |
	       (uint32_t)(h >> 15) << 2;
}

static int is_pending(struct mock_msix *m, unsigned v)
{
	return (int)(m->pending[v / 64] >> (v % 64) & 1);
}

/* The device's PBA, as the program reads it through the BAR. */
static void pba_mirror(struct mock_dev *d)
{
	struct mock_msix *m = d->msix;

	memcpy(d->bar_view[m->bar] + m->pba, m->pending, (m->n + 63) / 64 * 8);
}

int mock_msix_init(struct mock_dev *d)
{
	unsigned pos = cap_pos(d), n = d->cfg.irq_count[VFIO_PCI_MSIX_IRQ_INDEX];
	struct mock_msix *m;
	uint32_t t, p;
	unsigned idx = 0;

	if (!pos || !n)
		return 0;
	if (n > MOCK_MSIX_MAX) {
		mock_log(0, "%s: %u MSI-X vectors: at most %u are modelled", d->cfg.address, n,
		         MOCK_MSIX_MAX);
		return -1;
	}
	t = cfg32(d, pos + 4);
	p = cfg32(d, pos + 8);
	if ((t & 7) != (p & 7) || !d->bar_view[t & 7] ||
	    (t & ~7u) + (uint64_t)n * ENTRY_SIZE > d->cfg.bar[t & 7].size ||
	    (p & ~7u) + (n + 63) / 64 * 8 > d->cfg.bar[t & 7].size) {
		mock_log(0, "%s: the MSI-X table of %u vectors does not fit in BAR%u",
		         d->cfg.address, n, t & 7);
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	while (idx < mock_w.ndev && mock_w.dev[idx] != d)
		idx++;
	m->bar = t & 7;
	m->table = t & ~7u;
	m->pba = p & ~7u;
	m->n = n;
	m->handle0 = (uint16_t)(0x11 + idx * 0x800);
	d->msix = m;
	mock_msix_reset(d);
	return 0;
}

void mock_msix_free(struct mock_dev *d)
{
	free(d->msix);
	d->msix = NULL;
}

void mock_msix_reset(struct mock_dev *d)
{
	struct mock_msix *m = d->msix;

	if (!m)
		return;
	/* FLR: every entry masked with a zero message, nothing pending ... */
	memset(m->pending, 0, sizeof(m->pending));
	for (unsigned v = 0; v < m->n; v++) {
		memset(entry(d, v), 0, ENTRY_SIZE);
		wr32(entry(d, v) + ENTRY_CTRL, CTRL_MASKED);
	}
	/* ... then vfio-pci restores what the kernel had programmed */
	mock_msix_sync(d);
}

static void deliver(struct mock_dev *d, unsigned v)
{
	uint64_t one = 1;
	ssize_t r;

	/* a vector with no eventfd is masked by the kernel; one unmasked by the
	 * program through its mmap has no handler: the message is lost */
	if (d->irq_type != VFIO_PCI_MSIX_IRQ_INDEX || v >= d->num_ctx || d->ctx[v].efd < 0)
		return;
	r = mock_real.write(d->ctx[v].efd, &one, sizeof(one));
	(void)r; /* a saturated eventfd counter: the kernel's eventfd_signal drops it too */
}

void mock_msix_sync(struct mock_dev *d)
{
	struct mock_msix *m = d->msix;
	int on = d->irq_type == VFIO_PCI_MSIX_IRQ_INDEX;

	if (!m)
		return;
	for (unsigned v = 0; v < m->n; v++) {
		uint8_t *e = entry(d, v);
		int allocated = on && v < d->num_ctx;

		if (allocated && d->ctx[v].efd >= 0) {
			/* request_irq: message written, entry unmasked */
			wr32(e + ENTRY_ADDR, msg_addr(d, v));
			wr32(e + ENTRY_UADDR, 0);
			wr32(e + ENTRY_DATA, 0);
			wr32(e + ENTRY_CTRL, 0);
			if (is_pending(m, v)) {
				/* unmasked while pending: the function sends it now */
				m->pending[v / 64] &= ~(1ULL << (v % 64));
				deliver(d, v);
			}
		} else {
			if (allocated) { /* free_irq: masked, zero message (deactivated) */
				wr32(e + ENTRY_ADDR, 0);
				wr32(e + ENTRY_UADDR, 0);
				wr32(e + ENTRY_DATA, 0);
			}
			wr32(e + ENTRY_CTRL, rd32(e + ENTRY_CTRL) | CTRL_MASKED);
		}
	}
	pba_mirror(d);
}

void mock_msix_raise(struct mock_dev *d, unsigned v)
{
	struct mock_msix *m = d->msix;
	const uint8_t *e;

	/* MSI-X Enable clear (vfio has not enabled the index): no message */
	if (!m || v >= m->n || d->irq_type != VFIO_PCI_MSIX_IRQ_INDEX)
		return;
	e = entry(d, v);
	if (rd32(e + ENTRY_CTRL) & CTRL_MASKED) {
		m->pending[v / 64] |= 1ULL << (v % 64);
		pba_mirror(d);
		return;
	}
	/* An entry rewritten by the program no longer matches its interrupt
	 * remapping entry: the IOMMU blocks the message. */
	if (rd32(e + ENTRY_ADDR) != msg_addr(d, v) || rd32(e + ENTRY_UADDR) || rd32(e + ENTRY_DATA))
		return;
	deliver(d, v);
}

size_t mock_msix_region_cap(struct mock_dev *d, unsigned index, uint8_t *caps, size_t csize,
                            size_t cap_max)
{
	struct vfio_info_cap_header h = {.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, .version = 1};
	size_t last = 0;

	/* vfio_pci_ioctl_get_region_info: only the MSI-X BAR, only if mmap-able */
	if (!d->msix || index != d->msix->bar || !d->cfg.bar[index].mmap ||
	    csize + sizeof(h) > cap_max)
		return csize;
	if (csize) { /* link the last capability of the chain to ours */
		struct vfio_info_cap_header prev;

		for (;;) {
			memcpy(&prev, caps + last, sizeof(prev));
			if (!prev.next)
				break;
			last = prev.next - sizeof(struct vfio_region_info);
		}
		prev.next = (uint32_t)(sizeof(struct vfio_region_info) + csize);
		memcpy(caps + last, &prev, sizeof(prev));
	}
	memcpy(caps + csize, &h, sizeof(h));
	return csize + sizeof(h);
}

size_t mock_msix_rw_window(struct mock_dev *d, unsigned bar, uint64_t off, size_t len, int *inside)
{
	struct mock_msix *m = d->msix;
	uint64_t lo, hi;

	*inside = 0;
	if (!m || bar != m->bar)
		return len;
	lo = m->table;
	hi = lo + (uint64_t)m->n * ENTRY_SIZE;
	if (off >= lo && off < hi) {
		*inside = 1;
		return hi - off < len ? (size_t)(hi - off) : len;
	}
	if (off < lo && lo - off < len)
		return (size_t)(lo - off);
	return len;
}
