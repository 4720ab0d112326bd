// SPDX-License-Identifier: BSD-3-Clause
// One machine for every process of a scenario: a group open in one process
// is EBUSY in another (however the first one ends), a PF's VF token set in
// one process opens its VF in another, /dev/vfio/N's owner and mode refuse
// other users, huge page pools are shared, and a persistent machine
// (VFIO_MOCK_MACHINE) keeps what one program did for the next.
#include <csignal>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mock_test_util.h"

namespace
{

const char kMachineScenario[] = R"({
  "hugepages": { "2048kB": 4 },
  "devices": [
    { "address": "0000:00:03.0", "model": "edu", "group": 1 },
    { "address": "0000:3b:00.0", "model": "none", "group": 12, "sriov_totalvfs": 2, "pcie": true },
    { "address": "0000:3b:00.1", "model": "none", "group": 13, "physfn": "0000:3b:00.0" } ] })";

const char kTok[] = " vf_token=2ab74924-c335-45f4-9b16-8569e5b08258";

// Run this test binary in a new process (it joins the machine through
// VFIO_MOCK_MACHINE) with one disabled child test; returns its exit status.
int run_child(const char *test, bool wait_for_it = true, pid_t *out = nullptr)
{
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		std::string filter = std::string("--gtest_filter=MachineChild.DISABLED_") + test;
		execl("/proc/self/exe", "vfiomock_tests", filter.c_str(),
		      "--gtest_also_run_disabled_tests", (char *)nullptr);
		_exit(127);
	}
	if (out)
		*out = pid;
	if (!wait_for_it)
		return 0;
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Machine : public MockTest
{
      protected:
	const char *scenario() override
	{
		return kMachineScenario;
	}
};

} // namespace

TEST_F(Machine, AGroupOpenInOneProcessIsBusyInAnother)
{
	ASSERT_NE(nullptr, getenv("VFIO_MOCK_MACHINE")) << "exported for the children";
	int g = open_group(1);
	ASSERT_GE(g, 0);
	EXPECT_EQ(0, run_child("GroupBusy"));
	drop(g);
	EXPECT_EQ(0, run_child("GroupFree"));
	// a device fd keeps the group busy after its group fd is closed
	int c, g1;
	setup_iommu(1, &c, &g1);
	int dev = device(g1, EDU_ADDR);
	ASSERT_GE(dev, 0);
	drop(g1);
	EXPECT_EQ(0, run_child("GroupBusy"));
	drop(dev);
	EXPECT_EQ(0, run_child("GroupFree"));
}

TEST_F(Machine, AProcessThatDiesLetsItsGroupGo)
{
	pid_t pid;
	int ready[2];
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, setenv("MACHINE_TEST_READY_FD", std::to_string(ready[1]).c_str(), 1));
	run_child("HoldGroupUntilKilled", false, &pid);
	close(ready[1]);
	char b;
	ASSERT_EQ(1, read(ready[0], &b, 1)) << "the child opened the group";
	close(ready[0]);
	EXPECT_ERRNO(EBUSY, open("/dev/vfio/1", O_RDWR));
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	EXPECT_GE(open_group(1), 0) << "the kernel releases the files of a dead process";
	unsetenv("MACHINE_TEST_READY_FD");
}

TEST_F(Machine, AVfTokenSetInOneProcessOpensTheVfInAnother)
{
	int c = open_container(), g12 = open_group(12);
	ASSERT_EQ(0, ioctl(g12, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(0, ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	int pf = device(g12, (std::string("0000:3b:00.0") + kTok).c_str());
	ASSERT_GE(pf, 0);
	EXPECT_EQ(0, run_child("VfOpensWithTheToken"));
	// a VF open in another process: the PF now needs that token
	pid_t pid;
	int ready[2];
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, setenv("MACHINE_TEST_READY_FD", std::to_string(ready[1]).c_str(), 1));
	run_child("HoldVfUntilKilled", false, &pid);
	close(ready[1]);
	char b;
	ASSERT_EQ(1, read(ready[0], &b, 1));
	close(ready[0]);
	EXPECT_ERRNO(EACCES, ioctl(g12, VFIO_GROUP_GET_DEVICE_FD, "0000:3b:00.0"));
	EXPECT_GE(device(g12, (std::string("0000:3b:00.0") + kTok).c_str()), 0);
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	EXPECT_GE(device(g12, "0000:3b:00.0"), 0) << "no VF open any more";
	unsetenv("MACHINE_TEST_READY_FD");
}

TEST_F(Machine, HugePagePoolsAreTheMachines)
{
	void *m = mmap(nullptr, 2 << 20, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, run_child("ThreeHugePagesFree"));
	munmap(m, 2 << 20);
}

TEST_F(Machine, DevVfioNodeOwnerAndModeRefuseOtherUsers)
{
	struct stat st;
	ASSERT_EQ(0, stat("/dev/vfio/1", &st));
	EXPECT_EQ(0600u, st.st_mode & 0777);
	EXPECT_EQ(getuid(), st.st_uid);
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		// another user (no CAP_DAC_OVERRIDE any more)
		if (setgroups(0, nullptr) || setgid(65534) || setuid(65534))
			_exit(10);
		if (open("/dev/vfio/1", O_RDWR) != -1 || errno != EACCES)
			_exit(11);
		int c = open("/dev/vfio/vfio", O_RDWR); // 0666 like the kernel's
		_exit(c >= 0 ? 0 : 12);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(MachineNode, ScenarioGivesTheNodeToAUserAndGroup)
{
	ASSERT_EQ(0, vfio_mock_load_scenario(R"({ "dev_vfio": { "uid": 65534, "gid": 65534, "mode": "0660" },
	  "devices": [ { "address": "0000:00:03.0", "model": "edu", "group": 1 } ] })"));
	struct stat st;
	ASSERT_EQ(0, stat("/dev/vfio/1", &st));
	EXPECT_EQ(0660u, st.st_mode & 0777);
	fflush(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, nullptr) || setgid(65534) || setuid(65534))
			_exit(10);
		int g = open("/dev/vfio/1", O_RDWR);
		_exit(g >= 0 ? 0 : 11);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
	EXPECT_EQ(-1, vfio_mock_load_scenario(R"({ "dev_vfio": { "mode": "rw" } })"));
	vfio_mock_reset();
}

TEST(MachinePersistent, ANamedMachineOutlivesItsPrograms)
{
	char dir[] = "/tmp/vfio-mock-persist.XXXXXX";
	ASSERT_NE(nullptr, mkdtemp(dir));
	std::string machine = std::string(dir) + "/m";
	vfio_mock_reset();
	auto run = [&](const char *test) {
		fflush(nullptr);
		pid_t pid = fork();
		if (pid == 0) {
			setenv("VFIO_MOCK_MACHINE", machine.c_str(), 1);
			setenv("VFIO_MOCK_SCENARIO", VFIOMOCK_SCENARIOS "/edu.json", 1);
			std::string f = std::string("--gtest_filter=MachineChild.DISABLED_") + test;
			execl("/proc/self/exe", "vfiomock_tests", f.c_str(),
			      "--gtest_also_run_disabled_tests", (char *)nullptr);
			_exit(127);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	};
	EXPECT_EQ(0, run("UnbindEdu"));
	EXPECT_EQ(0, run("EduIsUnbound"));
	std::string rm = "rm -rf " + std::string(dir);
	EXPECT_EQ(0, system(rm.c_str()));
}

// ---- the other processes ---------------------------------------------------

TEST(MachineChild, DISABLED_GroupBusy)
{
	EXPECT_ERRNO(EBUSY, open("/dev/vfio/1", O_RDWR));
}

TEST(MachineChild, DISABLED_GroupFree)
{
	int g = open("/dev/vfio/1", O_RDWR);
	EXPECT_GE(g, 0);
	close(g);
}

static void signal_ready()
{
	const char *fd = getenv("MACHINE_TEST_READY_FD");
	if (fd && write(atoi(fd), "x", 1) != 1)
		abort();
}

TEST(MachineChild, DISABLED_HoldGroupUntilKilled)
{
	int g = open("/dev/vfio/1", O_RDWR);
	ASSERT_GE(g, 0);
	signal_ready();
	for (;;)
		pause();
}

static int vf_in_child(const char *name)
{
	int c = open("/dev/vfio/vfio", O_RDWR), g = open("/dev/vfio/13", O_RDWR);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -2;
	return ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name);
}

TEST(MachineChild, DISABLED_VfOpensWithTheToken)
{
	EXPECT_ERRNO(EACCES, vf_in_child("0000:3b:00.1"));
}

TEST(MachineChild, DISABLED_HoldVfUntilKilled)
{
	int vf = vf_in_child((std::string("0000:3b:00.1") + kTok).c_str());
	ASSERT_GE(vf, 0);
	signal_ready();
	for (;;)
		pause();
}

TEST(MachineChild, DISABLED_ThreeHugePagesFree)
{
	EXPECT_EQ(3u, vfio_mock_hugepages_free(2 << 20));
}

TEST(MachineChild, DISABLED_UnbindEdu)
{
	FILE *f = fopen("/sys/bus/pci/drivers/vfio-pci/unbind", "w");
	ASSERT_NE(nullptr, f);
	EXPECT_GT(fprintf(f, "0000:00:03.0\n"), 0);
	EXPECT_EQ(0, fclose(f));
}

TEST(MachineChild, DISABLED_EduIsUnbound)
{
	struct stat st;
	EXPECT_ERRNO(ENOENT, lstat("/sys/bus/pci/devices/0000:00:03.0/driver", &st));
	EXPECT_ERRNO(ENOENT, open("/dev/vfio/1", O_RDWR));
}
