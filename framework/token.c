// SPDX-License-Identifier: BSD-3-Clause
/* token.c - wrapped tokens, in two levels:
 *  - struct fw_ptoken holds one plugin token and counts its users (every id
 *    naming it, every open handle); at 0 the owning plugin's fpgaDestroyToken
 *    runs;
 *  - struct fw_token is one id handed out (by fpgaEnumerate, fpgaCloneToken,
 *    or to a properties object as its parent). Destroying an id kills that
 *    id only, so a second fpgaDestroyToken of it is FPGA_INVALID_PARAM even
 *    while a handle still uses the plugin token.
 * Also fpgaCloneToken/fpgaDestroyToken and the parent search of §3.1. */
#include <stdlib.h>

#include "fw_priv.h"

struct objtab fw_tokens = OBJTAB_INIT("token", FW_TAG_TOKEN, struct fw_token);

struct fw_ptoken *fw_ptoken_new(const opae_api_adapter_table *adapter, fpga_token plugin_token)
{
	struct fw_ptoken *pt = malloc(sizeof(*pt));

	if (!pt)
		return NULL;
	pt->plugin_token = plugin_token;
	pt->adapter = adapter;
	atomic_init(&pt->refs, 1);
	return pt;
}

void fw_ptoken_put(struct fw_ptoken *pt)
{
	fpga_token tok;
	fpga_result r;

	if (atomic_fetch_sub_explicit(&pt->refs, 1, memory_order_acq_rel) != 1)
		return;
	tok = pt->plugin_token;
	if (pt->adapter->fpgaDestroyToken) {
		r = pt->adapter->fpgaDestroyToken(&tok);
		if (r != FPGA_OK)
			fw_err("%s: fpgaDestroyToken failed: %s", pt->adapter->plugin.path,
			       fpgaErrStr(r));
	}
	free(pt);
}

fpga_token fw_token_wrap(struct fw_ptoken *pt)
{
	struct fw_token *t = objtab_alloc(&fw_tokens);

	if (!t) {
		fw_err("out of memory wrapping a token of %s", pt->adapter->plugin.path);
		return NULL;
	}
	t->pt = pt;
	return objtab_publish(&fw_tokens, t);
}

struct fw_ptoken *fw_token_ref(fpga_token id)
{
	struct fw_ptoken *pt = NULL;
	struct fw_token *t;

	/* Under the table lock: a concurrent fw_token_drop claims under the
	 * same lock, so the holder cannot reach 0 between lookup and increment. */
	pthread_mutex_lock(&fw_tokens.lock);
	t = objtab_lookup(&fw_tokens, id);
	if (t) {
		pt = t->pt;
		atomic_fetch_add_explicit(&pt->refs, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&fw_tokens.lock);
	return pt;
}

bool fw_token_drop(fpga_token id)
{
	struct fw_token *t;

	pthread_mutex_lock(&fw_tokens.lock);
	t = objtab_claim(&fw_tokens, id);
	pthread_mutex_unlock(&fw_tokens.lock);
	if (!t)
		return false;
	fw_ptoken_put(t->pt);
	objtab_free(&fw_tokens, t);
	return true;
}

fpga_token fw_token_alias(fpga_token id)
{
	struct fw_ptoken *pt = fw_token_ref(id);
	fpga_token alias;

	if (!pt)
		return NULL;
	alias = fw_token_wrap(pt);
	if (!alias)
		fw_ptoken_put(pt);
	return alias;
}

static int always(const fpga_token_header *p, const fpga_token_header *c)
{
	(void)p;
	(void)c;
	return 1;
}

struct parent_search {
	const fpga_token_header *child;
	struct fw_ptoken *found; /* with a reference */
};

/* Runs under the table lock (objtab_find), so taking the reference is safe. */
static bool is_parent(void *obj, void *arg)
{
	const struct fw_token *t = obj;
	struct parent_search *s = arg;
	const fpga_token_header *p = t->pt->plugin_token;

	if (!p || !fpga_is_parent_of(p, s->child, always))
		return false;
	s->found = t->pt;
	atomic_fetch_add_explicit(&s->found->refs, 1, memory_order_relaxed);
	return true;
}

fpga_token fw_token_find_parent(const fpga_token_header *hdr)
{
	struct parent_search s = {.child = hdr};
	fpga_token id;

	if (!hdr || hdr->objtype != FPGA_ACCELERATOR)
		return NULL;
	objtab_find(&fw_tokens, is_parent, &s);
	if (!s.found)
		return NULL;
	id = fw_token_wrap(s.found);
	if (!id)
		fw_ptoken_put(s.found);
	return id;
}

void fw_token_release_claimed(void *obj)
{
	struct fw_token *t = obj;

	fw_ptoken_put(t->pt);
	objtab_free(&fw_tokens, t);
}

FW_API fpga_result fpgaCloneToken(fpga_token src, fpga_token *dst)
{
	struct fw_ptoken *pt, *copy_pt;
	fpga_token copy = NULL;
	fpga_result r;

	if (!dst)
		return FPGA_INVALID_PARAM;
	pt = fw_token_ref(src);
	if (!pt)
		return FPGA_INVALID_PARAM;
	if (!pt->adapter->fpgaCloneToken || !pt->adapter->fpgaDestroyToken) {
		r = FPGA_NOT_SUPPORTED;
		goto out;
	}
	r = pt->adapter->fpgaCloneToken(pt->plugin_token, &copy);
	if (r != FPGA_OK)
		goto out;
	copy_pt = fw_ptoken_new(pt->adapter, copy);
	*dst = copy_pt ? fw_token_wrap(copy_pt) : NULL;
	if (!*dst) {
		r = FPGA_NO_MEMORY;
		if (copy_pt)
			fw_ptoken_put(copy_pt);
		else
			pt->adapter->fpgaDestroyToken(&copy);
	}
out:
	fw_ptoken_put(pt);
	return r;
}

FW_API fpga_result fpgaDestroyToken(fpga_token *token)
{
	if (!token || !fw_token_drop(*token))
		return FPGA_INVALID_PARAM;
	*token = NULL;
	return FPGA_OK;
}
