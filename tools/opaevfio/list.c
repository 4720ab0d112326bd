// SPDX-License-Identifier: BSD-3-Clause
/* list.c - `opaevfio -l`: every PCI function (or one) with its ids, driver,
 * IOMMU group, the group's other members and viability, and SR-IOV links. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opaevfio.h"
#include "out.h"

/* One device with everything -l shows about it. */
struct list_entry {
	struct ovf_dev d;
	char (*members)[OVF_ADDR_LEN]; /* whole group, sorted */
	size_t nmembers;
	char (*vfs)[OVF_ADDR_LEN];
	size_t nvfs;
	int blockers; /* -1: no group */
	char node[64];
	int have_node;
};

static int entry_load(struct list_entry *e, const char *addr)
{
	memset(e, 0, sizeof(*e));
	e->blockers = -1;
	if (pci_dev_read(addr, &e->d))
		return -ENODEV;
	if (e->d.group >= 0) {
		pci_group_members(e->d.group, &e->members, &e->nmembers);
		e->blockers = pci_group_blockers(e->d.group, NULL, 0);
		e->have_node = !pci_group_node(e->d.group, e->node, sizeof(e->node));
	}
	if (e->d.sriov_totalvfs > 0)
		pci_virtfns(addr, &e->vfs, &e->nvfs);
	return 0;
}

static void entry_free(struct list_entry *e)
{
	free(e->members);
	free(e->vfs);
}

static const char *member_driver(const char *addr, char *buf, size_t len)
{
	struct ovf_dev m;

	if (pci_dev_read(addr, &m) || !m.driver[0])
		return NULL;
	snprintf(buf, len, "%s", m.driver);
	return buf;
}

static void print_text(const struct ovf_ctx *ctx, const struct list_entry *e)
{
	const struct ovf_dev *d = &e->d;
	char group[16] = "-", drv[OVF_NAME_LEN];
	const char *viable = "-", *sep = "";

	if (d->group >= 0) {
		snprintf(group, sizeof(group), "%d", d->group);
		viable = e->blockers > 0 ? "no" : e->blockers == 0 ? "yes" : "?";
	}
	fprintf(ctx->out, "%-13s %04x:%04x  %06x  %-12s %-5s %-6s ", d->addr, d->vendor, d->device,
	        d->class_code, d->driver[0] ? d->driver : "-", group, viable);
	if (d->sriov_totalvfs > 0) {
		fprintf(ctx->out, "PF, %d of %d VFs", d->sriov_numvfs, d->sriov_totalvfs);
		for (size_t i = 0; i < e->nvfs; i++)
			fprintf(ctx->out, "%s%s", i ? " " : ": ", e->vfs[i]);
		sep = "; ";
	}
	if (d->physfn[0]) {
		fprintf(ctx->out, "%sVF of %s", sep, d->physfn);
		sep = "; ";
	}
	for (size_t i = 0, first = 1; i < e->nmembers; i++) {
		if (!strcmp(e->members[i], d->addr))
			continue;
		if (first)
			fprintf(ctx->out, "%sgroup also has ", sep);
		fprintf(ctx->out, "%s%s (%s)", first ? "" : ", ", e->members[i],
		        member_driver(e->members[i], drv, sizeof(drv)) ? drv : "no driver");
		first = 0;
	}
	fputc('\n', ctx->out);
}

static json_object *to_json(const struct list_entry *e)
{
	const struct ovf_dev *d = &e->d;
	json_object *o = json_object_new_object(), *members, *vfs;
	char drv[OVF_NAME_LEN];

	json_object_object_add(o, "address", json_object_new_string(d->addr));
	json_object_object_add(o, "vendor", json_hex(d->vendor, 4));
	json_object_object_add(o, "device", json_hex(d->device, 4));
	json_object_object_add(o, "subsystem_vendor", json_hex(d->subsys_vendor, 4));
	json_object_object_add(o, "subsystem_device", json_hex(d->subsys_device, 4));
	json_object_object_add(o, "class", json_hex(d->class_code, 6));
	json_object_object_add(o, "driver", json_str_or_null(d->driver));
	json_object_object_add(o, "driver_override", json_str_or_null(d->override));
	json_object_object_add(o, "numa_node", json_object_new_int(d->numa_node));
	json_object_object_add(o, "iommu_group", json_int_or_null(d->group));
	json_object_object_add(o, "group_node",
	                       e->have_node ? json_object_new_string(e->node) : NULL);
	json_object_object_add(o, "group_viable",
	                       e->blockers < 0 ? NULL : json_object_new_boolean(e->blockers == 0));
	members = json_object_new_array();
	for (size_t i = 0; i < e->nmembers; i++) {
		json_object *m;

		if (!strcmp(e->members[i], d->addr))
			continue;
		m = json_object_new_object();
		json_object_object_add(m, "address", json_object_new_string(e->members[i]));
		json_object_object_add(
		    m, "driver", json_str_or_null(member_driver(e->members[i], drv, sizeof(drv))));
		json_object_array_add(members, m);
	}
	json_object_object_add(o, "group_others", members);
	json_object_object_add(o, "physfn", json_str_or_null(d->physfn));
	json_object_object_add(o, "sriov_totalvfs", json_int_or_null(d->sriov_totalvfs));
	json_object_object_add(o, "sriov_numvfs", json_int_or_null(d->sriov_numvfs));
	vfs = json_object_new_array();
	for (size_t i = 0; i < e->nvfs; i++)
		json_object_array_add(vfs, json_object_new_string(e->vfs[i]));
	json_object_object_add(o, "virtfns", vfs);
	return o;
}

int ovf_list(struct ovf_ctx *ctx)
{
	char(*addrs)[OVF_ADDR_LEN] = NULL;
	size_t n = 0;
	json_object *root = NULL, *arr = NULL;
	int r;

	if (ctx->addr[0]) {
		struct ovf_dev d;

		if (pci_dev_read(ctx->addr, &d)) {
			ovf_error(ctx, "%s: no such PCI device", ctx->addr);
			return OVF_NOT_FOUND;
		}
		addrs = malloc(sizeof(*addrs));
		if (!addrs)
			return OVF_ENV;
		memcpy(addrs[0], ctx->addr, sizeof(addrs[0]));
		n = 1;
	} else {
		r = pci_list_addrs(&addrs, &n);
		if (r) {
			ovf_error(ctx, "cannot read /sys/bus/pci/devices: %s", strerror(-r));
			return OVF_ENV;
		}
	}
	if (ctx->json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "devices", arr);
	} else {
		fprintf(ctx->out, "%-13s %-9s  %-6s  %-12s %-5s %-6s %s\n", "ADDRESS", "ID",
		        "CLASS", "DRIVER", "GROUP", "VIABLE", "SR-IOV / GROUP");
	}
	for (size_t i = 0; i < n; i++) {
		struct list_entry e;

		if (entry_load(&e, addrs[i]) == 0) {
			if (ctx->json)
				json_object_array_add(arr, to_json(&e));
			else
				print_text(ctx, &e);
		}
		entry_free(&e);
	}
	free(addrs);
	if (ctx->json && json_print(ctx, root))
		return OVF_ENV;
	return OVF_OK;
}
