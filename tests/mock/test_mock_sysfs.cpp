// SPDX-License-Identifier: BSD-3-Clause
// test_mock_sysfs.cpp - the fake sysfs and /dev/vfio seen through the
// interposed path calls, and the VF-token matrix of GET_DEVICE_FD.
#include "mock_test_util.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <glob.h>
#include <set>
#include <sys/stat.h>

static std::string slurp(const std::string &path)
{
	FILE *f = fopen(path.c_str(), "r");
	char buf[4096] = "";
	if (!f)
		return "<missing>";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return std::string(buf, n);
}

static std::string link_of(const std::string &path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
	return n < 0 ? "<none>" : std::string(buf, (size_t)n);
}

static const char kSriovScenario[] = R"({
  "hugepages": { "2048kB": 3 },
  "devices": [
    { "address": "0000:3b:00.0", "model": "none", "group": 10, "sriov_totalvfs": 4, "sriov_numvfs": 2,
      "vendor": "0x8086", "device": "0x0b30", "numa_node": 1 },
    { "address": "0000:3b:00.1", "model": "none", "group": 11, "physfn": "0000:3b:00.0" },
    { "address": "0000:3b:00.2", "model": "none", "group": 12, "physfn": "0000:3b:00.0" },
    { "address": "0000:5e:00.0", "model": "none", "group": 20, "driver": "ixgbe", "sriov_totalvfs": 2 },
    { "address": "0000:5e:00.1", "model": "none", "group": 21, "physfn": "0000:5e:00.0" },
    { "address": "0000:6f:00.0", "model": "none", "group": 30, "driver": "" },
    { "address": "0000:6f:00.1", "model": "none", "group": 30 },
    { "address": "0000:70:00.0", "model": "none", "group": 40, "driver": "nvme" },
    { "address": "0000:70:00.1", "model": "none", "group": 40 }
  ] })";

class Sysfs : public MockTest
{
	const char *scenario() override
	{
		return kSriovScenario;
	}
};

TEST_F(Sysfs, DeviceDirectoryLikeTheKernel)
{
	const std::string d = "/sys/bus/pci/devices/0000:3b:00.0";
	// a card sits below a root port of bus 0 (00:01.0: the first free slot)
	EXPECT_EQ("../../../devices/pci0000:00/0000:00:01.0/0000:3b:00.0", link_of(d));
	EXPECT_EQ("0x8086\n", slurp(d + "/vendor"));
	EXPECT_EQ("0x0b30\n", slurp(d + "/device"));
	EXPECT_EQ("0x1af4\n", slurp(d + "/subsystem_vendor"));
	EXPECT_EQ("0xff0000\n", slurp(d + "/class"));
	EXPECT_EQ("1\n", slurp(d + "/numa_node"));
	EXPECT_EQ("4\n", slurp(d + "/sriov_totalvfs"));
	EXPECT_EQ("2\n", slurp(d + "/sriov_numvfs"));
	EXPECT_EQ("../../../../bus/pci/drivers/vfio-pci", link_of(d + "/driver"));
	EXPECT_EQ("../../../../kernel/iommu_groups/10", link_of(d + "/iommu_group"));
	EXPECT_EQ("../0000:3b:00.1", link_of(d + "/virtfn0")); // VFs are siblings
	EXPECT_EQ("../0000:3b:00.2", link_of(d + "/virtfn1"));
	EXPECT_EQ("../0000:3b:00.0", link_of("/sys/bus/pci/devices/0000:3b:00.1/physfn"));
	EXPECT_EQ("../../../../bus/pci", link_of(d + "/subsystem"));
	const std::string rp = "/sys/bus/pci/devices/0000:00:01.0";
	EXPECT_EQ("0x060400\n", slurp(rp + "/class")) << "the root port";
	EXPECT_EQ("59\n", slurp(rp + "/secondary_bus_number"));
	EXPECT_EQ("../../../bus/pci/drivers/pcieport", link_of(rp + "/driver"));
	std::string res = slurp(d + "/resource");
	EXPECT_EQ(13, std::count(res.begin(), res.end(), '\n'));
	unsigned long long start = 0, end = 0, flags = 0;
	ASSERT_EQ(3, sscanf(res.c_str(), "%llx %llx %llx", &start, &end, &flags));
	EXPECT_EQ(0x1000ull, end - start + 1) << res;
	EXPECT_EQ(0x40200ull, flags);
	EXPECT_EQ("<none>", link_of("/sys/bus/pci/devices/0000:6f:00.0/driver")) << "unbound";
	EXPECT_EQ("../../../../devices/pci0000:00/0000:00:01.0/0000:3b:00.0",
	          link_of("/sys/bus/pci/drivers/vfio-pci/0000:3b:00.0"));
	EXPECT_EQ("../../../../devices/pci0000:00/0000:00:01.0/0000:3b:00.0",
	          link_of("/sys/kernel/iommu_groups/10/devices/0000:3b:00.0"));
	struct stat rst;
	EXPECT_EQ(0, stat((d + "/resource0").c_str(), &rst));
	EXPECT_EQ(0x1000, rst.st_size) << "resourceN is the BAR's size";
	EXPECT_EQ(0, access("/sys/bus/pci/drivers/ixgbe/0000:5e:00.0", F_OK));
	struct stat st;
	EXPECT_EQ(0, stat((d + "/config").c_str(), &st));
	EXPECT_EQ(256, st.st_size);
}

TEST_F(Sysfs, ListingRealpathAndGlob)
{
	std::set<std::string> names;
	DIR *dir = opendir("/sys/bus/pci/devices");
	ASSERT_NE(nullptr, dir);
	while (dirent *e = readdir(dir))
		if (e->d_name[0] != '.')
			names.insert(e->d_name);
	closedir(dir);
	EXPECT_EQ(9u + 4u, names.size()) << "9 devices and the root ports of buses 3b, 5e, 6f, 70";
	EXPECT_TRUE(names.count("0000:3b:00.2"));

	char *rp = realpath("/sys/bus/pci/devices/0000:3b:00.1/physfn", nullptr);
	ASSERT_NE(nullptr, rp);
	EXPECT_STREQ("/sys/devices/pci0000:00/0000:00:01.0/0000:3b:00.0", rp);
	free(rp);
	rp = canonicalize_file_name("/sys/kernel/iommu_groups/11/devices/0000:3b:00.1");
	ASSERT_NE(nullptr, rp);
	EXPECT_STREQ("/sys/devices/pci0000:00/0000:00:01.0/0000:3b:00.1", rp);
	free(rp);

	glob_t g;
	ASSERT_EQ(0, glob("/sys/bus/pci/devices/0000:3b:00.0/virtfn*", 0, nullptr, &g));
	ASSERT_EQ(2u, g.gl_pathc);
	EXPECT_STREQ("/sys/bus/pci/devices/0000:3b:00.0/virtfn0", g.gl_pathv[0]);
	globfree(&g);

	dirent **list = nullptr;
	int n = scandir("/dev/vfio", &list, nullptr, alphasort);
	ASSERT_GT(n, 0);
	std::set<std::string> dev;
	for (int i = 0; i < n; i++) {
		dev.insert(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	// groups with a vfio-pci device; 20 (ixgbe only) has no /dev/vfio node
	for (const char *x : {"vfio", "10", "11", "12", "21", "30", "40"})
		EXPECT_TRUE(dev.count(x)) << x;
	EXPECT_FALSE(dev.count("20"));
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/20", O_RDWR));
}

TEST_F(Sysfs, HugepagePoolFiles)
{
	const std::string p = "/sys/kernel/mm/hugepages/hugepages-2048kB/";
	EXPECT_EQ("3\n", slurp(p + "nr_hugepages"));
	EXPECT_EQ("3\n", slurp(p + "free_hugepages"));
	EXPECT_EQ("0\n", slurp("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"));
	void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ("2\n", slurp(p + "free_hugepages"));
	EXPECT_EQ(0, munmap(m, 2 << 20));
	EXPECT_EQ("3\n", slurp(p + "free_hugepages"));
}

TEST_F(Sysfs, GroupViability)
{
	vfio_group_status st = {};
	st.argsz = sizeof(st);
	int g30 = open_group(30), g40 = open_group(40);
	ASSERT_EQ(0, ioctl(g30, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_TRUE(st.flags & VFIO_GROUP_FLAGS_VIABLE) << "unbound devices are fine";
	ASSERT_EQ(0, ioctl(g40, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_FALSE(st.flags & VFIO_GROUP_FLAGS_VIABLE) << "a host driver owns 70:00.0";
	int c = open_container();
	EXPECT_ERRNO(EPERM, ioctl(g40, VFIO_GROUP_SET_CONTAINER, &c));
	// two groups may share one container
	int c2 = open_container(), g10 = open_group(10);
	ASSERT_EQ(0, ioctl(g30, VFIO_GROUP_SET_CONTAINER, &c2));
	ASSERT_EQ(0, ioctl(g10, VFIO_GROUP_SET_CONTAINER, &c2));
	ASSERT_EQ(0, ioctl(c2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_ERRNO(ENODEV,
	             ioctl(g30, VFIO_GROUP_GET_DEVICE_FD, "0000:6f:00.0")); // not on vfio-pci
	EXPECT_GE(device(g30, "0000:6f:00.1"), 0);
}

class VfToken : public MockTest
{
      protected:
	const char *scenario() override
	{
		return kSriovScenario;
	}
	void SetUp() override
	{
		MockTest::SetUp();
		cont = open_container();
		for (unsigned g : {10u, 11u, 12u, 21u}) {
			int fd = open_group(g);
			ASSERT_GE(fd, 0);
			ASSERT_EQ(0, ioctl(fd, VFIO_GROUP_SET_CONTAINER, &cont));
			grp[g] = fd;
		}
		ASSERT_EQ(0, ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	}
	int get(unsigned g, const std::string &name)
	{
		return device(grp[g], name.c_str());
	}
	int cont = -1;
	int grp[32] = {};
};

static const std::string kTok = " vf_token=2ab74924-c335-45f4-9b16-8569e5b08258";
static const std::string kTok2 = " vf_token=00000000-0000-0000-0000-000000000001";

TEST_F(VfToken, Matrix)
{
	// VF of a vfio-pci PF: token required, must match the PF's
	EXPECT_ERRNO(EACCES, get(11, "0000:3b:00.1"));
	EXPECT_ERRNO(EACCES, get(11, "0000:3b:00.1" + kTok)); // the initial token is random
	// PF with no VF open: a presented token sets it
	int pf = get(10, "0000:3b:00.0" + kTok);
	ASSERT_GE(pf, 0);
	int vf = get(11, "0000:3b:00.1" + kTok);
	ASSERT_GE(vf, 0);
	EXPECT_ERRNO(EACCES, get(12, "0000:3b:00.2" + kTok2));
	// PF with a VF open: token required and must match; no re-setting
	EXPECT_ERRNO(EACCES, get(10, "0000:3b:00.0"));
	EXPECT_ERRNO(EACCES, get(10, "0000:3b:00.0" + kTok2));
	EXPECT_GE(get(10, "0000:3b:00.0" + kTok), 0);
	drop(vf);
	// no VF open any more: the PF opens without a token, or sets a new one
	EXPECT_GE(get(10, "0000:3b:00.0"), 0);
	EXPECT_GE(get(10, "0000:3b:00.0" + kTok2), 0);
	EXPECT_GE(get(12, "0000:3b:00.2" + kTok2), 0);
	// VF whose PF is on a host driver: no token needed, a token is an error
	EXPECT_ERRNO(EINVAL, get(21, "0000:5e:00.1" + kTok));
	EXPECT_GE(get(21, "0000:5e:00.1"), 0);
	// duplicate option
	EXPECT_ERRNO(EINVAL, get(10, "0000:3b:00.0" + kTok2 + kTok2));
	(void)pf;
}

TEST_F(VfToken, FeatureSetsThePfToken)
{
	int pf = get(10, "0000:3b:00.0");
	ASSERT_GE(pf, 0);
	alignas(8) uint8_t buf[sizeof(vfio_device_feature) + 16] = {};
	struct Req {
		vfio_device_feature f;
	};
	auto &req = *(Req *)buf;
	const size_t full = sizeof(buf);
	req.f.argsz = (uint32_t)full;
	req.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	const uint8_t tok[16] = {0x2a, 0xb7, 0x49, 0x24, 0xc3, 0x35, 0x45, 0xf4,
	                         0x9b, 0x16, 0x85, 0x69, 0xe5, 0xb0, 0x82, 0x58};
	memcpy(buf + sizeof(vfio_device_feature), tok, 16);
	ASSERT_EQ(0, ioctl(pf, VFIO_DEVICE_FEATURE, buf));
	EXPECT_GE(get(11, "0000:3b:00.1" + kTok), 0);
	req.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	EXPECT_ERRNO(EINVAL, ioctl(pf, VFIO_DEVICE_FEATURE, buf)); // never read back
	req.f.flags =
	    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	EXPECT_EQ(0, ioctl(pf, VFIO_DEVICE_FEATURE, buf));
	req.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	req.f.argsz = sizeof(req.f) + 8;
	EXPECT_ERRNO(EINVAL, ioctl(pf, VFIO_DEVICE_FEATURE, buf)); // UUID cut short
	int vf = get(12, "0000:3b:00.2" + kTok);
	ASSERT_GE(vf, 0);
	req.f.argsz = (uint32_t)full;
	EXPECT_ERRNO(ENOTTY, ioctl(vf, VFIO_DEVICE_FEATURE, buf)); // not a PF
	req.f.flags = VFIO_DEVICE_FEATURE_SET | 5;
	EXPECT_ERRNO(ENOTTY, ioctl(pf, VFIO_DEVICE_FEATURE, buf)); // other features
}
