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
