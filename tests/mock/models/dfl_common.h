/* SPDX-License-Identifier: BSD-3-Clause */
/* models/dfl_common.h - Device Feature List layout shared by the dfl-fpga and
 * hostile-dfl models: DFH encoding, GUID registers, the standard FME/port/AFU map.
 *
 * Header-only (static inline) because both models are compiled into the same
 * libvfiomock.so and the standalone model test; nothing here keeps state.
 * Register facts: docs/references.md §3, §4 (and docs/dfl-model.md).
 */
#ifndef DFL_COMMON_H
#define DFL_COMMON_H

#include <stdint.h>
#include <string.h>

/* DFH bit fields (64-bit register at feature + 0) */
#define DFH_TYPE_AFU     1ULL
#define DFH_TYPE_PRIVATE 3ULL
#define DFH_TYPE_FIU     4ULL
#define DFH_EOL          (1ULL << 40)
#define DFH_NEXT_MAX     0xffffffULL

#define DFL_ID_FME      0x000
#define DFL_ID_PORT     0x001
#define DFL_ID_FME_PR   0x005
#define DFL_ID_FME_GERR 0x004
#define DFL_ID_PORT_ERR 0x010

/* The standard layout of a dfl-fpga PF BAR0 (1 MiB). */
#define DFL_PF_BAR0_SIZE  0x100000ULL
#define DFL_FME_OFF       0x00000ULL
#define DFL_PR_OFF        0x01000ULL
#define DFL_GERR_OFF      0x04000ULL
#define DFL_PORT_OFF      0x40000ULL
#define DFL_PORT_ERR_OFF  0x41000ULL
#define DFL_AFU_FROM_PORT 0x20000ULL /* PORT_NEXT_AFU */
#define DFL_PF_AFU_OFF    (DFL_PORT_OFF + DFL_AFU_FROM_PORT)
#define DFL_VF_BAR0_SIZE  0x40000ULL /* VF: the AFU alone, at 0 */

/* FME registers (from the FME DFH) */
#define FME_FAB_CAP          0x30
#define FME_PORT0            0x38 /* PORT1..3 at 0x40, 0x48, 0x50 */
#define FME_BITSTREAM_ID     0x60
#define FME_BITSTREAM_MD     0x68
#define FME_PORT_IMPLEMENTED (1ULL << 60)
#define FME_PORT_BAR_SHIFT   32
#define PR_INTFC_ID_L        0xA8
#define PR_INTFC_ID_H        0xB0

/* Port registers (from the port DFH) */
#define PORT_NEXT_AFU       0x18
#define PORT_CAPABILITY     0x30
#define PORT_CONTROL        0x38
#define PORT_CTL_SFTRST     (1ULL << 0)
#define PORT_CTL_SFTRST_ACK (1ULL << 4)

/* Feature header fields shared by every DFH */
#define DFH_GUID_L   0x08
#define DFH_GUID_H   0x10
#define AFU_NEXT_AFU 0x18

/* Identities (GUID high/low register values, docs/references.md §3) */
#define FME_GUID_H  0xBFAF2AE94A5246E3ULL
#define FME_GUID_L  0x82FE38F0F9E17764ULL
#define NLB0_GUID_H 0xD8424DC4A4A3C413ULL
#define NLB0_GUID_L 0xF89E433683F9040BULL
/* The mock's PR interface id ("compat id"): 6f7061652d766669-6f2d6d6f636b2d70
 * = ASCII "opae-vfio-mock-p", so it is recognisably not a real platform's. */
#define MOCK_PR_ID_H      0x6F7061652D766669ULL
#define MOCK_PR_ID_L      0x6F2D6D6F636B2D70ULL
#define MOCK_BITSTREAM_ID 0x0143000000C0FFEEULL /* BBS 1.4.3 */
#define MOCK_BITSTREAM_MD 0x0000000020261123ULL /* build date 2026-11-23 */

static inline uint64_t dfh_make(uint64_t type, uint64_t id, uint64_t rev, uint64_t next, int eol)
{
	return type << 60 | (next & DFH_NEXT_MAX) << 16 | (rev & 0xf) << 12 | (id & 0xfff) |
	       (eol ? DFH_EOL : 0);
}

/* BAR memory is little-endian like the device; x86-64 hosts only (the mock
 * itself is x86-64 only because of the single-step trap). */
static inline void dfl_wr64(uint8_t *bar, uint64_t off, uint64_t v)
{
	memcpy(bar + off, &v, 8);
}

static inline uint64_t dfl_rd64(const uint8_t *bar, uint64_t off)
{
	uint64_t v;

	memcpy(&v, bar + off, 8);
	return v;
}

static inline void dfl_wr32(uint8_t *bar, uint64_t off, uint32_t v)
{
	memcpy(bar + off, &v, 4);
}

static inline uint32_t dfl_rd32(const uint8_t *bar, uint64_t off)
{
	uint32_t v;

	memcpy(&v, bar + off, 4);
	return v;
}

static inline void dfl_put_guid(uint8_t *bar, uint64_t feature, uint64_t hi, uint64_t lo)
{
	dfl_wr64(bar, feature + DFH_GUID_L, lo);
	dfl_wr64(bar, feature + DFH_GUID_H, hi);
}

/* FME header at `fme` with `ports` port registers filled by the caller. */
static inline void dfl_put_fme(uint8_t *bar, uint64_t fme, uint64_t next, int eol)
{
	dfl_wr64(bar, fme, dfh_make(DFH_TYPE_FIU, DFL_ID_FME, 0, next, eol));
	dfl_put_guid(bar, fme, FME_GUID_H, FME_GUID_L);
	/* fabric version 1, 1 port (bits 19:17), 48-bit addresses (29:24) */
	dfl_wr64(bar, fme + FME_FAB_CAP, 1ULL | 1ULL << 17 | 48ULL << 24);
	dfl_wr64(bar, fme + FME_BITSTREAM_ID, MOCK_BITSTREAM_ID);
	dfl_wr64(bar, fme + FME_BITSTREAM_MD, MOCK_BITSTREAM_MD);
}

static inline uint64_t dfl_port_reg(uint64_t bar_index, uint64_t offset)
{
	return FME_PORT_IMPLEMENTED | (bar_index & 7) << FME_PORT_BAR_SHIFT | (offset & 0xffffff);
}

static inline void dfl_put_pr(uint8_t *bar, uint64_t pr, uint64_t next, int eol)
{
	dfl_wr64(bar, pr, dfh_make(DFH_TYPE_PRIVATE, DFL_ID_FME_PR, 1, next, eol));
	dfl_wr64(bar, pr + PR_INTFC_ID_L, MOCK_PR_ID_L);
	dfl_wr64(bar, pr + PR_INTFC_ID_H, MOCK_PR_ID_H);
}

/* Port header: capability = port 0, 128 KiB MMIO (bits 23:8, in KiB), 4 IRQs. */
static inline void dfl_put_port(uint8_t *bar, uint64_t port, uint64_t next, int eol,
                                uint64_t afu_from_port)
{
	dfl_wr64(bar, port, dfh_make(DFH_TYPE_FIU, DFL_ID_PORT, 0, next, eol));
	dfl_wr64(bar, port + PORT_NEXT_AFU, afu_from_port & 0xffffff);
	dfl_wr64(bar, port + PORT_CAPABILITY, 0x80ULL << 8 | 4ULL << 32);
	dfl_wr64(bar, port + PORT_CONTROL, 0);
}

/* NLB0 AFU header: type AFU, DFH version 0 (no child-AFU parameters), EOL. */
static inline void dfl_put_nlb0_header(uint8_t *bar, uint64_t afu)
{
	dfl_wr64(bar, afu, dfh_make(DFH_TYPE_AFU, 0, 0, 0, 1));
	dfl_put_guid(bar, afu, NLB0_GUID_H, NLB0_GUID_L);
	dfl_wr64(bar, afu + AFU_NEXT_AFU, 0);
}

/* The complete PF map: FME -> PR -> global error (EOL); port -> port error
 * (EOL); NLB0 at port + PORT_NEXT_AFU. `bar` must be DFL_PF_BAR0_SIZE long. */
static inline void dfl_build_pf_bar0(uint8_t *bar)
{
	dfl_put_fme(bar, DFL_FME_OFF, DFL_PR_OFF - DFL_FME_OFF, 0);
	dfl_wr64(bar, DFL_FME_OFF + FME_PORT0, dfl_port_reg(0, DFL_PORT_OFF));
	dfl_put_pr(bar, DFL_PR_OFF, DFL_GERR_OFF - DFL_PR_OFF, 0);
	dfl_wr64(bar, DFL_GERR_OFF, dfh_make(DFH_TYPE_PRIVATE, DFL_ID_FME_GERR, 1, 0, 1));
	dfl_put_port(bar, DFL_PORT_OFF, DFL_PORT_ERR_OFF - DFL_PORT_OFF, 0, DFL_AFU_FROM_PORT);
	dfl_wr64(bar, DFL_PORT_ERR_OFF, dfh_make(DFH_TYPE_PRIVATE, DFL_ID_PORT_ERR, 1, 0, 1));
	dfl_put_nlb0_header(bar, DFL_PF_AFU_OFF);
}

#endif /* DFL_COMMON_H */
