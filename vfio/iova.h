/* iova.h - the IOVA space of one container: free ranges, first-fit aligned
 * allocation (lowest address first) and coalescing release, all O(log n). */
#ifndef VFIO_IOVA_H
#define VFIO_IOVA_H

#include <stddef.h>
#include <stdint.h>

struct iova_node;

struct iova_space {
	struct iova_node *root;  /* treap of free ranges keyed by start */
	struct iova_node *spare; /* pre-allocated nodes, so release never allocates */
	size_t nspare;
	size_t nlive;  /* reservations outstanding */
	uint32_t seed; /* treap priorities */
};

void iova_init(struct iova_space *s);
void iova_destroy(struct iova_space *s);

/* Add [start, start+len) as free space (at set-up). 0 or -ENOMEM/-EINVAL
 * (overlap with existing free space). */
int iova_add_free(struct iova_space *s, uint64_t start, uint64_t len);

/* Remove [first, last] from the free space wherever it is free (the guard
 * below 64 KiB, constraints from another container). 0 or -ENOMEM (then part
 * of the range may still be free). */
int iova_carve(struct iova_space *s, uint64_t first, uint64_t last);

/* Reserve `len` bytes aligned to `align` (power of two) at the lowest
 * possible address. 0 and *out, or -ENOSPC / -ENOMEM. */
int iova_reserve(struct iova_space *s, uint64_t len, uint64_t align, uint64_t *out);

/* Reserve exactly [start, start+len) if all of it is free. 0, -EBUSY (not
 * wholly free), -EINVAL or -ENOMEM. Released with iova_release. */
int iova_reserve_at(struct iova_space *s, uint64_t start, uint64_t len);

/* Give back a range obtained from iova_reserve (never fails). */
void iova_release(struct iova_space *s, uint64_t start, uint64_t len);

/* Total free bytes and number of free ranges (for tests and debugging). */
uint64_t iova_free_bytes(const struct iova_space *s, size_t *nranges);

/* A snapshot of the free ranges in address order. */
struct iova_range_list {
	struct {
		uint64_t start, len;
	} *r;
	size_t n, cap;
};
/* Fill out (caller frees out->r). 0 or -ENOMEM. */
int iova_free_ranges(const struct iova_space *s, struct iova_range_list *out);
/* Keep free only what is also free in `keep` (address order). 0 or -ENOMEM. */
int iova_intersect(struct iova_space *s, const struct iova_range_list *keep);

#endif
