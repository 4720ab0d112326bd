/* SPDX-License-Identifier: BSD-3-Clause */
/* models/edu.c - QEMU's educational PCI device "edu" (1234:11e8) register
 * for register: id, liveness, factorial, interrupt raise/ack, DMA engine.
 *
 * Follows QEMU docs/specs/edu.rst and hw/misc/edu.c (7.2) except two quirks:
 * a DMA ending exactly at the end of the 4 KiB buffer works (QEMU aborts),
 * and an out-of-window DMA is refused and logged (QEMU aborts too).
 */
#include <stdlib.h>
#include <string.h>

#include "../mock_model.h"

#define EDU_ID           0x010000edu
#define STATUS_COMPUTING 0x01u
#define STATUS_IRQFACT   0x80u
#define DMA_RUN          0x1u
#define DMA_TO_RAM       0x2u
#define DMA_IRQ          0x4u
#define IRQ_FACT         0x001u
#define IRQ_DMA          0x100u
#define DMA_START        0x40000u
#define DMA_SIZE         4096u

#define FACT_DELAY_NS 20000ULL  /* QEMU computes in a thread: "soon" */
#define DMA_DELAY_NS  200000ULL /* QEMU: 100 ms of virtual time; keep tests quick */

struct edu {
	struct mock_dev *dev;
	uint32_t liveness, fact, status, irq_status;
	uint64_t dma_src, dma_dst, dma_cnt, dma_cmd;
	uint64_t dma_mask;
	uint8_t buf[DMA_SIZE];
};

static void edu_defaults(struct mock_dev_config *cfg)
{
	cfg->vendor = 0x1234;
	cfg->device = 0x11e8;
	cfg->subsystem_vendor = 0x1af4;
	cfg->subsystem_device = 0x1100;
	cfg->class_code = 0x00ff00;
	cfg->revision = 0x10;
	cfg->bar[0].size = 0x100000;
	cfg->bar[0].mmap = 1;
	cfg->irq_count[0] = 1; /* INTx */
	cfg->irq_count[1] = 1; /* MSI */
	cfg->irq_count[2] = 0; /* MSI-X */
	cfg->irq_count[3] = 0; /* ERR */
	cfg->irq_count[4] = 1; /* REQ */
	cfg->pcie = 0;
	/* QEMU's edu has no FLR, PM or bus reset: vfio-pci reports no RESET
	 * (DEVICE_GET_INFO flags 0x2 in the VM), VFIO_DEVICE_RESET is EINVAL and
	 * the registers survive a close and reopen */
	cfg->reset = 0;
}

static void raise_irq(struct edu *e, uint32_t val)
{
	e->irq_status |= val;
	if (!e->irq_status)
		return;
	if (mock_msi_enabled(e->dev, 1))
		mock_irq_raise(e->dev, 1, 0);
	else
		mock_intx_set_level(e->dev, 1);
}

static void lower_irq(struct edu *e, uint32_t val)
{
	e->irq_status &= ~val;
	if (!e->irq_status && !mock_msi_enabled(e->dev, 1))
		mock_intx_set_level(e->dev, 0);
}

static void fact_done(void *state, void *arg)
{
	struct edu *e = state;
	uint32_t n = e->fact, r = 1;

	(void)arg;
	while (n > 1)
		r *= n--;
	e->fact = r;
	e->status &= ~STATUS_COMPUTING;
	if (e->status & STATUS_IRQFACT)
		raise_irq(e, IRQ_FACT);
}

static int in_window(uint64_t addr, uint64_t cnt)
{
	return addr >= DMA_START && cnt <= DMA_SIZE && addr - DMA_START <= DMA_SIZE - cnt;
}

static void dma_done(void *state, void *arg)
{
	struct edu *e = state;
	int to_ram = (e->dma_cmd & DMA_TO_RAM) != 0;
	uint64_t win = to_ram ? e->dma_src : e->dma_dst;

	(void)arg;
	if (!(e->dma_cmd & DMA_RUN))
		return;
	if (!in_window(win, e->dma_cnt)) {
		mock_log(1, "edu: DMA window 0x%llx+0x%llx outside the 4 KiB buffer: refused",
		         (unsigned long long)win, (unsigned long long)e->dma_cnt);
	} else if (to_ram) {
		mock_dma_write(e->dev, e->dma_dst & e->dma_mask, e->buf + (win - DMA_START),
		               e->dma_cnt);
	} else {
		mock_dma_read(e->dev, e->dma_src & e->dma_mask, e->buf + (win - DMA_START),
		              e->dma_cnt);
	}
	e->dma_cmd &= ~(uint64_t)DMA_RUN;
	if (e->dma_cmd & DMA_IRQ)
		raise_irq(e, IRQ_DMA);
}

static void edu_reset(void *state)
{
	struct edu *e = state;
	struct mock_dev *d = e->dev;
	uint64_t mask = e->dma_mask;

	memset(e, 0, sizeof(*e));
	e->dev = d;
	e->dma_mask = mask;
	mock_intx_set_level(d, 0);
}

static int edu_create(struct mock_dev *d, const struct mock_dev_config *cfg, void **state)
{
	struct edu *e = calloc(1, sizeof(*e));

	(void)cfg;
	if (!e)
		return -1;
	e->dev = d;
	e->dma_mask = (1ULL << 28) - 1;
	*state = e;
	return 0;
}

static void edu_destroy(void *state)
{
	free(state);
}

static unsigned edu_reg_width(void *state, unsigned bar, uint64_t off)
{
	(void)state;
	(void)bar;
	return off < 0x80 ? 4 : 8;
}

static int edu_page_trapped(void *state, unsigned bar, uint64_t page_off)
{
	(void)state;
	return bar == 0 && page_off == 0;
}

static void edu_on_write(void *state, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct edu *e = state;

	if (bar != 0 || (off < 0x80 && size != 4) || (off >= 0x80 && size != 4 && size != 8))
		return;
	if (size == 4)
		val &= 0xffffffffu;
	switch (off) {
	case 0x04:
		e->liveness = ~(uint32_t)val;
		break;
	case 0x08:
		if (e->status & STATUS_COMPUTING)
			break;
		e->fact = (uint32_t)val;
		e->status |= STATUS_COMPUTING;
		mock_schedule(e->dev, FACT_DELAY_NS, fact_done, NULL);
		break;
	case 0x20:
		if (val & STATUS_IRQFACT)
			e->status |= STATUS_IRQFACT;
		else
			e->status &= ~STATUS_IRQFACT;
		break;
	case 0x60:
		raise_irq(e, (uint32_t)val);
		break;
	case 0x64:
		lower_irq(e, (uint32_t)val);
		break;
	case 0x80:
		if (!(e->dma_cmd & DMA_RUN))
			e->dma_src = val;
		break;
	case 0x88:
		if (!(e->dma_cmd & DMA_RUN))
			e->dma_dst = val;
		break;
	case 0x90:
		if (!(e->dma_cmd & DMA_RUN))
			e->dma_cnt = val;
		break;
	case 0x98:
		if (!(val & DMA_RUN) || (e->dma_cmd & DMA_RUN))
			break;
		e->dma_cmd = val;
		mock_schedule(e->dev, DMA_DELAY_NS, dma_done, NULL);
		break;
	}
}

static void edu_on_read(void *state, unsigned bar, uint64_t off, unsigned size)
{
	struct edu *e = state;
	uint8_t *mem = mock_bar_mem(e->dev, 0);
	uint64_t v = ~0ULL;

	(void)size;
	if (bar != 0 || off >= 0x100)
		return;
	off &= off < 0x80 ? ~3ULL : ~7ULL;
	switch (off) {
	case 0x00:
		v = EDU_ID;
		break;
	case 0x04:
		v = e->liveness;
		break;
	case 0x08:
		v = e->fact;
		break;
	case 0x20:
		v = e->status;
		break;
	case 0x24:
		v = e->irq_status;
		break;
	case 0x80:
		v = e->dma_src;
		break;
	case 0x88:
		v = e->dma_dst;
		break;
	case 0x90:
		v = e->dma_cnt;
		break;
	case 0x98:
		v = e->dma_cmd;
		break;
	}
	memcpy(mem + off, &v, off < 0x80 ? 4 : 8);
}

const struct mock_model_ops mock_model_edu = {
    .name = "edu",
    .defaults = edu_defaults,
    .create = edu_create,
    .destroy = edu_destroy,
    .reset = edu_reset,
    .reg_width = edu_reg_width,
    .on_write = edu_on_write,
    .on_read = edu_on_read,
    .page_trapped = edu_page_trapped,
};
