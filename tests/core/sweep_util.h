// SPDX-License-Identifier: BSD-3-Clause
// sweep_util.h - fault sweeps that know which call failed: every kernel (and
// libc) call of an operation is failed in turn, kind by kind, and the test
// asserts that call's documented outcome as well as the absence of leaks.
#ifndef SWEEP_UTIL_H
#define SWEEP_UTIL_H

#include <functional>
#include <string>
#include <vector>

#include "core_test_util.h"

// Every call kind the mock counts once (the generic "ioctl" and "any" are
// sums of these): together they must account for every call of "any".
static inline const std::vector<std::string> &sweep_kinds()
{
	static const std::vector<std::string> k = {
	    "open", "close", "readlink", "mmap_bar", "mmap_huge", "mmap_anon", "munmap",
	    "munmap_anon", "madvise", "pread", "pwrite",
	    // ioctls by name
	    "VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION", "VFIO_SET_IOMMU", "VFIO_IOMMU_GET_INFO",
	    "VFIO_IOMMU_MAP_DMA", "VFIO_IOMMU_UNMAP_DMA", "VFIO_GROUP_GET_STATUS",
	    "VFIO_GROUP_SET_CONTAINER", "VFIO_GROUP_UNSET_CONTAINER", "VFIO_GROUP_GET_DEVICE_FD",
	    "VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_GET_REGION_INFO", "VFIO_DEVICE_GET_IRQ_INFO",
	    "VFIO_DEVICE_SET_IRQS", "VFIO_DEVICE_RESET", "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
	    "VFIO_DEVICE_PCI_HOT_RESET", "VFIO_DEVICE_FEATURE"};
	return k;
}

// The failing call of one sweep step and what the operation returned.
struct SweepStep {
	std::string kind;
	unsigned nth;      // 1 = the first call of that kind within the operation
	int r;             // the operation's return value
	int err;           // errno right after it
	unsigned baseline; // objects open after prepare (leak_total())
};

struct Sweep {
	const char *what;
	std::function<void()> load; // the scenario
	std::function<void(struct opae_vfio *)> prepare = [](struct opae_vfio *) {};
	std::function<int(struct opae_vfio *)> op; // 0 on success
	// asserts the outcome of one failing call (v is still as op left it)
	std::function<void(struct opae_vfio *, const SweepStep &)> check;
	std::function<void()> cleanup = [] {}; // after close, every step
	int inject = EIO;                      // the errno injected
};

// Everything the mock counts as open: fds, BAR and huge page maps, IOMMU
// mappings, attached IRQ vectors.
static inline unsigned leak_total()
{
	struct vfio_mock_leaks l = leaks_now();
	return l.fds + l.bar_maps + l.dma_maps + l.irqs + l.huge_maps;
}

static inline std::vector<unsigned> sweep_counts()
{
	std::vector<unsigned> c;
	for (const auto &k : sweep_kinds())
		c.push_back(vfio_mock_calls(k.c_str()));
	return c;
}

// Runs s.op once without faults to count its calls per kind, then once per
// call with exactly that call failing. Returns the number of steps swept.
static inline unsigned run_sweep(const Sweep &s)
{
	struct opae_vfio v;
	unsigned steps = 0;

	memset(&v, 0, sizeof(v));
	s.load();
	s.prepare(&v);
	std::vector<unsigned> c0 = sweep_counts();
	unsigned any0 = vfio_mock_calls("any"), ioctl0 = vfio_mock_calls("ioctl");
	int r = s.op(&v);
	EXPECT_EQ(0, r) << s.what << " fails without faults: " << strerror(errno);
	std::vector<unsigned> c1 = sweep_counts();
	unsigned any = vfio_mock_calls("any") - any0, ioctls = vfio_mock_calls("ioctl") - ioctl0;
	opae_vfio_close(&v);
	s.cleanup();
	if (r)
		return 0;

	std::vector<unsigned> delta(c0.size());
	unsigned sum = 0, named_ioctls = 0;
	for (size_t i = 0; i < c0.size(); i++) {
		delta[i] = c1[i] - c0[i];
		sum += delta[i];
		if (sweep_kinds()[i].rfind("VFIO_", 0) == 0)
			named_ioctls += delta[i];
	}
	EXPECT_EQ(ioctls, named_ioctls) << s.what << ": an ioctl the sweep cannot name";
	EXPECT_EQ(any, sum) << s.what << ": calls of a kind the sweep does not know";
	EXPECT_GT(sum, 0u) << s.what;

	for (size_t i = 0; i < delta.size(); i++) {
		const std::string &kind = sweep_kinds()[i];
		for (unsigned n = 1; n <= delta[i]; n++) {
			SCOPED_TRACE(std::string(s.what) + ": " + kind + " #" + std::to_string(n) +
			             " fails");
			memset(&v, 0, sizeof(v));
			s.load();
			s.prepare(&v);
			unsigned base = leak_total(), before = vfio_mock_calls(kind.c_str());
			EXPECT_EQ(0, vfio_mock_fail(kind.c_str(), n, s.inject));
			errno = 0;
			int ret = s.op(&v);
			SweepStep st{kind, n, ret, errno, base};
			vfio_mock_clear_faults();
			EXPECT_GE(vfio_mock_calls(kind.c_str()) - before, n)
			    << "the failing call was never made";
			s.check(&v, st);
			opae_vfio_close(&v);
			s.cleanup();
			struct vfio_mock_leaks l = leaks_now();
			// a failed munmap is reported, not retried (it would fail the
			// same way): exactly the mapping it was for may be left
			unsigned maps = l.bar_maps + l.huge_maps, kept = kind == "munmap" ? 1 : 0;
			EXPECT_EQ(0u, l.fds + l.dma_maps + l.irqs + (maps > kept ? maps : 0))
			    << "left fds " << l.fds << " bar " << l.bar_maps << " dma "
			    << l.dma_maps << " irq " << l.irqs << " huge " << l.huge_maps;
			steps++;
		}
	}
	vfio_mock_reset();
	std::string kinds;
	for (size_t i = 0; i < delta.size(); i++)
		if (delta[i])
			kinds += " " + sweep_kinds()[i] + "x" + std::to_string(delta[i]);
	printf("sweep %s: %u failing calls:%s\n", s.what, steps, kinds.c_str());
	return steps;
}

static inline struct opae_vfio_device_irq *irq_of(struct opae_vfio *v, uint32_t index)
{
	struct opae_vfio_device_irq *q = v->device.irqs;
	while (q && q->index != index)
		q = q->next;
	return q;
}

// The struct after a failed open: closed, every field reset.
#define EXPECT_CLOSED(v)                                                                           \
	do {                                                                                       \
		EXPECT_EQ(-1, (v)->cont_fd);                                                       \
		EXPECT_EQ(-1, (v)->group.group_fd);                                                \
		EXPECT_EQ(-1, (v)->device.device_fd);                                              \
		EXPECT_EQ(nullptr, (v)->device.regions);                                           \
		EXPECT_EQ(nullptr, (v)->device.irqs);                                              \
		EXPECT_EQ(nullptr, (v)->cont_pciaddr);                                             \
		EXPECT_EQ(nullptr, (v)->cont_ranges);                                              \
	} while (0)

#endif
