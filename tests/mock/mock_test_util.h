/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_test_util.h - helpers shared by the mock kernel's gtest suites:
 * scenario fixtures and short wrappers around the raw VFIO ioctls.
 */
#ifndef MOCK_TEST_UTIL_H
#define MOCK_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <linux/vfio.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "scenario.h" /* the builder shared with the core tests; EDU_ADDR */
#include "vfio_mock.h"

/* One edu device in group 1 plus a plain device in group 2 (unless given). */
static const char kDefaultScenario[] = R"({
  "hugepages": { "2048kB": 8, "1048576kB": 2 },
  "devices": [
    { "address": "0000:00:03.0", "model": "edu", "group": 1 },
    { "address": "0000:00:04.0", "model": "none", "group": 2,
      "bars": [ { "index": 0, "size": "0x4000", "mmap": true,
                  "sparse": [["0x0", "0x1000"], ["0x2000", "0x2000"]] },
                { "index": 2, "size": "0x1000", "mmap": false } ],
      "irqs": { "intx": 1, "msi": 4, "msix": 8, "err": 1, "req": 1 }, "pcie": true } ]
})";

class MockTest : public ::testing::Test
{
      protected:
	void SetUp() override
	{
		ASSERT_EQ(0, vfio_mock_load_scenario(scenario()));
	}
	void TearDown() override
	{
		for (int fd : fds)
			close(fd);
		vfio_mock_reset();
	}
	virtual const char *scenario()
	{
		return kDefaultScenario;
	}

	int keep(int fd)
	{
		if (fd >= 0)
			fds.push_back(fd);
		return fd;
	}
	void drop(int fd)
	{
		for (auto it = fds.begin(); it != fds.end(); ++it)
			if (*it == fd) {
				fds.erase(it);
				break;
			}
		close(fd);
	}
	int open_container()
	{
		return keep(open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC));
	}
	int open_group(unsigned n)
	{
		return keep(open(("/dev/vfio/" + std::to_string(n)).c_str(), O_RDWR | O_CLOEXEC));
	}
	/* container + group n attached + type1v2 set */
	void setup_iommu(unsigned n, int *cont, int *grp)
	{
		*cont = open_container();
		ASSERT_GE(*cont, 0);
		*grp = open_group(n);
		ASSERT_GE(*grp, 0);
		ASSERT_EQ(0, ioctl(*grp, VFIO_GROUP_SET_CONTAINER, cont));
		ASSERT_EQ(0, ioctl(*cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	}
	int device(int grp, const char *name)
	{
		return keep(ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, name));
	}

	std::vector<int> fds;
};

/* The default scenario's edu, open: container, group 1 attached, device fd. */
class EduDeviceTest : public MockTest
{
      protected:
	void SetUp() override
	{
		MockTest::SetUp();
		setup_iommu(1, &cont, &grp);
		edu = device(grp, EDU_ADDR);
		ASSERT_GE(edu, 0);
	}
	int cont = -1, grp = -1, edu = -1;
};

static inline int map_dma(int cont, void *vaddr, uint64_t iova, uint64_t size,
                          uint32_t flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
{
	struct vfio_iommu_type1_dma_map m = {};

	m.argsz = sizeof(m);
	m.flags = flags;
	m.vaddr = (uintptr_t)vaddr;
	m.iova = iova;
	m.size = size;
	return ioctl(cont, VFIO_IOMMU_MAP_DMA, &m);
}

static inline int unmap_dma(int cont, uint64_t iova, uint64_t size, uint64_t *unmapped = nullptr,
                            uint32_t flags = 0)
{
	struct vfio_iommu_type1_dma_unmap u = {};
	int ret;

	u.argsz = sizeof(u);
	u.flags = flags;
	u.iova = iova;
	u.size = size;
	ret = ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &u);
	if (unmapped)
		*unmapped = u.size;
	return ret;
}

/* VFIO_DEVICE_SET_IRQS with eventfds (or -1) */
static inline int set_irq_efds(int dev, unsigned index, unsigned start, std::vector<int32_t> efds)
{
	std::vector<uint8_t> buf(sizeof(vfio_irq_set) + 4 * efds.size());
	auto *s = (vfio_irq_set *)buf.data();

	s->argsz = (uint32_t)buf.size();
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = index;
	s->start = start;
	s->count = (uint32_t)efds.size();
	if (!efds.empty())
		memcpy(s->data, efds.data(), 4 * efds.size());
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
}

static inline int set_irq_none(int dev, unsigned index, uint32_t action, unsigned start,
                               unsigned count)
{
	vfio_irq_set s = {};

	s.argsz = sizeof(s);
	s.flags = VFIO_IRQ_SET_DATA_NONE | action;
	s.index = index;
	s.start = start;
	s.count = count;
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &s);
}

/* eventfd counter, 0 if nothing pending (eventfds are created non-blocking) */
static inline uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* file offset of `off` in region `index` of a device fd */
static inline off_t region_at(unsigned index, uint64_t off = 0)
{
	return (off_t)(((uint64_t)index << 40) | off);
}

/* One edu DMA through pread/pwrite with 32-bit register writes (what a
 * 64-bit register gets through Linux 6.1's vfio), waiting for completion.
 * to_ram: device buffer -> RAM. Returns false if it did not complete. */
static inline bool edu_dma(int dev, uint64_t src, uint64_t dst, uint32_t cnt, bool to_ram)
{
	uint32_t v[4] = {(uint32_t)src, (uint32_t)dst, cnt, to_ram ? 3u : 1u};
	static const unsigned regs[4] = {0x80, 0x88, 0x90, 0x98};
	uint32_t cmd = 1;

	for (int i = 0; i < 4; i++)
		if (pwrite(dev, &v[i], 4, region_at(0, regs[i])) != 4)
			return false;
	for (int i = 0; i < 5000 && (cmd & 1); i++) {
		if (pread(dev, &cmd, 4, region_at(0, 0x98)) != 4)
			return false;
		usleep(200);
	}
	return !(cmd & 1);
}

/* number of open fds of this process */
static inline int open_fd_count()
{
	int n = 0, max = (int)sysconf(_SC_OPEN_MAX);
	for (int fd = 0; fd < max; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

#define EXPECT_ERRNO(err, call)                                                                    \
	do {                                                                                       \
		errno = 0;                                                                         \
		EXPECT_EQ(-1, (long)(call));                                                       \
		EXPECT_EQ(err, errno) << #call << ": " << strerror(errno);                         \
	} while (0)

#endif /* MOCK_TEST_UTIL_H */
