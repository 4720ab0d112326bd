/* SPDX-License-Identifier: BSD-3-Clause */
/* dfl.h - the Device Feature List register map (DFH, FME, port, AFU) and the
 * pure, read-only walker that turns a card's BARs into FME/port/AFU facts.
 *
 * The walker only loads (never stores), checks every offset against the BAR
 * length before reading, stops after DFL_MAX_FEATURES headers per list and
 * refuses a header visited twice, so a hostile list ends in an error naming
 * the BAR, the offset and the reason. Facts: docs/references.md §3.
 */
#ifndef PLUGIN_DFL_H
#define PLUGIN_DFL_H

#include <stddef.h>
#include <stdint.h>

/* DFH (64-bit register at feature + 0) */
#define DFH_ID(h)       ((unsigned)((h)&0xfff))
#define DFH_NEXT(h)     (((h) >> 16) & 0xffffff)
#define DFH_EOL(h)      (((h) >> 40) & 1)
#define DFH_TYPE(h)     ((unsigned)((h) >> 60))
#define DFH_TYPE_AFU     1
#define DFH_TYPE_PRIVATE 3
#define DFH_TYPE_FIU     4
#define DFH_ID_FME       0x000
#define DFH_ID_PORT      0x001
#define DFH_ID_PR        0x005

/* Every feature header: GUID low/high after the DFH */
#define DFL_GUID_L 0x08
#define DFL_GUID_H 0x10

/* FME registers (from the FME DFH) */
#define FME_PORT0            0x38 /* PORT1..3 follow at +8 each */
#define FME_NUM_PORT_REGS    4
#define FME_BITSTREAM_ID     0x60
#define FME_BITSTREAM_MD     0x68
#define FME_PORT_OFFSET(r)   ((r)&0xffffff)
#define FME_PORT_BAR(r)      ((unsigned)(((r) >> 32) & 7))
#define FME_PORT_IMPLEMENTED (1ULL << 60)
#define PR_INTFC_ID_L        0xA8
#define PR_INTFC_ID_H        0xB0

/* Port registers (from the port DFH) */
#define PORT_NEXT_AFU          0x18
#define PORT_CAPABILITY        0x30
#define PORT_CONTROL           0x38
#define PORT_REGS_END          0x40
#define PORT_CAP_MMIO_KIB(c)   (((c) >> 8) & 0xffff)
#define PORT_CAP_NUM_IRQS(c)   ((unsigned)(((c) >> 32) & 0xf))
#define PORT_CTL_SOFT_RESET    (1ULL << 0)
#define PORT_CTL_SOFT_RESET_ACK (1ULL << 4)

/* The FME's identity: BFAF2AE9-4A52-46E3-82FE-38F0F9E17764 */
#define FME_GUID_H 0xBFAF2AE94A5246E3ULL
#define FME_GUID_L 0x82FE38F0F9E17764ULL

/* A real FME has a handful of features; this bounds hostile lists. */
#define DFL_MAX_FEATURES 1024
#define DFL_MAX_AFUS     FME_NUM_PORT_REGS
#define DFL_NUM_BARS     6

/* The BARs as mapped (read-only is enough): base NULL = not mapped. */
struct dfl_bars {
	const volatile uint8_t *base[DFL_NUM_BARS];
	size_t len[DFL_NUM_BARS];
};

/* One accelerator found in the list: behind an FME port, or an AFU the list
 * starts with (a VF). Offsets are from the start of `bar`. */
struct dfl_afu {
	int port;             /* FME port register 0..3, or -1 (no port) */
	unsigned bar;
	uint64_t port_offset; /* port DFH (when port >= 0) */
	uint64_t afu_offset;  /* AFU DFH: MMIO space 0 starts here */
	uint64_t mmio_size;   /* bytes of MMIO space 0 (within the BAR) */
	unsigned num_irqs;    /* PORT_CAPABILITY's count (0 without a port) */
	int in_reset;         /* port held in soft reset when walked */
	uint8_t guid[16];     /* fpga_guid byte order */
};

struct dfl_card {
	int has_fme;
	/* FME facts (has_fme) */
	unsigned fme_bar;
	uint64_t bbs_id, bbs_md;
	int has_pr;
	uint8_t pr_id[16]; /* PR interface id (fpga_guid order), when has_pr */
	unsigned num_features;
	/* Accelerators, in port-register order (or the one AFU of a VF) */
	unsigned nafus;
	struct dfl_afu afus[DFL_MAX_AFUS];
};

struct dfl_error {
	unsigned bar;
	uint64_t offset;
	char reason[200];
};

/* Walk the feature list that starts at offset 0 of bars->base[bar]. Returns 0
 * and fills *card, or -1 and fills *err (card contents then undefined). */
int dfl_scan(const struct dfl_bars *bars, unsigned bar, struct dfl_card *card,
             struct dfl_error *err);

/* 64-bit register pair (low at +0x08, high at +0x10 style) -> fpga_guid. */
void dfl_guid_from_regs(uint64_t hi, uint64_t lo, uint8_t guid[16]);

static inline uint64_t dfl_read64(const volatile uint8_t *base, uint64_t off)
{
	return *(const volatile uint64_t *)(base + off);
}

#endif /* PLUGIN_DFL_H */
