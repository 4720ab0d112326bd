// SPDX-License-Identifier: BSD-3-Clause
/* rec_plugin.c - a recording test plugin for the framework tests: fake
 * cards (rec_plugin.h), every call counted, objects alive on the plugin side
 * counted, properties made only through the public API as a real plugin.
 *
 * Built several times: REC_BUS / REC_DEVICE_ID distinguish the copies
 * ("two plugins enumerated together"); REC_MINIMAL fills only enumeration,
 * tokens, open/close and properties (every other call must then be
 * FPGA_NOT_SUPPORTED in the framework). A configuration containing
 * "fail-configure" makes configure fail; "fail-initialize" makes initialize
 * fail. finalize appends a line to the file $REC_FINALIZE_MARK if set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "rec_plugin.h"

#ifndef REC_MINIMAL
#define REC_MINIMAL 0
#endif

#define REC_TOKEN_MAGIC  0x7265636bu /* "reck" */
#define REC_HANDLE_MAGIC 0x72656368u

struct rec_token {
	fpga_token_header hdr;
	uint32_t magic;
};

struct rec_handle {
	uint32_t magic;
	struct rec_token tok;
};

static struct rec_state st = {.ndevices = 1};

/* Buffers: wsid = index + 1 in a small table; I/O address = wsid << 20.
 * A handle's buffers are released when it closes. */
#define REC_MAX_BUFS 16
static struct {
	void *va;
	uint64_t len;
	int prealloc;
	void *owner;
} bufs[REC_MAX_BUFS];
static int fail_initialize;

__attribute__((visibility("default"))) struct rec_state *rec_plugin_state(void);
struct rec_state *rec_plugin_state(void)
{
	return &st;
}

#define CALL(c) REC_ADD(st.calls[c], 1)

static struct rec_token *tok_of(fpga_token t)
{
	struct rec_token *r = t;
	return r && r->magic == REC_TOKEN_MAGIC ? r : NULL;
}

static struct rec_handle *h_of(fpga_handle h)
{
	struct rec_handle *r = h;
	return r && r->magic == REC_HANDLE_MAGIC ? r : NULL;
}

static void make_token(struct rec_token *t, uint32_t card, fpga_objtype type)
{
	static const fpga_guid guid = REC_AFU_GUID_INIT;

	memset(t, 0, sizeof(*t));
	t->magic = REC_TOKEN_MAGIC;
	t->hdr.magic = REC_TOKEN_MAGIC;
	t->hdr.vendor_id = 0x1234;
	t->hdr.device_id = st.device_id;
	t->hdr.bus = st.bus;
	t->hdr.device = (uint8_t)card;
	t->hdr.function = type == FPGA_DEVICE ? 0 : 1;
	t->hdr.interface = FPGA_IFC_VFIO;
	t->hdr.objtype = type;
	t->hdr.object_id = ((uint64_t)st.bus << 16) | (card << 8) | t->hdr.function;
	memcpy(t->hdr.guid, guid, sizeof(guid));
	t->hdr.guid[15] = (uint8_t)card;
}

static struct rec_token *clone_tok(const struct rec_token *src)
{
	struct rec_token *t = malloc(sizeof(*t));

	if (t) {
		*t = *src;
		REC_ADD(st.live_tokens, 1);
	}
	return t;
}

/* A filter matches when every field it sets matches (public getters only). */
static int filter_match(fpga_properties f, const fpga_token_header *h)
{
	fpga_objtype type;
	fpga_token parent;
	uint16_t u16;
	uint8_t u8;
	fpga_guid guid;

	if (fpgaPropertiesGetObjectType(f, &type) == FPGA_OK && type != h->objtype)
		return 0;
	if (fpgaPropertiesGetBus(f, &u8) == FPGA_OK && u8 != h->bus)
		return 0;
	if (fpgaPropertiesGetDevice(f, &u8) == FPGA_OK && u8 != h->device)
		return 0;
	if (fpgaPropertiesGetFunction(f, &u8) == FPGA_OK && u8 != h->function)
		return 0;
	if (fpgaPropertiesGetDeviceID(f, &u16) == FPGA_OK && u16 != h->device_id)
		return 0;
	if (fpgaPropertiesGetGUID(f, &guid) == FPGA_OK && memcmp(guid, h->guid, 16))
		return 0;
	if (fpgaPropertiesGetParent(f, &parent) == FPGA_OK) {
		const fpga_token_header *p = parent;
		REC_SET(st.last_filter_parent, parent);
		if (h->objtype != FPGA_ACCELERATOR || p->objtype != FPGA_DEVICE ||
		    p->bus != h->bus || p->device != h->device)
			return 0;
	}
	return 1;
}

static fpga_result rec_enumerate(const fpga_properties *filters, uint32_t num_filters,
                                 fpga_token *tokens, uint32_t max_tokens, uint32_t *num_matches)
{
	uint32_t n = 0;

	CALL(REC_ENUMERATE);
	if (st.enumerate_result)
		return (fpga_result)st.enumerate_result;
	for (uint32_t card = 0; card < st.ndevices; card++) {
		for (int type = FPGA_DEVICE; type <= FPGA_ACCELERATOR; type++) {
			struct rec_token t;
			int match = num_filters == 0;

			make_token(&t, card, (fpga_objtype)type);
			for (uint32_t i = 0; i < num_filters && !match; i++)
				match = filter_match(filters[i], &t.hdr);
			if (!match)
				continue;
			if (n < max_tokens) {
				tokens[n] = clone_tok(&t);
				if (!tokens[n])
					return FPGA_NO_MEMORY;
			}
			n++;
		}
	}
	*num_matches = n;
	return FPGA_OK;
}

static fpga_result rec_clone_token(fpga_token src, fpga_token *dst)
{
	struct rec_token *t = tok_of(src);

	CALL(REC_CLONE_TOKEN);
	if (!t || !dst)
		return FPGA_INVALID_PARAM;
	*dst = clone_tok(t);
	return *dst ? FPGA_OK : FPGA_NO_MEMORY;
}

static fpga_result rec_destroy_token(fpga_token *token)
{
	struct rec_token *t = token ? tok_of(*token) : NULL;

	CALL(REC_DESTROY_TOKEN);
	if (!t)
		return FPGA_INVALID_PARAM;
	t->magic = 0;
	free(t);
	*token = NULL;
	REC_ADD(st.live_tokens, -1);
	return FPGA_OK;
}

static fpga_result fill_props(const struct rec_token *t, fpga_properties p)
{
	fpgaPropertiesSetObjectType(p, t->hdr.objtype);
	fpgaPropertiesSetBus(p, t->hdr.bus);
	fpgaPropertiesSetDevice(p, t->hdr.device);
	fpgaPropertiesSetFunction(p, t->hdr.function);
	fpgaPropertiesSetVendorID(p, t->hdr.vendor_id);
	fpgaPropertiesSetDeviceID(p, t->hdr.device_id);
	fpgaPropertiesSetGUID(p, (uint8_t *)t->hdr.guid);
	if (t->hdr.objtype == FPGA_ACCELERATOR) {
		fpgaPropertiesSetNumMMIO(p, 1);
		fpgaPropertiesSetAcceleratorState(p, FPGA_ACCELERATOR_UNASSIGNED);
		if (st.store_raw_parent)
			fpgaPropertiesSetParent(p, (fpga_token)t);
	} else {
		fpgaPropertiesSetNumSlots(p, 1);
	}
	return FPGA_OK;
}

static fpga_result rec_get_properties(fpga_token token, fpga_properties *prop)
{
	struct rec_token *t = tok_of(token);
	fpga_result r;

	CALL(REC_GET_PROPS);
	if (!t || !prop)
		return FPGA_INVALID_PARAM;
	r = fpgaGetProperties(NULL, prop);
	return r == FPGA_OK ? fill_props(t, *prop) : r;
}

static fpga_result rec_update_properties(fpga_token token, fpga_properties prop)
{
	struct rec_token *t = tok_of(token);

	CALL(REC_UPDATE_PROPS);
	if (!t)
		return FPGA_INVALID_PARAM;
	fpgaClearProperties(prop);
	return fill_props(t, prop);
}

static fpga_result rec_open(fpga_token token, fpga_handle *handle, int flags)
{
	struct rec_token *t = tok_of(token);
	struct rec_handle *h;

	CALL(REC_OPEN);
	REC_SET(st.last_open_parent, *handle);
	REC_SET(st.last_open_flags, flags);
	if (st.fail_open)
		return (fpga_result)st.fail_open;
	if (st.fail_child_open && (flags & FPGA_OPEN_HAS_PARENT_AFU))
		return (fpga_result)st.fail_child_open;
	if (!t)
		return FPGA_INVALID_PARAM;
	h = calloc(1, sizeof(*h));
	if (!h)
		return FPGA_NO_MEMORY;
	h->magic = REC_HANDLE_MAGIC;
	h->tok = *t;
	*handle = h;
	REC_ADD(st.live_handles, 1);
	return FPGA_OK;
}

static fpga_result rec_close(fpga_handle handle)
{
	struct rec_handle *h = h_of(handle);

	CALL(REC_CLOSE);
	if (!h)
		return FPGA_INVALID_PARAM;
	for (int i = 0; i < REC_MAX_BUFS; i++) {
		if (bufs[i].va && bufs[i].owner == h) {
			if (!bufs[i].prealloc)
				free(bufs[i].va);
			bufs[i].va = NULL;
			REC_ADD(st.live_buffers, -1);
		}
	}
	h->magic = 0;
	free(h);
	REC_ADD(st.live_handles, -1);
	return FPGA_OK;
}

static fpga_result rec_get_props_from_handle(fpga_handle handle, fpga_properties *prop)
{
	struct rec_handle *h = h_of(handle);
	fpga_result r;

	CALL(REC_GET_PROPS_FROM_HANDLE);
	if (!h)
		return FPGA_INVALID_PARAM;
	r = fpgaGetProperties(NULL, prop);
	return r == FPGA_OK ? fill_props(&h->tok, *prop) : r;
}

static fpga_result rec_reset(fpga_handle handle)
{
	CALL(REC_RESET);
	return h_of(handle) ? FPGA_OK : FPGA_INVALID_PARAM;
}

/* Every MMIO call: a valid handle, space 0, an aligned in-range offset. */
static fpga_result mmio_check(fpga_handle handle, uint32_t mmio_num, uint64_t offset,
                              unsigned int width)
{
	REC_SET(st.last_mmio_num, mmio_num);
	REC_SET(st.last_offset, offset);
	if (!h_of(handle) || mmio_num != 0 || offset % width || offset + width > REC_MMIO_SIZE)
		return FPGA_INVALID_PARAM;
	return FPGA_OK;
}

static fpga_result rec_write64(fpga_handle h, uint32_t n, uint64_t off, uint64_t v)
{
	fpga_result r = mmio_check(h, n, off, 8);

	CALL(REC_WRITE64);
	if (r == FPGA_OK)
		st.mmio[off / 8] = v;
	return r;
}

static fpga_result rec_read64(fpga_handle h, uint32_t n, uint64_t off, uint64_t *v)
{
	fpga_result r = mmio_check(h, n, off, 8);

	CALL(REC_READ64);
	if (r == FPGA_OK)
		*v = st.mmio[off / 8];
	return r;
}

static fpga_result rec_write32(fpga_handle h, uint32_t n, uint64_t off, uint32_t v)
{
	fpga_result r = mmio_check(h, n, off, 4);

	CALL(REC_WRITE32);
	if (r == FPGA_OK)
		memcpy((uint8_t *)st.mmio + off, &v, 4);
	return r;
}

static fpga_result rec_read32(fpga_handle h, uint32_t n, uint64_t off, uint32_t *v)
{
	fpga_result r = mmio_check(h, n, off, 4);

	CALL(REC_READ32);
	if (r == FPGA_OK)
		memcpy(v, (uint8_t *)st.mmio + off, 4);
	return r;
}

static fpga_result rec_write512(fpga_handle h, uint32_t n, uint64_t off, const void *v)
{
	fpga_result r = mmio_check(h, n, off, 64);

	CALL(REC_WRITE512);
	if (r == FPGA_OK)
		memcpy((uint8_t *)st.mmio + off, v, 64);
	return r;
}

static fpga_result rec_map(fpga_handle h, uint32_t n, uint64_t **ptr)
{
	fpga_result r = mmio_check(h, n, 0, 8);

	CALL(REC_MAP);
	if (r == FPGA_OK && ptr)
		*ptr = st.mmio;
	return r;
}

static fpga_result rec_unmap(fpga_handle h, uint32_t n)
{
	CALL(REC_UNMAP);
	return mmio_check(h, n, 0, 8);
}

static fpga_result rec_prepare_buffer(fpga_handle h, uint64_t len, void **buf, uint64_t *wsid,
                                      int flags)
{
	CALL(REC_PREPARE_BUFFER);
	if (!h_of(h))
		return FPGA_INVALID_PARAM;
	if ((flags & FPGA_BUF_PREALLOCATED) && !len && !buf)
		return FPGA_OK; /* preallocation is supported */
	for (int i = 0; i < REC_MAX_BUFS; i++) {
		if (bufs[i].va)
			continue;
		bufs[i].prealloc = !!(flags & FPGA_BUF_PREALLOCATED);
		bufs[i].va = bufs[i].prealloc ? *buf : calloc(1, len ? len : 1);
		if (!bufs[i].va)
			return FPGA_NO_MEMORY;
		bufs[i].len = len;
		bufs[i].owner = h;
		*buf = bufs[i].va;
		*wsid = (uint64_t)i + 1;
		REC_ADD(st.live_buffers, 1);
		return FPGA_OK;
	}
	return FPGA_NO_MEMORY;
}

static int buf_index(uint64_t wsid)
{
	return wsid >= 1 && wsid <= REC_MAX_BUFS && bufs[wsid - 1].va ? (int)wsid - 1 : -1;
}

static fpga_result rec_release_buffer(fpga_handle h, uint64_t wsid)
{
	int i = buf_index(wsid);

	CALL(REC_RELEASE_BUFFER);
	if (!h_of(h) || i < 0)
		return FPGA_INVALID_PARAM;
	if (!bufs[i].prealloc)
		free(bufs[i].va);
	bufs[i].va = NULL;
	REC_ADD(st.live_buffers, -1);
	return FPGA_OK;
}

static fpga_result rec_get_io_address(fpga_handle h, uint64_t wsid, uint64_t *ioaddr)
{
	CALL(REC_GET_IO_ADDRESS);
	if (!h_of(h) || buf_index(wsid) < 0)
		return FPGA_INVALID_PARAM;
	*ioaddr = wsid << 20;
	return FPGA_OK;
}

static fpga_result rec_get_ws_info(fpga_handle h, uint64_t wsid, uint64_t *ioaddr, void **buf,
                                   uint64_t *len)
{
	int i = buf_index(wsid);

	CALL(REC_GET_WS_INFO);
	if (!h_of(h) || i < 0)
		return FPGA_INVALID_PARAM;
	*ioaddr = wsid << 20;
	*buf = bufs[i].va;
	*len = bufs[i].len;
	return FPGA_OK;
}

static fpga_result rec_pin_buffer(fpga_handle h, void *buf, uint64_t len, uint64_t ioaddr)
{
	(void)buf;
	CALL(REC_PIN_BUFFER);
	REC_SET(st.pin_ioaddr, ioaddr);
	REC_SET(st.pin_len, len);
	return h_of(h) ? FPGA_OK : FPGA_INVALID_PARAM;
}

static fpga_result rec_unpin_buffer(fpga_handle h, void *buf, uint64_t len, uint64_t ioaddr)
{
	(void)buf;
	(void)len;
	(void)ioaddr;
	CALL(REC_UNPIN_BUFFER);
	return h_of(h) ? FPGA_OK : FPGA_INVALID_PARAM;
}

static fpga_result rec_bind_sva(fpga_handle h, uint32_t *pasid)
{
	CALL(REC_BIND_SVA);
	if (!h_of(h) || !pasid)
		return FPGA_INVALID_PARAM;
	*pasid = 42;
	return FPGA_OK;
}

static fpga_result rec_read_error(fpga_token token, uint32_t num, uint64_t *value)
{
	CALL(REC_READ_ERROR);
	if (!tok_of(token) || !value)
		return FPGA_INVALID_PARAM;
	*value = 0xe000u + num;
	return FPGA_OK;
}

/* Event handles: a heap int holding an eventfd. */
static fpga_result rec_create_event(fpga_event_handle *eh)
{
	int *fd = malloc(sizeof(*fd));

	CALL(REC_CREATE_EVENT);
	if (!fd)
		return FPGA_NO_MEMORY;
	*fd = eventfd(0, EFD_CLOEXEC);
	*eh = fd;
	REC_ADD(st.live_events, 1);
	return FPGA_OK;
}

static fpga_result rec_destroy_event(fpga_event_handle *eh)
{
	CALL(REC_DESTROY_EVENT);
	if (!eh || !*eh)
		return FPGA_INVALID_PARAM;
	close(*(int *)*eh);
	free(*eh);
	*eh = NULL;
	REC_ADD(st.live_events, -1);
	return FPGA_OK;
}

static fpga_result rec_get_os_object(const fpga_event_handle eh, int *fd)
{
	CALL(REC_GET_OS_OBJECT);
	*fd = *(int *)eh;
	return FPGA_OK;
}

static fpga_result rec_register_event(fpga_handle h, fpga_event_type type, fpga_event_handle eh,
                                      uint32_t flags)
{
	(void)type;
	CALL(REC_REGISTER_EVENT);
	REC_SET(st.last_event_flags, flags);
	return h_of(h) && eh ? FPGA_OK : FPGA_INVALID_PARAM;
}

static fpga_result rec_unregister_event(fpga_handle h, fpga_event_type type, fpga_event_handle eh)
{
	(void)type;
	CALL(REC_UNREGISTER_EVENT);
	return h_of(h) && eh ? FPGA_OK : FPGA_INVALID_PARAM;
}

/* Objects: a heap uint64_t holding 0x0b0b0000 + length of the name. */
static fpga_result rec_token_get_object(fpga_token token, const char *name, fpga_object *obj,
                                        int flags)
{
	uint64_t *o;

	(void)flags;
	CALL(REC_TOKEN_GET_OBJECT);
	if (!tok_of(token))
		return FPGA_INVALID_PARAM;
	if (!strcmp(name, "missing"))
		return FPGA_NOT_FOUND;
	o = malloc(sizeof(*o));
	if (!o)
		return FPGA_NO_MEMORY;
	*o = 0x0b0b0000u + strlen(name);
	*obj = o;
	REC_ADD(st.live_objects, 1);
	return FPGA_OK;
}

static fpga_result rec_object_read64(fpga_object obj, uint64_t *value, int flags)
{
	(void)flags;
	CALL(REC_OBJECT_READ64);
	*value = *(uint64_t *)obj;
	return FPGA_OK;
}

static fpga_result rec_destroy_object(fpga_object *obj)
{
	CALL(REC_DESTROY_OBJECT);
	free(*obj);
	*obj = NULL;
	REC_ADD(st.live_objects, -1);
	return FPGA_OK;
}

static fpga_result rec_set_user_clock(fpga_handle h, uint64_t hi, uint64_t lo, int flags)
{
	(void)flags;
	CALL(REC_SET_USER_CLOCK);
	REC_SET(st.last_offset, hi * 1000 + lo);
	return h_of(h) ? FPGA_OK : FPGA_INVALID_PARAM;
}

static int rec_initialize(void)
{
	CALL(REC_INITIALIZE);
	return fail_initialize ? 5 : 0;
}

static int rec_finalize(void)
{
	const char *mark = getenv("REC_FINALIZE_MARK");

	CALL(REC_FINALIZE);
	/* For tests that can only look from outside the process. */
	if (mark) {
		FILE *f = fopen(mark, "a");
		if (f) {
			fprintf(f, "finalize bus 0x%x\n", st.bus);
			fclose(f);
		}
	}
	return 0;
}

__attribute__((visibility("default"))) int opae_plugin_configure(opae_api_adapter_table *adapter,
                                                                 const char *json)
{
	CALL(REC_CONFIGURE);
	st.bus = REC_BUS;
	st.device_id = REC_DEVICE_ID;
	snprintf(st.config, sizeof(st.config), "%s", json ? json : "(null)");
	if (json && strstr(json, "fail-configure"))
		return 7;
	fail_initialize = json && strstr(json, "fail-initialize");
	adapter->fpgaEnumerate = rec_enumerate;
	adapter->fpgaCloneToken = rec_clone_token;
	adapter->fpgaDestroyToken = rec_destroy_token;
	adapter->fpgaGetProperties = rec_get_properties;
	adapter->fpgaOpen = rec_open;
	adapter->fpgaClose = rec_close;
	adapter->initialize = rec_initialize;
	adapter->finalize = rec_finalize;
	if (REC_MINIMAL)
		return 0;
	adapter->fpgaUpdateProperties = rec_update_properties;
	adapter->fpgaGetPropertiesFromHandle = rec_get_props_from_handle;
	adapter->fpgaReset = rec_reset;
	adapter->fpgaWriteMMIO64 = rec_write64;
	adapter->fpgaReadMMIO64 = rec_read64;
	adapter->fpgaWriteMMIO32 = rec_write32;
	adapter->fpgaReadMMIO32 = rec_read32;
	adapter->fpgaWriteMMIO512 = rec_write512;
	adapter->fpgaMapMMIO = rec_map;
	adapter->fpgaUnmapMMIO = rec_unmap;
	adapter->fpgaPrepareBuffer = rec_prepare_buffer;
	adapter->fpgaReleaseBuffer = rec_release_buffer;
	adapter->fpgaGetIOAddress = rec_get_io_address;
	adapter->fpgaGetWSInfo = rec_get_ws_info;
	adapter->fpgaPinBuffer = rec_pin_buffer;
	adapter->fpgaUnpinBuffer = rec_unpin_buffer;
	adapter->fpgaBindSVA = rec_bind_sva;
	adapter->fpgaReadError = rec_read_error;
	adapter->fpgaCreateEventHandle = rec_create_event;
	adapter->fpgaDestroyEventHandle = rec_destroy_event;
	adapter->fpgaGetOSObjectFromEventHandle = rec_get_os_object;
	adapter->fpgaRegisterEvent = rec_register_event;
	adapter->fpgaUnregisterEvent = rec_unregister_event;
	adapter->fpgaTokenGetObject = rec_token_get_object;
	adapter->fpgaObjectRead64 = rec_object_read64;
	adapter->fpgaDestroyObject = rec_destroy_object;
	adapter->fpgaSetUserClock = rec_set_user_clock;
	return 0;
}
