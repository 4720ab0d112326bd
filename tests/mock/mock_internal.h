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

#define MOCK_MAX_DEVICES 64
#define MOCK_MAX_FDS     65536
#define MOCK_CFG_MAX     4096

enum mock_fd_kind { FD_CONTAINER = 1, FD_GROUP, FD_DEVICE };

struct mock_container;
struct mock_group;

struct mock_irq_ctx {
	int efd; /* our dup of the eventfd, -1 = none */
};

struct mock_dev {
	struct mock_dev_config cfg;
	const struct mock_model_ops *ops;
	void *state;
	struct mock_group *group;
	int bar_memfd[6];
	uint8_t *bar_view[6];     /* the model's own, untrapped mapping */
	uint64_t bar_map_size[6]; /* page-rounded size of the memfd */
	uint8_t config[MOCK_CFG_MAX];
	unsigned cfg_size;
	uint64_t bar_phys[6]; /* "physical" address the fake BIOS assigned */
	uint32_t bar_reg[6];  /* virtualised BAR registers (sizing writes) */
	int open_count;
	unsigned resets;
	/* IRQ state, as vfio-pci keeps it */
	int irq_type; /* -1 none, else VFIO_PCI_*_IRQ_INDEX (INTx/MSI/MSI-X) */
	unsigned num_ctx;
	struct mock_irq_ctx ctx[2048];
	int intx_masked;
	int intx_level;
	int err_efd, req_efd;
	struct mock_msix *msix; /* MSI-X table/PBA state (mock_msix.c), NULL without MSI-X */
	/* SR-IOV */
	uint8_t vf_token[16];
	int vf_users;        /* VFs of this PF that are open */
	int vf_user_counted; /* this VF counts in its PF's vf_users */
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
	int fd_open;  /* the group file is alive (fd open or devices open) */
	int fd_count; /* fds on the group (0 or 1) */
	int dev_fds;  /* device fds open through this group */
	struct mock_container *container;
};

struct mock_fd {
	enum mock_fd_kind kind;
	void *obj; /* mock_container / mock_group / mock_dev */
	unsigned generation;
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
	unsigned huge_total[2], huge_free[2]; /* [0] 2 MiB, [1] 1 GiB */
	struct mock_dev *dev[MOCK_MAX_DEVICES];
	unsigned ndev;
	struct mock_group *group[MOCK_MAX_DEVICES];
	unsigned ngroup;
};

extern struct mock_world mock_w;
extern int mock_log_level;

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

/* sysfs (mock_sysfs.c) */
int mock_sysfs_build(void);
void mock_sysfs_remove(void);
void mock_sysfs_update_hugepages(void);
/* Rewrite a path to the fake tree: returns buf, or NULL if not redirected. */
const char *mock_path_redirect(const char *path, char *buf, size_t len);
/* Strip the fake-tree prefix from a result path in place. */
void mock_path_unredirect(char *path);

/* devices */
struct mock_dev *mock_dev_find(const char *addr);
struct mock_group *mock_group_find(unsigned id);
int mock_dev_create(const struct mock_dev_config *cfg, const struct mock_model_ops *ops);
void mock_dev_destroy(struct mock_dev *d);
void mock_config_init(struct mock_dev *d);
int mock_dev_ioctl(struct mock_dev *d, unsigned long req, void *arg);
ssize_t mock_dev_rw(struct mock_dev *d, void *buf, size_t n, off_t off, int write);
void mock_dev_opened(struct mock_dev *d);
void mock_dev_closed(struct mock_dev *d);
int mock_dev_viable_group(struct mock_group *g);

/* irqs (mock_irq.c) */
int mock_irq_set(struct mock_dev *d, struct vfio_irq_set *hdr);
void mock_irq_disable_all(struct mock_dev *d);
void mock_irq_config_changed(struct mock_dev *d);
unsigned mock_irq_live(void);
void mock_irq_report(void);

/* container / IOMMU (mock_iommu.c) */
int mock_container_ioctl(struct mock_container *c, unsigned long req, void *arg);
void mock_container_put(struct mock_container *c);
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

/* mmaps (mock_mmap.c) */
void *mock_bar_mmap(struct mock_dev *d, void *addr, size_t len, int prot, int flags, off_t off);
void *mock_huge_mmap(void *addr, size_t len, int prot, int flags);
int mock_munmap_tracked(void *addr, size_t len, int *handled);
unsigned mock_bar_maps_live(void);
unsigned mock_huge_maps_live(void);
void mock_mmap_report(void);
void mock_mmap_forget_all(void);
void mock_mmap_release_forgotten(void); /* after mock_unlock */
extern volatile int mock_tracked_maps; /* fast path for munmap */
int mock_in_trap_callback(void); /* this thread is in a trap callback */

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
