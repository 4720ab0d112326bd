// SPDX-License-Identifier: BSD-3-Clause
// test_pins.cpp - child AFUs through the adapter table (what the framework
// does for a multi-port AFU, called directly): fpgaOpen with
// FPGA_OPEN_HAS_PARENT_AFU, fpgaPinBuffer / fpgaUnpinBuffer of the parent's
// buffers into the child's device at the parent's I/O addresses, the bad
// input matrix, release and close on either side in either order.
#include "plugin_test_util.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#define MiB (1024ull * 1024)

namespace
{
enum : uint64_t { DSM_BASE = 0x110, SRC = 0x120, DST = 0x128, NUM_LINES = 0x130, CTL = 0x138 };

struct Ws {
	uint64_t id = 0, io = 0, len = 0;
	void *va = nullptr;
};

class PinTest : public PluginTest
{
      protected:
	fpga_handle parent = nullptr, child = nullptr;

	static unsigned dma_maps() { return vfio_mock_dma_maps(-1, nullptr, 0); }
	/* Open `tok` as a child of `p`: *handle carries the parent in. */
	fpga_result open_child(fpga_token tok, fpga_handle p, fpga_handle *out, int flags = 0)
	{
		fpga_handle h = p;
		fpga_result r = t->fpgaOpen(tok, &h, flags | FPGA_OPEN_HAS_PARENT_AFU);
		if (r == FPGA_OK)
			handles.push_back(h);
		*out = h;
		return r;
	}
	/* PF + 2 VFs: VF 1's AFU the parent, VF 2's its child. */
	void family()
	{
		load(pf_vfs_scenario(2), nullptr);
		Filter f1, f2;
		parent = open(one(f1.function(1)));
		ASSERT_NE(nullptr, parent);
		ASSERT_EQ(FPGA_OK, open_child(one(f2.function(2)), parent, &child));
	}
	Ws prepare(uint64_t len)
	{
		Ws w;
		EXPECT_EQ(FPGA_OK, t->fpgaPrepareBuffer(parent, len, &w.va, &w.id, 0));
		EXPECT_EQ(FPGA_OK, t->fpgaGetWSInfo(parent, w.id, &w.io, &w.va, &w.len));
		return w;
	}
	fpga_result pin(fpga_handle h, const Ws &w) { return t->fpgaPinBuffer(h, w.va, w.len, w.io); }
	fpga_result unpin(fpga_handle h, const Ws &w)
	{
		return t->fpgaUnpinBuffer(h, w.va, w.len, w.io);
	}
	/* The child's NLB0 copies 1 MiB in -> out by the parent's I/O addresses. */
	bool child_copies(const Ws &dsm, const Ws &in, const Ws &out)
	{
		memset(dsm.va, 0, 4096);
		memset(in.va, 0x5a, MiB);
		memset(out.va, 0, MiB);
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(child, 0, DSM_BASE, dsm.io));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(child, 0, CTL, 0));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(child, 0, CTL, 1));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(child, 0, SRC, in.io >> 6));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO64(child, 0, DST, out.io >> 6));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(child, 0, NUM_LINES, (uint32_t)(MiB / 64)));
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(child, 0, CTL, 3));
		bool done = false;
		for (int i = 0; i < 30000 && !(done = *(volatile uint64_t *)((uint8_t *)dsm.va + 0x40) & 1);
		     i++)
			usleep(100);
		EXPECT_EQ(FPGA_OK, t->fpgaWriteMMIO32(child, 0, CTL, 7));
		return done && !memcmp(in.va, out.va, MiB);
	}
};
} // namespace

TEST_F(PinTest, TheChildsDeviceUsesTheParentsBuffersByTheirIoAddresses)
{
	family();
	Ws dsm = prepare(4096), in = prepare(2 * MiB), out = prepare(2 * MiB);
	unsigned parent_maps = dma_maps();
	for (const Ws *w : {&dsm, &in, &out})
		ASSERT_EQ(FPGA_OK, pin(child, *w));
	EXPECT_EQ(parent_maps + 3, dma_maps()) << "one mapping per pin in the child's container";
	EXPECT_TRUE(child_copies(dsm, in, out));
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	// unpin exactly what was pinned; the parent keeps its buffer
	EXPECT_EQ(FPGA_OK, unpin(child, dsm));
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, dsm));
	EXPECT_EQ(parent_maps + 2, dma_maps());
	// releasing on the parent unpins from the child first
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(parent, out.id));
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, out)) << "dropped with the release";
	// closing the child drops its last pin; the parent keeps its buffers
	close(child);
	EXPECT_EQ(FPGA_OK, t->fpgaGetIOAddress(parent, in.id, &in.io));
	close(parent);
	EXPECT_EQ(0u, dma_maps());
}

TEST_F(PinTest, BadPinsAreRefusedWithNothingMapped)
{
	family();
	Ws w = prepare(2 * MiB);
	unsigned maps = dma_maps();
	uint8_t *va = static_cast<uint8_t *>(w.va);
	// not page aligned, empty, NULL, wrapping
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, va + 64, w.len - 4096, w.io + 64));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, va, 100, w.io));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, va, w.len, w.io + 8));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, va, 0, w.io));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, nullptr, 4096, w.io));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, va, w.len, ~0ull & ~0xfffull));
	// not exactly a buffer of the parent: part of one, another I/O address,
	// memory the parent never prepared
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaPinBuffer(child, va, 4096, w.io));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaPinBuffer(child, va + 4096, w.len - 4096, w.io + 4096));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaPinBuffer(child, va, w.len, w.io + 4 * MiB));
	void *mine = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mine);
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaPinBuffer(child, mine, 8192, 0x100000000ull));
	munmap(mine, 8192);
	// a handle that is not a child: the parent itself, or a stale one
	EXPECT_EQ(FPGA_INVALID_PARAM, pin(parent, w));
	EXPECT_EQ(FPGA_INVALID_PARAM, unpin(parent, w));
	EXPECT_EQ(FPGA_INVALID_PARAM, pin((fpga_handle)(uintptr_t)0x70001, w));
	EXPECT_EQ(maps, dma_maps()) << "nothing was mapped";
	// twice, or overlapping a pin
	ASSERT_EQ(FPGA_OK, pin(child, w));
	EXPECT_EQ(FPGA_INVALID_PARAM, pin(child, w));
	EXPECT_EQ(maps + 1, dma_maps());
	// unpin: only an exact pinned range
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaUnpinBuffer(child, w.va, w.len / 2, w.io));
	EXPECT_EQ(FPGA_NOT_FOUND, t->fpgaUnpinBuffer(child, w.va, w.len, w.io + 4096));
	EXPECT_EQ(FPGA_OK, unpin(child, w));
	// a child's buffers belong to its parent
	void *p = nullptr;
	uint64_t id = 0;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPrepareBuffer(child, 4096, &p, &id, 0));
	EXPECT_EQ(maps, dma_maps());
}

TEST_F(PinTest, OnlyAnOpenTopLevelAcceleratorCanBeAParent)
{
	family();
	Filter fd, f0;
	fpga_token fme = one(fd.type(FPGA_DEVICE));
	fpga_token port = one(f0.guid(NLB0_GUID).function(0));
	ASSERT_TRUE(fme && port);
	fpga_handle h = nullptr, fme_h = open(fme);
	ASSERT_NE(nullptr, fme_h);
	// made up, a child (one level only), an FME, a closed handle
	EXPECT_EQ(FPGA_INVALID_PARAM, open_child(port, (fpga_handle)(uintptr_t)0x123450001, &h));
	EXPECT_EQ(FPGA_INVALID_PARAM, open_child(port, child, &h));
	EXPECT_EQ(FPGA_INVALID_PARAM, open_child(port, fme_h, &h));
	close(fme_h);
	EXPECT_EQ(FPGA_INVALID_PARAM, open_child(port, fme_h, &h));
	// nothing was left held: the port opens as a proper child
	ASSERT_EQ(FPGA_OK, open_child(port, parent, &h));
	close(h);
}

TEST_F(PinTest, ClosingTheParentFirstLeavesAChildWithoutParentOrPins)
{
	family();
	Ws a = prepare(4096), b = prepare(2 * MiB);
	ASSERT_EQ(FPGA_OK, pin(child, a));
	ASSERT_EQ(FPGA_OK, pin(child, b));
	close(parent);
	EXPECT_EQ(0u, dma_maps()) << "the parent's buffers and the child's pins of them are gone";
	// the child still works, but has nothing to pin any more
	uint64_t v = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(child, 0, 0, &v));
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, a));
	void *mine = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mine);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaPinBuffer(child, mine, 4096, a.io));
	munmap(mine, 4096);
	close(child);
}

TEST_F(PinTest, AChildOfTheParentsOwnFunctionSharesItsMappings)
{
	load(pf_vfs_scenario(0), nullptr);
	Filter f;
	fpga_token tok = one(f.guid(NLB0_GUID));
	ASSERT_NE(nullptr, tok);
	parent = open(tok, FPGA_OPEN_SHARED);
	ASSERT_EQ(FPGA_OK, open_child(tok, parent, &child, FPGA_OPEN_SHARED));
	Ws w = prepare(4096);
	EXPECT_EQ(FPGA_OK, pin(child, w)) << "one container: mapped already";
	EXPECT_EQ(1u, dma_maps());
	EXPECT_EQ(FPGA_OK, unpin(child, w));
	EXPECT_EQ(1u, dma_maps()) << "the parent's buffer stays mapped";
	ASSERT_EQ(FPGA_OK, pin(child, w));
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(parent, w.id));
	EXPECT_EQ(0u, dma_maps());
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, w));
}

TEST_F(PinTest, KernelFailuresOfPinAndUnpinLeaveAConsistentState)
{
	family();
	Ws w = prepare(8192);
	unsigned maps = dma_maps();
	// the child's VFIO_IOMMU_MAP_DMA fails: no pin, nothing mapped
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, ENOMEM));
	EXPECT_EQ(FPGA_NO_MEMORY, pin(child, w));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, EFAULT));
	EXPECT_EQ(FPGA_EXCEPTION, pin(child, w));
	vfio_mock_clear_faults();
	EXPECT_EQ(maps, dma_maps());
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, w));
	// the unmap fails: still pinned (and mapped), so unpin can be retried
	ASSERT_EQ(FPGA_OK, pin(child, w));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_UNMAP_DMA", 1, EIO));
	EXPECT_EQ(FPGA_EXCEPTION, unpin(child, w));
	vfio_mock_clear_faults();
	EXPECT_EQ(maps + 1, dma_maps());
	EXPECT_EQ(FPGA_OK, unpin(child, w));
	EXPECT_EQ(maps, dma_maps());
	// a release whose unpin in the child fails still releases; the child's
	// device keeps that mapping until it closes (the core unmaps at close)
	ASSERT_EQ(FPGA_OK, pin(child, w));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_IOMMU_UNMAP_DMA", 1, EIO));
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(parent, w.id));
	vfio_mock_clear_faults();
	EXPECT_EQ(FPGA_NOT_FOUND, unpin(child, w)) << "the pin record is gone";
	close(child);
	close(parent);
	EXPECT_EQ(0u, dma_maps());
}

// The child's device already uses I/O addresses (another handle of it has a
// buffer): opening the child narrows the parent's IOVA space to what is free
// there, so the parent's buffers land elsewhere and pin without a collision.
TEST_F(PinTest, TheParentsIovaSpaceAvoidsWhatTheChildUses)
{
	load(pf_vfs_scenario(2), nullptr);
	Filter f1, f2;
	fpga_token child_tok = one(f2.function(2));
	fpga_handle other = open(child_tok, FPGA_OPEN_SHARED);
	ASSERT_NE(nullptr, other);
	void *p = nullptr;
	uint64_t ows = 0, oio = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(other, 2 * MiB, &p, &ows, 0));
	ASSERT_EQ(FPGA_OK, t->fpgaGetIOAddress(other, ows, &oio));
	parent = open(one(f1.function(1)));
	ASSERT_NE(nullptr, parent);
	Ws before = prepare(4096); // made before the child: may overlap, is not pinned
	ASSERT_EQ(FPGA_OK, open_child(child_tok, parent, &child, FPGA_OPEN_SHARED));
	for (int i = 0; i < 4; i++) {
		Ws w = prepare(2 * MiB);
		EXPECT_TRUE(w.io + w.len <= oio || oio + 2 * MiB <= w.io)
		    << "parent buffer at 0x" << std::hex << w.io << " overlaps the child's own at 0x"
		    << oio;
		EXPECT_EQ(FPGA_OK, pin(child, w));
	}
	(void)before;
	EXPECT_EQ(FPGA_OK, t->fpgaReleaseBuffer(other, ows));
}
