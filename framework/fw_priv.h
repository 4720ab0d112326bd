/* SPDX-License-Identifier: BSD-3-Clause */
/* fw_priv.h - private types of libopae-c (our framework/): the loaded plugins
 * (adapters), the wrapped objects handed to applications, and each module's
 * entry points. Everything here is hidden; only the public fpga* API,
 * opae_print and opae_plugin_mgr_register_plugin are exported (libopae-c.map).
 *
 * Lock order (outer first); no lock is held while calling into a plugin
 * except where noted:
 *   fw_init_lock (recursive: fpgaInitialize/Finalize, plugin registration;
 *                 held across plugin configure/initialize/finalize)
 *   -> fw_adapters_lock (rwlock: readers walk the adapter list and call
 *                 plugins' fpgaEnumerate; writers add or detach adapters)
 *   -> properties object locks (recursive; enumeration takes the filters'
 *                 locks in address order and holds them across the plugins'
 *                 fpgaEnumerate)
 *   -> event handle lock (held across the plugin's event calls)
 *   -> object table locks and the properties registry (leaves).
 * The MMIO path takes no lock at all.
 */
#ifndef FW_PRIV_H
#define FW_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <opae/fpga.h>
#include <opae/log.h>
#include <opae/plugin/adapter.h>
#include <opae/plugin/props.h>

#include "objtab.h"

/* Everything is built with hidden visibility; the public API is marked. */
#define FW_API __attribute__((visibility("default")))

/* ---- log.c ---- */
void fw_log_init(void);
void fw_log_fini(void);
bool fw_log_enabled(int level);
/* One line "libopae-c: <message>" at level (OPAE_LOG_*). */
void fw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define fw_err(...) fw_log(OPAE_LOG_ERROR, __VA_ARGS__)
#define fw_msg(...) fw_log(OPAE_LOG_MESSAGE, __VA_ARGS__)
#define fw_dbg(...) fw_log(OPAE_LOG_DEBUG, __VA_ARGS__)

/* ---- pluginmgr.c: loaded plugins ---- */
struct fw_adapter {
	opae_api_adapter_table table; /* what the plugin filled (2.12+ layout) */
	char *config;                 /* configuration string it received, or NULL */
	unsigned int seq;             /* load order, 1-based */
	bool initialized;             /* initialize() succeeded */
};

extern pthread_mutex_t fw_init_lock; /* recursive */
extern pthread_rwlock_t fw_adapters_lock;
extern struct fw_adapter *fw_adapters; /* list through table.next, load order */

#define FW_ADAPTER_NAME(a) ((a)->table.plugin.path)

/* Load module, configure it with config, append it to the list. origin
 * says where the request came from (for messages). 0 or -1. */
int fw_plugin_load(const char *module, const char *config, const char *origin);
/* Call initialize() of every adapter not yet initialized; adapters whose
 * initialize fails are unloaded. Returns the number of failures. */
int fw_plugins_initialize(void);
/* Finalize and unload every adapter. Returns the number of failures. */
int fw_plugins_unload(void);

/* ---- wrapped objects ---- */
#define FW_TAG_TOKEN  0xa1
#define FW_TAG_HANDLE 0xa2
#define FW_TAG_EVENT  0xa3
#define FW_TAG_OBJECT 0xa4

/* One plugin token and its users (ids naming it, open handles). */
struct fw_ptoken {
	fpga_token plugin_token;
	const opae_api_adapter_table *adapter;
	_Atomic uint32_t refs;
};

/* One token id handed out; holds one reference on its fw_ptoken. */
struct fw_token {
	struct objtab_slot slot;
	struct fw_ptoken *pt;
};

#define FW_MAX_CHILDREN 32

struct fw_handle {
	struct objtab_slot slot;
	fpga_handle plugin_handle;
	const opae_api_adapter_table *adapter;
	struct fw_ptoken *pt; /* the token it was opened from (one reference) */
	void *parent;         /* id of the parent handle, NULL for top level */
	uint32_t num_children;
	void *children[FW_MAX_CHILDREN]; /* ids of child handles, closed with us */
};

struct fw_event {
	struct objtab_slot slot;
	pthread_mutex_t lock; /* recursive, created with the wrapper */
	bool created;         /* plugin event handle exists */
	fpga_event_handle plugin_event;
	const opae_api_adapter_table *adapter;
};

struct fw_object {
	struct objtab_slot slot;
	fpga_object plugin_object;
	const opae_api_adapter_table *adapter;
};

extern struct objtab fw_tokens, fw_handles, fw_events, fw_objects;

/* ---- token.c ---- */
/* A holder for plugin_token with one reference, or NULL. */
struct fw_ptoken *fw_ptoken_new(const opae_api_adapter_table *adapter, fpga_token plugin_token);
/* Drop a reference; at 0 the plugin's fpgaDestroyToken runs. */
void fw_ptoken_put(struct fw_ptoken *pt);
/* A new id for pt; consumes the caller's reference on success (NULL on
 * failure: the caller still owns it). */
fpga_token fw_token_wrap(struct fw_ptoken *pt);
/* The holder behind a live token id, with a reference; NULL if not live. */
struct fw_ptoken *fw_token_ref(fpga_token id);
/* Kill a token id (dropping its reference); false if it was not live. */
bool fw_token_drop(fpga_token id);
/* A second id for the plugin token behind id; NULL if id is not live. */
fpga_token fw_token_alias(fpga_token id);
/* A new id for the wrapped FPGA_DEVICE token that contains the plugin
 * token hdr (same PCI segment/bus/device); NULL if none is held. */
fpga_token fw_token_find_parent(const fpga_token_header *hdr);

/* ---- handle.c ---- */
/* The live handle named by id, or NULL. No lock, no reference: the MMIO
 * path costs a few loads. */
static inline struct fw_handle *fw_handle_lookup(fpga_handle id)
{
	return (struct fw_handle *)objtab_lookup(&fw_handles, id);
}
/* Open pt through its plugin into a new handle id (*out). parent is the
 * parent handle's id for a child AFU (plugin_parent its plugin handle, handed
 * to the plugin's fpgaOpen with FPGA_OPEN_HAS_PARENT_AFU), else NULL. */
fpga_result fw_handle_open(struct fw_ptoken *pt, fpga_handle parent, fpga_handle plugin_parent,
                           int flags, fpga_handle *out);

/* Body of a call forwarded to the plugin owning `handle`: FPGA_INVALID_PARAM
 * for anything but a live handle, FPGA_NOT_SUPPORTED when the plugin left
 * the entry empty. Extra arguments follow the plugin handle. */
#define FW_FORWARD_HANDLE(fn, ...)                                                                 \
	do {                                                                                       \
		const struct fw_handle *fwd_h_ = fw_handle_lookup(handle);                         \
		if (!fwd_h_)                                                                       \
			return FPGA_INVALID_PARAM;                                                 \
		if (!fwd_h_->adapter->fn)                                                          \
			return FPGA_NOT_SUPPORTED;                                                 \
		return fwd_h_->adapter->fn(fwd_h_->plugin_handle, ##__VA_ARGS__);                  \
	} while (0)

/* ---- children.c ---- */
/* Probe the accelerator behind h (id parent_id) for child AFUs and open
 * them into h->children. */
fpga_result fw_children_open(struct fw_handle *h, fpga_handle parent_id);

/* Release a claimed object of each kind (fpgaFinalize drains the tables
 * with these: handles are closed, event handles and sysobjects destroyed,
 * token ids dropped, each through the owning plugin). */
void fw_handle_release_claimed(void *obj);
void fw_event_release_claimed(void *obj);
void fw_object_release_claimed(void *obj);
void fw_token_release_claimed(void *obj);

/* ---- props.c ---- */
/* fpgaGetProperties(NULL, ...): a fresh, empty, registered object. */
fpga_result fw_props_new(fpga_properties *prop);
/* Validate prop (registered and magic) and lock it; NULL if invalid. */
struct _fpga_properties *fw_props_lock(fpga_properties prop);
void fw_props_unlock(struct _fpga_properties *p);
/* Replace the parent of p (locked): a live token id is stored as a new id
 * owned by p; anything else as is. */
fpga_result fw_props_set_parent(struct _fpga_properties *p, fpga_token parent);
/* Drop p's parent (and the id it owns). */
void fw_props_clear_parent(struct _fpga_properties *p);

/* ---- cfg.c: OPAE's configuration file ---- */
/* One row of the plugin table: a PCI ID pattern and what to load for it. */
struct fw_cfg_row {
	uint16_t vendor, device;
	uint16_t subvendor, subdevice; /* 0xffff = any */
	char *module;
	char *config; /* the plugin entry's "configuration", compact JSON */
	char *name;   /* "configuration X, device Y", for messages */
	bool detected;
	char detected_at[32]; /* the first PCI function that matched */
};

struct fw_cfg {
	char *path;
	struct fw_cfg_row *rows; /* in "configs" order */
	size_t nrows;
};

/* The file to read: 0 and its path in out, 1 when there is none, -1 when
 * the explicit one is unusable (reported). */
int fw_cfg_find(const char *explicit_path, char *out, size_t len);
/* Read and parse path into c (every mistake reported, broken entries
 * skipped); -1 when the whole file is unusable. Free c with fw_cfg_free. */
int fw_cfg_load(const char *path, struct fw_cfg *c);
int fw_cfg_parse(struct fw_cfg *c, const char *text, size_t len);
void fw_cfg_drop_rows(struct fw_cfg *c, size_t from);
void fw_cfg_free(struct fw_cfg *c);

/* ---- pci_detect.c ---- */
/* Mark the rows whose IDs match a function under /sys/bus/pci/devices. */
void fw_pci_detect(struct fw_cfg *c);

/* ---- init.c ---- */
extern bool fw_config_loaded;

#endif /* FW_PRIV_H */
