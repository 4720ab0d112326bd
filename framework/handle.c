// SPDX-License-Identifier: BSD-3-Clause
/* handle.c - fpgaOpen / fpgaClose / fpgaReset / fpgaGetChildren: wrapped
 * handles, each holding a reference on the plugin token it was opened from,
 * and the child handles of a multi-port AFU (closed with their parent). */
#include "fw_priv.h"

struct objtab fw_handles = OBJTAB_INIT("handle", FW_TAG_HANDLE, struct fw_handle);

/* Open pt through its plugin; *plugin_handle is an input with
 * FPGA_OPEN_HAS_PARENT_AFU (the parent's plugin handle). */
fpga_result fw_handle_open(struct fw_ptoken *pt, fpga_handle parent, fpga_handle plugin_parent,
                           int flags, fpga_handle *out)
{
	struct fw_handle *h;
	fpga_handle ph = plugin_parent;
	fpga_result r;

	if (!pt->adapter->fpgaOpen)
		return FPGA_NOT_SUPPORTED;
	h = objtab_alloc(&fw_handles);
	if (!h)
		return FPGA_NO_MEMORY;
	r = pt->adapter->fpgaOpen(pt->plugin_token, &ph, flags);
	if (r != FPGA_OK) {
		objtab_free(&fw_handles, h);
		return r;
	}
	atomic_fetch_add_explicit(&pt->refs, 1, memory_order_relaxed);
	h->plugin_handle = ph;
	h->adapter = pt->adapter;
	h->pt = pt;
	h->parent = parent;
	*out = objtab_publish(&fw_handles, h);
	return FPGA_OK;
}

/* Close a claimed handle through its plugin and free it. */
static fpga_result handle_release(struct fw_handle *h)
{
	fpga_result r = FPGA_OK;

	if (h->adapter->fpgaClose) {
		r = h->adapter->fpgaClose(h->plugin_handle);
		if (r != FPGA_OK)
			fw_err("%s: fpgaClose failed: %s", h->adapter->plugin.path, fpgaErrStr(r));
	}
	fw_ptoken_put(h->pt);
	objtab_free(&fw_handles, h);
	return r;
}

/* Children first: they use the parent's resources. */
static fpga_result handle_close_tree(struct fw_handle *h)
{
	for (uint32_t i = 0; i < h->num_children; i++) {
		struct fw_handle *c = objtab_claim(&fw_handles, h->children[i]);
		if (c)
			handle_release(c);
	}
	h->num_children = 0;
	return handle_release(h);
}

FW_API fpga_result fpgaOpen(fpga_token token, fpga_handle *handle, int flags)
{
	struct fw_ptoken *pt;
	struct fw_handle *h;
	fpga_handle id;
	fpga_result r;

	if (!handle)
		return FPGA_INVALID_PARAM;
	if (flags & FPGA_OPEN_HAS_PARENT_AFU) {
		fw_err("fpgaOpen: FPGA_OPEN_HAS_PARENT_AFU is internal to the framework");
		return FPGA_INVALID_PARAM;
	}
	pt = fw_token_ref(token);
	if (!pt)
		return FPGA_INVALID_PARAM;
	r = fw_handle_open(pt, NULL, NULL, flags, &id);
	fw_ptoken_put(pt);
	if (r != FPGA_OK)
		return r;
	/* The id is not the caller's yet: nobody else can see the children
	 * being added. A child that cannot be opened fails the whole open. */
	h = fw_handle_lookup(id);
	r = fw_children_open(h, id);
	if (r != FPGA_OK) {
		h = objtab_claim(&fw_handles, id);
		if (h)
			handle_close_tree(h);
		return r;
	}
	*handle = id;
	return FPGA_OK;
}

FW_API fpga_result fpgaClose(fpga_handle handle)
{
	struct fw_handle *h = fw_handle_lookup(handle);

	if (!h)
		return FPGA_INVALID_PARAM;
	if (h->parent) {
		fw_err("fpgaClose: a child AFU handle is closed with its parent");
		return FPGA_INVALID_PARAM;
	}
	h = objtab_claim(&fw_handles, handle);
	if (!h)
		return FPGA_INVALID_PARAM; /* lost a race with another close */
	return handle_close_tree(h);
}

FW_API fpga_result fpgaReset(fpga_handle handle)
{
	FW_FORWARD_HANDLE(fpgaReset);
}

FW_API fpga_result fpgaGetChildren(fpga_handle handle, uint32_t max_children, fpga_handle *children,
                                   uint32_t *num_children)
{
	const struct fw_handle *h = fw_handle_lookup(handle);

	if (!h || !num_children || (max_children && !children))
		return FPGA_INVALID_PARAM;
	for (uint32_t i = 0; i < h->num_children && i < max_children; i++)
		children[i] = h->children[i];
	*num_children = h->num_children;
	return FPGA_OK;
}

void fw_handle_release_claimed(void *obj)
{
	struct fw_handle *h = obj;

	/* Children are drained like any handle: their parent skips them. */
	h->num_children = 0;
	handle_release(h);
}
