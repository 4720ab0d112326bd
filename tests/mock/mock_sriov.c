/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_sriov.c - devices that come and go while the machine runs, and which
 * driver takes a device: VFs created and removed through sriov_numvfs
 * (drivers/pci/iov.c: routing id = PF's + offset + n * stride, each VF in an
 * IOMMU group of its own), driver matching for probes (driver_override, then
 * dynamic ids from new_id, then the device's native driver, as
 * pci_match_device orders them), and each member process's world kept in
 * step with the machine.
 *
 * Caller holds the world lock and the machine lock throughout.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_internal.h"

extern struct json_object *mock_scenario_json;

static void add_driver(const char *name)
{
	if (!name[0] || mock_driver_index(name) >= 0 || mock_w.ndrivers == 16)
		return;
	snprintf(mock_w.drivers[mock_w.ndrivers++], sizeof(mock_w.drivers[0]), "%s", name);
}

int mock_driver_index(const char *name)
{
	for (unsigned i = 0; i < mock_w.ndrivers; i++)
		if (!strcmp(mock_w.drivers[i], name))
			return (int)i;
	return -1;
}

/* The drivers the machine has: vfio-pci, pci-stub, pcieport and every one
 * the scenario names. A device bound at load to a host driver was matched by
 * that driver's id table: it is the device's native driver. */
void mock_drivers_collect(void)
{
	mock_w.ndrivers = 0;
	add_driver("vfio-pci");
	add_driver("pci-stub");
	add_driver("pcieport");
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev_config *c = &mock_w.dev[i]->cfg;

		if (!c->native_driver[0] && c->driver[0] && strcmp(c->driver, "vfio-pci"))
			snprintf(c->native_driver, sizeof(c->native_driver), "%s", c->driver);
		add_driver(c->driver);
		add_driver(c->native_driver);
		if (c->vf) {
			struct json_object *v;

			if (json_object_object_get_ex(c->vf, "driver", &v))
				add_driver(json_object_get_string(v));
			if (json_object_object_get_ex(c->vf, "native_driver", &v))
				add_driver(json_object_get_string(v));
		}
	}
}

/* pci_match_device: the driver a probe of device d binds, "" if none. */
const char *mock_probe_match(struct mock_dev *d)
{
	const struct mock_mdev *md = &mock_m->dev[d->mi];

	if (md->override[0])
		return mock_driver_index(md->override) >= 0 ? md->override : "";
	for (unsigned i = 0; i < mock_m->ndynids; i++) {
		const struct mock_dynid *id = &mock_m->dynids[i];

		if (id->vendor == d->cfg.vendor && id->device == d->cfg.device &&
		    (id->subvendor == 0xffffffffu || id->subvendor == d->cfg.subsystem_vendor) &&
		    (id->subdevice == 0xffffffffu || id->subdevice == d->cfg.subsystem_device) &&
		    !((id->class_code ^ d->cfg.class_code) & id->class_mask))
			return id->driver;
	}
	return d->cfg.native_driver;
}

/* Does `driver` match device d (for bind)? */
int mock_driver_matches(struct mock_dev *d, const char *driver)
{
	const struct mock_mdev *md = &mock_m->dev[d->mi];

	if (md->override[0])
		return !strcmp(md->override, driver);
	for (unsigned i = 0; i < mock_m->ndynids; i++) {
		const struct mock_dynid *id = &mock_m->dynids[i];

		if (!strcmp(id->driver, driver) && id->vendor == d->cfg.vendor &&
		    id->device == d->cfg.device &&
		    (id->subvendor == 0xffffffffu || id->subvendor == d->cfg.subsystem_vendor) &&
		    (id->subdevice == 0xffffffffu || id->subdevice == d->cfg.subsystem_device) &&
		    !((id->class_code ^ d->cfg.class_code) & id->class_mask))
			return 1;
	}
	return !strcmp(d->cfg.native_driver, driver);
}

/* Set the driver of device d (machine, world, sysfs). */
void mock_bind(struct mock_dev *d, const char *driver)
{
	snprintf(mock_m->dev[d->mi].driver, sizeof(mock_m->dev[0].driver), "%s", driver);
	snprintf(d->cfg.driver, sizeof(d->cfg.driver), "%s", driver);
	mock_sysfs_render_binding(d);
	mock_machine_changed();
}

/* ---- instantiating the machine's devices in this process ------------------ */

static struct json_object *scenario_device(const char *address)
{
	struct json_object *devs, *v;

	if (!mock_scenario_json || !json_object_object_get_ex(mock_scenario_json, "devices", &devs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *o = json_object_array_get_idx(devs, i);

		if (json_object_object_get_ex(o, "address", &v) &&
		    !strcmp(json_object_get_string(v), address))
			return o;
	}
	return NULL;
}

/* Create machine device mi in this process's world. */
static struct mock_dev *instantiate(unsigned mi)
{
	const struct mock_mdev *md = &mock_m->dev[mi];
	const struct mock_model_ops *ops;
	struct mock_dev_config cfg;
	struct mock_dev *pf = NULL;
	struct json_object *o;
	char where[64];

	memset(&cfg, 0, sizeof(cfg));
	snprintf(where, sizeof(where), "VF %s", md->address);
	if (md->pf >= 0) {
		for (unsigned i = 0; i < mock_w.ndev; i++)
			if (mock_w.dev[i]->mi == (unsigned)md->pf)
				pf = mock_w.dev[i];
		if (!pf || !pf->cfg.vf || mock_parse_config(pf->cfg.vf, where, &cfg, &ops, &pf->cfg))
			return NULL;
		snprintf(cfg.physfn, sizeof(cfg.physfn), "%s", pf->cfg.address);
		if (!cfg.native_driver[0])
			snprintf(cfg.native_driver, sizeof(cfg.native_driver), "%s", cfg.driver);
	} else {
		o = scenario_device(md->address);
		if (!o || mock_parse_config(o, where, &cfg, &ops, NULL))
			return NULL;
	}
	snprintf(cfg.address, sizeof(cfg.address), "%s", md->address);
	snprintf(cfg.driver, sizeof(cfg.driver), "%s", md->driver);
	cfg.group = md->group;
	if (mock_dev_create(&cfg, ops))
		return NULL;
	mock_w.dev[mock_w.ndev - 1]->mi = mi;
	return mock_w.dev[mock_w.ndev - 1];
}

static struct mock_dev *local(unsigned mi)
{
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->mi == mi)
			return mock_w.dev[i];
	return NULL;
}

static void destroy(struct mock_dev *d)
{
	unsigned i = 0;

	while (i < mock_w.ndev && mock_w.dev[i] != d)
		i++;
	if (i == mock_w.ndev)
		return;
	memmove(&mock_w.dev[i], &mock_w.dev[i + 1], (mock_w.ndev - i - 1) * sizeof(mock_w.dev[0]));
	mock_w.ndev--;
	mock_dev_destroy(d);
}

/* The world after another member changed the machine. */
void mock_world_sync_devices(void)
{
	for (unsigned mi = 0; mi < mock_m->ndev; mi++) {
		const struct mock_mdev *md = &mock_m->dev[mi];
		struct mock_dev *d = local(mi);

		if (md->present && !d)
			d = instantiate(mi);
		else if (!md->present && d) {
			destroy(d);
			d = NULL;
		}
		if (d)
			snprintf(d->cfg.driver, sizeof(d->cfg.driver), "%s", md->driver);
	}
}

/* ---- sriov_numvfs ---------------------------------------------------------- */

static int vf_address(const struct mock_dev *pf, unsigned n, char *out, size_t len)
{
	unsigned dom, bus, dev, fn, rid;

	if (sscanf(pf->cfg.address, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return -EINVAL;
	rid = (bus << 8 | dev << 3 | fn) + pf->cfg.sriov_offset + n * pf->cfg.sriov_stride;
	if (rid > 0xffff)
		return -ENOSPC;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	return 0;
}

static unsigned next_free_group(void)
{
	unsigned g = 0;
	char path[64];

	for (unsigned i = 0; i < mock_m->ndev; i++)
		if (mock_m->dev[i].group > g)
			g = mock_m->dev[i].group;
	/* above the root ports' groups too */
	do
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u", ++g);
	while (mock_sysfs_exists(path));
	return g;
}

/* pci_enable_sriov(pf, n): VFs 0..n-1 appear, each probed. */
int mock_sriov_enable(struct mock_dev *pf, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		char addr[16];
		unsigned mi;
		struct mock_mdev *md;
		struct mock_dev *vf;
		int err = vf_address(pf, k, addr, sizeof(addr));

		if (err)
			return err;
		for (mi = 0; mi < mock_m->ndev && strcmp(mock_m->dev[mi].address, addr); mi++)
			;
		if (mi == mock_m->ndev) {
			if (mi == MOCK_MAX_DEVICES)
				return -ENOSPC;
			md = &mock_m->dev[mock_m->ndev++];
			memset(md, 0, sizeof(*md));
			snprintf(md->address, sizeof(md->address), "%s", addr);
			md->group = next_free_group();
			md->pf = (int32_t)pf->mi;
			md->vf_index = k;
		}
		md = &mock_m->dev[mi];
		md->present = 1;
		md->driver[0] = 0;
		md->override[0] = 0;
		vf = local(mi) ? local(mi) : instantiate(mi);
		if (!vf) {
			md->present = 0;
			return -ENOMEM;
		}
		mock_sysfs_render_device(vf);
		mock_bind(vf, mock_probe_match(vf)); /* sriov_drivers_autoprobe */
	}
	mock_m->dev[pf->mi].numvfs = n;
	mock_sysfs_render_sriov(pf);
	mock_machine_changed();
	return 0;
}

/* pci_disable_sriov: every VF goes. The kernel waits for VFs in use (vfio-pci
 * sends them the REQ interrupt); the mock refuses with EBUSY instead. */
int mock_sriov_disable(struct mock_dev *pf, int probe_fd)
{
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *vf = mock_w.dev[i];

		if (strcmp(vf->cfg.physfn, pf->cfg.address))
			continue;
		if (vf->open_count || mock_machine_device_open(probe_fd, vf->mi)) {
			if (vf->req_efd >= 0) /* vfio_pci_request: ask the user to let go */
				mock_efd_signal(vf->req_efd);
			mock_log(1, "%s: VF %s is in use: sriov_numvfs cannot remove it",
			         pf->cfg.address, vf->cfg.address);
			return -EBUSY;
		}
	}
	for (unsigned i = mock_w.ndev; i-- > 0;) {
		struct mock_dev *vf = mock_w.dev[i];

		if (strcmp(vf->cfg.physfn, pf->cfg.address))
			continue;
		mock_m->dev[vf->mi].present = 0;
		mock_m->dev[vf->mi].driver[0] = 0;
		mock_sysfs_remove_device(vf);
		destroy(vf);
	}
	mock_m->dev[pf->mi].numvfs = 0;
	mock_sysfs_render_sriov(pf);
	mock_machine_changed();
	return 0;
}

/* At load (creator): a PF whose scenario says sriov_numvfs = N without
 * listing its VFs gets them from its "vf" template. */
int mock_sriov_create_declared(void)
{
	unsigned ndev = mock_w.ndev;

	for (unsigned i = 0; i < ndev; i++) {
		struct mock_dev *pf = mock_w.dev[i];
		unsigned listed = 0;

		for (unsigned k = 0; k < ndev; k++)
			listed += !strcmp(mock_w.dev[k]->cfg.physfn, pf->cfg.address);
		if (pf->cfg.sriov_numvfs && !listed && mock_sriov_enable(pf, pf->cfg.sriov_numvfs)) {
			fprintf(stderr, "vfio-mock: %s: cannot create its %u VFs\n", pf->cfg.address,
			        pf->cfg.sriov_numvfs);
			return -1;
		}
	}
	return 0;
}

/* The PF's VF device id (sriov_vf_device): its template's, or a listed VF's. */
unsigned mock_vf_device_id(const struct mock_dev *pf)
{
	struct json_object *v;

	if (pf->cfg.vf && json_object_object_get_ex(pf->cfg.vf, "device", &v))
		return (unsigned)strtoul(json_object_get_string(v), NULL, 0);
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (!strcmp(mock_w.dev[i]->cfg.physfn, pf->cfg.address))
			return mock_w.dev[i]->cfg.device;
	return pf->cfg.device;
}
