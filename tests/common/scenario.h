// SPDX-License-Identifier: BSD-3-Clause
// scenario.h - the one builder of mock-kernel scenarios shared by the core and
// mock gtest suites (an edu device behind an IOMMU the test describes), and the
// IOMMU flavours the parameterised suites run under.
#ifndef TESTS_COMMON_SCENARIO_H
#define TESTS_COMMON_SCENARIO_H

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vfio_mock.h"

#define EDU_ADDR "0000:00:03.0"

// The defaults are a current kernel (Type1v2, IOVA ranges with the x86 MSI
// hole, 65535 DMA entries), eight 2 MiB huge pages and one edu device.
struct Scenario {
	std::string ranges = "[[\"0x0\",\"0xfedfffff\"],[\"0xfef00000\",\"0x7fffffffff\"]]";
	std::string pgsizes = "0x40201000";
	unsigned dma_limit = 65535;
	bool type1v2 = true;
	bool iova_caps = true;
	unsigned huge2m = 8;
	unsigned huge1g = 0;
	std::string model = "edu";
	std::string driver = "vfio-pci";
	std::string bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true}";
	std::string extra_bars; /* appended after bar0, with a leading comma */
	unsigned intx = 1, msi = 1, msix = 0;
	std::string extra_devices; /* appended device objects, leading comma */

	std::string json() const
	{
		return std::string("{\"iommu\":{\"ranges\":") + ranges + ",\"pgsizes\":\"" +
		       pgsizes + "\",\"dma_entry_limit\":" + std::to_string(dma_limit) +
		       ",\"type1v2\":" + (type1v2 ? "true" : "false") +
		       ",\"iova_caps\":" + (iova_caps ? "true" : "false") +
		       "},\"hugepages\":{\"2048kB\":" + std::to_string(huge2m) +
		       ",\"1048576kB\":" + std::to_string(huge1g) +
		       "},\"devices\":[{\"address\":\"" EDU_ADDR "\",\"model\":\"" + model +
		       "\",\"group\":1,\"driver\":\"" + driver + "\",\"bars\":[" + bar0 +
		       extra_bars + "],\"irqs\":{\"intx\":" + std::to_string(intx) +
		       ",\"msi\":" + std::to_string(msi) + ",\"msix\":" + std::to_string(msix) +
		       "}}" + extra_devices + "]}";
	}
	void load() const
	{
		ASSERT_EQ(0, vfio_mock_load_scenario(json().c_str())) << json();
	}
};

// One IOMMU the mock can play, with or without a 2 MiB huge page pool (the
// selftests' "every test in every IOMMU mode"). Applied to a Scenario before
// the test's own settings, which win.
struct IommuFlavour {
	const char *name;
	bool type1v2;       // else Type1 v1 only
	bool iova_caps;     // VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE reported (5.4+)
	unsigned dma_limit; // VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL
	unsigned huge2m;    // free 2 MiB huge pages

	void apply(Scenario &sc) const
	{
		sc.type1v2 = type1v2;
		sc.iova_caps = iova_caps;
		sc.dma_limit = dma_limit;
		sc.huge2m = huge2m;
	}
};

// {Type1v2 with ranges, Type1 v1 (an old kernel: no ranges either), Type1v2
// without the range capability, a 64-entry DMA limit} x {no huge pages, a
// 2 MiB pool}.
static inline std::vector<IommuFlavour> iommu_flavours()
{
	struct iommu {
		const char *name;
		bool v2, caps;
		unsigned limit;
	};
	static const iommu iommus[] = {{"Type1v2", true, true, 65535},
	                               {"Type1", false, false, 65535},
	                               {"NoRanges", true, false, 65535},
	                               {"Dma64", true, true, 64}};
	static const struct {
		const char *name;
		unsigned huge2m;
	} pools[] = {{"NoHuge", 0}, {"Pool2M", 8}};
	static std::vector<std::string> names;
	std::vector<IommuFlavour> out;

	if (names.empty())
		for (const auto &i : iommus)
			for (const auto &p : pools)
				names.push_back(std::string(i.name) + "_" + p.name);
	size_t k = 0;
	for (const auto &i : iommus)
		for (const auto &p : pools)
			out.push_back({names[k++].c_str(), i.v2, i.caps, i.limit, p.huge2m});
	return out;
}

// gtest prints a parameter by its name
static inline void PrintTo(const IommuFlavour &f, std::ostream *os)
{
	*os << f.name;
}

static inline std::string flavour_name(const testing::TestParamInfo<IommuFlavour> &info)
{
	return info.param.name;
}

#endif
