// SPDX-License-Identifier: BSD-3-Clause
/* plugin.c - opae_plugin_configure (the only exported symbol): check the
 * framework, read the device list, fill the adapter table in the layout of
 * the framework's OPAE version; initialize / finalize. */
#include <stdlib.h>
#include <string.h>

#include <opae/plugin/adapter.h>

#include "plugin_priv.h"

#define CONFIG_ENV "OPAE_VFIO_CONFIG"

static int pl_initialize(void)
{
	return 0; /* everything is ready after configure; devices are found lazily */
}

static int pl_finalize(void)
{
	handle_close_all();
	event_free_all();
	pthread_mutex_lock(&pl_reg.lock);
	registry_free_all();
	pthread_mutex_unlock(&pl_reg.lock);
	token_pool_free_all();
	handle_table_free();
	return 0;
}

/* dlclose without finalize (or a process exit) releases what is left */
__attribute__((destructor)) static void pl_unload(void)
{
	pl_finalize();
}

/* The device list: $OPAE_VFIO_CONFIG if set, else the framework's string;
 * without a "devices" key, OPAE's Intel FPGA ids. */
static int load_config(const char *json, struct cfg **out)
{
	const char *file = getenv(CONFIG_ENV);
	char err[512];
	int rc;

	if (file) {
		log_info("-", "device list from " CONFIG_ENV "=%s", file);
		rc = cfg_load_file(file, out, err, sizeof(err));
	} else {
		rc = cfg_parse(json, "configuration", out, err, sizeof(err));
	}
	if (rc) {
		log_err("-", 0, "%s; the plugin claims no device", err);
		return -1;
	}
	if (!(*out)->has_list) {
		cfg_free(*out);
		if (cfg_defaults(out))
			return -1;
		log_debug("-", "no \"devices\" list: claiming Intel FPGA PF/VF ids as DFL cards");
	}
	return 0;
}

/* Our entries, written by direct assignment into a table of the newest
 * layout; the framework's table gets them at its layout's offsets. */
static void fill_table(opae_api_adapter_table *t)
{
	memset(t, 0, sizeof(*t));
	t->fpgaOpen = pl_open;
	t->fpgaClose = pl_close;
	t->fpgaReset = pl_reset;
	t->fpgaGetPropertiesFromHandle = pl_get_properties_from_handle;
	t->fpgaGetProperties = pl_get_properties;
	t->fpgaUpdateProperties = pl_update_properties;
	t->fpgaWriteMMIO64 = pl_write_mmio64;
	t->fpgaReadMMIO64 = pl_read_mmio64;
	t->fpgaWriteMMIO32 = pl_write_mmio32;
	t->fpgaReadMMIO32 = pl_read_mmio32;
	t->fpgaWriteMMIO512 = pl_write_mmio512;
	t->fpgaMapMMIO = pl_map_mmio;
	t->fpgaUnmapMMIO = pl_unmap_mmio;
	t->fpgaEnumerate = pl_enumerate;
	t->fpgaCloneToken = pl_clone_token;
	t->fpgaDestroyToken = pl_destroy_token;
	t->fpgaPrepareBuffer = pl_prepare_buffer;
	t->fpgaReleaseBuffer = pl_release_buffer;
	t->fpgaGetIOAddress = pl_get_io_address;
	t->fpgaGetWSInfo = pl_get_ws_info;
	t->fpgaPinBuffer = pl_pin_buffer;
	t->fpgaUnpinBuffer = pl_unpin_buffer;
	t->fpgaCreateEventHandle = pl_create_event_handle;
	t->fpgaDestroyEventHandle = pl_destroy_event_handle;
	t->fpgaGetOSObjectFromEventHandle = pl_get_os_object;
	t->fpgaRegisterEvent = pl_register_event;
	t->fpgaUnregisterEvent = pl_unregister_event;
	t->initialize = pl_initialize;
	t->finalize = pl_finalize;
}

static void copy_table(opae_api_adapter_table *dst, const opae_api_adapter_table *src,
                       size_t table_size)
{
	for (size_t off = offsetof(opae_api_adapter_table, fpgaOpen); off < sizeof(*src);
	     off += sizeof(void *)) {
		size_t at = opae_adapter_offset(off, table_size);

		if (at != SIZE_MAX)
			memcpy((char *)dst + at, (const char *)src + off, sizeof(void *));
	}
}

__attribute__((visibility("default"))) int opae_plugin_configure(opae_api_adapter_table *adapter,
                                                                 const char *jsonConfig)
{
	opae_api_adapter_table mine;
	fpga_version v = {0, 0, 0};
	char missing[64];
	struct cfg *cfg;
	size_t size;

	if (!adapter) {
		log_err("-", 0, "opae_plugin_configure: adapter table is NULL");
		return 1;
	}
	if (fw_resolve(missing, sizeof(missing))) {
		log_err("-", 0, "opae_plugin_configure: the framework has no %s (is this an OPAE "
		                 "libopae-c?)",
		         missing);
		return 1;
	}
	if (pl_fw.GetOPAECVersion(&v) != FPGA_OK || !(size = opae_adapter_table_size(v))) {
		log_err("-", 0, "opae_plugin_configure: OPAE framework version %u.%u.%u is not "
		                 "supported (this plugin knows the 2.x adapter layouts)",
		         v.major, v.minor, v.patch);
		return 1;
	}
	if (load_config(jsonConfig, &cfg))
		return 1;
	pl_finalize(); /* a second configure starts from scratch */
	pthread_mutex_lock(&pl_reg.lock);
	pl_reg.cfg = cfg;
	pthread_mutex_unlock(&pl_reg.lock);
	mmio_detect_cpu();
	handle_setup_fences();
	fill_table(&mine);
	copy_table(adapter, &mine, size);
	log_debug("-", "configured for OPAE %u.%u.%u (%zu-byte adapter table), %u device rule(s)",
	           v.major, v.minor, v.patch, size, cfg->ndevices);
	return 0;
}
