// SPDX-License-Identifier: BSD-3-Clause
/* init.c - fpgaInitialize / fpgaFinalize and the library's constructor and
 * destructor, which call them unless OPAE_EXPLICIT_INITIALIZE is set (as
 * OPAE's libopae-c does).
 *
 * fpgaInitialize loads the plugins of the configuration once, then calls
 * initialize() of every plugin not initialized yet: a plugin registered by
 * hand (opae_plugin_mgr_register_plugin) is initialized by the next
 * fpgaInitialize. fpgaFinalize closes what the application left open
 * (handles, event handles, tokens) through the owning plugins, then
 * finalizes and unloads every plugin; a later fpgaInitialize starts over. */
#include <stdlib.h>

#include "fw_priv.h"

bool fw_config_loaded;

FW_API fpga_result fpgaInitialize(const char *config_file)
{
	int failures;

	fw_log_init();
	pthread_mutex_lock(&fw_init_lock);
	if (!fw_config_loaded) {
		/* Configuration file loading comes with the config module. */
		(void)config_file;
		fw_config_loaded = true;
	}
	failures = fw_plugins_initialize();
	pthread_mutex_unlock(&fw_init_lock);
	return failures ? FPGA_EXCEPTION : FPGA_OK;
}

FW_API fpga_result fpgaFinalize(void)
{
	int failures;

	pthread_mutex_lock(&fw_init_lock);
	fw_handles_close_all();
	fw_events_destroy_all();
	fw_objects_destroy_all();
	fw_tokens_destroy_all();
	failures = fw_plugins_unload();
	fw_config_loaded = false;
	pthread_mutex_unlock(&fw_init_lock);
	return failures ? FPGA_EXCEPTION : FPGA_OK;
}

static bool explicit_init(void)
{
	return getenv("OPAE_EXPLICIT_INITIALIZE") != NULL;
}

__attribute__((constructor(1000))) static void fw_constructor(void)
{
	fw_log_init();
	if (!explicit_init())
		fpgaInitialize(NULL);
}

__attribute__((destructor(1000))) static void fw_destructor(void)
{
	if (!explicit_init())
		fpgaFinalize();
	fw_log_fini();
}
