// SPDX-License-Identifier: BSD-3-Clause
// test_mock_irq.cpp - VFIO_DEVICE_SET_IRQS against vfio-pci 6.1: validation,
// INTx automask/unmask, MSI/MSI-X NORESIZE, mask ENOTTY, index switching,
// ERR/REQ triggers, the IOVA-0 write of a detached-but-enabled MSI vector,
// and IRQ teardown when the last device fd closes.
#include "mock_test_util.h"

class Irq : public MockTest
{
      protected:
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(2, &cont, &grp);
		dev = device(grp, "0000:00:04.0");
		ASSERT_GE(dev, 0);
		efd = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
		efd2 = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	}
	struct vfio_mock_device_state state()
	{
		struct vfio_mock_device_state st = {};
		EXPECT_EQ(0, vfio_mock_device_state("0000:00:04.0", &st));
		return st;
	}
	int cont = -1, grp = -1, dev = -1, efd = -1, efd2 = -1;
};

TEST_F(Irq, IrqInfo)
{
	vfio_irq_info info = {};
	info.argsz = sizeof(info);
	info.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(
	    (uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED),
	    info.flags);
	EXPECT_EQ(1u, info.count);
	info.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ((uint32_t)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE), info.flags);
	EXPECT_EQ(8u, info.count);
	info.index = VFIO_PCI_NUM_IRQS;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	info.index = 0;
	info.argsz = 8;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
}

TEST_F(Irq, SetIrqsValidation)
{
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 4, {efd})); // start >= count
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 2, {efd, efd, efd}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_NUM_IRQS, 0, {efd}));
	vfio_irq_set s = {};
	s.argsz = sizeof(s);
	s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.index = VFIO_PCI_MSI_IRQ_INDEX;
	s.count = 1;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_SET_IRQS, &s)); // data missing
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_SET_IRQS, &s)); // two data types
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_ERRNO(ENOTTY, ioctl(dev, VFIO_DEVICE_SET_IRQS, &s)); // two actions
	s.flags = 1u << 10;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_SET_IRQS, &s)); // unknown flag
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.argsz = 8;
	EXPECT_ERRNO(EINVAL, ioctl(dev, VFIO_DEVICE_SET_IRQS, &s)); // argsz
	EXPECT_ERRNO(EBADF, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {999}));
	int notefd = keep(open("/dev/null", O_RDONLY));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {notefd}));
	EXPECT_EQ(-1, state().irq_index_enabled) << "failed calls enable nothing";
}

TEST_F(Irq, IntxAutomaskAndUnmask)
{
	EXPECT_ERRNO(EINVAL, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK,
	                                  0, 1)); // not enabled
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	EXPECT_EQ(VFIO_PCI_INTX_IRQ_INDEX, state().irq_index_enabled);
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	EXPECT_EQ(1, state().intx_masked);
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(0u, efd_count(efd)) << "masked: no second interrupt";
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0, state().intx_masked);
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	// user mask, loopback trigger (fires without masking)
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	EXPECT_EQ(1, state().intx_masked);
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1u, efd_count(efd));
	// switching to MSI while INTx is enabled
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	// disable: DATA_NONE count 0
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_EQ(-1, state().irq_index_enabled);
	EXPECT_ERRNO(EINVAL, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
	                                  0, 0)); // nothing to disable
}

TEST_F(Irq, IntxUnmaskWhileAssertedDeliversAgain)
{
	int c2, g2;
	// edu keeps its line asserted until acknowledged
	setup_iommu(1, &c2, &g2);
	int edu = device(g2, EDU_ADDR);
	ASSERT_GE(edu, 0);
	vfio_region_info bar = {};
	bar.argsz = sizeof(bar);
	ASSERT_EQ(0, ioctl(edu, VFIO_DEVICE_GET_REGION_INFO, &bar));
	ASSERT_EQ(0, set_irq_efds(edu, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	uint32_t v = 0x40;
	ASSERT_EQ(4, pwrite(edu, &v, 4, bar.offset + 0x60)); // raise
	EXPECT_EQ(1u, efd_count(efd));
	ASSERT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1u, efd_count(efd)) << "line still asserted: unmask re-sends";
	ASSERT_EQ(4, pwrite(edu, &v, 4, bar.offset + 0x64)); // ack
	ASSERT_EQ(0, set_irq_none(edu, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0u, efd_count(efd));
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.intx_masked);
}

static int set_intx_unmask_efd(int dev, int32_t fd)
{
	std::vector<uint8_t> buf(sizeof(vfio_irq_set) + 4);
	auto *s = (vfio_irq_set *)buf.data();

	s->argsz = (uint32_t)buf.size();
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
	s->index = VFIO_PCI_INTX_IRQ_INDEX;
	s->count = 1;
	memcpy(s->data, &fd, 4);
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
}

// vfio_pci_set_intx_unmask (6.1): an eventfd whose signal unmasks INTx
// (virqfd: the count is consumed, a line still asserted is sent again);
// fd -1, disabling INTx and closing the eventfd each tear it down.
TEST_F(Irq, IntxUnmaskByEventfd)
{
	int ufd = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	int notefd = keep(open("/dev/null", O_RDONLY));

	EXPECT_ERRNO(EINVAL, set_intx_unmask_efd(dev, ufd)); // INTx not enabled
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	EXPECT_ERRNO(EBADF, set_intx_unmask_efd(dev, 999));
	EXPECT_ERRNO(EINVAL, set_intx_unmask_efd(dev, notefd));
	ASSERT_EQ(0, set_intx_unmask_efd(dev, ufd));
	EXPECT_ERRNO(EBUSY, set_intx_unmask_efd(dev, efd2)); // one irqfd per line
	struct vfio_mock_leaks lk = {};
	vfio_mock_leaks(&lk);
	EXPECT_EQ(2u, lk.irqs) << "the trigger and the irqfd";

	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	EXPECT_EQ(1, state().intx_masked);
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, state().intx_masked) << "the write unmasked at once";
	EXPECT_EQ(0u, efd_count(ufd)) << "the kernel consumed the count";
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	uint64_t one = 1;
	ASSERT_EQ(8, write(ufd, &one, 8)) << "plain write() reaches it too";
	EXPECT_EQ(0, state().intx_masked);
	EXPECT_ERRNO(EINVAL, write(ufd, &one, 4)); // the eventfd's own errors

	// fd -1: gone; a write stays in the eventfd and unmasks nothing
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	ASSERT_EQ(0, set_intx_unmask_efd(dev, -1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1, state().intx_masked);
	EXPECT_EQ(1u, efd_count(ufd));

	// a count already pending at attach unmasks once and stays
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	ASSERT_EQ(0, set_intx_unmask_efd(dev, ufd));
	EXPECT_EQ(0, state().intx_masked);
	EXPECT_EQ(1u, efd_count(ufd));

	// closing the eventfd tears it down (EPOLLHUP): another can attach
	int ufd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(ufd2, 0);
	ASSERT_EQ(0, set_intx_unmask_efd(dev, -1));
	ASSERT_EQ(0, set_intx_unmask_efd(dev, ufd2));
	ASSERT_EQ(0, close(ufd2));
	ASSERT_EQ(0, set_intx_unmask_efd(dev, ufd));

	// disabling INTx tears it down
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1u, efd_count(ufd));
	vfio_mock_leaks(&lk);
	EXPECT_EQ(0u, lk.irqs);
}

// A line still asserted when the irqfd fires stays masked and is sent again.
TEST_F(Irq, IntxUnmaskEventfdResendsWhileAsserted)
{
	int c2, g2;
	setup_iommu(1, &c2, &g2);
	int edu = device(g2, EDU_ADDR);
	ASSERT_GE(edu, 0);
	int ufd = keep(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	ASSERT_EQ(0, set_irq_efds(edu, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	ASSERT_EQ(0, set_intx_unmask_efd(edu, ufd));
	uint32_t v = 0x40;
	ASSERT_EQ(4, pwrite(edu, &v, 4, region_at(VFIO_PCI_BAR0_REGION_INDEX, 0x60))); // raise
	EXPECT_EQ(1u, efd_count(efd));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1u, efd_count(efd)) << "still asserted: sent again";
	ASSERT_EQ(4, pwrite(edu, &v, 4, region_at(VFIO_PCI_BAR0_REGION_INDEX, 0x64))); // ack
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0u, efd_count(efd));
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.intx_masked);
	drop(edu); // the last close takes the irqfd with INTx
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1u, efd_count(ufd));
}

TEST_F(Irq, MsiNoResizeDetachAndDisable)
{
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd, efd2}));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, state().irq_index_enabled);
	EXPECT_EQ(2u, state().irq_vectors);
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 2, {efd})); // NORESIZE
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSI_IRQ_INDEX, 1));
	EXPECT_EQ(1u, efd_count(efd2));
	EXPECT_EQ(0u, efd_count(efd));
	// loopback trigger of one vector
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1u, efd_count(efd));
	// mask/unmask of MSI: not supported by vfio-pci
	EXPECT_ERRNO(ENOTTY,
	             set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	EXPECT_ERRNO(ENOTTY,
	             set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	// other index while MSI is on
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {efd}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	// fd -1 detaches a vector but leaves the index enabled
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {-1, -1}));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, state().irq_index_enabled);
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_EQ(-1, state().irq_index_enabled);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 3, {efd})); // enables 4 vectors
	EXPECT_EQ(4u, state().irq_vectors);
}

TEST_F(Irq, DetachedButEnabledMsiWritesZeroesAtIova0)
{
	auto *buf = (uint32_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf[0] = 0xdeadbeef;
	buf[1] = 0xcafef00d;
	uint16_t cmd = 0x6; // memory + bus master
	ASSERT_EQ(2, pwrite(dev, &cmd, 2, (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40 | 4));
	vfio_mock_clear_iommu_faults();
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {-1}));
	// nothing mapped at IOVA 0: an IOMMU fault
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSI_IRQ_INDEX, 0));
	vfio_mock_iommu_fault f[4];
	ASSERT_EQ(1u, vfio_mock_iommu_faults(f, 4));
	EXPECT_STREQ("0000:00:04.0", f[0].device);
	EXPECT_EQ(0u, f[0].iova);
	EXPECT_EQ(1, f[0].write);
	// a buffer at IOVA 0 gets corrupted, as on the real kernel
	ASSERT_EQ(0, map_dma(cont, buf, 0, 4096));
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(0u, buf[0]);
	EXPECT_EQ(0xcafef00du, buf[1]);
	// disabled index: the device does not signal at all
	buf[0] = 1;
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(1u, buf[0]);
	ASSERT_EQ(0, unmap_dma(cont, 0, 4096));
	munmap(buf, 4096);
}

// vfio_msi_set_vector_signal / vfio_intx_set_signal drop the old eventfd
// before looking at the new one: re-routing a live vector to a bad fd fails
// and leaves the vector live with no eventfd (core's rule, issue #8).
TEST_F(Irq, RerouteToBadFdDetachesTheOldEventfd)
{
	int notefd = keep(open("/dev/null", O_RDONLY));
	uint16_t cmd = 0x6; // memory + bus master
	ASSERT_EQ(2, pwrite(dev, &cmd, 2, (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40 | 4));
	vfio_mock_clear_iommu_faults();
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd, efd2}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 1, {notefd}));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, state().irq_index_enabled) << "the index stays on";
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(1u, l.irqs) << "vector 1 lost its eventfd, vector 0 kept its own";
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSI_IRQ_INDEX, 1));
	EXPECT_EQ(0u, efd_count(efd2));
	EXPECT_EQ(1u, vfio_mock_iommu_faults(nullptr, 0)) << "the MSI write went to IOVA 0";
	// a block fails at its second vector: the first is detached again
	EXPECT_ERRNO(EBADF, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd, 999}));
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
	// a first enable that fails leaves the index off
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_ERRNO(EBADF, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd, 999}));
	EXPECT_EQ(-1, state().irq_index_enabled);
	// INTx: the same order
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {efd}));
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_INTX_IRQ_INDEX, 0, {notefd}));
	EXPECT_EQ(VFIO_PCI_INTX_IRQ_INDEX, state().irq_index_enabled);
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
}

TEST_F(Irq, ErrAndReqTriggers)
{
	EXPECT_ERRNO(EINVAL, set_irq_efds(dev, VFIO_PCI_REQ_IRQ_INDEX, 1, {efd}));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_ERR_IRQ_INDEX, 0, {efd}));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_REQ_IRQ_INDEX, 0, {efd2}));
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1u, efd_count(efd2));
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_ERR_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	EXPECT_ERRNO(ENOTTY,
	             set_irq_none(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(2u, l.irqs);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_ERR_IRQ_INDEX, 0, {-1}));
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
}

TEST_F(Irq, MockKeepsItsOwnEventfdAndCloseDisables)
{
	int tmp = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, {tmp, efd}));
	close(tmp); // the kernel holds its own reference
	ASSERT_EQ(0, vfio_mock_raise_irq("0000:00:04.0", VFIO_PCI_MSIX_IRQ_INDEX, 1));
	EXPECT_EQ(1u, efd_count(efd));
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(2u, l.irqs);
	drop(dev);
	EXPECT_EQ(-1, state().irq_index_enabled);
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
}
