/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_internal.h - the mock kernel's shared state: the simulated world
 * (devices, groups, containers, fd table) and the helpers its modules share.
 *
 * Locking: one recursive mutex (mock_lock) guards the whole world, including
 * every device's model state ("the device lock" of mock_model.h is this lock).
 * One lock keeps the kernel-side rules simple and deadlock free; the mock is a
 * test fixture, not a performance target. Calls on fds and paths that are not
 * the mock's never take it (mock_fd_lookup is lock free).
 */
#ifndef MOCK_INTERNAL_H
#define MOCK_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include "include/vfio_mock.h"
#include "mock_model.h"

#define MOCK_MAX_DEVICES 256
#define MOCK_MAX_FDS     65536
#define MOCK_CFG_MAX     4096

enum mock_fd_kind { FD_CONTAINER = 1, FD_GROUP, FD_DEVICE, FD_EVENTFD, FD_SYSFS };

struct mock_container;
struct mock_group;

struct mock_irq_ctx {
	int efd; /* the attached eventfd (see mock_eventfd.c), -1 = none */
};

struct mock_dev {
	struct mock_dev_config cfg;
	const struct mock_model_ops *ops;
	void *state;
	struct mock_group *group;
	uint8_t *bar_view[6];     /* the model's own, untrapped (shared) mapping */
	uint64_t bar_map_size[6]; /* page-rounded size of the memfd */
	uint8_t config[MOCK_CFG_MAX];
	unsigned cfg_size;
	uint64_t bar_phys[6]; /* "physical" address the fake BIOS assigned */
	uint32_t bar_reg[6];  /* virtualised BAR registers (sizing writes) */
	int open_count;
	unsigned resets;
	uint64_t mmio_writes; /* register writes seen: pwrite chunks and trapped stores */
	/* IRQ state, as vfio-pci keeps it */
	int irq_type; /* -1 none, else VFIO_PCI_*_IRQ_INDEX (INTx/MSI/MSI-X) */
	unsigned num_ctx;
	unsigned msi_qmax; /* log2 of the vectors of the last MSI enable (vfio_msi_enable) */
	struct mock_irq_ctx ctx[2048];
	int intx_masked;
	int intx_level;
	int virq_disabled; /* COMMAND.INTx-disable as vfio-pci virtualises it (masks INTx) */
	int mem_zapped;    /* BAR mmaps zapped: memory decoding is off (mock_mmap.c) */
	int err_efd, req_efd;
	int intx_unmask_efd; /* INTx unmask irqfd (vfio_virqfd_enable), -1 none */
	struct mock_msix *msix; /* MSI-X table/PBA state (mock_msix.c), NULL without MSI-X */
	/* SR-IOV */
	uint8_t vf_token[16]; /* the initial (random) token; the live one is the machine's */
	unsigned mi;          /* index in the machine's device table */
};

struct mock_dma;
struct mock_msix;

struct mock_container {
	int refs; /* the fd + attached groups */
	int fd_open;
	int iommu_type; /* 0 = none set, VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU */
	int ngroups;
	void *dma_root; /* tsearch tree of struct mock_dma */
	unsigned ndma;
};

struct mock_group {
	unsigned id;
	int lock_fd;  /* a group fd of ours (it holds the group's OFD lock), -1 none */
	int fd_open;  /* the group file is alive (fd open or devices open) */
	int fd_count; /* fds on the group (0 or 1) */
	int dev_fds;  /* device fds open through this group */
	struct mock_container *container;
};

struct mock_fd {
	enum mock_fd_kind kind;
	void *obj; /* mock_container / mock_group / mock_dev; NULL for FD_EVENTFD */
	unsigned generation;
	struct mock_devfile *file; /* FD_DEVICE: the open file (mock_devfile.c) */
	unsigned efd_refs; /* FD_EVENTFD: vectors/triggers using it */
	int efd_held;      /* FD_EVENTFD: the mock's own dup (the program closed its fd) */
	unsigned efd_unmask; /* FD_EVENTFD: devices whose INTx it unmasks when written (irqfd) */
	int sysfs_attr;    /* FD_SYSFS: which attribute (mock_sysfs_write.c) */
	int sysfs_written; /* FD_SYSFS: a write() was seen */
	struct mock_fd *retired_next; /* forgotten: freed when the world is cleared */
};

struct mock_world {
	int loaded;
	unsigned generation;
	char root[256]; /* fake sysfs/dev tree */
	/* IOMMU of the simulated machine */
	uint64_t ranges[8][2];
	unsigned nranges;
	uint64_t pgsizes;
	unsigned dma_entry_limit;
	int type1v2;
	int iova_caps;
	int unmap_all;      /* VFIO_UNMAP_ALL (and NESTING) extensions: 5.12+ */
	int dma_cc;         /* VFIO_DMA_CC_IOMMU after SET_IOMMU */
	unsigned cap_align; /* GET_INFO capability alignment: 1 (6.1) or 8 (6.6+) */
	unsigned huge_total[2], huge_free[2]; /* the scenario's pools; live: mock_m */
	struct mock_dev *dev[MOCK_MAX_DEVICES];
	unsigned ndev;
	struct mock_group *group[MOCK_MAX_DEVICES];
	unsigned ngroup;
	/* drivers the machine knows (vfio-pci, pci-stub, pcieport, the scenario's) */
	char drivers[16][32];
	unsigned ndrivers;
	/* /dev/vfio/N owner and mode ("dev_vfio"); module parameters */
	unsigned dev_vfio_uid, dev_vfio_gid, dev_vfio_mode;
	int enable_sriov; /* vfio_pci.enable_sriov */
};

extern struct mock_world mock_w;
extern int mock_log_level;
extern int mock_trap_all; /* VFIO_MOCK_TRAP_ALL: trap every BAR page */

void mock_lock(void);
void mock_unlock(void);

/* The environment is read and VFIO_MOCK_SCENARIO loaded at the first
 * intercepted call that may concern the mock (a path under /sys or /dev/vfio,
 * MAP_HUGETLB) or in our constructor, whichever comes first. */
void mock_ensure_init_slow(void);
extern int mock_init_done; /* atomic */
static inline void mock_ensure_init(void)
{
	if (!__atomic_load_n(&mock_init_done, __ATOMIC_ACQUIRE))
		mock_ensure_init_slow();
}

/* real libc functions (resolved lazily with dlsym(RTLD_NEXT)) */
struct mock_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
};
extern struct mock_real mock_real;
void mock_resolve(void);

/* fd table (mock_fdtab.c) */
struct mock_fd *mock_fd_lookup(int fd); /* lock free; NULL = not ours */
int mock_fd_install(int fd, enum mock_fd_kind kind, void *obj);
void mock_fd_forget(int fd);
void mock_fd_forget_all(void);
unsigned mock_fd_count(void);
void mock_fd_report(void);

/* faults and counters (mock_faults.c). Returns 0 or a positive errno to fail. */
int mock_fault_check(const char *kind, const char *name);
void mock_faults_reset(void);
int mock_fault_parse_env(const char *spec);
const char *mock_ioctl_name(int fd_kind, unsigned long req);

/* scenario (mock_scenario.c) */
void mock_world_clear(void);
void mock_world_sync_devices(void); /* from the machine; both locks held */
int mock_scenario_load(const char *json, const char *join_dir, const char *create_dir);
int mock_parse_config(struct json_object *o, const char *where, struct mock_dev_config *cfg,
                      const struct mock_model_ops **ops_out,
                      const struct mock_dev_config *template_of);

/* The machine shared by the processes of a scenario (mock_machine.c). */
struct mock_mdev {
	char address[16];
	char driver[32];      /* bound driver, "" = none */
	char override[64];    /* driver_override, "" = (null) */
	uint8_t vf_token[16]; /* a PF's VF token */
	uint32_t present;     /* 0: a VF that sriov_numvfs removed (or not created yet) */
	uint32_t numvfs;      /* a PF's sriov_numvfs */
	uint32_t group;
	int32_t pf;           /* a VF created through sriov_numvfs: its PF's index; else -1 */
	uint32_t vf_index;
};
struct mock_dynid {
	char driver[32];
	uint32_t vendor, device, subvendor, subdevice, class_code, class_mask;
};
struct mock_machine {
	uint32_t magic, version;
	pthread_mutex_t lock; /* robust, process-shared */
	uint32_t generation;  /* bumped by every change the members must pick up */
	uint32_t ndev;
	unsigned huge_total[2], huge_free[2];
	uint32_t ndynids;
	struct mock_dynid dynids[64];
	struct mock_mdev dev[MOCK_MAX_DEVICES];
};
extern struct mock_machine *mock_m;
int mock_machine_create(const char *dir, const char *scenario_text);
int mock_machine_join(const char *dir);
char *mock_machine_scenario_of(const char *dir);
int mock_machine_leave(void); /* 1: the caller removes the directory */
const char *mock_machine_dir(void);
void mock_machine_lock(void);
void mock_machine_unlock(void);
void mock_machine_changed(void);
void mock_machine_sync(void);
int mock_machine_open_group(unsigned group, int flags);
int mock_machine_open_device(unsigned group, unsigned mi);
int mock_machine_device_open(int probe_fd, unsigned mi);
int mock_machine_group_open(unsigned group);

/* sysfs (mock_sysfs.c); render functions: caller holds both locks */
void mock_sysfs_attach(const char *dir);
void mock_sysfs_detach(int remove);
int mock_sysfs_build(void);
void mock_sysfs_update_hugepages(void);
void mock_sysfs_render_device(struct mock_dev *d);
void mock_sysfs_render_binding(struct mock_dev *d);
void mock_sysfs_render_sriov(struct mock_dev *pf);
void mock_sysfs_render_group_node(struct mock_group *g);
void mock_sysfs_remove_device(struct mock_dev *d);
void mock_sysfs_dir_of(const struct mock_dev_config *c, char *out, size_t len);
int mock_sysfs_exists(const char *path); /* path below the fake root */

/* SR-IOV and driver matching (mock_sriov.c); caller holds both locks */
void mock_drivers_collect(void);
int mock_driver_index(const char *name);
const char *mock_probe_match(struct mock_dev *d);
int mock_driver_matches(struct mock_dev *d, const char *driver);
void mock_bind(struct mock_dev *d, const char *driver);
int mock_sriov_enable(struct mock_dev *pf, unsigned n);
int mock_sriov_disable(struct mock_dev *pf, int probe_fd);
int mock_sriov_create_declared(void);
int mock_sysfs_write_text(const char *path, mode_t mode, const char *text);
int mock_sysfs_put(const char *dir, const char *name, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int mock_sysfs_link(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mock_sysfs_unlink(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sysfs files that act when written (mock_sysfs_write.c) */
int mock_sysfs_opened(int fd, const char *path, int flags); /* after a redirected open */
FILE *mock_sysfs_fopen(const char *path, const char *mode);  /* NULL = not an acting file */
ssize_t mock_sysfs_fd_write(int fd, const void *buf, size_t n);
int mock_sysfs_fd_close(int fd, int do_close); /* do_close 0: dup2 replaces it */
void mock_fd_replaced(int fd); /* dup2/dup3 replaces fd: the mock's side of close */
/* Rewrite a path to the fake tree: returns buf, or NULL if not redirected. */
const char *mock_path_redirect(const char *path, char *buf, size_t len);
/* Strip the fake-tree prefix from a result path in place. */
void mock_path_unredirect(char *path);

/* devices */
struct mock_dev *mock_dev_find(const char *addr);
uint64_t mock_bar_resource_flags(const struct mock_dev *d, int bar);
int mock_bar_prefetchable(const struct mock_dev *d, int bar);
unsigned mock_vf_device_id(const struct mock_dev *pf);
void mock_dev_function_reset(struct mock_dev *d);
struct mock_group *mock_group_find(unsigned id);
int mock_dev_create(const struct mock_dev_config *cfg, const struct mock_model_ops *ops);
void mock_dev_destroy(struct mock_dev *d);
void mock_config_init(struct mock_dev *d);
int mock_dev_ioctl(struct mock_dev *d, unsigned long req, void *arg);
ssize_t mock_dev_rw(struct mock_dev *d, void *buf, size_t n, off_t off, int write);
void mock_dev_opened(struct mock_dev *d);
void mock_dev_closed(struct mock_dev *d);
int mock_dev_viable_group(struct mock_group *g);

/* eventfds attached to interrupts (mock_eventfd.c); caller holds the lock */
int mock_efd_attach(int fd); /* the number to signal, or -EBADF/-EINVAL/-ENOMEM */
void mock_efd_detach(int *efd);
void mock_efd_signal(int efd); /* async-signal-safe */
int mock_efd_program_closes(int fd); /* close(): 1 = do not close fd */
void mock_efd_lost(int fd);

/* device files (mock_devfile.c); caller holds the world lock */
struct mock_devfile;
struct mock_devfile *mock_devfile_new(struct mock_dev *d);
void mock_devfile_get(struct mock_devfile *f, int fd);
void mock_devfile_put(struct mock_devfile *f);
void mock_devfiles_forget_all(void);

/* irqs (mock_irq.c) */
int mock_irq_set(struct mock_dev *d, struct vfio_irq_set *hdr);
void mock_irq_disable_all(struct mock_dev *d);
void mock_irq_config_changed(struct mock_dev *d);
unsigned mock_irq_live(void);
void mock_irq_report(void);
void mock_irq_unmask_fd_written(int fd); /* a write reached an unmask eventfd */
void mock_irq_unmask_fd_closed(int fd);  /* the program closes it: EPOLLHUP */

/* container / IOMMU (mock_iommu.c) */
int mock_container_ioctl(struct mock_container *c, unsigned long req, void *arg);
void mock_container_put(struct mock_container *c);
void mock_container_unmap_all(struct mock_container *c);
void mock_container_track(struct mock_container *c);
void mock_containers_forget_all(void);
unsigned mock_dma_total(void);
void mock_dma_report(void);
unsigned mock_dma_snapshot(struct mock_container *c, struct vfio_mock_dma_map *out, unsigned max);
void mock_iommu_fault_record(struct mock_dev *d, uint64_t iova, uint32_t len, int write);
void mock_iommu_faults_clear(void);

/* group (mock_group.c) */
int mock_group_open(unsigned id, int flags);
int mock_group_ioctl(struct mock_group *g, int fd, unsigned long req, void *arg);
void mock_group_closed(struct mock_group *g);

/* BAR mmaps of a device zapped while its memory decoding is off: an access
 * raises SIGBUS as vfio_pci_mmap_fault's VM_FAULT_SIGBUS (mock_mmap.c).
 * Caller holds the world lock. */
void mock_bar_maps_zap(struct mock_dev *d, int zap);
/* BAR mmaps of a device closed while it resets: an access waits, then sees
 * the reset registers (mock_mmap.c). */
void mock_bar_maps_hold(struct mock_dev *d, int hold);
void mock_reset_hook_run(struct mock_dev *d); /* vfio_mock_on_reset */

/* mmaps (mock_mmap.c) */
void *mock_bar_mmap(struct mock_dev *d, struct mock_devfile *file, int fd, void *addr, size_t len,
                    int prot, int flags, off_t off);
void *mock_huge_mmap(void *addr, size_t len, int prot, int flags);
int mock_munmap_tracked(void *addr, size_t len, int *handled);
unsigned mock_bar_maps_live(void);
unsigned mock_huge_maps_live(void);
void mock_mmap_report(void);
void mock_mmap_forget_all(void);
void mock_mmap_release_forgotten(void); /* after mock_unlock */
void mock_mmap_after_fork(void);
extern volatile int mock_tracked_maps; /* fast path for munmap */
int mock_in_trap_callback(void); /* this thread is in a trap callback */
int mock_tracked_range(uintptr_t addr, size_t len, int *huge, int *prot);

/* MAP_DMA's pinning (mock_pin.c), as vfio_pin_pages_remote does it */
struct pin_reloc;
struct mock_pin {
	uint64_t locked; /* pages counted against RLIMIT_MEMLOCK */
	uint8_t *zero;   /* bitmap: page pinned as the shared zero page; NULL = none */
	uint64_t vaddr, size;      /* where the pinned pages are (mock_pinned.c) */
	int watched;               /* kept bound if the program unmaps them */
	struct pin_reloc *relocs;  /* parts that are elsewhere now */
	unsigned nrelocs;
};
void mock_pinned_add(struct mock_pin *pin, uint64_t vaddr, uint64_t size, int watch);
void mock_pinned_remove(struct mock_pin *pin);
uintptr_t mock_pinned_vaddr(const struct mock_pin *pin, uint64_t off, uint64_t *room);
void mock_pinned_release(uintptr_t addr, size_t len);
void mock_pinned_moved(uintptr_t old, size_t len, uintptr_t to);
int mock_pinned_any(void);
int mock_anon_private(uintptr_t a, size_t len, int *prot);
int mock_pin_range(uint64_t vaddr, uint64_t size, int write, struct mock_pin *pin);
void mock_unpin_range(struct mock_pin *pin);
int mock_pin_zero_page(const struct mock_pin *pin, uint64_t page);
uint64_t mock_pin_locked_total(void);

/* worker (mock_worker.c) */
void mock_worker_drop(struct mock_dev *d);
void mock_worker_start(void);
/* fork child: no worker any more; it starts again when device work is
 * scheduled outside a trapped MMIO access (never in the at-fork handler) */
void mock_worker_after_fork(void);
void mock_worker_ensure(void);
void mock_worker_child_started(void); /* from the fork() wrapper, in the child */

/* the built-in "none" model */
extern const struct mock_model_ops mock_model_none;

#define MOCK_REGION_SHIFT 40
#define MOCK_PAGE         4096ULL

#endif /* MOCK_INTERNAL_H */
