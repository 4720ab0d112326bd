// SPDX-License-Identifier: BSD-3-Clause
// test_concurrency.cpp - the plugin from several threads (label concurrency,
// also run under ThreadSanitizer): MMIO racing fpgaClose never crashes and
// only ever sees FPGA_OK or FPGA_INVALID_PARAM; enumeration, open and close
// from many threads at once keep the registry consistent.
#include "plugin_test_util.h"

#include <atomic>
#include <thread>

// An untrapped NLB0 page (the mock traps only the AFU's first page), so the
// loop runs at memory speed and the race window is as wide as it gets.
#define PLAIN_OFF 0x1000

TEST_F(PluginTest, CloseRacingMmioNeverCrashes)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_token port = one(f.guid(NLB0_GUID));
	for (int round = 0; round < 40; round++) {
		fpga_handle h = nullptr;
		ASSERT_EQ(FPGA_OK, t->fpgaOpen(port, &h, FPGA_OPEN_SHARED));
		std::atomic<unsigned> ok{0}, bad{0}, other{0}, started{0};
		auto reader = [&](bool write) {
			started++;
			for (;;) {
				uint64_t v = 0;
				// the writer has its own register: only the close may race
				fpga_result r = write ? t->fpgaWriteMMIO64(h, 0, PLAIN_OFF + 8, 5)
				                      : t->fpgaReadMMIO64(h, 0, PLAIN_OFF, &v);
				if (r == FPGA_OK)
					ok++;
				else if (r == FPGA_INVALID_PARAM) {
					bad++;
					return; // closed: every later call fails the same way
				} else
					other++;
			}
		};
		std::thread a(reader, false), b(reader, true), c(reader, false);
		while (started < 3)
			std::this_thread::yield();
		EXPECT_EQ(FPGA_OK, t->fpgaClose(h));
		a.join();
		b.join();
		c.join();
		EXPECT_EQ(3u, bad.load());
		EXPECT_EQ(0u, other.load());
		uint64_t v;
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, PLAIN_OFF, &v));
	}
}

TEST_F(PluginTest, ParallelEnumerateOpenClose)
{
	load(pf_vfs_scenario(4), nullptr);
	uint32_t n = 0;
	enumerate({}, 16, &n);
	ASSERT_EQ(6u, n); // FME, PF port, 4 unidentified VFs
	std::atomic<unsigned> failures{0};
	auto worker = [&](unsigned fn) {
		for (int i = 0; i < 15; i++) {
			fpga_properties fl = nullptr;
			if (fpgaGetProperties(nullptr, &fl) != FPGA_OK ||
			    fpgaPropertiesSetFunction(fl, (uint8_t)fn) != FPGA_OK) {
				failures++;
				return;
			}
			fpga_token tok = nullptr;
			uint32_t m = 0;
			if (t->fpgaEnumerate(&fl, 1, &tok, 1, &m) != FPGA_OK || m != 1) {
				failures++;
				fpgaDestroyProperties(&fl);
				return;
			}
			fpgaDestroyProperties(&fl);
			fpga_handle h = nullptr;
			uint64_t v = 0;
			if (t->fpgaOpen(tok, &h, 0) != FPGA_OK ||
			    t->fpgaReadMMIO64(h, 0, 0x10, &v) != FPGA_OK || v != 0xD8424DC4A4A3C413ull ||
			    t->fpgaClose(h) != FPGA_OK)
				failures++;
			t->fpgaDestroyToken(&tok);
		}
	};
	std::vector<std::thread> th;
	for (unsigned fn = 1; fn <= 4; fn++)
		th.emplace_back(worker, fn);
	for (auto &x : th)
		x.join();
	EXPECT_EQ(0u, failures.load());
	struct vfio_mock_device_state st = {};
	ASSERT_EQ(0, vfio_mock_device_state(PF_ADDR, &st));
	EXPECT_EQ(0, st.open_count) << "the PF session closed with the last VF";
}

// Buffers prepared, looked up and released from four threads on one handle:
// every id stays its own buffer's, every IOVA distinct while live, and the
// lock-free lookups racing releases answer FPGA_OK or FPGA_NOT_FOUND only.
TEST_F(PluginTest, BuffersFromManyThreadsOnOneHandle)
{
	load(pf_vfs_scenario(0), nullptr);
	Filter f;
	fpga_handle h = open(one(f.guid(NLB0_GUID)));
	ASSERT_NE(nullptr, h);
	std::atomic<uint64_t> shared_ws{0};
	std::atomic<unsigned> errors{0}, lookups{0};
	auto worker = [&](unsigned id) {
		for (int i = 0; i < 150; i++) {
			void *p = nullptr;
			uint64_t ws = 0, io = 0, io2 = 0, len = 0;
			void *va = nullptr;
			if (t->fpgaPrepareBuffer(h, 4096 * (1 + i % 3), &p, &ws, 0) != FPGA_OK) {
				errors++;
				continue;
			}
			*static_cast<volatile uint32_t *>(p) = id << 16 | i;
			shared_ws = ws; // others look it up while it may be released
			if (t->fpgaGetWSInfo(h, ws, &io, &va, &len) != FPGA_OK || va != p ||
			    len != 4096u * (1 + i % 3) ||
			    *static_cast<volatile uint32_t *>(va) != (id << 16 | (unsigned)i))
				errors++;
			fpga_result r = t->fpgaGetIOAddress(h, shared_ws.load(), &io2);
			if (r != FPGA_OK && r != FPGA_NOT_FOUND)
				errors++;
			lookups++;
			if (t->fpgaReleaseBuffer(h, ws) != FPGA_OK)
				errors++;
		}
	};
	std::vector<std::thread> th;
	for (unsigned i = 0; i < 4; i++)
		th.emplace_back(worker, i);
	for (auto &x : th)
		x.join();
	EXPECT_EQ(0u, errors.load());
	EXPECT_EQ(600u, lookups.load());
	EXPECT_EQ(0u, vfio_mock_dma_maps(-1, nullptr, 0));
}
