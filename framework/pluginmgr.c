// SPDX-License-Identifier: BSD-3-Clause
/* pluginmgr.c - loading plugins as OPAE does: dlopen (RTLD_LAZY|RTLD_LOCAL)
 * along the module search path, opae_plugin_configure with the row's
 * configuration string, the adapter list in load order (unique by module
 * name), initialize/finalize; opae_plugin_mgr_register_plugin for programs
 * and tests that load a plugin by hand.
 *
 * Unlike OPAE, every failure is reported at the default log level with the
 * module and the reason, and a plugin whose configure or initialize fails
 * is unloaded while the others keep working. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_priv.h"

#ifndef FW_INSTALL_PREFIX
#define FW_INSTALL_PREFIX "/usr/local"
#endif

typedef int (*configure_fn)(opae_api_adapter_table *adapter, const char *json);

pthread_mutex_t fw_init_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
pthread_rwlock_t fw_adapters_lock = PTHREAD_RWLOCK_INITIALIZER;
struct fw_adapter *fw_adapters;
static unsigned int load_seq;

/* The plugin directory of the installed tree this library lives in:
 * <dir of libopae-c.so.2>/../opae (<prefix>/lib/opae-vfio -> <prefix>/lib/opae),
 * so an install under any prefix, or an unpacked package, finds its own
 * plugin before anything in the system directories. "" if unknown. */
static const char *own_plugin_dir(char *buf, size_t len)
{
	Dl_info info;
	const char *slash;

	if (!dladdr((void *)own_plugin_dir, &info) || !info.dli_fname ||
	    !(slash = strrchr(info.dli_fname, '/')) ||
	    snprintf(buf, len, "%.*s/../opae", (int)(slash - info.dli_fname), info.dli_fname) >=
	        (int)len)
		return "";
	return buf;
}

/* dlopen module along OPAE's search path, led by our own tree's plugin
 * directory: <libopae-c's dir>/../opae, <prefix>/lib64/opae/, <prefix>/lib/opae/,
 * /usr/lib64/opae/, /usr/lib/opae/, then the name itself (the normal dlopen
 * search; an absolute or relative path works there). */
static void *open_module(const char *module, char *why, size_t whylen)
{
	char own[4096];
	const char *const dirs[] = {own_plugin_dir(own, sizeof(own)), FW_INSTALL_PREFIX "/lib64/opae",
	                            FW_INSTALL_PREFIX "/lib/opae", "/usr/lib64/opae",
	                            "/usr/lib/opae"};
	char path[4096];
	void *dl;

	if (!strchr(module, '/')) {
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			if (!dirs[i][0] || snprintf(path, sizeof(path), "%s/%s", dirs[i], module) >=
			                       (int)sizeof(path))
				continue;
			dl = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
			if (dl) {
				fw_dbg("plugin %s: loaded from %s", module, path);
				return dl;
			}
		}
	}
	dl = dlopen(module, RTLD_LAZY | RTLD_LOCAL);
	if (!dl) {
		const char *e = dlerror();
		snprintf(why, whylen, "%s", e ? e : "dlopen failed");
	}
	return dl;
}

static struct fw_adapter *find_loaded(const char *module)
{
	for (struct fw_adapter *a = fw_adapters; a; a = (struct fw_adapter *)a->table.next)
		if (!strcmp(FW_ADAPTER_NAME(a), module))
			return a;
	return NULL;
}

static void adapter_free(struct fw_adapter *a)
{
	if (a->table.plugin.dl_handle)
		dlclose(a->table.plugin.dl_handle);
	free(a->table.plugin.path);
	free(a->config);
	free(a);
}

static void append(struct fw_adapter *a)
{
	struct fw_adapter **tail = &fw_adapters;

	while (*tail)
		tail = (struct fw_adapter **)&(*tail)->table.next;
	pthread_rwlock_wrlock(&fw_adapters_lock);
	a->table.next = NULL;
	*tail = a;
	pthread_rwlock_unlock(&fw_adapters_lock);
}

static void unlink_adapter(struct fw_adapter *a)
{
	pthread_rwlock_wrlock(&fw_adapters_lock);
	for (struct fw_adapter **pp = &fw_adapters; *pp;
	     pp = (struct fw_adapter **)&(*pp)->table.next) {
		if (*pp == a) {
			*pp = (struct fw_adapter *)a->table.next;
			break;
		}
	}
	pthread_rwlock_unlock(&fw_adapters_lock);
}

int fw_plugin_load(const char *module, const char *config, const char *origin)
{
	char why[512] = "";
	struct fw_adapter *a;
	configure_fn configure;
	int rc;

	pthread_mutex_lock(&fw_init_lock);
	a = find_loaded(module);
	if (a) {
		fw_msg("plugin %s (%s): already loaded as plugin #%u with configuration %s; "
		       "this configuration is ignored",
		       module, origin, a->seq, a->config ? a->config : "(none)");
		pthread_mutex_unlock(&fw_init_lock);
		return 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->table.plugin.path = strdup(module)) ||
	    (config && !(a->config = strdup(config)))) {
		fw_err("plugin %s (%s): out of memory", module, origin);
		goto fail;
	}
	a->table.plugin.dl_handle = open_module(module, why, sizeof(why));
	if (!a->table.plugin.dl_handle) {
		fw_err("plugin %s (%s): cannot load the module: %s", module, origin, why);
		goto fail;
	}
	dlerror();
	configure = (configure_fn)dlsym(a->table.plugin.dl_handle, "opae_plugin_configure");
	if (!configure) {
		fw_err("plugin %s (%s): not a plugin: no symbol opae_plugin_configure", module,
		       origin);
		goto fail;
	}
	rc = configure(&a->table, config);
	if (rc) {
		fw_err("plugin %s (%s): opae_plugin_configure returned %d with configuration %s; "
		       "plugin unloaded",
		       module, origin, rc, config ? config : "(none)");
		goto fail;
	}
	a->seq = ++load_seq;
	append(a);
	fw_msg("plugin #%u %s (%s) loaded with configuration %s", a->seq, module, origin,
	       config ? config : "(none)");
	pthread_mutex_unlock(&fw_init_lock);
	return 0;
fail:
	if (a)
		adapter_free(a);
	pthread_mutex_unlock(&fw_init_lock);
	return -1;
}

int fw_plugins_initialize(void)
{
	struct fw_adapter *a, *next;
	int failures = 0, rc;

	pthread_mutex_lock(&fw_init_lock);
	for (a = fw_adapters; a; a = next) {
		next = (struct fw_adapter *)a->table.next;
		if (a->initialized)
			continue;
		rc = a->table.initialize ? a->table.initialize() : 0;
		if (rc) {
			fw_err("plugin #%u %s: initialize() returned %d; plugin unloaded", a->seq,
			       FW_ADAPTER_NAME(a), rc);
			unlink_adapter(a);
			adapter_free(a);
			failures++;
			continue;
		}
		a->initialized = true;
		fw_dbg("plugin #%u %s: initialized", a->seq, FW_ADAPTER_NAME(a));
	}
	pthread_mutex_unlock(&fw_init_lock);
	return failures;
}

int fw_plugins_unload(void)
{
	struct fw_adapter *list, *a, *next;
	int failures = 0, rc;

	pthread_mutex_lock(&fw_init_lock);
	pthread_rwlock_wrlock(&fw_adapters_lock);
	list = fw_adapters;
	fw_adapters = NULL;
	pthread_rwlock_unlock(&fw_adapters_lock);
	for (a = list; a; a = next) {
		next = (struct fw_adapter *)a->table.next;
		if (a->initialized && a->table.finalize) {
			rc = a->table.finalize();
			if (rc) {
				fw_err("plugin #%u %s: finalize() returned %d", a->seq,
				       FW_ADAPTER_NAME(a), rc);
				failures++;
			}
		}
		fw_dbg("plugin #%u %s: unloaded", a->seq, FW_ADAPTER_NAME(a));
		adapter_free(a);
	}
	load_seq = 0;
	pthread_mutex_unlock(&fw_init_lock);
	return failures;
}

FW_API int opae_plugin_mgr_register_plugin(const char *module_name, const char *config)
{
	if (!module_name || !*module_name) {
		fw_err("opae_plugin_mgr_register_plugin: no module name");
		return 1;
	}
	fw_log_init();
	return fw_plugin_load(module_name, config, "registered by the program") ? 1 : 0;
}
