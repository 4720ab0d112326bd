// SPDX-License-Identifier: BSD-3-Clause
/* event.c - event handles. fpgaCreateEventHandle makes an empty wrapper:
 * which plugin will deliver events is only known at the first
 * fpgaRegisterEvent, which creates the plugin's event handle through the
 * adapter of the handle being registered (as OPAE does). The wrapper is
 * then bound to that plugin. */
#include "fw_priv.h"

struct objtab fw_events = OBJTAB_INIT("event handle", FW_TAG_EVENT, struct fw_event);

/* The live event named by id, locked; NULL if none. */
static struct fw_event *event_lock(fpga_event_handle id)
{
	struct fw_event *e = objtab_lookup(&fw_events, id);

	if (!e)
		return NULL;
	pthread_mutex_lock(&e->lock);
	if (objtab_id(e) != id) { /* destroyed meanwhile */
		pthread_mutex_unlock(&e->lock);
		return NULL;
	}
	return e;
}

FW_API fpga_result fpgaCreateEventHandle(fpga_event_handle *event_handle)
{
	struct fw_event *e;
	pthread_mutexattr_t attr;

	if (!event_handle)
		return FPGA_INVALID_PARAM;
	e = objtab_alloc(&fw_events);
	if (!e)
		return FPGA_NO_MEMORY;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&e->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	*event_handle = objtab_publish(&fw_events, e);
	return FPGA_OK;
}

/* Destroy a claimed event wrapper (and the plugin's handle, if created). */
static fpga_result event_release(struct fw_event *e)
{
	fpga_result r = FPGA_OK;

	pthread_mutex_lock(&e->lock);
	if (e->created && e->adapter->fpgaDestroyEventHandle) {
		r = e->adapter->fpgaDestroyEventHandle(&e->plugin_event);
		if (r != FPGA_OK)
			fw_err("%s: fpgaDestroyEventHandle failed: %s", e->adapter->plugin.path,
			       fpgaErrStr(r));
	}
	e->created = false;
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_destroy(&e->lock);
	objtab_free(&fw_events, e);
	return r;
}

FW_API fpga_result fpgaDestroyEventHandle(fpga_event_handle *event_handle)
{
	struct fw_event *e;
	fpga_result r;

	if (!event_handle)
		return FPGA_INVALID_PARAM;
	e = objtab_claim(&fw_events, *event_handle);
	if (!e)
		return FPGA_INVALID_PARAM;
	r = event_release(e);
	*event_handle = NULL;
	return r;
}

FW_API fpga_result fpgaGetOSObjectFromEventHandle(const fpga_event_handle eh, int *fd)
{
	struct fw_event *e;
	fpga_result r;

	if (!fd)
		return FPGA_INVALID_PARAM;
	e = event_lock(eh);
	if (!e)
		return FPGA_INVALID_PARAM;
	if (!e->created) {
		fw_err("fpgaGetOSObjectFromEventHandle: the event handle has no OS object before "
		       "its first fpgaRegisterEvent");
		r = FPGA_INVALID_PARAM;
	} else if (!e->adapter->fpgaGetOSObjectFromEventHandle) {
		r = FPGA_NOT_SUPPORTED;
	} else {
		r = e->adapter->fpgaGetOSObjectFromEventHandle(e->plugin_event, fd);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

FW_API fpga_result fpgaRegisterEvent(fpga_handle handle, fpga_event_type event_type,
                                     fpga_event_handle event_handle, uint32_t flags)
{
	const struct fw_handle *h = fw_handle_lookup(handle);
	const opae_api_adapter_table *a;
	struct fw_event *e;
	fpga_result r;

	if (!h)
		return FPGA_INVALID_PARAM;
	a = h->adapter;
	e = event_lock(event_handle);
	if (!e)
		return FPGA_INVALID_PARAM;
	if (!a->fpgaRegisterEvent || (!e->created && !a->fpgaCreateEventHandle)) {
		r = FPGA_NOT_SUPPORTED;
	} else if (e->created && e->adapter != a) {
		fw_err("fpgaRegisterEvent: the event handle belongs to plugin %s, the handle to %s",
		       e->adapter->plugin.path, a->plugin.path);
		r = FPGA_INVALID_PARAM;
	} else {
		r = FPGA_OK;
		if (!e->created) {
			r = a->fpgaCreateEventHandle(&e->plugin_event);
			if (r == FPGA_OK) {
				e->created = true;
				e->adapter = a;
			}
		}
		if (r == FPGA_OK)
			r = a->fpgaRegisterEvent(h->plugin_handle, event_type, e->plugin_event,
			                         flags);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

FW_API fpga_result fpgaUnregisterEvent(fpga_handle handle, fpga_event_type event_type,
                                       fpga_event_handle event_handle)
{
	const struct fw_handle *h = fw_handle_lookup(handle);
	struct fw_event *e;
	fpga_result r;

	if (!h)
		return FPGA_INVALID_PARAM;
	e = event_lock(event_handle);
	if (!e)
		return FPGA_INVALID_PARAM;
	if (!e->created || e->adapter != h->adapter)
		r = FPGA_INVALID_PARAM; /* never registered with this plugin */
	else if (!h->adapter->fpgaUnregisterEvent)
		r = FPGA_NOT_SUPPORTED;
	else
		r = h->adapter->fpgaUnregisterEvent(h->plugin_handle, event_type, e->plugin_event);
	pthread_mutex_unlock(&e->lock);
	return r;
}

void fw_event_release_claimed(void *obj)
{
	event_release(obj);
}
