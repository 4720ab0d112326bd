// SPDX-License-Identifier: BSD-3-Clause
/* mmio.c - fpgaRead/WriteMMIO32/64, WriteMMIO512, Map/UnmapMMIO. Each access
 * validates the handle, mmio_num, offset + width <= space size and natural
 * alignment, then makes one volatile access; no lock is taken. */
#include <immintrin.h>
#include <inttypes.h>

#include "plugin_priv.h"

static int have_avx512;

void mmio_detect_cpu(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_avx512 = __builtin_cpu_supports("avx512f");
#endif
}

/* The address of [offset, offset + width) in space mmio_num, or NULL (and
 * one log line saying why). */
static volatile uint8_t *mmio_at(struct pl_handle *s, const char *call, uint32_t num,
                                 uint64_t offset, unsigned width)
{
	const char *addr = s->dev->pci.addr;

	if (num >= s->nspaces) {
		log_err(addr, 0, "%s: mmio_num %" PRIu32 " but the %s has %u MMIO space(s)", call, num,
		         s->token->hdr.objtype == FPGA_DEVICE ? "FPGA device" : "accelerator",
		         s->nspaces);
		return NULL;
	}
	if (offset % width) {
		log_err(addr, 0, "%s: offset 0x%" PRIx64 " is not %u-byte aligned", call, offset, width);
		return NULL;
	}
	if (offset > s->space[num].size || width > s->space[num].size - offset) {
		log_err(addr, 0, "%s: offset 0x%" PRIx64 " + %u is outside MMIO space %" PRIu32
		                  " (0x%" PRIx64 " bytes)",
		         call, offset, width, num, s->space[num].size);
		return NULL;
	}
	return s->space[num].base + offset;
}

static struct pl_handle *enter(fpga_handle h, const char *call, unsigned *shard)
{
	struct pl_handle *s = handle_enter(h, shard);

	if (!s)
		log_err("-", 0, "%s: not an open handle", call);
	return s;
}

/* FPGA_DEVICE handles (the FME) have no MMIO spaces: not supported rather
 * than a bad argument. */
static fpga_result bad(struct pl_handle *s, unsigned shard)
{
	fpga_result r = s->token->hdr.objtype == FPGA_DEVICE ? FPGA_NOT_SUPPORTED : FPGA_INVALID_PARAM;

	handle_leave(s, shard);
	return r;
}

/* One checked access of `type`: `out` is the caller's value pointer (reads)
 * or 1 (writes), `stmt` the access through p. */
#define MMIO_ACCESS(name, call, type, out, stmt)                                                   \
	fpga_result name                                                                           \
	{                                                                                          \
		unsigned shard;                                                                    \
		struct pl_handle *s;                                                               \
		volatile type *p;                                                                  \
                                                                                                   \
		if (!(out)) {                                                                      \
			log_err("-", 0, call ": value pointer is NULL");                          \
			return FPGA_INVALID_PARAM;                                                 \
		}                                                                                  \
		if (!(s = enter(h, call, &shard)))                                                 \
			return FPGA_INVALID_PARAM;                                                 \
		p = (volatile type *)mmio_at(s, call, mmio_num, offset, sizeof(type));             \
		if (!p)                                                                            \
			return bad(s, shard);                                                      \
		stmt;                                                                              \
		handle_leave(s, shard);                                                            \
		return FPGA_OK;                                                                    \
	}

MMIO_ACCESS(pl_write_mmio32(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint32_t value),
            "fpgaWriteMMIO32", uint32_t, 1, *p = value)
MMIO_ACCESS(pl_write_mmio64(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint64_t value),
            "fpgaWriteMMIO64", uint64_t, 1, *p = value)
MMIO_ACCESS(pl_read_mmio32(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint32_t *value),
            "fpgaReadMMIO32", uint32_t, value, *value = *p)
MMIO_ACCESS(pl_read_mmio64(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint64_t *value),
            "fpgaReadMMIO64", uint64_t, value, *value = *p)

#if defined(__x86_64__)
/* One 64-byte store. The compiler barriers keep it where the caller put it
 * relative to other MMIO; the intrinsics declare the zmm use honestly. */
__attribute__((target("avx512f"))) static void store512(volatile uint8_t *dst, const void *src)
{
	__m512i v = _mm512_loadu_si512(src);

	__asm__ __volatile__("" ::: "memory");
	_mm512_store_si512((void *)(uintptr_t)dst, v);
	__asm__ __volatile__("" ::: "memory");
}
#endif

fpga_result pl_write_mmio512(fpga_handle h, uint32_t mmio_num, uint64_t offset, const void *value)
{
	unsigned shard;
	struct pl_handle *s;
	volatile uint8_t *p;

	if (!value) {
		log_err("-", 0, "fpgaWriteMMIO512: value pointer is NULL");
		return FPGA_INVALID_PARAM;
	}
	if (!(s = enter(h, "fpgaWriteMMIO512", &shard)))
		return FPGA_INVALID_PARAM;
	p = mmio_at(s, "fpgaWriteMMIO512", mmio_num, offset, 64);
	if (!p)
		return bad(s, shard);
#if defined(__x86_64__)
	if (have_avx512) {
		store512(p, value);
		handle_leave(s, shard);
		return FPGA_OK;
	}
#endif
	log_err(s->dev->pci.addr, 0, "fpgaWriteMMIO512: this CPU has no AVX-512 (one 64-byte store)");
	handle_leave(s, shard);
	return FPGA_NOT_SUPPORTED;
}

fpga_result pl_map_mmio(fpga_handle h, uint32_t mmio_num, uint64_t **mmio_ptr)
{
	unsigned shard;
	struct pl_handle *s = enter(h, "fpgaMapMMIO", &shard);

	if (!s)
		return FPGA_INVALID_PARAM;
	if (!mmio_at(s, "fpgaMapMMIO", mmio_num, 0, 1))
		return bad(s, shard);
	if (mmio_ptr)
		*mmio_ptr = (uint64_t *)(uintptr_t)s->space[mmio_num].base;
	handle_leave(s, shard);
	return FPGA_OK;
}

fpga_result pl_unmap_mmio(fpga_handle h, uint32_t mmio_num)
{
	unsigned shard;
	struct pl_handle *s = enter(h, "fpgaUnmapMMIO", &shard);

	if (!s)
		return FPGA_INVALID_PARAM;
	if (!mmio_at(s, "fpgaUnmapMMIO", mmio_num, 0, 1))
		return bad(s, shard);
	/* the window stays mapped until fpgaClose (one mapping per device) */
	handle_leave(s, shard);
	return FPGA_OK;
}
