/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_scenario.c - reads a scenario (JSON) into the simulated world: the
 * IOMMU's properties, huge page pools, devices with their models, faults.
 *
 * Every malformed field is reported by name and rejects the whole scenario
 * (the world stays empty), so a typo never silently tests something else.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_internal.h"

int mock_errno_parse(const char *s);
int mock_fault_arm(const char *kind, unsigned nth, int err);

static int bad(const char *where, const char *field, const char *why)
{
	fprintf(stderr, "vfio-mock: scenario: %s%s\"%s\": %s\n", where ? where : "",
	        where ? ": " : "", field, why);
	return -1;
}

/* A number as a JSON integer or a "0x.."/decimal string. */
static int num(struct json_object *v, const char *where, const char *field, uint64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x < 0)
			return bad(where, field, "must not be negative");
		*out = (uint64_t)x;
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;

		errno = 0;
		*out = strtoull(s, &end, 0);
		if (!*s || *end || errno || *s == '-')
			return bad(where, field, "is not a number (integer or \"0x..\" string)");
		return 0;
	}
	return bad(where, field, "must be a number (integer or \"0x..\" string)");
}

static int opt_num(struct json_object *o, const char *where, const char *field, uint64_t max,
                   uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, field, &v))
		return 0;
	if (num(v, where, field, out))
		return -1;
	if (*out > max)
		return bad(where, field, "is out of range");
	return 1;
}

static int opt_bool(struct json_object *o, const char *where, const char *field, int *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, field, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(where, field, "must be true or false");
	*out = json_object_get_boolean(v);
	return 1;
}

static int opt_str(struct json_object *o, const char *where, const char *field, char *out,
                   size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, field, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(where, field, "must be a string");
	if (strlen(json_object_get_string(v)) >= len)
		return bad(where, field, "is too long");
	strcpy(out, json_object_get_string(v));
	return 1;
}

static const struct mock_model_ops *model_find(const char *name)
{
	const struct mock_model_ops *all[] = {&mock_model_none, &mock_model_edu,
	                                      &mock_model_dfl_fpga, &mock_model_hostile_dfl,
	                                      &mock_model_nvme};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] && all[i]->name && !strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

/* "dddd:bb:dd.f" with a 4..7 hex digit domain (Intel VMD uses 10000: and
 * up; 7 digits is what the 16-byte address fields hold). */
static int valid_address(const char *a)
{
	unsigned dom, bus, dev, fn;
	size_t len = strlen(a), ndom = strcspn(a, ":");
	char tail;

	return len >= 12 && len <= 15 && ndom == len - 8 &&
	       sscanf(a, "%7x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4 && dev < 32 &&
	       fn < 8;
}

static int parse_iommu(struct json_object *o)
{
	struct json_object *r;
	uint64_t v;

	if (!json_object_is_type(o, json_type_object))
		return bad(NULL, "iommu", "must be an object");
	if (json_object_object_get_ex(o, "ranges", &r)) {
		size_t n =
		    json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;

		if (!json_object_is_type(r, json_type_array) || n > 8)
			return bad("iommu", "ranges",
			           "must be an array of at most 8 [start, end] pairs");
		mock_w.nranges = (unsigned)n;
		for (size_t i = 0; i < n; i++) {
			struct json_object *p = json_object_array_get_idx(r, i);

			if (!json_object_is_type(p, json_type_array) ||
			    json_object_array_length(p) != 2)
				return bad("iommu", "ranges", "each range must be [start, end]");
			if (num(json_object_array_get_idx(p, 0), "iommu.ranges", "start",
			        &mock_w.ranges[i][0]) ||
			    num(json_object_array_get_idx(p, 1), "iommu.ranges", "end",
			        &mock_w.ranges[i][1]))
				return -1;
			if (mock_w.ranges[i][1] < mock_w.ranges[i][0])
				return bad("iommu", "ranges", "end is below start");
		}
	}
	if (opt_num(o, "iommu", "pgsizes", UINT64_MAX, &v) < 0)
		return -1;
	else if (json_object_object_get_ex(o, "pgsizes", NULL)) {
		if (!(v & 0xfffff000ULL) || (v & 0xfff))
			return bad("iommu", "pgsizes",
			           "must include page sizes of 4 KiB or more only");
		mock_w.pgsizes = v;
	}
	switch (opt_num(o, "iommu", "dma_entry_limit", 0xffffffffu, &v)) {
	case -1:
		return -1;
	case 1:
		mock_w.dma_entry_limit = (unsigned)v;
	}
	if (opt_bool(o, "iommu", "type1v2", &mock_w.type1v2) < 0 ||
	    opt_bool(o, "iommu", "iova_caps", &mock_w.iova_caps) < 0 ||
	    opt_bool(o, "iommu", "unmap_all", &mock_w.unmap_all) < 0 ||
	    opt_bool(o, "iommu", "dma_cc", &mock_w.dma_cc) < 0)
		return -1;
	switch (opt_num(o, "iommu", "cap_align", 8, &v)) {
	case -1:
		return -1;
	case 1:
		if (v != 1 && v != 8)
			return bad("iommu", "cap_align", "must be 1 (6.1, packed) or 8 (6.6+)");
		mock_w.cap_align = (unsigned)v;
	}
	return 0;
}

static int parse_hugepages(struct json_object *o)
{
	uint64_t v;

	if (!json_object_is_type(o, json_type_object))
		return bad(NULL, "hugepages", "must be an object");
	json_object_object_foreach(o, key, val)
	{
		int idx = !strcmp(key, "2048kB") ? 0 : !strcmp(key, "1048576kB") ? 1 : -1;

		if (idx < 0)
			return bad("hugepages", key,
			           "unknown pool (use \"2048kB\" or \"1048576kB\")");
		if (num(val, "hugepages", key, &v))
			return -1;
		if (v > 1u << 20)
			return bad("hugepages", key, "is out of range");
		mock_w.huge_total[idx] = mock_w.huge_free[idx] = (unsigned)v;
	}
	return 0;
}

static int parse_bars(struct json_object *arr, struct mock_dev_config *cfg, const char *dev)
{
	if (!json_object_is_type(arr, json_type_array))
		return bad(dev, "bars", "must be an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *b = json_object_array_get_idx(arr, i), *sp;
		struct mock_bar_config *bar;
		char where[96];
		uint64_t idx, v;
		int mm;

		snprintf(where, sizeof(where), "%s: bars[%zu]", dev, i);
		if (!json_object_is_type(b, json_type_object))
			return bad(where, "bars", "each BAR must be an object");
		switch (opt_num(b, where, "index", 5, &idx)) {
		case -1:
			return -1;
		case 0:
			return bad(where, "index", "is required (0..5)");
		}
		bar = &cfg->bar[idx];
		switch (opt_num(b, where, "size", 1ULL << 40, &v)) {
		case -1:
			return -1;
		case 1:
			if (v && ((v & (v - 1)) || v < 16))
				return bad(where, "size", "must be 0 or a power of two >= 16");
			bar->size = v;
		}
		switch (opt_bool(b, where, "mmap", &mm)) {
		case -1:
			return -1;
		case 1:
			bar->mmap = mm;
		}
		if (opt_bool(b, where, "64bit", &bar->is64) < 0 ||
		    opt_bool(b, where, "prefetchable", &bar->prefetch) < 0)
			return -1;
		bar->nsparse = 0;
		if (json_object_object_get_ex(b, "sparse", &sp)) {
			size_t n = json_object_is_type(sp, json_type_array)
			               ? json_object_array_length(sp)
			               : 99;

			if (n > MOCK_MAX_SPARSE)
				return bad(where, "sparse",
				           "must be an array of at most 8 [offset, size]");
			bar->nsparse = (unsigned)n;
			for (size_t k = 0; k < n; k++) {
				struct json_object *p = json_object_array_get_idx(sp, k);

				if (!json_object_is_type(p, json_type_array) ||
				    json_object_array_length(p) != 2)
					return bad(where, "sparse",
					           "each area must be [offset, size]");
				if (num(json_object_array_get_idx(p, 0), where, "sparse offset",
				        &bar->sparse[k].offset) ||
				    num(json_object_array_get_idx(p, 1), where, "sparse size",
				        &bar->sparse[k].size))
					return -1;
				if (bar->sparse[k].offset + bar->sparse[k].size > bar->size)
					return bad(where, "sparse", "area lies outside the BAR");
			}
		}
	}
	/* a 64-bit BAR takes the next BAR register for its upper half */
	for (int i = 0; i < 6; i++)
		if (cfg->bar[i].size && cfg->bar[i].is64 &&
		    (i == 5 || cfg->bar[i + 1].size || cfg->bar[i + 1].is64))
			return bad(dev, "64bit",
			           "a 64-bit BAR needs the next BAR index free for its upper half");
	return 0;
}

/* A device's configuration from its JSON object: kernel-ish defaults, then
 * the model's, then the object's fields. `template_of`: the object is a PF's
 * "vf" template (no address; model and ids default to the PF's). */
int mock_parse_config(struct json_object *o, const char *where, struct mock_dev_config *cfg,
                      const struct mock_model_ops **ops_out, const struct mock_dev_config *template_of)
{
	const struct mock_model_ops *ops;
	struct json_object *v;
	uint64_t x;
	int b;

	if (!json_object_is_type(o, json_type_object))
		return bad(NULL, where, "must be an object");
	if (template_of)
		snprintf(cfg->model, sizeof(cfg->model), "%s", template_of->model);
	if (opt_str(o, where, "model", cfg->model, sizeof(cfg->model)) < 0)
		return -1;
	if (!cfg->model[0])
		return bad(where, "model", "is required");
	ops = model_find(cfg->model);
	if (!ops)
		return bad(where, "model", "names no model built into this mock");
	*ops_out = ops;
	strcpy(cfg->driver, template_of ? "" : "vfio-pci");
	cfg->numa_node = -1;
	cfg->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	cfg->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	cfg->irq_count[VFIO_PCI_REQ_IRQ_INDEX] = 1;
	cfg->reset = 1;
	cfg->sriov_offset = cfg->sriov_stride = 1;
	if (ops->defaults)
		ops->defaults(cfg);
	if (template_of) {
		cfg->vendor = template_of->vendor;
		cfg->numa_node = template_of->numa_node;
	}

#define NUMFIELD(name, dst, max)                                                                   \
	switch (opt_num(o, where, name, max, &x)) {                                                \
	case -1:                                                                                   \
		return -1;                                                                         \
	case 1:                                                                                    \
		dst = (__typeof__(dst))x; /* x <= max */                                          \
	}
	NUMFIELD("vendor", cfg->vendor, 0xffff);
	NUMFIELD("device", cfg->device, 0xffff);
	NUMFIELD("subsystem_vendor", cfg->subsystem_vendor, 0xffff);
	NUMFIELD("subsystem_device", cfg->subsystem_device, 0xffff);
	NUMFIELD("class", cfg->class_code, 0xffffff);
	NUMFIELD("revision", cfg->revision, 0xff);
	NUMFIELD("group", cfg->group, 1u << 20);
	NUMFIELD("sriov_totalvfs", cfg->sriov_totalvfs, MOCK_MAX_DEVICES - 1);
	NUMFIELD("sriov_numvfs", cfg->sriov_numvfs, MOCK_MAX_DEVICES - 1);
	NUMFIELD("sriov_offset", cfg->sriov_offset, 0xffff);
	NUMFIELD("sriov_stride", cfg->sriov_stride, 0xffff);
	NUMFIELD("host_vectors", cfg->host_vectors, 2048);
	if (json_object_object_get_ex(o, "numa_node", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < -1)
			return bad(where, "numa_node", "must be an integer >= -1");
		cfg->numa_node = json_object_get_int(v);
	}
	if (opt_str(o, where, "driver", cfg->driver, sizeof(cfg->driver)) < 0 ||
	    opt_str(o, where, "native_driver", cfg->native_driver, sizeof(cfg->native_driver)) < 0 ||
	    (!template_of && opt_str(o, where, "physfn", cfg->physfn, sizeof(cfg->physfn)) < 0))
		return -1;
	if (cfg->physfn[0] && !valid_address(cfg->physfn))
		return bad(where, "physfn", "is not a PCI address");
	switch (opt_bool(o, where, "pcie", &b)) {
	case -1:
		return -1;
	case 1:
		cfg->pcie = b;
	}
	switch (opt_bool(o, where, "reset", &b)) {
	case -1:
		return -1;
	case 1:
		cfg->reset = b;
	}
	if (json_object_object_get_ex(o, "bars", &v) && parse_bars(v, cfg, where))
		return -1;
	if (json_object_object_get_ex(o, "irqs", &v)) {
		static const char *const names[5] = {"intx", "msi", "msix", "err", "req"};
		static const unsigned max[5] = {1, 32, 2048, 1, 1};

		if (!json_object_is_type(v, json_type_object))
			return bad(where, "irqs", "must be an object");
		json_object_object_foreach(v, key, val)
		{
			int k = -1;

			for (int n = 0; n < 5; n++)
				if (!strcmp(names[n], key))
					k = n;
			if (k < 0)
				return bad(where, key, "unknown IRQ index (intx msi msix err req)");
			if (num(val, where, key, &x))
				return -1;
			if (x > max[k] || (k == 1 && x & (x - 1)))
				return bad(where, key, "is out of range (MSI: power of two <= 32)");
			cfg->irq_count[k] = (unsigned)x;
		}
	}
	if (cfg->sriov_numvfs > cfg->sriov_totalvfs)
		return bad(where, "sriov_numvfs", "exceeds sriov_totalvfs");
	if (json_object_object_get_ex(o, "params", &v)) {
		if (!json_object_is_type(v, json_type_object))
			return bad(where, "params", "must be an object");
		cfg->params = v;
	}
	if (json_object_object_get_ex(o, "vf", &v)) {
		struct mock_dev_config t;
		const struct mock_model_ops *tops;
		char twhere[96];

		if (template_of || !cfg->sriov_totalvfs)
			return bad(where, "vf", "is only for an SR-IOV PF (sriov_totalvfs > 0)");
		snprintf(twhere, sizeof(twhere), "%s: vf", where);
		memset(&t, 0, sizeof(t));
		if (mock_parse_config(v, twhere, &t, &tops, cfg))
			return -1;
		cfg->vf = v;
	}
	return 0;
}

static int parse_device(struct json_object *o, size_t i)
{
	struct mock_dev_config cfg;
	const struct mock_model_ops *ops;
	char where[64];

	snprintf(where, sizeof(where), "devices[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return bad(NULL, where, "must be an object");
	memset(&cfg, 0, sizeof(cfg));
	if (opt_str(o, where, "address", cfg.address, sizeof(cfg.address)) != 1)
		return bad(where, "address", "is required (\"dddd:bb:dd.f\")");
	if (!valid_address(cfg.address))
		return bad(where, "address", "is not a PCI address \"dddd:bb:dd.f\"");
	snprintf(where, sizeof(where), "device %s", cfg.address);
	if (mock_dev_find(cfg.address))
		return bad(where, "address", "appears twice");
	cfg.group = (unsigned)mock_w.ndev + 1;
	if (mock_parse_config(o, where, &cfg, &ops, NULL))
		return -1;
	if (mock_w.ndev == MOCK_MAX_DEVICES)
		return bad(where, "devices", "too many devices");
	if (mock_dev_create(&cfg, ops))
		return bad(where, "model", "the model rejected this device's configuration");
	return 0;
}

static int parse_faults(struct json_object *arr)
{
	if (!json_object_is_type(arr, json_type_array))
		return bad(NULL, "faults", "must be an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *f = json_object_array_get_idx(arr, i), *e;
		char kind[64] = "";
		uint64_t nth = 0;
		int err = -1;

		if (!json_object_is_type(f, json_type_object) ||
		    opt_str(f, "faults[]", "call", kind, sizeof(kind)) != 1)
			return bad("faults[]", "call", "is required (a kind or ioctl name)");
		if (opt_num(f, "faults[]", "nth", 1u << 30, &nth) != 1 || !nth)
			return bad("faults[]", "nth", "is required (>= 1)");
		if (json_object_object_get_ex(f, "errno", &e)) {
			if (json_object_is_type(e, json_type_int))
				err = json_object_get_int(e);
			else if (json_object_is_type(e, json_type_string))
				err = mock_errno_parse(json_object_get_string(e));
		}
		if (err <= 0)
			return bad("faults[]", "errno",
			           "is required (name like \"ENOMEM\" or number)");
		if (mock_fault_arm(kind, (unsigned)nth, err))
			return bad("faults[]", "call", "unknown kind");
	}
	return 0;
}

static int parse_dev_vfio(struct json_object *o);

/* Fill the world from the JSON; the caller holds the lock, the world is clear. */
static int parse_world(struct json_object *root)
{
	struct json_object *v;

	if (!json_object_is_type(root, json_type_object))
		return bad(NULL, "(top level)", "must be an object");
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		if (strcmp(key, "iommu") && strcmp(key, "hugepages") && strcmp(key, "devices") &&
		    strcmp(key, "faults") && strcmp(key, "comment") && strcmp(key, "description") &&
		    strcmp(key, "dev_vfio") && strcmp(key, "vfio_pci"))
			return bad(NULL, key, "unknown top-level field");
	}
	if (json_object_object_get_ex(root, "dev_vfio", &v) && parse_dev_vfio(v))
		return -1;
	if (json_object_object_get_ex(root, "vfio_pci", &v) &&
	    (!json_object_is_type(v, json_type_object) ||
	     opt_bool(v, "vfio_pci", "enable_sriov", &mock_w.enable_sriov) < 0))
		return bad(NULL, "vfio_pci", "must be an object like {\"enable_sriov\": true}");
	if (json_object_object_get_ex(root, "iommu", &v) && parse_iommu(v))
		return -1;
	if (json_object_object_get_ex(root, "hugepages", &v) && parse_hugepages(v))
		return -1;
	if (json_object_object_get_ex(root, "devices", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return bad(NULL, "devices", "must be an array");
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (parse_device(json_object_array_get_idx(v, i), i))
				return -1;
	}
	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i], *pf;
		unsigned listed = 0;

		if (d->cfg.physfn[0]) {
			pf = mock_dev_find(d->cfg.physfn);
			if (!pf || !pf->cfg.sriov_totalvfs)
				return bad(d->cfg.address, "physfn", "names no SR-IOV PF of the scenario");
		}
		for (unsigned k = 0; k < mock_w.ndev; k++)
			listed += !strcmp(mock_w.dev[k]->cfg.physfn, d->cfg.address);
		if (listed && !d->cfg.sriov_numvfs)
			d->cfg.sriov_numvfs = listed; /* the VFs listed exist */
		if (listed && listed != d->cfg.sriov_numvfs)
			return bad(d->cfg.address, "sriov_numvfs",
			           "must be the number of VFs the scenario lists for this PF");
		if (!listed && d->cfg.sriov_numvfs && !d->cfg.vf)
			return bad(d->cfg.address, "vf", "is needed to create sriov_numvfs VFs");
		if (listed > d->cfg.sriov_totalvfs)
			return bad(d->cfg.address, "sriov_totalvfs", "is below the VFs listed");
	}
	if (json_object_object_get_ex(root, "faults", &v) && parse_faults(v))
		return -1;
	mock_drivers_collect();
	return 0;
}

static int parse_dev_vfio(struct json_object *o)
{
	uint64_t v;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return bad(NULL, "dev_vfio", "must be an object like {\"uid\": 0, \"mode\": \"0600\"}");
	if ((r = opt_num(o, "dev_vfio", "uid", 0xffffffffu, &v)) < 0)
		return -1;
	if (r)
		mock_w.dev_vfio_uid = (unsigned)v;
	if ((r = opt_num(o, "dev_vfio", "gid", 0xffffffffu, &v)) < 0)
		return -1;
	if (r)
		mock_w.dev_vfio_gid = (unsigned)v;
	if (json_object_object_get_ex(o, "mode", &o)) {
		const char *m = json_object_get_string(o);
		char *end;

		v = strtoull(m ? m : "", &end, 8);
		if (!json_object_is_type(o, json_type_string) || !*m || *end || v > 0777)
			return bad("dev_vfio", "mode", "must be an octal string like \"0660\"");
		mock_w.dev_vfio_mode = (unsigned)v;
	}
	return 0;
}

static void world_defaults(void)
{
	mock_w.nranges = 2;
	mock_w.ranges[0][0] = 0;
	mock_w.ranges[0][1] = 0xfedfffffULL;
	mock_w.ranges[1][0] = 0xfef00000ULL;
	mock_w.ranges[1][1] = 0x7fffffffffULL;
	mock_w.pgsizes = 0x40201000ULL;
	mock_w.dma_entry_limit = 65535;
	mock_w.type1v2 = 1;
	mock_w.iova_caps = 1;
	mock_w.unmap_all = 1;
	mock_w.dma_cc = 1;
	mock_w.cap_align = 1;
	/* /dev/vfio/N as udev would leave it for the user running the tests */
	mock_w.dev_vfio_uid = (unsigned)getuid();
	mock_w.dev_vfio_gid = (unsigned)getgid();
	mock_w.dev_vfio_mode = 0600;
	mock_w.enable_sriov = 0;
}

struct json_object *mock_scenario_json; /* kept: device params point into it */

static struct json_object *parse_text_or_file(const char *json)
{
	struct json_object *root;

	while (*json == ' ' || *json == '\n' || *json == '\t')
		json++;
	if (*json == '{') {
		enum json_tokener_error jerr;

		root = json_tokener_parse_verbose(json, &jerr);
		if (!root)
			fprintf(stderr, "vfio-mock: scenario: JSON error: %s\n",
			        json_tokener_error_desc(jerr));
		return root;
	}
	root = json_object_from_file(json);
	if (!root)
		fprintf(stderr, "vfio-mock: scenario %s: cannot read or parse: %s\n", json,
		        json_util_get_last_err());
	return root;
}

/* Load a scenario and create a machine for it (in `create_dir`, kept at
 * exit; NULL: a temporary one), or join the machine in `join_dir` (then
 * `json` is that machine's scenario text). */
int mock_scenario_load(const char *json, const char *join_dir, const char *create_dir)
{
	struct json_object *root;
	int ret;

	root = json ? parse_text_or_file(json) : NULL;
	if (!root) {
		if (!json)
			fprintf(stderr, "vfio-mock: scenario: NULL\n");
		return -1;
	}
	mock_lock();
	mock_world_clear();
	world_defaults();
	ret = parse_world(root);
	if (!ret && join_dir) {
		ret = mock_machine_join(join_dir);
		if (!ret)
			mock_sysfs_attach(join_dir);
	} else if (!ret) {
		ret = mock_machine_create(create_dir,
		                          json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
		if (!ret) {
			mock_sysfs_attach(mock_machine_dir());
			mock_machine_lock();
			ret = mock_sysfs_build();
			if (!ret)
				ret = mock_sriov_create_declared();
			mock_machine_unlock();
		}
	}
	if (ret) {
		mock_world_clear();
		json_object_put(root);
	} else {
		mock_scenario_json = root;
		__atomic_store_n(&mock_w.loaded, 1, __ATOMIC_RELEASE);
		mock_machine_sync();
	}
	mock_unlock();
	mock_mmap_release_forgotten();
	if (!ret)
		mock_worker_start();
	return ret;
}

int vfio_mock_load_scenario(const char *json)
{
	mock_ensure_init(); /* VFIO_MOCK_SCENARIO first, so it cannot replace this one later */
	return mock_scenario_load(json, NULL, NULL);
}
