// SPDX-License-Identifier: BSD-3-Clause
// test_mock_nvme.cpp - the nvme model (QEMU 7.2's NVMe controller) beyond what
// nvme-msix-smoke checks: register rules, start failures, QEMU's status codes,
// PRP lists, a full CQ, MSI-X per CQ and the 7.2 "vector used" quirk, the pin
// interrupt with INTMS/INTMC, queue DMA faults, and FLR keeping the data.
#include "mock_test_util.h"

#include <chrono>
#include <thread>

extern "C" {
#include "models/nvme.h"
}

namespace
{

#define NVME_ADDR "0000:00:02.0"

constexpr uint64_t kIova = 0x1000000000ULL; // above 4 GiB like the smoke test
constexpr unsigned kPages = 64;
constexpr uint32_t kCcEnable = 0x00460001; // IOCQES 4, IOSQES 6, EN

enum : unsigned {
	PG_ASQ = 0,
	PG_ACQ = 1,
	PG_SQ = 2,
	PG_CQ = 6,
	PG_ID = 10,
	PG_DATA = 16,
	PG_LIST = 48
};

using Sqe = nvme_sqe; // the model's own layouts (models/nvme.h)
using Cqe = nvme_cqe;
static_assert(sizeof(Sqe) == 64 && sizeof(Cqe) == 16, "NVMe entry sizes");

struct Queue {
	unsigned qid, sq_page, cq_page, size; // size: of the CQ, and of the SQ unless sq_size
	unsigned sq_size = 0;
	uint16_t tail = 0, head = 0, phase = 1;
};

struct Result {
	bool done = false;
	uint16_t status = 0xffff; // status field (no phase bit)
	uint32_t dw0 = 0;
};

class Nvme : public MockTest
{
      protected:
	const char *scenario() override
	{
		return VFIOMOCK_SCENARIOS "/nvme.json";
	}
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(2, &cont, &grp);
		dev = device(grp, NVME_ADDR);
		ASSERT_GE(dev, 0);
		uint16_t cmd = 0x6; // memory + bus master
		ASSERT_EQ(2, pwrite(dev, &cmd, 2, (7ll << 40) + 4));
		bar = (volatile uint8_t *)mmap(nullptr, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED,
		                               dev, 0);
		ASSERT_NE(MAP_FAILED, (void *)bar);
		mem = (uint8_t *)mmap(nullptr, kPages * 4096, PROT_READ | PROT_WRITE,
		                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, (void *)mem);
		ASSERT_EQ(0, map_dma(cont, mem, kIova, kPages * 4096));
		for (int &e : efd)
			e = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	}
	void TearDown() override
	{
		if (bar && bar != MAP_FAILED)
			munmap((void *)bar, 0x4000);
		if (mem && mem != MAP_FAILED)
			munmap(mem, kPages * 4096);
		MockTest::TearDown();
	}

	uint32_t rd32(unsigned off)
	{
		return *(volatile uint32_t *)(bar + off);
	}
	void wr32(unsigned off, uint32_t v)
	{
		*(volatile uint32_t *)(bar + off) = v;
	}
	uint64_t rd64(unsigned off)
	{
		return rd32(off) | (uint64_t)rd32(off + 4) << 32;
	}
	void wr64(unsigned off, uint64_t v)
	{
		wr32(off, (uint32_t)v);
		wr32(off + 4, (uint32_t)(v >> 32));
	}
	static uint64_t iova(unsigned page, unsigned off = 0)
	{
		return kIova + page * 4096ULL + off;
	}
	uint8_t *page(unsigned p)
	{
		return mem + p * 4096ULL;
	}
	bool wait_csts(uint32_t mask, uint32_t want)
	{
		for (int i = 0; i < 5000; i++) {
			if ((rd32(0x1c) & mask) == want)
				return true;
			std::this_thread::sleep_for(std::chrono::microseconds(200));
		}
		return false;
	}
	// MSI-X vectors 0..n-1 on efd[] (before CC.EN, as QEMU 7.2 wants)
	void msix_on(unsigned n)
	{
		ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0,
		                          std::vector<int32_t>(efd.begin(), efd.begin() + n)));
	}
	void enable(unsigned depth = 16)
	{
		memset(page(PG_ASQ), 0, 4096);
		memset(page(PG_ACQ), 0, 4096);
		wr32(0x24, (depth - 1) << 16 | (depth - 1));
		wr64(0x28, iova(PG_ASQ));
		wr64(0x30, iova(PG_ACQ));
		wr32(0x14, kCcEnable);
		ASSERT_TRUE(wait_csts(3, 1)) << "CSTS 0x" << std::hex << rd32(0x1c);
		admin = Queue{0, PG_ASQ, PG_ACQ, depth};
	}
	void submit(Queue &q, Sqe c)
	{
		c.cid = next_cid++;
		memcpy(page(q.sq_page) + q.tail * 64, &c, 64);
		q.tail = (uint16_t)((q.tail + 1) % (q.sq_size ? q.sq_size : q.size));
		__asm__ __volatile__("" ::: "memory"); // SQE before the doorbell (x86 store order)
		wr32(0x1000 + 8 * q.qid, q.tail);
	}
	Result reap(Queue &q, int timeout_ms = 5000, bool ring = true)
	{
		Result r;
		volatile Cqe *cq = (volatile Cqe *)page(q.cq_page);
		for (int t = 0; t < timeout_ms * 10; t++) {
			if ((cq[q.head].status & 1) == q.phase) {
				r.done = true;
				r.status = cq[q.head].status >> 1;
				r.dw0 = cq[q.head].dw0;
				if (++q.head == q.size) {
					q.head = 0;
					q.phase ^= 1;
				}
				if (ring)
					wr32(0x1000 + 8 * q.qid + 4, q.head);
				return r;
			}
			std::this_thread::sleep_for(std::chrono::microseconds(100));
		}
		return r;
	}
	Result run(Queue &q, const Sqe &c)
	{
		submit(q, c);
		return reap(q);
	}
	static Sqe cmd(uint8_t op, uint32_t nsid = 0, uint64_t prp1 = 0, uint32_t cdw10 = 0,
	               uint32_t cdw11 = 0, uint32_t cdw12 = 0)
	{
		Sqe c{};
		c.opcode = op;
		c.nsid = nsid;
		c.prp1 = prp1;
		c.cdw10 = cdw10;
		c.cdw11 = cdw11;
		c.cdw12 = cdw12;
		return c;
	}
	// I/O queue pair qid (SQ and CQ both qid), CQ vector iv
	Queue io_pair(unsigned qid, unsigned iv, unsigned depth = 16, bool ien = true)
	{
		Queue q{qid, PG_SQ + qid - 1, PG_CQ + qid - 1, depth};
		memset(page(q.sq_page), 0, 4096);
		memset(page(q.cq_page), 0, 4096);
		Result r = run(admin, cmd(0x05, 0, iova(q.cq_page), (depth - 1) << 16 | qid,
		                          iv << 16 | (ien ? 2u : 0u) | 1u));
		EXPECT_TRUE(r.done && r.status == 0) << "create CQ " << qid << ": " << r.status;
		r = run(admin,
		        cmd(0x01, 0, iova(q.sq_page), (depth - 1) << 16 | qid, qid << 16 | 1));
		EXPECT_TRUE(r.done && r.status == 0) << "create SQ " << qid << ": " << r.status;
		return q;
	}
	std::array<uint64_t, 4> counts(int settle_ms = 20)
	{
		std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
		std::array<uint64_t, 4> c;
		for (unsigned i = 0; i < 4; i++)
			c[i] = efd_count(efd[i]);
		return c;
	}

	int cont = -1, grp = -1, dev = -1;
	volatile uint8_t *bar = nullptr;
	uint8_t *mem = nullptr;
	std::array<int, 4> efd{};
	Queue admin{0, PG_ASQ, PG_ACQ, 16};
	uint16_t next_cid = 1;
};

using C = std::array<uint64_t, 4>;
constexpr uint16_t DNR = 0x4000;

} // namespace

TEST_F(Nvme, RegistersAtPowerOnAndReadOnlyOnes)
{
	EXPECT_EQ(0x004018200f0107ffULL, rd64(0));
	EXPECT_EQ(0x00010400u, rd32(8));
	EXPECT_EQ(0u, rd32(0x14));
	EXPECT_EQ(0u, rd32(0x1c));
	wr64(0, 0);
	wr32(8, 0x12345678);
	wr32(0x1c, 0xff);
	wr32(0x40, 0xdeadbeef); // reserved
	EXPECT_EQ(0x004018200f0107ffULL, rd64(0)) << "CAP is read-only";
	EXPECT_EQ(0x00010400u, rd32(8));
	EXPECT_EQ(0u, rd32(0x1c));
	EXPECT_EQ(0u, rd32(0x40));
	wr32(0x24, 0xffffffff);
	EXPECT_EQ(0x0fff0fffu, rd32(0x24)) << "AQA keeps ASQS/ACQS only";
	wr64(0x28, 0x123456789000ULL);
	EXPECT_EQ(0x123456789000ULL, rd64(0x28));
	wr32(0x1000, 5);
	EXPECT_EQ(0u, rd32(0x1000)) << "doorbells read 0";
	// pread/pwrite reach the same registers (64-bit ASQ in any split)
	uint64_t v = 0x4000;
	ASSERT_EQ(8, pwrite(dev, &v, 8, 0x30));
	EXPECT_EQ(0x4000u, rd64(0x30));
}

TEST_F(Nvme, StartFailsWithoutValidAdminQueues)
{
	wr32(0x24, 0); // ASQS = 0
	wr64(0x28, iova(PG_ASQ));
	wr64(0x30, iova(PG_ACQ));
	wr32(0x14, kCcEnable);
	EXPECT_EQ(2u, rd32(0x1c)) << "CSTS.CFS, not RDY";
	wr32(0x14, 0);
	EXPECT_EQ(0u, rd32(0x14));
	wr32(0x24, 0x000f000f);
	wr64(0x28, iova(PG_ASQ, 0x100)); // not page aligned
	wr32(0x14, kCcEnable);
	EXPECT_EQ(2u, rd32(0x1c) & 3);
	wr32(0x14, 0);
	wr64(0x28, iova(PG_ASQ));
	wr32(0x14, kCcEnable | 5u << 7); // MPS 128 KiB > CAP.MPSMAX
	EXPECT_EQ(2u, rd32(0x1c) & 3);
	wr32(0x14, 0);
	wr32(0x14, kCcEnable);
	EXPECT_EQ(1u, rd32(0x1c) & 1);
	wr32(0x14, kCcEnable | 1u << 14); // shutdown notification
	EXPECT_EQ(8u, rd32(0x1c) & 0xc) << "SHST complete";
}

TEST_F(Nvme, AdminCommandsAndQemuStatusCodes)
{
	enable();
	Result r = run(admin, cmd(0x06, 0, iova(PG_ID), 1));
	ASSERT_TRUE(r.done);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, memcmp(page(PG_ID) + 24, "QEMU NVMe Ctrl ", 15));
	EXPECT_EQ(0, memcmp(page(PG_ID) + 4, "vfio-vm-nvme0 ", 14));
	EXPECT_EQ(7, page(PG_ID)[77]) << "MDTS";
	memset(page(PG_ID), 0xa5, 4096);
	r = run(admin, cmd(0x06, 2, iova(PG_ID), 0)); // namespace 2: not attached
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, page(PG_ID)[0]);
	EXPECT_EQ(0, page(PG_ID)[4095]);
	r = run(admin, cmd(0x06, 0, iova(PG_ID), 2)); // active namespaces above nsid 0
	EXPECT_EQ(0, r.status);
	uint32_t first;
	memcpy(&first, page(PG_ID), 4);
	EXPECT_EQ(1u, first);
	EXPECT_EQ(0, run(admin, cmd(0x06, 1, iova(PG_ID), 2)).status); // ... above nsid 1
	memcpy(&first, page(PG_ID), 4);
	EXPECT_EQ(0u, first);
	EXPECT_EQ(0x000b | DNR, run(admin, cmd(0x06, 0, iova(PG_ID), 0)).status) << "nsid 0";
	EXPECT_EQ(0x000b | DNR, run(admin, cmd(0x06, 257, iova(PG_ID), 0)).status);
	EXPECT_EQ(0x0002 | DNR, run(admin, cmd(0x06, 0, iova(PG_ID), 0x55)).status) << "CNS";
	EXPECT_EQ(0x0001 | DNR, run(admin, cmd(0x7f)).status) << "opcode";

	// Create I/O CQ / SQ checks, in QEMU 7.2's order
	EXPECT_EQ(0x0101 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ), 15 << 16 | 0, 3)).status);
	EXPECT_EQ(0x0101 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ), 15 << 16 | 65, 3)).status);
	EXPECT_EQ(0x0102 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ), 0 << 16 | 1, 3)).status);
	EXPECT_EQ(0x0013 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ, 8), 15 << 16 | 1, 3)).status);
	EXPECT_EQ(0x0108 | DNR,
	          run(admin, cmd(0x05, 0, iova(PG_CQ), 15 << 16 | 1, 1 << 16 | 3)).status)
	    << "vector 1 while MSI-X is off";
	EXPECT_EQ(0x0002 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ), 15 << 16 | 1, 2)).status)
	    << "not physically contiguous (CAP.CQR)";
	EXPECT_EQ(0x0100 | DNR,
	          run(admin, cmd(0x01, 0, iova(PG_SQ), 15 << 16 | 1, 1 << 16 | 1)).status)
	    << "SQ for a CQ that does not exist";
	Queue q = io_pair(1, 0);
	EXPECT_EQ(0x0101 | DNR, run(admin, cmd(0x05, 0, iova(PG_CQ), 15 << 16 | 1, 3)).status)
	    << "CQ 1 exists";
	EXPECT_EQ(0x010c, run(admin, cmd(0x04, 0, 0, 1)).status) << "CQ 1 still has SQ 1";
	EXPECT_EQ(0, run(admin, cmd(0x00, 0, 0, 1)).status);
	EXPECT_EQ(0x0101 | DNR, run(admin, cmd(0x00, 0, 0, 1)).status) << "SQ 1 is gone";
	EXPECT_EQ(0, run(admin, cmd(0x04, 0, 0, 1)).status);
	EXPECT_EQ(0x0100 | DNR, run(admin, cmd(0x04, 0, 0, 1)).status);

	r = run(admin, cmd(0x09, 0, 0, 0x07, 0x00ff00ff)); // Set Features: number of queues
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0x003f003fu, r.dw0);
	EXPECT_EQ(0x0002 | DNR, run(admin, cmd(0x0a, 0, 0, 0x7e)).status) << "unmodelled feature";
	(void)q;
}

TEST_F(Nvme, ReadWritePrpListsAndIoErrors)
{
	enable();
	Queue q = io_pair(1, 0);
	// 5 pages from a buffer that starts 0x200 into a page: PRP1 + a PRP list
	// that starts in the last two slots of a page, so its last slot chains
	uint8_t *src = page(PG_DATA);
	for (unsigned i = 0; i < 5 * 4096; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 12));
	uint64_t *l1 = (uint64_t *)(page(PG_LIST) + 0xff0), *l2 = (uint64_t *)page(PG_LIST + 1);
	// data: page 16 (+0x200 .. end), then 17, 18, 19, 20, and 0x200 bytes of 21
	l1[0] = iova(PG_DATA + 1);
	l1[1] = iova(PG_LIST + 1); // chain
	l2[0] = iova(PG_DATA + 2);
	l2[1] = iova(PG_DATA + 3);
	l2[2] = iova(PG_DATA + 4);
	l2[3] = iova(PG_DATA + 5);
	Sqe w = cmd(0x01, 1, iova(PG_DATA, 0x200), 100, 0, 40 - 1); // 40 blocks = 5 pages
	w.prp2 = iova(PG_LIST, 0xff0);
	Result r = run(q, w);
	ASSERT_TRUE(r.done);
	EXPECT_EQ(0, r.status);
	memset(page(PG_DATA + 8), 0, 6 * 4096);
	Sqe rd = cmd(0x02, 1, iova(PG_DATA + 8), 100, 0, 40 - 1);
	uint64_t *l3 = (uint64_t *)page(PG_LIST + 2);
	for (unsigned i = 0; i < 4; i++)
		l3[i] = iova(PG_DATA + 9 + i);
	rd.prp2 = iova(PG_LIST + 2);
	r = run(q, rd);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, memcmp(src + 0x200, page(PG_DATA + 8), 5 * 4096))
	    << "blocks 100..139 round trip";

	EXPECT_EQ(0x0080 | DNR, run(q, cmd(0x02, 1, iova(PG_DATA), 2047, 0, 1)).status)
	    << "LBA 2047 + 2 blocks is past the 1 MiB namespace";
	EXPECT_EQ(0x0002 | DNR, run(q, cmd(0x02, 2, iova(PG_DATA), 0)).status) << "namespace 2";
	EXPECT_EQ(0x000b | DNR, run(q, cmd(0x02, 0, iova(PG_DATA), 0)).status) << "nsid 0";
	EXPECT_EQ(0x0002 | DNR, run(q, cmd(0x02, 1, iova(PG_DATA), 0, 0, 2047)).status)
	    << "1 MiB is more than MDTS (512 KiB)";
	EXPECT_EQ(0x0001 | DNR, run(q, cmd(0x09, 1)).status) << "DSM is not modelled";
	EXPECT_EQ(0, run(q, cmd(0x00, 1)).status) << "Flush";
	Sqe bad = cmd(0x02, 1, iova(PG_DATA), 0, 0, 15); // 8 KiB: PRP2 must be page aligned
	bad.prp2 = iova(PG_DATA + 1, 0x10);
	EXPECT_EQ(0x0013 | DNR, run(q, bad).status);
	vfio_mock_clear_iommu_faults();
	bad.prp2 = kIova + kPages * 4096ULL; // not mapped
	EXPECT_EQ(0x0004, run(q, bad).status) << "data transfer error";
	vfio_mock_iommu_fault f[4];
	EXPECT_GE(vfio_mock_iommu_faults(f, 4), 1u);
}

TEST_F(Nvme, MsixPerCqVectorAndNoneWithoutIen)
{
	msix_on(4);
	enable();
	EXPECT_EQ(0, run(admin, cmd(0x06, 0, iova(PG_ID), 1)).status);
	EXPECT_EQ((C{1, 0, 0, 0}), counts()) << "admin CQ: vector 0";
	Queue q1 = io_pair(1, 1), q2 = io_pair(2, 2), q3 = io_pair(3, 3, 16, false);
	counts();
	EXPECT_EQ(0, run(q1, cmd(0x01, 1, iova(PG_DATA), 0, 0, 7)).status);
	EXPECT_EQ((C{0, 1, 0, 0}), counts());
	EXPECT_EQ(0, run(q2, cmd(0x02, 1, iova(PG_DATA), 0, 0, 7)).status);
	EXPECT_EQ((C{0, 0, 1, 0}), counts());
	EXPECT_EQ(0, run(q3, cmd(0x02, 1, iova(PG_DATA), 0, 0, 7)).status);
	EXPECT_EQ(C{}, counts()) << "CQ created with interrupts disabled";
	// vector 2 detached: the completion pends in the PBA and arrives on re-attach
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 2, {-1}));
	EXPECT_EQ(0, run(q2, cmd(0x02, 1, iova(PG_DATA), 0, 0, 7)).status);
	EXPECT_EQ(C{}, counts());
	uint64_t pba = 0;
	ASSERT_EQ(8, pread(dev, &pba, 8, 0x3000));
	EXPECT_EQ(1ull << 2, pba);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 2, {efd[3]}));
	EXPECT_EQ((C{0, 0, 0, 1}), counts());
}

// QEMU 7.2: MSI-X enabled after CC.EN leaves the admin CQ's vector unused
// (its completions are dropped); a CQ created afterwards interrupts.
TEST_F(Nvme, MsixEnabledAfterCcEnMissesTheAdminVector)
{
	enable();
	msix_on(2);
	EXPECT_EQ(0, run(admin, cmd(0x06, 0, iova(PG_ID), 1)).status);
	EXPECT_EQ(C{}, counts());
	Queue q = io_pair(1, 1);
	EXPECT_EQ(C{}, counts());
	EXPECT_EQ(0, run(q, cmd(0x02, 1, iova(PG_DATA), 0)).status);
	EXPECT_EQ((C{0, 1, 0, 0}), counts());
	// a controller reset with MSI-X on re-creates the admin CQ as "used"
	wr32(0x14, 0);
	ASSERT_TRUE(wait_csts(1, 0));
	enable();
	counts();
	EXPECT_EQ(0, run(admin, cmd(0x06, 0, iova(PG_ID), 1)).status);
	EXPECT_EQ((C{1, 0, 0, 0}), counts());
}

TEST_F(Nvme, PinInterruptFollowsIntmsAndTheCqHead)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd[0]}));
	enable();
	wr32(0x0c, 1); // INTMS: mask vector 0
	EXPECT_EQ(1u, rd32(0x0c));
	submit(admin, cmd(0x06, 0, iova(PG_ID), 1));
	Result r = reap(admin, 5000, false); // consumed, head doorbell not rung yet
	ASSERT_TRUE(r.done);
	EXPECT_EQ(0u, counts()[0]) << "masked by INTMS";
	wr32(0x10, 1); // INTMC: unmask; the CQ is still not empty
	EXPECT_EQ(0u, rd32(0x0c));
	EXPECT_EQ(1u, counts()[0]) << "INTx asserted";
	wr32(0x1000 + 4, admin.head); // CQ empty: line deasserted
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0u, counts()[0]);
	EXPECT_EQ(0, run(admin, cmd(0x06, 0, iova(PG_ID), 1)).status);
	EXPECT_EQ(1u, counts()[0]);
}

TEST_F(Nvme, FullCqHoldsCompletionsUntilTheHeadDoorbell)
{
	enable();
	Queue q{1, PG_SQ, PG_CQ, 2};
	ASSERT_EQ(0, run(admin, cmd(0x05, 0, iova(PG_CQ), 1 << 16 | 1, 3)).status); // 2 entries
	ASSERT_EQ(0, run(admin, cmd(0x01, 0, iova(PG_SQ), 3 << 16 | 1, 1 << 16 | 1)).status);
	q.sq_size = 4;
	submit(q, cmd(0x02, 1, iova(PG_DATA), 0));
	submit(q, cmd(0x02, 1, iova(PG_DATA), 0));
	Result a = reap(q, 5000, false);
	ASSERT_TRUE(a.done);
	EXPECT_FALSE(reap(q, 100, false).done) << "CQ full (one slot stays empty)";
	wr32(0x1000 + 8 + 4, q.head);
	EXPECT_TRUE(reap(q).done) << "the head doorbell lets the second completion in";
}

TEST_F(Nvme, QueueDmaFaultFailsTheController)
{
	wr32(0x24, 0x000f000f);
	wr64(0x28, kIova + kPages * 4096ULL); // admin SQ outside every mapping
	wr64(0x30, iova(PG_ACQ));
	wr32(0x14, kCcEnable);
	ASSERT_TRUE(wait_csts(1, 1));
	wr32(0x1000, 1);
	EXPECT_TRUE(wait_csts(3, 2)) << "CSTS.CFS after the SQE fetch fault";
}

TEST_F(Nvme, FlrResetsRegistersAndKeepsTheData)
{
	enable();
	Queue q = io_pair(1, 0);
	memcpy(page(PG_DATA), "persistent block", 16);
	EXPECT_EQ(0, run(q, cmd(0x01, 1, iova(PG_DATA), 7)).status);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_RESET));
	EXPECT_EQ(0u, rd32(0x14));
	EXPECT_EQ(0u, rd32(0x1c));
	EXPECT_EQ(0u, rd32(0x24));
	next_cid = 1;
	enable();
	q = io_pair(1, 0);
	memset(page(PG_DATA), 0, 4096);
	EXPECT_EQ(0, run(q, cmd(0x02, 1, iova(PG_DATA), 7)).status);
	EXPECT_EQ(0, memcmp(page(PG_DATA), "persistent block", 16));
}

TEST(NvmeScenario, BadParamsAreRejected)
{
	EXPECT_NE(0, vfio_mock_load_scenario(R"({ "devices": [ { "address": "0000:00:02.0",
	  "model": "nvme", "params": { "size": 1000 } } ] })"));
	EXPECT_NE(0, vfio_mock_load_scenario(R"({ "devices": [ { "address": "0000:00:02.0",
	  "model": "nvme", "params": { "serial": "a-serial-longer-than-20" } } ] })"));
	EXPECT_NE(0, vfio_mock_load_scenario(R"({ "devices": [ { "address": "0000:00:02.0",
	  "model": "nvme", "irqs": { "msix": 8 } } ] })"));
	EXPECT_EQ(0, vfio_mock_load_scenario(R"({ "devices": [ { "address": "0000:00:02.0",
	  "model": "nvme", "params": { "size": "0x200000", "serial": "x" } } ] })"));
	vfio_mock_reset();
}
