// SPDX-License-Identifier: BSD-3-Clause
/* props.c - fpgaGetProperties, fpgaUpdateProperties,
 * fpgaGetPropertiesFromHandle. Properties objects belong to the framework:
 * they are created with its fpgaGetProperties(NULL, ...), cleared with
 * fpgaClearProperties and filled with its public setters only, so the plugin
 * works inside OPAE's libopae-c and inside ours alike. */
#include <errno.h>

#include "plugin_priv.h"

int props_state_now(const struct pl_token *t)
{
	struct pl_dev *dev = registry_find(t->addr);

	if (!dev || !dev->present)
		return -1;
	for (unsigned i = 0; i < dev->nobjs; i++)
		if (dev->objs[i].index == t->obj && dev->objs[i].opens)
			return FPGA_ACCELERATOR_ASSIGNED;
	if (dev->session)
		return FPGA_ACCELERATOR_UNASSIGNED; /* open here: its other objects are free */
	/* the group file opened and closed again (never a device fd, so the
	 * function is not reset); EBUSY: another process holds it */
	if (opae_vfio_dev_busy(dev->pci.addr) && errno == EBUSY)
		return FPGA_ACCELERATOR_ASSIGNED;
	return FPGA_ACCELERATOR_UNASSIGNED;
}

#define SET(call)                                                                                  \
	do {                                                                                       \
		fpga_result r_ = (call);                                                           \
		if (r_ != FPGA_OK)                                                                 \
			return r_;                                                                 \
	} while (0)

/* Object type first: the type-specific setters refuse without it. */
static fpga_result fill(fpga_properties p, const struct pl_token *t, int state)
{
	const fpga_token_header *h = &t->hdr;

	SET(pl_fw.SetObjectType(p, h->objtype));
	SET(pl_fw.SetSegment(p, h->segment));
	SET(pl_fw.SetBus(p, h->bus));
	SET(pl_fw.SetDevice(p, h->device));
	SET(pl_fw.SetFunction(p, h->function));
	if (t->numa >= 0)
		SET(pl_fw.SetSocketID(p, (uint8_t)t->numa));
	SET(pl_fw.SetVendorID(p, h->vendor_id));
	SET(pl_fw.SetDeviceID(p, h->device_id));
	SET(pl_fw.SetSubsystemVendorID(p, h->subsystem_vendor_id));
	SET(pl_fw.SetSubsystemDeviceID(p, h->subsystem_device_id));
	SET(pl_fw.SetObjectID(p, h->object_id));
	SET(pl_fw.SetInterface(p, FPGA_IFC_VFIO));
	SET(pl_fw.SetGUID(p, (uint8_t *)h->guid));
	SET(pl_fw.SetNumErrors(p, 0));
	if (h->objtype == FPGA_DEVICE) {
		fpga_version v = {FPGA_BBS_VER_MAJOR(t->bbs_id), FPGA_BBS_VER_MINOR(t->bbs_id),
		                  FPGA_BBS_VER_PATCH(t->bbs_id)};

		SET(pl_fw.SetNumSlots(p, t->num_slots));
		SET(pl_fw.SetBBSID(p, t->bbs_id));
		SET(pl_fw.SetBBSVersion(p, v));
		return FPGA_OK;
	}
	SET(pl_fw.SetNumMMIO(p, t->num_mmio));
	SET(pl_fw.SetNumInterrupts(p, t->num_irqs));
	if (state >= 0)
		SET(pl_fw.SetAcceleratorState(p, (fpga_accelerator_state)state));
	return FPGA_OK;
}

static fpga_result create_filled(const struct pl_token *t, int state, fpga_properties *prop)
{
	fpga_properties p = NULL;
	fpga_result r = pl_fw.GetProperties(NULL, &p);

	if (r != FPGA_OK)
		return r;
	r = fill(p, t, state);
	if (r != FPGA_OK) {
		log_err(t->addr, 0, "properties: the framework refused a field (fpga_result %d)", r);
		pl_fw.DestroyProperties(&p);
		return r;
	}
	*prop = p;
	return FPGA_OK;
}

static int state_of(const struct pl_token *t)
{
	int s;

	if (t->hdr.objtype != FPGA_ACCELERATOR)
		return -1;
	pthread_mutex_lock(&pl_reg.lock);
	s = props_state_now(t);
	pthread_mutex_unlock(&pl_reg.lock);
	return s;
}

fpga_result pl_get_properties(fpga_token token, fpga_properties *prop)
{
	struct pl_token *t = token_check(token);

	if (!t || !prop) {
		log_err("-", 0, "fpgaGetProperties: %s", t ? "prop is NULL" : "not a token of this plugin");
		return FPGA_INVALID_PARAM;
	}
	return create_filled(t, state_of(t), prop);
}

fpga_result pl_update_properties(fpga_token token, fpga_properties prop)
{
	struct pl_token *t = token_check(token);
	fpga_result r;

	if (!t || !prop) {
		log_err("-", 0, "fpgaUpdateProperties: %s",
		         t ? "prop is NULL" : "not a token of this plugin");
		return FPGA_INVALID_PARAM;
	}
	r = pl_fw.ClearProperties(prop);
	return r != FPGA_OK ? r : fill(prop, t, state_of(t));
}

fpga_result pl_get_properties_from_handle(fpga_handle handle, fpga_properties *prop)
{
	unsigned shard;
	struct pl_handle *s;
	fpga_result r;

	if (!prop) {
		log_err("-", 0, "fpgaGetPropertiesFromHandle: prop is NULL");
		return FPGA_INVALID_PARAM;
	}
	s = handle_enter(handle, &shard);
	if (!s) {
		log_err("-", 0, "fpgaGetPropertiesFromHandle: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	/* the handle's own object is held by this process */
	r = create_filled(s->token, FPGA_ACCELERATOR_ASSIGNED, prop);
	handle_leave(s, shard);
	return r;
}
