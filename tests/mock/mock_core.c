/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_core.c - the mock kernel's lifecycle and control API: the world lock,
 * resolution of the real libc calls, environment at load, scenario reset,
 * leak accounting and the query functions of vfio_mock.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_internal.h"

struct mock_world mock_w;
struct mock_real mock_real;
int mock_log_level;
int mock_trap_all;
static int expect_no_writes; /* VFIO_MOCK_EXPECT_NO_MMIO_WRITES */
extern struct json_object *mock_scenario_json;

static pthread_mutex_t world_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int leak_check; /* 0 off, 1 report, 2 fail */
static pid_t leak_check_pid; /* a forked child inherits objects it did not open */

void mock_lock(void)
{
	pthread_mutex_lock(&world_lock);
}

void mock_unlock(void)
{
	pthread_mutex_unlock(&world_lock);
}

void mock_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (mock_log_level < level)
		return;
	fputs("vfio-mock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define RESOLVE(name)                                                                              \
	do {                                                                                       \
		if (!mock_real.name)                                                               \
			*(void **)&mock_real.name = dlsym(RTLD_NEXT, #name);                       \
	} while (0)

void mock_resolve(void)
{
	if (__atomic_load_n(&mock_real.write, __ATOMIC_ACQUIRE))
		return;
	RESOLVE(open);
	RESOLVE(openat);
	RESOLVE(close);
	RESOLVE(ioctl);
	RESOLVE(mmap);
	RESOLVE(munmap);
	RESOLVE(pread);
	RESOLVE(pwrite);
	RESOLVE(read);
	RESOLVE(write);
}

/* Forget every object; fds stay open as plain fds. Caller holds the lock. */
void mock_world_clear(void)
{
	__atomic_store_n(&mock_w.loaded, 0, __ATOMIC_RELEASE);
	mock_mmap_forget_all();
	mock_containers_forget_all();
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		mock_dev_destroy(mock_w.dev[i]); /* detaches (and closes held) eventfds */
		mock_w.dev[i] = NULL;
	}
	mock_fd_forget_all();
	mock_devfiles_forget_all();
	for (unsigned i = 0; i < mock_w.ngroup; i++) {
		free(mock_w.group[i]);
		mock_w.group[i] = NULL;
	}
	mock_w.ndev = mock_w.ngroup = 0;
	mock_sysfs_detach(mock_machine_leave());
	mock_faults_reset();
	mock_iommu_faults_clear();
	if (mock_scenario_json) {
		json_object_put(mock_scenario_json);
		mock_scenario_json = NULL;
	}
	memset(mock_w.huge_total, 0, sizeof(mock_w.huge_total));
	memset(mock_w.huge_free, 0, sizeof(mock_w.huge_free));
	mock_w.ndrivers = 0;
	mock_w.generation++;
}

void vfio_mock_reset(void)
{
	mock_lock();
	mock_world_clear();
	unsetenv("VFIO_MOCK_MACHINE"); /* children start without a machine too */
	mock_unlock();
	mock_mmap_release_forgotten();
}

void vfio_mock_leaks(struct vfio_mock_leaks *out)
{
	mock_lock();
	out->fds = mock_fd_count();
	out->bar_maps = mock_bar_maps_live();
	out->dma_maps = mock_dma_total();
	out->irqs = mock_irq_live();
	out->huge_maps = mock_huge_maps_live();
	mock_unlock();
}

unsigned vfio_mock_report_leaks(void)
{
	struct vfio_mock_leaks l;
	unsigned total;

	vfio_mock_leaks(&l);
	total = l.fds + l.bar_maps + l.dma_maps + l.irqs + l.huge_maps;
	if (!total)
		return 0;
	mock_lock();
	fprintf(stderr,
	        "vfio-mock: leaks: %u fds, %u BAR mappings, %u DMA mappings, %u IRQ vectors, "
	        "%u huge page mappings\n",
	        l.fds, l.bar_maps, l.dma_maps, l.irqs, l.huge_maps);
	mock_fd_report();
	mock_mmap_report();
	mock_dma_report();
	mock_irq_report();
	mock_unlock();
	return total;
}

unsigned vfio_mock_hugepages_free(uint64_t page_size)
{
	unsigned n = 0;

	mock_lock();
	if (mock_m && page_size == 2ULL << 20)
		n = mock_m->huge_free[0];
	else if (mock_m && page_size == 1ULL << 30)
		n = mock_m->huge_free[1];
	mock_unlock();
	return n;
}

unsigned vfio_mock_dma_maps(int container_fd, struct vfio_mock_dma_map *out, unsigned max)
{
	struct mock_fd *f = mock_fd_lookup(container_fd);
	unsigned n;

	mock_lock();
	if (container_fd != -1 && (!f || f->kind != FD_CONTAINER))
		n = 0;
	else
		n = mock_dma_snapshot(container_fd == -1 ? NULL : f->obj, out, max);
	mock_unlock();
	return n;
}

int vfio_mock_raise_irq(const char *pciaddr, uint32_t index, uint32_t vector)
{
	struct mock_dev *d;
	int ret = -1;

	mock_lock();
	d = pciaddr ? mock_dev_find(pciaddr) : NULL;
	if (d && index == VFIO_PCI_INTX_IRQ_INDEX && vector == 0 &&
	    d->cfg.irq_count[VFIO_PCI_INTX_IRQ_INDEX]) {
		mock_intx_set_level(d, 1);
		mock_intx_set_level(d, 0);
		ret = 0;
	} else if (d && (index == VFIO_PCI_MSI_IRQ_INDEX || index == VFIO_PCI_MSIX_IRQ_INDEX) &&
	           vector < d->cfg.irq_count[index]) {
		mock_irq_raise(d, index, vector);
		ret = 0;
	} else if (d && index == VFIO_PCI_ERR_IRQ_INDEX && d->err_efd >= 0) {
		mock_efd_signal(d->err_efd);
		ret = 0;
	} else if (d && index == VFIO_PCI_REQ_IRQ_INDEX && d->req_efd >= 0) {
		mock_efd_signal(d->req_efd);
		ret = 0;
	}
	mock_unlock();
	return ret;
}

static void (*reset_hook)(const char *pciaddr, void *arg);
static void *reset_hook_arg;

void vfio_mock_on_reset(void (*hook)(const char *pciaddr, void *arg), void *arg)
{
	mock_lock();
	reset_hook = hook;
	reset_hook_arg = arg;
	mock_unlock();
}

void mock_reset_hook_run(struct mock_dev *d)
{
	if (reset_hook)
		reset_hook(d->cfg.address, reset_hook_arg);
}

uint64_t vfio_mock_mmio_writes(const char *pciaddr)
{
	struct mock_dev *d;
	uint64_t n = UINT64_MAX;

	mock_lock();
	d = pciaddr ? mock_dev_find(pciaddr) : NULL;
	if (d)
		n = d->mmio_writes;
	mock_unlock();
	return n;
}

/* VFIO_MOCK_EXPECT_NO_MMIO_WRITES=1: at exit, name every device whose
 * registers were written and exit with status 98. */
static void check_no_writes(void)
{
	unsigned bad = 0;

	if (!expect_no_writes)
		return;
	fflush(NULL);
	mock_lock();
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->mmio_writes) {
			fprintf(stderr, "vfio-mock: %s: %llu register writes (none expected)\n",
			        mock_w.dev[i]->cfg.address,
			        (unsigned long long)mock_w.dev[i]->mmio_writes);
			bad++;
		}
	mock_unlock();
	if (bad)
		_exit(98);
}

int vfio_mock_device_state(const char *pciaddr, struct vfio_mock_device_state *out)
{
	struct mock_dev *d;

	mock_lock();
	d = pciaddr ? mock_dev_find(pciaddr) : NULL;
	if (d) {
		out->open_count = d->open_count;
		out->irq_index_enabled = d->irq_type;
		out->irq_vectors = d->irq_type < 0 ? 0 : d->num_ctx;
		out->intx_masked = d->intx_masked;
		out->command = (uint16_t)(d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8);
		out->resets = d->resets;
	}
	mock_unlock();
	return d ? 0 : -1;
}

static void at_exit_check(void)
{
	unsigned total;

	if (!leak_check || leak_check_pid != getpid())
		return;
	fflush(NULL);
	total = vfio_mock_report_leaks();
	mock_lock();
	mock_sysfs_detach(mock_machine_leave());
	mock_unlock();
	if (total && leak_check == 2) {
		fprintf(stderr, "vfio-mock: VFIO_MOCK_LEAK_CHECK=fail: %u objects left open\n",
		        total);
		fflush(NULL);
		_exit(97);
	}
}

static void remove_tree_at_exit(void)
{
	mock_lock();
	mock_sysfs_detach(mock_machine_leave());
	mock_unlock();
}

/* fork(): the world is never copied in the middle of an update (prepare
 * takes the lock). The child has one thread, and it is not the thread that
 * owns the (recursive) lock, so unlocking there would fail with EPERM and
 * leave the lock held for ever: the child starts from a fresh lock instead.
 * Nothing else may take the lock before that, so this is the first child
 * handler to run and it starts no thread (see mock_worker_after_fork). */
static void atfork_child(void)
{
	static const pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	memcpy(&world_lock, &fresh, sizeof(world_lock));
	mock_mmap_after_fork();
	mock_worker_after_fork();
}

/* Read the environment and load VFIO_MOCK_SCENARIO. Runs once, at the first
 * intercepted call or at the latest in our constructor: a library whose
 * constructor runs before ours (OPAE's libopae-c scans sysfs there) must
 * already see the scenario. */
static void mock_init_env(void)
{
	const char *s, *m;
	char *text;

	mock_resolve();
	pthread_atfork(mock_lock, mock_unlock, atfork_child);
	s = getenv("VFIO_MOCK_LOG");
	mock_log_level = s ? atoi(s) : 0;
	s = getenv("VFIO_MOCK_TRAP_ALL");
	mock_trap_all = s && *s && strcmp(s, "0");
	s = getenv("VFIO_MOCK_EXPECT_NO_MMIO_WRITES");
	expect_no_writes = s && *s && strcmp(s, "0");
	s = getenv("VFIO_MOCK_LEAK_CHECK");
	if (s && !strcmp(s, "report"))
		leak_check = 1;
	else if (s && !strcmp(s, "fail"))
		leak_check = 2;
	else if (s && *s)
		fprintf(stderr, "vfio-mock: VFIO_MOCK_LEAK_CHECK=%s: use report or fail\n", s);
	s = getenv("VFIO_MOCK_SCENARIO");
	m = getenv("VFIO_MOCK_MACHINE");
	if (m && *m && (text = mock_machine_scenario_of(m))) {
		/* a machine started by a parent process (or a persistent one) */
		if (mock_scenario_load(text, m, NULL))
			fprintf(stderr, "vfio-mock: VFIO_MOCK_MACHINE=%s: cannot join\n", m);
		free(text);
	} else if (s && *s && mock_scenario_load(s, NULL, m && *m ? m : NULL)) {
		fprintf(stderr, "vfio-mock: VFIO_MOCK_SCENARIO=%s rejected; no devices\n", s);
	}
	s = getenv("VFIO_MOCK_FAIL");
	if (s && *s) {
		mock_lock();
		mock_fault_parse_env(s);
		mock_unlock();
	}
	atexit(remove_tree_at_exit);
	leak_check_pid = getpid();
	if (leak_check)
		atexit(at_exit_check);
	if (expect_no_writes)
		atexit(check_no_writes); /* before the leak check and the tree removal */
}

enum { INIT_NOT_YET, INIT_RUNNING, INIT_DONE };
static int init_state;
static pthread_t init_thread;
int mock_init_done;

void mock_ensure_init_slow(void)
{
	static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

	/* loading the scenario makes intercepted calls itself: they pass through */
	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == INIT_RUNNING &&
	    pthread_equal(init_thread, pthread_self()))
		return;
	pthread_mutex_lock(&init_lock);
	if (init_state == INIT_NOT_YET) {
		init_thread = pthread_self();
		__atomic_store_n(&init_state, INIT_RUNNING, __ATOMIC_RELEASE);
		mock_init_env();
		__atomic_store_n(&init_state, INIT_DONE, __ATOMIC_RELEASE);
		__atomic_store_n(&mock_init_done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_lock);
}

__attribute__((constructor)) static void mock_init(void)
{
	mock_ensure_init();
}
