// SPDX-License-Identifier: BSD-3-Clause
// The mock must cost the program no fd and no memory mapping the kernel does
// not cost it: attached eventfds (the kernel holds a reference, not an fd),
// BAR memory, the worker; the container open with no free fd is EMFILE; and
// pinned buffers stop merging (vm.max_map_count) exactly as on the kernel.
#include <sys/resource.h>

#include <fstream>
#include <string>

#include "mock_test_util.h"

namespace
{

// Lower the soft fd limit to what is open now plus `spare`; restore on scope exit.
class FdLimit
{
      public:
	explicit FdLimit(int spare)
	{
		getrlimit(RLIMIT_NOFILE, &old_);
		int highest = 0, max = (int)old_.rlim_cur;
		for (int fd = 0; fd < max; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				highest = fd;
		struct rlimit rl = old_;
		rl.rlim_cur = (rlim_t)(highest + 1 + spare);
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	~FdLimit()
	{
		setrlimit(RLIMIT_NOFILE, &old_);
	}

      private:
	struct rlimit old_;
};

// Take every free fd; returns them (to be closed).
std::vector<int> fill_fd_table()
{
	std::vector<int> taken;
	for (;;) {
		int fd = dup(0);
		if (fd < 0)
			break;
		taken.push_back(fd);
	}
	return taken;
}

int maps_lines()
{
	std::ifstream f("/proc/self/maps");
	std::string line;
	int n = 0;
	while (std::getline(f, line))
		n++;
	return n;
}

class Budget : public MockTest
{
};

} // namespace

TEST(BudgetLoad, LoadingAScenarioCostsNoFd)
{
	vfio_mock_reset();
	int before = open_fd_count();
	ASSERT_EQ(0, vfio_mock_load_scenario(VFIOMOCK_SCENARIOS "/dfl-hostile-all.json"));
	EXPECT_EQ(before, open_fd_count()) << "BAR memory or the worker cost the program fds";
	vfio_mock_reset();
}

TEST_F(Budget, AttachedEventfdCostsNoFd)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int before = open_fd_count();
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	EXPECT_EQ(before, open_fd_count());
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(efd));
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_EQ(before, open_fd_count());
	close(efd);
}

TEST_F(Budget, WithTheFdTableFullAnEventfdStillAttaches)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	{
		FdLimit limit(4);
		auto taken = fill_fd_table();
		EXPECT_ERRNO(EMFILE, dup(0));
		EXPECT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}))
		    << "the kernel attaches an eventfd without a new fd: " << strerror(errno);
		EXPECT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSI_IRQ_INDEX, 0));
		EXPECT_EQ(1u, efd_count(efd));
		// the program closes its eventfd while the table is full: the vector
		// keeps it (the number stays taken, nothing else is needed)
		EXPECT_EQ(0, close(efd));
		EXPECT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSI_IRQ_INDEX, 0));
		for (int fd : taken)
			close(fd);
	}
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(1u, l.irqs);
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.irqs);
	EXPECT_ERRNO(EBADF, fcntl(efd, F_GETFD)); // the held eventfd is released at detach
}

TEST_F(Budget, ClosingAnAttachedEventfdKeepsItForTheVectorFdNeutrally)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int watch = dup(efd); // the program's second reference sees the signals
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	int before = open_fd_count();
	ASSERT_EQ(0, close(efd));
	EXPECT_EQ(before, open_fd_count()) << "the mock keeps one for the program's one";
	ASSERT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSI_IRQ_INDEX, 0));
	EXPECT_EQ(1u, efd_count(watch)) << "the kernel still signals the eventfd";
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_EQ(before - 1, open_fd_count());
	close(watch);
}

TEST_F(Budget, AnFdReusedForSomethingElseIsNotSignalled)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int pipefd[2];
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_MSI_IRQ_INDEX, 0, {efd}));
	// dup2 is not seen by the mock: the number now names a pipe
	ASSERT_EQ(efd, dup2(pipefd[1], efd));
	EXPECT_EQ(0, vfio_mock_raise_irq(EDU_ADDR, VFIO_PCI_MSI_IRQ_INDEX, 0));
	char b;
	EXPECT_ERRNO(EAGAIN, (fcntl(pipefd[0], F_SETFL, O_NONBLOCK), read(pipefd[0], &b, 1)));
	ASSERT_EQ(0, set_irq_none(dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
}

TEST_F(Budget, ContainerOpenWithNoFreeFdIsEmfileAndLeavesNothing)
{
	FdLimit limit(2);
	auto taken = fill_fd_table();
	EXPECT_ERRNO(EMFILE, open("/dev/vfio/vfio", O_RDWR));
	EXPECT_ERRNO(EMFILE, open("/dev/vfio/1", O_RDWR));
	for (int fd : taken)
		close(fd);
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l);
	EXPECT_EQ(0u, l.fds + l.dma_maps);
	int c = open_container();
	EXPECT_GE(c, 0);
	EXPECT_GE(open_group(1), 0) << "a failed open leaves the group free";
}

TEST_F(Budget, EduReadsZerosFromAnUnmappedIova)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	uint16_t cmd = 0x6;
	ASSERT_EQ(2, pwrite(dev, &cmd, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 4)));
	auto *mem = (uint8_t *)mmap(nullptr, 0x2000, PROT_READ | PROT_WRITE,
	                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(mem, 0x5a, 0x2000);
	ASSERT_EQ(0, map_dma(c, mem, 0x200000, 0x2000));
	// fill edu's buffer with 0x5a, then read 0x100 bytes from an unmapped IOVA
	ASSERT_TRUE(edu_dma(dev, 0x200000, 0x40000, 0x100, false));
	vfio_mock_clear_iommu_faults();
	ASSERT_TRUE(edu_dma(dev, 0x300000, 0x40000, 0x100, false));
	EXPECT_EQ(1u, vfio_mock_iommu_faults(nullptr, 0));
	memset(mem + 0x1000, 0x77, 0x100);
	ASSERT_TRUE(edu_dma(dev, 0x40000, 0x201000, 0x100, true));
	EXPECT_EQ(0, mem[0x1000]) << "QEMU's edu reads zeros where the IOMMU refuses";
	EXPECT_EQ(0, mem[0x10ff]);
	ASSERT_EQ(0, unmap_dma(c, 0x200000, 0x2000));
	munmap(mem, 0x2000);
}

// The core library's sequence per buffer: mmap, MAP_DMA, madvise(DONTFORK).
// Pinning faults each buffer in with its own anon_vma, so neighbours never
// merge again and each buffer stays one mapping (vm.max_map_count applies).
TEST_F(Budget, PinnedBuffersDoNotMergeIntoOneMapping)
{
	int c, g;
	setup_iommu(1, &c, &g);
	const int n = 500;
	std::vector<void *> bufs;
	int before = maps_lines();
	for (int i = 0; i < n; i++) {
		void *p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		               -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, map_dma(c, p, 0x1000000 + (uint64_t)i * 4096, 4096));
		ASSERT_EQ(0, madvise(p, 4096, MADV_DONTFORK));
		bufs.push_back(p);
	}
	EXPECT_GE(maps_lines() - before, n - 5) << "pinned buffers merged into few mappings";
	ASSERT_EQ(0, unmap_dma(c, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	for (void *p : bufs)
		munmap(p, 4096);
}
