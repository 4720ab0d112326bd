/* iova.c - IOVA allocator: free ranges in a treap ordered by start address and
 * augmented with the largest free length of each subtree. Reservation finds
 * the lowest aligned fit by pruning subtrees whose largest range is too small;
 * release coalesces with the neighbours. Every reservation puts one node in a
 * spare pool first, so a release (which may need a node) can never fail. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "iova.h"

struct iova_node {
	uint64_t start;
	uint64_t len;
	uint64_t maxlen; /* largest len in this subtree */
	uint32_t prio;
	struct iova_node *kid[2]; /* [0] lower starts, [1] higher; [1] links the spare pool */
};

static uint64_t node_max(const struct iova_node *n)
{
	return n ? n->maxlen : 0;
}

static void node_fix(struct iova_node *n)
{
	uint64_t m = n->len;

	if (node_max(n->kid[0]) > m)
		m = node_max(n->kid[0]);
	if (node_max(n->kid[1]) > m)
		m = node_max(n->kid[1]);
	n->maxlen = m;
}

static uint32_t iova_rand(struct iova_space *s)
{
	/* xorshift32: priorities need only be well spread, not secret */
	uint32_t x = s->seed;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->seed = x;
	return x;
}

/* Lift n's child on `side` (0 lower, 1 higher) into n's place. */
static struct iova_node *rotate(struct iova_node *n, int side)
{
	struct iova_node *c = n->kid[side];

	n->kid[side] = c->kid[!side];
	c->kid[!side] = n;
	node_fix(n);
	node_fix(c);
	return c;
}

static struct iova_node *tr_insert(struct iova_node *t, struct iova_node *n)
{
	int side;

	if (!t)
		return n;
	side = n->start >= t->start;
	t->kid[side] = tr_insert(t->kid[side], n);
	if (t->kid[side]->prio > t->prio)
		return rotate(t, side);
	node_fix(t);
	return t;
}

/* Unlink the node with this start (it must exist). */
static struct iova_node *tr_remove(struct iova_node *t, uint64_t start)
{
	if (!t)
		return NULL;
	if (start != t->start) {
		int side = start > t->start;

		t->kid[side] = tr_remove(t->kid[side], start);
	} else if (!t->kid[0] || !t->kid[1]) {
		return t->kid[0] ? t->kid[0] : t->kid[1];
	} else {
		/* lift the child of higher priority, then remove t below it */
		int up = t->kid[0]->prio <= t->kid[1]->prio;

		t = rotate(t, up);
		t->kid[!up] = tr_remove(t->kid[!up], start);
	}
	node_fix(t);
	return t;
}

/* Recompute maxlen along the path to the node with this start, after its
 * length changed in place. */
static void tr_refresh(struct iova_node *t, uint64_t start)
{
	if (!t)
		return;
	if (start < t->start)
		tr_refresh(t->kid[0], start);
	else if (start > t->start)
		tr_refresh(t->kid[1], start);
	node_fix(t);
}

static struct iova_node *spare_get(struct iova_space *s)
{
	struct iova_node *n = s->spare;

	if (n) {
		s->spare = n->kid[1];
		s->nspare--;
	} else {
		n = malloc(sizeof(*n));
		if (!n)
			return NULL;
	}
	n->kid[0] = n->kid[1] = NULL;
	n->prio = iova_rand(s);
	return n;
}

static void spare_put(struct iova_space *s, struct iova_node *n)
{
	/* keep enough spares for every outstanding reservation, plus slack */
	if (s->nspare > s->nlive + 8) {
		free(n);
		return;
	}
	n->kid[1] = s->spare;
	s->spare = n;
	s->nspare++;
}

static int spare_ensure(struct iova_space *s, size_t want)
{
	while (s->nspare < want) {
		struct iova_node *n = malloc(sizeof(*n));

		if (!n)
			return -ENOMEM;
		n->kid[1] = s->spare;
		s->spare = n;
		s->nspare++;
	}
	return 0;
}

static void insert_range(struct iova_space *s, struct iova_node *n, uint64_t start, uint64_t len)
{
	n->start = start;
	n->len = len;
	n->maxlen = len;
	s->root = tr_insert(s->root, n);
}

void iova_init(struct iova_space *s)
{
	s->root = NULL;
	s->spare = NULL;
	s->nspare = 0;
	s->nlive = 0;
	s->seed = 0x9e3779b9u;
}

static void free_tree(struct iova_node *t)
{
	if (!t)
		return;
	free_tree(t->kid[0]);
	free_tree(t->kid[1]);
	free(t);
}

void iova_destroy(struct iova_space *s)
{
	free_tree(s->root);
	while (s->spare) {
		struct iova_node *n = s->spare;

		s->spare = n->kid[1];
		free(n);
	}
	iova_init(s);
}

/* Free range with the largest start <= addr, or NULL. */
static struct iova_node *find_le(struct iova_node *t, uint64_t addr)
{
	struct iova_node *best = NULL;

	while (t) {
		if (t->start <= addr) {
			best = t;
			t = t->kid[1];
		} else {
			t = t->kid[0];
		}
	}
	return best;
}

/* Free range with the smallest start > addr, or NULL. */
static struct iova_node *find_gt(struct iova_node *t, uint64_t addr)
{
	struct iova_node *best = NULL;

	while (t) {
		if (t->start > addr) {
			best = t;
			t = t->kid[0];
		} else {
			t = t->kid[1];
		}
	}
	return best;
}

/* Insert [start, start+len) and merge with touching neighbours. Needs at most
 * one node, taken from the spare pool (callers guarantee one is there). */
static void free_merge(struct iova_space *s, uint64_t start, uint64_t len)
{
	struct iova_node *prev = find_le(s->root, start);
	struct iova_node *next = find_gt(s->root, start);
	int join_prev = prev && prev->start + prev->len == start;
	int join_next = next && start + len == next->start;

	if (join_prev && join_next) {
		uint64_t nlen = next->len, nstart = next->start;

		s->root = tr_remove(s->root, nstart);
		spare_put(s, next);
		prev->len += len + nlen;
		tr_refresh(s->root, prev->start);
	} else if (join_prev) {
		prev->len += len;
		tr_refresh(s->root, prev->start);
	} else if (join_next) {
		/* moving next's start down keeps the order: nothing lies between */
		uint64_t old = next->start;

		s->root = tr_remove(s->root, old);
		next->kid[0] = next->kid[1] = NULL;
		insert_range(s, next, start, next->len + len);
	} else {
		struct iova_node *n = spare_get(s);

		if (n) /* cannot be NULL: see spare_ensure in iova_reserve */
			insert_range(s, n, start, len);
	}
}

int iova_add_free(struct iova_space *s, uint64_t start, uint64_t len)
{
	struct iova_node *prev, *next;

	if (!len || start + len - 1 < start)
		return -EINVAL;
	prev = find_le(s->root, start);
	next = find_gt(s->root, start);
	if ((prev && prev->start + prev->len > start) || (next && start + len > next->start))
		return -EINVAL;
	if (spare_ensure(s, 1))
		return -ENOMEM;
	free_merge(s, start, len);
	return 0;
}

int iova_carve(struct iova_space *s, uint64_t first, uint64_t last)
{
	if (first > last)
		return -EINVAL;
	for (;;) {
		struct iova_node *n, *m;
		uint64_t ns, nlast;

		/* a split needs a node: get it before anything changes */
		if (spare_ensure(s, 1))
			return -ENOMEM;
		n = find_le(s->root, last);
		if (!n || n->start + n->len - 1 < first)
			return 0;
		ns = n->start;
		nlast = n->start + n->len - 1;
		s->root = tr_remove(s->root, ns);
		n->kid[0] = n->kid[1] = NULL;
		m = n;
		if (nlast > last) {
			insert_range(s, m, last + 1, nlast - last);
			m = NULL;
		}
		if (ns < first) {
			insert_range(s, m ? m : spare_get(s), ns, first - ns);
			m = NULL;
		}
		if (m)
			spare_put(s, m);
	}
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static bool fits(const struct iova_node *n, uint64_t len, uint64_t align, uint64_t *at)
{
	uint64_t a = align_up(n->start, align);

	if (a < n->start) /* wrapped */
		return false;
	if (a - n->start > n->len || n->len - (a - n->start) < len)
		return false;
	*at = a;
	return true;
}

/* Lowest node with an aligned fit; subtrees whose largest range is shorter
 * than len cannot hold it and are skipped. */
static struct iova_node *find_fit(struct iova_node *t, uint64_t len, uint64_t align, uint64_t *at)
{
	struct iova_node *r;

	if (!t || t->maxlen < len)
		return NULL;
	r = find_fit(t->kid[0], len, align, at);
	if (r)
		return r;
	if (fits(t, len, align, at))
		return t;
	return find_fit(t->kid[1], len, align, at);
}

/* Take [at, at+len) out of free node n (which holds it); the pieces left on
 * either side stay free. The spare pool holds a node for the split. */
static void take(struct iova_space *s, struct iova_node *n, uint64_t at, uint64_t len)
{
	uint64_t ns = n->start, ne = n->start + n->len;

	s->root = tr_remove(s->root, ns);
	n->kid[0] = n->kid[1] = NULL;
	if (at > ns) {
		insert_range(s, n, ns, at - ns);
		n = NULL;
	}
	if (at + len < ne) {
		insert_range(s, n ? n : spare_get(s), at + len, ne - (at + len));
		n = NULL;
	}
	s->nlive++;
	if (n)
		spare_put(s, n);
}

int iova_reserve(struct iova_space *s, uint64_t len, uint64_t align, uint64_t *out)
{
	struct iova_node *n;
	uint64_t at = 0;

	if (!len || !align || (align & (align - 1)))
		return -EINVAL;
	/* one spare per live reservation (for its release) plus one for a split */
	if (spare_ensure(s, s->nlive + 2))
		return -ENOMEM;
	n = find_fit(s->root, len, align, &at);
	if (!n)
		return -ENOSPC;
	take(s, n, at, len);
	*out = at;
	return 0;
}

int iova_reserve_at(struct iova_space *s, uint64_t start, uint64_t len)
{
	struct iova_node *n;

	if (!len || start + len - 1 < start)
		return -EINVAL;
	if (spare_ensure(s, s->nlive + 2))
		return -ENOMEM;
	n = find_le(s->root, start);
	if (!n || start + len - 1 > n->start + n->len - 1)
		return -EBUSY;
	take(s, n, start, len);
	return 0;
}

static void collect(const struct iova_node *t, struct iova_range_list *out)
{
	if (!t)
		return;
	collect(t->kid[0], out);
	if (out->n < out->cap) {
		out->r[out->n].start = t->start;
		out->r[out->n].len = t->len;
	}
	out->n++;
	collect(t->kid[1], out);
}

int iova_free_ranges(const struct iova_space *s, struct iova_range_list *out)
{
	size_t n;

	iova_free_bytes(s, &n);
	out->n = 0;
	out->cap = n;
	out->r = n ? malloc(n * sizeof(*out->r)) : NULL;
	if (n && !out->r)
		return -ENOMEM;
	collect(s->root, out);
	return 0;
}

int iova_intersect(struct iova_space *s, const struct iova_range_list *keep)
{
	uint64_t next = 0; /* first address not yet looked at */
	size_t i;
	int e;

	for (i = 0; i < keep->n; i++) {
		if (keep->r[i].start > next) {
			e = iova_carve(s, next, keep->r[i].start - 1);
			if (e)
				return e;
		}
		next = keep->r[i].start + keep->r[i].len;
		if (!next) /* the range reached the top of the space */
			return 0;
	}
	return iova_carve(s, next, UINT64_MAX);
}

void iova_release(struct iova_space *s, uint64_t start, uint64_t len)
{
	if (s->nlive)
		s->nlive--;
	free_merge(s, start, len);
}

static void count_tree(const struct iova_node *t, uint64_t *bytes, size_t *n)
{
	if (!t)
		return;
	*bytes += t->len;
	(*n)++;
	count_tree(t->kid[0], bytes, n);
	count_tree(t->kid[1], bytes, n);
}

uint64_t iova_free_bytes(const struct iova_space *s, size_t *nranges)
{
	uint64_t b = 0;
	size_t n = 0;

	count_tree(s->root, &b, &n);
	if (nranges)
		*nranges = n;
	return b;
}
