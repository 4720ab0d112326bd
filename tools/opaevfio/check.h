/* SPDX-License-Identifier: BSD-3-Clause */
/* check.h - the results of `opaevfio -c`: one entry per check (status,
 * message, fix, details), printed as text at once or collected as JSON. */
#ifndef OPAEVFIO_CHECK_H
#define OPAEVFIO_CHECK_H

#include <json-c/json.h>

#include "opaevfio.h"

enum ck_status { CK_OK, CK_INFO, CK_WARN, CK_FAIL };

struct ck_list {
	struct ovf_ctx *ctx;
	json_object *arr; /* --json */
	int fails, warns;
	unsigned long long hugepage_bytes; /* all huge page pools, for memlock */
	int iommu_on;                      /* real (non no-IOMMU) groups exist */
};

/* Records one result. `device` may be NULL (a machine-wide check); `fix`
 * may be NULL; `details` (owned by the call) may be NULL. */
void ck_add(struct ck_list *cl, const char *check, const char *device, enum ck_status st,
            json_object *details, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* check_host.c: the machine-wide checks, in the order they are reported. */
void ck_iommu(struct ck_list *cl);
void ck_vfio_modules(struct ck_list *cl);
void ck_noiommu(struct ck_list *cl);
void ck_intremap(struct ck_list *cl);
void ck_hugepages(struct ck_list *cl);
void ck_memlock(struct ck_list *cl);

/* vsnprintf at buf + *used, advancing *used (saturating at len). */
void ck_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Bytes as "64 MiB", "1 GiB", "unlimited" style text. */
void ck_size(char *buf, size_t len, unsigned long long bytes);

#endif
