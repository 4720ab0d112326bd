// SPDX-License-Identifier: BSD-3-Clause
// sysfs writes that act with Linux 6.1's rules: driver bind/unbind,
// driver_override, drivers_probe, new_id/remove_id, sriov_numvfs creating
// and removing VFs; through write(2), through stdio, and through a write
// the mock did not see (acted on at close), and a shell's `echo > file`.
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>
#include <string>

#include "mock_test_util.h"

namespace
{

const char kBindScenario[] = R"({
  "vfio_pci": { "enable_sriov": true },
  "devices": [
    { "address": "0000:00:03.0", "model": "edu", "group": 1 },
    { "address": "0000:00:04.0", "model": "none", "group": 2, "driver": "",
      "vendor": "0x8086", "device": "0x0b30" },
    { "address": "0000:00:05.0", "model": "none", "group": 3, "driver": "",
      "vendor": "0x8086", "device": "0x0b30" },
    { "address": "0000:3b:00.0", "model": "none", "group": 12, "pcie": true, "sriov_totalvfs": 4,
      "vf": { "device": "0xbccf", "driver": "vfio-pci" } },
    { "address": "0000:5e:00.0", "model": "none", "group": 20, "pcie": true, "sriov_totalvfs": 2,
      "driver": "dfl-pci", "vf": { "device": "0xbccf" } } ] })";

// write(2) of `text` to `path`: the byte count, or -errno
long put(const std::string &path, const std::string &text)
{
	int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text.data(), text.size());
	long ret = n < 0 ? -errno : n;
	close(fd);
	return ret;
}

std::string get(const std::string &path)
{
	char buf[256] = "";
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "<missing>";
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return std::string(buf, n > 0 ? (size_t)n : 0);
}

std::string driver_of(const std::string &bdf)
{
	char buf[256];
	ssize_t n = readlink(("/sys/bus/pci/devices/" + bdf + "/driver").c_str(), buf, sizeof(buf) - 1);
	if (n < 0)
		return "";
	buf[n] = 0;
	return strrchr(buf, '/') + 1;
}

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

class SysfsWrite : public MockTest
{
      protected:
	const char *scenario() override
	{
		return kBindScenario;
	}
};

const std::string kDrv = "/sys/bus/pci/drivers/";
const std::string kDev = "/sys/bus/pci/devices/";

} // namespace

TEST_F(SysfsWrite, UnbindBindAndDriverOverride)
{
	const std::string edu = "0000:00:03.0";
	ASSERT_EQ("vfio-pci", driver_of(edu));
	// through the device's driver link, as tools do
	EXPECT_EQ(13, put(kDev + edu + "/driver/unbind", edu + "\n"));
	EXPECT_EQ("", driver_of(edu));
	EXPECT_FALSE(exists("/sys/bus/pci/drivers/vfio-pci/" + edu));
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/1", O_RDWR)) ; // no vfio-pci device in group 1
	EXPECT_EQ(-ENODEV, put(kDrv + "vfio-pci/unbind", edu)); // not bound to it
	EXPECT_EQ(-ENODEV, put(kDrv + "vfio-pci/bind", edu)) << "vfio-pci has no id for edu";
	EXPECT_EQ(-ENODEV, put(kDrv + "vfio-pci/bind", "0000:09:00.0")) << "no such device";
	EXPECT_EQ("(null)\n", get(kDev + edu + "/driver_override"));
	EXPECT_EQ(9, put(kDev + edu + "/driver_override", "vfio-pci\n"));
	EXPECT_EQ("vfio-pci\n", get(kDev + edu + "/driver_override"));
	EXPECT_EQ("", driver_of(edu)) << "an override binds nothing by itself";
	// stdio: the write acts when fclose flushes
	FILE *f = fopen((kDrv + "vfio-pci/bind").c_str(), "w");
	ASSERT_NE(nullptr, f);
	fprintf(f, "%s\n", edu.c_str());
	EXPECT_EQ(0, fclose(f));
	EXPECT_EQ("vfio-pci", driver_of(edu));
	EXPECT_GE(open_group(1), 0);
	f = fopen((kDrv + "vfio-pci/bind").c_str(), "w");
	fprintf(f, "%s", edu.c_str());
	EXPECT_EQ(EOF, fclose(f)) << "already bound";
	EXPECT_EQ(EBUSY, errno);
	// a lone newline clears the override
	EXPECT_EQ(1, put(kDev + edu + "/driver_override", "\n"));
	EXPECT_EQ("(null)\n", get(kDev + edu + "/driver_override"));
	// sysfs makes no new files
	EXPECT_ERRNO(EACCES, open("/sys/bus/pci/drivers/vfio-pci/nonsense", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(nullptr, fopen("/sys/bus/pci/devices/0000:00:03.0/nonsense", "w"));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(SysfsWrite, DriversProbeBindsWhatMatches)
{
	const std::string d = "0000:00:04.0";
	EXPECT_EQ("", driver_of(d));
	EXPECT_EQ((long)d.size(), put("/sys/bus/pci/drivers_probe", d)) << "no driver matches: fine";
	EXPECT_EQ("", driver_of(d));
	EXPECT_EQ(8, put(kDev + d + "/driver_override", "vfio-pci"));
	EXPECT_EQ((long)d.size(), put("/sys/bus/pci/drivers_probe", d));
	EXPECT_EQ("vfio-pci", driver_of(d));
	EXPECT_EQ(-ENODEV, put("/sys/bus/pci/drivers_probe", "0000:77:00.0"));
	EXPECT_EQ(1, put("/sys/bus/pci/rescan", "1"));
}

TEST_F(SysfsWrite, NewIdBindsEveryUnboundDeviceItMatches)
{
	EXPECT_EQ(-EINVAL, put(kDrv + "vfio-pci/new_id", "8086"));
	EXPECT_EQ(9, put(kDrv + "vfio-pci/new_id", "8086 0b30"));
	EXPECT_EQ("vfio-pci", driver_of("0000:00:04.0"));
	EXPECT_EQ("vfio-pci", driver_of("0000:00:05.0"));
	EXPECT_EQ(-EEXIST, put(kDrv + "vfio-pci/new_id", "8086 0b30"));
	EXPECT_EQ(9, put(kDrv + "vfio-pci/remove_id", "8086 0b30"));
	EXPECT_EQ(-ENODEV, put(kDrv + "vfio-pci/remove_id", "8086 0b30"));
	EXPECT_EQ("vfio-pci", driver_of("0000:00:04.0")) << "removing an id unbinds nothing";
}

TEST_F(SysfsWrite, UnbindOfADeviceInUseIsBusyAndAsksForIt)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	int req = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_EQ(0, set_irq_efds(dev, VFIO_PCI_REQ_IRQ_INDEX, 0, {req}));
	// 6.1 would block until the user closes; the mock says EBUSY
	EXPECT_EQ(-EBUSY, put(kDrv + "vfio-pci/unbind", EDU_ADDR));
	EXPECT_EQ(1u, efd_count(req)) << "vfio_pci_request signals REQ";
	EXPECT_EQ("vfio-pci", driver_of(EDU_ADDR));
	drop(dev);
	drop(g);
	EXPECT_EQ(12, put(kDrv + "vfio-pci/unbind", EDU_ADDR));
	close(req);
}

TEST_F(SysfsWrite, SriovNumvfsCreatesAndRemovesVfs)
{
	const std::string pf = kDev + "0000:3b:00.0";
	EXPECT_EQ("0\n", get(pf + "/sriov_numvfs"));
	EXPECT_EQ(-EINVAL, put(pf + "/sriov_numvfs", "two"));
	EXPECT_EQ(-ERANGE, put(pf + "/sriov_numvfs", "5"));
	EXPECT_EQ(2, put(pf + "/sriov_numvfs", "2\n"));
	EXPECT_EQ("2\n", get(pf + "/sriov_numvfs"));
	for (const char *vf : {"0000:3b:00.1", "0000:3b:00.2"}) {
		EXPECT_EQ("0xbccf\n", get(kDev + vf + "/device")) << vf;
		EXPECT_EQ("vfio-pci", driver_of(vf)) << "the template's driver probes it";
		EXPECT_EQ(exists(kDev + vf + "/physfn"), true);
	}
	EXPECT_TRUE(exists(pf + "/virtfn1"));
	EXPECT_FALSE(exists(pf + "/virtfn2"));
	EXPECT_EQ(-EBUSY, put(pf + "/sriov_numvfs", "3")) << "disable before enabling more";
	EXPECT_EQ(1, put(pf + "/sriov_numvfs", "2")) << "the same count: nothing to do";
	// the VF works: its own group, a token from the PF (bound to vfio-pci)
	char grp[64];
	ssize_t n = readlink((kDev + "0000:3b:00.1/iommu_group").c_str(), grp, sizeof(grp) - 1);
	ASSERT_GT(n, 0);
	grp[n] = 0;
	unsigned gnum = (unsigned)atoi(strrchr(grp, '/') + 1);
	EXPECT_GT(gnum, 20u);
	int c, g, pfg = open_group(12);
	setup_iommu(gnum, &c, &g);
	ASSERT_EQ(0, ioctl(pfg, VFIO_GROUP_SET_CONTAINER, &c));
	const char *tok = " vf_token=00000000-0000-0000-0000-000000000007";
	ASSERT_GE(device(pfg, (std::string("0000:3b:00.0") + tok).c_str()), 0);
	EXPECT_ERRNO(EACCES, device(g, "0000:3b:00.1"));
	int vf = device(g, (std::string("0000:3b:00.1") + tok).c_str());
	ASSERT_GE(vf, 0);
	EXPECT_EQ(-EBUSY, put(pf + "/sriov_numvfs", "0")) << "a VF in use";
	for (int fd : std::vector<int>(fds))
		drop(fd);
	EXPECT_EQ(1, put(pf + "/sriov_numvfs", "0"));
	EXPECT_FALSE(exists(kDev + "0000:3b:00.1"));
	EXPECT_FALSE(exists(pf + "/virtfn0"));
	// a host PF driver with sriov_configure: no enable_sriov needed
	EXPECT_EQ(1, put(kDev + "0000:5e:00.0/sriov_numvfs", "1"));
	EXPECT_EQ("", driver_of("0000:5e:00.1")) << "no driver matches a VF of the template";
	// vfio-pci without vfio_pci.enable_sriov, or no driver at all: ENOENT
	EXPECT_EQ(1, put(kDev + "0000:5e:00.0/sriov_numvfs", "0"));
	EXPECT_EQ(12, put(kDrv + "dfl-pci/unbind", "0000:5e:00.0"));
	EXPECT_EQ(-ENOENT, put(kDev + "0000:5e:00.0/sriov_numvfs", "1"));
}

TEST(SysfsWriteNoSriov, VfioPciNeedsEnableSriov)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "devices": [
	  { "address": "0000:3b:00.0", "model": "none", "sriov_totalvfs": 2, "vf": {} } ] })"));
	EXPECT_EQ(-ENOENT, put(kDev + "0000:3b:00.0/sriov_numvfs", "1"));
	vfio_mock_reset();
}

TEST_F(SysfsWrite, UnbindingAVfioPciPfRemovesItsVfs)
{
	const std::string pf = "0000:3b:00.0";
	EXPECT_EQ(1, put(kDev + pf + "/sriov_numvfs", "1"));
	EXPECT_TRUE(exists(kDev + "0000:3b:00.1"));
	EXPECT_EQ(12, put(kDrv + "vfio-pci/unbind", pf));
	EXPECT_FALSE(exists(kDev + "0000:3b:00.1")) << "vfio_pci_core_unregister_device";
	EXPECT_EQ("0\n", get(kDev + pf + "/sriov_numvfs"));
}

TEST_F(SysfsWrite, AWriteTheMockDidNotSeeActsAtClose)
{
	int fd = open((kDrv + "vfio-pci/unbind").c_str(), O_WRONLY | O_TRUNC);
	ASSERT_GE(fd, 0);
	const char *edu = EDU_ADDR "\n";
	// libc's internal write (stdio, a shell builtin) does not reach the mock
	ASSERT_EQ((long)strlen(edu), syscall(SYS_write, fd, edu, strlen(edu)));
	EXPECT_EQ("vfio-pci", driver_of(EDU_ADDR));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ("", driver_of(EDU_ADDR));
	fd = open((kDrv + "vfio-pci/unbind").c_str(), O_WRONLY);
	ASSERT_EQ((long)strlen(edu), syscall(SYS_write, fd, edu, strlen(edu)));
	EXPECT_ERRNO(ENODEV, close(fd)); // the error comes with close
	EXPECT_EQ("", get(kDrv + "vfio-pci/unbind")) << "the file stays empty";
}

// The LD_PRELOAD a child program needs to run on the mock: this process's
// sanitizer runtime first (an instrumented mock cannot start without it),
// then the mock.
static std::string child_preload(const char *mock)
{
	std::string list;
	for (const char *sym : {"__asan_init", "__tsan_init"}) {
		Dl_info where;
		void *p = dlsym(RTLD_DEFAULT, sym);
		if (p && dladdr(p, &where) && where.dli_fname && strstr(where.dli_fname, ".so"))
			list += std::string(where.dli_fname) + ":";
	}
	return list + mock;
}

TEST_F(SysfsWrite, AShellRedirectionActs)
{
	Dl_info info;
	ASSERT_NE(0, dladdr((void *)&vfio_mock_load_scenario, &info));
	std::string cmd = "ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=" +
	                  child_preload(info.dli_fname) + " sh -c 'echo vfio-pci > /sys/bus/pci/devices/0000:00:04.0/driver_override"
	                  " && echo 0000:00:04.0 > /sys/bus/pci/drivers/vfio-pci/bind"
	                  " && ! echo 0000:00:04.0 2>/dev/null > /sys/bus/pci/drivers/vfio-pci/bind'";
	EXPECT_EQ(0, system(cmd.c_str()));
	EXPECT_EQ("vfio-pci", driver_of("0000:00:04.0")) << "the shell joined this machine";
}
