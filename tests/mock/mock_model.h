/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_model.h - the contract between the mock kernel and its device models.
 *
 * The mock kernel owns the VFIO side (fds, config space, IOMMU, IRQ wiring,
 * BAR backing memory and the MMIO trap); a model owns one device's register
 * behaviour and its DMA engine. Models live in tests/mock/models/, one file
 * each, and export one `const struct mock_model_ops mock_model_<name>`.
 *
 * Locking: the mock holds the device's lock around every callback below
 * (on_read, on_write, reset, scheduled functions, destroy), so a model never
 * locks. The services (mock_dma_*, mock_irq_*, mock_schedule) may be called
 * from inside callbacks. Callbacks may run in a SIGSEGV/SIGTRAP handler on the
 * program's thread (a trapped MMIO access): no stdio, no malloc there.
 */
#ifndef MOCK_MODEL_H
#define MOCK_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct mock_dev; /* the kernel-side device; opaque to models */

#define MOCK_MAX_SPARSE 8

struct mock_bar_config {
	uint64_t size;   /* 0 = BAR not implemented */
	int mmap;        /* VFIO_REGION_INFO_FLAG_MMAP offered */
	int is64;        /* 64-bit memory BAR: BAR index+1 holds its upper half */
	int prefetch;    /* prefetchable */
	unsigned nsparse; /* > 0: sparse-mmap capability with these areas */
	struct {
		uint64_t offset, size; /* size 0 areas are legal (the kernel reports them) */
	} sparse[MOCK_MAX_SPARSE];
};

/* Everything the scenario says about one device. A model's defaults() fills
 * it first; explicit scenario fields then override. */
struct mock_dev_config {
	char address[16];     /* "dddd:bb:dd.f" */
	char model[32];
	uint16_t vendor, device, subsystem_vendor, subsystem_device;
	uint32_t class_code;  /* 24-bit class/subclass/prog-if */
	uint8_t revision;
	unsigned group;       /* IOMMU group number */
	char driver[32];      /* "vfio-pci", another host driver, or "" (unbound) */
	int numa_node;        /* -1 = unknown */
	struct mock_bar_config bar[6];
	unsigned irq_count[5]; /* INTx, MSI, MSI-X, ERR, REQ (VFIO_PCI_*_IRQ_INDEX) */
	unsigned host_vectors; /* MSI/MSI-X vectors the host grants at once; 0 = all */
	int pcie;             /* config space 4096 bytes (else 256) */
	int reset;            /* VFIO_DEVICE_FLAGS_RESET */
	char physfn[16];      /* this is an SR-IOV VF of that PF ("" = not a VF) */
	unsigned sriov_totalvfs; /* > 0: this is an SR-IOV PF */
	unsigned sriov_numvfs;
	unsigned sriov_offset, sriov_stride; /* VF n's routing id: PF's + offset + n * stride */
	char native_driver[32];   /* the host driver whose id table matches it ("" none) */
	struct json_object *vf;   /* a PF's template for the VFs sriov_numvfs creates */
	struct json_object *params; /* "params" object of the device, or NULL */
};

struct mock_model_ops {
	const char *name; /* the scenario's "model" string */

	/* Fill ids, BARs, IRQ counts, ... for this model. */
	void (*defaults)(struct mock_dev_config *cfg);

	/* Create the model's state; BAR memory (mock_bar_mem) is zeroed and may
	 * be initialised here. Returns 0 or -1 (scenario rejected). */
	int (*create)(struct mock_dev *d, const struct mock_dev_config *cfg, void **state);
	void (*destroy)(void *state);

	/* VFIO_DEVICE_RESET (FLR): registers back to power-on values. */
	void (*reset)(void *state);

	/* Width in bytes (1, 2, 4, 8) of the register containing `off`; the
	 * mock aligns `off` down to it. Optional: default is 4 below 8-byte
	 * alignment, else 8. Used to size trapped stores. */
	unsigned (*reg_width)(void *state, unsigned bar, uint64_t off);

	/* The program stored `size` bytes (`value`) at BAR offset `off` (by a
	 * trapped store through its mmap, or by pwrite on the device fd). The
	 * BAR memory already holds the stored bytes. Optional. */
	void (*on_write)(void *state, unsigned bar, uint64_t off, unsigned size, uint64_t value);

	/* The program is about to load `size` bytes at `off`: refresh BAR
	 * memory there if the register's value is computed. Optional. */
	void (*on_read)(void *state, unsigned bar, uint64_t off, unsigned size);

	/* Does this 4 KiB page of the BAR need traps? Optional: default is
	 * "every page" when on_write or on_read is set, else none. Untrapped
	 * pages are plain shared memory (fast). */
	int (*page_trapped)(void *state, unsigned bar, uint64_t page_off);
};

/* The models the mock knows (tests/mock/models/); each must be built: a
 * missing one is a link error, not a silently absent model. */
extern const struct mock_model_ops mock_model_edu;
extern const struct mock_model_ops mock_model_dfl_fpga;
extern const struct mock_model_ops mock_model_hostile_dfl;
extern const struct mock_model_ops mock_model_nvme;

/* ---- services the mock offers to models ---------------------------------- */

/* The model's own (never trapped) view of BAR `bar`; NULL if absent. */
uint8_t *mock_bar_mem(struct mock_dev *d, unsigned bar);
uint64_t mock_bar_size(struct mock_dev *d, unsigned bar);
const struct mock_dev_config *mock_dev_cfg(struct mock_dev *d);

/* Device DMA through the IOMMU of the container the device's group is in.
 * Returns 0; -1 if some page was not mapped (an IOMMU fault is recorded; a
 * write transfers nothing, a read gets zeros for the refused pages, as QEMU's
 * devices read them); -2 if bus mastering is off in the PCI COMMAND register
 * (silently dropped, as real devices do). */
int mock_dma_read(struct mock_dev *d, uint64_t iova, void *buf, size_t len);
int mock_dma_write(struct mock_dev *d, uint64_t iova, const void *buf, size_t len);

/* Interrupts. raise: an edge on MSI/MSI-X vector `vector` of `index`
 * (delivered to its eventfd, or, if the vector's eventfd was detached while
 * the index stays enabled, a 4-byte DMA write to IOVA 0 as on real
 * hardware). intx: the INTx line level (delivery follows vfio-pci's
 * automask/unmask rules). msi_enabled: MSI (index 1) or MSI-X (2) is on. */
void mock_irq_raise(struct mock_dev *d, unsigned index, unsigned vector);
void mock_intx_set_level(struct mock_dev *d, int asserted);
int mock_msi_enabled(struct mock_dev *d, unsigned index);

/* MSI-X vector `vector` fires (the same as mock_irq_raise(d, 2, vector)): with
 * MSI-X enabled, an unmasked table entry sends its message to the eventfd of
 * that vector only; a masked one (no eventfd attached, or masked by the
 * program through its mmap) sets the vector's PBA bit instead, and the
 * message goes out when the kernel unmasks it (an eventfd is attached). With
 * MSI-X disabled nothing happens. Safe in signal context. The table and PBA
 * sit in the BAR the MSI-X capability names (mock_msix.c); a model keeps its
 * registers out of that range. */
void mock_msix_raise(struct mock_dev *d, unsigned vector);

/* Run fn(state, arg) on the mock's worker thread after delay_ns, with the
 * device lock held. Pending work is dropped on reset and destroy. */
void mock_schedule(struct mock_dev *d, uint64_t delay_ns, void (*fn)(void *state, void *arg),
		   void *arg);

/* Mock-side log line (VFIO_MOCK_LOG >= level); not for signal context. */
void mock_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MOCK_MODEL_H */
