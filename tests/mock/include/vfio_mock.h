/* SPDX-License-Identifier: BSD-3-Clause */
/* vfio_mock.h - control API of the mock kernel (libvfiomock.so).
 *
 * The mock makes a process see VFIO devices as Linux presents them: loaded
 * with LD_PRELOAD (or linked into a test binary ahead of libc) it interposes
 * open/ioctl/mmap/... on /dev/vfio and on the parts of /sys a VFIO user reads,
 * and runs device models that DMA through the container's IOMMU mappings.
 *
 * Environment (read once, at load):
 *   VFIO_MOCK_SCENARIO=path.json   the scenario (devices, IOMMU, huge pages,
 *                                  faults); without it the mock has no devices
 *                                  and passes everything through.
 *   VFIO_MOCK_FAIL=KIND:N:ERRNO[,...]  fail the Nth call of KIND (see below)
 *   VFIO_MOCK_LEAK_CHECK=report|fail   at exit, report VFIO objects left open;
 *                                  "fail" also makes the process exit with
 *                                  status 97 if anything remains.
 *   VFIO_MOCK_LOG=0|1|2             mock's own diagnostics on stderr.
 *   VFIO_MOCK_TRAP_ALL=1            trap every BAR page (every store counted)
 *   VFIO_MOCK_EXPECT_NO_MMIO_WRITES=1  exit 98 if a register was written
 *   VFIO_MOCK_MACHINE=dir           the machine to join (exported by the
 *                                  process that loads a scenario), or a
 *                                  persistent one to create there
 *
 * Test programs link libvfiomock.so and call the functions below directly.
 */
#ifndef VFIO_MOCK_H
#define VFIO_MOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The control API is exported; the rest of the mock is hidden. */
#pragma GCC visibility push(default)

/* Replace the whole simulated world with the scenario in `json` (the JSON
 * text itself, or, if it does not start with '{', a file path). Every mock
 * object still open is forgotten (its fds keep working as plain fds).
 * Returns 0, or -1 with a message on stderr for a malformed scenario. */
int vfio_mock_load_scenario(const char *json);

/* Back to "no devices": passes everything through. */
void vfio_mock_reset(void);

/* Fault injection. KIND is one of:
 *   "open"          open of /dev/vfio/vfio or /dev/vfio/N
 *   "ioctl"         any VFIO ioctl; or the ioctl's name, e.g.
 *                   "VFIO_IOMMU_MAP_DMA", "VFIO_GROUP_GET_DEVICE_FD"
 *   "mmap_bar"      mmap of a device region
 *   "mmap_huge"     anonymous MAP_HUGETLB mmap
 *   "munmap"        munmap of a BAR mapping or a huge page mapping
 *   "pread" "pwrite" on a device fd
 *   "close"         close of a VFIO fd (the fd is released anyway, as on Linux)
 *   "readlink"      readlink/readlinkat of a fake sysfs link
 *   "mmap_anon"     anonymous mmap without MAP_HUGETLB   } while a scenario
 *   "munmap_anon"   munmap of memory that is not a BAR   } is loaded (else
 *                   or huge page mapping                  } libc's, uncounted)
 *   "madvise"       madvise                               }
 *   "any"           any of the above
 * The Nth call (1-based, counted from now) of that kind fails with `err`
 * (a positive errno) without side effects. Several faults may be armed.
 * Returns 0, or -1 for an unknown kind. */
int vfio_mock_fail(const char *kind, unsigned nth, int err);
void vfio_mock_clear_faults(void);

/* Calls of KIND seen since the last load/reset (same names as above). */
unsigned vfio_mock_calls(const char *kind);

/* What is left open. The kernel would release all of it at exit; the core
 * library must have released it itself. */
struct vfio_mock_leaks {
	unsigned fds;      /* container, group and device fds still open */
	unsigned bar_maps; /* live mmaps of device regions */
	unsigned dma_maps; /* IOMMU mappings in containers still open */
	unsigned irqs;     /* IRQ vectors with an eventfd attached */
	unsigned huge_maps; /* live MAP_HUGETLB mappings */
};
void vfio_mock_leaks(struct vfio_mock_leaks *out);
/* Print the leak report (one line per object) to stderr; returns the total. */
unsigned vfio_mock_report_leaks(void);

/* IOMMU faults recorded: device DMA to IOVAs that were not mapped (or not
 * writable), including MSI writes a device made after its vector was
 * detached but its index left enabled. */
struct vfio_mock_iommu_fault {
	char device[16]; /* PCI address of the device */
	uint64_t iova;
	uint32_t len;
	int write;
};
unsigned vfio_mock_iommu_faults(struct vfio_mock_iommu_fault *out, unsigned max);
void vfio_mock_clear_iommu_faults(void);

/* The nth VFIO_IOMMU_UNMAP_DMA from now (1-based; 0 cancels) leaves one
 * mapping of its range in place and reports the bytes it did unmap: a short
 * unmap, which the real kernel reports when the range and its records
 * disagree. A new scenario cancels it. Returns 0. */
int vfio_mock_short_unmap(unsigned nth);

/* Snapshot of a container's IOMMU mappings (for tests of the core). Returns
 * the number of mappings in the container behind `container_fd` (or in all
 * containers when container_fd is -1), writing at most `max`. */
struct vfio_mock_dma_map {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
};
unsigned vfio_mock_dma_maps(int container_fd, struct vfio_mock_dma_map *out, unsigned max);

/* Huge page pool state: free pages of a size (2 MiB or 1 GiB). */
unsigned vfio_mock_hugepages_free(uint64_t page_size);

/* Let a device model act as if the hardware did it (e.g. raise an interrupt
 * outside any register write). Returns 0, or -1 if no such device/vector. */
int vfio_mock_raise_irq(const char *pciaddr, uint32_t index, uint32_t vector);

/* State of a device as the kernel sees it (for tests). */
struct vfio_mock_device_state {
	int open_count;        /* device fds open */
	int irq_index_enabled; /* -1 none, else VFIO_PCI_*_IRQ_INDEX */
	unsigned irq_vectors;  /* vectors allocated at that index */
	int intx_masked;
	uint16_t command;      /* PCI COMMAND register */
	unsigned resets;       /* VFIO_DEVICE_RESET calls */
};
int vfio_mock_device_state(const char *pciaddr, struct vfio_mock_device_state *out);

/* Register writes the device has seen since the scenario was loaded: each
 * pwrite chunk (at most 4 bytes, as 6.1 splits them) and each store to a
 * trapped BAR page. Stores to untrapped pages (plain shared memory) are not
 * seen: with VFIO_MOCK_TRAP_ALL=1 in the environment every BAR page is
 * trapped and every store counts. UINT64_MAX for no such device. To assert
 * "no register was written during X", compare the count before and after X,
 * or run a program with VFIO_MOCK_EXPECT_NO_MMIO_WRITES=1 (it then exits
 * with status 98, naming the devices, if any register was written). */
uint64_t vfio_mock_mmio_writes(const char *pciaddr);

/* Called in the middle of every VFIO_DEVICE_RESET, after the device's BAR
 * mmaps are closed and before its registers are reset, with the world lock
 * held (so a test can show that an access meanwhile waits). NULL removes it;
 * vfio_mock_reset() and a new scenario keep it. */
void vfio_mock_on_reset(void (*hook)(const char *pciaddr, void *arg), void *arg);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VFIO_MOCK_H */
