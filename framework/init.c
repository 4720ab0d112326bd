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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_priv.h"

bool fw_config_loaded;

/* Load the modules of the detected rows, in row order; a module listed
 * again receives nothing more (OPAE delivers the first row's configuration
 * only; we say so). Returns the number of modules that failed to load. */
static int load_detected(const struct fw_cfg *c)
{
	int failures = 0;

	for (size_t i = 0; i < c->nrows; i++) {
		const struct fw_cfg_row *r = &c->rows[i];
		char origin[512];
		size_t k;

		if (!r->detected)
			continue;
		for (k = 0; k < i; k++)
			if (c->rows[k].detected && !strcmp(c->rows[k].module, r->module))
				break;
		if (k < i) {
			fw_msg(
			    "%s: %s: module %s already configured by %s; this row's configuration "
			    "%s is not delivered",
			    c->path, r->name, r->module, c->rows[k].name, r->config);
			continue;
		}
		snprintf(origin, sizeof(origin), "%s: %s, detected at %s", c->path, r->name,
		         r->detected_at);
		if (fw_plugin_load(r->module, r->config, origin))
			failures++;
	}
	return failures;
}

/* Find, read and apply the configuration file (explicit, or searched).
 * Returns the number of failures, or -1 when the caller's file is unusable. */
static int load_config(const char *config_file)
{
	char path[PATH_MAX];
	struct fw_cfg cfg;
	int failures, rc;

	rc = fw_cfg_find(config_file, path, sizeof(path));
	if (rc)
		return rc < 0 ? -1 : 0;
	fw_msg("configuration file %s", path);
	if (fw_cfg_load(path, &cfg)) {
		fw_cfg_free(&cfg);
		return config_file ? -1 : 1;
	}
	fw_pci_detect(&cfg);
	failures = load_detected(&cfg);
	fw_cfg_free(&cfg);
	return failures;
}

FW_API fpga_result fpgaInitialize(const char *config_file)
{
	int failures = 0, rc;

	fw_log_init();
	pthread_mutex_lock(&fw_init_lock);
	/* The searched configuration is applied once per fpgaInitialize /
	 * fpgaFinalize cycle; a file named by the caller every time (modules
	 * already loaded are not loaded twice). */
	if (config_file || !fw_config_loaded) {
		rc = load_config(config_file);
		if (rc < 0) {
			pthread_mutex_unlock(&fw_init_lock);
			return FPGA_INVALID_PARAM; /* the caller's file is unusable */
		}
		failures += rc;
		if (!config_file)
			fw_config_loaded = true;
	}
	failures += fw_plugins_initialize();
	pthread_mutex_unlock(&fw_init_lock);
	return failures ? FPGA_EXCEPTION : FPGA_OK;
}

/* Release what the program left in table t, through the owning plugins. */
static void drain(struct objtab *t, void (*release)(void *obj))
{
	unsigned int n = objtab_drain(t, release);

	if (n)
		fw_msg("fpgaFinalize: released %u %s(s) the program left", n, t->what);
}

FW_API fpga_result fpgaFinalize(void)
{
	int failures;

	pthread_mutex_lock(&fw_init_lock);
	drain(&fw_handles, fw_handle_release_claimed);
	drain(&fw_events, fw_event_release_claimed);
	drain(&fw_objects, fw_object_release_claimed);
	drain(&fw_tokens, fw_token_release_claimed);
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
