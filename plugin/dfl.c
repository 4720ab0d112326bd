// SPDX-License-Identifier: BSD-3-Clause
/* dfl.c - the read-only Device Feature List walker (see dfl.h): FME -> PR
 * interface id, bitstream id, ports -> AFUs; or a list that starts with an
 * AFU or a port (a VF). Loads only; every offset is checked before use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dfl.h"

/* Headers already walked, across all lists of one card: a list that runs
 * into another (or into itself through a port register) is a cycle. */
struct walk {
	const struct dfl_bars *bars;
	struct dfl_error *err;
	unsigned n;
	struct {
		unsigned bar;
		uint64_t off;
	} seen[DFL_MAX_FEATURES];
};

static int fail(struct walk *w, unsigned bar, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct walk *w, unsigned bar, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	w->err->bar = bar;
	w->err->offset = off;
	va_start(ap, fmt);
	vsnprintf(w->err->reason, sizeof(w->err->reason), fmt, ap);
	va_end(ap);
	return -1;
}

void dfl_guid_from_regs(uint64_t hi, uint64_t lo, uint8_t guid[16])
{
	for (int i = 0; i < 8; i++) {
		guid[i] = (uint8_t)(hi >> (56 - 8 * i));
		guid[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

/* [off, off + len) lies inside BAR `bar` (no overflow). */
static int inside(const struct walk *w, unsigned bar, uint64_t off, uint64_t len)
{
	size_t size = w->bars->len[bar];

	return len <= size && off <= size - len;
}

static int read_guid(struct walk *w, unsigned bar, uint64_t off, uint64_t lo_at, uint64_t hi_at,
                     uint8_t guid[16], const char *what)
{
	const volatile uint8_t *b = w->bars->base[bar];

	if (!inside(w, bar, off + lo_at, 8) || !inside(w, bar, off + hi_at, 8))
		return fail(w, bar, off, "%s (+0x%llx..+0x%llx) extends past the end of the BAR (0x%zx bytes)",
		            what, (unsigned long long)(lo_at < hi_at ? lo_at : hi_at),
		            (unsigned long long)((lo_at > hi_at ? lo_at : hi_at) + 8), w->bars->len[bar]);
	dfl_guid_from_regs(dfl_read64(b, off + hi_at), dfl_read64(b, off + lo_at), guid);
	return 0;
}

/* Record one header; refuse one seen before in an earlier list. */
static int visit(struct walk *w, unsigned bar, uint64_t off, unsigned list_start)
{
	for (unsigned i = 0; i < list_start; i++)
		if (w->seen[i].bar == bar && w->seen[i].off == off)
			return fail(w, bar, off,
			            "feature list loops: this header was already walked in another list");
	if (w->n == DFL_MAX_FEATURES)
		return fail(w, bar, off, "more than %d feature headers without an end of list",
		            DFL_MAX_FEATURES);
	w->seen[w->n].bar = bar;
	w->seen[w->n].off = off;
	w->n++;
	return 0;
}

/* Called for each header of a list; non-zero stops the walk with an error. */
typedef int (*feature_fn)(struct walk *w, unsigned bar, uint64_t off, uint64_t dfh, void *arg);

/* Follow `next` from `start` until EOL or next == 0. Offsets only grow (next
 * is unsigned and added in 64 bits), so one list cannot cycle by itself. */
static int walk_list(struct walk *w, unsigned bar, uint64_t start, feature_fn fn, void *arg)
{
	const volatile uint8_t *b = w->bars->base[bar];
	unsigned list_start = w->n;
	uint64_t off = start;

	for (;;) {
		uint64_t dfh, next;

		if (off % 8)
			return fail(w, bar, off, "feature header is not 8-byte aligned");
		if (!inside(w, bar, off, 8))
			return fail(w, bar, off, "feature header is outside the BAR (0x%zx bytes)",
			            w->bars->len[bar]);
		if (visit(w, bar, off, list_start))
			return -1;
		dfh = dfl_read64(b, off);
		if (fn && fn(w, bar, off, dfh, arg))
			return -1;
		next = DFH_NEXT(dfh);
		if (DFH_EOL(dfh) || next == 0)
			return 0;
		if (!inside(w, bar, off + next, 8))
			return fail(w, bar, off,
			            "next feature (+0x%llx) is outside the BAR (0x%zx bytes)",
			            (unsigned long long)next, w->bars->len[bar]);
		off += next;
	}
}

static int on_fme_feature(struct walk *w, unsigned bar, uint64_t off, uint64_t dfh, void *arg)
{
	struct dfl_card *card = arg;

	card->num_features++;
	if (DFH_TYPE(dfh) == DFH_TYPE_PRIVATE && DFH_ID(dfh) == DFH_ID_PR && !card->has_pr) {
		if (read_guid(w, bar, off, PR_INTFC_ID_L, PR_INTFC_ID_H, card->pr_id,
		              "PR feature's interface id"))
			return -1;
		card->has_pr = 1;
	}
	return 0;
}

static int on_other_feature(struct walk *w, unsigned bar, uint64_t off, uint64_t dfh, void *arg)
{
	(void)w;
	(void)bar;
	(void)off;
	(void)dfh;
	((struct dfl_card *)arg)->num_features++;
	return 0;
}

/* The AFU at `off`: its header, GUID and own feature list. */
static int scan_afu(struct walk *w, struct dfl_card *card, struct dfl_afu *a, unsigned bar,
                    uint64_t off, uint64_t span)
{
	uint64_t dfh;

	if (off % 8 || !inside(w, bar, off, DFL_GUID_H + 8))
		return fail(w, bar, off, "AFU header%s is outside the BAR (0x%zx bytes)",
		            off % 8 ? " (unaligned)" : "", w->bars->len[bar]);
	dfh = dfl_read64(w->bars->base[bar], off);
	if (DFH_TYPE(dfh) != DFH_TYPE_AFU)
		return fail(w, bar, off, "expected an AFU header (DFH type 1), found type %u id 0x%x",
		            DFH_TYPE(dfh), DFH_ID(dfh));
	if (read_guid(w, bar, off, DFL_GUID_L, DFL_GUID_H, a->guid, "AFU GUID"))
		return -1;
	if (walk_list(w, bar, off, on_other_feature, card))
		return -1;
	a->bar = bar;
	a->afu_offset = off;
	/* MMIO space 0: the declared span, clipped to the BAR */
	a->mmio_size = span && inside(w, bar, off, span) ? span : w->bars->len[bar] - off;
	return 0;
}

/* Port behind FME port register p: port header, its list, its AFU. */
static int scan_port(struct walk *w, struct dfl_card *card, unsigned p, uint64_t reg)
{
	struct dfl_afu *a = &card->afus[card->nafus];
	unsigned bar = FME_PORT_BAR(reg);
	uint64_t off = FME_PORT_OFFSET(reg), dfh, cap, next_afu;
	const volatile uint8_t *b;

	if (bar >= DFL_NUM_BARS || !w->bars->base[bar])
		return fail(w, card->fme_bar, FME_PORT0 + 8 * p,
		            "port %u is in BAR %u, which the device does not have (or cannot map)", p,
		            bar);
	if (off % 8 || !inside(w, bar, off, PORT_REGS_END))
		return fail(w, bar, off, "port %u's registers (+0..+0x%x) are outside BAR %u (0x%zx bytes)",
		            p, PORT_REGS_END, bar, w->bars->len[bar]);
	b = w->bars->base[bar];
	dfh = dfl_read64(b, off);
	if (DFH_TYPE(dfh) != DFH_TYPE_FIU || DFH_ID(dfh) != DFH_ID_PORT)
		return fail(w, bar, off, "port %u: expected a port header (type 4, id 1), found type %u id 0x%x",
		            p, DFH_TYPE(dfh), DFH_ID(dfh));
	if (walk_list(w, bar, off, on_other_feature, card))
		return -1;
	memset(a, 0, sizeof(*a));
	a->port = (int)p;
	a->port_offset = off;
	cap = dfl_read64(b, off + PORT_CAPABILITY);
	a->num_irqs = PORT_CAP_NUM_IRQS(cap);
	a->in_reset = (dfl_read64(b, off + PORT_CONTROL) & PORT_CTL_SOFT_RESET) != 0;
	next_afu = dfl_read64(b, off + PORT_NEXT_AFU) & 0xffffff;
	if (next_afu == 0)
		return fail(w, bar, off + PORT_NEXT_AFU, "port %u has no AFU (PORT_NEXT_AFU is 0)", p);
	if (scan_afu(w, card, a, bar, off + next_afu, PORT_CAP_MMIO_KIB(cap) * 1024))
		return -1;
	card->nafus++;
	return 0;
}

static int scan_fme(struct walk *w, struct dfl_card *card, unsigned bar)
{
	const volatile uint8_t *b = w->bars->base[bar];

	if (!inside(w, bar, 0, FME_PORT0 + 8 * FME_NUM_PORT_REGS) ||
	    !inside(w, bar, FME_BITSTREAM_MD, 8))
		return fail(w, bar, 0, "FME registers (+0..+0x70) extend past the end of the BAR (0x%zx bytes)",
		            w->bars->len[bar]);
	card->has_fme = 1;
	card->fme_bar = bar;
	card->bbs_id = dfl_read64(b, FME_BITSTREAM_ID);
	card->bbs_md = dfl_read64(b, FME_BITSTREAM_MD);
	if (walk_list(w, bar, 0, on_fme_feature, card))
		return -1;
	for (unsigned p = 0; p < FME_NUM_PORT_REGS; p++) {
		uint64_t reg = dfl_read64(b, FME_PORT0 + 8 * p);

		if ((reg & FME_PORT_IMPLEMENTED) && scan_port(w, card, p, reg))
			return -1;
	}
	return 0;
}

int dfl_scan(const struct dfl_bars *bars, unsigned bar, struct dfl_card *card,
             struct dfl_error *err)
{
	struct walk w;
	uint64_t dfh;

	memset(card, 0, sizeof(*card));
	memset(err, 0, sizeof(*err));
	w.bars = bars;
	w.err = err;
	w.n = 0;
	if (bar >= DFL_NUM_BARS || !bars->base[bar])
		return fail(&w, bar, 0, "the feature list's BAR is not mapped (absent or not mmap-able)");
	if (!inside(&w, bar, 0, 8))
		return fail(&w, bar, 0, "the BAR (0x%zx bytes) is too small for a feature header",
		            bars->len[bar]);
	dfh = dfl_read64(bars->base[bar], 0);
	if (DFH_TYPE(dfh) == DFH_TYPE_FIU && DFH_ID(dfh) == DFH_ID_FME)
		return scan_fme(&w, card, bar);
	if (DFH_TYPE(dfh) == DFH_TYPE_FIU && DFH_ID(dfh) == DFH_ID_PORT) {
		/* a port at the start (some VFs): as if an FME listed it */
		card->fme_bar = bar;
		return scan_port(&w, card, 0, FME_PORT_IMPLEMENTED | (uint64_t)bar << 32);
	}
	if (DFH_TYPE(dfh) == DFH_TYPE_AFU) {
		struct dfl_afu *a = &card->afus[0];

		memset(a, 0, sizeof(*a));
		a->port = -1;
		if (scan_afu(&w, card, a, bar, 0, 0))
			return -1;
		card->nafus = 1;
		return 0;
	}
	return fail(&w, bar, 0,
	            "no feature list: the first header (type %u, id 0x%x) is not an FME, a port or an AFU",
	            DFH_TYPE(dfh), DFH_ID(dfh));
}
