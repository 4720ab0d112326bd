// SPDX-License-Identifier: BSD-3-Clause
/* fork_probe.c - a program that forks, run under the mock kernel (LD_PRELOAD)
 * with any scenario: fork + _exit, fork + VFIO calls in the child, fork + exec,
 * system(), posix_spawn() and popen() must each finish within a time limit.
 * ctest starts it through timeout(1), which itself forks under the preload.
 *
 *   fork_probe              the checks; prints "fork_probe: N passed, 0 failed"
 *   fork_probe --count N    (exec'd by the probe) exit 0 if sysfs lists N devices
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHILD_LIMIT_S 20 /* generous: the machine is shared and may be loaded */

static int passed, failed;
/* A length the compiler cannot see: a fortified build then calls the _chk
 * variants (__readlink_chk, __read_chk, __pread_chk), which the mock must
 * interpose like the plain calls. */
static volatile size_t runtime_slack;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	if (ok)
		passed++;
	else
		failed++;
}

/* Wait for pid for at most CHILD_LIMIT_S; kill it and return -1 on timeout. */
static int wait_limited(pid_t pid)
{
	struct timespec t0, now, nap = {0, 5 * 1000 * 1000};
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > CHILD_LIMIT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "fork_probe: child %d hung (killed after %d s)\n", (int)pid,
			        CHILD_LIMIT_S);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

static int exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int count_devices(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct vfio_dev {
	char bdf[256];
	unsigned vendor, device;
	int container, group, device_fd;
};

static unsigned read_hex(const char *bdf, const char *attr)
{
	char path[512], text[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1 - runtime_slack);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	return (unsigned)strtoul(text, NULL, 16);
}

/* The first device on vfio-pci that needs no VF token, opened raw. */
static int open_any_device(struct vfio_dev *v)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		char path[512], link[256];
		ssize_t n;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", e->d_name);
		n = readlink(path, link, sizeof(link) - 1 - runtime_slack);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(strrchr(link, '/') + 1, "vfio-pci"))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/physfn", e->d_name);
		if (lstat(path, &st) == 0)
			continue; /* a VF: needs its PF's token */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		snprintf(v->bdf, sizeof(v->bdf), "%s", e->d_name);
		snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
		v->group = open(path, O_RDWR | O_CLOEXEC);
		found = 1;
	}
	closedir(d);
	if (!found || v->group < 0)
		return -1;
	v->vendor = read_hex(v->bdf, "vendor");
	v->device = read_hex(v->bdf, "device");
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0 || ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU,
	          ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1
	              ? VFIO_TYPE1v2_IOMMU
	              : VFIO_TYPE1_IOMMU))
		return -1;
	v->device_fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	return v->device_fd < 0 ? -1 : 0;
}

/* edu: a factorial needs the mock's worker thread (it completes ~20 us later). */
static int edu_factorial(int device_fd)
{
	struct vfio_region_info ri = {.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX};
	volatile uint32_t *bar;
	int ok = 0;

	if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return 0;
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, device_fd, (off_t)ri.offset);
	if (bar == MAP_FAILED)
		return 0;
	bar[0x08 / 4] = 5;
	for (int i = 0; i < 5000 && (bar[0x20 / 4] & 1); i++)
		usleep(1000);
	ok = !(bar[0x20 / 4] & 1) && bar[0x08 / 4] == 120;
	munmap((void *)bar, 4096);
	return ok;
}

static int child_uses_vfio(struct vfio_dev *v)
{
	struct vfio_device_info di = {.argsz = sizeof(di)};
	uint16_t vendor = 0;
	int c;

	if (ioctl(v->device_fd, VFIO_DEVICE_GET_INFO, &di) || di.num_regions < 9)
		return 1;
	if (pread(v->device_fd, &vendor, 2 - runtime_slack,
	          (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) != 2 ||
	    vendor != v->vendor)
		return 2;
	c = open("/dev/vfio/vfio", O_RDWR);
	if (c < 0 || ioctl(c, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return 3;
	close(c);
	if (v->vendor == 0x1234 && v->device == 0x11e8 && !edu_factorial(v->device_fd))
		return 4;
	return 0;
}

int main(int argc, char **argv)
{
	struct vfio_dev v = {.container = -1, .group = -1, .device_fd = -1};
	char self[4096], count[16], line[64] = "";
	int ndev, status;
	pid_t pid;
	ssize_t n;
	FILE *p;

	if (argc == 3 && !strcmp(argv[1], "--count"))
		return count_devices() == atoi(argv[2]) ? 0 : 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	ndev = count_devices();
	check(ndev > 0, "the scenario's devices are listed in sysfs");
	check(open_any_device(&v) == 0, "a vfio-pci device opens (container, group, device)");

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(7);
	check(pid > 0 && exited_with(wait_limited(pid), 7), "fork + _exit");

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(v.device_fd >= 0 ? child_uses_vfio(&v) : 9);
	status = pid > 0 ? wait_limited(pid) : -1;
	check(exited_with(status, 0), "fork + VFIO ioctl/pread/open (and edu's worker) in the child");
	if (v.device_fd >= 0)
		check(child_uses_vfio(&v) == 0, "the parent's device still works after the fork");

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	check(pid > 0 && exited_with(wait_limited(pid), 0), "fork + exec /bin/true");

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(count, sizeof(count), "%d", ndev);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl(self, "fork_probe", "--count", count, (char *)NULL);
		_exit(127);
	}
	check(pid > 0 && exited_with(wait_limited(pid), 0),
	      "fork + exec of a program that sees the same devices");

	status = system("exit 3");
	check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3, "system()");

	{
		char *args[] = {"true", NULL};

		check(posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) == 0 &&
		          exited_with(wait_limited(pid), 0),
		      "posix_spawn");
	}

	p = popen("echo popen-works", "r");
	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = 0;
		status = pclose(p);
	}
	check(p && !strcmp(line, "popen-works\n") && exited_with(status, 0), "popen()");

	if (v.device_fd >= 0)
		close(v.device_fd);
	if (v.group >= 0)
		close(v.group);
	if (v.container >= 0)
		close(v.container);
	printf("fork_probe: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
