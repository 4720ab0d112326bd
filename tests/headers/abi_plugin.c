/* SPDX-License-Identifier: BSD-3-Clause */
/* abi_plugin.c - a minimal plugin module built with -fvisibility=hidden,
 * used by plugin_abi_test.cpp to check the adapter ABI end to end.
 *
 * It fills a few entries the way a real plugin does; the test then reads
 * them back through raw byte offsets, as a framework compiled elsewhere would.
 */
#include <string.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

/* Not exported: hidden visibility must keep it out of the dynamic table. */
int abi_plugin_internal_helper(void);
int abi_plugin_internal_helper(void)
{
	return 7;
}

static int abi_initialize(void)
{
	return 42;
}

static int abi_finalize(void)
{
	return abi_plugin_internal_helper();
}

static fpga_result abi_read_error(fpga_token token, uint32_t error_num, uint64_t *value)
{
	(void)token;
	*value = 0x1000u + error_num;
	return FPGA_OK;
}

static fpga_result abi_get_io_address(fpga_handle handle, uint64_t wsid, uint64_t *ioaddr)
{
	(void)handle;
	*ioaddr = wsid << 12;
	return FPGA_OK;
}

int opae_plugin_configure(opae_api_adapter_table *adapter, const char *jsonConfig)
{
	/* Reject configs other than none / "{}" so the test sees the return
	 * value reach the caller. */
	if (jsonConfig && strcmp(jsonConfig, "{}") != 0)
		return 1;
	adapter->fpgaGetIOAddress = abi_get_io_address;
	adapter->fpgaReadError = abi_read_error;
	adapter->initialize = abi_initialize;
	adapter->finalize = abi_finalize;
	return 0;
}
