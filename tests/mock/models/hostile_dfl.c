/* SPDX-License-Identifier: BSD-3-Clause */
/* models/hostile-dfl.c - FPGA-looking devices whose device feature lists are
 * broken on purpose, to prove DFL walkers are bounded and bounds-checked.
 *
 * Every kind starts from the valid dfl-fpga PF map (dfl_common.h) and breaks
 * one thing; see the table below and docs/dfl-model.md. All BAR memory is
 * plain (untrapped): a walker reads it at full speed. Writes through pwrite
 * are counted and logged at destroy (VFIO_MOCK_LOG=1) because a walker must
 * never write while enumerating; stores through an mmap change the BAR
 * memory, which the standalone model test checks instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../mock_model.h"
#include "dfl_common.h"

#define HOSTILE_TRUNCATED_SIZE 0x1000ULL

enum hostile_kind {
	K_LOOP,
	K_OFFSET24,
	K_NEXT_BEYOND,
	K_NEXT_STRADDLE,
	K_ZERO_NEXT,
	K_ENDLESS,
	K_PORT_OUTSIDE,
	K_PORT_BAD_BAR,
	K_AFU_OUTSIDE,
	K_PR_GUID_OUTSIDE,
	K_TRUNCATED,
};

static const char *const kind_names[] = {
    [K_LOOP] = "loop",
    [K_OFFSET24] = "offset24",
    [K_NEXT_BEYOND] = "next-beyond",
    [K_NEXT_STRADDLE] = "next-straddle",
    [K_ZERO_NEXT] = "zero-next",
    [K_ENDLESS] = "endless",
    [K_PORT_OUTSIDE] = "port-outside",
    [K_PORT_BAD_BAR] = "port-bad-bar",
    [K_AFU_OUTSIDE] = "afu-outside",
    [K_PR_GUID_OUTSIDE] = "pr-guid-outside",
    [K_TRUNCATED] = "truncated",
};

struct hostile {
	struct mock_dev *dev;
	enum hostile_kind kind;
	uint64_t size;
	uint64_t writes;
};

static void hostile_defaults(struct mock_dev_config *cfg)
{
	cfg->vendor = 0x8086;
	cfg->device = 0xbcce;
	cfg->subsystem_vendor = 0x8086;
	cfg->subsystem_device = 0x1770;
	cfg->class_code = 0x120000;
	cfg->revision = 0x01;
	cfg->bar[0].size = DFL_PF_BAR0_SIZE;
	cfg->bar[0].mmap = 1;
	cfg->irq_count[2] = 7;
	cfg->pcie = 1;
	cfg->reset = 1;
}

/* Lay out the kind. The valid map is written first (where it fits) and then
 * broken in exactly one way, so each kind tests one walker check. */
static void build(struct hostile *h)
{
	uint8_t *bar = mock_bar_mem(h->dev, 0);
	uint64_t off;

	memset(bar, 0, h->size);
	if (h->kind == K_TRUNCATED) {
		/* a good FME header and GUID, but the chain and the port register
		 * point past the 4 KiB BAR the device really has */
		dfl_put_fme(bar, 0, DFL_PR_OFF, 0);
		dfl_wr64(bar, FME_PORT0, dfl_port_reg(0, DFL_PORT_OFF));
		return;
	}
	dfl_build_pf_bar0(bar);
	switch (h->kind) {
	case K_LOOP:
		/* FME -> PR -> 0x2000 whose next (0xfff000) overflows 24 bits back
		 * onto the PR at 0x1000: a walker that keeps offsets in 24 bits
		 * circles forever. The true sum (0x1001000) is past the BAR. The port
		 * register points at the FME itself (offset 0): a walker that
		 * recurses into ports re-enters the FME. */
		dfl_put_pr(bar, DFL_PR_OFF, 0x1000, 0);
		dfl_wr64(bar, 0x2000, dfh_make(DFH_TYPE_PRIVATE, 0x7, 0, 0xfff000, 0));
		dfl_wr64(bar, FME_PORT0, dfl_port_reg(0, 0));
		break;
	case K_OFFSET24:
		/* the next field at its maximum (0xffffff, unaligned, past the BAR)
		 * and a port register whose reserved bits 31:24 are set above a
		 * valid 24-bit offset: only the masked value (0x40000) is right */
		dfl_put_pr(bar, DFL_PR_OFF, DFH_NEXT_MAX, 0);
		dfl_wr64(bar, FME_PORT0, dfl_port_reg(0, DFL_PORT_OFF) | 0xff000000ULL);
		break;
	case K_NEXT_BEYOND:
		/* PR's next points 16 MiB - 4 KiB ahead: far outside the 1 MiB BAR */
		dfl_put_pr(bar, DFL_PR_OFF, 0xfff000, 0);
		break;
	case K_NEXT_STRADDLE:
		/* the next DFH starts 4 bytes before the end of BAR0: a 64-bit read
		 * of it crosses the end */
		dfl_put_pr(bar, DFL_PR_OFF, h->size - 4 - DFL_PR_OFF, 0);
		break;
	case K_ZERO_NEXT:
		/* next = 0 with EOL clear: "no next" must end the walk, not spin on
		 * the same header */
		dfl_put_pr(bar, DFL_PR_OFF, 0, 0);
		break;
	case K_ENDLESS:
		/* FME, then a private feature every 16 bytes from 0x1000 to the end
		 * of the BAR (65280 of them), none with EOL; only the last one's next
		 * leaves the BAR. No port: the FME's port register is cleared. */
		memset(bar + DFL_PR_OFF, 0, h->size - DFL_PR_OFF);
		dfl_wr64(bar, FME_PORT0, 0);
		for (off = DFL_PR_OFF; off + 16 <= h->size; off += 16)
			dfl_wr64(bar, off, dfh_make(DFH_TYPE_PRIVATE, 0x7, 0, 16, 0));
		break;
	case K_PORT_OUTSIDE:
		/* a valid-looking 24-bit port offset 8 MiB into a 1 MiB BAR */
		dfl_wr64(bar, FME_PORT0, dfl_port_reg(0, 0x800000));
		break;
	case K_PORT_BAD_BAR:
		/* the port is "in BAR 2", which this device does not implement */
		dfl_wr64(bar, FME_PORT0, dfl_port_reg(2, DFL_PORT_OFF));
		break;
	case K_AFU_OUTSIDE:
		/* PORT_NEXT_AFU sends the AFU 16 MiB - 1 past the port */
		dfl_wr64(bar, DFL_PORT_OFF + PORT_NEXT_AFU, 0xffffff);
		break;
	case K_PR_GUID_OUTSIDE:
		/* the PR feature's last 0x80 bytes are in the BAR, its interface
		 * GUID (+0xA8/+0xB0) is not */
		memset(bar + DFL_PR_OFF, 0, 0x100);
		dfl_wr64(bar, DFL_PR_OFF,
		         dfh_make(DFH_TYPE_PRIVATE, 0x7, 0, h->size - 0x80 - DFL_PR_OFF, 0));
		dfl_wr64(bar, h->size - 0x80, dfh_make(DFH_TYPE_PRIVATE, DFL_ID_FME_PR, 1, 0, 1));
		break;
	case K_TRUNCATED:
		break;
	}
}

static int hostile_create(struct mock_dev *d, const struct mock_dev_config *cfg, void **state)
{
	struct json_object *k;
	const char *s = NULL;
	struct hostile *h;
	int kind = -1;

	if (cfg->params && json_object_object_get_ex(cfg->params, "kind", &k))
		s = json_object_get_string(k);
	for (unsigned i = 0; s && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(s, kind_names[i]))
			kind = (int)i;
	if (kind < 0) {
		mock_log(0,
		         "hostile-dfl %s: params.kind \"%s\" is not one of loop, offset24, "
		         "next-beyond, next-straddle, zero-next, endless, port-outside, "
		         "port-bad-bar, afu-outside, pr-guid-outside, truncated",
		         cfg->address, s ? s : "(missing)");
		return -1;
	}
	/* truncated owns its BAR size; the others need the full PF map */
	if (cfg->bar[0].size != (kind == K_TRUNCATED ? HOSTILE_TRUNCATED_SIZE : DFL_PF_BAR0_SIZE)) {
		mock_log(0, "hostile-dfl %s: kind %s needs BAR0 of 0x%llx bytes", cfg->address, s,
		         kind == K_TRUNCATED ? HOSTILE_TRUNCATED_SIZE : DFL_PF_BAR0_SIZE);
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->dev = d;
	h->kind = (enum hostile_kind)kind;
	h->size = cfg->bar[0].size;
	build(h);
	*state = h;
	return 0;
}

static void hostile_destroy(void *state)
{
	struct hostile *h = state;

	if (h->writes)
		mock_log(1, "hostile-dfl (%s): %llu writes to the device", kind_names[h->kind],
		         (unsigned long long)h->writes);
	free(h);
}

static void hostile_reset(void *state)
{
	build(state);
}

static void hostile_on_write(void *state, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
	struct hostile *h = state;

	(void)bar;
	(void)off;
	(void)size;
	(void)value;
	h->writes++;
}

static int hostile_page_trapped(void *state, unsigned bar, uint64_t page_off)
{
	(void)state;
	(void)bar;
	(void)page_off;
	return 0;
}

const struct mock_model_ops mock_model_hostile_dfl = {
    .name = "hostile-dfl",
    .defaults = hostile_defaults,
    .create = hostile_create,
    .destroy = hostile_destroy,
    .reset = hostile_reset,
    .on_write = hostile_on_write,
    .page_trapped = hostile_page_trapped,
};
