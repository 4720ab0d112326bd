// SPDX-License-Identifier: BSD-3-Clause
// test_buffers.cpp - DMA buffers through the adapter table on the mock kernel:
// NLB0 loopback exactly as hello_fpga drives it (with and without huge
// pages), lengths, preallocated and read-only buffers, QUIET, the workspace id
// abuse matrix, close, and a fault sweep (pins into child AFUs: test_pins.cpp).
#include "plugin_test_util.h"

#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024ull * 1024)

/* NLB0 registers (hello_fpga's offsets, from the AFU header) */
enum : uint64_t {
	DSM_BASE = 0x110, SRC = 0x120, DST = 0x128, NUM_LINES = 0x130, CTL = 0x138, CFG = 0x140,
	STATUS1 = 0x168,
};

class BufferTest : public PluginTest
{
      protected:
	unsigned dma_maps() { return vfio_mock_dma_maps(-1, nullptr, 0); }
	fpga_handle open_guid(const char *guid, int flags = 0)
	{
		Filter f;
		fpga_token tok = one(f.guid(guid));
		return tok ? open(tok, flags) : nullptr;
	}
	uint64_t prepare(fpga_handle h, uint64_t len, void **p, int flags = 0)
	{
		uint64_t wsid = 0;
		EXPECT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, len, p, &wsid, flags));
		return wsid;
	}
	uint64_t iova(fpga_handle h, uint64_t wsid)
	{
		uint64_t a = 0;
		EXPECT_EQ(FPGA_OK, t->fpgaGetIOAddress(h, wsid, &a));
		return a;
	}
	/* hello_fpga's loopback: 1 MiB from in to out, completion in the DSM.
	 * Returns true when the DSM said done within ~3 s. */
	bool loopback(fpga_handle h, uint64_t dsm_ws, volatile uint8_t *dsm, uint64_t in_ws,
	              uint64_t out_ws, int polls = 30000)
	{
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, DSM_BASE, iova(h, dsm_ws)));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, CTL, 0));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, CTL, 1));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, SRC, iova(h, in_ws) >> 6));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, DST, iova(h, out_ws) >> 6));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NUM_LINES, (uint32_t)(MiB / 64)));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, CFG, 0x42000));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, CTL, 3));
		bool done = false;
		for (int i = 0; i < polls && !(done = *(volatile uint64_t *)(dsm + 0x40) & 1); i++)
			usleep(100);
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, CTL, 7));
		uint64_t st = 1;
		for (int i = 0; i < 100 && st; i++) {
			EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, STATUS1, &st));
			if (st)
				usleep(1000);
		}
		return done;
	}
	static void fill(uint8_t *in, uint8_t *out)
	{
		memset(in, 0xAF, MiB);
		for (uint32_t line = 0; line < MiB / 64; line++) {
			uint32_t tag = line + 1;
			memcpy(in + line * 64 + 60, &tag, 4);
		}
		memset(out, 0xBE, MiB);
	}
	void hello_fpga(unsigned huge2m)
	{
		load(pf_vfs_scenario(0, huge2m), nullptr);
		fpga_handle h = open_guid(NLB0_GUID);
		ASSERT_NE(nullptr, h);
		ASSERT_EQ(FPGA_OK, t->fpgaMapMMIO(h, 0, nullptr));
		void *dsm = nullptr, *in = nullptr, *out = nullptr;
		uint64_t wd = prepare(h, 2 * MiB, &dsm), wi = prepare(h, 2 * MiB, &in),
		         wo = prepare(h, 2 * MiB, &out);
		ASSERT_TRUE(dsm && in && out);
		if (huge2m)
			EXPECT_EQ(huge2m - 3, vfio_mock_hugepages_free(2 * MiB)) << "2 MiB huge pages";
		else
			EXPECT_EQ(0u, vfio_mock_hugepages_free(2 * MiB));
		memset(dsm, 0, 2 * MiB);
		memset(out, 0xBE, 2 * MiB);
		fill(static_cast<uint8_t *>(in), static_cast<uint8_t *>(out));
		ASSERT_EQ(FPGA_OK, t->fpgaReset(h));
		ASSERT_TRUE(loopback(h, wd, static_cast<uint8_t *>(dsm), wi, wo)) << "no completion";
		EXPECT_EQ(0, memcmp(in, out, MiB)) << "output does not match input";
		EXPECT_EQ(0xBE, static_cast<uint8_t *>(out)[MiB]) << "copied beyond 1 MiB";
		EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, wd));
		EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, wi));
		EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, wo));
		EXPECT_EQ(huge2m, vfio_mock_hugepages_free(2 * MiB)) << "huge pages given back";
		EXPECT_EQ(FPGA_OK, t->fpgaUnmapMMIO(h, 0));
		close(h);
	}
};

TEST_F(BufferTest, HelloFpgaLoopbackWithoutHugePages) { hello_fpga(0); }
TEST_F(BufferTest, HelloFpgaLoopbackWithHugePages) { hello_fpga(8); }

TEST_F(BufferTest, AnyLengthIsRoundedToPages)
{
	load(pf_vfs_scenario(0), nullptr);
	fpga_handle h = open_guid(NLB0_GUID);
	ASSERT_NE(nullptr, h);
	const uint64_t lens[] = {1, 4096, 5000, 3 * MiB + 1, 1024 * MiB + 4096};
	for (uint64_t len : lens) {
		void *p = nullptr, *q = nullptr;
		uint64_t ws = prepare(h, len, &p), io = 0, l = 0;
		ASSERT_NE(nullptr, p) << len;
		ASSERT_EQ(FPGA_OK, t->fpgaGetWSInfo(h, ws, &io, &q, &l));
		EXPECT_EQ(p, q);
		EXPECT_EQ((len + 4095) & ~4095ull, l) << len;
		EXPECT_EQ(io, iova(h, ws));
		EXPECT_EQ(0u, io & 4095);
		EXPECT_GE(io, 0x10000u) << "never IOVA 0";
		static_cast<volatile uint8_t *>(p)[0] = 1;
		static_cast<volatile uint8_t *>(p)[l - 1] = 1;
		EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, ws));
	}
	EXPECT_EQ(0u, dma_maps());
}

TEST_F(BufferTest, PreallocatedMapsExactlyTheCallersRange)
{
	load(pf_vfs_scenario(0), nullptr);
	fpga_handle h = open_guid(NLB0_GUID);
	ASSERT_NE(nullptr, h);
	uint64_t ws = 0;
	// the framework's probe: "is preallocation supported?"
	EXPECT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, 0, nullptr, nullptr, FPGA_BUF_PREALLOCATED));
	EXPECT_EQ(0u, dma_maps());
	const size_t len = 64 * 1024;
	void *mem = mmap(nullptr, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	void *p = static_cast<uint8_t *>(mem) + MiB;
	void *q = p;
	ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, len, &q, &ws, FPGA_BUF_PREALLOCATED));
	EXPECT_EQ(p, q) << "the caller's memory is used as is";
	struct vfio_mock_dma_map m[4];
	ASSERT_EQ(1u, vfio_mock_dma_maps(-1, m, 4));
	EXPECT_EQ((uint64_t)(uintptr_t)p, m[0].vaddr);
	EXPECT_EQ(len, m[0].size) << "exactly the caller's range, not a huge page's worth";
	EXPECT_EQ(iova(h, ws), m[0].iova);
	// the same memory twice, unaligned, NULL
	uint64_t ws2 = 0;
	void *r = p;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(h, len, &r, &ws2, FPGA_BUF_PREALLOCATED));
	r = static_cast<uint8_t *>(p) + 64;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(h, len, &r, &ws2, FPGA_BUF_PREALLOCATED));
	r = nullptr;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(h, len, &r, &ws2, FPGA_BUF_PREALLOCATED));
	EXPECT_EQ(1u, dma_maps());
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, ws));
	EXPECT_EQ(0u, dma_maps());
	static_cast<volatile uint8_t *>(p)[0] = 7; // still the caller's
	munmap(mem, 4 * MiB);
}

TEST_F(BufferTest, ReadOnlyBufferIsNotWritableByTheDevice)
{
	load(pf_vfs_scenario(0), nullptr);
	fpga_handle h = open_guid(NLB0_GUID);
	ASSERT_NE(nullptr, h);
	void *dsm = nullptr, *in = nullptr, *out = nullptr;
	uint64_t wd = prepare(h, 4096, &dsm), wi = prepare(h, 2 * MiB, &in, FPGA_BUF_READ_ONLY),
	         wo = prepare(h, 2 * MiB, &out);
	ASSERT_TRUE(dsm && in && out);
	fill(static_cast<uint8_t *>(in), static_cast<uint8_t *>(out));
	memset(dsm, 0, 4096);
	vfio_mock_clear_iommu_faults();
	ASSERT_TRUE(loopback(h, wd, static_cast<uint8_t *>(dsm), wi, wo)) << "reading is allowed";
	EXPECT_EQ(0, memcmp(in, out, MiB));
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	// now the other way round: the device must not write into it
	memset(dsm, 0, 4096);
	memset(in, 0x5A, MiB);
	EXPECT_FALSE(loopback(h, wd, static_cast<uint8_t *>(dsm), wo, wi, 2000))
	    << "the copy into a read-only buffer completed";
	EXPECT_GE(vfio_mock_iommu_faults(nullptr, 0), 1u) << "the device write faulted";
	EXPECT_EQ(0x5A, static_cast<uint8_t *>(in)[0]) << "the read-only buffer was written";
}

TEST_F(BufferTest, QuietSilencesTheFailure)
{
	load(pf_vfs_scenario(0), nullptr);
	fpga_handle h = open_guid(NLB0_GUID);
	ASSERT_NE(nullptr, h);
	void *p = nullptr;
	uint64_t ws = 0;
	for (int quiet = 0; quiet < 2; quiet++) {
		ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, ENOMEM));
		testing::internal::CaptureStderr();
		EXPECT_EQ(FPGA_NO_MEMORY,
		          t->fpgaPrepareBuffer(h, 4096, &p, &ws, quiet ? FPGA_BUF_QUIET : 0));
		std::string err = testing::internal::GetCapturedStderr();
		if (quiet)
			EXPECT_EQ("", err);
		else
			EXPECT_NE(std::string::npos, err.find("fpgaPrepareBuffer")) << err;
	}
	EXPECT_EQ(0u, dma_maps());
	ws = prepare(h, 4096, &p, FPGA_BUF_QUIET);
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, ws));
}

TEST_F(BufferTest, WsidAbuseMatrix)
{
	load(pf_vfs_scenario(2), nullptr);
	Filter f1, f2;
	fpga_token toks[3] = {nullptr, one(f1.function(1)), one(f2.function(2))};
	fpga_handle a = open(toks[1]), b = open(toks[2]);
	ASSERT_TRUE(a && b);
	void *p = nullptr, *q = nullptr;
	uint64_t wa = prepare(a, 4096, &p), wb = prepare(b, 4096, &q), io = 0, len = 0;
	void *va = nullptr;
	EXPECT_NE(wa, (uint64_t)(uintptr_t)p) << "a wsid is not the buffer's address";

	// made-up ids
	for (uint64_t bad : std::initializer_list<uint64_t>{0ull, ~0ull, 1ull, wa + 1, wa ^ (1ull << 40),
	                                                   wa & ((1ull << 36) - 1),
	                                                   (uint64_t)(uintptr_t)p}) {
		EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(a, bad, &io)) << std::hex << bad;
		EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetWSInfo(a, bad, &io, &va, &len)) << std::hex << bad;
		EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaReleaseBuffer(a, bad)) << std::hex << bad;
	}
	// another handle's id
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(a, wb, &io));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaReleaseBuffer(a, wb));
	EXPECT_EQ(FPGA_OK, t->fpgaGetIOAddress(b, wb, &io)) << "b's buffer survived";
	// bad handles and pointers
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetIOAddress(a, wa, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetIOAddress(nullptr, wa, &io));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetIOAddress((fpga_handle)(uintptr_t)0xdead0001, wa, &io));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReleaseBuffer(nullptr, wa));
	uint64_t ws = 0;
	void *r = nullptr;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(a, 4096, nullptr, &ws, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(a, 4096, &r, nullptr, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(a, 0, &r, &ws, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(a, 4096, &r, &ws, 0x100));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(nullptr, 4096, &r, &ws, 0));
	// stale: released, then released again; the entry reused gets a new id
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(a, wa));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaReleaseBuffer(a, wa));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(a, wa, &io));
	uint64_t wa2 = prepare(a, 4096, &p);
	EXPECT_NE(wa, wa2);
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(a, wa, &io));
	EXPECT_EQ(FPGA_OK, t->fpgaGetIOAddress(a, wa2, &io));
	// a closed handle's ids die with it, also when its slot is reused
	close(a);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetIOAddress(a, wa2, &io));
	fpga_handle a2 = open(toks[1]);
	ASSERT_NE(nullptr, a2);
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(a2, wa2, &io));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaReleaseBuffer(a2, wa2));
	EXPECT_EQ(1u, dma_maps()) << "only b's buffer is mapped";
}

TEST_F(BufferTest, CloseReleasesTheHandlesBuffersOnly)
{
	load(pf_vfs_scenario(0), nullptr);
	Filter f;
	fpga_token tok = one(f.guid(NLB0_GUID));
	ASSERT_NE(nullptr, tok);
	fpga_handle a = open(tok, FPGA_OPEN_SHARED), b = open(tok, FPGA_OPEN_SHARED);
	ASSERT_TRUE(a && b);
	void *p = nullptr;
	for (int i = 0; i < 5; i++)
		prepare(a, 8192, &p);
	uint64_t wb = prepare(b, 4096, &p);
	EXPECT_EQ(6u, dma_maps());
	close(a);
	EXPECT_EQ(1u, dma_maps()) << "a's five buffers released, b's kept (one device)";
	uint64_t io = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaGetIOAddress(b, wb, &io));
	close(b);
	EXPECT_EQ(0u, dma_maps());
}

/* Every failure point of prepare and release: the call fails cleanly (or
 * succeeds), and nothing is left behind once the buffer is released. */
TEST_F(BufferTest, FaultSweepPrepareAndRelease)
{
	load(pf_vfs_scenario(0, 2), nullptr);
	fpga_handle h = open_guid(NLB0_GUID);
	ASSERT_NE(nullptr, h);
	const int errs[] = {ENOMEM, EFAULT};
	for (uint64_t len : {4096ull, 2 * MiB}) {
		for (int err : errs) {
			// a release whose munmap failed leaves its memory (documented)
			const unsigned huge = vfio_mock_hugepages_free(2 * MiB);
			unsigned nth = 1;
			for (;; nth++) {
				ASSERT_LT(nth, 100u) << "no call count limit";
				vfio_mock_clear_faults();
				unsigned before = vfio_mock_calls("any");
				ASSERT_EQ(0, vfio_mock_fail("any", nth, err));
				void *p = nullptr;
				uint64_t ws = 0;
				fpga_result r = t->fpgaPrepareBuffer(h, len, &p, &ws, FPGA_BUF_QUIET);
				bool hit = vfio_mock_calls("any") - before >= nth;
				vfio_mock_clear_faults();
				if (r != FPGA_OK) {
					EXPECT_TRUE(hit) << "failed without a fault at " << nth;
					EXPECT_EQ(0u, dma_maps()) << "len " << len << " nth " << nth;
					EXPECT_EQ(huge, vfio_mock_hugepages_free(2 * MiB)) << nth;
					continue;
				}
				EXPECT_EQ(1u, dma_maps());
				ASSERT_EQ(FPGA_OK, t->fpgaReleaseBuffer(h, ws));
				if (!hit)
					break; // the whole call ran without reaching the fault
			}
			EXPECT_GT(nth, 1u);
			// release: each failure point, then a clean retry if it failed
			for (unsigned k = 1; k < 20; k++) {
				void *p = nullptr;
				uint64_t ws = prepare(h, len, &p), io = 0;
				unsigned before = vfio_mock_calls("any");
				ASSERT_EQ(0, vfio_mock_fail("any", k, err));
				fpga_result r = t->fpgaReleaseBuffer(h, ws);
				bool hit = vfio_mock_calls("any") - before >= k;
				vfio_mock_clear_faults();
				if (r == FPGA_OK) {
					EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaGetIOAddress(h, ws, &io));
				} else {
					EXPECT_TRUE(hit);
					// the id stays valid only while the buffer is still mapped
					fpga_result again = t->fpgaReleaseBuffer(h, ws);
					EXPECT_TRUE(again == FPGA_OK || again == FPGA_NOT_FOUND) << again;
				}
				EXPECT_EQ(0u, dma_maps()) << "release, nth " << k;
				if (!hit)
					break;
			}
		}
	}
	close(h);
	// (a failed munmap leaves its memory mapped, as the core documents; the
	// mock's DMA and fd accounting in TearDown must still be clean)
}
