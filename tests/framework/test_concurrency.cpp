// SPDX-License-Identifier: BSD-3-Clause
// test_concurrency.cpp - the framework under many threads (run under
// ThreadSanitizer too, label concurrency): enumeration with shared filters
// while a plugin is being registered, open/MMIO/close, properties shared
// between threads, event handles, and racing destroys/closes of one object
// (exactly one wins, the others get FPGA_INVALID_PARAM).
#include <atomic>
#include <thread>
#include <vector>

#include "fw_test_util.h"

namespace
{
constexpr int kWorkers = 4;
constexpr int kIters = 150;

struct Concurrency : FwTest {
	void SetUp() override
	{
		a = load(REC_PLUGIN_A);
		ASSERT_NE(a, nullptr);
		a->ndevices = 2;
		ASSERT_EQ(fpgaGetProperties(nullptr, &shared_filter), FPGA_OK);
		ASSERT_EQ(fpgaPropertiesSetObjectType(shared_filter, FPGA_ACCELERATOR), FPGA_OK);
	}
	void TearDown() override
	{
		EXPECT_EQ(fpgaDestroyProperties(&shared_filter), FPGA_OK);
		EXPECT_EQ(REC_LOAD(a->live_tokens), 0);
		EXPECT_EQ(REC_LOAD(a->live_handles), 0);
		EXPECT_EQ(REC_LOAD(a->live_events), 0);
		FwTest::TearDown();
	}
	rec_state *a = nullptr;
	fpga_properties shared_filter = nullptr;
	std::atomic<int> failures{0};
};

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			ADD_FAILURE() << #cond;                                                    \
		}                                                                                  \
	} while (0)
} // namespace

TEST_F(Concurrency, EnumerateOpenMmioPropertiesAndCloseFromManyThreads)
{
	std::vector<std::thread> th;
	std::atomic<bool> registered{false};

	for (int w = 0; w < kWorkers; w++) {
		th.emplace_back([&, w] {
			for (int i = 0; i < kIters; i++) {
				fpga_token toks[8];
				uint32_t n = 0;
				CHECK(fpgaEnumerate(&shared_filter, 1, toks, 8, &n) == FPGA_OK);
				CHECK(n >= 2 && n <= 8);
				fpga_handle h = nullptr;
				CHECK(fpgaOpen(toks[i % 2], &h, FPGA_OPEN_SHARED) == FPGA_OK);
				uint64_t off = 0x100 + 8 * (uint64_t)w, v = 0;
				CHECK(fpgaWriteMMIO64(h, 0, off, (uint64_t)i) == FPGA_OK);
				CHECK(fpgaReadMMIO64(h, 0, off, &v) == FPGA_OK);
				CHECK(v == (uint64_t)i);
				fpga_properties p = nullptr;
				fpga_token parent = nullptr;
				CHECK(fpgaGetPropertiesFromHandle(h, &p) == FPGA_OK);
				fpga_result pr = fpgaPropertiesGetParent(p, &parent);
				CHECK(pr == FPGA_OK || pr == FPGA_NOT_FOUND);
				CHECK(fpgaDestroyProperties(&p) == FPGA_OK);
				fpga_token c = nullptr;
				CHECK(fpgaCloneToken(toks[0], &c) == FPGA_OK);
				CHECK(fpgaDestroyToken(&c) == FPGA_OK);
				for (uint32_t k = 0; k < n && k < 8; k++)
					CHECK(fpgaDestroyToken(&toks[k]) == FPGA_OK);
				CHECK(fpgaClose(h) == FPGA_OK);
			}
		});
	}
	// Properties shared between threads, with parents coming and going.
	th.emplace_back([&] {
		fpga_token dev[4];
		uint32_t n = 0;
		fpga_properties q = nullptr;
		CHECK(fpgaGetProperties(nullptr, &q) == FPGA_OK);
		for (int i = 0; i < kIters; i++) {
			CHECK(fpgaEnumerate(nullptr, 0, dev, 4, &n) == FPGA_OK);
			CHECK(fpgaPropertiesSetParent(q, dev[0]) == FPGA_OK);
			CHECK(fpgaPropertiesSetBus(shared_filter, a->bus) == FPGA_OK);
			fpga_properties c = nullptr;
			CHECK(fpgaCloneProperties(q, &c) == FPGA_OK);
			for (uint32_t k = 0; k < n && k < 4; k++)
				CHECK(fpgaDestroyToken(&dev[k]) == FPGA_OK);
			CHECK(fpgaDestroyProperties(&c) == FPGA_OK);
			CHECK(fpgaClearProperties(q) == FPGA_OK);
		}
		CHECK(fpgaDestroyProperties(&q) == FPGA_OK);
	});
	// Event handles on a handle of their own.
	th.emplace_back([&] {
		fpga_token t = nullptr;
		fpga_handle h = nullptr;
		uint32_t n = 0;
		CHECK(fpgaEnumerate(&shared_filter, 1, &t, 1, &n) == FPGA_OK);
		CHECK(fpgaOpen(t, &h, 0) == FPGA_OK);
		for (int i = 0; i < kIters; i++) {
			fpga_event_handle eh = nullptr;
			int fd = -1;
			CHECK(fpgaCreateEventHandle(&eh) == FPGA_OK);
			CHECK(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, (uint32_t)i) ==
			      FPGA_OK);
			CHECK(fpgaGetOSObjectFromEventHandle(eh, &fd) == FPGA_OK);
			CHECK(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh) == FPGA_OK);
			CHECK(fpgaDestroyEventHandle(&eh) == FPGA_OK);
		}
		CHECK(fpgaClose(h) == FPGA_OK);
		CHECK(fpgaDestroyToken(&t) == FPGA_OK);
	});
	// A plugin registered while the others enumerate.
	th.emplace_back([&] {
		CHECK(opae_plugin_mgr_register_plugin(REC_PLUGIN_B, "{}") == 0);
		CHECK(fpgaInitialize(nullptr) == FPGA_OK);
		registered = true;
	});
	for (auto &t : th)
		t.join();
	EXPECT_TRUE(registered);
	EXPECT_EQ(failures, 0);
	rec_state *b = state_of(REC_PLUGIN_B);
	ASSERT_NE(b, nullptr);
	EXPECT_EQ(REC_LOAD(b->live_tokens), 0);
	EXPECT_EQ(REC_LOAD(b->live_handles), 0);
}

TEST_F(Concurrency, RacingDestroysAndClosesHaveExactlyOneWinner)
{
	for (int i = 0; i < kIters; i++) {
		fpga_token t = nullptr, t2 = nullptr;
		fpga_handle h = nullptr;
		uint32_t n = 0;
		ASSERT_EQ(fpgaEnumerate(&shared_filter, 1, &t, 1, &n), FPGA_OK);
		ASSERT_EQ(fpgaCloneToken(t, &t2), FPGA_OK);
		ASSERT_EQ(fpgaOpen(t2, &h, 0), FPGA_OK);
		std::atomic<int> token_ok{0}, close_ok{0};
		std::vector<std::thread> th;
		for (int k = 0; k < 3; k++) {
			th.emplace_back([&, t] {
				fpga_token mine = t;
				if (fpgaDestroyToken(&mine) == FPGA_OK)
					token_ok++;
			});
			th.emplace_back([&, h] {
				if (fpgaClose(h) == FPGA_OK)
					close_ok++;
			});
		}
		for (auto &x : th)
			x.join();
		EXPECT_EQ(token_ok, 1);
		EXPECT_EQ(close_ok, 1);
		ASSERT_EQ(fpgaDestroyToken(&t2), FPGA_OK);
		ASSERT_EQ(REC_LOAD(a->live_handles), 0);
		ASSERT_EQ(REC_LOAD(a->live_tokens), 0);
	}
}
