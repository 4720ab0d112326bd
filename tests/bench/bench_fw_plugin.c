// SPDX-License-Identifier: BSD-3-Clause
/* bench_fw_plugin.c - a plugin that does (almost) nothing, so that
 * bench_framework measures the framework's own cost: one static accelerator
 * token, a static handle, MMIO reads that return the offset, properties
 * filled through the public API like a real plugin. */
#include <string.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

static fpga_token_header tok = {
    .magic = 0xbe0c4ull,
    .vendor_id = 0x1234,
    .device_id = 0xbe0c,
    .bus = 0x77,
    .interface = FPGA_IFC_VFIO,
    .objtype = FPGA_ACCELERATOR,
};
static int handle_storage;

static fpga_result b_enumerate(const fpga_properties *filters, uint32_t num_filters,
                               fpga_token *tokens, uint32_t max_tokens, uint32_t *num_matches)
{
	(void)filters;
	(void)num_filters;
	if (max_tokens)
		tokens[0] = &tok;
	*num_matches = 1;
	return FPGA_OK;
}

static fpga_result b_clone(fpga_token src, fpga_token *dst)
{
	*dst = src;
	return FPGA_OK;
}

static fpga_result b_destroy(fpga_token *t)
{
	*t = NULL;
	return FPGA_OK;
}

static fpga_result b_open(fpga_token t, fpga_handle *h, int flags)
{
	(void)t;
	(void)flags;
	*h = &handle_storage;
	return FPGA_OK;
}

static fpga_result b_close(fpga_handle h)
{
	(void)h;
	return FPGA_OK;
}

static fpga_result b_read64(fpga_handle h, uint32_t n, uint64_t off, uint64_t *v)
{
	(void)h;
	(void)n;
	*v = off;
	return FPGA_OK;
}

static fpga_result b_get_properties(fpga_token t, fpga_properties *prop)
{
	const fpga_token_header *hdr = t;
	fpga_result r = fpgaGetProperties(NULL, prop);

	if (r != FPGA_OK)
		return r;
	fpgaPropertiesSetObjectType(*prop, hdr->objtype);
	fpgaPropertiesSetBus(*prop, hdr->bus);
	fpgaPropertiesSetVendorID(*prop, hdr->vendor_id);
	fpgaPropertiesSetDeviceID(*prop, hdr->device_id);
	return FPGA_OK;
}

__attribute__((visibility("default"))) int opae_plugin_configure(opae_api_adapter_table *a,
                                                                 const char *json)
{
	(void)json;
	a->fpgaEnumerate = b_enumerate;
	a->fpgaCloneToken = b_clone;
	a->fpgaDestroyToken = b_destroy;
	a->fpgaOpen = b_open;
	a->fpgaClose = b_close;
	a->fpgaReadMMIO64 = b_read64;
	a->fpgaGetProperties = b_get_properties;
	return 0;
}
