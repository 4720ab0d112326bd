/* SPDX-License-Identifier: BSD-3-Clause */
/* opaevfio.h - the opaevfio tool's shared declarations: exit codes, the run
 * context, the PCI/sysfs model and the entry points of each command. */
#ifndef OPAEVFIO_TOOL_H
#define OPAEVFIO_TOOL_H

#include <stdio.h>
#include <sys/types.h>

/* Exit codes (documented in the README's opaevfio section; keep in step). */
enum ovf_exit {
	OVF_OK = 0,         /* done; -c: no problem found (warnings allowed) */
	OVF_PROBLEMS = 1,   /* -c: at least one check failed */
	OVF_USAGE = 2,      /* bad command line: option, address syntax, mode */
	OVF_NOT_FOUND = 3,  /* no such device, driver, user or group */
	OVF_PERM = 4,       /* permission denied (sysfs writes need root) */
	OVF_STATE = 5,      /* device in the wrong state: already bound, not bound, in use */
	OVF_ENV = 6,        /* machine not ready: no IOMMU group, vfio-pci cannot load */
	OVF_KERNEL = 7,     /* the kernel refused a step; the device was put back */
	OVF_UNRESTORED = 8, /* a step failed and putting the device back failed too */
};

#define OVF_ADDR_LEN 20 /* "dddddddd:bb:dd.f" + NUL, rounded */
#define OVF_NAME_LEN 64 /* driver names, override values */
#define OVF_PATH_LEN 512

/* One PCI function as sysfs shows it. Numbers are -1 when unknown/absent. */
struct ovf_dev {
	char addr[OVF_ADDR_LEN];
	unsigned vendor, device, subsys_vendor, subsys_device, class_code;
	int hdr_type;                     /* config byte 0x0e & 0x7f; 0 = endpoint */
	char driver[OVF_NAME_LEN];        /* "" = no driver */
	char override[OVF_NAME_LEN];      /* driver_override, "" = none */
	int group;                        /* IOMMU group, -1 = none */
	char physfn[OVF_ADDR_LEN];        /* a VF's PF, "" otherwise */
	int sriov_totalvfs, sriov_numvfs; /* -1 unless an SR-IOV PF */
	int numa_node;
};

/* A group member that keeps its group from being viable. */
struct ovf_blocker {
	char addr[OVF_ADDR_LEN];
	char driver[OVF_NAME_LEN];
};

/* What one run was asked to do, and where it writes. */
struct ovf_ctx {
	FILE *out, *err;
	int json;
	int no_sriov;
	const char *driver;          /* -d */
	const char *user;            /* -u */
	const char *group;           /* -g */
	unsigned long long dma_size; /* --dma-size, 0 = default */
	char addr[OVF_ADDR_LEN];     /* normalised ADDR, "" if none */
};

/* cli.c: the whole program; main() only calls this. */
int ovf_main(int argc, char **argv, FILE *out, FILE *err);
/* One error line "opaevfio: <message>" on ctx->err. */
void ovf_error(const struct ovf_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* sysfs.c: file access with errors as -errno. */
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_read_int(const char *path, long long *val);
int sysfs_write(const char *path, const char *val);
int sysfs_link_base(const char *path, char *out, size_t len);
int sysfs_exists(const char *path);
/* Paths the mock kernel cannot serve (/proc/cmdline, /sys/module, ...) are
 * read below $OPAEVFIO_HOST_ROOT when set (tests only). */
const char *host_path(const char *path, char *buf, size_t len);
int host_param_bool(const char *module, const char *param);

/* pci.c: addresses and the device model. */
int pci_parse_addr(const char *in, char *out);               /* 0 or -EINVAL; accepts bb:dd.f */
int pci_dev_read(const char *addr, struct ovf_dev *d);       /* 0, -ENODEV */
int pci_list_addrs(char (**addrs)[OVF_ADDR_LEN], size_t *n); /* sorted, malloc'd */
int pci_group_members(int group, char (**addrs)[OVF_ADDR_LEN], size_t *n);
int pci_driver_is_vfio(const char *driver);
int pci_is_bridge(const struct ovf_dev *d);
/* Members of `group` that make it not viable (on host drivers): fills at most
 * max, returns how many there are, or -errno when the group cannot be read. */
int pci_group_blockers(int group, struct ovf_blocker *b, size_t max);
int pci_virtfns(const char *pf, char (**addrs)[OVF_ADDR_LEN], size_t *n);
/* /dev/vfio/<group> or /dev/vfio/noiommu-<group>, whichever exists; 0 or -ENOENT */
int pci_group_node(int group, char *path, size_t len);
int pci_driver_exists(const char *driver);

/* bind.c: -i and -r. */
int ovf_init(struct ovf_ctx *ctx);
int ovf_release(struct ovf_ctx *ctx);

/* list.c: -l. check.c: -c. */
int ovf_list(struct ovf_ctx *ctx);
int ovf_check(struct ovf_ctx *ctx);

#endif
