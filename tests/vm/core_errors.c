// SPDX-License-Identifier: MIT
/*
 * core_errors.c - bad input to the opae-vfio core API on edu: every failure
 * must be clean (non-zero, the documented errno, one log line naming the
 * device) and leave nothing behind (fd count, struct left closed).
 *
 * Runs unchanged in the VM (real vfio-pci: the kernel itself refuses a second
 * open of a group with EBUSY) and on the mock kernel's edu model.
 *
 * Output: "PASS: ..." / "FAIL: ..." per check, then
 * "core_errors: N passed, M failed"; exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <opae/vfio.h>

#include "edu_test.h"

/* ---- capture the library's log (stderr) around one call ------------------ */

static int saved_stderr = -1;
static FILE *capture_file;

static void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	if (capture_file && saved_stderr >= 0)
		dup2(fileno(capture_file), STDERR_FILENO);
}

/* Stop capturing; the captured text (at most len - 1 bytes) goes to buf and
 * is echoed to the real stderr so the test log shows it. */
static void capture_end(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (!capture_file)
		return;
	rewind(capture_file);
	n = fread(buf, 1, len - 1, capture_file);
	buf[n] = 0;
	fclose(capture_file);
	capture_file = NULL;
	if (n)
		fprintf(stderr, "%s", buf);
}

static int is_closed(const struct opae_vfio *v)
{
	return v->cont_fd == -1 && v->group.group_fd == -1 && v->device.device_fd == -1 &&
	       !v->device.regions && !v->cont_pciaddr;
}

/* One open that must fail: errno `want`, a log line naming `addr`, nothing
 * left open, the struct closed. */
static void open_fails(const char *addr, int want, const char *why)
{
	struct opae_vfio v;
	char log[2048];
	int before = count_fds(), rc, err;

	memset(&v, 0, sizeof(v));
	capture_begin();
	errno = 0;
	rc = opae_vfio_open(&v, addr);
	err = errno;
	capture_end(log, sizeof(log));
	check(rc != 0 && err == want, "open(%s) %s fails: rc %d, errno %s (want %s)", addr, why, rc,
	      strerror(err), strerror(want));
	check(strstr(log, addr) != NULL, "open(%s): the log line names the device", addr);
	check(count_fds() == before && is_closed(&v),
	      "open(%s): nothing left open, struct left closed", addr);
	opae_vfio_close(&v);
}

/* A PCI device not bound to vfio-pci, or "" (none in this system). */
static void find_unbound(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	bdf[0] = 0;
	if (!d)
		return;
	while (!bdf[0] && (e = readdir(d))) {
		char link[PATH_MAX], target[PATH_MAX] = "";
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n >= 0)
			target[n] = 0;
		if (!strstr(target, "/vfio-pci"))
			snprintf(bdf, len, "%s", e->d_name);
	}
	closedir(d);
}

/* A VF token for edu, which is neither an SR-IOV PF nor a VF: the kernel
 * refuses it at VFIO_GROUP_GET_DEVICE_FD, late in the open, so every earlier
 * step (container, group, IOMMU) must be undone. */
static void secure_open_fails(void)
{
	static const char token[] = "6f1c3a2e-9b7d-4c55-8e21-0a4b3c2d1e0f";
	struct opae_vfio v;
	char log[2048], bdf[NAME_MAX + 1];
	int before = count_fds(), rc, err;

	if (edu_find(0, NULL, bdf, sizeof(bdf)))
		return;
	memset(&v, 0, sizeof(v));
	capture_begin();
	errno = 0;
	rc = opae_vfio_secure_open(&v, bdf, token);
	err = errno;
	capture_end(log, sizeof(log));
	check(rc != 0 && err != 0, "secure_open(%s, token) of a non-SR-IOV device fails: rc %d, %s",
	      bdf, rc, strerror(err));
	check(strstr(log, bdf) != NULL, "secure_open: the log line names the device");
	check(count_fds() == before && is_closed(&v),
	      "secure_open: nothing left open (group released), struct left closed");
	opae_vfio_close(&v);
	errno = 0;
	rc = opae_vfio_secure_open(&v, bdf, "not-a-uuid");
	err = errno;
	check(rc != 0 && err == EINVAL, "secure_open(malformed token) fails with EINVAL (%s)",
	      strerror(err));
	opae_vfio_close(&v);
}

static void bad_opens(void)
{
	char other[NAME_MAX + 1];

	open_fails("00:01.0", EINVAL, "(malformed address)");
	open_fails("0000:7e:1f.7", ENODEV, "(no such device)");
	secure_open_fails();
	find_unbound(other, sizeof(other));
	if (other[0])
		open_fails(other, ENODEV, "(not bound to vfio-pci)");
	else
		info("no PCI device outside vfio-pci here: that case is not checked");
}

/* Misuse on an open handle: nothing may change. */
static void bad_calls(struct opae_vfio *v)
{
	uint8_t *buf = NULL, unaligned[2 * 4096];
	size_t size = 0;
	uint64_t iova = 0;
	int efd = eventfd(0, EFD_CLOEXEC), before = count_fds();

	errno = 0;
	check(opae_vfio_buffer_allocate(v, &size, &buf, &iova) != 0 && errno == EINVAL && !buf,
	      "buffer_allocate(size 0) fails with EINVAL");
	check(opae_vfio_buffer_allocate(v, NULL, &buf, &iova) != 0 && !buf,
	      "buffer_allocate(size NULL) fails");
	size = 4096;
	buf = (uint8_t *)(((uintptr_t)unaligned + 4096) & ~(uintptr_t)4095) + 8;
	errno = 0;
	check(opae_vfio_buffer_allocate_ex(v, &size, &buf, &iova, OPAE_VFIO_BUF_PREALLOCATED) !=
	              0 &&
	          errno == EINVAL,
	      "buffer_allocate_ex(PREALLOCATED, unaligned) fails with EINVAL");
	check(opae_vfio_buffer_free(v, (uint8_t *)unaligned) != 0, "buffer_free(unknown) fails");

	errno = 0;
	check(opae_vfio_irq_enable(v, VFIO_PCI_MSIX_IRQ_INDEX, 0, efd) != 0 && errno == EINVAL,
	      "irq_enable(MSI-X) fails with EINVAL: edu has no MSI-X");
	errno = 0;
	check(opae_vfio_irq_enable(v, VFIO_PCI_MSI_IRQ_INDEX, 1, efd) != 0 && errno == EINVAL,
	      "irq_enable(MSI, vector 1) fails with EINVAL: edu has one MSI vector");
	check(opae_vfio_irq_enable(v, 99, 0, efd) != 0, "irq_enable(index 99) fails");
	check(opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, -1) != 0,
	      "irq_enable(INTx, eventfd -1) fails");
	check(opae_vfio_irq_disable(v, VFIO_PCI_MSI_IRQ_INDEX, 1) != 0,
	      "irq_disable(MSI, vector 1) fails");
	check(count_fds() == before, "no fd appeared through the failed calls");
	close(efd);
}

/* The same device twice: the kernel allows one user of a group. */
static void second_open(const char *bdf, struct opae_vfio *first)
{
	struct opae_vfio v2;
	uint8_t *bar0 = NULL;
	char log[2048];
	int before = count_fds(), rc, err;

	memset(&v2, 0, sizeof(v2));
	capture_begin();
	errno = 0;
	rc = opae_vfio_open(&v2, bdf);
	err = errno;
	capture_end(log, sizeof(log));
	check(rc != 0 && err == EBUSY, "second open of %s while open fails: rc %d, %s (want EBUSY)",
	      bdf, rc, strerror(err));
	check(strstr(log, bdf) != NULL, "second open: the log line names the device");
	check(count_fds() == before && is_closed(&v2),
	      "second open: nothing left open, struct left closed");
	opae_vfio_close(&v2);
	check(opae_vfio_region_get(first, 0, &bar0, NULL) == 0 && bar0 &&
	          (*(volatile uint32_t *)(bar0 + EDU_REG_ID) & 0xff) == 0xed,
	      "the first handle still works after the refused second open");
}

static void closed_calls(struct opae_vfio *v)
{
	uint8_t *ptr = NULL;
	size_t size = 4096;

	check(is_closed(v), "after close the struct reads closed (fds -1, no regions)");
	check(opae_vfio_region_get(v, 0, &ptr, NULL) != 0 && !ptr,
	      "region_get on a closed struct fails");
	errno = 0;
	check(opae_vfio_buffer_allocate(v, &size, &ptr, NULL) != 0 && errno == EINVAL && !ptr,
	      "buffer_allocate on a closed struct fails with EINVAL");
	check(opae_vfio_irq_enable(v, VFIO_PCI_INTX_IRQ_INDEX, 0, 0) != 0,
	      "irq_enable on a closed struct fails");
	check(opae_vfio_buffer_info(v, (uint8_t *)v) == NULL,
	      "buffer_info on a closed struct is NULL");
}

int main(int argc, char **argv)
{
	char bdf[NAME_MAX + 1] = "";
	struct opae_vfio v, again;
	int baseline;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (edu_find(argc, argv, bdf, sizeof(bdf))) {
		check(0, "no edu device (1234:11e8) found in /sys/bus/pci/devices");
		return summary("core_errors");
	}
	info("device %s", bdf);
	baseline = count_fds();

	bad_opens();

	memset(&v, 0, sizeof(v));
	errno = 0;
	if (opae_vfio_open(&v, bdf)) {
		check(0, "opae_vfio_open(%s): %s", bdf, strerror(errno));
		return summary("core_errors");
	}
	bad_calls(&v);
	second_open(bdf, &v);
	opae_vfio_close(&v);
	closed_calls(&v);

	/* The refused second open must not have left the group busy. */
	memset(&again, 0, sizeof(again));
	errno = 0;
	check(opae_vfio_open(&again, bdf) == 0, "open after close works (%s)", strerror(errno));
	opae_vfio_close(&again);
	check(count_fds() == baseline, "no fd left open (%d at start, %d at end)", baseline,
	      count_fds());
	return summary("core_errors");
}
