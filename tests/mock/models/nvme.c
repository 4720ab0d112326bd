// SPDX-License-Identifier: BSD-3-Clause
/* models/nvme.c - QEMU 7.2's emulated NVMe controller (1b36:0010) as a
 * program driving it through vfio sees it: BAR0 registers (CAP, VS, INTMS/
 * INTMC, CC, CSTS, AQA, ASQ, ACQ), doorbells, the admin queue and I/O queues
 * processed on the mock's worker, completions with phase tags, MSI-X per
 * completion queue (or the pin-based interrupt with INTMS), and the QEMU 7.2
 * quirk that a vector is "used" only if MSI-X was enabled when its CQ was
 * created (so MSI-X must be enabled before CC.EN=1). Commands: nvme_cmd.c.
 * Facts: shared/vm/README.md (NVMe section), NVMe base spec 1.4.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nvme.h"

#define REG_CAP   0x00
#define REG_VS    0x08
#define REG_INTMS 0x0c
#define REG_INTMC 0x10
#define REG_CC    0x14
#define REG_CSTS  0x1c
#define REG_AQA   0x24
#define REG_ASQ   0x28
#define REG_ACQ   0x30
#define REG_DBS   0x1000
#define DB_END    (REG_DBS + 8 * NVME_NQ) /* 4-byte doorbells (CAP.DSTRD 0) */

#define CC_EN        (1u << 0)
#define CC_CSS(cc)   (((cc) >> 4) & 7)
#define CC_MPS(cc)   (((cc) >> 7) & 0xf)
#define CC_SHN(cc)   (((cc) >> 14) & 3)
#define CSTS_RDY     (1u << 0)
#define CSTS_CFS     (1u << 1)
#define CSTS_SHST_OK (2u << 2)

#define CAP_CSS(c)    (((c) >> 37) & 0xff)
#define CAP_MPSMIN(c) (((c) >> 48) & 0xf)
#define CAP_MPSMAX(c) (((c) >> 52) & 0xf)

#define STEP_DELAY_NS 500ULL /* QEMU arms its SQ/CQ timers 500 ns ahead */
#define MSIX_INDEX    2u

static void nvme_defaults(struct mock_dev_config *cfg)
{
	cfg->vendor = 0x1b36; /* Red Hat, Inc. (QEMU) */
	cfg->device = 0x0010;
	cfg->subsystem_vendor = 0x1af4;
	cfg->subsystem_device = 0x1100;
	cfg->class_code = 0x010802; /* mass storage, NVM, NVMe */
	cfg->revision = 0x02;
	cfg->bar[0].size = 0x4000; /* registers, doorbells, MSI-X table 0x2000, PBA 0x3000 */
	cfg->bar[0].mmap = 1;
	cfg->irq_count[0] = 1; /* INTx */
	cfg->irq_count[1] = 0; /* no MSI capability */
	cfg->irq_count[2] = NVME_MSIX;
	cfg->irq_count[3] = 1; /* PCIe: ERR */
	cfg->irq_count[4] = 1;
	cfg->pcie = 1;
	cfg->reset = 1; /* QEMU's NVMe has FLR */
}

/* ---- the register image the program reads --------------------------------- */

static void put_regs(struct nvme *n)
{
	uint8_t *bar = mock_bar_mem(n->dev, 0);
	uint64_t cap = NVME_CAP;

	memset(bar, 0, 0x1000); /* reserved registers read 0, stores there are dropped */
	memcpy(bar + REG_CAP, &cap, 8);
	memcpy(bar + REG_VS, &(uint32_t){NVME_VS}, 4);
	memcpy(bar + REG_INTMS, &n->intms, 4);
	memcpy(bar + REG_INTMC, &n->intms, 4);
	memcpy(bar + REG_CC, &n->cc, 4);
	memcpy(bar + REG_CSTS, &n->csts, 4);
	memcpy(bar + REG_AQA, &n->aqa, 4);
	memcpy(bar + REG_ASQ, &n->asq, 8);
	memcpy(bar + REG_ACQ, &n->acq, 8);
}

/* ---- interrupts ---------------------------------------------------------------- */

static void irq_check(struct nvme *n)
{
	if (mock_msi_enabled(n->dev, MSIX_INDEX))
		return;
	mock_intx_set_level(n->dev, (~n->intms & n->irq_status) != 0);
}

static void irq_assert(struct nvme *n, struct nvme_cq *cq)
{
	if (!cq->irq_enabled)
		return;
	if (mock_msi_enabled(n->dev, MSIX_INDEX)) {
		/* QEMU's msix_notify drops a vector nobody "used" */
		if (n->vec_used[cq->vector])
			mock_msix_raise(n->dev, cq->vector);
		return;
	}
	if (cq->vector < 32) {
		n->irq_status |= 1u << cq->vector;
		irq_check(n);
	}
}

static void irq_deassert(struct nvme *n, struct nvme_cq *cq)
{
	if (!cq->irq_enabled || mock_msi_enabled(n->dev, MSIX_INDEX) || cq->vector >= 32)
		return;
	n->irq_status &= ~(1u << cq->vector);
	irq_check(n);
}

/* ---- queues --------------------------------------------------------------------- */

void nvme_cq_init(struct nvme *n, unsigned qid, uint64_t dma, uint32_t size, uint16_t vector,
                  int irq_enabled)
{
	struct nvme_cq *cq = &n->cq[qid];

	memset(cq, 0, sizeof(*cq));
	cq->live = 1;
	cq->dma = dma;
	cq->size = size;
	cq->vector = vector;
	cq->irq_enabled = irq_enabled;
	cq->phase = 1;
	if (mock_msi_enabled(n->dev, MSIX_INDEX)) /* QEMU 7.2: only now */
		n->vec_used[vector]++;
}

void nvme_cq_free(struct nvme *n, unsigned qid)
{
	struct nvme_cq *cq = &n->cq[qid];

	if (!cq->live)
		return;
	if (mock_msi_enabled(n->dev, MSIX_INDEX) && n->vec_used[cq->vector])
		n->vec_used[cq->vector]--;
	irq_deassert(n, cq);
	cq->live = 0;
}

void nvme_sq_init(struct nvme *n, unsigned qid, uint64_t dma, uint32_t size, uint16_t cqid)
{
	struct nvme_sq *sq = &n->sq[qid];

	memset(sq, 0, sizeof(*sq));
	sq->live = 1;
	sq->dma = dma;
	sq->size = size;
	sq->cqid = cqid;
}

static void fail_fatal(struct nvme *n)
{
	n->csts = CSTS_CFS; /* what QEMU stores when a queue DMA fails */
	n->cfs++;
	put_regs(n);
}

/* Post one completion entry; the phase tag lands last. 0, or -1 (DMA failed). */
static int post(struct nvme *n, struct nvme_cq *cq, const struct nvme_sqe *c, uint16_t sqid,
                uint16_t sq_head, uint16_t status, uint32_t dw0)
{
	uint64_t at = cq->dma + (uint64_t)cq->tail * sizeof(struct nvme_cqe);
	struct nvme_cqe e = {.dw0 = dw0, .sq_head = sq_head, .sq_id = sqid, .cid = c->cid};

	e.status = (uint16_t)(status << 1 | cq->phase);
	/* everything but the last dword first: the host polls the phase bit */
	if (mock_dma_write(n->dev, at, &e, 12) || mock_dma_write(n->dev, at + 12, &e.cid, 4))
		return -1;
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	return 0;
}

static int cq_full(const struct nvme_cq *cq)
{
	return (cq->tail + 1) % cq->size == cq->head;
}

static void process_sq(void *state, void *arg)
{
	struct nvme *n = state;
	unsigned qid = (unsigned)((uintptr_t)arg & 0xffff);
	struct nvme_sq *sq = &n->sq[qid];
	struct nvme_cq *cq;
	int posted = 0;

	if ((uintptr_t)arg >> 16 != n->gen || !sq->live)
		return; /* queued before a controller reset or a Delete I/O SQ */
	sq->scheduled = 0;
	cq = &n->cq[sq->cqid];
	while (sq->head != sq->tail && cq->live && !cq_full(cq)) {
		struct nvme_sqe c;
		uint32_t dw0 = 0;
		uint16_t status;

		if (mock_dma_read(n->dev, sq->dma + (uint64_t)sq->head * 64, &c, sizeof(c))) {
			fail_fatal(n);
			return;
		}
		sq->head = (sq->head + 1) % sq->size;
		n->commands++;
		status = qid ? nvme_io(n, &c) : nvme_admin(n, &c, &dw0);
		if (!sq->live || !cq->live)
			return; /* the command deleted its own queue: no completion */
		if (post(n, cq, &c, (uint16_t)qid, (uint16_t)sq->head, status, dw0)) {
			fail_fatal(n);
			return;
		}
		posted = 1;
	}
	if (posted && cq->tail != cq->head) /* QEMU's nvme_post_cqes */
		irq_assert(n, cq);
}

static void schedule_sq(struct nvme *n, unsigned qid)
{
	if (n->sq[qid].scheduled)
		return;
	n->sq[qid].scheduled = 1;
	mock_schedule(n->dev, STEP_DELAY_NS, process_sq, (void *)(uintptr_t)(n->gen << 16 | qid));
}

static void doorbell(struct nvme *n, uint64_t off, uint32_t val)
{
	unsigned qid = (unsigned)((off - REG_DBS) >> 3);

	if (off & 4) { /* CQ head */
		struct nvme_cq *cq = &n->cq[qid];
		int was_full;

		if (!cq->live || val >= cq->size)
			return; /* QEMU: an invalid doorbell write is ignored (and logged) */
		was_full = cq_full(cq);
		cq->head = val;
		if (was_full)
			for (unsigned s = 0; s < NVME_NQ; s++)
				if (n->sq[s].live && n->sq[s].cqid == qid)
					schedule_sq(n, s);
		if (cq->tail == cq->head)
			irq_deassert(n, cq);
		return;
	}
	if (!n->sq[qid].live || val >= n->sq[qid].size)
		return;
	n->sq[qid].tail = val;
	schedule_sq(n, qid);
}

/* ---- controller enable / reset ------------------------------------------------ */

static void ctrl_reset(struct nvme *n)
{
	for (unsigned q = 0; q < NVME_NQ; q++) {
		n->sq[q].live = 0;
		nvme_cq_free(n, q);
	}
	n->gen = (n->gen + 1) & 0xffff;
	n->irq_status = 0;
	irq_check(n);
}

/* nvme_start_ctrl: 0, or -1 (the controller fails: CSTS.CFS) */
static int ctrl_start(struct nvme *n)
{
	uint64_t ps = nvme_page_size(n);

	if (n->cq[0].live || n->sq[0].live || (n->asq & (ps - 1)) || (n->acq & (ps - 1)) ||
	    !(CAP_CSS(NVME_CAP) & (1u << CC_CSS(n->cc))) || CC_MPS(n->cc) < CAP_MPSMIN(NVME_CAP) ||
	    CC_MPS(n->cc) > CAP_MPSMAX(NVME_CAP) || !(n->aqa & 0xfff) || !((n->aqa >> 16) & 0xfff))
		return -1;
	nvme_cq_init(n, 0, n->acq, ((n->aqa >> 16) & 0xfff) + 1, 0, 1);
	nvme_sq_init(n, 0, n->asq, (n->aqa & 0xfff) + 1, 0);
	return 0;
}

static void write_cc(struct nvme *n, uint32_t data)
{
	uint32_t cc = n->cc;

	if (!(data & CC_EN) && !(cc & CC_EN) && !CC_SHN(data) && !CC_SHN(cc))
		cc = data;
	if ((data & CC_EN) && !(cc & CC_EN)) {
		n->cc = cc = data;
		n->csts = ctrl_start(n) ? CSTS_CFS : CSTS_RDY;
	} else if (!(data & CC_EN) && (cc & CC_EN)) {
		ctrl_reset(n);
		cc = 0;
		n->csts &= ~CSTS_RDY;
	}
	if (CC_SHN(data) && !CC_SHN(cc)) {
		cc = data;
		n->csts |= CSTS_SHST_OK;
	} else if (!CC_SHN(data) && CC_SHN(cc)) {
		n->csts &= ~CSTS_SHST_OK;
		cc = data;
	}
	n->cc = cc;
}

static void power_on(struct nvme *n)
{
	ctrl_reset(n);
	memset(n->vec_used, 0, sizeof(n->vec_used));
	n->intms = n->cc = n->csts = n->aqa = 0;
	n->asq = n->acq = 0;
	put_regs(n);
}

/* ---- the model ops -------------------------------------------------------------- */

static int param_u64(const struct mock_dev_config *cfg, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!cfg->params || !json_object_object_get_ex(cfg->params, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0) {
		*out = (uint64_t)json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		char *end;

		*out = strtoull(json_object_get_string(v), &end, 0);
		if (*json_object_get_string(v) && !*end)
			return 0;
	}
	return -1;
}

static int nvme_create(struct mock_dev *d, const struct mock_dev_config *cfg, void **state)
{
	struct json_object *v;
	uint64_t size = 1 << 20;
	const char *serial = "vfio-vm-nvme0";
	struct nvme *n;

	if (param_u64(cfg, "size", &size) || size < NVME_LBA_SIZE || size % NVME_LBA_SIZE ||
	    size > (1ULL << 32)) {
		mock_log(0, "nvme %s: params.size must be a multiple of 512 bytes, up to 4 GiB",
		         cfg->address);
		return -1;
	}
	if (cfg->params && json_object_object_get_ex(cfg->params, "serial", &v)) {
		serial = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || !*serial || strlen(serial) > 20) {
			mock_log(0, "nvme %s: params.serial must be 1 to 20 characters",
			         cfg->address);
			return -1;
		}
	}
	if (cfg->bar[0].size < 0x4000 || cfg->irq_count[2] < NVME_MSIX) {
		mock_log(0, "nvme %s: needs a 16 KiB BAR0 and %u MSI-X vectors", cfg->address,
		         NVME_MSIX);
		return -1;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->store = calloc(1, size); /* lazily backed: untouched blocks cost nothing */
	if (!n->store) {
		free(n);
		return -1;
	}
	n->dev = d;
	n->blocks = size / NVME_LBA_SIZE;
	strcpy(n->serial, serial);
	power_on(n);
	*state = n;
	return 0;
}

static void nvme_destroy(void *state)
{
	struct nvme *n = state;

	mock_log(2, "nvme: %llu commands, %llu controller fatal errors",
	         (unsigned long long)n->commands, (unsigned long long)n->cfs);
	free(n->store);
	free(n);
}

static void nvme_reset(void *state) /* FLR: the namespace's data stays */
{
	power_on(state);
}

static unsigned nvme_reg_width(void *state, unsigned bar, uint64_t off)
{
	(void)state;
	(void)bar;
	return off < REG_VS || (off >= REG_ASQ && off < REG_ACQ + 8) ? 8 : 4;
}

static int nvme_page_trapped(void *state, unsigned bar, uint64_t page_off)
{
	(void)state;
	return bar == 0 && page_off < 0x2000; /* registers and doorbells, not MSI-X */
}

static void nvme_on_write(void *state, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
	struct nvme *n = state;
	uint8_t *mem = mock_bar_mem(n->dev, 0);
	uint32_t v32;

	(void)value; /* the BAR holds the stored bytes: read whole registers */
	if (bar != 0 || off >= 0x2000)
		return;
	if (off >= REG_DBS) {
		memcpy(&v32, mem + (off & ~3ULL), 4);
		memset(mem + (off & ~3ULL), 0, size < 4 ? 4 : size); /* doorbells read 0 */
		if (off < DB_END)
			doorbell(n, off & ~3ULL, v32);
		return;
	}
	memcpy(&v32, mem + (off & ~3ULL), 4);
	switch (off & ~3ULL) {
	case REG_INTMS:
		n->intms |= v32;
		irq_check(n);
		break;
	case REG_INTMC:
		n->intms &= ~v32;
		irq_check(n);
		break;
	case REG_CC:
		write_cc(n, v32);
		break;
	case REG_AQA:
		n->aqa = v32 & 0x0fff0fff;
		break;
	case REG_ASQ:
	case REG_ASQ + 4:
		memcpy(&n->asq, mem + REG_ASQ, 8);
		break;
	case REG_ACQ:
	case REG_ACQ + 4:
		memcpy(&n->acq, mem + REG_ACQ, 8);
		break;
	default:
		break; /* read-only or reserved: undone below */
	}
	put_regs(n);
}

const struct mock_model_ops mock_model_nvme = {
    .name = "nvme",
    .defaults = nvme_defaults,
    .create = nvme_create,
    .destroy = nvme_destroy,
    .reset = nvme_reset,
    .reg_width = nvme_reg_width,
    .on_write = nvme_on_write,
    .page_trapped = nvme_page_trapped,
};
