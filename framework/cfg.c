// SPDX-License-Identifier: BSD-3-Clause
/* cfg.c - OPAE's configuration file: where it is looked for (the argument of
 * fpgaInitialize, $LIBOPAE_CFGFILE, ~/.local/opae.cfg, ~/.local/opae/opae.cfg,
 * ~/.config/opae/opae.cfg, /usr/local/etc/opae/opae.cfg, /etc/opae/opae.cfg;
 * at most 32 KiB) and its OPAE 2.3+ format, turned into the rows of the
 * plugin table: (vendor, device, subsystem vendor, subsystem device) -> module
 * + configuration string, in the order of "configs".
 *
 * Unlike OPAE, which drops the whole file for one mistake and silently falls
 * back to a built-in table, every mistake is reported at the default log
 * level with the file, the line:column or the key path, and the reason;
 * only the broken entry is skipped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fw_priv.h"

#define CFG_MAX_SIZE (32 * 1024)

static void cfg_report(int level, const struct fw_cfg *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cfg_report(int level, const struct fw_cfg *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (!fw_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fw_log(level, "%s: %s", c->path, msg);
}
#define cfg_err(c, ...) cfg_report(OPAE_LOG_ERROR, (c), __VA_ARGS__)
#define cfg_msg(c, ...) cfg_report(OPAE_LOG_MESSAGE, (c), __VA_ARGS__)

/* ---- finding the file ---- */

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

int fw_cfg_find(const char *explicit_path, char *out, size_t len)
{
	static const char *const home_rel[] = {".local/opae.cfg", ".local/opae/opae.cfg",
	                                       ".config/opae/opae.cfg"};
	static const char *const system[] = {"/usr/local/etc/opae/opae.cfg", "/etc/opae/opae.cfg"};
	const char *env = getenv("LIBOPAE_CFGFILE");
	const char *home = getenv("HOME");
	char path[PATH_MAX];

	if (explicit_path) {
		if (!is_file(explicit_path)) {
			fw_err("fpgaInitialize: configuration file %s: %s", explicit_path,
			       errno ? strerror(errno) : "not a regular file");
			return -1;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (env && *env) {
		if (realpath(env, path) && is_file(path)) {
			snprintf(out, len, "%s", path);
			return 0;
		}
		fw_err("LIBOPAE_CFGFILE=%s: %s; looking in the usual places instead", env,
		       errno ? strerror(errno) : "not a regular file");
	}
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	for (size_t i = 0; home && i < sizeof(home_rel) / sizeof(home_rel[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", home, home_rel[i]) < (int)sizeof(path) &&
		    is_file(path)) {
			snprintf(out, len, "%s", path);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++) {
		if (is_file(system[i])) {
			snprintf(out, len, "%s", system[i]);
			return 0;
		}
	}
	fw_msg("no configuration file (LIBOPAE_CFGFILE unset; none of ~/.local/opae.cfg, "
	       "~/.local/opae/opae.cfg, ~/.config/opae/opae.cfg, /usr/local/etc/opae/opae.cfg, "
	       "/etc/opae/opae.cfg): no plugin loaded from a configuration");
	return 1;
}

/* ---- the format ---- */

struct cfg_device {
	const char *name;
	uint16_t id[4];
	bool ok;
};

static int add_row(struct fw_cfg *c, const struct cfg_device *d, const char *cfgname,
                   const char *module, const char *config)
{
	struct fw_cfg_row *rows = realloc(c->rows, (c->nrows + 1) * sizeof(*rows));
	struct fw_cfg_row *r;

	if (!rows)
		return -1;
	c->rows = rows;
	r = &rows[c->nrows];
	memset(r, 0, sizeof(*r));
	r->vendor = d->id[0];
	r->device = d->id[1];
	r->subvendor = d->id[2];
	r->subdevice = d->id[3];
	r->module = strdup(module);
	r->config = strdup(config);
	if (asprintf(&r->name, "configuration %s, device %s", cfgname, d->name) < 0)
		r->name = NULL;
	if (!r->module || !r->config || !r->name) {
		free(r->module);
		free(r->config);
		free(r->name);
		return -1;
	}
	c->nrows++;
	return 0;
}

/* One "id" element: a string, "0x..." or decimal, or "*" (subsystem only). */
static bool parse_id(struct fw_cfg *c, const char *key, size_t i, json_object *v, uint16_t *out)
{
	const char *s;
	char *end;
	unsigned long n;

	if (!json_object_is_type(v, json_type_string)) {
		cfg_err(c, "%s.id[%zu]: must be a string (\"0x8086\", \"*\")", key, i);
		return false;
	}
	s = json_object_get_string(v);
	if (!strcmp(s, "*")) {
		if (i < 2) {
			cfg_err(c, "%s.id[%zu]: \"*\" is honoured only for the subsystem IDs", key,
			        i);
			return false;
		}
		*out = 0xffff;
		return true;
	}
	errno = 0;
	n = strtoul(s, &end, 0);
	if (!*s || *end || errno || n > 0xffff || s[0] == '-') {
		cfg_err(c, "%s.id[%zu]: \"%s\" is not a 16-bit number", key, i, s);
		return false;
	}
	*out = (uint16_t)n;
	return true;
}

static bool parse_device(struct fw_cfg *c, const char *key, json_object *d, struct cfg_device *out)
{
	json_object *name, *id;

	if (!json_object_is_type(d, json_type_object) ||
	    !json_object_object_get_ex(d, "name", &name) ||
	    !json_object_is_type(name, json_type_string)) {
		cfg_err(c, "%s: expected {\"name\": string, \"id\": [4 strings]}; device skipped",
		        key);
		return false;
	}
	out->name = json_object_get_string(name);
	if (!json_object_object_get_ex(d, "id", &id) || !json_object_is_type(id, json_type_array) ||
	    json_object_array_length(id) != 4) {
		cfg_err(c,
		        "%s (%s): \"id\" must be [vendor, device, subsystem vendor, subsystem "
		        "device]; device skipped",
		        key, out->name);
		return false;
	}
	for (size_t i = 0; i < 4; i++)
		if (!parse_id(c, key, i, json_object_array_get_idx(id, i), &out->id[i]))
			return false;
	return true;
}

/* enabled: true -> 1; false or missing -> 0 (reported at level 1); other -> -1. */
static int enabled(struct fw_cfg *c, const char *key, json_object *o)
{
	json_object *e;

	if (!json_object_object_get_ex(o, "enabled", &e)) {
		cfg_msg(c, "%s: no \"enabled\": skipped", key);
		return 0;
	}
	if (!json_object_is_type(e, json_type_boolean)) {
		cfg_err(c, "%s.enabled: must be true or false; skipped", key);
		return -1;
	}
	if (!json_object_get_boolean(e))
		cfg_msg(c, "%s: disabled", key);
	return json_object_get_boolean(e);
}

static void parse_plugin(struct fw_cfg *c, const char *cfgname, const char *key, json_object *p,
                         const struct cfg_device *devs, size_t ndevs)
{
	json_object *module, *devices, *config;
	const char *config_text;
	size_t n, first = c->nrows;

	if (!json_object_is_type(p, json_type_object)) {
		cfg_err(c, "%s: not an object; plugin entry skipped", key);
		return;
	}
	if (enabled(c, key, p) != 1)
		return;
	if (!json_object_object_get_ex(p, "module", &module) ||
	    !json_object_is_type(module, json_type_string) || !*json_object_get_string(module)) {
		cfg_err(c, "%s.module: missing or not a non-empty string; plugin entry skipped",
		        key);
		return;
	}
	if (!json_object_object_get_ex(p, "configuration", &config)) {
		cfg_err(c, "%s.configuration: missing (use {} for none); plugin entry skipped",
		        key);
		return;
	}
	if (!json_object_object_get_ex(p, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array) || !json_object_array_length(devices)) {
		cfg_err(c,
		        "%s.devices: missing or not a non-empty array of device names; plugin "
		        "entry skipped",
		        key);
		return;
	}
	config_text = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN);
	n = json_object_array_length(devices);
	for (size_t i = 0; i < n; i++) {
		json_object *dn = json_object_array_get_idx(devices, i);
		const struct cfg_device *d = NULL;

		if (!json_object_is_type(dn, json_type_string)) {
			cfg_err(c, "%s.devices[%zu]: not a string; plugin entry skipped", key, i);
			goto drop;
		}
		for (size_t k = 0; k < ndevs && !d; k++)
			if (devs[k].name && !strcmp(devs[k].name, json_object_get_string(dn)))
				d = &devs[k];
		if (!d) {
			cfg_err(c,
			        "%s.devices[%zu]: \"%s\" is not a device of configuration %s; "
			        "plugin entry skipped",
			        key, i, json_object_get_string(dn), cfgname);
			goto drop;
		}
		if (!d->ok)
			continue; /* already reported */
		if (add_row(c, d, cfgname, json_object_get_string(module), config_text)) {
			fw_err("%s: out of memory", c->path);
			goto drop;
		}
	}
	return;
drop:
	fw_cfg_drop_rows(c, first);
}

static void parse_configuration(struct fw_cfg *c, const char *name, json_object *o)
{
	json_object *devices, *opae, *plugins;
	struct cfg_device *devs = NULL;
	char key[256], sub[320];
	size_t ndevs, nplugins;

	snprintf(key, sizeof(key), "configurations.%s", name);
	if (!json_object_is_type(o, json_type_object)) {
		cfg_err(c, "%s: not an object; configuration skipped", key);
		return;
	}
	if (enabled(c, key, o) != 1)
		return;
	if (!json_object_object_get_ex(o, "devices", &devices) ||
	    !json_object_is_type(devices, json_type_array) || !json_object_array_length(devices)) {
		cfg_err(c, "%s.devices: missing or not a non-empty array; configuration skipped",
		        key);
		return;
	}
	if (!json_object_object_get_ex(o, "opae", &opae) ||
	    !json_object_object_get_ex(opae, "plugin", &plugins) ||
	    !json_object_is_type(plugins, json_type_array)) {
		cfg_err(c, "%s.opae.plugin: missing or not an array; configuration skipped", key);
		return;
	}
	ndevs = json_object_array_length(devices);
	devs = calloc(ndevs, sizeof(*devs));
	if (!devs) {
		fw_err("%s: out of memory", c->path);
		return;
	}
	for (size_t i = 0; i < ndevs; i++) {
		snprintf(sub, sizeof(sub), "%s.devices[%zu]", key, i);
		devs[i].ok = parse_device(c, sub, json_object_array_get_idx(devices, i), &devs[i]);
	}
	nplugins = json_object_array_length(plugins);
	for (size_t i = 0; i < nplugins; i++) {
		snprintf(sub, sizeof(sub), "%s.opae.plugin[%zu]", key, i);
		parse_plugin(c, name, sub, json_object_array_get_idx(plugins, i), devs, ndevs);
	}
	free(devs);
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int fw_cfg_parse(struct fw_cfg *c, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root, *configs, *configurations, *o;
	enum json_tokener_error jerr;
	unsigned line, col;
	size_t end, n;
	int rc = -1;

	if (!tok)
		return -1;
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!root && jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (jerr != json_tokener_success) {
		line_col(text, end, &line, &col);
		cfg_err(c, "%u:%u: JSON syntax error: %s; file ignored", line, col,
		        json_tokener_error_desc(jerr));
		goto out;
	}
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len) {
		line_col(text, end, &line, &col);
		cfg_err(c, "%u:%u: text after the end of the JSON object; file ignored", line, col);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		cfg_err(c, "the top level is not a JSON object; file ignored");
		goto out;
	}
	if (!json_object_object_get_ex(root, "configs", &configs)) {
		if (json_object_object_get_ex(root, "plugins", &o))
			cfg_err(c, "old format (OPAE 2.0-2.2, top-level \"plugins\"); OPAE 2.3 and "
			           "later read \"configs\" and \"configurations\"; file ignored");
		else
			cfg_err(c, "no \"configs\" array; file ignored");
		goto out;
	}
	if (!json_object_is_type(configs, json_type_array)) {
		cfg_err(c, "configs: not an array of configuration names; file ignored");
		goto out;
	}
	if (!json_object_object_get_ex(root, "configurations", &configurations) ||
	    !json_object_is_type(configurations, json_type_object)) {
		cfg_err(c, "configurations: missing or not an object; file ignored");
		goto out;
	}
	n = json_object_array_length(configs);
	for (size_t i = 0; i < n; i++) {
		json_object *name = json_object_array_get_idx(configs, i);

		if (!json_object_is_type(name, json_type_string)) {
			cfg_err(c, "configs[%zu]: not a string; skipped", i);
			continue;
		}
		if (!json_object_object_get_ex(configurations, json_object_get_string(name), &o)) {
			cfg_err(
			    c,
			    "configs[%zu]: no configuration \"%s\" in \"configurations\"; skipped",
			    i, json_object_get_string(name));
			continue;
		}
		parse_configuration(c, json_object_get_string(name), o);
	}
	rc = 0;
out:
	if (root)
		json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int fw_cfg_load(const char *path, struct fw_cfg *c)
{
	struct stat st;
	char *text = NULL;
	ssize_t got = 0, r;
	int fd, rc = -1;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		cfg_err(c, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (st.st_size > CFG_MAX_SIZE) {
		cfg_err(c, "%lld bytes; the limit is %d KiB; file ignored", (long long)st.st_size,
		        CFG_MAX_SIZE / 1024);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		goto out;
	while (got < st.st_size && (r = read(fd, text + got, (size_t)(st.st_size - got))) > 0)
		got += r;
	text[got] = '\0';
	rc = fw_cfg_parse(c, text, (size_t)got);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

void fw_cfg_drop_rows(struct fw_cfg *c, size_t from)
{
	for (size_t i = from; i < c->nrows; i++) {
		free(c->rows[i].module);
		free(c->rows[i].config);
		free(c->rows[i].name);
	}
	if (from < c->nrows)
		c->nrows = from;
}

void fw_cfg_free(struct fw_cfg *c)
{
	fw_cfg_drop_rows(c, 0);
	free(c->rows);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
