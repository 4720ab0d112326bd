// SPDX-License-Identifier: BSD-3-Clause
/* children.c - multi-port AFUs (OPAE §4.11): after an accelerator is opened,
 * its AFU header is probed through the plugin's fpgaReadMMIO64. A DFH v1 AFU
 * header (type 1, version > 0, feature ID 0) whose CSR at +0x20 has bit 31
 * set carries parameter blocks from +0x28; parameter ID 2 lists the GUIDs
 * of child AFUs (count = header >> 36, then low/high qwords per GUID). Each
 * child is found through the same plugin's fpgaEnumerate and opened with
 * FPGA_OPEN_HAS_PARENT_AFU (the parent's plugin handle as input). A DFH v0
 * AFU (NLB0, ...) has no children and costs one read.
 *
 * The walk is bounded (64 parameter blocks, 1 MiB), so a hostile header
 * cannot loop; any failure closes the children opened so far and fails the
 * parent's fpgaOpen, as OPAE does. */
#include <string.h>

#include "fw_priv.h"

#define DFH_TYPE(d)       ((d) >> 60)
#define DFH_VERSION(d)    (((d) >> 52) & 0xff)
#define DFH_FEATURE_ID(d) ((d)&0xfff)
#define DFH_TYPE_AFU      1
#define AFU_CSR_PARAMS    0x20
#define AFU_HAS_PARAMS    (1ull << 31)
#define AFU_PARAMS_START  0x28
#define PARAM_ID(h)       ((h)&0xffff)
#define PARAM_EOP         (1ull << 32)
#define PARAM_NEXT(h)     ((h) >> 35) /* in 8-byte units */
#define PARAM_CHILD_GUIDS 2
#define PARAM_MAX_BLOCKS  64
#define PARAM_MAX_OFFSET  (1u << 20)

static fpga_result rd(const struct fw_handle *h, uint64_t off, uint64_t *v)
{
	return h->adapter->fpgaReadMMIO64(h->plugin_handle, 0, off, v);
}

/* GUID registers (low, high) -> OPAE's big-endian byte array. */
static void guid_from_regs(uint64_t lo, uint64_t hi, fpga_guid g)
{
	for (int i = 0; i < 8; i++) {
		g[i] = (uint8_t)(hi >> (56 - 8 * i));
		g[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
}

/* The child GUIDs of h; returns their number, or -1 on a malformed list. */
static int child_guids(const struct fw_handle *h, fpga_guid *out, uint32_t max)
{
	uint64_t dfh, csr, hdr, off = AFU_PARAMS_START;

	if (rd(h, 0, &dfh) != FPGA_OK || DFH_TYPE(dfh) != DFH_TYPE_AFU || !DFH_VERSION(dfh) ||
	    DFH_FEATURE_ID(dfh) != 0)
		return 0;
	if (rd(h, AFU_CSR_PARAMS, &csr) != FPGA_OK || !(csr & AFU_HAS_PARAMS))
		return 0;
	for (int step = 0; step < PARAM_MAX_BLOCKS && off < PARAM_MAX_OFFSET; step++) {
		if (rd(h, off, &hdr) != FPGA_OK)
			return 0;
		if (PARAM_ID(hdr) == PARAM_CHILD_GUIDS) {
			uint64_t n = hdr >> 36, lo, hi;

			if (n > max) {
				fw_err(
				    "%s: the AFU lists %llu child AFUs; at most %u are supported",
				    h->adapter->plugin.path, (unsigned long long)n, max);
				return -1;
			}
			for (uint64_t i = 0; i < n; i++) {
				if (rd(h, off + 8 + 16 * i, &lo) != FPGA_OK ||
				    rd(h, off + 16 + 16 * i, &hi) != FPGA_OK) {
					fw_err("%s: cannot read child AFU GUID %llu",
					       h->adapter->plugin.path, (unsigned long long)i);
					return -1;
				}
				guid_from_regs(lo, hi, out[i]);
			}
			return (int)n;
		}
		if ((hdr & PARAM_EOP) || !PARAM_NEXT(hdr))
			break;
		off += PARAM_NEXT(hdr) * 8;
	}
	return 0;
}

/* Find the accelerator with guid through the parent's plugin and open it as
 * a child of h (id parent_id). */
static fpga_result open_child(struct fw_handle *h, fpga_handle parent_id, const fpga_guid guid,
                              fpga_handle *child)
{
	const opae_api_adapter_table *a = h->adapter;
	fpga_properties filter = NULL;
	fpga_token raw = NULL;
	struct fw_ptoken *pt;
	uint32_t n = 0;
	fpga_result r;

	r = fw_props_new(&filter);
	if (r != FPGA_OK)
		return r;
	fpgaPropertiesSetObjectType(filter, FPGA_ACCELERATOR);
	fpgaPropertiesSetGUID(filter, (uint8_t *)guid);
	r = a->fpgaEnumerate(&filter, 1, &raw, 1, &n);
	fpgaDestroyProperties(&filter);
	if (r != FPGA_OK || !n || !raw) {
		fw_err("%s: child AFU %02x%02x%02x%02x-...-%02x%02x not found", a->plugin.path,
		       guid[0], guid[1], guid[2], guid[3], guid[14], guid[15]);
		return r != FPGA_OK ? r : FPGA_NOT_FOUND;
	}
	pt = fw_ptoken_new(a, raw);
	if (!pt) {
		if (a->fpgaDestroyToken)
			a->fpgaDestroyToken(&raw);
		return FPGA_NO_MEMORY;
	}
	r = fw_handle_open(pt, parent_id, h->plugin_handle, FPGA_OPEN_HAS_PARENT_AFU, child);
	fw_ptoken_put(pt); /* the child handle holds its own reference */
	return r;
}

fpga_result fw_children_open(struct fw_handle *h, fpga_handle parent_id)
{
	const fpga_token_header *hdr = h->pt->plugin_token;
	fpga_guid guids[FW_MAX_CHILDREN];
	fpga_result r = FPGA_OK;
	int n;

	if (!hdr || hdr->objtype != FPGA_ACCELERATOR || !h->adapter->fpgaReadMMIO64 ||
	    !h->adapter->fpgaGetWSInfo)
		return FPGA_OK;
	n = child_guids(h, guids, FW_MAX_CHILDREN);
	if (n < 0)
		return FPGA_EXCEPTION;
	for (int i = 0; i < n && r == FPGA_OK; i++) {
		r = open_child(h, parent_id, guids[i], &h->children[i]);
		if (r == FPGA_OK)
			h->num_children++;
	}
	if (n)
		fw_dbg("%s: opened %u of %d child AFUs", h->adapter->plugin.path, h->num_children,
		       n);
	return r;
}
