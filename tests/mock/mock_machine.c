/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_machine.c - the simulated machine that every process using the same
 * scenario shares, as processes share one kernel: which driver each device is
 * bound to (and its driver_override), the VFs that exist, the PFs' VF tokens,
 * dynamic ids (new_id), the huge page pools, and who holds which group and
 * device open.
 *
 * A machine is a directory (the fake sysfs root) holding the scenario's text,
 * a shared state file (mapped by every member, guarded by a robust
 * process-shared mutex) and a lock file. The process that loads a scenario
 * creates a machine and exports VFIO_MOCK_MACHINE=<dir>; processes started
 * from it (fork, exec, system, a shell) join it. VFIO_MOCK_MACHINE naming a
 * directory that does not exist creates a persistent machine there (kept at
 * exit, so one program can bind a device and the next one see it).
 *
 * Group and device fds are open file descriptions of the lock file holding
 * OFD locks: byte <group> (a write lock taken, then kept as a read lock) says
 * "group open", byte DEV_LOCK_BASE + <device> "device open". OFD locks live
 * exactly as long as the kernel's files do (shared by fork and dup, dropped
 * at the last close, at exit and at exec for O_CLOEXEC fds), so a second
 * process opening an open group gets EBUSY however the first one ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_internal.h"

#define MACHINE_MAGIC   0x564d4d43u /* "VMMC" */
#define MACHINE_VERSION 1
#define DEV_LOCK_BASE   (1L << 24)

struct mock_machine *mock_m;  /* the shared state; NULL = no machine */
static char machine_dir[256];
static int owner;             /* this process created a temporary machine */
static pid_t owner_pid;
static uint32_t seen_generation;

const char *mock_machine_dir(void)
{
	return mock_m ? machine_dir : NULL;
}

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", machine_dir, name);
}

void mock_machine_lock(void)
{
	int r = pthread_mutex_lock(&mock_m->lock);

	if (r == EOWNERDEAD) /* a member died holding it: the state is still whole */
		pthread_mutex_consistent(&mock_m->lock);
}

void mock_machine_unlock(void)
{
	pthread_mutex_unlock(&mock_m->lock);
}

void mock_machine_changed(void)
{
	mock_m->generation++;
	seen_generation = mock_m->generation;
}

static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = mock_real.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int ok;

	if (fd < 0)
		return -1;
	ok = mock_real.write(fd, text, len) == (ssize_t)len;
	fchmod(fd, mode);
	mock_real.close(fd);
	return ok ? 0 : -1;
}

static int map_state(int create)
{
	char path[512];
	int fd;
	void *p;

	path_in(path, sizeof(path), "machine.state");
	fd = mock_real.open(path, (create ? O_CREAT | O_EXCL : 0) | O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	if (create && (fchmod(fd, 0666) || ftruncate(fd, sizeof(struct mock_machine)))) {
		mock_real.close(fd);
		return -1;
	}
	p = mock_real.mmap(NULL, sizeof(struct mock_machine), PROT_READ | PROT_WRITE, MAP_SHARED,
	                   fd, 0);
	mock_real.close(fd); /* the mapping keeps the file; no fd stays open */
	if (p == MAP_FAILED)
		return -1;
	mock_m = p;
	return 0;
}

static void unmap_state(void)
{
	if (mock_m)
		mock_real.munmap(mock_m, sizeof(*mock_m));
	mock_m = NULL;
}

/* A new machine for the world just parsed (the caller holds the world lock).
 * dir: NULL = a temporary directory removed at exit. */
int mock_machine_create(const char *dir, const char *scenario_text)
{
	const char *tmp = getenv("TMPDIR");
	pthread_mutexattr_t a;
	char path[512];

	if (dir) {
		snprintf(machine_dir, sizeof(machine_dir), "%s", dir);
		if (mkdir(machine_dir, 0755) && errno != EEXIST)
			goto fail_msg;
		owner = 0;
	} else {
		/* tmpfs when there is one: the tree has thousands of small files */
		if (!tmp || !*tmp)
			tmp = access("/dev/shm", W_OK | X_OK) ? "/tmp" : "/dev/shm";
		snprintf(machine_dir, sizeof(machine_dir), "%s/vfio-mock.XXXXXX", tmp);
		if (!mkdtemp(machine_dir))
			goto fail_msg;
		owner = 1;
		owner_pid = getpid();
	}
	chmod(machine_dir, 0755); /* readable like /sys, for members of other users */
	path_in(path, sizeof(path), "scenario.json");
	if (write_file(path, scenario_text, strlen(scenario_text), 0644))
		goto fail_msg;
	path_in(path, sizeof(path), "machine.locks");
	if (write_file(path, "", 0, 0666))
		goto fail_msg;
	if (map_state(1))
		goto fail_msg;
	memset(mock_m, 0, sizeof(*mock_m));
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&mock_m->lock, &a);
	pthread_mutexattr_destroy(&a);
	mock_m->version = MACHINE_VERSION;
	mock_m->ndev = mock_w.ndev;
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];
		struct mock_mdev *md = &mock_m->dev[i];

		d->mi = i;
		snprintf(md->address, sizeof(md->address), "%s", d->cfg.address);
		snprintf(md->driver, sizeof(md->driver), "%s", d->cfg.driver);
		memcpy(md->vf_token, d->vf_token, sizeof(md->vf_token));
		md->present = 1;
		md->numvfs = d->cfg.sriov_numvfs;
		md->group = d->cfg.group;
		md->pf = -1;
	}
	memcpy(mock_m->huge_total, mock_w.huge_total, sizeof(mock_m->huge_total));
	memcpy(mock_m->huge_free, mock_w.huge_free, sizeof(mock_m->huge_free));
	__atomic_store_n(&mock_m->magic, MACHINE_MAGIC, __ATOMIC_RELEASE);
	seen_generation = 0;
	setenv("VFIO_MOCK_MACHINE", machine_dir, 1);
	return 0;
fail_msg:
	fprintf(stderr, "vfio-mock: cannot create the machine directory %s: %s\n", machine_dir,
	        strerror(errno));
	unmap_state();
	machine_dir[0] = 0;
	return -1;
}

/* The scenario text of the machine in `dir` (malloc'd), or NULL. */
char *mock_machine_scenario_of(const char *dir)
{
	char path[512];
	struct stat st;
	char *text;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/scenario.json", dir);
	fd = mock_real.open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	text = fstat(fd, &st) ? NULL : malloc((size_t)st.st_size + 1);
	n = text ? mock_real.read(fd, text, (size_t)st.st_size) : -1;
	mock_real.close(fd);
	if (n != (ssize_t)st.st_size) {
		free(text);
		return NULL;
	}
	text[n] = 0;
	return text;
}

/* Join the machine in `dir` whose scenario the world was just parsed from. */
int mock_machine_join(const char *dir)
{
	snprintf(machine_dir, sizeof(machine_dir), "%s", dir);
	owner = 0;
	if (map_state(0) || __atomic_load_n(&mock_m->magic, __ATOMIC_ACQUIRE) != MACHINE_MAGIC ||
	    mock_m->version != MACHINE_VERSION) {
		fprintf(stderr, "vfio-mock: %s is not a mock machine (or another version)\n", dir);
		unmap_state();
		machine_dir[0] = 0;
		return -1;
	}
	for (unsigned i = 0; i < mock_w.ndev; i++)
		mock_w.dev[i]->mi = i;
	seen_generation = (uint32_t)-1; /* sync at once */
	return 0;
}

/* Leave (and remove, if this process created a temporary one). Caller holds
 * the world lock; the fake tree is removed by mock_sysfs_remove. */
int mock_machine_leave(void)
{
	int remove = owner && owner_pid == getpid();

	unmap_state();
	owner = 0;
	return remove;
}

/* ---- group and device ownership (OFD locks) ------------------------------ */

static int ofd_lock(int fd, short type, long start, int cmd)
{
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};

	return fcntl(fd, cmd, &l);
}

/* An fd for a group file: refused with EBUSY while any process has the group
 * open (its group fd or a device fd). Returns fd or -errno. */
int mock_machine_open_group(unsigned group, int flags)
{
	char path[512];
	int fd;

	path_in(path, sizeof(path), "machine.locks");
	fd = mock_real.open(path, O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0)
		return -errno;
	if (ofd_lock(fd, F_WRLCK, group, F_OFD_SETLK)) {
		int err = errno == EAGAIN || errno == EACCES ? EBUSY : errno;

		mock_real.close(fd);
		return -err;
	}
	ofd_lock(fd, F_RDLCK, group, F_OFD_SETLK); /* device fds share it */
	return fd;
}

/* An fd for a device of an open group (always O_CLOEXEC). */
int mock_machine_open_device(unsigned group, unsigned mi)
{
	char path[512];
	int fd;

	path_in(path, sizeof(path), "machine.locks");
	fd = mock_real.open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ofd_lock(fd, F_RDLCK, group, F_OFD_SETLK) ||
	    ofd_lock(fd, F_RDLCK, DEV_LOCK_BASE + mi, F_OFD_SETLK)) {
		int err = errno;

		mock_real.close(fd);
		return -err;
	}
	return fd;
}

/* Is device mi open in any process? probe_fd: any fd of the lock file that
 * holds no lock on that device's byte (a group fd). */
int mock_machine_device_open(int probe_fd, unsigned mi)
{
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
	                  .l_start = DEV_LOCK_BASE + mi, .l_len = 1};

	if (probe_fd < 0 || fcntl(probe_fd, F_OFD_GETLK, &l))
		return 0;
	return l.l_type != F_UNLCK;
}

/* Is group g open in any process (for sysfs writes that must not disturb
 * it)? Uses a short-lived fd of the lock file. */
int mock_machine_group_open(unsigned group)
{
	char path[512];
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = group, .l_len = 1};
	int fd, busy;

	path_in(path, sizeof(path), "machine.locks");
	fd = mock_real.open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	busy = !fcntl(fd, F_OFD_GETLK, &l) && l.l_type != F_UNLCK;
	mock_real.close(fd);
	return busy;
}

/* ---- keeping the process's world in step ---------------------------------- */

/* Bring the world (drivers, VF tokens, VFs that exist) up to the machine's
 * state. Caller holds the world lock. */
void mock_machine_sync(void)
{
	if (!mock_m || __atomic_load_n(&mock_m->generation, __ATOMIC_ACQUIRE) == seen_generation)
		return;
	mock_machine_lock();
	seen_generation = mock_m->generation;
	mock_world_sync_devices();
	mock_machine_unlock();
}
