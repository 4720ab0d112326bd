/* SPDX-License-Identifier: BSD-3-Clause */
/* models/dfl_fpga.c - an Intel OFS-like FPGA card: PF with a device feature
 * list (FME, PR, port, NLB0 AFU) in BAR0, or a VF with the NLB0 AFU at BAR0.
 *
 * NLB0 implements the native loopback protocol hello_fpga uses (docs/references.md
 * §4): a copy of NUM_LINES cache lines from SRC to DST done by the mock's
 * worker through the IOMMU, in chunks, then a completion flag in the DSM.
 * Interrupts are MSI-X (the table and PBA at the end of BAR0, mock_msix.c):
 * user vectors from the AFU (IRQ_RAISE, and DONE_IRQ on copy completion) and
 * the FME global error interrupt on vector 6 (error injection, docs/references.md §3).
 * params.afu "hello_afu" puts OPAE's hello_afu AFU (a scratch register) in
 * NLB0's place, for the hello_afu sample.
 * Multi-port AFUs (OPAE's parent/child ports): params.afu_guid gives the
 * NLB0 engine another GUID (a child AFU), params.children makes the AFU a
 * parent: DFH v1 with a parameter block (ID 2) listing child GUIDs;
 * children_count / children_at forge that block for hostile tests.
 * Register maps and vector numbers: docs/dfl-model.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../mock_model.h"
#include "dfl_common.h"

/* NLB0 registers, offsets from the AFU header */
#define NLB_SCRATCH   0x100 /* 64-bit, plain read/write (real NLB: SCRATCHPAD0) */
#define NLB_DSM_BASE  0x110 /* 64-bit byte IOVA */
#define NLB_SRC_ADDR  0x120 /* 64-bit cache-line address (IOVA >> 6) */
#define NLB_DST_ADDR  0x128
#define NLB_NUM_LINES 0x130 /* 32-bit */
#define NLB_CTL       0x138 /* 32-bit: bit 0 out of reset, bit 1 start, bit 2 stop */
#define NLB_CFG       0x140 /* 32-bit, stored only: loopback (copy) is the one mode */
#define NLB_STATUS1   0x168 /* 64-bit: lines still to copy; 0 when idle */
#define NLB_IRQ_RAISE 0x180 /* 32-bit: writing N raises MSI-X vector N */
#define NLB_DONE_IRQ  0x188 /* 32-bit: bit 31 on, bits 11:0 vector raised after a copy */

/* hello_afu (opae-facts 5.3): its GUID; its 64-bit scratch register at AFU +
 * 0x80 is plain trapped memory (reset clears it with the rest of the page) */
#define HELLO_AFU_GUID_H 0x850ADCC26CEB4B22ULL
#define HELLO_AFU_GUID_L 0x9722D43375B61C66ULL

/* DFH v1 AFU parameters (OPAE multi-port AFUs): the CSR at +0x20 says
 * "parameters follow" (bit 31); a parameter header is ID (15:0), EOP (32)
 * and the next header in qwords (63:35), so a child GUID list of n entries
 * (ID 2) has next = 1 + 2n and its count reads as header >> 36. */
#define AFU_DFH_V1       (1ULL << 52)
#define AFU_PARAMS_CSR   0x20
#define AFU_HAS_PARAMS   (1ULL << 31)
#define AFU_PARAMS_AT    0x28 /* the first parameter header */
#define PARAM_EOP        (1ULL << 32)
#define PARAM_CHILDREN   2ULL
#define PARAM_FILLER     1ULL /* a parameter nobody reads: chains to children_at */
#define MAX_CHILDREN     12   /* 0x28 + 8 + 16 * 12 stays below NLB0's 0x100 */

#define DONE_IRQ_ON  0x80000000u
#define DONE_IRQ_VEC 0xfffu

/* FME global error feature (at DFL_GERR_OFF), as the Linux dfl-fme-error
 * driver and OPAE's opaevfiotest use it: five error registers, each with its
 * mask 8 bytes below, error injection, and the interrupt capability. */
#define GERR_FME_ERROR   0x10
#define GERR_PCIE0_ERROR 0x20
#define GERR_PCIE1_ERROR 0x30
#define GERR_FIRST       0x38
#define GERR_NEXT        0x40
#define GERR_NONFAT      0x50
#define GERR_CATFAT      0x60
#define GERR_INJECT      0x68 /* bits 2:0: catastrophic, fatal, non-fatal */
#define GERR_CAP         0x70 /* bit 0 interrupt supported, bits 12:1 its vector */
#define GERR_NREGS       5
#define INJ_CATFAT_BIT   (1ULL << 11) /* RAS_CATFAT_ERROR: injected catastrophic */
#define INJ_FATAL_BIT    (1ULL << 12) /* RAS_CATFAT_ERROR: injected fatal */
#define INJ_NONFAT_BIT   (1ULL << 6)  /* RAS_NONFAT_ERROR: injected non-fatal */
#define FME_ERR_VECTOR   6u

#define CTL_RUN_OK 0x1u
#define CTL_START  0x2u
#define CTL_STOP   0x4u

#define DSM_STATUS     0x40 /* 64-bit, bit 0 = test complete */
#define DSM_NUM_READS  0x48 /* lines read (the mock's own counters) */
#define DSM_NUM_WRITES 0x50

#define LINE           64u
#define CHUNK          (64u * 1024u) /* bytes copied per worker step */
#define CHUNK_DELAY_NS 2000ULL       /* between steps: the copy takes "some" time */
#define MAX_LINES      (1u << 20)    /* 64 MiB: a sane bound for NUM_LINES */

struct dfl_fpga {
	struct mock_dev *dev;
	int vf;    /* role: 1 = VF (AFU at BAR0 offset 0) */
	int hello; /* params.afu: 1 = hello_afu, 0 = NLB0 */
	uint64_t bar0_size;
	uint64_t afu;  /* AFU offset in BAR0 */
	unsigned msix; /* MSI-X vectors */
	uintptr_t run; /* id of the current copy; stale worker steps are ignored */
	int running;
	uint64_t src, dst, dsm; /* byte IOVAs of the current copy */
	uint64_t lines, done;
	uint64_t inject;     /* RAS_ERROR_INJECT bits 2:0 */
	int err_line;        /* an unmasked error is active (the IRQ is an edge) */
	uint64_t writes;     /* register writes seen (diagnostics only) */
	uint64_t dma_faults; /* copies stopped by an IOMMU fault */
	uint64_t guid_h, guid_l; /* the NLB0 engine's GUID (params.afu_guid) */
	int parent;              /* params.children given: DFH v1 + child list */
	unsigned nchildren;
	uint64_t child_h[MAX_CHILDREN], child_l[MAX_CHILDREN];
	uint64_t child_count; /* the list header's count (params.children_count) */
	uint64_t child_at;    /* its offset from the AFU (params.children_at) */
	uint8_t bounce[CHUNK];
};

static int role_is_vf(const struct mock_dev_config *cfg, int *vf)
{
	struct json_object *r;
	const char *s;

	*vf = cfg->physfn[0] != 0; /* an SR-IOV VF unless the scenario says otherwise */
	if (!cfg->params || !json_object_object_get_ex(cfg->params, "role", &r))
		return 0;
	s = json_object_get_string(r);
	if (s && !strcmp(s, "pf"))
		*vf = 0;
	else if (s && !strcmp(s, "vf"))
		*vf = 1;
	else
		return -1;
	return 0;
}

/* params.afu: "nlb0" (default) or "hello_afu"; 0, or -1 for anything else. */
static int afu_is_hello(const struct mock_dev_config *cfg, int *hello)
{
	struct json_object *a;
	const char *s;

	*hello = 0;
	if (!cfg->params || !json_object_object_get_ex(cfg->params, "afu", &a))
		return 0;
	s = json_object_get_string(a);
	if (s && !strcmp(s, "hello_afu"))
		*hello = 1;
	else if (!s || strcmp(s, "nlb0"))
		return -1;
	return 0;
}

/* "d8424dc4-a4a3-c413-f89e-433683f9040b" -> register halves; 0 or -1. */
static int parse_guid(struct json_object *o, uint64_t *hi, uint64_t *lo)
{
	const char *s = json_object_get_string(o);
	unsigned n = 0;

	*hi = *lo = 0;
	for (; s && *s; s++) {
		unsigned v;

		if (*s == '-')
			continue;
		if (*s >= '0' && *s <= '9')
			v = (unsigned)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			return -1;
		if (n >= 32)
			return -1;
		if (n < 16)
			*hi = *hi << 4 | v;
		else
			*lo = *lo << 4 | v;
		n++;
	}
	return n == 32 && json_object_is_type(o, json_type_string) ? 0 : -1;
}

/* params.afu_guid, children, children_count, children_at; 0, or -1 with a
 * message naming the parameter. */
static int parse_family(struct dfl_fpga *f, const struct mock_dev_config *cfg)
{
	struct json_object *p = cfg->params, *o;
	const char *bad = NULL;

	f->guid_h = NLB0_GUID_H;
	f->guid_l = NLB0_GUID_L;
	f->child_at = AFU_PARAMS_AT;
	if (!p)
		return 0;
	if (json_object_object_get_ex(p, "afu_guid", &o) && parse_guid(o, &f->guid_h, &f->guid_l))
		bad = "afu_guid must be a GUID string";
	if (!bad && json_object_object_get_ex(p, "children", &o)) {
		size_t n = json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;

		f->parent = 1;
		if (!json_object_is_type(o, json_type_array) || n > MAX_CHILDREN)
			bad = "children must be an array of at most 12 GUID strings";
		for (size_t i = 0; !bad && i < n; i++)
			if (parse_guid(json_object_array_get_idx(o, i), &f->child_h[i], &f->child_l[i]))
				bad = "children must be an array of at most 12 GUID strings";
		f->nchildren = (unsigned)n;
		f->child_count = n;
	}
	if (!bad && json_object_object_get_ex(p, "children_count", &o)) {
		int64_t v = json_object_get_int64(o);

		if (!f->parent || !json_object_is_type(o, json_type_int) || v < 0 || v > (1LL << 27))
			bad = "children_count needs children and must be 0..2^27";
		f->child_count = (uint64_t)v;
	}
	if (!bad && json_object_object_get_ex(p, "children_at", &o)) {
		const char *s = json_object_get_string(o);
		uint64_t v = s ? strtoull(s, NULL, 0) : 0;

		if (!f->parent || (v & 7) || (v != AFU_PARAMS_AT && v < 0x1000) ||
		    f->afu + v + 8 > cfg->bar[0].size)
			bad = "children_at needs children; 0x28, or an 8-aligned offset from 0x1000 "
			      "whose header lies inside BAR0";
		f->child_at = v;
	}
	if (bad)
		mock_log(0, "dfl-fpga %s: params.%s", cfg->address, bad);
	return bad ? -1 : 0;
}

/* defaults() runs before the scenario's params are known, so it gives the PF;
 * a VF scenario entry sets "device": "0xbccf" (and physfn) itself. */
static void dfl_defaults(struct mock_dev_config *cfg)
{
	cfg->vendor = 0x8086;
	cfg->device = 0xbcce;
	cfg->subsystem_vendor = 0x8086;
	cfg->subsystem_device = 0x1770;
	cfg->class_code = 0x120000; /* processing accelerator */
	cfg->revision = 0x01;
	cfg->bar[0].size = DFL_PF_BAR0_SIZE;
	cfg->bar[0].mmap = 1;
	cfg->bar[0].is64 = 1; /* OFS cards: 64-bit prefetchable BARs, BAR1 the upper half */
	cfg->bar[0].prefetch = 1;
	cfg->irq_count[0] = 1; /* INTx */
	cfg->irq_count[1] = 1; /* MSI */
	cfg->irq_count[2] = 7; /* MSI-X (OFS: 4 user + 3 FME/port error vectors) */
	cfg->irq_count[3] = 1; /* ERR (PCIe) */
	cfg->irq_count[4] = 1; /* REQ */
	cfg->pcie = 1;
	cfg->reset = 1;
}

/* A parent's parameters: the child list at child_at (after a filler
 * parameter at 0x28 that chains to it when it is elsewhere). GUIDs that
 * would not fit (a forged count) are not written: the list is truncated. */
static void afu_put_children(struct dfl_fpga *f, uint8_t *bar)
{
	uint64_t a = f->afu, at = a + f->child_at;
	uint64_t end = f->child_at == AFU_PARAMS_AT ? a + NLB_SCRATCH : f->bar0_size;

	dfl_wr64(bar, a, dfl_rd64(bar, a) | AFU_DFH_V1);
	dfl_wr64(bar, a + AFU_PARAMS_CSR, AFU_HAS_PARAMS);
	if (f->child_at != AFU_PARAMS_AT)
		dfl_wr64(bar, a + AFU_PARAMS_AT,
		         PARAM_FILLER | ((f->child_at - AFU_PARAMS_AT) / 8) << 35);
	dfl_wr64(bar, at, PARAM_CHILDREN | PARAM_EOP | (1 + 2 * f->child_count) << 35);
	for (unsigned i = 0; i < f->nchildren && at + 24 + 16 * i <= end; i++) {
		dfl_wr64(bar, at + 8 + 16 * i, f->child_l[i]);
		dfl_wr64(bar, at + 16 + 16 * i, f->child_h[i]);
	}
}

/* The AFU's read-only header: type AFU, DFH version 0 (1 for a parent),
 * EOL, its GUID; a parent's parameters. */
static void afu_put_header(struct dfl_fpga *f, uint8_t *bar)
{
	dfl_put_nlb0_header(bar, f->afu);
	if (f->hello)
		dfl_put_guid(bar, f->afu, HELLO_AFU_GUID_H, HELLO_AFU_GUID_L);
	else
		dfl_put_guid(bar, f->afu, f->guid_h, f->guid_l);
	if (f->parent)
		afu_put_children(f, bar);
}

static void nlb_power_on(struct dfl_fpga *f)
{
	uint8_t *bar = mock_bar_mem(f->dev, 0);

	f->run++;
	f->running = 0;
	f->lines = f->done = 0;
	/* registers after the header back to 0 (header rewritten below) */
	memset(bar + f->afu + 0x20, 0, 0x1000 - 0x20);
	afu_put_header(f, bar);
}

static const uint64_t gerr_reg[GERR_NREGS] = {GERR_FME_ERROR, GERR_PCIE0_ERROR, GERR_PCIE1_ERROR,
                                              GERR_NONFAT, GERR_CATFAT};

/* An error register as the program reads it. Only injected errors exist on
 * the mock; they last while their RAS_ERROR_INJECT bit is set (opaevfiotest
 * clears its error by writing 0 there), so write-1-to-clear changes nothing. */
static uint64_t gerr_value(const struct dfl_fpga *f, unsigned i)
{
	uint64_t v = 0;

	if (gerr_reg[i] == GERR_NONFAT && (f->inject & 4))
		v |= INJ_NONFAT_BIT;
	if (gerr_reg[i] == GERR_CATFAT)
		v |= (f->inject & 1 ? INJ_CATFAT_BIT : 0) | (f->inject & 2 ? INJ_FATAL_BIT : 0);
	return v;
}

/* Rewrite the error registers; an unmasked error that appears raises the
 * FME error vector once (masks are plain read/write memory). */
static void gerr_update(struct dfl_fpga *f)
{
	uint8_t *bar = mock_bar_mem(f->dev, 0) + DFL_GERR_OFF;
	int active = 0;

	for (unsigned i = 0; i < GERR_NREGS; i++) {
		uint64_t v = gerr_value(f, i);

		dfl_wr64(bar, gerr_reg[i], v);
		active |= (v & ~dfl_rd64(bar, gerr_reg[i] - 8)) != 0;
	}
	dfl_wr64(bar, GERR_FIRST, 0); /* first/next error logs: not modelled, read 0 */
	dfl_wr64(bar, GERR_NEXT, 0);
	dfl_wr64(bar, GERR_INJECT, f->inject);
	dfl_wr64(bar, GERR_CAP, f->msix > FME_ERR_VECTOR ? 1 | (uint64_t)FME_ERR_VECTOR << 1 : 0);
	if (active && !f->err_line)
		mock_msix_raise(f->dev, FME_ERR_VECTOR);
	f->err_line = active;
}

static void build(struct dfl_fpga *f)
{
	uint8_t *bar = mock_bar_mem(f->dev, 0);

	memset(bar, 0, f->bar0_size);
	if (f->vf) {
		dfl_put_nlb0_header(bar, 0);
	} else {
		dfl_build_pf_bar0(bar);
		f->inject = 0;
		f->err_line = 0;
		gerr_update(f); /* masks 0 at power-on: every error interrupts */
	}
	nlb_power_on(f);
}

static int dfl_create(struct mock_dev *d, const struct mock_dev_config *cfg, void **state)
{
	struct dfl_fpga *f;
	int vf, hello;

	if (role_is_vf(cfg, &vf)) {
		mock_log(0, "dfl-fpga %s: params.role must be \"pf\" or \"vf\"", cfg->address);
		return -1;
	}
	if (afu_is_hello(cfg, &hello)) {
		mock_log(0, "dfl-fpga %s: params.afu must be \"nlb0\" or \"hello_afu\"",
		         cfg->address);
		return -1;
	}
	if (cfg->bar[0].size < (vf ? 0x1000 : DFL_PF_BAR0_SIZE)) {
		mock_log(0, "dfl-fpga %s: BAR0 of 0x%llx bytes cannot hold the %s layout",
		         cfg->address, (unsigned long long)cfg->bar[0].size, vf ? "VF" : "PF");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->dev = d;
	f->vf = vf;
	f->hello = hello;
	f->bar0_size = cfg->bar[0].size;
	f->afu = vf ? 0 : DFL_PF_AFU_OFF;
	f->msix = cfg->irq_count[2];
	if (parse_family(f, cfg)) {
		free(f);
		return -1;
	}
	build(f);
	*state = f;
	return 0;
}

static void dfl_destroy(void *state)
{
	struct dfl_fpga *f = state;

	mock_log(2, "dfl-fpga: %llu register writes, %llu copies stopped by IOMMU faults",
	         (unsigned long long)f->writes, (unsigned long long)f->dma_faults);
	free(f);
}

static void dfl_reset(void *state)
{
	build(state);
}

static unsigned dfl_reg_width(void *state, unsigned bar, uint64_t off)
{
	struct dfl_fpga *f = state;
	uint64_t r = off - f->afu;

	(void)bar;
	if (f->hello)
		return 8;
	if (off >= f->afu && (r & ~7ULL) == NLB_NUM_LINES)
		return 4;
	if (off >= f->afu && ((r & ~3ULL) == NLB_CTL || (r & ~3ULL) == NLB_CFG ||
	                      (r & ~3ULL) == NLB_IRQ_RAISE || (r & ~3ULL) == NLB_DONE_IRQ))
		return 4;
	return 8;
}

/* Traps only where a write has a side effect: the port header page (PORT_CONTROL),
 * the FME global error page and the AFU's register page. The FME header, PR
 * and the other feature headers are plain memory. */
static int dfl_page_trapped(void *state, unsigned bar, uint64_t page_off)
{
	struct dfl_fpga *f = state;

	if (bar != 0)
		return 0;
	return page_off == f->afu ||
	       (!f->vf && (page_off == DFL_PORT_OFF || page_off == DFL_GERR_OFF));
}

static void copy_step(void *state, void *arg);

static void finish(struct dfl_fpga *f)
{
	uint64_t v;

	/* counters first: the completion bit must be the last thing the host sees */
	v = f->lines;
	if (mock_dma_write(f->dev, f->dsm + DSM_NUM_READS, &v, 8) ||
	    mock_dma_write(f->dev, f->dsm + DSM_NUM_WRITES, &v, 8)) {
		f->running = 0;
		return;
	}
	v = 1;
	mock_dma_write(f->dev, f->dsm + DSM_STATUS, &v, 8);
	f->running = 0;
	v = dfl_rd32(mock_bar_mem(f->dev, 0), f->afu + NLB_DONE_IRQ);
	if (v & DONE_IRQ_ON) /* after the DSM write: the host sees "done" when woken */
		mock_msix_raise(f->dev, (unsigned)(v & DONE_IRQ_VEC));
}

static void copy_step(void *state, void *arg)
{
	struct dfl_fpga *f = state;
	uint8_t *bar = mock_bar_mem(f->dev, 0);
	uint64_t off, len;

	if ((uintptr_t)arg != f->run || !f->running)
		return; /* stopped, restarted or reset since this step was queued */
	off = f->done * LINE;
	len = (f->lines - f->done) * LINE;
	if (len > CHUNK)
		len = CHUNK;
	if (len && (mock_dma_read(f->dev, f->src + off, f->bounce, len) ||
	            mock_dma_write(f->dev, f->dst + off, f->bounce, len))) {
		/* the mock recorded the IOMMU fault; like a real AFU we stop
		 * and never report completion */
		f->dma_faults++;
		f->running = 0;
		dfl_wr64(bar, f->afu + NLB_STATUS1, 0);
		return;
	}
	f->done += len / LINE;
	dfl_wr64(bar, f->afu + NLB_STATUS1, f->lines - f->done);
	if (f->done < f->lines)
		mock_schedule(f->dev, CHUNK_DELAY_NS, copy_step, arg);
	else
		finish(f);
}

static void nlb_ctl(struct dfl_fpga *f, uint32_t ctl)
{
	uint8_t *bar = mock_bar_mem(f->dev, 0);
	uint64_t a = f->afu;

	if (!(ctl & CTL_RUN_OK)) { /* AFU held in reset: abort, forget the run */
		f->run++;
		f->running = 0;
		dfl_wr64(bar, a + NLB_STATUS1, 0);
		return;
	}
	if (ctl & CTL_STOP) {
		f->run++;
		f->running = 0;
		dfl_wr64(bar, a + NLB_STATUS1, 0);
		return;
	}
	if (!(ctl & CTL_START) || f->running)
		return;
	f->run++;
	f->dsm = dfl_rd64(bar, a + NLB_DSM_BASE);
	f->src = dfl_rd64(bar, a + NLB_SRC_ADDR) << 6;
	f->dst = dfl_rd64(bar, a + NLB_DST_ADDR) << 6;
	f->lines = dfl_rd32(bar, a + NLB_NUM_LINES);
	if (f->lines > MAX_LINES)
		f->lines = MAX_LINES;
	f->done = 0;
	f->running = 1;
	dfl_wr64(bar, a + NLB_STATUS1, f->lines);
	/* never copy here: this may be a signal handler on the program's thread */
	mock_schedule(f->dev, CHUNK_DELAY_NS, copy_step, (void *)f->run);
}

static void port_control(struct dfl_fpga *f)
{
	uint8_t *bar = mock_bar_mem(f->dev, 0);
	uint64_t v = dfl_rd64(bar, DFL_PORT_OFF + PORT_CONTROL);

	if (v & PORT_CTL_SFTRST) {
		/* port (and its AFU) held in reset; ack it */
		nlb_power_on(f);
		v |= PORT_CTL_SFTRST_ACK;
	} else {
		v &= ~PORT_CTL_SFTRST_ACK;
	}
	dfl_wr64(bar, DFL_PORT_OFF + PORT_CONTROL, v);
}

/* A store into the FME global error feature: `size` bytes of `value` at
 * `off` (a trapped store reports whole 64-bit registers, pwrite may split). */
static void gerr_write(struct dfl_fpga *f, uint64_t r, unsigned size, uint64_t value)
{
	unsigned shift = 8 * (unsigned)(r & 7);
	uint64_t wmask = (size >= 8 ? ~0ULL : ((1ULL << 8 * size) - 1)) << shift;

	value <<= shift;
	r &= ~7ULL;
	if (r == GERR_INJECT)
		f->inject = (f->inject & ~wmask) | (value & wmask & 7);
	if (r == 0) /* the feature header is read-only */
		dfl_wr64(mock_bar_mem(f->dev, 0), DFL_GERR_OFF,
		         dfh_make(DFH_TYPE_PRIVATE, DFL_ID_FME_GERR, 1, 0, 1));
	gerr_update(f);
}

static void dfl_on_write(void *state, unsigned bar_index, uint64_t off, unsigned size,
                         uint64_t value)
{
	struct dfl_fpga *f = state;
	uint8_t *bar = mock_bar_mem(f->dev, 0);
	uint64_t r;

	f->writes++; /* below: the BAR memory holds the stored bytes; read whole registers */
	if (bar_index != 0)
		return;
	if (!f->vf && off >= DFL_GERR_OFF && off < DFL_GERR_OFF + 0x1000) {
		gerr_write(f, off - DFL_GERR_OFF, size, value);
		return;
	}
	if (!f->vf && (off & ~7ULL) == DFL_PORT_OFF + PORT_CONTROL) {
		port_control(f);
		return;
	}
	if (!f->vf && off >= DFL_PORT_OFF && off < DFL_PORT_OFF + PORT_CONTROL) {
		/* the port header is read-only: undo the store, keep PORT_CONTROL */
		uint64_t ctl = dfl_rd64(bar, DFL_PORT_OFF + PORT_CONTROL);

		dfl_put_port(bar, DFL_PORT_OFF, DFL_PORT_ERR_OFF - DFL_PORT_OFF, 0,
		             DFL_AFU_FROM_PORT);
		dfl_wr64(bar, DFL_PORT_OFF + PORT_CONTROL, ctl);
		return;
	}
	if (off < f->afu || off - f->afu >= 0x1000)
		return;
	r = off - f->afu;
	if (r < 0x20 || (f->parent && r < NLB_SCRATCH)) { /* header, parameters: read-only */
		afu_put_header(f, bar);
		return;
	}
	if (f->hello) /* hello_afu: the scratch register is plain memory */
		return;
	if ((r & ~3ULL) == NLB_CTL) {
		nlb_ctl(f, dfl_rd32(bar, f->afu + NLB_CTL));
	} else if ((r & ~3ULL) == NLB_IRQ_RAISE) {
		uint32_t n = dfl_rd32(bar, f->afu + NLB_IRQ_RAISE);

		if (n < f->msix)
			mock_msix_raise(f->dev, n);
	} else if ((r & ~7ULL) == NLB_STATUS1) {
		dfl_wr64(bar, f->afu + NLB_STATUS1, f->running ? f->lines - f->done : 0);
	}
}

const struct mock_model_ops mock_model_dfl_fpga = {
    .name = "dfl-fpga",
    .defaults = dfl_defaults,
    .create = dfl_create,
    .destroy = dfl_destroy,
    .reset = dfl_reset,
    .reg_width = dfl_reg_width,
    .on_write = dfl_on_write,
    .page_trapped = dfl_page_trapped,
};
