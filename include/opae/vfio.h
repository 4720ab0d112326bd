/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/vfio.h - the opae-vfio core API: drive one vfio-pci device from user
 * space (container, group, device, BAR regions, DMA buffers, interrupts).
 *
 * Source-compatible with OPAE's documented <opae/vfio.h>: same functions, same
 * struct and field names, same "0 on success, non-zero on failure" convention.
 * On failure errno is also set to the precise cause, and one log line (see
 * LIBOPAE_LOG in the README) names the device, the step and the reason.
 *
 * The public structs keep OPAE's x86-64 layouts (struct opae_vfio is 264
 * bytes), so programs that walk v->device.regions or v->device.irqs work
 * unchanged. The two OPAE-internal members (the IOVA allocator and the buffer
 * hash map) are replaced by opaque storage of the same size.
 */
#ifndef OPAE_VFIO_H
#define OPAE_VFIO_H

/* OPAE's header brings these in, and programs written for it rely on that. */
#include <linux/vfio.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One usable IOVA window reported by the kernel (inclusive bounds). */
struct opae_vfio_iova_range {
	uint64_t start;
	uint64_t end;
	struct opae_vfio_iova_range *next;
};

/* The IOMMU group of the device: /dev/vfio/N (or /dev/vfio/noiommu-N). */
struct opae_vfio_group {
	char *group_device;
	int group_fd;
};

/* One mmap-able area of a sparse region. Zero-size areas are never listed. */
struct opae_vfio_sparse_info {
	uint32_t index;  /* ordinal of the area, 0..n-1 */
	uint32_t offset; /* offset of the area inside the region */
	uint32_t size;
	uint8_t *ptr; /* user VA of the area */
	struct opae_vfio_sparse_info *next;
};

/* One mapped region (BAR). Only mmap-able regions are listed. */
struct opae_vfio_device_region {
	uint32_t region_index; /* VFIO region index (= BAR number for 0..5) */
	uint8_t *region_ptr;   /* user VA of the whole region */
	size_t region_size;
	struct opae_vfio_sparse_info *region_sparse; /* NULL unless sparse */
	struct opae_vfio_device_region *next;
};

/* One IRQ index as reported by VFIO_DEVICE_GET_IRQ_INFO. */
struct opae_vfio_device_irq {
	uint32_t flags;     /* VFIO_IRQ_INFO_* */
	uint32_t index;     /* VFIO_PCI_{INTX,MSI,MSIX,ERR,REQ}_IRQ_INDEX */
	uint32_t count;     /* vectors at this index */
	int32_t *event_fds; /* [count], -1 = not enabled (owned by the library) */
	int32_t *masks;     /* [count], 1 = masked by opae_vfio_irq_mask */
	struct opae_vfio_device_irq *next;
};

struct opae_vfio_device {
	int device_fd;
	uint64_t device_config_offset; /* file offset of PCI config space */
	uint32_t device_num_regions;
	struct opae_vfio_device_region *regions;
	uint32_t device_num_irqs;
	struct opae_vfio_device_irq *irqs;
};

/* One DMA buffer. Pointers returned by opae_vfio_buffer_info() stay valid
 * until the buffer is freed or the device is closed. */
struct opae_vfio_buffer {
	uint8_t *buffer_ptr; /* user VA (the lookup key) */
	size_t buffer_size;  /* page-rounded size, as written back to *size */
	uint64_t buffer_iova;
	int flags; /* flags given to opae_vfio_buffer_allocate_ex */
};

enum opae_vfio_buffer_flags {
	/* The caller owns the (page-aligned) memory; the library only DMA-maps
	 * and unmaps it and never frees it. Same value as FPGA_BUF_PREALLOCATED. */
	OPAE_VFIO_BUF_PREALLOCATED = 1,
	/* Failures of this allocation are logged at debug level only (the caller
	 * reports them, or probes). Same value as FPGA_BUF_QUIET. */
	OPAE_VFIO_BUF_QUIET = 2,
	/* The device may only read the buffer (IOMMU mapping without WRITE); a
	 * device write faults. Same value as FPGA_BUF_READ_ONLY. */
	OPAE_VFIO_BUF_READ_ONLY = 4,
};

/* Opaque storage standing where OPAE keeps its libopaemem objects; the
 * library's private state lives behind it. Do not touch. */
struct opae_vfio_opaque64 {
	void *priv;
	uint64_t reserved[7];
};

/* An open device. May live on the caller's stack. Zero it (or let a failed
 * open leave it closed) before reuse; opae_vfio_close() is safe on a struct
 * whose open failed and on one already closed. */
struct opae_vfio {
	pthread_mutex_t lock;
	char *cont_device;  /* "/dev/vfio/vfio" */
	char *cont_pciaddr; /* "dddd:bb:dd.f" */
	int cont_fd;
	struct opae_vfio_iova_range *cont_ranges;
	struct opae_vfio_opaque64 iova_alloc;
	struct opae_vfio_group group;
	struct opae_vfio_device device;
	struct opae_vfio_opaque64 cont_buffers;
};

/* Open the vfio-pci device at pciaddr ("dddd:bb:dd.f"): container, group,
 * device, IOMMU (Type1v2 when offered), IOVA ranges, BAR mappings, IRQ info.
 * Returns 0, or non-zero with errno set; a failure releases every earlier
 * step and leaves *v closed. */
int opae_vfio_open(struct opae_vfio *v, const char *pciaddr);

/* As opae_vfio_open, presenting an SR-IOV VF token (a UUID string
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") to the kernel. */
int opae_vfio_secure_open(struct opae_vfio *v, const char *pciaddr, const char *token);

/* OPAE 2.12+: 0 if the device's IOMMU group can be opened now (it is then
 * closed again), non-zero if it is busy or cannot be opened (errno says why:
 * EBUSY in use, by this process too; EACCES; ENODEV not a vfio-pci device;
 * EINVAL malformed address). Needs no struct opae_vfio. */
int opae_vfio_dev_busy(const char *pciaddr);

/* OPAE 2.12+: restrict v's free IOVA space to what is also free in new_v, so
 * an IOVA allocated in v can then be mapped in new_v too (one IOVA for a
 * buffer shared by the containers of a parent and its child AFUs). Live
 * buffers of v are not moved. Non-zero with errno on failure. */
int opae_vfio_apply_group_constraint(struct opae_vfio *new_v, struct opae_vfio *v);

/* Find mapped region `index`. Returns 0 and fills the optional outputs, or
 * non-zero (outputs untouched) if v is NULL or the region is not mapped. */
int opae_vfio_region_get(struct opae_vfio *v, uint32_t index, uint8_t **ptr, size_t *size);

/* Allocate and DMA-map a buffer of *size bytes. *size is rounded up to the
 * page size and written back. Page kinds: <= 4 KiB normal pages; <= 2 MiB a
 * 2 MiB huge page; larger, 1 GiB huge pages (as many as needed). When the
 * huge page pool is empty the library falls back to smaller pages. buf and
 * iova are optional outputs. */
int opae_vfio_buffer_allocate(struct opae_vfio *v, size_t *size, uint8_t **buf, uint64_t *iova);

/* As above; with OPAE_VFIO_BUF_PREALLOCATED, *buf is the caller's
 * page-aligned memory, which is DMA-mapped as is (never freed by us).
 * OPAE_VFIO_BUF_READ_ONLY maps it device-read-only; OPAE_VFIO_BUF_QUIET logs
 * this call's failures at debug level only. Other flags: code 1, EINVAL. */
int opae_vfio_buffer_allocate_ex(struct opae_vfio *v, size_t *size, uint8_t **buf, uint64_t *iova,
                                 int flags);

/* The buffer that starts exactly at vaddr, or NULL. O(1). */
struct opae_vfio_buffer *opae_vfio_buffer_info(struct opae_vfio *v, uint8_t *vaddr);

/* Unmap and free the buffer that starts at buf. Non-zero (nothing changed)
 * for an unknown or interior pointer. */
int opae_vfio_buffer_free(struct opae_vfio *v, uint8_t *buf);

/* OPAE 2.12+: DMA-map the caller's memory [buf, buf+size) read/write at the
 * caller's IOVA. buf, size and iova must be page aligned, and the IOVA range
 * must be free IOVA space of v (inside the kernel's windows, above the 64 KiB
 * guard, not used by another buffer or mapping): it is then reserved, so
 * allocations never collide with it. The memory stays the caller's.
 * opae_vfio_buffer_info() does not list it; opae_vfio_close() unmaps it. */
int opae_vfio_buffer_map(struct opae_vfio *v, size_t size, uint8_t *buf, uint64_t iova);

/* OPAE 2.12+: undo opae_vfio_buffer_map(v, size, buf, iova). Non-zero (and
 * nothing changed) unless exactly that range was mapped by buffer_map. */
int opae_vfio_buffer_unmap(struct opae_vfio *v, size_t size, uint64_t iova);

/* Route vector `subindex` of IRQ index `index` (VFIO_PCI_*_IRQ_INDEX) to
 * event_fd (owned by the caller). */
int opae_vfio_irq_enable(struct opae_vfio *v, uint32_t index, uint32_t subindex, int event_fd);

/* Detach the vector's eventfd with one kernel call; afterwards the device
 * can neither signal the caller nor write anywhere for it (MSI-X and INTx are
 * masked by vfio-pci, an MSI vector waits on the library's own eventfd). The
 * index itself stays enabled for cheap re-enabling until close, until another
 * index is enabled, or until a vector is disabled while none is attached. */
int opae_vfio_irq_disable(struct opae_vfio *v, uint32_t index, uint32_t subindex);

/* Mask / unmask a vector (vfio-pci supports this for INTx only; the kernel's
 * refusal for MSI/MSI-X is reported as an error). */
int opae_vfio_irq_mask(struct opae_vfio *v, uint32_t index, uint32_t subindex);
int opae_vfio_irq_unmask(struct opae_vfio *v, uint32_t index, uint32_t subindex);

/* Free every buffer, disable IRQs, unmap regions, close device, group and
 * container. Safe on a failed or already closed v; v can then be reused. */
void opae_vfio_close(struct opae_vfio *v);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_VFIO_H */
