// SPDX-License-Identifier: BSD-3-Clause
/* buffer.c - shared buffers: fpgaPrepareBuffer (with the "is preallocation
 * supported?" probe: len 0, no buffer, FPGA_BUF_PREALLOCATED), release, I/O
 * address, SVA. Buffers belong to top-level handles: a child AFU handle
 * refuses them, and a parent's buffers are pinned into its children at the
 * same I/O address (unpinned before release). */
#include "fw_priv.h"

/* Pin buffer wsid of parent h into every child; on failure unpin the
 * children done so far. */
static fpga_result pin_children(const struct fw_handle *h, uint64_t wsid)
{
	const opae_api_adapter_table *a = h->adapter;
	uint64_t ioaddr = 0, len = 0;
	void *buf = NULL;
	fpga_result r;
	uint32_t i;

	if (!h->num_children)
		return FPGA_OK;
	if (!a->fpgaGetWSInfo || !a->fpgaPinBuffer)
		return FPGA_NOT_SUPPORTED;
	r = a->fpgaGetWSInfo(h->plugin_handle, wsid, &ioaddr, &buf, &len);
	if (r != FPGA_OK)
		return r;
	for (i = 0; i < h->num_children; i++) {
		const struct fw_handle *c = fw_handle_lookup(h->children[i]);
		r = c ? a->fpgaPinBuffer(c->plugin_handle, buf, len, ioaddr) : FPGA_EXCEPTION;
		if (r != FPGA_OK) {
			fw_err("%s: pinning buffer 0x%llx into child AFU %u failed: %s",
			       a->plugin.path, (unsigned long long)ioaddr, i, fpgaErrStr(r));
			break;
		}
	}
	if (r != FPGA_OK && a->fpgaUnpinBuffer) {
		while (i-- > 0) {
			const struct fw_handle *c = fw_handle_lookup(h->children[i]);
			if (c)
				a->fpgaUnpinBuffer(c->plugin_handle, buf, len, ioaddr);
		}
	}
	return r;
}

static void unpin_children(const struct fw_handle *h, uint64_t wsid)
{
	const opae_api_adapter_table *a = h->adapter;
	uint64_t ioaddr = 0, len = 0;
	void *buf = NULL;

	if (!h->num_children || !a->fpgaGetWSInfo || !a->fpgaUnpinBuffer ||
	    a->fpgaGetWSInfo(h->plugin_handle, wsid, &ioaddr, &buf, &len) != FPGA_OK)
		return;
	for (uint32_t i = 0; i < h->num_children; i++) {
		const struct fw_handle *c = fw_handle_lookup(h->children[i]);
		if (c)
			a->fpgaUnpinBuffer(c->plugin_handle, buf, len, ioaddr);
	}
}

FW_API fpga_result fpgaPrepareBuffer(fpga_handle handle, uint64_t len, void **buf_addr,
                                     uint64_t *wsid, int flags)
{
	const struct fw_handle *h = fw_handle_lookup(handle);
	bool probe = (flags & FPGA_BUF_PREALLOCATED) && !len && !buf_addr;
	fpga_result r;

	if (!h)
		return FPGA_INVALID_PARAM;
	if (h->parent) {
		fw_err("fpgaPrepareBuffer: buffers belong to the parent AFU's handle, not to a "
		       "child's");
		return FPGA_INVALID_PARAM;
	}
	if (!probe && (!buf_addr || !wsid))
		return FPGA_INVALID_PARAM;
	if (!h->adapter->fpgaPrepareBuffer)
		return FPGA_NOT_SUPPORTED;
	r = h->adapter->fpgaPrepareBuffer(h->plugin_handle, len, buf_addr, wsid, flags);
	if (r != FPGA_OK || probe)
		return r;
	r = pin_children(h, *wsid);
	if (r != FPGA_OK && h->adapter->fpgaReleaseBuffer)
		h->adapter->fpgaReleaseBuffer(h->plugin_handle, *wsid);
	return r;
}

FW_API fpga_result fpgaReleaseBuffer(fpga_handle handle, uint64_t wsid)
{
	const struct fw_handle *h = fw_handle_lookup(handle);

	if (!h)
		return FPGA_INVALID_PARAM;
	if (!h->adapter->fpgaReleaseBuffer)
		return FPGA_NOT_SUPPORTED;
	unpin_children(h, wsid);
	return h->adapter->fpgaReleaseBuffer(h->plugin_handle, wsid);
}

FW_API fpga_result fpgaGetIOAddress(fpga_handle handle, uint64_t wsid, uint64_t *ioaddr)
{
	if (!ioaddr)
		return FPGA_INVALID_PARAM;
	FW_FORWARD_HANDLE(fpgaGetIOAddress, wsid, ioaddr);
}

FW_API fpga_result fpgaBindSVA(fpga_handle handle, uint32_t *pasid)
{
	FW_FORWARD_HANDLE(fpgaBindSVA, pasid);
}
