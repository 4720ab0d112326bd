// SPDX-License-Identifier: BSD-3-Clause
// test_trap.cpp - tests of the mock kernel's MMIO trap (tests/mock/trap.c):
// loads/stores of every width, string and SSE instructions, threads, chaining.
//
// A fake "device" backs a memfd with two mappings: the program's (trapped)
// and the device's own (never trapped). Computed registers (page 0, and the
// lower half of pages 4..7): before_load writes value_at(off) there.
// Liveness registers as in QEMU's edu device (page 1, and the upper half of
// pages 4..7): after_store replaces the stored 32-bit word x by ~x. Pages 2
// and 3 are plain storage. Every callback is logged (offset, and for stores
// the 8 bytes around the stored ones).

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <immintrin.h>

extern "C" {
#include "trap.h"
}

namespace
{

constexpr size_t kPage = 4096;
constexpr size_t kLogMax = 1 << 16;

struct StoreRecord {
	uint64_t off;
	uint64_t value; // 8 bytes of device memory at off & ~7 after the store
};

// Computed register value of the 8-byte word at `off` (aligned down).
uint64_t value_at(uint64_t off)
{
	uint64_t w = off & ~7ull;
	return 0xC0DE000000000000ull | (w << 16) | (w ^ 0x5a5a);
}

struct FakeDev {
	int fd = -1;
	size_t len = 0;
	uint8_t *prog = nullptr; // the program's view (trapped)
	uint8_t *dev = nullptr;  // the device's view
	std::atomic<unsigned> loads{0};
	std::atomic<unsigned> stores{0};
	uint64_t load_off[kLogMax];
	StoreRecord store_log[kLogMax];
	int clobber_errno = 0; // callbacks set errno to this when non-zero

	explicit FakeDev(size_t pages)
	{
		len = pages * kPage;
		fd = memfd_create("fake-bar", 0);
		EXPECT_GE(fd, 0);
		EXPECT_EQ(ftruncate(fd, (off_t)len), 0);
		prog = static_cast<uint8_t *>(
		    mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
		dev = static_cast<uint8_t *>(
		    mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
		EXPECT_NE(prog, MAP_FAILED);
		EXPECT_NE(dev, MAP_FAILED);
	}
	~FakeDev()
	{
		munmap(prog, len);
		munmap(dev, len);
		close(fd);
	}

	static bool computed(uint64_t off)
	{
		return off < kPage || (off >= 4 * kPage && off % kPage < kPage / 2);
	}
	static bool liveness(uint64_t off)
	{
		return (off >= kPage && off < 2 * kPage) ||
		       (off >= 4 * kPage && off % kPage >= kPage / 2);
	}

	static void before_load(void *ctx, uint64_t off)
	{
		auto *d = static_cast<FakeDev *>(ctx);
		unsigned n = d->loads.fetch_add(1, std::memory_order_relaxed);
		if (n < kLogMax)
			d->load_off[n] = off;
		if (computed(off)) {
			uint64_t v = value_at(off);
			memcpy(d->dev + (off & ~7ull), &v, 8);
		}
		if (d->clobber_errno)
			errno = d->clobber_errno;
	}

	static void after_store(void *ctx, uint64_t off)
	{
		auto *d = static_cast<FakeDev *>(ctx);
		unsigned n = d->stores.fetch_add(1, std::memory_order_relaxed);
		if (n < kLogMax) {
			d->store_log[n].off = off;
			memcpy(&d->store_log[n].value, d->dev + (off & ~7ull), 8);
		}
		if (liveness(off)) {
			uint32_t x;
			memcpy(&x, d->dev + (off & ~3ull), 4);
			x = ~x;
			memcpy(d->dev + (off & ~3ull), &x, 4);
		}
		if (d->clobber_errno)
			errno = d->clobber_errno;
	}

	int trap()
	{
		static const trap_ops ops = {before_load, after_store};
		return trap_add(prog, len, &ops, this);
	}
};

class Trap : public ::testing::Test
{
      protected:
	void SetUp() override
	{
		ASSERT_EQ(trap_install(), 0);
		d = new FakeDev(8);
		ASSERT_EQ(d->trap(), 0);
	}
	void TearDown() override
	{
		trap_remove(d->prog, d->len);
		delete d;
	}
	FakeDev *d = nullptr;
};

// Tests with several threads (ctest label "concurrency" too, for TSan runs).
class TrapConcurrency : public Trap
{
};

template <typename T> T load(const uint8_t *base, uint64_t off)
{
	return *reinterpret_cast<const volatile T *>(base + off);
}

template <typename T> void store(uint8_t *base, uint64_t off, T v)
{
	*reinterpret_cast<volatile T *>(base + off) = v;
}

TEST_F(Trap, LoadsOfEveryWidthSeeComputedValue)
{
	const uint64_t off = 0x88;
	uint64_t want = value_at(off);

	EXPECT_EQ(load<uint8_t>(d->prog, off + 3), (uint8_t)(want >> 24));
	EXPECT_EQ(load<uint16_t>(d->prog, off + 2), (uint16_t)(want >> 16));
	EXPECT_EQ(load<uint32_t>(d->prog, off + 4), (uint32_t)(want >> 32));
	EXPECT_EQ(load<uint64_t>(d->prog, off), want);
	ASSERT_EQ(d->loads.load(), 4u);
	EXPECT_EQ(d->load_off[0], off + 3);
	EXPECT_EQ(d->load_off[1], off + 2);
	EXPECT_EQ(d->load_off[2], off + 4);
	EXPECT_EQ(d->load_off[3], off);
	EXPECT_EQ(d->stores.load(), 0u);
}

TEST_F(Trap, StoresOfEveryWidthReachTheDevice)
{
	store<uint8_t>(d->prog, 0x10, 0x11);
	store<uint16_t>(d->prog, 0x22, 0x2233);
	store<uint32_t>(d->prog, 0x34, 0x44556677);
	store<uint64_t>(d->prog, 0x48, 0x8877665544332211ull);
	ASSERT_EQ(d->stores.load(), 4u);
	EXPECT_EQ(d->store_log[0].off, 0x10u);
	EXPECT_EQ(d->store_log[0].value & 0xff, 0x11u);
	EXPECT_EQ(d->store_log[1].off, 0x22u);
	EXPECT_EQ((d->store_log[1].value >> 16) & 0xffff, 0x2233u);
	EXPECT_EQ(d->store_log[2].off, 0x34u);
	EXPECT_EQ(d->store_log[2].value >> 32, 0x44556677u);
	EXPECT_EQ(d->store_log[3].off, 0x48u);
	EXPECT_EQ(d->store_log[3].value, 0x8877665544332211ull);
	EXPECT_EQ(d->loads.load(), 0u);
}

TEST_F(Trap, ReadAfterWriteSeesModelLiveness)
{
	for (uint32_t x : {0u, 1u, 0x12345678u, 0xffffffffu}) {
		store<uint32_t>(d->prog, kPage + 4, x);
		EXPECT_EQ(load<uint32_t>(d->prog, kPage + 4), ~x);
	}
	EXPECT_EQ(d->stores.load(), 4u);
	EXPECT_EQ(d->loads.load(), 4u);
}

TEST_F(Trap, PagesAreClosedAgainAfterEachAccess)
{
	// Each access must fault anew: no page is left open behind us.
	for (int i = 0; i < 100; i++)
		(void)load<uint32_t>(d->prog, (i % 4) * kPage + 8);
	EXPECT_EQ(d->loads.load(), 100u);
}

// Unaligned 8-byte accesses (a plain mov; UBSan rejects misaligned C++ loads).
uint64_t load_unaligned64(const uint8_t *p)
{
	uint64_t v;
	asm volatile("movq %1, %0" : "=r"(v) : "m"(*(const uint8_t(*)[8])p));
	return v;
}

void store_unaligned64(uint8_t *p, uint64_t v)
{
	asm volatile("movq %1, %0" : "=m"(*(uint8_t(*)[8])p) : "r"(v));
}

TEST_F(Trap, AccessSpanningTwoTrappedPages)
{
	// An unaligned 8-byte load/store across the page 0 / page 1 boundary
	// faults twice within one instruction.
	uint64_t v;
	memcpy(d->dev + kPage - 4, "ABCDEFGH", 8);
	v = load_unaligned64(d->prog + kPage - 4);
	uint64_t computed_lo = value_at(kPage - 8) >> 32;
	uint32_t hi;
	memcpy(&hi, "EFGH", 4);
	EXPECT_EQ(v, computed_lo | ((uint64_t)hi << 32));
	ASSERT_EQ(d->loads.load(), 2u);
	EXPECT_EQ(d->load_off[0], kPage - 4);
	EXPECT_EQ(d->load_off[1], kPage);

	store_unaligned64(d->prog + 3 * kPage - 2, 0x0102030405060708ull);
	ASSERT_EQ(d->stores.load(), 2u);
	EXPECT_EQ(d->store_log[0].off, 3 * kPage - 2);
	EXPECT_EQ(d->store_log[1].off, 3 * kPage);
	uint64_t back;
	memcpy(&back, d->dev + 3 * kPage - 2, 8);
	EXPECT_EQ(back, 0x0102030405060708ull);
}

void rep_movsb(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

void rep_stosd(void *dst, uint32_t v, size_t n)
{
	asm volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
}

TEST_F(Trap, RepMovsbIntoAndOutOfTrappedPage)
{
	uint8_t src[256], back[256];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	rep_movsb(d->prog + 2 * kPage + 100, src, sizeof(src));
	EXPECT_EQ(memcmp(d->dev + 2 * kPage + 100, src, sizeof(src)), 0);
	// Single-stepping a rep instruction traps after every iteration.
	ASSERT_EQ(d->stores.load(), (unsigned)sizeof(src));
	for (unsigned i = 0; i < sizeof(src); i++)
		ASSERT_EQ(d->store_log[i].off, 2 * kPage + 100 + i);

	rep_movsb(back, d->prog + 2 * kPage + 100, sizeof(back));
	EXPECT_EQ(memcmp(back, src, sizeof(src)), 0);
	EXPECT_EQ(d->loads.load(), (unsigned)sizeof(back));
}

TEST_F(Trap, RepMovsbWithinOnePageSeesLoadAndStore)
{
	// Source and destination on the same trapped page: opened read-only
	// for the load, the store faults again and is reported.
	memcpy(d->dev + 3 * kPage, "0123456789", 10);
	rep_movsb(d->prog + 3 * kPage + 100, d->prog + 3 * kPage, 10);
	EXPECT_EQ(memcmp(d->dev + 3 * kPage + 100, "0123456789", 10), 0);
	EXPECT_EQ(d->loads.load(), 10u);
	ASSERT_EQ(d->stores.load(), 10u);
	EXPECT_EQ(d->store_log[9].off, 3 * kPage + 109);
}

TEST_F(Trap, RepStosAndMemcpyOverWholePage)
{
	rep_stosd(d->prog + 3 * kPage, 0xdeadbeef, kPage / 4);
	for (size_t i = 0; i < kPage; i += 4)
		ASSERT_EQ(*(uint32_t *)(d->dev + 3 * kPage + i), 0xdeadbeefu);
	EXPECT_EQ(d->stores.load(), (unsigned)(kPage / 4));

	static uint8_t pattern[kPage], back[kPage];
	for (size_t i = 0; i < kPage; i++)
		pattern[i] = (uint8_t)(i ^ (i >> 8));
	unsigned stores_before = d->stores.load();
	memcpy(d->prog + 2 * kPage, pattern, kPage);
	EXPECT_EQ(memcmp(d->dev + 2 * kPage, pattern, kPage), 0);
	EXPECT_GT(d->stores.load(), stores_before);

	memcpy(back, d->prog + 2 * kPage, kPage);
	EXPECT_EQ(memcmp(back, pattern, kPage), 0);
	EXPECT_GT(d->loads.load(), 0u);
}

TEST_F(Trap, Sse128LoadAndStore)
{
	alignas(16) uint8_t in[16], out[16];
	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(0xf0 + i);
	__m128i v = _mm_load_si128(reinterpret_cast<const __m128i *>(in));
	asm volatile("movdqa %1, %0" : "=m"(*(__m128i *)(d->prog + 2 * kPage + 0x40)) : "x"(v));
	EXPECT_EQ(memcmp(d->dev + 2 * kPage + 0x40, in, 16), 0);
	ASSERT_EQ(d->stores.load(), 1u);
	EXPECT_EQ(d->store_log[0].off, 2 * kPage + 0x40);

	__m128i r;
	asm volatile("movdqu %1, %0" : "=x"(r) : "m"(*(const __m128i *)(d->prog + 0x20)));
	_mm_store_si128(reinterpret_cast<__m128i *>(out), r);
	uint64_t w0 = value_at(0x20), w1;
	memcpy(&w1, d->dev + 0x28, 8); // not computed: only 0x20 was loaded
	EXPECT_EQ(memcmp(out, &w0, 8), 0);
	EXPECT_EQ(memcmp(out + 8, &w1, 8), 0);
	ASSERT_EQ(d->loads.load(), 1u);
	EXPECT_EQ(d->load_off[0], 0x20u);
}

__attribute__((target("avx"))) void avx_copy(uint8_t *dst, const uint8_t *src)
{
	asm volatile("vmovdqu %1, %%ymm0\n\tvmovdqu %%ymm0, %0\n\tvzeroupper"
	             : "=m"(*(uint8_t(*)[32])dst)
	             : "m"(*(const uint8_t(*)[32])src)
	             : "xmm0", "memory");
}

TEST_F(Trap, Avx256LoadAndStoreWhenAvailable)
{
	if (!__builtin_cpu_supports("avx"))
		GTEST_SKIP() << "CPU without AVX";
	uint8_t in[32], out[32];
	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)(3 * i);
	avx_copy(d->prog + 3 * kPage + 0x100, in);
	EXPECT_EQ(memcmp(d->dev + 3 * kPage + 0x100, in, 32), 0);
	EXPECT_EQ(d->stores.load(), 1u);
	avx_copy(out, d->prog + 3 * kPage + 0x100);
	EXPECT_EQ(memcmp(out, in, 32), 0);
	EXPECT_EQ(d->loads.load(), 1u);
}

TEST_F(Trap, ErrnoSurvivesTrappedAccess)
{
	d->clobber_errno = EIO; // callbacks make failing calls; the program must not notice
	// The barriers keep the compiler from folding errno across the access.
	errno = ENOTTY;
	asm volatile("" ::: "memory");
	(void)load<uint32_t>(d->prog, 8);
	asm volatile("" ::: "memory");
	EXPECT_EQ(errno, ENOTTY);
	errno = EAGAIN;
	asm volatile("" ::: "memory");
	store<uint32_t>(d->prog, 8, 1);
	asm volatile("" ::: "memory");
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(d->loads.load(), 1u);
	EXPECT_EQ(d->stores.load(), 1u);
}

TEST_F(Trap, RemoveRestoresPlainAccess)
{
	store<uint32_t>(d->prog, kPage + 8, 5);
	trap_remove(d->prog, d->len);
	unsigned loads = d->loads.load(), stores = d->stores.load();
	EXPECT_EQ(load<uint32_t>(d->prog, kPage + 8), ~5u);
	store<uint32_t>(d->prog, kPage + 8, 7);
	EXPECT_EQ(load<uint32_t>(d->prog, kPage + 8), 7u); // plain memory now
	EXPECT_EQ(d->loads.load(), loads);
	EXPECT_EQ(d->stores.load(), stores);
	// Trapping again works, and TearDown's second remove is harmless.
	ASSERT_EQ(d->trap(), 0);
	EXPECT_EQ(load<uint32_t>(d->prog, 0x30), (uint32_t)value_at(0x30));
	EXPECT_EQ(d->loads.load(), loads + 1);
}

TEST(TrapArgs, BadInputsAreRejectedAndLeaveNothingTrapped)
{
	FakeDev d(2);
	static const trap_ops ops = {FakeDev::before_load, FakeDev::after_store};
	EXPECT_EQ(trap_add(d.prog + 1, kPage, &ops, &d), -EINVAL);
	EXPECT_EQ(trap_add(d.prog, 0, &ops, &d), -EINVAL);
	EXPECT_EQ(trap_add(d.prog, kPage, nullptr, &d), -EINVAL);
	EXPECT_EQ(trap_add(nullptr, kPage, &ops, &d), -EINVAL);
	ASSERT_EQ(trap_add(d.prog, kPage, &ops, &d), 0);
	EXPECT_EQ(trap_add(d.prog, 2 * kPage, &ops, &d), -EINVAL); // overlap
	// The failed calls left page 1 untouched and page 0 trapped once.
	store<uint32_t>(d.prog, kPage, 3);
	EXPECT_EQ(d.stores.load(), 0u);
	store<uint32_t>(d.prog, 0, 3);
	EXPECT_EQ(d.stores.load(), 1u);
	trap_remove(d.prog + kPage, kPage); // not a trapped range: ignored
	store<uint32_t>(d.prog, 0, 4);
	EXPECT_EQ(d.stores.load(), 2u);
	trap_remove(d.prog, kPage);
	store<uint32_t>(d.prog, 0, 5);
	EXPECT_EQ(d.stores.load(), 2u);
}

TEST(TrapArgs, UnmappedRangeFailsAndLeavesNothingTrapped)
{
	FakeDev d(2);
	static const trap_ops ops = {FakeDev::before_load, FakeDev::after_store};
	ASSERT_EQ(munmap(d.prog + kPage, kPage), 0);
	EXPECT_EQ(trap_add(d.prog, 2 * kPage, &ops, &d), -ENOMEM);
	store<uint32_t>(d.prog, 0, 9); // plain memory, not trapped
	EXPECT_EQ(d.stores.load(), 0u);
	EXPECT_EQ(*(uint32_t *)d.dev, 9u);
	ASSERT_EQ(trap_add(d.prog, kPage, &ops, &d), 0); // the slot was not kept
	trap_remove(d.prog, kPage);
	d.len = kPage; // the destructor unmaps what is left
	munmap(d.dev + kPage, kPage);
}

struct ReentrantCtx {
	uint8_t *page;
	int add_ret;
};

void reenter_add(void *ctx, uint64_t)
{
	auto *c = static_cast<ReentrantCtx *>(ctx);
	static const trap_ops none = {nullptr, nullptr};
	c->add_ret = trap_add(c->page + kPage, kPage, &none, nullptr);
}

TEST(TrapArgs, TrapAddFromCallbackIsRefused)
{
	FakeDev d(2);
	ReentrantCtx c = {d.prog, 0};
	static const trap_ops ops = {reenter_add, nullptr};
	ASSERT_EQ(trap_add(d.prog, kPage, &ops, &c), 0);
	(void)load<uint32_t>(d.prog, 0);
	EXPECT_EQ(c.add_ret, -EDEADLK);
	trap_remove(d.prog, kPage);
}

TEST(TrapArgs, RegistryFullGivesEnospc)
{
	FakeDev d(TRAP_MAX_RANGES + 1);
	static const trap_ops ops = {FakeDev::before_load, FakeDev::after_store};
	unsigned added = 0;
	int ret = 0;
	for (unsigned i = 0; i <= TRAP_MAX_RANGES; i++) {
		ret = trap_add(d.prog + i * kPage, kPage, &ops, &d);
		if (ret)
			break;
		added++;
	}
	EXPECT_EQ(ret, -ENOSPC);
	EXPECT_EQ(added, (unsigned)TRAP_MAX_RANGES);
	// The last page was not trapped by the failed call.
	store<uint32_t>(d.prog, TRAP_MAX_RANGES * kPage, 1);
	EXPECT_EQ(d.stores.load(), 0u);
	store<uint32_t>(d.prog, (TRAP_MAX_RANGES - 1) * kPage, 1);
	EXPECT_EQ(d.stores.load(), 1u);
	for (unsigned i = 0; i < added; i++)
		trap_remove(d.prog + i * kPage, kPage);
}

struct ThreadArg {
	FakeDev *d;
	unsigned id;
	unsigned iterations;
	unsigned mismatches;
	pthread_barrier_t *start;
};

void *hammer(void *p)
{
	auto *a = static_cast<ThreadArg *>(p);
	// Each thread owns page 4 + id: a liveness register in its upper half
	// and computed registers in its lower half. Threads on the same page
	// would race with the documented window (see trap.h).
	uint64_t page = (4 + a->id) * kPage;
	uint64_t reg = page + kPage / 2 + 4 * a->id;
	for (unsigned i = 0; i < a->iterations; i++) {
		uint32_t x = (a->id << 24) | i;
		store<uint32_t>(a->d->prog, reg, x);
		if (load<uint32_t>(a->d->prog, reg) != ~x)
			a->mismatches++;
		uint64_t off = page + 8 * (i % 16);
		if (load<uint64_t>(a->d->prog, off) != value_at(off))
			a->mismatches++;
	}
	return nullptr;
}

TEST_F(TrapConcurrency, FourThreadsAtOnceSeeTheirOwnResults)
{
	constexpr unsigned kThreads = 4, kIter = 2000;
	pthread_t t[kThreads];
	ThreadArg args[kThreads];
	for (unsigned i = 0; i < kThreads; i++) {
		args[i] = {d, i, kIter, 0, nullptr};
		ASSERT_EQ(pthread_create(&t[i], nullptr, hammer, &args[i]), 0);
	}
	for (unsigned i = 0; i < kThreads; i++)
		pthread_join(t[i], nullptr);
	for (unsigned i = 0; i < kThreads; i++)
		EXPECT_EQ(args[i].mismatches, 0u) << "thread " << i;
	// No lost stores: every store reached after_store exactly once.
	EXPECT_EQ(d->stores.load(), kThreads * kIter);
	EXPECT_EQ(d->loads.load(), 2 * kThreads * kIter);
	unsigned per_thread[kThreads] = {}, foreign = 0;
	for (unsigned i = 0; i < d->stores.load() && i < kLogMax; i++) {
		uint64_t off = d->store_log[i].off;
		unsigned id = (unsigned)(off / kPage) - 4;
		if (off >= 4 * kPage && id < kThreads &&
		    off == (4 + id) * kPage + kPage / 2 + 4 * id)
			per_thread[id]++;
		else if (foreign++ < 5)
			ADD_FAILURE() << "store logged at unexpected offset " << off;
	}
	EXPECT_EQ(foreign, 0u);
	for (unsigned i = 0; i < kThreads; i++)
		EXPECT_EQ(per_thread[i], kIter) << "thread " << i;
}

void *hammer_shared_page(void *p)
{
	auto *a = static_cast<ThreadArg *>(p);
	// All threads on the same two pages: each step would leave the page
	// open to the others if they were not parked meanwhile. A thread is
	// known to the trap (and parked) from its first trapped access on, so
	// each one makes one on a page of its own before the race starts.
	(void)load<uint32_t>(a->d->prog, (4 + a->id) * kPage);
	pthread_barrier_wait(a->start);
	uint64_t reg = kPage + 64 * a->id;
	for (unsigned i = 0; i < a->iterations; i++) {
		uint32_t x = (a->id << 24) | i;
		store<uint32_t>(a->d->prog, reg, x);
		if (load<uint32_t>(a->d->prog, reg) != ~x)
			a->mismatches++;
		uint64_t off = 8 * (a->id * 16 + i % 16);
		if (load<uint64_t>(a->d->prog, off) != value_at(off))
			a->mismatches++;
	}
	return nullptr;
}

TEST_F(TrapConcurrency, FourThreadsOnOneSharedPageLoseNothing)
{
	constexpr unsigned kThreads = 4, kIter = 1000;
	pthread_t t[kThreads];
	ThreadArg args[kThreads];
	pthread_barrier_t start;
	pthread_barrier_init(&start, nullptr, kThreads);
	for (unsigned i = 0; i < kThreads; i++) {
		args[i] = {d, i, kIter, 0, &start};
		ASSERT_EQ(pthread_create(&t[i], nullptr, hammer_shared_page, &args[i]), 0);
	}
	for (unsigned i = 0; i < kThreads; i++)
		pthread_join(t[i], nullptr);
	pthread_barrier_destroy(&start);
	for (unsigned i = 0; i < kThreads; i++)
		EXPECT_EQ(args[i].mismatches, 0u) << "thread " << i;
	EXPECT_EQ(d->stores.load(), kThreads * kIter);
	EXPECT_EQ(d->loads.load(), 2 * kThreads * kIter + kThreads);
	unsigned per_thread[kThreads] = {}, foreign = 0;
	for (unsigned i = 0; i < d->stores.load() && i < kLogMax; i++) {
		uint64_t off = d->store_log[i].off;
		if (off >= kPage && off < kPage + 64 * kThreads && off % 64 == 0)
			per_thread[(off - kPage) / 64]++;
		else
			foreign++;
	}
	EXPECT_EQ(foreign, 0u);
	for (unsigned i = 0; i < kThreads; i++)
		EXPECT_EQ(per_thread[i], kIter) << "thread " << i;
}

std::atomic<unsigned> usr1_seen;
FakeDev *usr1_dev;

void usr1_handler(int)
{
	int e = errno;
	// An asynchronous handler that itself touches a trapped register.
	if (load<uint64_t>(usr1_dev->prog, 0x400) == value_at(0x400))
		usr1_seen.fetch_add(1);
	errno = e;
}

struct Pelter {
	pthread_t target;
	std::atomic<bool> stop{false};
	unsigned sent = 0;
};

void *pelt(void *p)
{
	auto *s = static_cast<Pelter *>(p);
	while (!s->stop.load()) {
		pthread_kill(s->target, SIGUSR1);
		s->sent++;
		usleep(50);
	}
	return nullptr;
}

TEST_F(TrapConcurrency, AsyncSignalsDuringAccessesDoNotDeadlock)
{
#if defined(__SANITIZE_THREAD__)
	// TSan defers asynchronous handlers and runs them later with every
	// signal blocked, SIGSEGV included: a trapped access there kills the
	// process whatever the trap does.
	GTEST_SKIP() << "TSan runs deferred handlers with SIGSEGV blocked";
#endif
	struct sigaction sa = {}, old;
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	usr1_dev = d;
	usr1_seen = 0;
	Pelter s;
	s.target = pthread_self();
	pthread_t t;
	ASSERT_EQ(pthread_create(&t, nullptr, pelt, &s), 0);
	unsigned bad = 0;
	for (unsigned i = 0; i < 20000; i++) {
		store<uint32_t>(d->prog, kPage, i);
		if (load<uint32_t>(d->prog, kPage) != ~i)
			bad++;
	}
	s.stop = true;
	pthread_join(t, nullptr);
	sigaction(SIGUSR1, &old, nullptr);
	EXPECT_EQ(bad, 0u);
	EXPECT_GT(usr1_seen.load(), 0u);
	printf("async signals sent %u, handled with a trapped load %u\n", s.sent, usr1_seen.load());
}

// Fork a child that runs fn; return its wait status.
template <typename F> int in_child(F fn)
{
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

// Without us a sanitizer would catch the SIGSEGV itself and exit with its
// report; a plain build dies of the signal.
void expect_died_of_segv(int status)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
	            (WIFEXITED(status) && WEXITSTATUS(status) != 0))
	    << "status " << status;
#else
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << "status " << status;
#endif
}

TEST_F(Trap, FaultOutsideAnyRangeStillKillsWithSegv)
{
	void *none = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(none, MAP_FAILED);
	int status = in_child([&] {
		(void)load<uint32_t>(d->prog, 0); // trapped: fine
		(void)*(volatile uint32_t *)none; // not ours
		_exit(3);
	});
	expect_died_of_segv(status);
	static volatile uintptr_t unmapped = 16; // opaque: no compile-time bounds warning
	status = in_child([] { (void)*(volatile uint32_t *)unmapped; });
	expect_died_of_segv(status);
	munmap(none, kPage);
}

TEST_F(Trap, ForeignSigtrapStillKills)
{
	int status = in_child([] { asm volatile("int3"); });
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTRAP) << "status " << status;
	status = in_child([] { raise(SIGTRAP); });
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTRAP) << "status " << status;
}

void child_segv_handler(int, siginfo_t *si, void *)
{
	_exit(si->si_code == SEGV_ACCERR ? 42 : 43);
}

TEST_F(Trap, ProgramHandlerInstalledLaterIsChainedAfterReinstall)
{
	void *none = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(none, MAP_FAILED);
	int status = in_child([&] {
		struct sigaction sa = {};
		sa.sa_sigaction = child_segv_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, nullptr); // replaces the trap's handler
		FakeDev other(1);
		if (other.trap() != 0) // re-installs on top, chaining
			_exit(5);
		if (load<uint32_t>(other.prog, 8) != (uint32_t)value_at(8))
			_exit(6);
		(void)*(volatile uint32_t *)none;
		_exit(7);
	});
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
	munmap(none, kPage);
}

void child_plain_handler(int)
{
	_exit(44);
}

TEST_F(Trap, PlainAndIgnoredPreviousHandlersAreHonoured)
{
	void *none = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(none, MAP_FAILED);
	// A handler without SA_SIGINFO gets the signal number only.
	int status = in_child([&] {
		signal(SIGSEGV, child_plain_handler);
		FakeDev other(1);
		if (other.trap() != 0)
			_exit(5);
		(void)load<uint32_t>(other.prog, 0);
		(void)*(volatile uint32_t *)none;
		_exit(7);
	});
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 44) << "status " << status;
	// SIGSEGV ignored: a real fault still kills, as the kernel does.
	status = in_child([&] {
		signal(SIGSEGV, SIG_IGN);
		FakeDev other(1);
		if (other.trap() != 0)
			_exit(5);
		(void)load<uint32_t>(other.prog, 0);
		(void)*(volatile uint32_t *)none;
		_exit(7);
	});
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << "status " << status;
	// A SIGSEGV sent with kill() is not a trapped access: default action.
	status = in_child([] { raise(SIGSEGV); });
	expect_died_of_segv(status);
	munmap(none, kPage);
}

struct Remover {
	FakeDev *d;
	std::atomic<bool> removed{false};
	unsigned after_removal = 0;
	unsigned bad = 0;
};

void *access_during_remove(void *p)
{
	auto *r = static_cast<Remover *>(p);
	// Stores whose effect is checked only once the range is plain memory.
	for (unsigned i = 0; i < 200000; i++) {
		bool was_removed = r->removed.load();
		store<uint32_t>(r->d->prog, 2 * kPage + 8, i);
		if (load<uint32_t>(r->d->prog, 2 * kPage + 8) != i)
			r->bad++;
		if (was_removed && ++r->after_removal == 200)
			break;
	}
	return nullptr;
}

TEST_F(TrapConcurrency, RemoveWhileAnotherThreadAccessesTheRange)
{
	Remover r;
	r.d = d;
	pthread_t t;
	ASSERT_EQ(pthread_create(&t, nullptr, access_during_remove, &r), 0);
	while (d->stores.load() < 200)
		sched_yield();
	trap_remove(d->prog, d->len);
	r.removed = true;
	unsigned stores = d->stores.load();
	pthread_join(t, nullptr);
	EXPECT_EQ(r.bad, 0u);
	EXPECT_EQ(r.after_removal, 200u);
	EXPECT_EQ(d->stores.load(), stores); // nothing reached the model after removal
	ASSERT_EQ(d->trap(), 0);             // for TearDown
}

double now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Cost figures for the log (not asserted: timing is not a unit-test matter).
TEST_F(Trap, CostOfOneTrappedAccessIsPrinted)
{
	constexpr unsigned n = 20000;
	uint32_t sink = 0;
	double t0 = now_ns();
	for (unsigned i = 0; i < n; i++)
		sink += load<uint32_t>(d->prog, 0x40);
	double t1 = now_ns();
	for (unsigned i = 0; i < n; i++)
		store<uint32_t>(d->prog, 2 * kPage + 0x40, i);
	double t2 = now_ns();
	EXPECT_EQ(sink, n * (uint32_t)value_at(0x40));
	EXPECT_EQ(d->loads.load(), n);
	EXPECT_EQ(d->stores.load(), n);
	printf("trapped 32-bit load: %.0f ns, trapped 32-bit store: %.0f ns\n", (t1 - t0) / n,
	       (t2 - t1) / n);
}

} // namespace
