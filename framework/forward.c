// SPDX-License-Identifier: BSD-3-Clause
/* forward.c - the calls the framework only forwards: error registers (by
 * token), management, user clocks and metrics (by handle), the object API
 * (wrapped sysobjects), and UMsg, which OPAE never forwards. Each validates
 * its framework object and answers FPGA_NOT_SUPPORTED when the owning
 * plugin left the entry empty. */
#include "fw_priv.h"

struct objtab fw_objects = OBJTAB_INIT("object", FW_TAG_OBJECT, struct fw_object);

/* Body of a call forwarded to the plugin owning `token`. */
#define FORWARD_TOKEN(fn, ...)                                                                     \
	do {                                                                                       \
		struct fw_ptoken *fwd_pt_ = fw_token_ref(token);                                   \
		fpga_result fwd_r_ = FPGA_NOT_SUPPORTED;                                           \
		if (!fwd_pt_)                                                                      \
			return FPGA_INVALID_PARAM;                                                 \
		if (fwd_pt_->adapter->fn)                                                          \
			fwd_r_ = fwd_pt_->adapter->fn(fwd_pt_->plugin_token, ##__VA_ARGS__);       \
		fw_ptoken_put(fwd_pt_);                                                            \
		return fwd_r_;                                                                     \
	} while (0)

/* Body of a call forwarded to the plugin owning object `obj`. */
#define FORWARD_OBJECT(fn, ...)                                                                    \
	do {                                                                                       \
		const struct fw_object *fwd_o_ = objtab_lookup(&fw_objects, obj);                  \
		if (!fwd_o_)                                                                       \
			return FPGA_INVALID_PARAM;                                                 \
		if (!fwd_o_->adapter->fn)                                                          \
			return FPGA_NOT_SUPPORTED;                                                 \
		return fwd_o_->adapter->fn(fwd_o_->plugin_object, ##__VA_ARGS__);                  \
	} while (0)

FW_API fpga_result fpgaReadError(fpga_token token, uint32_t error_num, uint64_t *value)
{
	FORWARD_TOKEN(fpgaReadError, error_num, value);
}

FW_API fpga_result fpgaClearError(fpga_token token, uint32_t error_num)
{
	FORWARD_TOKEN(fpgaClearError, error_num);
}

FW_API fpga_result fpgaClearAllErrors(fpga_token token)
{
	FORWARD_TOKEN(fpgaClearAllErrors);
}

FW_API fpga_result fpgaGetErrorInfo(fpga_token token, uint32_t error_num,
                                    struct fpga_error_info *error_info)
{
	FORWARD_TOKEN(fpgaGetErrorInfo, error_num, error_info);
}

FW_API fpga_result fpgaAssignPortToInterface(fpga_handle handle, uint32_t interface_num,
                                             uint32_t slot_num, int flags)
{
	FW_FORWARD_HANDLE(fpgaAssignPortToInterface, interface_num, slot_num, flags);
}

/* Calls taking a handle and a second (accelerator) token of the same plugin. */
#define FORWARD_HANDLE_TOKEN(fn, ...)                                                              \
	do {                                                                                       \
		const struct fw_handle *fwd_h_ = fw_handle_lookup(handle);                         \
		struct fw_ptoken *fwd_pt_ = fw_token_ref(accelerator);                             \
		fpga_result fwd_r_ = FPGA_NOT_SUPPORTED;                                           \
		if (!fwd_h_ || !fwd_pt_ || fwd_pt_->adapter != fwd_h_->adapter)                    \
			fwd_r_ = FPGA_INVALID_PARAM;                                               \
		else if (fwd_h_->adapter->fn)                                                      \
			fwd_r_ = fwd_h_->adapter->fn(fwd_h_->plugin_handle, fwd_pt_->plugin_token, \
			                             ##__VA_ARGS__);                               \
		if (fwd_pt_)                                                                       \
			fw_ptoken_put(fwd_pt_);                                                    \
		return fwd_r_;                                                                     \
	} while (0)

FW_API fpga_result fpgaAssignToInterface(fpga_handle handle, fpga_token accelerator,
                                         uint32_t host_interface, int flags)
{
	FORWARD_HANDLE_TOKEN(fpgaAssignToInterface, host_interface, flags);
}

FW_API fpga_result fpgaReleaseFromInterface(fpga_handle handle, fpga_token accelerator)
{
	FORWARD_HANDLE_TOKEN(fpgaReleaseFromInterface);
}

FW_API fpga_result fpgaReconfigureSlot(fpga_handle handle, uint32_t slot, const uint8_t *bitstream,
                                       size_t bitstream_len, int flags)
{
	FW_FORWARD_HANDLE(fpgaReconfigureSlot, slot, bitstream, bitstream_len, flags);
}

FW_API fpga_result fpgaSetUserClock(fpga_handle handle, uint64_t high_clk, uint64_t low_clk,
                                    int flags)
{
	FW_FORWARD_HANDLE(fpgaSetUserClock, high_clk, low_clk, flags);
}

FW_API fpga_result fpgaGetUserClock(fpga_handle handle, uint64_t *high_clk, uint64_t *low_clk,
                                    int flags)
{
	FW_FORWARD_HANDLE(fpgaGetUserClock, high_clk, low_clk, flags);
}

FW_API fpga_result fpgaGetNumMetrics(fpga_handle handle, uint64_t *num_metrics)
{
	FW_FORWARD_HANDLE(fpgaGetNumMetrics, num_metrics);
}

FW_API fpga_result fpgaGetMetricsInfo(fpga_handle handle, fpga_metric_info *metric_info,
                                      uint64_t *num_metrics)
{
	FW_FORWARD_HANDLE(fpgaGetMetricsInfo, metric_info, num_metrics);
}

FW_API fpga_result fpgaGetMetricsByIndex(fpga_handle handle, uint64_t *metric_num,
                                         uint64_t num_metric_indexes, fpga_metric *metrics)
{
	FW_FORWARD_HANDLE(fpgaGetMetricsByIndex, metric_num, num_metric_indexes, metrics);
}

FW_API fpga_result fpgaGetMetricsByName(fpga_handle handle, char **metrics_names,
                                        uint64_t num_metric_names, fpga_metric *metrics)
{
	FW_FORWARD_HANDLE(fpgaGetMetricsByName, metrics_names, num_metric_names, metrics);
}

FW_API fpga_result fpgaGetMetricsThresholdInfo(fpga_handle handle,
                                               metric_threshold *metric_thresholds,
                                               uint32_t *num_thresholds)
{
	FW_FORWARD_HANDLE(fpgaGetMetricsThresholdInfo, metric_thresholds, num_thresholds);
}

/* UMsg: declared by OPAE, never forwarded to plugins. */
static fpga_result umsg(const char *call, fpga_handle handle)
{
	if (!fw_handle_lookup(handle))
		return FPGA_INVALID_PARAM;
	fw_msg("%s: UMsg is not supported", call);
	return FPGA_NOT_SUPPORTED;
}

FW_API fpga_result fpgaGetNumUmsg(fpga_handle handle, uint64_t *value)
{
	(void)value;
	return umsg("fpgaGetNumUmsg", handle);
}

FW_API fpga_result fpgaSetUmsgAttributes(fpga_handle handle, uint64_t value)
{
	(void)value;
	return umsg("fpgaSetUmsgAttributes", handle);
}

FW_API fpga_result fpgaTriggerUmsg(fpga_handle handle, uint64_t value)
{
	(void)value;
	return umsg("fpgaTriggerUmsg", handle);
}

FW_API fpga_result fpgaGetUmsgPtr(fpga_handle handle, uint64_t **umsg_ptr)
{
	(void)umsg_ptr;
	return umsg("fpgaGetUmsgPtr", handle);
}

/* ---- the object API ---- */

/* Wrap the plugin object *po (r is the result of the plugin call that
 * produced it; passed by address because that call runs first). */
static fpga_result wrap_object(fpga_result r, const opae_api_adapter_table *a,
                               const fpga_object *ppo, fpga_object *out)
{
	fpga_object po;
	struct fw_object *o;

	if (r != FPGA_OK)
		return r;
	po = *ppo;
	o = objtab_alloc(&fw_objects);
	if (!o) {
		if (a->fpgaDestroyObject)
			a->fpgaDestroyObject(&po);
		return FPGA_NO_MEMORY;
	}
	o->plugin_object = po;
	o->adapter = a;
	*out = objtab_publish(&fw_objects, o);
	return FPGA_OK;
}

FW_API fpga_result fpgaTokenGetObject(fpga_token token, const char *name, fpga_object *object,
                                      int flags)
{
	struct fw_ptoken *pt;
	fpga_object po = NULL;
	fpga_result r = FPGA_NOT_SUPPORTED;

	if (!name || !object)
		return FPGA_INVALID_PARAM;
	pt = fw_token_ref(token);
	if (!pt)
		return FPGA_INVALID_PARAM;
	if (pt->adapter->fpgaTokenGetObject)
		r = wrap_object(pt->adapter->fpgaTokenGetObject(pt->plugin_token, name, &po, flags),
		                pt->adapter, &po, object);
	fw_ptoken_put(pt);
	return r;
}

FW_API fpga_result fpgaHandleGetObject(fpga_handle handle, const char *name, fpga_object *object,
                                       int flags)
{
	const struct fw_handle *h = fw_handle_lookup(handle);
	fpga_object po = NULL;

	if (!h || !name || !object)
		return FPGA_INVALID_PARAM;
	if (!h->adapter->fpgaHandleGetObject)
		return FPGA_NOT_SUPPORTED;
	return wrap_object(h->adapter->fpgaHandleGetObject(h->plugin_handle, name, &po, flags),
	                   h->adapter, &po, object);
}

FW_API fpga_result fpgaObjectGetObject(fpga_object parent, const char *name, fpga_object *object,
                                       int flags)
{
	const struct fw_object *o = objtab_lookup(&fw_objects, parent);
	fpga_object po = NULL;

	if (!o || !name || !object)
		return FPGA_INVALID_PARAM;
	if (!o->adapter->fpgaObjectGetObject)
		return FPGA_NOT_SUPPORTED;
	return wrap_object(o->adapter->fpgaObjectGetObject(o->plugin_object, name, &po, flags),
	                   o->adapter, &po, object);
}

FW_API fpga_result fpgaObjectGetObjectAt(fpga_object parent, size_t idx, fpga_object *object)
{
	const struct fw_object *o = objtab_lookup(&fw_objects, parent);
	fpga_object po = NULL;

	if (!o || !object)
		return FPGA_INVALID_PARAM;
	if (!o->adapter->fpgaObjectGetObjectAt)
		return FPGA_NOT_SUPPORTED;
	return wrap_object(o->adapter->fpgaObjectGetObjectAt(o->plugin_object, idx, &po),
	                   o->adapter, &po, object);
}

static fpga_result object_release(struct fw_object *o)
{
	fpga_result r = FPGA_OK;

	if (o->adapter->fpgaDestroyObject)
		r = o->adapter->fpgaDestroyObject(&o->plugin_object);
	objtab_free(&fw_objects, o);
	return r;
}

FW_API fpga_result fpgaDestroyObject(fpga_object *obj)
{
	struct fw_object *o;
	fpga_result r;

	if (!obj)
		return FPGA_INVALID_PARAM;
	o = objtab_claim(&fw_objects, *obj);
	if (!o)
		return FPGA_INVALID_PARAM;
	r = object_release(o);
	*obj = NULL;
	return r;
}

FW_API fpga_result fpgaObjectRead(fpga_object obj, uint8_t *buffer, size_t offset, size_t len,
                                  int flags)
{
	FORWARD_OBJECT(fpgaObjectRead, buffer, offset, len, flags);
}

FW_API fpga_result fpgaObjectRead64(fpga_object obj, uint64_t *value, int flags)
{
	FORWARD_OBJECT(fpgaObjectRead64, value, flags);
}

FW_API fpga_result fpgaObjectGetSize(fpga_object obj, uint32_t *value, int flags)
{
	FORWARD_OBJECT(fpgaObjectGetSize, value, flags);
}

FW_API fpga_result fpgaObjectGetType(fpga_object obj, enum fpga_sysobject_type *type)
{
	FORWARD_OBJECT(fpgaObjectGetType, type);
}

FW_API fpga_result fpgaObjectWrite64(fpga_object obj, uint64_t value, int flags)
{
	FORWARD_OBJECT(fpgaObjectWrite64, value, flags);
}

/* No adapter entry exists for it in OPAE 2.x. */
FW_API fpga_result fpgaObjectGetName(fpga_object obj, char *name, size_t max_len)
{
	(void)name;
	(void)max_len;
	if (!objtab_lookup(&fw_objects, obj))
		return FPGA_INVALID_PARAM;
	return FPGA_NOT_SUPPORTED;
}

void fw_object_release_claimed(void *obj)
{
	object_release(obj);
}
