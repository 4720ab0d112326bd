// SPDX-License-Identifier: BSD-3-Clause
/* enum.c - fpgaEnumerate across every loaded plugin, in load order.
 *
 * Each plugin gets the remaining room of the caller's array and must report
 * its total match count; the sum is returned in *num_matches and at most
 * max_tokens tokens are written, each wrapped into a token id. A plugin
 * error other than FPGA_NO_DRIVER/FPGA_NOT_FOUND makes the result
 * FPGA_EXCEPTION, but the other plugins are still asked (as OPAE).
 *
 * The filters stay locked during the walk (in address order, so two
 * enumerations sharing filters cannot deadlock); a parent token id in a
 * filter is replaced by the raw plugin token for the plugins and restored
 * afterwards. Plugins enumerate concurrently: the adapter list is only
 * read-locked. */
#include <stdlib.h>

#include "fw_priv.h"

struct locked_filter {
	struct _fpga_properties *p;
	fpga_token saved_parent;
	struct fw_ptoken *parent; /* reference held while unwrapped */
};

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct locked_filter *)a)->p;
	uintptr_t y = (uintptr_t)((const struct locked_filter *)b)->p;

	return x < y ? -1 : x > y;
}

static void release_filters(struct locked_filter *lf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (lf[i].parent) {
			lf[i].p->parent = lf[i].saved_parent;
			fw_ptoken_put(lf[i].parent);
		}
		fw_props_unlock(lf[i].p);
	}
}

/* Lock the distinct filters and unwrap their parents; *n = locked count. */
static fpga_result take_filters(const fpga_properties *filters, uint32_t num_filters,
                                struct locked_filter *lf, uint32_t *n)
{
	uint32_t i, k = 0;

	for (i = 0; i < num_filters; i++)
		lf[i] = (struct locked_filter){.p = filters[i]};
	qsort(lf, num_filters, sizeof(*lf), by_address);
	*n = 0;
	for (i = 0; i < num_filters; i++) {
		struct _fpga_properties *want = lf[i].p;

		if (k && lf[k - 1].p == want)
			continue; /* the same filter twice */
		lf[k].p = fw_props_lock(want);
		if (!lf[k].p) {
			fw_err("fpgaEnumerate: a filter is not a valid properties object");
			return FPGA_INVALID_PARAM;
		}
		lf[k].parent = NULL;
		*n = ++k;
		if (FIELD_VALID(lf[k - 1].p, FPGA_PROPERTY_PARENT)) {
			struct locked_filter *f = &lf[k - 1];

			f->parent = fw_token_ref(f->p->parent);
			if (!f->parent) {
				fw_err("fpgaEnumerate: a filter's parent is not a valid token");
				return FPGA_INVALID_PARAM;
			}
			f->saved_parent = f->p->parent;
			f->p->parent = f->parent->plugin_token;
		}
	}
	return FPGA_OK;
}

/* Wrap tokens[from..to) of adapter a in place; on failure destroy what is
 * left and return false. */
static bool wrap_range(const opae_api_adapter_table *a, fpga_token *tokens, uint32_t from,
                       uint32_t *to)
{
	uint32_t out = from;

	for (uint32_t i = from; i < *to; i++) {
		fpga_token raw = tokens[i];
		struct fw_ptoken *pt;

		if (!raw) {
			fw_err("%s: fpgaEnumerate reported a token it did not write",
			       a->plugin.path);
			continue;
		}
		pt = fw_ptoken_new(a, raw);
		tokens[out] = pt ? fw_token_wrap(pt) : NULL;
		if (!tokens[out]) {
			if (pt)
				fw_ptoken_put(pt);
			else if (a->fpgaDestroyToken)
				a->fpgaDestroyToken(&raw);
			for (uint32_t j = i + 1; j < *to; j++)
				if (tokens[j] && a->fpgaDestroyToken)
					a->fpgaDestroyToken(&tokens[j]);
			*to = out;
			return false;
		}
		out++;
	}
	*to = out;
	return true;
}

FW_API fpga_result fpgaEnumerate(const fpga_properties *filters, uint32_t num_filters,
                                 fpga_token *tokens, uint32_t max_tokens, uint32_t *num_matches)
{
	struct locked_filter stack_lf[8], *lf = stack_lf;
	uint32_t nlocked = 0, got = 0, total = 0;
	fpga_result result = FPGA_OK, r;

	if (!num_matches || (max_tokens && !tokens) || (num_filters && !filters) ||
	    (!num_filters && filters))
		return FPGA_INVALID_PARAM;
	if (num_filters > sizeof(stack_lf) / sizeof(stack_lf[0])) {
		lf = calloc(num_filters, sizeof(*lf));
		if (!lf)
			return FPGA_NO_MEMORY;
	}
	r = take_filters(filters, num_filters, lf, &nlocked);
	if (r != FPGA_OK) {
		release_filters(lf, nlocked);
		if (lf != stack_lf)
			free(lf);
		return r;
	}

	pthread_rwlock_rdlock(&fw_adapters_lock);
	for (struct fw_adapter *a = fw_adapters; a; a = (struct fw_adapter *)a->table.next) {
		const opae_api_adapter_table *t = &a->table;
		uint32_t room = max_tokens - got, n = 0, wrote;

		if (!t->fpgaEnumerate)
			continue;
		r = t->fpgaEnumerate(filters, num_filters, room ? tokens + got : NULL, room, &n);
		if (r != FPGA_OK) {
			if (r != FPGA_NO_DRIVER && r != FPGA_NOT_FOUND) {
				fw_err("plugin %s: fpgaEnumerate failed: %s", t->plugin.path,
				       fpgaErrStr(r));
				result = FPGA_EXCEPTION;
			}
			continue;
		}
		total += n;
		wrote = got + (n < room ? n : room);
		if (!wrap_range(t, tokens, got, &wrote)) {
			result = FPGA_NO_MEMORY;
			got = wrote;
			break;
		}
		got = wrote;
	}
	pthread_rwlock_unlock(&fw_adapters_lock);

	release_filters(lf, nlocked);
	if (lf != stack_lf)
		free(lf);
	if (result == FPGA_NO_MEMORY) {
		for (uint32_t i = 0; i < got; i++)
			fw_token_drop(tokens[i]);
		return result;
	}
	*num_matches = total;
	return result;
}
