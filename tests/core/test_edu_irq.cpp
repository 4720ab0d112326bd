// SPDX-License-Identifier: BSD-3-Clause
// test_edu_irq.cpp - the edu model doing DMA into library buffers, and IRQs:
// MSI through edu's raise register, disable really disarming the index, INTx
// with mask/unmask, validation and the kernel's refusals, NORESIZE regrow.
#include <chrono>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <thread>

#include "core_test_util.h"

static struct opae_vfio_device_irq *irq_of(struct opae_vfio *v, uint32_t index);

TEST_F(CoreTest, EduDmaRoundTripThroughLibraryBuffers)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	size_t sz = 4096;
	uint8_t *src = nullptr, *dst = nullptr;
	uint64_t src_iova = 0, dst_iova = 0;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &src, &src_iova));
	sz = 8192; // a huge-page buffer: its IOVA must still be below edu's 256 MiB reach
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &dst, &dst_iova));
	ASSERT_LT(dst_iova, 1ull << 28);
	for (int i = 0; i < 2048; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, 4096);
	ASSERT_TRUE(edu_dma(bar, src_iova, EDU_WINDOW, 2048, 0));
	ASSERT_TRUE(edu_dma(bar, EDU_WINDOW, dst_iova + 100, 2048, 2));
	EXPECT_EQ(0, memcmp(src, dst + 100, 2048));
	EXPECT_EQ(0, dst[99]);
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));

	// after free the IOVA is gone: the device's DMA faults, memory untouched
	EXPECT_EQ(0, opae_vfio_buffer_free(&v, dst));
	ASSERT_TRUE(edu_dma(bar, EDU_WINDOW, dst_iova, 2048, 2));
	EXPECT_GE(vfio_mock_iommu_faults(nullptr, 0), 1u);
}

TEST_F(CoreTest, MsiThroughEduAndDisableDisarmsTheIndex)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd)) << strerror(errno);
	struct opae_vfio_device_irq *msi = nullptr;
	for (auto *q = v.device.irqs; q; q = q->next)
		if (q->index == VFIO_PCI_MSI_IRQ_INDEX)
			msi = q;
	ASSERT_NE(nullptr, msi);
	EXPECT_EQ(efd, msi->event_fds[0]);
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSI_IRQ_INDEX, st.irq_index_enabled);

	wr32(bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	EXPECT_EQ(1u, rd32(bar, EDU_IRQ_STATUS));
	wr32(bar, EDU_IRQ_ACK, 0x1);
	// a second one arrives too (MSI needs no unmask)
	wr32(bar, EDU_IRQ_RAISE, 0x2);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	wr32(bar, EDU_IRQ_ACK, 0x2);

	unsigned calls = vfio_mock_calls("VFIO_DEVICE_SET_IRQS");
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(calls + 1, vfio_mock_calls("VFIO_DEVICE_SET_IRQS")) << "one call";
	EXPECT_EQ(-1, msi->event_fds[0]);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSI_IRQ_INDEX, st.irq_index_enabled) << "kept on for cheap churn";
	EXPECT_EQ(1u, leaks_now().irqs) << "the vector is parked on the library's eventfd";
	wr32(bar, EDU_IRQ_RAISE, 0x4);
	EXPECT_EQ(0u, wait_event(efd, 100));
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0)) << "no MSI write to IOVA 0";
	wr32(bar, EDU_IRQ_ACK, 0x4);
	// INTx can be enabled afterwards (the reference refused with EINVAL): the
	// idle MSI index goes off first
	EXPECT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd)) << strerror(errno);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_INTX_IRQ_INDEX, st.irq_index_enabled);
	EXPECT_EQ(1u, leaks_now().irqs)
	    << "the caller's eventfd only: the parked one went with MSI";
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	close(efd);
}

// The control for the test above: what OPAE's disable (a -1 eventfd for the
// vector) does to edu's MSI on the mock, as on the real kernel: the next
// interrupt is a write to IOVA 0, recorded as an IOMMU fault.
TEST_F(CoreTest, MsiDetachedWithoutParkingWritesToIovaZero)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	alignas(struct vfio_irq_set) uint8_t raw[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set set = {sizeof(raw),
	                           VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	                           VFIO_PCI_MSI_IRQ_INDEX, 0, 1};
	int32_t none = -1;
	memcpy(raw, &set, sizeof(set));
	memcpy(raw + sizeof(set), &none, sizeof(none));
	ASSERT_EQ(0, ioctl(v.device.device_fd, VFIO_DEVICE_SET_IRQS, raw));
	wr32(bar, EDU_IRQ_RAISE, 0x1);
	struct vfio_mock_iommu_fault f[2];
	ASSERT_EQ(1u, vfio_mock_iommu_faults(f, 2));
	EXPECT_EQ(0u, f[0].iova);
	EXPECT_EQ(1, f[0].write);
	wr32(bar, EDU_IRQ_ACK, 0x1);
	vfio_mock_clear_iommu_faults();
	close(efd);
}

// Enable/disable churn on one vector: one SET_IRQS per call once the index
// is on, for MSI, MSI-X and INTx alike, and the interrupt works every time.
TEST_F(CoreTest, IrqChurnIsOneCallPerEnableAndDisable)
{
	sc.msix = 4;
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (uint32_t index :
	     {VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_INTX_IRQ_INDEX}) {
		SCOPED_TRACE(index);
		ASSERT_EQ(0, opae_vfio_irq_enable(&v, index, 0, efd)) << strerror(errno);
		ASSERT_EQ(0, opae_vfio_irq_disable(&v, index, 0));
		unsigned calls = vfio_mock_calls("VFIO_DEVICE_SET_IRQS");
		for (int i = 0; i < 20; i++) {
			ASSERT_EQ(0, opae_vfio_irq_enable(&v, index, 0, efd));
			ASSERT_EQ(0, opae_vfio_irq_disable(&v, index, 0));
		}
		// INTx also unmasks on each enable (see IntxEnabledAgainStartsUnmasked)
		EXPECT_EQ(calls + (index == VFIO_PCI_INTX_IRQ_INDEX ? 60 : 40),
		          vfio_mock_calls("VFIO_DEVICE_SET_IRQS"));
		ASSERT_EQ(0, opae_vfio_irq_enable(&v, index, 0, efd));
		if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
			ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, index, 0));
		} else {
			wr32(bar, EDU_IRQ_RAISE, 0x1);
		}
		EXPECT_EQ(1u, wait_event(efd, 2000));
		wr32(bar, EDU_IRQ_ACK, 0x1);
		ASSERT_EQ(0, opae_vfio_irq_disable(&v, index, 0));
		EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	}
	close(efd);
}

// Disabled vectors of an index kept on: nothing reaches the caller, nothing
// is written; disabling again turns the index off for real and drops the
// parked eventfd; close turns an idle index off too.
TEST_F(CoreTest, IdleIndexGoesOffWhenAskedTwiceOrAtClose)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSI_IRQ_INDEX, st.irq_index_enabled);
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(-1, st.irq_index_enabled) << "asked twice: off for real";
	EXPECT_EQ(0u, leaks_now().irqs);
	unsigned calls = vfio_mock_calls("VFIO_DEVICE_SET_IRQS");
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0)) << "a no-op now";
	EXPECT_EQ(calls, vfio_mock_calls("VFIO_DEVICE_SET_IRQS"));

	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	opae_vfio_close(&v);
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(-1, st.irq_index_enabled);
	EXPECT_NO_LEAKS();
	close(efd);
}

// INTx detached while the kernel had it masked (after an interrupt, or by
// irq_mask) and attached again starts unmasked, as a fresh enable does.
TEST_F(CoreTest, IntxEnabledAgainStartsUnmasked)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (int explicit_mask = 0; explicit_mask < 2; explicit_mask++) {
		SCOPED_TRACE(explicit_mask);
		ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd));
		if (explicit_mask) {
			ASSERT_EQ(0, opae_vfio_irq_mask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
		} else {
			wr32(bar, EDU_IRQ_RAISE, 0x1);
			EXPECT_EQ(1u, wait_event(efd, 2000));
			wr32(bar, EDU_IRQ_ACK, 0x1); // automasked, never unmasked
		}
		ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
		if (explicit_mask) { // masked again while detached: the index is still on
			ASSERT_EQ(0, opae_vfio_irq_mask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
		}
		ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd));
		EXPECT_EQ(0, irq_of(&v, VFIO_PCI_INTX_IRQ_INDEX)->masks[0]);
		wr32(bar, EDU_IRQ_RAISE, 0x2);
		EXPECT_EQ(1u, wait_event(efd, 2000)) << "unmasked by the enable";
		wr32(bar, EDU_IRQ_ACK, 0x2);
		ASSERT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	}
	close(efd);
}

TEST_F(CoreTest, IntxMaskUnmaskDeliversTheSecondInterrupt)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd)) << strerror(errno);
	wr32(bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	wr32(bar, EDU_IRQ_ACK, 0x1);
	// automasked: nothing until unmask
	wr32(bar, EDU_IRQ_RAISE, 0x2);
	EXPECT_EQ(0u, wait_event(efd, 100));
	ASSERT_EQ(0, opae_vfio_irq_unmask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0)) << strerror(errno);
	EXPECT_EQ(1u, wait_event(efd, 2000)) << "the pending interrupt arrives on unmask";
	wr32(bar, EDU_IRQ_ACK, 0x2);
	ASSERT_EQ(0, opae_vfio_irq_unmask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));

	// explicit mask holds the next one back
	ASSERT_EQ(0, opae_vfio_irq_mask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	struct opae_vfio_device_irq *intx = v.device.irqs;
	ASSERT_EQ((uint32_t)VFIO_PCI_INTX_IRQ_INDEX, intx->index);
	EXPECT_EQ(1, intx->masks[0]);
	wr32(bar, EDU_IRQ_RAISE, 0x4);
	EXPECT_EQ(0u, wait_event(efd, 100));
	ASSERT_EQ(0, opae_vfio_irq_unmask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	EXPECT_EQ(0, intx->masks[0]);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	wr32(bar, EDU_IRQ_ACK, 0x4);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	close(efd);
}

TEST_F(CoreTest, IrqValidationAndKernelRefusals)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC);
	EXPECT_EQ(3, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 1, efd));  // edu has 1 MSI
	EXPECT_EQ(4, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0, efd)); // and no MSI-X
	EXPECT_EQ(4, opae_vfio_irq_enable(&v, 17, 0, efd));
	EXPECT_NE(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, -1));
	EXPECT_NE(0, opae_vfio_irq_enable(nullptr, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	EXPECT_NE(0, opae_vfio_irq_mask(&v, 17, 0));
	EXPECT_NE(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 5));
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_DEVICE_SET_IRQS"));

	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	errno = 0;
	EXPECT_NE(0, opae_vfio_irq_mask(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(ENOTTY, errno) << "the kernel cannot mask MSI";
	errno = 0;
	EXPECT_NE(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd));
	EXPECT_EQ(EINVAL, errno) << "INTx while MSI is on";
	EXPECT_EQ(-1, v.device.irqs->event_fds[0]) << "failed enable leaves the array as it was";
	// disabling a vector that is not enabled is a no-op
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	close(efd);
}

TEST_F(CoreTest, MsixGrowsPastNoResizeByReenablingWithAllEventfds)
{
	sc.model = "none";
	sc.msix = 8;
	open_default();
	int e0 = eventfd(0, EFD_CLOEXEC), e3 = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0, e0)) << strerror(errno);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 3, e3)) << strerror(errno);
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSIX_IRQ_INDEX, st.irq_index_enabled);
	EXPECT_GE(st.irq_vectors, 4u);
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	EXPECT_EQ(1u, wait_event(e0, 2000)) << "vector 0 still routed after the regrow";
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	EXPECT_EQ(1u, wait_event(e3, 2000));
	EXPECT_EQ(0u, wait_event(e0, 50));

	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSIX_IRQ_INDEX, st.irq_index_enabled) << "vector 3 still enabled";
	EXPECT_EQ(1u, leaks_now().irqs);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ((int)VFIO_PCI_MSIX_IRQ_INDEX, st.irq_index_enabled)
	    << "kept on, every vector masked";
	EXPECT_EQ(0u, leaks_now().irqs);
	// a raise now only sets the pending bit; attaching again delivers it
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	EXPECT_EQ(0u, wait_event(e3, 50));
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0));
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 3, e3));
	EXPECT_EQ(1u, wait_event(e3, 2000)) << "the pending message";
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	close(e0);
	close(e3);
}

TEST_F(CoreTest, CloseDisablesEnabledIrqs)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	unsigned before = vfio_mock_calls("VFIO_DEVICE_SET_IRQS");
	opae_vfio_close(&v);
	EXPECT_EQ(before + 1, vfio_mock_calls("VFIO_DEVICE_SET_IRQS"));
	EXPECT_NO_LEAKS();
	close(efd);
}

static struct opae_vfio_device_irq *irq_of(struct opae_vfio *v, uint32_t index)
{
	for (auto *q = v->device.irqs; q; q = q->next)
		if (q->index == index)
			return q;
	return nullptr;
}

// Re-routing a live MSI vector to a bad eventfd: vfio-pci detaches the old
// one before it fails. The library puts it back, so the vector keeps working
// and the device never writes its zeroed MSI message to IOVA 0.
TEST_F(CoreTest, MsiRerouteToABadEventfdKeepsTheOldOne)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC), closed = 1000, p[2];
	ASSERT_EQ(0, pipe(p));
	ASSERT_LT(fcntl(closed, F_GETFD), 0) << "fd 1000 must not be open";
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd)) << strerror(errno);
	auto *msi = irq_of(&v, VFIO_PCI_MSI_IRQ_INDEX);
	ASSERT_NE(nullptr, msi);
	struct {
		int fd, err;
	} bad[] = {{closed, EBADF}, {p[0], EINVAL}, {p[1], EINVAL}};
	for (auto b : bad) {
		SCOPED_TRACE(b.fd);
		errno = 0;
		EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, b.fd));
		EXPECT_EQ(b.err, errno) << "the kernel's reason, not the recovery's";
		EXPECT_EQ(efd, msi->event_fds[0]) << "the library reports the real state";
		EXPECT_EQ(1u, leaks_now().irqs) << "the kernel has the old eventfd again";
		wr32(bar, EDU_IRQ_RAISE, 0x1);
		EXPECT_EQ(1u, wait_event(efd, 2000)) << "the vector still signals the old eventfd";
		wr32(bar, EDU_IRQ_ACK, 0x1);
		EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0)) << "no MSI write to IOVA 0";
	}
	// -2 never reaches the kernel
	unsigned calls = vfio_mock_calls("VFIO_DEVICE_SET_IRQS");
	errno = 0;
	EXPECT_EQ(1, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, -2));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(calls, vfio_mock_calls("VFIO_DEVICE_SET_IRQS"));
	EXPECT_EQ(efd, msi->event_fds[0]);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	close(efd);
	close(p[0]);
	close(p[1]);
}

// The old eventfd cannot go back either (the caller closed it): the library
// turns the index off, says so in event_fds, and the device stays silent.
TEST_F(CoreTest, MsiRerouteWithNoWayBackDisablesTheIndex)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int old = eventfd(0, EFD_CLOEXEC), p[2];
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, old));
	close(old); // the kernel keeps its reference; the fd number is gone
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, p[0]));
	auto *msi = irq_of(&v, VFIO_PCI_MSI_IRQ_INDEX);
	EXPECT_EQ(-1, msi->event_fds[0]);
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(-1, st.irq_index_enabled) << "a vector without eventfd is never left live";
	EXPECT_EQ(0u, leaks_now().irqs);
	wr32(bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(0u, vfio_mock_iommu_faults(nullptr, 0)) << "no MSI write to IOVA 0";
	wr32(bar, EDU_IRQ_ACK, 0x1);
	// and the library is consistent: enabling again works
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd)) << strerror(errno);
	wr32(bar, EDU_IRQ_RAISE, 0x2);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	wr32(bar, EDU_IRQ_ACK, 0x2);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0));
	close(efd);
	close(p[0]);
	close(p[1]);
}

// INTx behaves the same way in vfio-pci (vfio_intx_set_signal).
TEST_F(CoreTest, IntxRerouteToABadEventfdKeepsTheOldOne)
{
	open_default();
	uint8_t *bar = nullptr;
	ASSERT_EQ(0, opae_vfio_region_get(&v, 0, &bar, nullptr));
	int efd = eventfd(0, EFD_CLOEXEC), p[2];
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, efd));
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0, p[1]));
	EXPECT_EQ(efd, irq_of(&v, VFIO_PCI_INTX_IRQ_INDEX)->event_fds[0]);
	wr32(bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(1u, wait_event(efd, 2000));
	wr32(bar, EDU_IRQ_ACK, 0x1);
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_INTX_IRQ_INDEX, 0));
	close(efd);
	close(p[0]);
	close(p[1]);
}

// Nothing works any more: the re-route fails, the old eventfd cannot go
// back, the index cannot be turned off. The library cannot know what the
// kernel kept, so it claims nothing (-1); the next disable turns the index
// off and nothing is left.
TEST_F(CoreTest, MsiRerouteWithNothingLeftClaimsNoEventfd)
{
	open_default();
	int efd = eventfd(0, EFD_CLOEXEC), efd2 = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd));
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 1, EINVAL)); // the re-route
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 2, EIO));    // eventfd back
	ASSERT_EQ(0, vfio_mock_fail("VFIO_DEVICE_SET_IRQS", 3, EIO));    // index off
	errno = 0;
	EXPECT_EQ(5, opae_vfio_irq_enable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0, efd2));
	EXPECT_EQ(EINVAL, errno) << "the re-route's reason";
	EXPECT_EQ(-1, irq_of(&v, VFIO_PCI_MSI_IRQ_INDEX)->event_fds[0]);
	vfio_mock_clear_faults();
	EXPECT_EQ(0, opae_vfio_irq_disable(&v, VFIO_PCI_MSI_IRQ_INDEX, 0)) << "off when asked";
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(-1, st.irq_index_enabled);
	EXPECT_EQ(0u, leaks_now().irqs);
	close(efd);
	close(efd2);
}
