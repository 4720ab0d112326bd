// SPDX-License-Identifier: BSD-3-Clause
// VFIO_IOMMU_MAP_DMA pins like Linux 6.1's vfio_pin_pages_remote: access
// checked (a writable mapping of read-only or PROT_NONE memory is EFAULT),
// pinned pages counted against RLIMIT_MEMLOCK without CAP_IPC_LOCK, and a
// read-only mapping of never-touched memory pins the shared zero page.
#include <linux/capability.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "mock_test_util.h"

namespace
{

class Pin : public MockTest
{
      protected:
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(1, &cont, &grp);
	}
	int cont = -1, grp = -1;
};

void *anon(size_t len, int prot)
{
	return mmap(nullptr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

// Drop CAP_IPC_LOCK from the effective set (the permitted set keeps it).
bool drop_ipc_lock()
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return false;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d) == 0;
}

} // namespace

TEST_F(Pin, AWritableMappingNeedsWritableMemory)
{
	const uint32_t R = VFIO_DMA_MAP_FLAG_READ, RW = R | VFIO_DMA_MAP_FLAG_WRITE;
	void *ro = anon(8192, PROT_READ), *none = anon(8192, PROT_NONE), *rw = anon(8192, PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(EFAULT, map_dma(cont, ro, 0x100000, 8192, RW));
	EXPECT_EQ(0, map_dma(cont, ro, 0x100000, 8192, R));
	EXPECT_ERRNO(EFAULT, map_dma(cont, none, 0x200000, 8192, R));
	EXPECT_ERRNO(EFAULT, map_dma(cont, none, 0x200000, 8192, RW));
	EXPECT_EQ(0, map_dma(cont, rw, 0x200000, 8192, RW));
	// half writable, half read-only: refused as a whole
	ASSERT_EQ(0, mprotect((uint8_t *)rw + 4096, 4096, PROT_READ));
	EXPECT_ERRNO(EFAULT, map_dma(cont, rw, 0x300000, 8192, RW));
	// a read-only shared file mapping
	FILE *f = tmpfile();
	ASSERT_EQ(0, ftruncate(fileno(f), 4096));
	void *file = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fileno(f), 0);
	EXPECT_ERRNO(EFAULT, map_dma(cont, file, 0x400000, 4096, RW));
	EXPECT_EQ(0, map_dma(cont, file, 0x400000, 4096, R));
	EXPECT_EQ(3u, vfio_mock_dma_maps(cont, nullptr, 0)) << "the failures left nothing";
	ASSERT_EQ(0, unmap_dma(cont, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	munmap(file, 4096);
	fclose(f);
	munmap(ro, 8192);
	munmap(none, 8192);
	munmap(rw, 8192);
}

TEST_F(Pin, BarMappingsArePeerToPeerMemory)
{
	int dev = device(grp, EDU_ADDR);
	ASSERT_GE(dev, 0);
	void *bar = mmap(nullptr, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED, dev, region_at(0, 0x10000));
	ASSERT_NE(MAP_FAILED, bar);
	EXPECT_EQ(0, map_dma(cont, bar, 0x100000, 0x10000));
	void *ro = mmap(nullptr, 0x1000, PROT_READ, MAP_SHARED, dev, region_at(0, 0x20000));
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_ERRNO(EFAULT, map_dma(cont, ro, 0x200000, 0x1000));
	EXPECT_EQ(0, map_dma(cont, ro, 0x200000, 0x1000, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, unmap_dma(cont, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	munmap(bar, 0x10000);
	munmap(ro, 0x1000);
}

// In a child (it changes its capabilities and limits).
TEST_F(Pin, MemlockLimitWithoutCapIpcLock)
{
	void *mem = anon(0x40000, PROT_READ | PROT_WRITE);
	fflush(nullptr);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rlimit rl = {0x10000, 0x10000}; // 64 KiB
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		// with CAP_IPC_LOCK there is no limit
		if (map_dma(cont, mem, 0x100000, 0x20000))
			_exit(11);
		if (unmap_dma(cont, 0x100000, 0x20000))
			_exit(12);
		if (!drop_ipc_lock())
			_exit(13);
		if (map_dma(cont, mem, 0x100000, 0x8000)) // 32 KiB
			_exit(14);
		if (map_dma(cont, mem, 0x200000, 0x10000) != -1 || errno != ENOMEM) // +64 KiB
			_exit(15);
		if (map_dma(cont, mem, 0x200000, 0x8000)) // exactly at the limit
			_exit(16);
		if (map_dma(cont, mem, 0x300000, 0x1000) != -1 || errno != ENOMEM)
			_exit(17); // the same pages mapped twice counted twice
		if (unmap_dma(cont, 0x100000, 0x8000) || map_dma(cont, mem, 0x300000, 0x8000))
			_exit(18); // unmapping gives the pages back
		_exit(0);
	}
	int status = 0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munmap(mem, 0x40000);
}

TEST_F(Pin, ReadOnlyMapOfUntouchedMemoryPinsTheZeroPage)
{
	int dev = device(grp, EDU_ADDR);
	ASSERT_GE(dev, 0);
	uint16_t cmd = 0x6;
	ASSERT_EQ(2, pwrite(dev, &cmd, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 4)));
	auto *untouched = (uint8_t *)anon(0x1000, PROT_READ | PROT_WRITE);
	auto *touched = (uint8_t *)anon(0x1000, PROT_READ | PROT_WRITE);
	auto *out = (uint8_t *)anon(0x1000, PROT_READ | PROT_WRITE);
	touched[0] = 1;
	ASSERT_EQ(0, map_dma(cont, untouched, 0x100000, 0x1000, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_dma(cont, touched, 0x101000, 0x1000, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_dma(cont, out, 0x102000, 0x1000));
	memset(untouched, 0x5a, 0x1000); // the CPU gets a new page; the device keeps the zero page
	memset(touched, 0x6b, 0x1000);
	ASSERT_TRUE(edu_dma(dev, 0x100000, 0x40000, 0x100, false));
	ASSERT_TRUE(edu_dma(dev, 0x40000, 0x102000, 0x100, true));
	EXPECT_EQ(0, out[0]);
	EXPECT_EQ(0, out[0xff]);
	ASSERT_TRUE(edu_dma(dev, 0x101000, 0x40000, 0x100, false));
	ASSERT_TRUE(edu_dma(dev, 0x40000, 0x102000, 0x100, true));
	EXPECT_EQ(0x6b, out[0]);
	ASSERT_EQ(0, unmap_dma(cont, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL));
	munmap(untouched, 0x1000);
	munmap(touched, 0x1000);
	munmap(out, 0x1000);
}

// C16: the device keeps the pages pinned at MAP_DMA, whatever the program
// does to the addresses before UNMAP_DMA.
class PinBound : public Pin
{
      protected:
	void SetUp() override
	{
		Pin::SetUp();
		dev = device(grp, EDU_ADDR);
		ASSERT_GE(dev, 0);
		uint16_t cmd = 0x6;
		ASSERT_EQ(2, pwrite(dev, &cmd, 2, region_at(VFIO_PCI_CONFIG_REGION_INDEX, 4)));
		out = (uint8_t *)anon(0x1000, PROT_READ | PROT_WRITE);
		ASSERT_EQ(0, map_dma(cont, out, 0x200000, 0x1000));
		buf = (uint8_t *)anon(0x4000, PROT_READ | PROT_WRITE);
		memset(buf, 0x11, 0x4000);
		ASSERT_EQ(0, map_dma(cont, buf, 0x100000, 0x4000));
	}
	void TearDown() override
	{
		unmap_dma(cont, 0, 0, nullptr, VFIO_DMA_UNMAP_FLAG_ALL);
		munmap(out, 0x1000);
		Pin::TearDown();
	}
	// what the device reads at iova (a byte, through its buffer and `out`)
	int device_reads(uint64_t iova)
	{
		memset(out, 0xee, 0x100);
		if (!edu_dma(dev, iova, 0x40000, 0x100, false) ||
		    !edu_dma(dev, 0x40000, 0x200000, 0x100, true))
			return -1;
		return out[0];
	}
	int dev = -1;
	uint8_t *out = nullptr, *buf = nullptr;
};

TEST_F(PinBound, FreedAndReusedAddressStillShowsTheOldPages)
{
	ASSERT_EQ(0x11, device_reads(0x101000));
	ASSERT_EQ(0, munmap(buf, 0x4000));
	auto *again = (uint8_t *)mmap(buf, 0x4000, PROT_READ | PROT_WRITE,
	                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(buf, again);
	memset(again, 0x22, 0x4000);
	EXPECT_EQ(0x11, device_reads(0x101000)) << "the device reads the pinned (freed) pages";
	// and its writes go there, not into the new memory
	ASSERT_TRUE(edu_dma(dev, 0x40000, 0x102000, 0x100, true));
	EXPECT_EQ(0x22, again[0x2000]);
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 0x4000));
	munmap(again, 0x4000);
}

TEST_F(PinBound, MapFixedOverAMappedBufferDoesNotReachTheDevice)
{
	auto *over = (uint8_t *)mmap(buf + 0x1000, 0x1000, PROT_READ | PROT_WRITE,
	                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(buf + 0x1000, over);
	memset(over, 0x33, 0x1000);
	EXPECT_EQ(0x11, device_reads(0x101000));
	EXPECT_EQ(0x11, device_reads(0x100000)) << "the untouched part as before";
	buf[0] = 0x44;
	EXPECT_EQ(0x44, device_reads(0x100000)) << "the CPU still shares page 0 with the device";
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 0x4000));
	munmap(buf, 0x4000);
}

TEST_F(PinBound, MadvDontneedGivesTheCpuZerosAndTheDeviceItsPages)
{
	ASSERT_EQ(0, madvise(buf, 0x4000, MADV_DONTNEED));
	EXPECT_EQ(0, buf[0x1000]) << "the CPU gets a zero page";
	EXPECT_EQ(0x11, device_reads(0x101000)) << "the device keeps the pinned page";
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 0x4000));
	munmap(buf, 0x4000);
}

TEST_F(PinBound, MremapMovesThePagesAndTheDeviceFollows)
{
	auto *dst = (uint8_t *)anon(0x4000, PROT_NONE);
	auto *moved = (uint8_t *)mremap(buf, 0x4000, 0x4000, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, moved);
	memset(moved + 0x1000, 0x55, 0x100);
	EXPECT_EQ(0x55, device_reads(0x101000)) << "the pinned pages live at the new address";
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 0x4000));
	munmap(moved, 0x4000);
}

// The anonymous (unnamed) mappings of this process, as [lo, hi) ranges.
static std::vector<std::pair<uint64_t, uint64_t>> anon_ranges()
{
	std::ifstream f("/proc/self/maps");
	std::string line;
	std::vector<std::pair<uint64_t, uint64_t>> out;

	while (std::getline(f, line)) {
		unsigned long lo, hi, ino;
		char path[8] = "";
		if (sscanf(line.c_str(), "%lx-%lx %*s %*x %*x:%*x %lu %7s", &lo, &hi, &ino, path) >= 3 &&
		    !ino && !path[0])
			out.emplace_back(lo, hi);
	}
	return out;
}

static bool in_ranges(const std::vector<std::pair<uint64_t, uint64_t>> &r, uint64_t a)
{
	for (auto &x : r)
		if (a >= x.first && a < x.second)
			return true;
	return false;
}

// The first 8 bytes of the page at `a`, whatever its protection (0 when the
// page is not mapped).
static uint64_t page_mark(int mem, uint64_t a)
{
	uint64_t v = 0;
	return pread(mem, &v, sizeof v, (off_t)a) == (ssize_t)sizeof v ? v : 0;
}

// Pages mapped anew since `old` that start with one of `marks`: where the mock
// keeps the device's pages. Compared page by page, not by totals: the
// sanitizers' allocators map memory of their own at any moment.
static std::vector<uint64_t> kept_pages(const std::vector<std::pair<uint64_t, uint64_t>> &old,
                                        const uint64_t *marks, unsigned nmarks)
{
	std::vector<uint64_t> found;
	int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		return found;
	auto scan = [&](uint64_t lo, uint64_t hi) {
		for (uint64_t p = lo; p < hi && p - lo < (64u << 20); p += 4096) {
			uint64_t m = page_mark(mem, p);
			if (std::find(marks, marks + nmarks, m) != marks + nmarks)
				found.push_back(p);
		}
	};
	for (auto &r : anon_ranges()) {
		// the parts of r that were not mapped before (both lists are sorted)
		uint64_t a = r.first;
		for (auto &o : old) {
			if (o.second <= a || o.first >= r.second)
				continue;
			scan(a, std::min(o.first, r.second));
			a = std::max(a, o.second);
		}
		scan(a, r.second);
	}
	close(mem);
	return found;
}

TEST_F(PinBound, UnmapDmaFreesThePagesItKept)
{
	uint64_t marks[4];
	for (unsigned i = 0; i < 4; i++) {
		marks[i] = 0x6b657074706167e0ull + i; // one per page, found nowhere else
		memcpy(buf + i * 4096, &marks[i], sizeof marks[i]);
	}
	auto before = anon_ranges();
	ASSERT_EQ(0, munmap(buf, 0x4000));
	auto kept = kept_pages(before, marks, 4);
	EXPECT_EQ(4u, kept.size()) << "the pinned pages are kept for the device, out of the program's way";
	EXPECT_FALSE(in_ranges(anon_ranges(), (uint64_t)buf)) << "the program's range is unmapped";
	ASSERT_EQ(0, unmap_dma(cont, 0x100000, 0x4000));
	int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(mem, 0);
	for (uint64_t a : kept) {
		// gone, or reused by someone else for fresh (zeroed) memory
		uint64_t m = page_mark(mem, a);
		EXPECT_TRUE(m < marks[0] || m > marks[3]) << "UNMAP_DMA frees the kept page at " << std::hex << a;
	}
	close(mem);
}
