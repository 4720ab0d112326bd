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
	    opt_bool(o, "iommu", "iova_caps", &mock_w.iova_caps) < 0)
		return -1;
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
	return 0;
}

static int parse_device(struct json_object *o, size_t i)
{
	struct mock_dev_config cfg;
	const struct mock_model_ops *ops;
	struct json_object *v;
	char where[64];
	uint64_t x;
	int b;

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
	if (opt_str(o, where, "model", cfg.model, sizeof(cfg.model)) != 1)
		return bad(where, "model", "is required");
	ops = model_find(cfg.model);
	if (!ops)
		return bad(where, "model", "names no model built into this mock");
	/* kernel-ish defaults, then the model's, then the scenario's */
	cfg.group = (unsigned)mock_w.ndev + 1;
	strcpy(cfg.driver, "vfio-pci");
	cfg.numa_node = -1;
	cfg.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	cfg.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	cfg.irq_count[VFIO_PCI_REQ_IRQ_INDEX] = 1;
	cfg.reset = 1;
	if (ops->defaults)
		ops->defaults(&cfg);

#define NUMFIELD(name, dst, max)                                                                   \
	switch (opt_num(o, where, name, max, &x)) {                                                \
	case -1:                                                                                   \
		return -1;                                                                         \
	case 1:                                                                                    \
		dst = x;                                                                           \
	}
	NUMFIELD("vendor", cfg.vendor, 0xffff);
	NUMFIELD("device", cfg.device, 0xffff);
	NUMFIELD("subsystem_vendor", cfg.subsystem_vendor, 0xffff);
	NUMFIELD("subsystem_device", cfg.subsystem_device, 0xffff);
	NUMFIELD("class", cfg.class_code, 0xffffff);
	NUMFIELD("revision", cfg.revision, 0xff);
	NUMFIELD("group", cfg.group, 1u << 20);
	NUMFIELD("sriov_totalvfs", cfg.sriov_totalvfs, 2048);
	NUMFIELD("sriov_numvfs", cfg.sriov_numvfs, 2048);
	if (json_object_object_get_ex(o, "numa_node", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < -1)
			return bad(where, "numa_node", "must be an integer >= -1");
		cfg.numa_node = json_object_get_int(v);
	}
	if (opt_str(o, where, "driver", cfg.driver, sizeof(cfg.driver)) < 0 ||
	    opt_str(o, where, "physfn", cfg.physfn, sizeof(cfg.physfn)) < 0)
		return -1;
	if (cfg.physfn[0] && !valid_address(cfg.physfn))
		return bad(where, "physfn", "is not a PCI address");
	switch (opt_bool(o, where, "pcie", &b)) {
	case -1:
		return -1;
	case 1:
		cfg.pcie = b;
	}
	switch (opt_bool(o, where, "reset", &b)) {
	case -1:
		return -1;
	case 1:
		cfg.reset = b;
	}
	if (json_object_object_get_ex(o, "bars", &v) && parse_bars(v, &cfg, where))
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
			cfg.irq_count[k] = (unsigned)x;
		}
	}
	if (cfg.sriov_numvfs > cfg.sriov_totalvfs)
		return bad(where, "sriov_numvfs", "exceeds sriov_totalvfs");
	if (json_object_object_get_ex(o, "params", &v)) {
		if (!json_object_is_type(v, json_type_object))
			return bad(where, "params", "must be an object");
		cfg.params = v;
	}
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
		    strcmp(key, "faults") && strcmp(key, "comment") && strcmp(key, "description"))
			return bad(NULL, key, "unknown top-level field");
	}
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
		struct mock_dev *d = mock_w.dev[i];

		if (d->cfg.physfn[0] && !mock_dev_find(d->cfg.physfn))
			return bad(d->cfg.address, "physfn", "names no device of the scenario");
	}
	if (json_object_object_get_ex(root, "faults", &v) && parse_faults(v))
		return -1;
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
}

struct json_object *mock_scenario_json; /* kept: device params point into it */

int vfio_mock_load_scenario(const char *json)
{
	struct json_object *root;
	int ret;

	mock_ensure_init(); /* VFIO_MOCK_SCENARIO first, so it cannot replace this one later */
	if (!json) {
		fprintf(stderr, "vfio-mock: scenario: NULL\n");
		return -1;
	}
	while (*json == ' ' || *json == '\n' || *json == '\t')
		json++;
	if (*json == '{') {
		enum json_tokener_error jerr;

		root = json_tokener_parse_verbose(json, &jerr);
		if (!root) {
			fprintf(stderr, "vfio-mock: scenario: JSON error: %s\n",
			        json_tokener_error_desc(jerr));
			return -1;
		}
	} else {
		root = json_object_from_file(json);
		if (!root) {
			fprintf(stderr, "vfio-mock: scenario %s: cannot read or parse: %s\n", json,
			        json_util_get_last_err());
			return -1;
		}
	}
	mock_lock();
	mock_world_clear();
	world_defaults();
	ret = parse_world(root);
	if (!ret)
		ret = mock_sysfs_build();
	if (ret) {
		mock_world_clear();
		json_object_put(root);
	} else {
		mock_scenario_json = root;
		__atomic_store_n(&mock_w.loaded, 1, __ATOMIC_RELEASE);
	}
	mock_unlock();
	mock_mmap_release_forgotten();
	if (!ret)
		mock_worker_start();
	return ret;
}
