// SPDX-License-Identifier: BSD-3-Clause
/* props_api.c - fpgaGetProperties / fpgaGetPropertiesFromHandle /
 * fpgaUpdateProperties: the plugin fills a properties object (created with
 * the public fpgaGetProperties(NULL, ...)); then the framework sets its
 * parent: for an accelerator, a token id of the FPGA_DEVICE with the same
 * PCI segment/bus/device among the tokens the program holds (§3.1). A raw
 * plugin token a plugin may have stored as parent never reaches the program. */
#include "fw_priv.h"

/* After the plugin returned prop for the object whose plugin token is hdr. */
static fpga_result adopt(const char *call, const opae_api_adapter_table *a, fpga_properties prop,
                         const fpga_token_header *hdr)
{
	struct _fpga_properties *p = fw_props_lock(prop);
	fpga_token parent;

	if (!p) {
		fw_err("%s: plugin %s returned no valid properties object", call, a->plugin.path);
		return FPGA_EXCEPTION;
	}
	parent = fw_token_find_parent(hdr);
	if (parent) {
		fw_props_clear_parent(p);
		p->parent = parent;
		SET_FIELD_VALID(p, FPGA_PROPERTY_PARENT);
	} else if (FIELD_VALID(p, FPGA_PROPERTY_PARENT) && !objtab_lookup(&fw_tokens, p->parent)) {
		fw_props_clear_parent(p);
	}
	fw_props_unlock(p);
	return FPGA_OK;
}

FW_API fpga_result fpgaGetProperties(fpga_token token, fpga_properties *prop)
{
	struct fw_ptoken *pt;
	fpga_result r;

	if (!prop)
		return FPGA_INVALID_PARAM;
	if (!token)
		return fw_props_new(prop);
	pt = fw_token_ref(token);
	if (!pt)
		return FPGA_INVALID_PARAM;
	if (!pt->adapter->fpgaGetProperties) {
		r = FPGA_NOT_SUPPORTED;
	} else {
		r = pt->adapter->fpgaGetProperties(pt->plugin_token, prop);
		if (r == FPGA_OK)
			r = adopt("fpgaGetProperties", pt->adapter, *prop, pt->plugin_token);
	}
	fw_ptoken_put(pt);
	return r;
}

FW_API fpga_result fpgaGetPropertiesFromHandle(fpga_handle handle, fpga_properties *prop)
{
	const struct fw_handle *h = fw_handle_lookup(handle);
	fpga_result r;

	if (!h || !prop)
		return FPGA_INVALID_PARAM;
	if (!h->adapter->fpgaGetPropertiesFromHandle)
		return FPGA_NOT_SUPPORTED;
	r = h->adapter->fpgaGetPropertiesFromHandle(h->plugin_handle, prop);
	if (r == FPGA_OK)
		r = adopt("fpgaGetPropertiesFromHandle", h->adapter, *prop, h->pt->plugin_token);
	return r;
}

FW_API fpga_result fpgaUpdateProperties(fpga_token token, fpga_properties prop)
{
	struct _fpga_properties *p;
	struct fw_ptoken *pt;
	fpga_result r;

	pt = fw_token_ref(token);
	if (!pt)
		return FPGA_INVALID_PARAM;
	p = fw_props_lock(prop);
	if (!p) {
		fw_ptoken_put(pt);
		return FPGA_INVALID_PARAM;
	}
	fw_props_clear_parent(p);
	fw_props_unlock(p);
	if (!pt->adapter->fpgaUpdateProperties) {
		r = FPGA_NOT_SUPPORTED;
	} else {
		r = pt->adapter->fpgaUpdateProperties(pt->plugin_token, prop);
		if (r == FPGA_OK)
			r = adopt("fpgaUpdateProperties", pt->adapter, prop, pt->plugin_token);
	}
	fw_ptoken_put(pt);
	return r;
}
