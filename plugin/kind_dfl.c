// SPDX-License-Identifier: BSD-3-Clause
/* kind_dfl.c - device kind "DFL card": the walker's facts become objects (the
 * FME as FPGA_DEVICE, each port's AFU as FPGA_ACCELERATOR with its own MMIO
 * window), and the port reset protocol. Identification only reads; the port
 * is reset only by fpgaReset (and released from a held reset at open). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "plugin_priv.h"

#define PORT_RESET_TIMEOUT_NS 1000000000LL /* a real port acknowledges in microseconds */

static int dfl_identify(struct pl_dev *dev, const struct dfl_bars *bars)
{
	struct dfl_card card;
	struct dfl_error err;
	unsigned n = 0;

	if (dfl_scan(bars, dev->rule.dfl_bar, &card, &err)) {
		log_err(dev->pci.addr, 0,
		         "DFL walk: BAR %u offset 0x%llx: %s; the device is skipped until it is rebound",
		         err.bar, (unsigned long long)err.offset, err.reason);
		return -EPROTO;
	}
	memset(dev->objs, 0, sizeof(dev->objs));
	if (card.has_fme) {
		struct pl_obj *o = &dev->objs[n++];

		o->type = FPGA_DEVICE;
		o->index = 0;
		if (card.has_pr)
			memcpy(o->guid, card.pr_id, 16);
		else
			dfl_guid_from_regs(FME_GUID_H, FME_GUID_L, o->guid);
		o->port = -1;
		o->bbs_id = card.bbs_id;
		o->bbs_md = card.bbs_md;
		o->num_slots = card.nafus;
	}
	for (unsigned k = 0; k < card.nafus; k++) {
		const struct dfl_afu *a = &card.afus[k];
		struct pl_obj *o = &dev->objs[n++];

		o->type = FPGA_ACCELERATOR;
		o->index = 1 + k;
		memcpy(o->guid, a->guid, 16);
		o->nspaces = 1;
		o->space[0].bar = a->bar;
		o->space[0].off = a->afu_offset;
		o->space[0].size = a->mmio_size;
		o->port = a->port;
		o->port_bar = a->bar;
		o->port_off = a->port_offset;
		o->num_irqs = a->port >= 0 ? a->num_irqs : dev->pci.num_vectors;
		if (a->in_reset)
			log_info(dev->pci.addr, "port %d is held in reset; it is released when opened",
			          a->port);
	}
	dev->nobjs = n;
	log_debug(dev->pci.addr, "DFL: %s, %u accelerator(s), %u feature headers",
	           card.has_fme ? "FME" : "no FME", card.nafus, card.num_features);
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Poll PORT_CONTROL until the ack bit equals `want`, with a deadline on the
 * clock (not a count of sleeps, which timer slack stretches). */
static int wait_ack(volatile uint8_t *port, int want)
{
	long long deadline = now_ns() + PORT_RESET_TIMEOUT_NS;
	struct timespec pause = {0, 1000};

	for (;;) {
		int ack = (dfl_read64(port, PORT_CONTROL) & PORT_CTL_SOFT_RESET_ACK) != 0;

		if (ack == want)
			return 0;
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

int dfl_port_reset(volatile uint8_t *port, const char *addr, int assert_first)
{
	volatile uint64_t *ctl = (volatile uint64_t *)(port + PORT_CONTROL);

	if (assert_first) {
		*ctl = *ctl | PORT_CTL_SOFT_RESET;
		if (wait_ack(port, 1)) {
			log_err(addr, ETIMEDOUT,
			         "port reset: PORT_CONTROL never acknowledged the soft reset (bit 4)");
			return -ETIMEDOUT;
		}
	}
	*ctl = *ctl & ~PORT_CTL_SOFT_RESET;
	if (wait_ack(port, 0)) {
		log_err(addr, ETIMEDOUT,
		         "port reset: the reset acknowledgement (bit 4) stayed set after release");
		return -ETIMEDOUT;
	}
	return 0;
}

static fpga_result dfl_reset(struct pl_handle *h)
{
	if (!h->port)
		return session_device_reset(h); /* an AFU without a port: a VF */
	return dfl_port_reset(h->port, h->dev->pci.addr, 1) ? FPGA_EXCEPTION : FPGA_OK;
}

const struct pl_kind_ops pl_kind_dfl = {
    .identify = dfl_identify,
    .reset = dfl_reset,
};

const struct pl_kind_ops *kind_of(const struct pl_dev *dev)
{
	return dev->rule.kind == CFG_KIND_PLAIN ? &pl_kind_plain : &pl_kind_dfl;
}
