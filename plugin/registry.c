// SPDX-License-Identifier: BSD-3-Clause
/* registry.c - the devices this process knows: every function bound to
 * vfio-pci (claimed by the device list or not: an unclaimed PF still anchors
 * its VFs' token), what was learnt about each, and when to learn it again.
 *
 * Rescans run at every fpgaEnumerate and cost one readdir plus one lstat per
 * bound function. What a device *is* (its objects) is cached and kept until
 * its binding changes: the driver link's inode is new at every (re)bind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_priv.h"

struct pl_registry pl_reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct pl_dev *registry_find(const char *addr)
{
	unsigned lo = 0, hi = pl_reg.ndevs;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = strcmp(pl_reg.devs[mid]->pci.addr, addr);

		if (!c)
			return pl_reg.devs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int insert_sorted(struct pl_dev *d)
{
	unsigned i;

	if (pl_reg.ndevs == pl_reg.cap) {
		unsigned cap = pl_reg.cap ? 2 * pl_reg.cap : 16;
		struct pl_dev **nv = realloc(pl_reg.devs, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		pl_reg.devs = nv;
		pl_reg.cap = cap;
	}
	for (i = pl_reg.ndevs; i > 0 && strcmp(pl_reg.devs[i - 1]->pci.addr, d->pci.addr) > 0; i--)
		pl_reg.devs[i] = pl_reg.devs[i - 1];
	pl_reg.devs[i] = d;
	pl_reg.ndevs++;
	return 0;
}

/* Forget what was learnt (new binding): facts are read again, objects
 * rebuilt at the next identification. */
static int learn(struct pl_dev *d, const char *addr, uint64_t bind_id)
{
	const struct cfg_device *rule;
	struct pl_pci pci;
	int r = discover_read(addr, &pci);

	if (r)
		return r;
	d->pci = pci;
	d->bind_id = bind_id;
	d->ident = PL_ID_UNKNOWN;
	d->unknown_busy = 0;
	d->nobjs = 0;
	rule = cfg_match(pl_reg.cfg, pci.addr, pci.ids);
	d->claimed = rule != NULL;
	if (rule)
		d->rule = *rule;
	if (d->claimed && d->rule.kind == CFG_KIND_PLAIN)
		registry_identify(d); /* reads nothing: the rule says it all */
	return 0;
}

/* A device no longer bound can be freed unless a session still uses it. */
static int in_use(const struct pl_dev *d)
{
	return d->session != NULL;
}

int registry_rescan(void)
{
	struct pl_bound *b;
	int n = discover_bound(&b);
	unsigned i, j;

	if (n < 0) {
		log_err("-", -n, "sysfs: reading /sys/bus/pci/drivers/vfio-pci");
		return n;
	}
	for (i = 0; i < pl_reg.ndevs; i++)
		pl_reg.devs[i]->present = 0;
	for (int k = 0; k < n; k++) {
		struct pl_dev *d = registry_find(b[k].addr);

		if (d) {
			d->present = 1;
			if (d->bind_id == b[k].bind_id || in_use(d))
				continue;
			log_debug(d->pci.addr, "rebound to vfio-pci: learning it again");
			if (learn(d, b[k].addr, b[k].bind_id))
				d->present = 0;
			continue;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			free(b);
			return -ENOMEM;
		}
		if (learn(d, b[k].addr, b[k].bind_id) || insert_sorted(d)) {
			free(d);
			continue;
		}
		d->present = 1;
		if (d->claimed)
			log_debug(d->pci.addr, "claimed by devices[%u] (%s)", d->rule.index,
			           d->rule.kind == CFG_KIND_DFL ? "dfl" : "plain");
	}
	free(b);
	/* drop devices that went away and are not open here */
	for (i = j = 0; i < pl_reg.ndevs; i++) {
		struct pl_dev *d = pl_reg.devs[i];

		if (!d->present && !in_use(d)) {
			log_debug(d->pci.addr, "no longer bound to vfio-pci");
			free(d);
			continue;
		}
		pl_reg.devs[j++] = d;
	}
	pl_reg.ndevs = j;
	return 0;
}

/* The BARs of an open session, as the walker wants them. */
static void session_bars(struct pl_session *s, struct dfl_bars *bars)
{
	memset(bars, 0, sizeof(*bars));
	for (unsigned i = 0; i < DFL_NUM_BARS; i++) {
		uint8_t *ptr;
		size_t size;

		if (!opae_vfio_region_get(&s->v, i, &ptr, &size)) {
			bars->base[i] = ptr;
			bars->len[i] = size;
		}
	}
}

void registry_identify(struct pl_dev *d)
{
	const struct pl_kind_ops *kind = kind_of(d);
	struct dfl_bars bars;
	struct pl_probe p;
	const char *token = NULL;
	int r;

	if (!d->claimed || d->ident != PL_ID_UNKNOWN)
		return;
	if (d->rule.kind == CFG_KIND_PLAIN) {
		r = kind->identify(d, NULL);
		d->ident = r ? PL_ID_HOSTILE : PL_ID_DONE;
		return;
	}
	if (d->session) {
		/* open in this process: read through our own mapping */
		session_bars(d->session, &bars);
		r = kind->identify(d, &bars);
		d->ident = r ? PL_ID_HOSTILE : PL_ID_DONE;
		return;
	}
	if (d->pci.physfn[0] && registry_find(d->pci.physfn) &&
	    registry_find(d->pci.physfn)->present) {
		/* A VF of a vfio-pci PF opens only with the PF's VF token.
		 * Enumeration presents one it knows and never sets one. */
		token = session_known_vf_token(d);
		if (!*token) {
			log_debug(d->pci.addr,
			           "identify: VF of vfio-pci PF %s and no VF token known yet; "
			           "listed unidentified until opened",
			           d->pci.physfn);
			return;
		}
	}
	r = probe_open(&d->pci, token, &p);
	d->unknown_busy = r == -EBUSY;
	if (r) {
		if (r != -EBUSY)
			log_info(d->pci.addr, "identify: cannot look into the device (%s); listed "
			                       "unidentified",
			          strerror(-r));
		return;
	}
	r = kind->identify(d, &p.bars);
	probe_close(&p);
	d->ident = r ? PL_ID_HOSTILE : PL_ID_DONE;
}

void registry_free_all(void)
{
	for (unsigned i = 0; i < pl_reg.ndevs; i++)
		free(pl_reg.devs[i]);
	free(pl_reg.devs);
	pl_reg.devs = NULL;
	pl_reg.ndevs = pl_reg.cap = 0;
	cfg_free(pl_reg.cfg);
	pl_reg.cfg = NULL;
}
