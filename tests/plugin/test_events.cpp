// SPDX-License-Identifier: BSD-3-Clause
// test_events.cpp - events through the adapter table on the mock kernel:
// the dfl-fpga model's MSI-X user vectors (raised by NLB0's IRQ_RAISE
// register and by its copy-done interrupt), edu's MSI, the PCI error
// interrupt, registration errors, close/destroy detaching, and a fault sweep
// over register/unregister with the mock's IRQ accounting.
#include "plugin_test_util.h"

#include <linux/vfio.h>
#include <poll.h>
#include <unistd.h>

#define NLB_IRQ_RAISE 0x180
#define NLB_DONE_IRQ  0x188
#define EDU_ADDR      "0000:00:03.0"

class EventTest : public PluginTest
{
      protected:
	std::vector<fpga_event_handle> events; /* destroyed in TearDown */

	void TearDown() override
	{
		if (t && t->fpgaDestroyEventHandle)
			for (fpga_event_handle &e : events)
				if (e)
					t->fpgaDestroyEventHandle(&e);
		PluginTest::TearDown();
	}
	fpga_event_handle event(int *fd = nullptr)
	{
		fpga_event_handle e = nullptr;
		EXPECT_EQ(FPGA_OK, t->fpgaCreateEventHandle(&e));
		events.push_back(e);
		if (fd) {
			EXPECT_EQ(FPGA_OK, t->fpgaGetOSObjectFromEventHandle(e, fd));
		}
		return e;
	}
	void destroy(fpga_event_handle e)
	{
		EXPECT_EQ(FPGA_OK, t->fpgaDestroyEventHandle(&e));
		EXPECT_EQ(nullptr, e);
		for (auto &x : events)
			if (x == e)
				x = nullptr;
	}
	/* The count the eventfd collected within `ms` (0 if none). */
	static uint64_t wait(int fd, int ms)
	{
		struct pollfd p = {fd, POLLIN, 0};
		uint64_t n = 0;
		if (poll(&p, 1, ms) == 1 && read(fd, &n, 8) != 8)
			n = 0;
		return n;
	}
	fpga_handle nlb0_pf()
	{
		load("dfl-pf.json", nullptr);
		Filter f;
		fpga_token tok = one(f.guid(NLB0_GUID));
		return tok ? open(tok) : nullptr;
	}
	static struct vfio_mock_device_state state(const char *addr)
	{
		struct vfio_mock_device_state st = {};
		EXPECT_EQ(0, vfio_mock_device_state(addr, &st));
		return st;
	}
};

// Vectors 0, 3, 1, 2 registered in that order (growing an enabled MSI-X
// set, which 6.1 can only do by disabling and re-enabling it): each raise
// reaches its own eventfd only; after unregistering vector 1 the others
// still work and vector 1 reaches nobody.
TEST_F(EventTest, DflMsixVectorsEachToTheirOwnEventfd)
{
	fpga_handle h = nlb0_pf();
	ASSERT_NE(nullptr, h);
	int fd[4];
	fpga_event_handle e[4];
	for (unsigned v : {0u, 3u, 1u, 2u}) {
		e[v] = event(&fd[v]);
		ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e[v], v)) << v;
	}
	EXPECT_EQ(VFIO_PCI_MSIX_IRQ_INDEX, state(PF_ADDR).irq_index_enabled);
	for (unsigned v = 0; v < 4; v++)
		EXPECT_EQ(0u, wait(fd[v], 0)) << "vector " << v << " signalled by registration";
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned v = 0; v < 4; v++) {
			ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_IRQ_RAISE, v));
			EXPECT_EQ(1u, wait(fd[v], 2000)) << "vector " << v;
			for (unsigned o = 0; o < 4; o++)
				if (o != v) {
					EXPECT_EQ(0u, wait(fd[o], 0)) << "vector " << v << " reached " << o;
				}
		}
		if (round)
			break;
		ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e[1]));
		ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_IRQ_RAISE, 1));
		for (unsigned o = 0; o < 4; o++)
			EXPECT_EQ(0u, wait(fd[o], o ? 0 : 50)) << "unregistered vector 1 reached " << o;
		// and back: the same event handle on the same vector. MSI-X kept the
		// message raised while no eventfd was attached pending (PBA): it
		// arrives now, once
		ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e[1], 1));
		EXPECT_EQ(1u, wait(fd[1], 2000)) << "the pending message";
		EXPECT_EQ(0u, wait(fd[0], 0));
	}
	for (unsigned v = 0; v < 4; v++)
		ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e[v]));
	// the core keeps MSI-X on for cheap churn, every vector masked by vfio-pci
	EXPECT_EQ(VFIO_PCI_MSIX_IRQ_INDEX, state(PF_ADDR).irq_index_enabled);
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_IRQ_RAISE, 0));
	EXPECT_EQ(0u, wait(fd[0], 50)) << "an unregistered vector reaches nobody";
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
}

// The interrupt a DMA completion raises: NLB0 copies, then raises the vector
// its DONE_IRQ register names.
TEST_F(EventTest, CopyCompletionInterrupt)
{
	fpga_handle h = nlb0_pf();
	ASSERT_NE(nullptr, h);
	int fd;
	fpga_event_handle e = event(&fd);
	ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 2));
	void *dsm = nullptr, *in = nullptr, *out = nullptr;
	uint64_t wd = 0, wi = 0, wo = 0, a = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, 4096, &dsm, &wd, 0));
	ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, 65536, &in, &wi, 0));
	ASSERT_EQ(FPGA_OK, t->fpgaPrepareBuffer(h, 65536, &out, &wo, 0));
	memset(in, 0x3C, 65536);
	memset(out, 0, 65536);
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_DONE_IRQ, 0x80000000u | 2));
	ASSERT_EQ(FPGA_OK, t->fpgaGetIOAddress(h, wd, &a));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x110, a));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x138, 0));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x138, 1));
	ASSERT_EQ(FPGA_OK, t->fpgaGetIOAddress(h, wi, &a));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x120, a >> 6));
	ASSERT_EQ(FPGA_OK, t->fpgaGetIOAddress(h, wo, &a));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x128, a >> 6));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x130, 65536 / 64));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x138, 3));
	EXPECT_EQ(1u, wait(fd, 5000)) << "no completion interrupt";
	EXPECT_EQ(1u, *(volatile uint64_t *)((uint8_t *)dsm + 0x40) & 1);
	EXPECT_EQ(0, memcmp(in, out, 65536));
	// close with the vector registered and the buffers prepared: all released
	close(h);
	EXPECT_EQ(-1, state(PF_ADDR).irq_index_enabled);
}

// QEMU's edu has MSI and no MSI-X: vector 0 is MSI; raising through its
// interrupt register reaches the eventfd.
TEST_F(EventTest, EduMsi)
{
	std::string list = std::string(CONFIG_EXAMPLES) + "/edu-plain.json";
	ASSERT_EQ(0, setenv("OPAE_VFIO_CONFIG", list.c_str(), 1));
	load("edu.json", nullptr);
	unsetenv("OPAE_VFIO_CONFIG");
	auto v = enumerate({}, 4);
	ASSERT_EQ(1u, v.size());
	fpga_handle h = open(v[0]);
	int fd;
	fpga_event_handle e = event(&fd), e2 = event();
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 1))
	    << "edu has one MSI vector";
	EXPECT_EQ(FPGA_NOT_SUPPORTED, t->fpgaRegisterEvent(h, FPGA_EVENT_ERROR, e, 0))
	    << "edu is not PCIe: no error interrupt";
	ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 0));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, state(EDU_ADDR).irq_index_enabled);
	EXPECT_EQ(FPGA_BUSY, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e2, 0));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x60, 0x4)); // raise
		EXPECT_EQ(1u, wait(fd, 2000)) << i;
		ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x64, 0x4)); // acknowledge
	}
	ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e));
	// the core keeps MSI on with the vector on its own eventfd (cheap churn)
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, state(EDU_ADDR).irq_index_enabled);
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x60, 0x4));
	EXPECT_EQ(0u, wait(fd, 50)) << "an unregistered vector reaches nobody";
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x64, 0x4));
}

// FPGA_EVENT_ERROR on a PCIe device: vfio's error interrupt (AER) reaches
// the eventfd; interrupts and errors are separate registrations.
TEST_F(EventTest, PciErrorInterrupt)
{
	fpga_handle h = nlb0_pf();
	ASSERT_NE(nullptr, h);
	int fd, fd2;
	fpga_event_handle e = event(&fd), e2 = event(&fd2);
	ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_ERROR, e, 0));
	ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e2, 0));
	ASSERT_EQ(0, vfio_mock_raise_irq(PF_ADDR, VFIO_PCI_ERR_IRQ_INDEX, 0));
	EXPECT_EQ(1u, wait(fd, 2000));
	EXPECT_EQ(0u, wait(fd2, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e))
	    << "registered for errors, not interrupts";
	ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_ERROR, e));
	ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e2));
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
}

TEST_F(EventTest, RegistrationErrors)
{
	fpga_handle h = nlb0_pf();
	ASSERT_NE(nullptr, h);
	int fd = -1;
	fpga_event_handle e = event(), e2 = event(), bogus = (fpga_event_handle)(uintptr_t)0x50003;
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaCreateEventHandle(nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetOSObjectFromEventHandle(e, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetOSObjectFromEventHandle(bogus, &fd));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetOSObjectFromEventHandle(nullptr, &fd));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, bogus, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(nullptr, FPGA_EVENT_INTERRUPT, e, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 7))
	    << "the model has 7 MSI-X vectors: 0..6";
	EXPECT_EQ(FPGA_NOT_SUPPORTED, t->fpgaRegisterEvent(h, FPGA_EVENT_POWER_THERMAL, e, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(h, (fpga_event_type)99, e, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e))
	    << "never registered";
	ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 5));
	EXPECT_EQ(FPGA_BUSY, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 4))
	    << "one interrupt per event handle";
	EXPECT_EQ(FPGA_BUSY, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e2, 5))
	    << "vector 5 is taken";
	EXPECT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e2, 4));
	// destroy while registered: detached first; the id is dead afterwards
	fpga_event_handle copy = e;
	destroy(e);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaDestroyEventHandle(&copy));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaGetOSObjectFromEventHandle(copy, &fd));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, copy));
	EXPECT_EQ(1u, state(PF_ADDR).irq_index_enabled == VFIO_PCI_MSIX_IRQ_INDEX);
	struct vfio_mock_leaks l = {};
	vfio_mock_leaks(&l);
	EXPECT_EQ(1u, l.irqs) << "only e2's vector 4 is attached";
	// a new event handle never reuses a dead id
	fpga_event_handle e3 = event();
	EXPECT_NE(copy, e3);
	// closing the handle detaches e2
	close(h);
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e2, 0))
	    << "closed handle";
}

// Every failure point of register (also growing an enabled set) and
// unregister: a failed call leaves kernel and plugin agreeing, and nothing
// stays attached at the end.
TEST_F(EventTest, FaultSweepRegisterUnregister)
{
	fpga_handle h = nlb0_pf();
	ASSERT_NE(nullptr, h);
	int fd0, fd;
	fpga_event_handle e0 = event(&fd0), e = event(&fd);
	for (int grow = 0; grow < 2; grow++) {
		if (grow) {
			ASSERT_EQ(FPGA_OK, t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e0, 0));
		}
		unsigned nth = 1;
		for (;; nth++) {
			ASSERT_LT(nth, 20u);
			unsigned before = vfio_mock_calls("any");
			ASSERT_EQ(0, vfio_mock_fail("any", nth, EINVAL));
			fpga_result r = t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e, 3);
			bool hit = vfio_mock_calls("any") - before >= nth;
			vfio_mock_clear_faults();
			if (r == FPGA_OK) {
				ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_IRQ_RAISE, 3));
				EXPECT_EQ(1u, wait(fd, 2000)) << nth;
				// unregister under the same fault point
				before = vfio_mock_calls("any");
				ASSERT_EQ(0, vfio_mock_fail("any", 1, EINVAL));
				r = t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e);
				vfio_mock_clear_faults();
				if (r != FPGA_OK) {
					ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e));
				}
				if (!hit)
					break;
				continue;
			}
			EXPECT_TRUE(hit) << nth;
			EXPECT_EQ(FPGA_EXCEPTION, r) << nth;
			// vector 0 is either still delivered or its registration was dropped
			if (grow) {
				fpga_result u = t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e0);
				if (u == FPGA_OK) {
					ASSERT_EQ(FPGA_OK,
					          t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e0, 0));
					ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, NLB_IRQ_RAISE, 0));
					EXPECT_EQ(1u, wait(fd0, 2000)) << nth;
				} else {
					EXPECT_EQ(FPGA_INVALID_PARAM, u);
					ASSERT_EQ(FPGA_OK,
					          t->fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, e0, 0));
				}
			}
		}
		EXPECT_GT(nth, 1u);
		if (grow) {
			ASSERT_EQ(FPGA_OK, t->fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, e0));
		}
		struct vfio_mock_leaks l = {};
		vfio_mock_leaks(&l);
		EXPECT_EQ(0u, l.irqs) << "grow " << grow;
	}
}
