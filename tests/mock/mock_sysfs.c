/* mock_sysfs.c - the fake /sys and /dev/vfio: a real directory tree in a
 * private temp dir, built from the scenario, and the path redirection into it.
 *
 * Only the subtrees a VFIO user reads are redirected (see prefixes below); the
 * symlinks are relative, exactly like the kernel's, so readlink/realpath on
 * the redirected paths resolve inside the fake tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_internal.h"

#define MAX_PREFIXES 24

static char prefixes[MAX_PREFIXES][48];
static size_t prefix_len[MAX_PREFIXES];
static unsigned nprefixes;
static char root[256];
static size_t root_len;
static int active; /* atomic: redirection on */
static pid_t root_owner; /* the process that created the tree removes it */

static void add_prefix(const char *p)
{
	for (unsigned i = 0; i < nprefixes; i++)
		if (!strcmp(prefixes[i], p))
			return;
	if (nprefixes == MAX_PREFIXES)
		return;
	snprintf(prefixes[nprefixes], sizeof(prefixes[0]), "%s", p);
	prefix_len[nprefixes] = strlen(prefixes[nprefixes]);
	nprefixes++;
}

const char *mock_path_redirect(const char *path, char *buf, size_t len)
{
	if (!path || path[0] != '/')
		return NULL;
	if (strncmp(path, "/sys/", 5) && strncmp(path, "/dev/vfio", 9))
		return NULL;
	mock_ensure_init();
	if (!__atomic_load_n(&active, __ATOMIC_ACQUIRE))
		return NULL;
	for (unsigned i = 0; i < nprefixes; i++) {
		size_t n = prefix_len[i];
		char next;

		if (strncmp(path, prefixes[i], n))
			continue;
		next = path[n];
		/* "/sys/devices/pci" matches pci0000:00; the others whole components */
		if (next && next != '/' && strcmp(prefixes[i], "/sys/devices/pci"))
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
			return NULL;
		return buf;
	}
	return NULL;
}

void mock_path_unredirect(char *path)
{
	if (!path || !root_len || strncmp(path, root, root_len) || path[root_len] != '/')
		return;
	memmove(path, path + root_len, strlen(path + root_len) + 1);
}

static int put_file(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int put_file(const char *dir, const char *name, const char *fmt, ...)
{
	char path[512], text[2048];
	va_list ap;
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1; /* never write past what was formatted */
	fd = mock_real.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = mock_real.write(fd, text, (size_t)n) == n ? 0 : -1;
	mock_real.close(fd);
	return n;
}

static int mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

static int link_at(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int link_at(const char *target, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int n, r;

	n = snprintf(path, sizeof(path), "%s", root);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	va_start(ap, fmt);
	r = vsnprintf(path + n, sizeof(path) - (size_t)n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(path) - (size_t)n)
		return -1;
	return symlink(target, path);
}

static void pci_root_of(const char *addr, char *out, size_t len)
{
	/* "dddd:bb:dd.f" -> "pcidddd:bb" */
	snprintf(out, len, "pci%.*s", (int)(strlen(addr) - 5), addr); /* minus ":dd.f" */
}

static int build_device(struct mock_dev *d)
{
	const struct mock_dev_config *c = &d->cfg;
	char pr[16], dir[512], target[128], res[2048] = "", path[600];
	size_t used = 0;
	int fd;

	pci_root_of(c->address, pr, sizeof(pr));
	snprintf(dir, sizeof(dir), "%s/sys/devices/%s/%s", root, pr, c->address);
	if (mkdirs(dir))
		return -1;
	put_file(dir, "vendor", "0x%04x\n", c->vendor);
	put_file(dir, "device", "0x%04x\n", c->device);
	put_file(dir, "subsystem_vendor", "0x%04x\n", c->subsystem_vendor);
	put_file(dir, "subsystem_device", "0x%04x\n", c->subsystem_device);
	put_file(dir, "class", "0x%06x\n", c->class_code);
	put_file(dir, "revision", "0x%02x\n", c->revision);
	put_file(dir, "numa_node", "%d\n", c->numa_node);
	put_file(dir, "driver_override", "(null)\n");
	put_file(dir, "irq", "%u\n", c->irq_count[VFIO_PCI_INTX_IRQ_INDEX] ? 11u : 0u);
	/* resource: 13 lines (6 BARs, ROM, 6 IOV) as the kernel prints them */
	for (int i = 0; i < 13; i++) {
		uint64_t start = 0, end = 0, flags = 0;

		if (i < 6 && c->bar[i].size) {
			start = d->bar_phys[i];
			end = start + c->bar[i].size - 1;
			flags = d->bar_phys[i] >> 32 ? 0x140204 : 0x40200;
		}
		if (used < sizeof(res))
			used += (size_t)snprintf(res + used, sizeof(res) - used,
			                         "0x%016llx 0x%016llx 0x%016llx\n",
			                         (unsigned long long)start, (unsigned long long)end,
			                         (unsigned long long)flags);
	}
	put_file(dir, "resource", "%s", res);
	snprintf(path, sizeof(path), "%s/config", dir);
	fd = mock_real.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (mock_real.write(fd, d->config, d->cfg_size) < 0)
			mock_log(1, "cannot write %s", path);
		mock_real.close(fd);
	}
	if (c->sriov_totalvfs) {
		unsigned vf = 0;

		put_file(dir, "sriov_totalvfs", "%u\n", c->sriov_totalvfs);
		put_file(dir, "sriov_numvfs", "%u\n", c->sriov_numvfs);
		for (unsigned i = 0; i < mock_w.ndev; i++) {
			struct mock_dev *v = mock_w.dev[i];
			char vpr[16];

			if (strcmp(v->cfg.physfn, c->address))
				continue;
			pci_root_of(v->cfg.address, vpr, sizeof(vpr));
			snprintf(target, sizeof(target), "../../%s/%s", vpr, v->cfg.address);
			link_at(target, "/sys/devices/%s/%s/virtfn%u", pr, c->address, vf++);
		}
	}
	if (c->physfn[0]) {
		char ppr[16];

		pci_root_of(c->physfn, ppr, sizeof(ppr));
		snprintf(target, sizeof(target), "../../%s/%s", ppr, c->physfn);
		link_at(target, "/sys/devices/%s/%s/physfn", pr, c->address);
	}
	snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%u", c->group);
	link_at(target, "/sys/devices/%s/%s/iommu_group", pr, c->address);
	snprintf(target, sizeof(target), "../../../devices/%s/%s", pr, c->address);
	link_at(target, "/sys/bus/pci/devices/%s", c->address);
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%u/devices", root, c->group);
	mkdirs(path);
	*strrchr(path, '/') = 0;
	put_file(path, "type", "DMA\n");
	snprintf(target, sizeof(target), "../../../../devices/%s/%s", pr, c->address);
	link_at(target, "/sys/kernel/iommu_groups/%u/devices/%s", c->group, c->address);
	if (c->driver[0]) {
		snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/%s", root, c->driver);
		mkdirs(path);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", c->driver);
		link_at(target, "/sys/devices/%s/%s/driver", pr, c->address);
		snprintf(target, sizeof(target), "../../../../devices/%s/%s", pr, c->address);
		link_at(target, "/sys/bus/pci/drivers/%s/%s", c->driver, c->address);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", c->driver);
		add_prefix(path);
	}
	if (!strcmp(c->driver, "vfio-pci")) {
		snprintf(path, sizeof(path), "%s/dev/vfio", root);
		snprintf(target, sizeof(target), "%u", c->group);
		put_file(path, target, "%s", "");
	}
	return 0;
}

void mock_sysfs_update_hugepages(void)
{
	static const char *const pools[2] = {"hugepages-2048kB", "hugepages-1048576kB"};
	char dir[512];

	if (!root_len)
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "%s/sys/kernel/mm/hugepages/%s", root, pools[i]);
		put_file(dir, "nr_hugepages", "%u\n", mock_w.huge_total[i]);
		put_file(dir, "free_hugepages", "%u\n", mock_w.huge_free[i]);
	}
}

int mock_sysfs_build(void)
{
	static const char *const pools[2] = {"hugepages-2048kB", "hugepages-1048576kB"};
	const char *tmp = getenv("TMPDIR");
	char path[512];

	snprintf(root, sizeof(root), "%s/vfio-mock.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		fprintf(stderr, "vfio-mock: cannot create the fake sysfs under %s: %s\n",
		        tmp && *tmp ? tmp : "/tmp", strerror(errno));
		root[0] = 0;
		return -1;
	}
	root_len = strlen(root);
	root_owner = getpid();
	snprintf(mock_w.root, sizeof(mock_w.root), "%s", root);
	nprefixes = 0;
	add_prefix("/sys/bus/pci/devices");
	add_prefix("/sys/bus/pci/drivers/vfio-pci");
	add_prefix("/sys/kernel/iommu_groups");
	add_prefix("/sys/kernel/mm/hugepages");
	add_prefix("/sys/devices/pci");
	add_prefix("/dev/vfio");
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/vfio-pci", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/dev/vfio", root);
	mkdirs(path);
	put_file(path, "vfio", "%s", "");
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/mm/hugepages/%s", root, pools[i]);
		mkdirs(path);
		put_file(path, "resv_hugepages", "0\n");
		put_file(path, "surplus_hugepages", "0\n");
	}
	mock_sysfs_update_hugepages();
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (build_device(mock_w.dev[i])) {
			fprintf(stderr, "vfio-mock: cannot build the fake sysfs for %s: %s\n",
			        mock_w.dev[i]->cfg.address, strerror(errno));
			return -1;
		}
	__atomic_store_n(&active, 1, __ATOMIC_RELEASE);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void mock_sysfs_remove(void)
{
	__atomic_store_n(&active, 0, __ATOMIC_RELEASE);
	/* a forked child that exits must not take its parent's tree with it */
	if (root_len && root_owner == getpid())
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = 0;
	root_len = 0;
	mock_w.root[0] = 0;
}
