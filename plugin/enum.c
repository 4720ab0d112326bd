// SPDX-License-Identifier: BSD-3-Clause
/* enum.c - fpgaEnumerate, fpgaCloneToken, fpgaDestroyToken. Filters are read
 * through the framework's public getters; within a filter every field set
 * must match (AND), across filters any one suffices (OR); the total number
 * of matches is reported while at most max_tokens tokens are written. */
#include <stdlib.h>
#include <string.h>

#include "plugin_priv.h"

enum {
	F_PARENT = 1u << 0,
	F_OBJTYPE = 1u << 1,
	F_SEGMENT = 1u << 2,
	F_BUS = 1u << 3,
	F_DEVICE = 1u << 4,
	F_FUNCTION = 1u << 5,
	F_SOCKET = 1u << 6,
	F_VENDOR = 1u << 7,
	F_DEVID = 1u << 8,
	F_SVENDOR = 1u << 9,
	F_SDEVID = 1u << 10,
	F_OBJID = 1u << 11,
	F_GUID = 1u << 12,
	F_IFC = 1u << 13,
	F_ERRORS = 1u << 14,
	F_STATE = 1u << 15,
	F_NUM_MMIO = 1u << 16,
	F_NUM_IRQ = 1u << 17,
	F_SLOTS = 1u << 18,
	F_BBSID = 1u << 19,
	F_BBSVER = 1u << 20,
	F_NEVER = 1u << 21, /* model, local memory, capabilities: none of ours has them */
};

struct flt {
	unsigned have;
	fpga_token parent;
	fpga_objtype objtype;
	uint16_t segment, vendor, devid, svendor, sdevid;
	uint8_t bus, device, function, socket;
	uint64_t object_id, bbs_id;
	fpga_guid guid;
	fpga_interface ifc;
	uint32_t num_errors, num_mmio, num_irqs, num_slots;
	fpga_accelerator_state state;
	fpga_version bbs_ver;
};

#define GET(fn, field, bit)                                                                        \
	do {                                                                                       \
		if (pl_fw.fn(p, &f->field) == FPGA_OK)                                             \
			f->have |= (bit);                                                          \
	} while (0)

/* Read one filter. FPGA_NOT_FOUND from a getter means "not set". */
static fpga_result read_filter(fpga_properties p, struct flt *f)
{
	fpga_result r;
	char model[256];
	uint64_t u64;

	memset(f, 0, sizeof(*f));
	r = pl_fw.GetObjectType(p, &f->objtype);
	if (r == FPGA_OK)
		f->have |= F_OBJTYPE;
	else if (r != FPGA_NOT_FOUND)
		return FPGA_INVALID_PARAM; /* not a properties object */
	GET(GetParent, parent, F_PARENT);
	GET(GetSegment, segment, F_SEGMENT);
	GET(GetBus, bus, F_BUS);
	GET(GetDevice, device, F_DEVICE);
	GET(GetFunction, function, F_FUNCTION);
	GET(GetSocketID, socket, F_SOCKET);
	GET(GetVendorID, vendor, F_VENDOR);
	GET(GetDeviceID, devid, F_DEVID);
	GET(GetSubsystemVendorID, svendor, F_SVENDOR);
	GET(GetSubsystemDeviceID, sdevid, F_SDEVID);
	GET(GetObjectID, object_id, F_OBJID);
	GET(GetGUID, guid, F_GUID);
	GET(GetInterface, ifc, F_IFC);
	GET(GetNumErrors, num_errors, F_ERRORS);
	/* type-specific fields exist only when the filter's type says so */
	if ((f->have & F_OBJTYPE) && f->objtype == FPGA_ACCELERATOR) {
		GET(GetAcceleratorState, state, F_STATE);
		GET(GetNumMMIO, num_mmio, F_NUM_MMIO);
		GET(GetNumInterrupts, num_irqs, F_NUM_IRQ);
	}
	if ((f->have & F_OBJTYPE) && f->objtype == FPGA_DEVICE) {
		GET(GetNumSlots, num_slots, F_SLOTS);
		GET(GetBBSID, bbs_id, F_BBSID);
		GET(GetBBSVersion, bbs_ver, F_BBSVER);
		if (pl_fw.GetModel(p, model) == FPGA_OK || pl_fw.GetLocalMemorySize(p, &u64) == FPGA_OK ||
		    pl_fw.GetCapabilities(p, &u64) == FPGA_OK)
			f->have |= F_NEVER;
	}
	return FPGA_OK;
}

/* The PCI-level part of a filter: could it match anything of this device?
 * (Lets enumeration skip looking into devices nobody asked about.) */
static int pci_match(const struct flt *f, const struct pl_pci *p)
{
	if ((f->have & F_SEGMENT) && f->segment != (uint16_t)p->domain)
		return 0;
	if ((f->have & F_BUS) && f->bus != p->bus)
		return 0;
	if ((f->have & F_DEVICE) && f->device != p->dev)
		return 0;
	if ((f->have & F_FUNCTION) && f->function != p->fn)
		return 0;
	if ((f->have & F_SOCKET) && (p->numa < 0 || f->socket != (uint8_t)p->numa))
		return 0;
	if ((f->have & F_VENDOR) && f->vendor != p->ids[0])
		return 0;
	if ((f->have & F_DEVID) && f->devid != p->ids[1])
		return 0;
	if ((f->have & F_SVENDOR) && f->svendor != p->ids[2])
		return 0;
	if ((f->have & F_SDEVID) && f->sdevid != p->ids[3])
		return 0;
	return !(f->have & F_NEVER) && (!(f->have & F_IFC) || f->ifc == FPGA_IFC_VFIO);
}

static int parent_cmp(const fpga_token_header *p, const fpga_token_header *c)
{
	/* our own parent tokens carry the full 32-bit PCI domain */
	if (p->magic == PL_TOKEN_MAGIC)
		return ((const struct pl_token *)p)->domain == ((const struct pl_token *)c)->domain;
	return 1;
}

static int token_match(const struct flt *f, const struct pl_token *t, struct pl_dev *dev)
{
	const fpga_token_header *h = &t->hdr;

	if (!pci_match(f, &dev->pci))
		return 0;
	if (f->have & F_PARENT) {
		const fpga_token_header *p = f->parent;

		if (!p || !fpga_is_parent_of(p, h, parent_cmp))
			return 0;
	}
	if ((f->have & F_OBJTYPE) && f->objtype != h->objtype)
		return 0;
	if ((f->have & F_OBJID) && f->object_id != h->object_id)
		return 0;
	if ((f->have & F_GUID) && memcmp(f->guid, h->guid, 16))
		return 0;
	if ((f->have & F_ERRORS) && f->num_errors != 0)
		return 0;
	if ((f->have & F_NUM_MMIO) && f->num_mmio != t->num_mmio)
		return 0;
	if ((f->have & F_NUM_IRQ) && f->num_irqs != t->num_irqs)
		return 0;
	if ((f->have & F_SLOTS) && f->num_slots != t->num_slots)
		return 0;
	if ((f->have & F_BBSID) && f->bbs_id != t->bbs_id)
		return 0;
	if (f->have & F_BBSVER) {
		if (f->bbs_ver.major != FPGA_BBS_VER_MAJOR(t->bbs_id) ||
		    f->bbs_ver.minor != FPGA_BBS_VER_MINOR(t->bbs_id) ||
		    f->bbs_ver.patch != FPGA_BBS_VER_PATCH(t->bbs_id))
			return 0;
	}
	/* last: the only check that may probe the IOMMU group */
	if ((f->have & F_STATE) && (int)f->state != props_state_now(t))
		return 0;
	return 1;
}

static int any_match(const struct flt *f, uint32_t n, const struct pl_token *t, struct pl_dev *dev)
{
	if (!n)
		return 1;
	for (uint32_t i = 0; i < n; i++)
		if (token_match(&f[i], t, dev))
			return 1;
	return 0;
}

static int any_pci_match(const struct flt *f, uint32_t n, const struct pl_pci *p)
{
	if (!n)
		return 1;
	for (uint32_t i = 0; i < n; i++)
		if (pci_match(&f[i], p))
			return 1;
	return 0;
}

fpga_result pl_enumerate(const fpga_properties *filters, uint32_t num_filters, fpga_token *tokens,
                         uint32_t max_tokens, uint32_t *num_matches)
{
	struct flt *f = NULL;
	uint32_t count = 0;
	fpga_result r = FPGA_OK;

	if (!num_matches || (max_tokens && !tokens) || (num_filters && !filters)) {
		log_err("-", 0, "fpgaEnumerate: %s", !num_matches ? "num_matches is NULL"
		                                      : num_filters && !filters ? "filters is NULL"
		                                                                : "tokens is NULL");
		return FPGA_INVALID_PARAM;
	}
	if (num_filters) {
		f = calloc(num_filters, sizeof(*f));
		if (!f)
			return FPGA_NO_MEMORY;
		for (uint32_t i = 0; i < num_filters; i++) {
			if (!filters[i] || read_filter(filters[i], &f[i]) != FPGA_OK) {
				log_err("-", 0, "fpgaEnumerate: filter %u is not a properties object", i);
				free(f);
				return FPGA_INVALID_PARAM;
			}
		}
	}
	pthread_mutex_lock(&pl_reg.lock);
	if (!pl_reg.cfg || registry_rescan()) {
		pthread_mutex_unlock(&pl_reg.lock);
		free(f);
		return pl_reg.cfg ? FPGA_EXCEPTION : FPGA_NOT_FOUND;
	}
	for (unsigned d = 0; d < pl_reg.ndevs && r == FPGA_OK; d++) {
		struct pl_dev *dev = pl_reg.devs[d];
		unsigned nviews;

		if (!dev->claimed || !dev->present || !any_pci_match(f, num_filters, &dev->pci))
			continue;
		registry_identify(dev);
		if (dev->ident == PL_ID_HOSTILE)
			continue;
		nviews = dev->ident == PL_ID_DONE ? dev->nobjs : 1;
		for (unsigned k = 0; k < nviews; k++) {
			struct pl_token t;

			token_init(&t, dev, dev->ident == PL_ID_DONE ? &dev->objs[k] : NULL);
			if (!any_match(f, num_filters, &t, dev))
				continue;
			if (count < max_tokens && !(tokens[count] = token_clone(&t))) {
				r = FPGA_NO_MEMORY;
				break;
			}
			count++;
		}
	}
	pthread_mutex_unlock(&pl_reg.lock);
	free(f);
	if (r != FPGA_OK) {
		for (uint32_t i = 0; i < count && i < max_tokens; i++)
			token_free(tokens[i]);
		return r;
	}
	*num_matches = count;
	return FPGA_OK;
}

fpga_result pl_clone_token(fpga_token src, fpga_token *dst)
{
	struct pl_token *t = token_check(src), *c;

	if (!t || !dst) {
		log_err("-", 0, "fpgaCloneToken: %s", t ? "destination is NULL" : "not a token of this plugin");
		return FPGA_INVALID_PARAM;
	}
	c = token_clone(t);
	if (!c)
		return FPGA_NO_MEMORY;
	*dst = c;
	return FPGA_OK;
}

fpga_result pl_destroy_token(fpga_token *token)
{
	struct pl_token *t = token ? token_check(*token) : NULL;

	if (!t) {
		log_err("-", 0, "fpgaDestroyToken: not a live token of this plugin");
		return FPGA_INVALID_PARAM;
	}
	token_free(t);
	*token = NULL;
	return FPGA_OK;
}
