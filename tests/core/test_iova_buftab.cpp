// test_iova_buftab.cpp - the IOVA allocator and the buffer table alone,
// checked against simple reference models (no mock kernel involved).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

extern "C" {
#include "buftab.h"
#include "iova.h"
}

static uint64_t key_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

struct Model { // reference: a sorted map of free ranges
	std::map<uint64_t, uint64_t> fr;
	void add(uint64_t s, uint64_t l)
	{
		fr[s] = l;
	}
	bool reserve(uint64_t len, uint64_t align, uint64_t *out)
	{
		for (auto it = fr.begin(); it != fr.end(); ++it) {
			uint64_t a = (it->first + align - 1) & ~(align - 1);
			if (a - it->first <= it->second && it->second - (a - it->first) >= len) {
				uint64_t s = it->first, l = it->second;
				fr.erase(it);
				if (a > s)
					fr[s] = a - s;
				if (a + len < s + l)
					fr[a + len] = s + l - (a + len);
				*out = a;
				return true;
			}
		}
		return false;
	}
	void release(uint64_t s, uint64_t l)
	{
		fr[s] = l;
		auto it = fr.find(s);
		auto nx = std::next(it);
		if (nx != fr.end() && s + l == nx->first) {
			it->second += nx->second;
			fr.erase(nx);
		}
		if (it != fr.begin()) {
			auto pv = std::prev(it);
			if (pv->first + pv->second == it->first) {
				pv->second += it->second;
				fr.erase(it);
			}
		}
	}
	uint64_t bytes() const
	{
		uint64_t b = 0;
		for (auto &x : fr)
			b += x.second;
		return b;
	}
};

TEST(Iova, LowestFitAlignmentAndCoalescing)
{
	struct iova_space s;
	iova_init(&s);
	ASSERT_EQ(0, iova_add_free(&s, 0, 0x1000000));
	ASSERT_EQ(0, iova_carve(&s, 0, 0xffff));
	uint64_t a = 0, b = 0, c = 0;
	ASSERT_EQ(0, iova_reserve(&s, 0x1000, 0x1000, &a));
	EXPECT_EQ(0x10000u, a);
	ASSERT_EQ(0, iova_reserve(&s, 0x2000, 0x200000, &b));
	EXPECT_EQ(0x200000u, b);
	ASSERT_EQ(0, iova_reserve(&s, 0x1000, 0x1000, &c));
	EXPECT_EQ(0x11000u, c) << "the gap below the aligned one is used";
	size_t n = 0;
	iova_release(&s, a, 0x1000);
	iova_release(&s, b, 0x2000);
	iova_release(&s, c, 0x1000);
	EXPECT_EQ(0x1000000u - 0x10000u, iova_free_bytes(&s, &n));
	EXPECT_EQ(1u, n) << "everything coalesced back into one range";
	EXPECT_EQ(-ENOSPC, iova_reserve(&s, 0x2000000, 0x1000, &a));
	EXPECT_EQ(-EINVAL, iova_add_free(&s, 0x20000, 0x1000)) << "overlap refused";
	EXPECT_EQ(-EINVAL, iova_reserve(&s, 0x1000, 0x3000, &a)) << "alignment must be 2^n";
	iova_destroy(&s);
}

TEST(Iova, RandomAgainstReferenceModel)
{
	std::mt19937_64 rng(12345);
	struct iova_space s;
	Model m;
	iova_init(&s);
	ASSERT_EQ(0, iova_add_free(&s, 0x10000, 0x4000000));
	ASSERT_EQ(0, iova_add_free(&s, 0x8000000, 0x800000));
	m.add(0x10000, 0x4000000);
	m.add(0x8000000, 0x800000);
	std::vector<std::pair<uint64_t, uint64_t>> live;
	for (int i = 0; i < 20000; i++) {
		if (live.empty() || rng() % 3) {
			uint64_t len = ((rng() % 16) + 1) * 0x1000;
			uint64_t align = (rng() % 8 == 0) ? 0x200000 : 0x1000;
			uint64_t x = 0, y = 0;
			bool ok = m.reserve(len, align, &y);
			int r = iova_reserve(&s, len, align, &x);
			ASSERT_EQ(ok, r == 0) << i;
			if (ok) {
				ASSERT_EQ(y, x) << i;
				live.push_back({x, len});
			}
		} else {
			size_t k = rng() % live.size();
			iova_release(&s, live[k].first, live[k].second);
			m.release(live[k].first, live[k].second);
			live[k] = live.back();
			live.pop_back();
		}
		if (i % 1000 == 0) {
			size_t n = 0;
			ASSERT_EQ(m.bytes(), iova_free_bytes(&s, &n));
			ASSERT_EQ(m.fr.size(), n);
		}
	}
	iova_destroy(&s);
}

static std::vector<std::pair<uint64_t, uint64_t>> free_list(const struct iova_space *s)
{
	struct iova_range_list l;
	std::vector<std::pair<uint64_t, uint64_t>> out;
	EXPECT_EQ(0, iova_free_ranges(s, &l));
	for (size_t i = 0; i < l.n; i++)
		out.push_back({l.r[i].start, l.r[i].len});
	free(l.r);
	return out;
}

TEST(Iova, ReserveAtTakesExactlyAFreeRange)
{
	struct iova_space s;
	iova_init(&s);
	ASSERT_EQ(0, iova_add_free(&s, 0x10000, 0x100000));
	ASSERT_EQ(0, iova_reserve_at(&s, 0x20000, 0x3000));
	using R = std::vector<std::pair<uint64_t, uint64_t>>;
	EXPECT_EQ((R{{0x10000, 0x10000}, {0x23000, 0x110000 - 0x23000}}), free_list(&s));
	EXPECT_EQ(-EBUSY, iova_reserve_at(&s, 0x22000, 0x2000)) << "overlaps the reservation";
	EXPECT_EQ(-EBUSY, iova_reserve_at(&s, 0x0, 0x1000)) << "below the space";
	EXPECT_EQ(-EBUSY, iova_reserve_at(&s, 0x10f000, 0x2000)) << "runs past its end";
	EXPECT_EQ(-EINVAL, iova_reserve_at(&s, 0x10000, 0));
	EXPECT_EQ(-EINVAL, iova_reserve_at(&s, ~0ull - 0xfff, 0x2000)) << "wraps";
	ASSERT_EQ(0, iova_reserve_at(&s, 0x10000, 0x10000)) << "a whole range";
	uint64_t a = 0;
	ASSERT_EQ(0, iova_reserve(&s, 0x1000, 0x1000, &a));
	EXPECT_EQ(0x23000u, a) << "allocation goes around reservations";
	iova_release(&s, 0x20000, 0x3000);
	iova_release(&s, 0x10000, 0x10000);
	iova_release(&s, a, 0x1000);
	EXPECT_EQ((R{{0x10000, 0x100000}}), free_list(&s));
	iova_destroy(&s);
}

TEST(Iova, CarveAndIntersect)
{
	using R = std::vector<std::pair<uint64_t, uint64_t>>;
	struct iova_space s, c;
	iova_init(&s);
	iova_init(&c);
	ASSERT_EQ(0, iova_add_free(&s, 0x0, 0x100000));
	ASSERT_EQ(0, iova_add_free(&s, 0x200000, 0x100000));
	ASSERT_EQ(0, iova_carve(&s, 0x0, 0xffff));
	ASSERT_EQ(0, iova_carve(&s, 0x80000, 0x80fff)) << "a hole in the middle";
	ASSERT_EQ(0, iova_carve(&s, 0x500000, 0x5fffff)) << "nothing free there";
	EXPECT_EQ(-EINVAL, iova_carve(&s, 2, 1));
	EXPECT_EQ((R{{0x10000, 0x70000}, {0x81000, 0x7f000}, {0x200000, 0x100000}}),
	          free_list(&s));
	// constrain by a space free in [0x40000, 0x240000) and [0x280000, top]
	ASSERT_EQ(0, iova_add_free(&c, 0x40000, 0x200000));
	ASSERT_EQ(0, iova_add_free(&c, 0x280000, 0xffffffffffffefffull - 0x280000 + 1));
	struct iova_range_list keep;
	ASSERT_EQ(0, iova_free_ranges(&c, &keep));
	ASSERT_EQ(0, iova_intersect(&s, &keep));
	free(keep.r);
	EXPECT_EQ((R{{0x40000, 0x40000},
	             {0x81000, 0x7f000},
	             {0x200000, 0x40000},
	             {0x280000, 0x80000}}),
	          free_list(&s));
	// an empty constraint leaves nothing free (OPAE applied none)
	struct iova_range_list none = {nullptr, 0, 0};
	ASSERT_EQ(0, iova_intersect(&s, &none));
	EXPECT_TRUE(free_list(&s).empty());
	iova_destroy(&s);
	iova_destroy(&c);
}

TEST(Buftab, InsertFindRemoveGrowAndPop)
{
	struct buftab t;
	ASSERT_EQ(0, buftab_init(&t));
	const size_t n = 5000;
	std::vector<buf_rec> recs(n);
	for (size_t i = 0; i < n; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].pub.buffer_ptr = (uint8_t *)(uintptr_t)(0x7f0000000000ull + i * 0x1000);
		ASSERT_EQ(0, buftab_insert(&t, key_of(recs[i].pub.buffer_ptr), &recs[i]));
	}
	EXPECT_GE(t.nslots, 2 * n) << "the table grew (at most half full)";
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(&recs[i], buftab_find(&t, key_of(recs[i].pub.buffer_ptr)));
	EXPECT_EQ(nullptr, buftab_find(&t, key_of(recs[3].pub.buffer_ptr + 1)));
	EXPECT_EQ(&recs[7], buftab_remove(&t, key_of(recs[7].pub.buffer_ptr)));
	EXPECT_EQ(nullptr, buftab_remove(&t, key_of(recs[7].pub.buffer_ptr)));
	EXPECT_EQ(nullptr, buftab_find(&t, key_of(recs[7].pub.buffer_ptr)));
	size_t popped = 0;
	while (buftab_pop(&t))
		popped++;
	EXPECT_EQ(n - 1, popped);
	EXPECT_EQ(0u, t.count);
	buftab_destroy(&t);
}

TEST(Buftab, RandomInsertRemoveAgainstStdMap)
{
	std::mt19937_64 rng(777);
	struct buftab t;
	ASSERT_EQ(0, buftab_init(&t));
	std::vector<buf_rec> recs(3000);
	std::map<uint64_t, buf_rec *> model;
	for (int i = 0; i < 60000; i++) {
		size_t k = rng() % recs.size();
		// few distinct pages so probe runs collide and wrap
		uint64_t key = 0x10000000ull + (uint64_t)k * 0x1000;
		if (model.count(key)) {
			ASSERT_EQ(model[key], buftab_remove(&t, key));
			model.erase(key);
		} else {
			memset(&recs[k], 0, sizeof(recs[k]));
			recs[k].pub.buffer_ptr = (uint8_t *)(uintptr_t)key;
			ASSERT_EQ(0, buftab_insert(&t, key, &recs[k]));
			model[key] = &recs[k];
		}
		if (i % 5000 == 0) {
			ASSERT_EQ(model.size(), t.count);
			for (auto &m : model)
				ASSERT_EQ(m.second, buftab_find(&t, m.first));
		}
	}
	size_t popped = 0;
	while (buf_rec *b = buftab_pop(&t)) {
		ASSERT_EQ(1u, model.count(key_of(b->pub.buffer_ptr)));
		popped++;
	}
	EXPECT_EQ(model.size(), popped);
	buftab_destroy(&t);
}
