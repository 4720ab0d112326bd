// SPDX-License-Identifier: BSD-3-Clause
/* check_host.c - the machine-wide checks of `opaevfio -c`: IOMMU, vfio
 * modules, no-IOMMU mode, interrupt remapping, huge pages, RLIMIT_MEMLOCK. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "out.h"

#define MIB              (1024ULL * 1024)
#define DEFAULT_DMA_NEED (64 * MIB)
#define CAP_IPC_LOCK_BIT 14

/* Whole small host file (through the test root) into buf; "" if unreadable. */
static void read_host(const char *path, char *buf, size_t len)
{
	char p[OVF_PATH_LEN];

	if (sysfs_read(host_path(path, p, sizeof(p)), buf, len))
		buf[0] = '\0';
}

/* The value of `key=` on the kernel command line ("" = the key alone, NULL
 * = absent); the last occurrence wins, as for the kernel's own parsing. */
static const char *cmdline_value(const char *cmdline, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *found = NULL, *p = cmdline;

	while (*p) {
		const char *end = p + strcspn(p, " \t\n");

		if ((size_t)(end - p) >= klen && !strncmp(p, key, klen) &&
		    (p[klen] == '=' || p + klen == end)) {
			size_t n = p + klen == end ? 0 : (size_t)(end - p - klen - 1);

			if (n >= len)
				n = len - 1;
			memcpy(out, p + klen + (p + klen == end ? 0 : 1), n);
			out[n] = '\0';
			found = out;
		}
		p = end + strspn(end, " \t\n");
	}
	return found;
}

/* IOMMU groups that belong to a real IOMMU (no-IOMMU groups are vfio's). */
static int count_real_groups(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[OVF_PATH_LEN], name[64];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/name", e->d_name);
		if (!sysfs_read(path, name, sizeof(name)) && !strcmp(name, "vfio-noiommu"))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/* IOMMU hardware units the kernel registered (dmar0, ivhd0, ...). */
static void iommu_units(char *buf, size_t len, json_object *arr)
{
	char p[OVF_PATH_LEN];
	DIR *d = opendir(host_path("/sys/class/iommu", p, sizeof(p)));
	struct dirent *e;
	size_t used = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)) && used < len) {
		if (e->d_name[0] == '.')
			continue;
		json_object_array_add(arr, json_object_new_string(e->d_name));
		ck_append(buf, len, &used, "%s%s", used ? " " : "", e->d_name);
	}
	closedir(d);
}

/* The IOMMU-related options of the kernel command line, for messages. */
static void iommu_options(const char *cmdline, char *out, size_t len)
{
	static const char *const keys[] = {"intel_iommu", "amd_iommu", "iommu",
	                                   "intremap",    "vfio",      "nox2apic"};
	const char *p = cmdline;
	size_t used = 0;

	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " \t\n");

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (!strncmp(p, keys[k], strlen(keys[k]))) {
				ck_append(out, len, &used, "%s%.*s", used ? " " : "", (int)n, p);
				break;
			}
		}
		p += n;
		p += strspn(p, " \t\n");
	}
}

void ck_iommu(struct ck_list *cl)
{
	char cmdline[4096], cpu[8192], units[256], v[64], fix[320], p[OVF_PATH_LEN], opts[256];
	const char *off = NULL, *table;
	json_object *det = json_object_new_object(), *arr = json_object_new_array();
	int groups = count_real_groups(), intel;

	read_host("/proc/cmdline", cmdline, sizeof(cmdline));
	read_host("/proc/cpuinfo", cpu, sizeof(cpu));
	iommu_units(units, sizeof(units), arr);
	iommu_options(cmdline, opts, sizeof(opts));
	intel = strstr(cpu, "GenuineIntel") != NULL;
	table = sysfs_exists(host_path("/sys/firmware/acpi/tables/DMAR", p, sizeof(p)))   ? "DMAR"
	        : sysfs_exists(host_path("/sys/firmware/acpi/tables/IVRS", p, sizeof(p))) ? "IVRS"
	                                                                                  : NULL;
	json_object_object_add(det, "groups", json_object_new_int(groups));
	json_object_object_add(det, "units", arr);
	json_object_object_add(det, "cmdline", json_object_new_string(cmdline));
	json_object_object_add(det, "firmware_table", json_str_or_null(table));
	cl->iommu_on = groups > 0;
	if (groups > 0) {
		ck_add(cl, "iommu", NULL, CK_OK, det, NULL,
		       "enabled: %d IOMMU group%s%s%s%s; kernel command line: %s", groups,
		       groups == 1 ? "" : "s", units[0] ? " (" : "", units, units[0] ? ")" : "",
		       opts[0] ? opts : "no IOMMU options");
		return;
	}
	if (cmdline_value(cmdline, "intel_iommu", v, sizeof(v)) && strstr(v, "off"))
		off = "intel_iommu=off";
	else if (cmdline_value(cmdline, "amd_iommu", v, sizeof(v)) && strstr(v, "off"))
		off = "amd_iommu=off";
	else if (cmdline_value(cmdline, "iommu", v, sizeof(v)) && !strcmp(v, "off"))
		off = "iommu=off";
	if (off) {
		snprintf(fix, sizeof(fix),
		         "remove %s from the kernel command line (GRUB_CMDLINE_LINUX in "
		         "/etc/default/grub, then update-grub)%s and reboot",
		         off, intel ? ", add intel_iommu=on" : "");
		ck_add(cl, "iommu", NULL, CK_FAIL, det, fix,
		       "off: no IOMMU groups in /sys/kernel/iommu_groups; the kernel command line "
		       "has %s",
		       off);
	} else if (!table && !units[0]) {
		ck_add(
		    cl, "iommu", NULL, CK_FAIL, det,
		    "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, then boot "
		    "with intel_iommu=on (Intel)",
		    "off: no IOMMU groups, and the firmware reports no IOMMU (no ACPI DMAR or IVRS "
		    "table)");
	} else if (intel && !cmdline_value(cmdline, "intel_iommu", v, sizeof(v))) {
		ck_add(cl, "iommu", NULL, CK_FAIL, det,
		       "add intel_iommu=on to the kernel command line (GRUB_CMDLINE_LINUX in "
		       "/etc/default/grub, then update-grub) and reboot",
		       "off: no IOMMU groups; intel_iommu=on is not on the kernel command line "
		       "(many distribution kernels leave VT-d off without it)");
	} else {
		ck_add(cl, "iommu", NULL, CK_FAIL, det,
		       "check the firmware's IOMMU setting and the kernel log (dmesg | grep -i -e "
		       "DMAR -e IOMMU)",
		       "off: no IOMMU groups in /sys/kernel/iommu_groups (kernel command line: %s)",
		       opts[0] ? opts : "no IOMMU options");
	}
}

void ck_vfio_modules(struct ck_list *cl)
{
	int fd, api, v1 = 0, v2 = 0;

	if (pci_driver_exists("vfio-pci"))
		ck_add(cl, "vfio-pci", NULL, CK_OK, NULL, NULL, "the vfio-pci driver is loaded");
	else
		ck_add(cl, "vfio-pci", NULL, CK_WARN, NULL,
		       "sudo modprobe vfio-pci (opaevfio -i loads it)",
		       "the vfio-pci driver is not loaded");
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			ck_add(cl, "vfio", NULL, CK_FAIL, NULL, "sudo modprobe vfio-pci",
			       "/dev/vfio/vfio does not exist: the vfio module is not loaded");
		else
			ck_add(cl, "vfio", NULL, CK_FAIL, NULL,
			       "/dev/vfio/vfio should be mode 0666 (udev does that by default)",
			       "cannot open /dev/vfio/vfio: %s", strerror(err));
		return;
	}
	api = ioctl(fd, VFIO_GET_API_VERSION);
	if (api == VFIO_API_VERSION) {
		v1 = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0;
		v2 = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0;
	}
	close(fd);
	if (api != VFIO_API_VERSION) {
		ck_add(cl, "vfio", NULL, CK_FAIL, NULL, NULL,
		       "/dev/vfio/vfio reports API version %d, not %d", api, VFIO_API_VERSION);
		return;
	}
	ck_add(cl, "vfio", NULL, CK_OK, NULL, NULL, "/dev/vfio/vfio answers (API version %d)", api);
	if (v1 || v2)
		ck_add(cl, "vfio_iommu_type1", NULL, CK_OK, NULL, NULL,
		       "the Type1%s IOMMU backend is available", v2 ? "v2" : "");
	else
		ck_add(cl, "vfio_iommu_type1", NULL, CK_FAIL, NULL,
		       "sudo modprobe vfio_iommu_type1",
		       "no Type1 IOMMU backend: the vfio_iommu_type1 module is not loaded");
}

void ck_noiommu(struct ck_list *cl)
{
	int on = host_param_bool("vfio", "enable_unsafe_noiommu_mode");

	if (on == 1)
		ck_add(
		    cl, "noiommu", NULL, CK_WARN, NULL,
		    "echo N > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode (and drop "
		    "vfio.enable_unsafe_noiommu_mode=1 from the kernel command line)",
		    "unsafe no-IOMMU mode is on: devices without an IOMMU group can be bound as "
		    "/dev/vfio/noiommu-N and DMA anywhere in memory; the core library needs a real "
		    "IOMMU (Type1)");
	else
		ck_add(cl, "noiommu", NULL, CK_OK, NULL, NULL, "unsafe no-IOMMU mode is off");
}

void ck_intremap(struct ck_list *cl)
{
	char p[OVF_PATH_LEN], line[512];
	FILE *f = fopen(host_path("/proc/interrupts", p, sizeof(p)), "re");
	int ir = 0, unsafe = host_param_bool("vfio_iommu_type1", "allow_unsafe_interrupts") == 1;

	if (!f) {
		ck_add(cl, "intremap", NULL, CK_INFO, NULL, NULL,
		       "cannot read /proc/interrupts: interrupt remapping unknown");
		return;
	}
	/* remapped interrupt chips are named IR-IO-APIC, IR-PCI-MSI, ... */
	while (!ir && fgets(line, sizeof(line), f))
		ir = strstr(line, " IR-") != NULL;
	fclose(f);
	if (ir)
		ck_add(cl, "intremap", NULL, CK_OK, NULL, NULL,
		       "interrupt remapping is on (IR- interrupt chips in /proc/interrupts)");
	else if (unsafe)
		ck_add(
		    cl, "intremap", NULL, CK_WARN, NULL,
		    "enable interrupt remapping (VT-d/AMD-Vi and x2APIC in the firmware) and drop "
		    "allow_unsafe_interrupts",
		    "interrupt remapping is off; vfio_iommu_type1.allow_unsafe_interrupts=Y lets "
		    "VFIO run without it, so a device can forge interrupts (MSI attacks)");
	else
		ck_add(cl, "intremap", NULL, cl->iommu_on ? CK_FAIL : CK_WARN, NULL,
		       "enable interrupt remapping (VT-d/AMD-Vi and x2APIC in the firmware; no "
		       "intremap=off on the kernel command line) or, accepting the risk, load "
		       "vfio_iommu_type1 with allow_unsafe_interrupts=1",
		       "interrupt remapping is off: VFIO_SET_IOMMU fails (\"No interrupt remapping "
		       "support\")");
}

void ck_hugepages(struct ck_list *cl)
{
	static const struct {
		const char *dir, *name;
		unsigned long long size;
	} pools[] = {{"hugepages-2048kB", "2 MiB", 2 * MIB},
	             {"hugepages-1048576kB", "1 GiB", 1024 * MIB}};
	json_object *det = json_object_new_object();
	char text[256];
	size_t used = 0;
	long long total = 0, avail = 0;

	for (size_t i = 0; i < 2; i++) {
		char path[OVF_PATH_LEN];
		long long nr = 0, fr = 0, rs = 0;
		json_object *o = json_object_new_object();

		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/nr_hugepages",
		         pools[i].dir);
		sysfs_read_int(path, &nr);
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages",
		         pools[i].dir);
		sysfs_read_int(path, &fr);
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/resv_hugepages",
		         pools[i].dir);
		sysfs_read_int(path, &rs);
		json_object_object_add(o, "total", json_object_new_int64(nr));
		json_object_object_add(o, "free", json_object_new_int64(fr));
		json_object_object_add(o, "reserved", json_object_new_int64(rs));
		json_object_object_add(det, pools[i].dir, o);
		ck_append(text, sizeof(text), &used, "%s%s: %lld in the pool, %lld free",
		          i ? "; " : "", pools[i].name, nr, fr - rs);
		total += nr;
		avail += fr - rs;
		cl->hugepage_bytes += (unsigned long long)(nr > 0 ? nr : 0) * pools[i].size;
	}
	if (!total)
		ck_add(cl, "hugepages", NULL, CK_WARN, det,
		       "echo 8 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages "
		       "(1 GiB pages: hugepagesz=1G hugepages=N on the kernel command line)",
		       "no huge pages reserved (%s): buffers fall back to 4 KiB pages (more IOMMU "
		       "entries, more TLB misses)",
		       text);
	else if (avail <= 0)
		ck_add(cl, "hugepages", NULL, CK_WARN, det,
		       "reserve more pages (nr_hugepages) or stop the programs holding them",
		       "every reserved huge page is in use (%s)", text);
	else
		ck_add(cl, "hugepages", NULL, CK_OK, det, NULL, "%s", text);
}

/* CAP_IPC_LOCK exempts a process from RLIMIT_MEMLOCK for VFIO's pinning. */
static int has_ipc_lock(void)
{
	char buf[4096];
	const char *p;

	if (sysfs_read("/proc/self/status", buf, sizeof(buf)))
		return 0;
	p = strstr(buf, "CapEff:");
	return p && (strtoull(p + 7, NULL, 16) >> CAP_IPC_LOCK_BIT) & 1;
}

void ck_memlock(struct ck_list *cl)
{
	unsigned long long need = cl->ctx->dma_size;
	char lim[32], needs[32], why[64];
	struct rlimit rl;
	json_object *det = json_object_new_object();

	if (need) {
		snprintf(why, sizeof(why), "--dma-size");
	} else if (cl->hugepage_bytes > DEFAULT_DMA_NEED) {
		need = cl->hugepage_bytes;
		snprintf(why, sizeof(why), "all reserved huge pages");
	} else {
		need = DEFAULT_DMA_NEED;
		snprintf(why, sizeof(why), "default; --dma-size sets it");
	}
	ck_size(needs, sizeof(needs), need);
	getrlimit(RLIMIT_MEMLOCK, &rl);
	json_object_object_add(det, "need", json_object_new_int64((int64_t)need));
	json_object_object_add(
	    det, "limit",
	    rl.rlim_cur == RLIM_INFINITY ? NULL : json_object_new_int64((int64_t)rl.rlim_cur));
	json_object_object_add(det, "cap_ipc_lock", json_object_new_boolean(has_ipc_lock()));
	if (rl.rlim_cur == RLIM_INFINITY) {
		ck_add(cl, "memlock", NULL, CK_OK, det, NULL, "RLIMIT_MEMLOCK is unlimited");
		return;
	}
	ck_size(lim, sizeof(lim), rl.rlim_cur);
	if (has_ipc_lock())
		ck_add(cl, "memlock", NULL, CK_OK, det, NULL,
		       "RLIMIT_MEMLOCK %s does not apply: this process has CAP_IPC_LOCK (root); a "
		       "program run by another user needs %s (%s)",
		       lim, needs, why);
	else if (rl.rlim_cur >= need)
		ck_add(cl, "memlock", NULL, CK_OK, det, NULL,
		       "RLIMIT_MEMLOCK %s covers the %s to DMA-map (%s)", lim, needs, why);
	else
		ck_add(
		    cl, "memlock", NULL, CK_FAIL, det,
		    "raise it for the user: '<user> - memlock unlimited' in "
		    "/etc/security/limits.conf (log in again), LimitMEMLOCK=infinity for a "
		    "systemd service, or ulimit -l in the starting shell",
		    "RLIMIT_MEMLOCK %s is below the %s to DMA-map (%s): VFIO_IOMMU_MAP_DMA fails "
		    "with ENOMEM beyond it",
		    lim, needs, why);
}
