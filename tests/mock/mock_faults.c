/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_faults.c - fault injection and call counters of the mock kernel
 * (vfio_mock_fail, VFIO_MOCK_FAIL, scenario "faults", vfio_mock_calls).
 *
 * Every interposed VFIO operation asks mock_fault_check() first, before it
 * has any effect, so an injected failure leaves nothing behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mock_internal.h"

#define MAX_KINDS  48
#define MAX_FAULTS 64

/* Container, group and device ioctls reuse numbers (VFIO_IOMMU_MAP_DMA ==
 * VFIO_DEVICE_PCI_HOT_RESET): a name needs the kind of fd it was issued on. */
static const struct {
	enum mock_fd_kind fd;
	unsigned long req;
	const char *name;
} ioctl_names[] = {
    {FD_CONTAINER, VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION"},
    {FD_CONTAINER, VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION"},
    {FD_CONTAINER, VFIO_SET_IOMMU, "VFIO_SET_IOMMU"},
    {FD_CONTAINER, VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO"},
    {FD_CONTAINER, VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA"},
    {FD_CONTAINER, VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA"},
    {FD_GROUP, VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS"},
    {FD_GROUP, VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER"},
    {FD_GROUP, VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER"},
    {FD_GROUP, VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD"},
    {FD_DEVICE, VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO"},
    {FD_DEVICE, VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO"},
    {FD_DEVICE, VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO"},
    {FD_DEVICE, VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS"},
    {FD_DEVICE, VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET"},
    {FD_DEVICE, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"},
    {FD_DEVICE, VFIO_DEVICE_PCI_HOT_RESET, "VFIO_DEVICE_PCI_HOT_RESET"},
    {FD_DEVICE, VFIO_DEVICE_FEATURE, "VFIO_DEVICE_FEATURE"},
};

static const char *const plain_kinds[] = {
    "open", "ioctl", "mmap_bar", "mmap_huge", "munmap", "pread", "pwrite", "any",
    /* close of a VFIO fd; libc calls counted and failed only for injection */
    "close", "readlink", "mmap_anon", "munmap_anon", "madvise"};

static struct {
	const char *name;
	unsigned count;
} counters[MAX_KINDS];
static unsigned ncounters;

static struct {
	const char *kind;
	unsigned target;
	int err;
} faults[MAX_FAULTS];
static unsigned nfaults;

const char *mock_ioctl_name(int fd_kind, unsigned long req)
{
	for (size_t i = 0; i < sizeof(ioctl_names) / sizeof(ioctl_names[0]); i++)
		if (ioctl_names[i].req == req && (int)ioctl_names[i].fd == fd_kind)
			return ioctl_names[i].name;
	return NULL;
}

/* The canonical (static) spelling of a kind, or NULL if unknown. */
static const char *kind_canonical(const char *kind)
{
	for (size_t i = 0; i < sizeof(plain_kinds) / sizeof(plain_kinds[0]); i++)
		if (!strcmp(plain_kinds[i], kind))
			return plain_kinds[i];
	for (size_t i = 0; i < sizeof(ioctl_names) / sizeof(ioctl_names[0]); i++)
		if (!strcmp(ioctl_names[i].name, kind))
			return ioctl_names[i].name;
	return NULL;
}

static unsigned *counter(const char *kind)
{
	for (unsigned i = 0; i < ncounters; i++)
		if (counters[i].name == kind)
			return &counters[i].count;
	if (ncounters == MAX_KINDS)
		return NULL;
	counters[ncounters].name = kind;
	counters[ncounters].count = 0;
	return &counters[ncounters++].count;
}

static unsigned count_of(const char *kind)
{
	unsigned *c = counter(kind);

	return c ? *c : 0;
}

int mock_fault_check(const char *kind, const char *name)
{
	const char *keys[3] = {kind_canonical(kind), name ? kind_canonical(name) : NULL,
	                       kind_canonical("any")};

	for (int k = 0; k < 3; k++) {
		unsigned *c = keys[k] ? counter(keys[k]) : NULL;

		if (c)
			(*c)++;
	}
	for (unsigned i = 0; i < nfaults; i++) {
		int match = 0;

		for (int k = 0; k < 3; k++)
			if (keys[k] && faults[i].kind == keys[k] &&
			    count_of(keys[k]) == faults[i].target)
				match = 1;
		if (match) {
			int err = faults[i].err;

			faults[i] = faults[--nfaults];
			mock_log(1, "injected failure: %s%s%s -> errno %d", kind, name ? " " : "",
			         name ? name : "", err);
			return err;
		}
	}
	return 0;
}

/* Fault check for a call that is otherwise libc's (sysfs readlink, anonymous
 * mmap/munmap, madvise): 0, or the errno to fail with. Counts only while a
 * scenario is loaded. Takes the world lock itself. */
int mock_fault_passthrough(const char *kind);
int mock_fault_passthrough(const char *kind)
{
	int err;

	if (!__atomic_load_n(&mock_w.loaded, __ATOMIC_ACQUIRE))
		return 0;
	mock_lock();
	err = mock_fault_check(kind, NULL);
	mock_unlock();
	return err;
}

void mock_faults_reset(void)
{
	ncounters = 0;
	nfaults = 0;
}

static int arm(const char *kind, unsigned nth, int err)
{
	const char *k = kind_canonical(kind);

	if (!k || !nth || err <= 0 || nfaults == MAX_FAULTS)
		return -1;
	faults[nfaults].kind = k;
	faults[nfaults].target = count_of(k) + nth;
	faults[nfaults].err = err;
	nfaults++;
	return 0;
}

int vfio_mock_fail(const char *kind, unsigned nth, int err)
{
	int ret;

	if (!kind)
		return -1;
	mock_lock();
	ret = arm(kind, nth, err);
	mock_unlock();
	return ret;
}

void vfio_mock_clear_faults(void)
{
	mock_lock();
	nfaults = 0;
	mock_unlock();
}

unsigned vfio_mock_calls(const char *kind)
{
	const char *k = kind ? kind_canonical(kind) : NULL;
	unsigned n;

	if (!k)
		return 0;
	mock_lock();
	n = count_of(k);
	mock_unlock();
	return n;
}

/* errno names accepted in VFIO_MOCK_FAIL and scenario "faults" */
static const struct {
	const char *name;
	int err;
} errnos[] = {
    {"EPERM", EPERM},   {"ENOENT", ENOENT}, {"EIO", EIO},       {"EBADF", EBADF},
    {"EAGAIN", EAGAIN}, {"ENOMEM", ENOMEM}, {"EACCES", EACCES}, {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},   {"EEXIST", EEXIST}, {"ENODEV", ENODEV}, {"EINVAL", EINVAL},
    {"ENFILE", ENFILE}, {"EMFILE", EMFILE}, {"ENOSPC", ENOSPC}, {"ENOTTY", ENOTTY},
    {"ENOSYS", ENOSYS}, {"EINTR", EINTR},
};

int mock_errno_parse(const char *s);
int mock_errno_parse(const char *s)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, s))
			return errnos[i].err;
	v = strtol(s, &end, 0);
	if (*s && !*end && v > 0 && v < 4096)
		return (int)v;
	return -1;
}

int mock_fault_arm(const char *kind, unsigned nth, int err);
int mock_fault_arm(const char *kind, unsigned nth, int err)
{
	return arm(kind, nth, err);
}

/* KIND:N:ERRNO[,KIND:N:ERRNO...] */
int mock_fault_parse_env(const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int ret = 0;

	if (!copy)
		return -1;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(item, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		int err;

		if (!c2) {
			fprintf(stderr, "vfio-mock: VFIO_MOCK_FAIL: '%s' is not KIND:N:ERRNO\n",
			        item);
			ret = -1;
			continue;
		}
		*c1 = *c2 = 0;
		err = mock_errno_parse(c2 + 1);
		if (err < 0 || arm(item, (unsigned)strtoul(c1 + 1, NULL, 0), err)) {
			fprintf(stderr, "vfio-mock: VFIO_MOCK_FAIL: bad entry '%s:%s:%s'\n", item,
			        c1 + 1, c2 + 1);
			ret = -1;
		}
	}
	free(copy);
	return ret;
}
