/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/plugin/adapter.h - the plugin ABI: the table of entry points a plugin
 * fills in opae_plugin_configure(), and the constants to pick its layout.
 *
 * opae_api_adapter_table is OPAE's 2.12+ layout (496 bytes on LP64). Older
 * 2.x frameworks use shorter tables (see OPAE_ADAPTER_TABLE_SIZE_*); a plugin
 * loaded by one of them must write the entries at the shifted offsets that
 * opae_adapter_offset() computes, never through this struct directly.
 */
#ifndef OPAE_PLUGIN_ADAPTER_H
#define OPAE_PLUGIN_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The loaded module, filled by the framework before configure is called. */
typedef struct _opae_plugin {
	char *path;      /* module name as written in the config */
	void *dl_handle; /* dlopen() handle of the module */
} opae_plugin;

/* Entry points of one plugin. Unfilled (NULL) entries make the framework
 * answer FPGA_NOT_SUPPORTED. Each entry has the signature of the public call
 * of the same name, except where a comment says otherwise. */
typedef struct _opae_api_adapter_table {
	struct _opae_api_adapter_table *next; /* framework's list link */
	opae_plugin plugin;

	/* With FPGA_OPEN_HAS_PARENT_AFU, *handle is an input: the parent's
	 * plugin handle. */
	fpga_result (*fpgaOpen)(fpga_token token, fpga_handle *handle, int flags);
	fpga_result (*fpgaClose)(fpga_handle handle);
	fpga_result (*fpgaReset)(fpga_handle handle);
	fpga_result (*fpgaGetPropertiesFromHandle)(fpga_handle handle, fpga_properties *prop);
	fpga_result (*fpgaGetProperties)(fpga_token token, fpga_properties *prop);
	fpga_result (*fpgaUpdateProperties)(fpga_token token, fpga_properties prop);

	fpga_result (*fpgaWriteMMIO64)(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
	                               uint64_t value);
	fpga_result (*fpgaReadMMIO64)(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
	                              uint64_t *value);
	fpga_result (*fpgaWriteMMIO32)(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
	                               uint32_t value);
	fpga_result (*fpgaReadMMIO32)(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
	                              uint32_t *value);
	fpga_result (*fpgaWriteMMIO512)(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
	                                const void *value);
	fpga_result (*fpgaMapMMIO)(fpga_handle handle, uint32_t mmio_num, uint64_t **mmio_ptr);
	fpga_result (*fpgaUnmapMMIO)(fpga_handle handle, uint32_t mmio_num);

	/* Must report the total match count while writing at most max_tokens. */
	fpga_result (*fpgaEnumerate)(const fpga_properties *filters, uint32_t num_filters,
	                             fpga_token *tokens, uint32_t max_tokens,
	                             uint32_t *num_matches);
	fpga_result (*fpgaCloneToken)(fpga_token src, fpga_token *dst);
	fpga_result (*fpgaDestroyToken)(fpga_token *token);

	/* Never forwarded by the framework. */
	fpga_result (*fpgaGetNumUmsg)(fpga_handle handle, uint64_t *value);
	fpga_result (*fpgaSetUmsgAttributes)(fpga_handle handle, uint64_t value);
	fpga_result (*fpgaTriggerUmsg)(fpga_handle handle, uint64_t value);
	fpga_result (*fpgaGetUmsgPtr)(fpga_handle handle, uint64_t **umsg_ptr);

	fpga_result (*fpgaPrepareBuffer)(fpga_handle handle, uint64_t len, void **buf_addr,
	                                 uint64_t *wsid, int flags);
	fpga_result (*fpgaReleaseBuffer)(fpga_handle handle, uint64_t wsid);
	fpga_result (*fpgaGetIOAddress)(fpga_handle handle, uint64_t wsid, uint64_t *ioaddr);
	/* From here on the layout differs between 2.x releases. */
	fpga_result (*fpgaBindSVA)(fpga_handle handle, uint32_t *pasid); /* 2.10+ */
	/* Framework-internal (2.12+): map / unmap caller memory at a given
	 * IOVA (child AFUs share the parent's buffers), and describe a wsid. */
	fpga_result (*fpgaPinBuffer)(fpga_handle handle, void *buf_addr, uint64_t len,
	                             uint64_t ioaddr);
	fpga_result (*fpgaUnpinBuffer)(fpga_handle handle, void *buf_addr, uint64_t len,
	                               uint64_t ioaddr);
	fpga_result (*fpgaGetWSInfo)(fpga_handle handle, uint64_t wsid, uint64_t *ioaddr,
	                             void **buf_addr, uint64_t *len);

	fpga_result (*fpgaReadError)(fpga_token token, uint32_t error_num, uint64_t *value);
	fpga_result (*fpgaClearError)(fpga_token token, uint32_t error_num);
	fpga_result (*fpgaClearAllErrors)(fpga_token token);
	fpga_result (*fpgaGetErrorInfo)(fpga_token token, uint32_t error_num,
	                                struct fpga_error_info *error_info);

	fpga_result (*fpgaCreateEventHandle)(fpga_event_handle *event_handle);
	fpga_result (*fpgaDestroyEventHandle)(fpga_event_handle *event_handle);
	fpga_result (*fpgaGetOSObjectFromEventHandle)(const fpga_event_handle eh, int *fd);
	fpga_result (*fpgaRegisterEvent)(fpga_handle handle, fpga_event_type event_type,
	                                 fpga_event_handle event_handle, uint32_t flags);
	fpga_result (*fpgaUnregisterEvent)(fpga_handle handle, fpga_event_type event_type,
	                                   fpga_event_handle event_handle);

	fpga_result (*fpgaAssignPortToInterface)(fpga_handle fpga, uint32_t interface_num,
	                                         uint32_t slot_num, int flags);
	fpga_result (*fpgaAssignToInterface)(fpga_handle fpga, fpga_token accelerator,
	                                     uint32_t host_interface, int flags);
	fpga_result (*fpgaReleaseFromInterface)(fpga_handle fpga, fpga_token accelerator);
	fpga_result (*fpgaReconfigureSlot)(fpga_handle fpga, uint32_t slot,
	                                   const uint8_t *bitstream, size_t bitstream_len,
	                                   int flags);

	fpga_result (*fpgaTokenGetObject)(fpga_token token, const char *name, fpga_object *object,
	                                  int flags);
	fpga_result (*fpgaHandleGetObject)(fpga_handle handle, const char *name,
	                                   fpga_object *object, int flags);
	fpga_result (*fpgaObjectGetObject)(fpga_object parent, const char *name,
	                                   fpga_object *object, int flags);
	fpga_result (*fpgaObjectGetObjectAt)(fpga_object parent, size_t idx, fpga_object *object);
	fpga_result (*fpgaDestroyObject)(fpga_object *obj);
	fpga_result (*fpgaObjectRead)(fpga_object obj, uint8_t *buffer, size_t offset, size_t len,
	                              int flags);
	fpga_result (*fpgaObjectRead64)(fpga_object obj, uint64_t *value, int flags);
	fpga_result (*fpgaObjectGetSize)(fpga_object obj, uint32_t *value, int flags);
	fpga_result (*fpgaObjectGetType)(fpga_object obj, enum fpga_sysobject_type *type);
	fpga_result (*fpgaObjectWrite64)(fpga_object obj, uint64_t value, int flags);

	fpga_result (*fpgaSetUserClock)(fpga_handle handle, uint64_t high_clk, uint64_t low_clk,
	                                int flags);
	fpga_result (*fpgaGetUserClock)(fpga_handle handle, uint64_t *high_clk, uint64_t *low_clk,
	                                int flags);

	fpga_result (*fpgaGetNumMetrics)(fpga_handle handle, uint64_t *num_metrics);
	fpga_result (*fpgaGetMetricsInfo)(fpga_handle handle, fpga_metric_info *metric_info,
	                                  uint64_t *num_metrics);
	fpga_result (*fpgaGetMetricsByIndex)(fpga_handle handle, uint64_t *metric_num,
	                                     uint64_t num_metric_indexes, fpga_metric *metrics);
	fpga_result (*fpgaGetMetricsByName)(fpga_handle handle, char **metrics_names,
	                                    uint64_t num_metric_names, fpga_metric *metrics);
	fpga_result (*fpgaGetMetricsThresholdInfo)(fpga_handle handle,
	                                           metric_threshold *metric_thresholds,
	                                           uint32_t *num_thresholds);

	/* Called by fpgaInitialize() / fpgaFinalize(); 0 = success. */
	int (*initialize)(void);
	int (*finalize)(void);
} opae_api_adapter_table;

/* Sizes of the table in the three layouts of OPAE 2.x (soname 2 throughout).
 * Entries up to fpgaGetIOAddress never moved. */
#define OPAE_ADAPTER_TABLE_SIZE_2_0  464 /* 2.0 - 2.9: no BindSVA/Pin/Unpin/GetWSInfo */
#define OPAE_ADAPTER_TABLE_SIZE_2_10 472 /* 2.10 - 2.11: BindSVA, no Pin/Unpin/GetWSInfo */
#define OPAE_ADAPTER_TABLE_SIZE_2_12 496 /* 2.12 and later: this struct */

/* Table size used by framework version v, or 0 for a major other than 2. */
static inline size_t opae_adapter_table_size(fpga_version v)
{
	if (v.major != 2)
		return 0;
	if (v.minor >= 12)
		return OPAE_ADAPTER_TABLE_SIZE_2_12;
	if (v.minor >= 10)
		return OPAE_ADAPTER_TABLE_SIZE_2_10;
	return OPAE_ADAPTER_TABLE_SIZE_2_0;
}

/* Where the entry at offset off_2_12 of this struct (an offsetof() value)
 * lives in a table of table_size bytes; SIZE_MAX when that layout lacks the
 * entry or table_size is not one of the known sizes. Entries from
 * fpgaReadError on move down by the size of the entries the layout lacks. */
static inline size_t opae_adapter_offset(size_t off_2_12, size_t table_size)
{
	const size_t bind_sva = offsetof(opae_api_adapter_table, fpgaBindSVA);
	const size_t read_error = offsetof(opae_api_adapter_table, fpgaReadError);
	size_t missing;

	if (table_size == OPAE_ADAPTER_TABLE_SIZE_2_12)
		missing = 0;
	else if (table_size == OPAE_ADAPTER_TABLE_SIZE_2_10)
		missing = read_error - bind_sva - sizeof(void *); /* Pin, Unpin, GetWSInfo */
	else if (table_size == OPAE_ADAPTER_TABLE_SIZE_2_0)
		missing = read_error - bind_sva; /* BindSVA too */
	else
		return SIZE_MAX;
	if (off_2_12 >= OPAE_ADAPTER_TABLE_SIZE_2_12 || off_2_12 % sizeof(void *))
		return SIZE_MAX;
	if (off_2_12 < bind_sva)
		return off_2_12;
	if (off_2_12 >= read_error)
		return off_2_12 - missing;
	/* One of the entries added in 2.10 / 2.12. */
	if (off_2_12 < read_error - missing)
		return off_2_12;
	return SIZE_MAX;
}

/* The only symbol the framework looks up in a plugin: fill *adapter (path
 * and dl_handle are already set) and return 0, or non-zero to be unloaded.
 * jsonConfig is the plugin's "configuration" value as compact JSON, or NULL.
 * Declared with default visibility so that a plugin built with
 * -fvisibility=hidden (as it should be) still exports exactly this symbol. */
__attribute__((visibility("default"))) int opae_plugin_configure(opae_api_adapter_table *adapter,
                                                                 const char *jsonConfig);

/* Load, configure and register a plugin without PCI detection (framework
 * call; the plugin's initialize() runs at the next fpgaInitialize()). */
int opae_plugin_mgr_register_plugin(const char *module_name, const char *config);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_PLUGIN_ADAPTER_H */
