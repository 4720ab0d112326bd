/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - the plugin's device list: which vfio-pci functions it claims and
 * how to treat each (DFL card or plain accelerator), parsed from JSON.
 *
 * Pure: json-c in, a model out, no I/O except cfg_load_file() reading one
 * file. All-or-nothing: a malformed list yields no model and one error line
 * naming the key ("devices[2].id[1]") and what was expected. Schema:
 * config/README.md. Symbols are hidden when linked into the plugin.
 */
#ifndef OVFIO_CONFIG_H
#define OVFIO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest PCI address we accept: 8-digit domain + ":bb:dd.f" + NUL. */
#define CFG_ADDR_MAX 17
/* Canonical UUID text + NUL. */
#define CFG_UUID_MAX 37
/* An id field of a match rule that matches anything. */
#define CFG_ANY (-1)

enum cfg_kind {
	CFG_KIND_DFL = 0,   /* a Device Feature List starts in BAR dfl_bar */
	CFG_KIND_PLAIN = 1, /* no feature list: one accelerator with a declared GUID */
};

enum cfg_match_by {
	CFG_MATCH_ADDRESS = 0,
	CFG_MATCH_IDS = 1,
};

struct cfg_device {
	unsigned index;         /* position in "devices", for messages */
	enum cfg_match_by match;
	char address[CFG_ADDR_MAX]; /* canonical "dddd:bb:dd.f" (CFG_MATCH_ADDRESS) */
	int32_t ids[4];         /* vendor, device, subsystem vendor, subsystem device; CFG_ANY = "*" */
	enum cfg_kind kind;
	unsigned dfl_bar;       /* CFG_KIND_DFL: BAR holding the list (default 0) */
	uint8_t guid[16];       /* CFG_KIND_PLAIN: accelerator GUID, big-endian (uuid_parse order) */
	unsigned mmio_bars;     /* CFG_KIND_PLAIN: bit mask of BARs exposed as MMIO spaces; 0 = all */
	char vf_token[CFG_UUID_MAX]; /* "" = none; else lower-case canonical UUID */
};

struct cfg {
	unsigned ndevices;
	int has_list; /* 0 when the text had no "devices" key (defaults apply) */
	struct cfg_device *devices;
};

/* Parse `json` (NULL or "" count as "{}"). On success returns 0 and a model in
 * *out (free with cfg_free). On failure returns -1, *out = NULL and err holds
 * one line: "<where>: <key>: expected <what>, got <what was there>". `where`
 * names the source in messages ("configuration", a file path). */
int cfg_parse(const char *json, const char *where, struct cfg **out, char *err, size_t errlen);

/* Read and parse a file (at most 1 MiB); same contract as cfg_parse. */
int cfg_load_file(const char *path, struct cfg **out, char *err, size_t errlen);

void cfg_free(struct cfg *c);

/* The rules OPAE's own configuration ships for Intel FPGA cards (DFL in BAR
 * 0 of the PF/VF ids), used when the text has no "devices" key. */
int cfg_defaults(struct cfg **out);

/* The entry that claims the function at canonical address `addr` with these
 * ids (vendor, device, subsystem vendor, subsystem device), or NULL. An
 * address entry wins over an id entry; among id entries the first listed. */
const struct cfg_device *cfg_match(const struct cfg *c, const char *addr, const uint16_t ids[4]);

/* Canonicalise a PCI address ("3b:00.0", "0000:3B:00.0", "10000:00:02.0") to
 * lower case with at least 4 domain digits. 0 on success, -1 if malformed. */
int cfg_canonical_address(const char *in, char out[CFG_ADDR_MAX]);

#ifdef __cplusplus
}
#endif

#endif /* OVFIO_CONFIG_H */
