/* SPDX-License-Identifier: BSD-3-Clause */
/* plugin_priv.h - libopae-vfio.so internals: the device registry, tokens,
 * sessions (open VFIO devices), handles, and each module's entry points.
 *
 * Layers: plugin.c (adapter table) -> enum/props/handle/mmio (framework
 * calls) -> registry/session/kind_* (devices) -> discover/probe/dfl (sysfs,
 * read-only VFIO, the feature list) and the core (opae/vfio.h).
 * Internal functions return 0 / -errno; fpga_result only at entry points.
 */
#ifndef PLUGIN_PRIV_H
#define PLUGIN_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <opae/types.h>
#include <opae/vfio.h>

#include "config.h"
#include "dfl.h"
#include "log.h" /* the core's log_line(): one voice for the whole .so */

#define PL_TOKEN_MAGIC 0x6f7666696f6b6e21ULL /* "ovfiokn!" */
#define PL_MAX_SPACES  DFL_NUM_BARS         /* MMIO spaces per accelerator */
#define PL_MAX_OBJS    (1 + DFL_MAX_AFUS)    /* FME + accelerators */

/* ---- discover.c: sysfs, opens nothing ------------------------------------ */

/* What sysfs says about one PCI function bound to vfio-pci. */
struct pl_pci {
	char addr[CFG_ADDR_MAX];
	uint32_t domain;
	uint8_t bus, dev, fn;
	uint16_t ids[4]; /* vendor, device, subsystem vendor, subsystem device */
	int numa;        /* -1 unknown */
	int group;       /* IOMMU group number */
	char physfn[CFG_ADDR_MAX]; /* "" unless an SR-IOV VF */
	int sriov_pf;    /* has SR-IOV capability (sriov_totalvfs exists) */
	unsigned numvfs; /* sriov_numvfs */
	uint64_t bar_len[DFL_NUM_BARS]; /* memory BARs, 0 = absent */
	unsigned num_vectors; /* MSI-X (else MSI) vectors from config space, 0 unknown */
};

/* One entry of /sys/bus/pci/drivers/vfio-pci: the address and a binding id
 * (the inode of the driver's link) that changes at every (re)bind. */
struct pl_bound {
	char addr[CFG_ADDR_MAX];
	uint64_t bind_id;
};

/* Functions bound to vfio-pci now, sorted by address. Returns the count or
 * -errno; *out is malloc'd (free it). */
int discover_bound(struct pl_bound **out);
/* Read the facts of one function. 0 or -errno (logged at debug level). */
int discover_read(const char *addr, struct pl_pci *out);
/* 1 if the function at addr is bound to vfio-pci now. */
int discover_on_vfio(const char *addr);

/* ---- probe.c: read-only VFIO access for identification ------------------ */

struct pl_probe {
	int cont, group, dev;
	struct dfl_bars bars;
	size_t map_len[DFL_NUM_BARS];
};
/* Open the function read-only: container, group, IOMMU, device fd (with
 * vf_token when given); map its memory BARs PROT_READ. No config or BAR
 * write. -EBUSY when someone holds the group; -EACCES for a VF token the
 * kernel refuses. Logged at debug level only (the caller decides). */
int probe_open(const struct pl_pci *pci, const char *vf_token, struct pl_probe *p);
void probe_close(struct pl_probe *p);

/* ---- registry.c: devices, identification cache, rescans ----------------- */

enum pl_ident {
	PL_ID_UNKNOWN = 0, /* not looked at yet, or could not (busy, token) */
	PL_ID_DONE,        /* objects below are valid */
	PL_ID_HOSTILE,     /* the feature list is broken: skipped until rebind */
};

/* An MMIO space of an accelerator: a window of one BAR. */
struct pl_space {
	unsigned bar;
	uint64_t off;
	uint64_t size;
};

/* One enumerable object of a device. */
struct pl_obj {
	fpga_objtype type;
	unsigned index; /* object index (object id low bits) */
	uint8_t guid[16];
	unsigned nspaces;
	struct pl_space space[PL_MAX_SPACES];
	int port; /* DFL port: reset protocol at port_bar + port_off; -1 none */
	unsigned port_bar;
	uint64_t port_off;
	unsigned num_irqs;
	uint64_t bbs_id, bbs_md; /* FPGA_DEVICE */
	unsigned num_slots;
	unsigned opens;    /* handles open on it (registry lock) */
	int exclusive;     /* one of them is exclusive */
};

struct pl_session;

struct pl_dev {
	struct pl_pci pci;
	uint64_t bind_id;
	int claimed;               /* the device list names it */
	struct cfg_device rule;    /* copy of the claiming entry */
	enum pl_ident ident;
	int unknown_busy;          /* PL_ID_UNKNOWN because another process holds it */
	unsigned nobjs;
	struct pl_obj objs[PL_MAX_OBJS];
	struct pl_session *session; /* open in this process, or NULL */
	char proc_token[CFG_UUID_MAX]; /* SR-IOV PF: VF token this process set ("" none) */
	int present;               /* seen in the last scan */
};

struct pl_registry {
	pthread_mutex_t lock; /* guards everything below and every pl_dev */
	struct cfg *cfg;
	unsigned ndevs;
	struct pl_dev **devs; /* sorted by address */
	unsigned cap;
};

extern struct pl_registry pl_reg;

/* With pl_reg.lock held. */
int registry_rescan(void);
struct pl_dev *registry_find(const char *addr);
/* Identify dev (DFL walk through probe or session, or the plain rule). */
void registry_identify(struct pl_dev *dev);
void registry_free_all(void);

/* ---- kind_dfl.c / kind_plain.c: per device kind --------------------------- */

struct pl_handle;

struct pl_kind_ops {
	/* Build dev->objs from what can be read (bars may be NULL for kinds
	 * that read nothing). 0, or -errno with a reason logged. */
	int (*identify)(struct pl_dev *dev, const struct dfl_bars *bars);
	/* fpgaReset of an accelerator handle. */
	fpga_result (*reset)(struct pl_handle *h);
};
extern const struct pl_kind_ops pl_kind_dfl, pl_kind_plain;
const struct pl_kind_ops *kind_of(const struct pl_dev *dev);
/* Port reset protocol on mapped port registers (kind_dfl.c): 0 or -ETIMEDOUT. */
int dfl_port_reset(volatile uint8_t *port, const char *addr, int assert_first);

/* ---- session.c: open VFIO devices, PF/VF token pairing ------------------- */

struct pl_session {
	struct opae_vfio v;
	unsigned refs;
	struct pl_dev *dev;
	struct pl_session *pf; /* VF: the PF session it holds, or NULL */
	char token[CFG_UUID_MAX]; /* token set (PF) or presented (VF); "" none */
};

/* Take a reference on dev's session, opening it (and its PF) if needed.
 * Registry lock held. */
fpga_result session_get(struct pl_dev *dev, struct pl_session **out);
void session_put(struct pl_session *s);
/* The token to present for VF dev, "" if none is known; never invents one. */
const char *session_known_vf_token(struct pl_dev *dev);
/* fpgaReset by VFIO_DEVICE_RESET, only when no other handle or VF uses it. */
fpga_result session_device_reset(struct pl_handle *h);

/* ---- token.c ------------------------------------------------------------ */

/* What a token describes: a snapshot taken at enumeration. */
struct pl_token {
	fpga_token_header hdr; /* first: the framework reads it */
	char addr[CFG_ADDR_MAX];
	uint32_t domain;
	unsigned obj;          /* object index in the device */
	int numa;
	unsigned num_mmio, num_irqs, num_slots;
	uint64_t bbs_id;
	int unidentified;      /* placeholder for a device we could not look into */
	int unknown_busy;
	struct pl_token *next_free;
};

/* Describe obj of dev (obj NULL: an unidentified placeholder). */
void token_init(struct pl_token *t, const struct pl_dev *dev, const struct pl_obj *obj);
struct pl_token *token_new(const struct pl_dev *dev, const struct pl_obj *obj);
struct pl_token *token_clone(const struct pl_token *t);
void token_free(struct pl_token *t);
/* The token behind an fpga_token, or NULL if it is not a live one of ours. */
struct pl_token *token_check(fpga_token t);
void token_pool_free_all(void);
uint64_t token_object_id(uint32_t domain, uint8_t bus, uint8_t dev, uint8_t fn, unsigned obj);

/* ---- handle.c: Open / Close / Reset and the handle table ----------------- */

/* Per-handle in-flight counters: the first PL_EXCL_SHARDS threads that call
 * the plugin own one each (written only by that thread); later threads share
 * the last one. Each counter has its own cache line. */
#define PL_EXCL_SHARDS 8
#define PL_SHARDS      (PL_EXCL_SHARDS + 1)

/* ---- buffer.c: a handle's workspaces (DMA buffers) ----------------------- */

/* A workspace id: gen << 36 | handle slot << 20 | index. The table of a
 * handle slot lives as long as the slot; an entry's generation grows at every
 * release, so a stale id, an id of another handle or a made-up one never
 * matches a live entry. */
#define PL_WS_INDEX_BITS 20
#define PL_WS_CHUNK_BITS 10
#define PL_WS_CHUNK      (1u << PL_WS_CHUNK_BITS)
#define PL_WS_MAX_CHUNKS (1u << (PL_WS_INDEX_BITS - PL_WS_CHUNK_BITS))
#define PL_WS_GEN_SHIFT  36

/* One entry. Fields are written only while the entry is not live and read
 * lock-free (seqlock: state, fields, state again). */
struct pl_ws {
	_Atomic uint64_t state; /* gen << 1 | live */
	_Atomic uint64_t iova, len;
	_Atomic uintptr_t va;
	int flags;
	uint32_t next_free; /* index + 1 of the next free entry, 0 none */
};

/* Memory of this process mapped into the handle's device by fpgaPinBuffer. */
struct pl_pin {
	uint8_t *buf;
	uint64_t len, iova;
	int shared; /* already mapped there (the parent's own container): no core call */
	struct pl_pin *next;
};

struct pl_wstab {
	pthread_mutex_t lock; /* allocation, release, close */
	struct pl_ws *_Atomic *chunks; /* [PL_WS_MAX_CHUNKS], made at first prepare */
	uint32_t nmade;     /* entries made so far */
	uint32_t free_head; /* index + 1 of the first free entry, 0 none */
	uint32_t live;
	struct pl_pin *pins; /* a child's pins: guarded by pl_family_lock */
};

struct pl_handle;
/* fpgaClose: release every buffer and pin of the handle (calls drained). */
void buffer_close_all(struct pl_handle *h);
void buffer_table_free(struct pl_wstab *t);

fpga_result pl_prepare_buffer(fpga_handle h, uint64_t len, void **buf_addr, uint64_t *wsid,
                              int flags);
fpga_result pl_release_buffer(fpga_handle h, uint64_t wsid);
fpga_result pl_get_io_address(fpga_handle h, uint64_t wsid, uint64_t *ioaddr);
fpga_result pl_get_ws_info(fpga_handle h, uint64_t wsid, uint64_t *ioaddr, void **buf,
                           uint64_t *len);
fpga_result pl_pin_buffer(fpga_handle h, void *buf, uint64_t len, uint64_t ioaddr);
fpga_result pl_unpin_buffer(fpga_handle h, void *buf, uint64_t len, uint64_t ioaddr);

/* A slot of the handle table. Slots are never freed while the plugin is
 * loaded, so a stale or forged handle reads valid memory and fails the
 * state check. The fields of the first cache line are written before the
 * slot is published open and are immutable until close. */
struct pl_handle {
	_Alignas(64) _Atomic uint64_t state; /* gen << 2 | PH_* */
	unsigned nspaces;
	struct {
		volatile uint8_t *base;
		uint64_t size;
	} space[PL_MAX_SPACES];
	struct pl_token *token;
	struct pl_dev *dev;
	unsigned obj;
	int flags;
	volatile uint8_t *port; /* DFL port registers, or NULL */
	struct pl_session *session;
	unsigned slot;
	struct pl_handle *next_free;
	struct {
		_Alignas(64) _Atomic unsigned n; /* calls in flight on this handle */
	} inflight[PL_SHARDS];
	struct pl_wstab ws; /* its buffers (kept with the slot across opens) */
	/* Multi-port AFUs (family.c): links guarded by pl_family_lock. A child
	 * (flags has FPGA_OPEN_HAS_PARENT_AFU) names its parent until either
	 * closes; a parent lists its open children. nchildren grows under
	 * pl_family_lock and the parent's ws.lock, shrinks under the former. */
	struct pl_handle *parent;
	struct pl_handle *first_child, *next_sibling;
	_Atomic unsigned nchildren;
};

#define PH_FREE    0u
#define PH_OPEN    1u
#define PH_CLOSING 2u

#define PL_SLOT_BITS  16
#define PL_CHUNK      64
#define PL_MAX_CHUNKS ((1u << PL_SLOT_BITS) / PL_CHUNK)

extern struct pl_handle *_Atomic pl_handle_chunks[PL_MAX_CHUNKS];
/* 1 when fpgaClose can fence every thread of the process (membarrier), so a
 * call entering a handle needs no locked instruction; else 0. */
extern int pl_fast_enter;
extern __thread unsigned pl_my_shard __attribute__((tls_model("initial-exec")));
unsigned handle_first_shard(void);

static inline void handle_leave(struct pl_handle *s, unsigned shard)
{
	_Atomic unsigned *n = &s->inflight[shard].n;

	if (shard < PL_EXCL_SHARDS) /* only this thread writes it: a plain release store */
		atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) - 1,
		                      memory_order_release);
	else
		atomic_fetch_sub_explicit(n, 1, memory_order_release);
}

/* Enter a handle for a call: NULL if h is not an open handle; else the slot,
 * counted in flight until handle_leave(). Lock-free, and with pl_fast_enter
 * free of locked instructions: the count is a plain store that close orders
 * against its "closing" mark with a process-wide barrier (membarrier), the
 * asymmetric form of "count, then check the state" / "mark, then wait". */
static inline struct pl_handle *handle_enter(fpga_handle h, unsigned *shard)
{
	uint64_t id = (uint64_t)(uintptr_t)h;
	unsigned slot = (unsigned)(id & ((1u << PL_SLOT_BITS) - 1)), sh;
	struct pl_handle *c, *s;
	_Atomic unsigned *n;

	if (!(id >> PL_SLOT_BITS))
		return NULL;
	c = atomic_load_explicit(&pl_handle_chunks[slot / PL_CHUNK], memory_order_acquire);
	if (!c)
		return NULL;
	s = &c[slot % PL_CHUNK];
	sh = pl_my_shard ? pl_my_shard - 1 : handle_first_shard();
	n = &s->inflight[sh].n;
	if (sh < PL_EXCL_SHARDS && pl_fast_enter) {
		atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
	} else {
		atomic_fetch_add_explicit(n, 1, memory_order_seq_cst);
	}
	if (atomic_load_explicit(&s->state, memory_order_seq_cst) !=
	    ((id >> PL_SLOT_BITS) << 2 | PH_OPEN)) {
		handle_leave(s, sh);
		return NULL;
	}
	*shard = sh;
	return s;
}
void handle_close_all(void);
void handle_table_free(void);

/* ---- family.c: child AFUs of a parent AFU (FPGA_OPEN_HAS_PARENT_AFU) -------
 * Lock order: pl_reg.lock -> pl_family_lock -> one handle's ws.lock -> the
 * core's locks. pl_family_lock guards parent/child links and pin lists;
 * no two ws.locks are ever held together (a slot is a parent in one life
 * and a child in the next). */
extern pthread_mutex_t pl_family_lock;
/* fpgaOpen of child s (registry lock held): parent_id must be an open handle
 * of this plugin that is not a child; the parent's IOVA space is narrowed to
 * what is free in the child's device, then s is linked under it. */
fpga_result family_link(struct pl_handle *s, fpga_handle parent_id);
/* fpgaClose of h (calls drained): a child drops its pins and leaves its
 * parent; a parent unpins its buffers from its children, which stay open
 * without a parent. */
void family_unlink(struct pl_handle *h);
/* Releasing buffer [va, va + len) of parent h (pl_family_lock and
 * h->ws.lock held): unpin it from every child first. */
void family_unpin_released(struct pl_handle *h, const uint8_t *va, uint64_t len);
/* Once, at configure: can close fence every thread (membarrier)? */
void handle_setup_fences(void);

/* ---- event.c: event handles and interrupt registration ------------------ */

fpga_result pl_create_event_handle(fpga_event_handle *eh);
fpga_result pl_destroy_event_handle(fpga_event_handle *eh);
fpga_result pl_get_os_object(fpga_event_handle eh, int *fd);
fpga_result pl_register_event(fpga_handle h, fpga_event_type type, fpga_event_handle eh,
                              uint32_t flags);
fpga_result pl_unregister_event(fpga_handle h, fpga_event_type type, fpga_event_handle eh);
/* fpgaClose: detach every registration made through h (calls drained). */
void event_close_handle(struct pl_handle *h);
void event_free_all(void);

/* ---- fw.c: the framework's public API, resolved at run time ------------- */

struct pl_fw {
	fpga_result (*GetOPAECVersion)(fpga_version *);
	fpga_result (*GetProperties)(fpga_token, fpga_properties *);
	fpga_result (*ClearProperties)(fpga_properties);
	fpga_result (*DestroyProperties)(fpga_properties *);
	fpga_result (*SetObjectType)(fpga_properties, fpga_objtype);
	fpga_result (*SetSegment)(fpga_properties, uint16_t);
	fpga_result (*SetBus)(fpga_properties, uint8_t);
	fpga_result (*SetDevice)(fpga_properties, uint8_t);
	fpga_result (*SetFunction)(fpga_properties, uint8_t);
	fpga_result (*SetSocketID)(fpga_properties, uint8_t);
	fpga_result (*SetVendorID)(fpga_properties, uint16_t);
	fpga_result (*SetDeviceID)(fpga_properties, uint16_t);
	fpga_result (*SetSubsystemVendorID)(fpga_properties, uint16_t);
	fpga_result (*SetSubsystemDeviceID)(fpga_properties, uint16_t);
	fpga_result (*SetObjectID)(fpga_properties, uint64_t);
	fpga_result (*SetInterface)(fpga_properties, fpga_interface);
	fpga_result (*SetGUID)(fpga_properties, fpga_guid);
	fpga_result (*SetNumErrors)(fpga_properties, uint32_t);
	fpga_result (*SetNumMMIO)(fpga_properties, uint32_t);
	fpga_result (*SetNumInterrupts)(fpga_properties, uint32_t);
	fpga_result (*SetAcceleratorState)(fpga_properties, fpga_accelerator_state);
	fpga_result (*SetNumSlots)(fpga_properties, uint32_t);
	fpga_result (*SetBBSID)(fpga_properties, uint64_t);
	fpga_result (*SetBBSVersion)(fpga_properties, fpga_version);
	fpga_result (*GetObjectType)(const fpga_properties, fpga_objtype *);
	fpga_result (*GetParent)(const fpga_properties, fpga_token *);
	fpga_result (*GetSegment)(const fpga_properties, uint16_t *);
	fpga_result (*GetBus)(const fpga_properties, uint8_t *);
	fpga_result (*GetDevice)(const fpga_properties, uint8_t *);
	fpga_result (*GetFunction)(const fpga_properties, uint8_t *);
	fpga_result (*GetSocketID)(const fpga_properties, uint8_t *);
	fpga_result (*GetVendorID)(const fpga_properties, uint16_t *);
	fpga_result (*GetDeviceID)(const fpga_properties, uint16_t *);
	fpga_result (*GetSubsystemVendorID)(const fpga_properties, uint16_t *);
	fpga_result (*GetSubsystemDeviceID)(const fpga_properties, uint16_t *);
	fpga_result (*GetObjectID)(const fpga_properties, uint64_t *);
	fpga_result (*GetGUID)(const fpga_properties, fpga_guid *);
	fpga_result (*GetInterface)(const fpga_properties, fpga_interface *);
	fpga_result (*GetNumErrors)(const fpga_properties, uint32_t *);
	fpga_result (*GetAcceleratorState)(const fpga_properties, fpga_accelerator_state *);
	fpga_result (*GetNumMMIO)(const fpga_properties, uint32_t *);
	fpga_result (*GetNumInterrupts)(const fpga_properties, uint32_t *);
	fpga_result (*GetNumSlots)(const fpga_properties, uint32_t *);
	fpga_result (*GetBBSID)(const fpga_properties, uint64_t *);
	fpga_result (*GetBBSVersion)(const fpga_properties, fpga_version *);
	fpga_result (*GetModel)(const fpga_properties, char *);
	fpga_result (*GetLocalMemorySize)(const fpga_properties, uint64_t *);
	fpga_result (*GetCapabilities)(const fpga_properties, uint64_t *);
};
extern struct pl_fw pl_fw;
/* Resolve every entry; 0, or -1 with the first missing name in `missing`. */
int fw_resolve(char *missing, size_t len);

/* ---- entry points (adapter table) ---------------------------------------- */

fpga_result pl_enumerate(const fpga_properties *filters, uint32_t num_filters, fpga_token *tokens,
                         uint32_t max_tokens, uint32_t *num_matches);
fpga_result pl_clone_token(fpga_token src, fpga_token *dst);
fpga_result pl_destroy_token(fpga_token *token);
fpga_result pl_get_properties(fpga_token token, fpga_properties *prop);
fpga_result pl_update_properties(fpga_token token, fpga_properties prop);
fpga_result pl_get_properties_from_handle(fpga_handle handle, fpga_properties *prop);
fpga_result pl_open(fpga_token token, fpga_handle *handle, int flags);
fpga_result pl_close(fpga_handle handle);
fpga_result pl_reset(fpga_handle handle);
fpga_result pl_read_mmio32(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint32_t *value);
fpga_result pl_write_mmio32(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint32_t value);
fpga_result pl_read_mmio64(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint64_t *value);
fpga_result pl_write_mmio64(fpga_handle h, uint32_t mmio_num, uint64_t offset, uint64_t value);
fpga_result pl_write_mmio512(fpga_handle h, uint32_t mmio_num, uint64_t offset, const void *value);
fpga_result pl_map_mmio(fpga_handle h, uint32_t mmio_num, uint64_t **mmio_ptr);
fpga_result pl_unmap_mmio(fpga_handle h, uint32_t mmio_num);
void mmio_detect_cpu(void);

/* props.c: the accelerator state now: open here, else a group probe (never
 * a device open). Registry lock held; -1 when the device is gone. */
int props_state_now(const struct pl_token *t);

#endif /* PLUGIN_PRIV_H */
