// SPDX-License-Identifier: BSD-3-Clause
// test_concurrency.cpp - the plugin from several threads (label concurrency,
// also run under ThreadSanitizer): MMIO racing fpgaClose never crashes and
// only ever sees FPGA_OK or FPGA_INVALID_PARAM; enumeration, open and close
// from many threads at once keep the registry consistent; buffers, pins into
// a child AFU and event registrations from many threads on one handle.
#include "plugin_test_util.h"

#include <linux/vfio.h>
#include <poll.h>
#include <unistd.h>

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

// A parent and its child AFU (two VFs): buffers prepared on the parent,
// pinned into the child, unpinned or dropped by the release, from four
// threads, while a fifth pins whatever buffer was prepared last (racing its
// release). Every answer is one the rules allow, and nothing stays mapped.
TEST_F(PluginTest, PinsRacingReleasesOnAParentAndItsChild)
{
	load(pf_vfs_scenario(2), nullptr);
	Filter f1, f2;
	fpga_handle parent = open(one(f1.function(1))), child = parent;
	ASSERT_NE(nullptr, parent);
	ASSERT_EQ(FPGA_OK, t->fpgaOpen(one(f2.function(2)), &child, FPGA_OPEN_HAS_PARENT_AFU));
	handles.push_back(child);
	std::atomic<uint64_t> last_ws{0};
	std::atomic<unsigned> errors{0}, stale_pins{0};
	std::atomic<bool> stop{false};
	auto worker = [&](unsigned id) {
		for (int i = 0; i < 60; i++) {
			void *p = nullptr, *va = nullptr;
			uint64_t ws = 0, io = 0, len = 0;
			if (t->fpgaPrepareBuffer(parent, 4096 * (1 + (i + id) % 3), &p, &ws, 0) != FPGA_OK ||
			    t->fpgaGetWSInfo(parent, ws, &io, &va, &len) != FPGA_OK) {
				errors++;
				continue;
			}
			// the pinner may have pinned it first (its view of an older
			// buffer at the same place): then it is pinned already
			fpga_result r = t->fpgaPinBuffer(child, va, len, io);
			if (r != FPGA_OK && r != FPGA_INVALID_PARAM)
				errors++;
			last_ws = ws;
			if (r == FPGA_OK && i % 2 && t->fpgaUnpinBuffer(child, va, len, io) != FPGA_OK)
				errors++;
			if (t->fpgaReleaseBuffer(parent, ws) != FPGA_OK) // drops the pin if kept
				errors++;
		}
	};
	auto pinner = [&] {
		for (uint64_t tried = 0; !stop;) {
			void *va = nullptr;
			uint64_t io = 0, len = 0, ws = last_ws.load();
			if (ws == tried) { // once per buffer: a failed lookup logs a line
				std::this_thread::yield();
				continue;
			}
			tried = ws;
			if (t->fpgaGetWSInfo(parent, ws, &io, &va, &len) != FPGA_OK)
				continue;
			fpga_result r = t->fpgaPinBuffer(child, va, len, io);
			if (r == FPGA_OK)
				t->fpgaUnpinBuffer(child, va, len, io); // may have gone with a release
			else if (r == FPGA_NOT_FOUND || r == FPGA_INVALID_PARAM)
				stale_pins++; // released meanwhile, or pinned by its owner already
			else
				errors++;
		}
	};
	std::thread pt(pinner);
	std::vector<std::thread> th;
	for (unsigned i = 0; i < 4; i++)
		th.emplace_back(worker, i);
	for (auto &x : th)
		x.join();
	stop = true;
	pt.join();
	EXPECT_EQ(0u, errors.load());
	EXPECT_EQ(0u, vfio_mock_dma_maps(-1, nullptr, 0)) << "no buffer or pin left mapped";
	close(child);
	close(parent);
}

// Four threads on one handle, each owning one MSI-X vector (0..3): create an
// event handle, register it for its vector, wait, unregister (or destroy it
// registered), over and over, while a fifth thread raises vectors 0 and 1
// only. Each eventfd sees only its own vector (those of 2 and 3 never count,
// 0 and 1 never count more than was raised), and at the end no vector is
// enabled and no eventfd attached.
TEST_F(PluginTest, EventsRegisteredAndUnregisteredFromManyThreads)
{
	load("dfl-pf.json", nullptr);
	Filter f;
	fpga_handle h = open(one(f.guid(NLB0_GUID)));
	ASSERT_NE(nullptr, h);
	std::atomic<unsigned> errors{0}, raised[2] = {{0}, {0}};
	std::atomic<uint64_t> seen[4] = {{0}, {0}, {0}, {0}};
	std::atomic<bool> stop{false};
	auto owner = [&](uint32_t vector) {
		for (int i = 0; i < 40; i++) {
			fpga_event_handle e = nullptr;
			int fd = -1;
			uint64_t n = 0;
			if (t->fpgaCreateEventHandle(&e) != FPGA_OK ||
			    t->fpgaGetOSObjectFromEventHandle(e, &fd) != FPGA_OK ||
			    t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, vector) != FPGA_OK) {
				errors++;
				if (e)
					t->fpgaDestroyEventHandle(&e);
				continue;
			}
			struct pollfd p = {fd, POLLIN, 0};
			poll(&p, 1, vector < 2 ? 5 : 1);
			// every third round: destroy while registered (detaches first)
			if (i % 3 && t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e) != FPGA_OK)
				errors++;
			// nothing can arrive once detached: collect what did
			if (poll(&p, 1, 0) == 1 && read(fd, &n, 8) == 8)
				seen[vector] += n;
			if (t->fpgaDestroyEventHandle(&e) != FPGA_OK)
				errors++;
		}
	};
	auto raiser = [&] {
		for (unsigned i = 0; !stop; i++) {
			if (vfio_mock_raise_irq(PF_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, i % 2) == 0)
				raised[i % 2]++;
			usleep(50);
		}
	};
	std::thread r(raiser);
	std::vector<std::thread> th;
	for (uint32_t v = 0; v < 4; v++)
		th.emplace_back(owner, v);
	for (auto &x : th)
		x.join();
	stop = true;
	r.join();
	EXPECT_EQ(0u, errors.load());
	EXPECT_EQ(0u, seen[2].load()) << "vector 2 was never raised";
	EXPECT_EQ(0u, seen[3].load()) << "vector 3 was never raised";
	for (int v = 0; v < 2; v++) {
		EXPECT_GT(seen[v].load(), 0u) << "vector " << v;
		EXPECT_LE(seen[v].load(), raised[v].load()) << "vector " << v;
	}
	// the core keeps MSI-X on after the last unregister, every vector masked
	// (docs/core.md, IRQs): nothing attached, nothing written anywhere
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs) << "no eventfd attached";
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	close(h);
}

// A parent and its child closed at the same moment from two threads, with
// pins in place: whichever wins, nothing stays mapped and both closes work.
TEST_F(PluginTest, ParentAndChildClosedAtOnce)
{
	load(pf_vfs_scenario(2), nullptr);
	Filter f1, f2;
	fpga_token ptok = one(f1.function(1)), ctok = one(f2.function(2));
	ASSERT_TRUE(ptok && ctok);
	for (int round = 0; round < 20; round++) {
		fpga_handle parent = nullptr, child = nullptr;
		ASSERT_EQ(FPGA_OK, t->fpgaOpen(ptok, &parent, 0));
		child = parent;
		ASSERT_EQ(FPGA_OK, t->fpgaOpen(ctok, &child, FPGA_OPEN_HAS_PARENT_AFU));
		for (int i = 0; i < 2; i++) {
			void *p = nullptr, *va = nullptr;
			uint64_t ws = 0, io = 0, len = 0;
			ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(parent, 8192, &p, &ws, 0));
			ASSERT_EQ(FPGA_OK, t->fpgaGetWSInfo(parent, ws, &io, &va, &len));
			ASSERT_EQ(FPGA_OK, t->fpgaPinBuffer(child, va, len, io));
		}
		std::atomic<unsigned> bad{0};
		std::thread a([&] { bad += t->fpgaClose(parent) != FPGA_OK; });
		std::thread b([&] { bad += t->fpgaClose(child) != FPGA_OK; });
		a.join();
		b.join();
		EXPECT_EQ(0u, bad.load()) << "round " << round;
		EXPECT_EQ(0u, vfio_mock_dma_maps(-1, nullptr, 0)) << "round " << round;
	}
}
