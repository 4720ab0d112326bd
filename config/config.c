/* SPDX-License-Identifier: BSD-3-Clause */
/* config.c - json-c text -> struct cfg (see config.h and README.md). Every
 * check names the key path and what was expected; nothing is kept on error. */
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"

#define CFG_FILE_MAX (1024 * 1024)
#define CFG_MAX_DEVICES 4096

/* Parsing context: where the text came from, and the error buffer. */
struct pctx {
	const char *where;
	char *err;
	size_t errlen;
};

static int perr(struct pctx *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct pctx *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "%s: %s: ", p->where, key);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Short description of a JSON value for "got ..." (type and, for scalars,
 * the value itself, truncated). */
static const char *got(struct json_object *o, char *buf, size_t len)
{
	const char *s;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		s = json_object_get_string(o);
		snprintf(buf, len, "\"%.40s%s\"", s, strlen(s) > 40 ? "..." : "");
		return buf;
	default:
		snprintf(buf, len, "%.40s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		return buf;
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int cfg_canonical_address(const char *in, char out[CFG_ADDR_MAX])
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = in, *colon1, *colon2;
	size_t ndom;
	char *end;

	if (!in)
		return -1;
	colon2 = strrchr(in, ':');
	if (!colon2)
		return -1;
	colon1 = colon2 == in ? NULL : memrchr(in, ':', (size_t)(colon2 - in));
	if (colon1) {
		ndom = (size_t)(colon1 - in);
		if (ndom < 1 || ndom > 8)
			return -1;
		for (size_t i = 0; i < ndom; i++)
			if (hexval((unsigned char)in[i]) < 0)
				return -1;
		dom = strtoul(in, NULL, 16);
		p = colon1 + 1;
	}
	/* bb:dd.f with exactly 2, 2 and 1 digits */
	if (hexval((unsigned char)p[0]) < 0 || hexval((unsigned char)p[1]) < 0 || p[2] != ':' ||
	    hexval((unsigned char)p[3]) < 0 || hexval((unsigned char)p[4]) < 0 || p[5] != '.' ||
	    p[6] < '0' || p[6] > '7' || p[7] != '\0')
		return -1;
	bus = strtoul(p, &end, 16);
	dev = strtoul(p + 3, &end, 16);
	fn = (unsigned long)(p[6] - '0');
	if (dev > 0x1f)
		return -1;
	snprintf(out, CFG_ADDR_MAX, "%04lx:%02lx:%02lx.%lu", dom, bus, dev, fn);
	return 0;
}

/* Canonical UUID 8-4-4-4-12 into 16 big-endian bytes and lower-case text. */
static int parse_uuid(const char *s, uint8_t bytes[16], char text[CFG_UUID_MAX])
{
	static const int dash_at[] = {8, 13, 18, 23};
	unsigned b = 0;
	size_t i;

	if (strlen(s) != 36)
		return -1;
	for (i = 0; i < 4; i++)
		if (s[dash_at[i]] != '-')
			return -1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		if (hexval((unsigned char)s[i]) < 0 || hexval((unsigned char)s[i + 1]) < 0)
			return -1;
		if (bytes)
			bytes[b] = (uint8_t)(hexval((unsigned char)s[i]) << 4 |
			                     hexval((unsigned char)s[i + 1]));
		b++;
		i++;
	}
	if (text) {
		for (i = 0; i < 36; i++)
			text[i] = (char)tolower((unsigned char)s[i]);
		text[36] = '\0';
	}
	return 0;
}

/* One PCI id: "0x1234" (1-4 hex digits), "*", or a JSON integer 0..0xffff.
 * Bare digits are refused: OPAE reads "8086" as decimal, a classic trap. */
static int parse_id(struct pctx *p, const char *key, struct json_object *o, int32_t *out)
{
	char gbuf[64];

	if (json_object_is_type(o, json_type_int)) {
		int64_t v = json_object_get_int64(o);

		if (v < 0 || v > 0xffff)
			return perr(p, key, "expected a PCI id 0..0xffff, got %" PRId64, v);
		*out = (int32_t)v;
		return 0;
	}
	if (json_object_is_type(o, json_type_string)) {
		const char *s = json_object_get_string(o);
		size_t n = strlen(s);

		if (!strcmp(s, "*")) {
			*out = CFG_ANY;
			return 0;
		}
		if (n >= 3 && n <= 6 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			size_t i;

			for (i = 2; i < n && hexval((unsigned char)s[i]) >= 0; i++)
				;
			if (i == n) {
				*out = (int32_t)strtol(s + 2, NULL, 16);
				return 0;
			}
		}
	}
	return perr(p, key, "expected a PCI id as a \"0x\" hex string (e.g. \"0x8086\") or \"*\", got %s",
	            got(o, gbuf, sizeof(gbuf)));
}

static int parse_ids(struct pctx *p, const char *key, struct json_object *o, struct cfg_device *d)
{
	char gbuf[64], k[128];
	size_t n, i;

	if (!json_object_is_type(o, json_type_array))
		return perr(p, key, "expected an array [vendor, device, subsystem vendor, subsystem device], got %s",
		            got(o, gbuf, sizeof(gbuf)));
	n = json_object_array_length(o);
	if (n < 2 || n > 4)
		return perr(p, key, "expected 2 to 4 ids [vendor, device, subsystem vendor, subsystem device], got %zu", n);
	d->ids[2] = d->ids[3] = CFG_ANY;
	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		if (parse_id(p, k, json_object_array_get_idx(o, i), &d->ids[i]))
			return -1;
	}
	return 0;
}

static int parse_bar(struct pctx *p, const char *key, struct json_object *o, unsigned *out)
{
	char gbuf[64];
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return perr(p, key, "expected a BAR number 0..5, got %s", got(o, gbuf, sizeof(gbuf)));
	v = json_object_get_int64(o);
	if (v < 0 || v > 5)
		return perr(p, key, "expected a BAR number 0..5, got %" PRId64, v);
	*out = (unsigned)v;
	return 0;
}

static int parse_mmio_bars(struct pctx *p, const char *key, struct json_object *o, unsigned *mask)
{
	char gbuf[64], k[128];
	size_t n, i;

	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) == 0)
		return perr(p, key, "expected a non-empty array of BAR numbers 0..5, got %s",
		            got(o, gbuf, sizeof(gbuf)));
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		unsigned bar;

		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		if (parse_bar(p, k, json_object_array_get_idx(o, i), &bar))
			return -1;
		if (*mask & (1u << bar))
			return perr(p, k, "expected each BAR once, got BAR %u again", bar);
		*mask |= 1u << bar;
	}
	return 0;
}

static int parse_string(struct pctx *p, const char *key, struct json_object *o, const char *what,
                        const char **out)
{
	char gbuf[64];

	if (!json_object_is_type(o, json_type_string))
		return perr(p, key, "expected %s, got %s", what, got(o, gbuf, sizeof(gbuf)));
	*out = json_object_get_string(o);
	return 0;
}

static const char *const device_keys[] = {"pci", "id", "kind", "dfl_bar", "guid", "mmio_bars", "vf_token"};

static int parse_device(struct pctx *p, unsigned idx, struct json_object *o, struct cfg_device *d)
{
	struct json_object *pci = NULL, *id = NULL, *kind = NULL, *v;
	char key[96], gbuf[64];
	const char *s;

	memset(d, 0, sizeof(*d));
	d->index = idx;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(key, sizeof(key), "devices[%u]", idx);
		return perr(p, key, "expected an object, got %s", got(o, gbuf, sizeof(gbuf)));
	}
	json_object_object_foreach(o, name, val)
	{
		size_t i;

		(void)val;
		for (i = 0; i < sizeof(device_keys) / sizeof(device_keys[0]); i++)
			if (!strcmp(name, device_keys[i]))
				break;
		if (i == sizeof(device_keys) / sizeof(device_keys[0])) {
			snprintf(key, sizeof(key), "devices[%u].%.40s", idx, name);
			return perr(p, key,
			            "unknown key (expected pci, id, kind, dfl_bar, guid, mmio_bars, vf_token)");
		}
	}
	json_object_object_get_ex(o, "pci", &pci);
	json_object_object_get_ex(o, "id", &id);
	if (!pci == !id) {
		snprintf(key, sizeof(key), "devices[%u]", idx);
		return perr(p, key, "expected exactly one of \"pci\" (an address) or \"id\" (PCI ids), got %s",
		            pci ? "both" : "neither");
	}
	if (pci) {
		snprintf(key, sizeof(key), "devices[%u].pci", idx);
		if (parse_string(p, key, pci, "a PCI address like \"0000:3b:00.0\"", &s))
			return -1;
		if (cfg_canonical_address(s, d->address))
			return perr(p, key, "expected a PCI address [domain:]bus:device.function like \"0000:3b:00.0\", got %s",
			            got(pci, gbuf, sizeof(gbuf)));
		d->match = CFG_MATCH_ADDRESS;
	} else {
		snprintf(key, sizeof(key), "devices[%u].id", idx);
		if (parse_ids(p, key, id, d))
			return -1;
		d->match = CFG_MATCH_IDS;
	}

	snprintf(key, sizeof(key), "devices[%u].kind", idx);
	if (!json_object_object_get_ex(o, "kind", &kind))
		return perr(p, key, "missing (expected \"dfl\" or \"plain\")");
	if (parse_string(p, key, kind, "\"dfl\" or \"plain\"", &s))
		return -1;
	if (!strcmp(s, "dfl"))
		d->kind = CFG_KIND_DFL;
	else if (!strcmp(s, "plain"))
		d->kind = CFG_KIND_PLAIN;
	else
		return perr(p, key, "expected \"dfl\" or \"plain\", got %s", got(kind, gbuf, sizeof(gbuf)));

	if (json_object_object_get_ex(o, "dfl_bar", &v)) {
		snprintf(key, sizeof(key), "devices[%u].dfl_bar", idx);
		if (d->kind != CFG_KIND_DFL)
			return perr(p, key, "only allowed with \"kind\": \"dfl\"");
		if (parse_bar(p, key, v, &d->dfl_bar))
			return -1;
	}
	snprintf(key, sizeof(key), "devices[%u].guid", idx);
	if (json_object_object_get_ex(o, "guid", &v)) {
		if (d->kind != CFG_KIND_PLAIN)
			return perr(p, key, "only allowed with \"kind\": \"plain\" (a DFL card's GUIDs are read from the device)");
		if (parse_string(p, key, v, "a GUID like \"d8424dc4-a4a3-c413-f89e-433683f9040b\"", &s))
			return -1;
		if (parse_uuid(s, d->guid, NULL))
			return perr(p, key, "expected a GUID like \"d8424dc4-a4a3-c413-f89e-433683f9040b\", got %s",
			            got(v, gbuf, sizeof(gbuf)));
	} else if (d->kind == CFG_KIND_PLAIN) {
		return perr(p, key, "missing (a plain accelerator is declared with its GUID)");
	}
	if (json_object_object_get_ex(o, "mmio_bars", &v)) {
		snprintf(key, sizeof(key), "devices[%u].mmio_bars", idx);
		if (d->kind != CFG_KIND_PLAIN)
			return perr(p, key, "only allowed with \"kind\": \"plain\"");
		if (parse_mmio_bars(p, key, v, &d->mmio_bars))
			return -1;
	}
	if (json_object_object_get_ex(o, "vf_token", &v)) {
		snprintf(key, sizeof(key), "devices[%u].vf_token", idx);
		if (parse_string(p, key, v, "a UUID like \"2a7f6c3e-0a5b-4d6e-9f10-1c2d3e4f5a6b\"", &s))
			return -1;
		if (parse_uuid(s, NULL, d->vf_token))
			return perr(p, key, "expected a UUID like \"2a7f6c3e-0a5b-4d6e-9f10-1c2d3e4f5a6b\", got %s",
			            got(v, gbuf, sizeof(gbuf)));
	}
	return 0;
}

static int parse_root(struct pctx *p, struct json_object *root, struct cfg *c)
{
	struct json_object *list;
	char gbuf[64], key[64];
	size_t n, i;

	if (!json_object_is_type(root, json_type_object))
		return perr(p, "(top level)", "expected an object, got %s", got(root, gbuf, sizeof(gbuf)));
	json_object_object_foreach(root, name, val)
	{
		(void)val;
		if (strcmp(name, "devices")) {
			snprintf(key, sizeof(key), "%.40s", name);
			return perr(p, key, "unknown key (expected \"devices\")");
		}
	}
	if (!json_object_object_get_ex(root, "devices", &list))
		return 0;
	c->has_list = 1;
	if (!json_object_is_type(list, json_type_array))
		return perr(p, "devices", "expected an array of device objects, got %s",
		            got(list, gbuf, sizeof(gbuf)));
	n = json_object_array_length(list);
	if (n > CFG_MAX_DEVICES)
		return perr(p, "devices", "expected at most %d entries, got %zu", CFG_MAX_DEVICES, n);
	if (!n)
		return 0;
	c->devices = calloc(n, sizeof(*c->devices));
	if (!c->devices)
		return perr(p, "devices", "out of memory");
	for (i = 0; i < n; i++) {
		if (parse_device(p, (unsigned)i, json_object_array_get_idx(list, i), &c->devices[i]))
			return -1;
		c->ndevices++;
		for (size_t j = 0; j < i; j++) {
			const struct cfg_device *a = &c->devices[j], *b = &c->devices[i];

			if (a->match != b->match)
				continue;
			if ((a->match == CFG_MATCH_ADDRESS && !strcmp(a->address, b->address)) ||
			    (a->match == CFG_MATCH_IDS && !memcmp(a->ids, b->ids, sizeof(a->ids)))) {
				snprintf(key, sizeof(key), "devices[%zu].%s", i,
				         a->match == CFG_MATCH_ADDRESS ? "pci" : "id");
				return perr(p, key, "expected each device once, got the same %s as devices[%zu]",
				            a->match == CFG_MATCH_ADDRESS ? "address" : "ids", j);
			}
		}
	}
	return 0;
}

int cfg_parse(const char *json, const char *where, struct cfg **out, char *err, size_t errlen)
{
	struct pctx p = {where ? where : "configuration", err, errlen};
	struct json_tokener *tok;
	struct json_object *root;
	struct cfg *c;
	size_t len;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return perr(&p, "(arguments)", "no output pointer");
	*out = NULL;
	if (!json || !*json)
		json = "{}";
	len = strlen(json);
	tok = json_tokener_new();
	if (!tok)
		return perr(&p, "(top level)", "out of memory");
	root = json_tokener_parse_ex(tok, json, (int)len + 1); /* with the NUL: a bare number ends */
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;

		/* trailing text after a complete value is an error too */
		if (root && e == json_tokener_success) {
			while (off < len && isspace((unsigned char)json[off]))
				off++;
			if (off == len)
				goto parsed;
		}
		for (size_t i = 0; i < off && i < len; i++) {
			if (json[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		json_object_put(root);
		json_tokener_free(tok);
		return perr(&p, "(syntax)", "expected JSON, got an error at line %zu column %zu: %s", line,
		            col,
		            e == json_tokener_success || e == json_tokener_continue
		                ? (root ? "text after the end" : "unexpected end of text")
		                : json_tokener_error_desc(e));
	}
parsed:
	json_tokener_free(tok);
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_object_put(root);
		return perr(&p, "(top level)", "out of memory");
	}
	rc = parse_root(&p, root, c);
	json_object_put(root);
	if (rc) {
		cfg_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int cfg_load_file(const char *path, struct cfg **out, char *err, size_t errlen)
{
	struct pctx p = {path ? path : "(null)", err, errlen};
	char *buf;
	size_t n = 0;
	FILE *f;
	int rc;

	if (out)
		*out = NULL;
	if (!path || !*path)
		return perr(&p, "(file)", "expected a file name, got an empty one");
	f = fopen(path, "re");
	if (!f)
		return perr(&p, "(file)", "cannot be opened: %s", strerror(errno));
	buf = malloc(CFG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return perr(&p, "(file)", "out of memory");
	}
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	rc = ferror(f);
	fclose(f);
	if (rc || n > CFG_FILE_MAX) {
		free(buf);
		return perr(&p, "(file)", rc ? "cannot be read" : "expected at most 1 MiB, got more");
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		return perr(&p, "(file)", "expected JSON text, got a NUL byte");
	}
	rc = cfg_parse(buf, path, out, err, errlen);
	free(buf);
	return rc;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->devices);
	free(c);
}

int cfg_defaults(struct cfg **out)
{
	/* Intel FPGA PF/VF ids (OFS, PAC A10 GX, PAC D5005), as OPAE ships them */
	static const uint16_t ids[] = {0xbcce, 0xbccf, 0xaf00, 0xaf01, 0x09c4, 0x09c5, 0x0b2b, 0x0b2c};
	const size_t n = sizeof(ids) / sizeof(ids[0]);
	struct cfg *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -1;
	c->devices = calloc(n, sizeof(*c->devices));
	if (!c->devices) {
		free(c);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct cfg_device *d = &c->devices[i];

		d->index = (unsigned)i;
		d->match = CFG_MATCH_IDS;
		d->ids[0] = 0x8086;
		d->ids[1] = ids[i];
		d->ids[2] = d->ids[3] = CFG_ANY;
		d->kind = CFG_KIND_DFL;
	}
	c->ndevices = (unsigned)n;
	*out = c;
	return 0;
}

const struct cfg_device *cfg_match(const struct cfg *c, const char *addr, const uint16_t ids[4])
{
	const struct cfg_device *by_ids = NULL;

	if (!c)
		return NULL;
	for (unsigned i = 0; i < c->ndevices; i++) {
		const struct cfg_device *d = &c->devices[i];
		int k;

		if (d->match == CFG_MATCH_ADDRESS) {
			if (addr && !strcmp(d->address, addr))
				return d;
			continue;
		}
		if (by_ids || !ids)
			continue;
		for (k = 0; k < 4; k++)
			if (d->ids[k] != CFG_ANY && d->ids[k] != ids[k])
				break;
		if (k == 4)
			by_ids = d;
	}
	return by_ids;
}
