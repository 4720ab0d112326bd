// SPDX-License-Identifier: BSD-3-Clause
// test_tool_bind_acts.cpp - `opaevfio -i` / `-r` acting on a persistent mock
// machine: the driver link, driver_override and the /dev/vfio node's owner
// and mode after each run, and the state put back when a step fails.
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>

#include "tool_test_util.h"

using namespace tooltest;

namespace
{

// One machine shared by every run of the tool in a test (the mock keeps it
// at exit); the test reads the fake tree directly.
class Machine
{
      public:
	explicit Machine(const std::string &scen) : scen_(scenario(scen))
	{
		char tmpl[] = "/tmp/opaevfio-machine.XXXXXX";
		parent_ = mkdtemp(tmpl);
		chmod(parent_.c_str(), 0755); // a run as another user joins it too
		dir_ = parent_ + "/machine"; // created by the first run
	}
	~Machine()
	{
		fs::remove_all(parent_);
	}
	Machine(const Machine &) = delete;
	Machine &operator=(const Machine &) = delete;

	Opts opts() const
	{
		Opts o;
		o.scen = scen_;
		return o.with(host_).env("VFIO_MOCK_MACHINE", dir_);
	}
	const HostRoot &host() const
	{
		return host_;
	}
	const std::string &dir() const
	{
		return dir_;
	}
	// the driver link's name, "" when unbound
	std::string driver(const std::string &addr) const
	{
		std::error_code ec;
		fs::path p = fs::read_symlink(dev(addr) + "/driver", ec);
		return ec ? "" : p.filename().string();
	}
	std::string override_of(const std::string &addr) const
	{
		std::string s = read_file(dev(addr) + "/driver_override");
		while (!s.empty() && s.back() == '\n')
			s.pop_back();
		return s;
	}
	// stat of /dev/vfio/<group>; false when there is no node
	bool node(int group, struct stat *st) const
	{
		return stat((dir_ + "/dev/vfio/" + std::to_string(group)).c_str(), st) == 0;
	}

      private:
	std::string dev(const std::string &addr) const
	{
		return dir_ + "/sys/bus/pci/devices/" + addr;
	}
	std::string scen_, parent_, dir_;
	HostRoot host_;
};

// A program (sh under the mock) holding /dev/vfio/<group> open until the
// object is destroyed.
class GroupHolder
{
      public:
	GroupHolder(const Machine &m, int group)
	{
		int in[2], out[2];

		if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
			return;
		std::string script =
		    "exec 3<>/dev/vfio/" + std::to_string(group) + " && echo held; read x";
		std::vector<std::string> envs = {
		    std::string("LD_PRELOAD=") + MOCK_PRELOAD, "VFIO_MOCK_MACHINE=" + m.dir(),
		    "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0", "PATH=/usr/bin:/bin"};
		pid_ = fork();
		if (pid_ == 0) {
			std::vector<char *> envp;
			for (auto &e : envs)
				envp.push_back(e.data());
			envp.push_back(nullptr);
			dup2(in[0], 0);
			dup2(out[1], 1);
			execle("/bin/sh", "sh", "-c", script.c_str(), (char *)nullptr, envp.data());
			_exit(126);
		}
		close(in[0]);
		close(out[1]);
		to_ = in[1];
		std::string line;
		char c;
		while (read(out[0], &c, 1) == 1 && c != '\n')
			line += c;
		close(out[0]);
		held_ = line == "held";
	}
	~GroupHolder()
	{
		if (to_ >= 0)
			close(to_); // `read x` sees EOF, sh exits
		if (pid_ > 0)
			waitpid(pid_, nullptr, 0);
	}
	GroupHolder(const GroupHolder &) = delete;
	GroupHolder &operator=(const GroupHolder &) = delete;
	bool held() const
	{
		return held_;
	}

      private:
	pid_t pid_ = -1;
	int to_ = -1;
	bool held_ = false;
};

gid_t gid_of(const char *name)
{
	struct group *g = getgrnam(name);
	return g ? g->gr_gid : (gid_t)-1;
}

const int kCapChown = 0;

// On vfio-pci through driver_override, /dev/vfio/<group> given to
// nobody:daemon, mode 0660.
void expect_given_to_nobody(const Machine &m, const std::string &addr, int group)
{
	struct stat st;

	EXPECT_EQ(m.driver(addr), "vfio-pci");
	EXPECT_EQ(m.override_of(addr), "vfio-pci");
	ASSERT_TRUE(m.node(group, &st));
	EXPECT_EQ(st.st_uid, 65534u);
	EXPECT_EQ(st.st_gid, gid_of("daemon"));
	EXPECT_EQ(st.st_mode & 07777, 0660u);
}

} // namespace

TEST(ToolBindActs, InitGivesTheNodeAwayReleaseBindsTheHostDriverBack)
{
	Machine m("tool-groups");
	struct stat st;
	ASSERT_NE(gid_of("daemon"), (gid_t)-1);

	Result r = run({"-i", "00:04.0", "-u", "nobody", "-g", "daemon"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.err.empty()) << r.err;
	ASSERT_EQ(r.out_lines().size(), 1u) << r.out;
	EXPECT_TRUE(r.has("^0000:00:04\\.0: bound to vfio-pci \\(was: nvme\\), IOMMU group 2, "
	                  "/dev/vfio/2, owner 65534:[0-9]+ mode 0660$"))
	    << r.out;
	expect_given_to_nobody(m, "0000:00:04.0", 2);
	// another run on the same machine sees it too
	r = run({"-l", "00:04.0"}, m.opts());
	EXPECT_TRUE(r.has("^0000:00:04\\.0 +1b36:0010 +010802 +vfio-pci +2 +yes +$")) << r.out;

	r = run({"-r", "00:04.0", "-d", "nvme"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.err.empty()) << r.err;
	EXPECT_TRUE(r.has("^0000:00:04\\.0: released from vfio-pci, bound to nvme$")) << r.out;
	EXPECT_EQ(m.driver("0000:00:04.0"), "nvme");
	EXPECT_EQ(m.override_of("0000:00:04.0"), "(null)");
	EXPECT_FALSE(m.node(2, &st)) << "/dev/vfio/2 outlived vfio-pci";
}

TEST(ToolBindActs, UnboundDeviceNodeStaysAsTheKernelMadeItReleaseLeavesItUnbound)
{
	Machine m("tool-groups");
	struct stat st;

	Result r = run({"-i", "0000:00:03.0"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:00:03\\.0: bound to vfio-pci \\(was: no driver\\), IOMMU group "
	                  "1, /dev/vfio/1$"))
	    << r.out;
	EXPECT_EQ(m.driver("0000:00:03.0"), "vfio-pci");
	ASSERT_TRUE(m.node(1, &st));
	EXPECT_EQ(st.st_uid, getuid());
	EXPECT_EQ(st.st_mode & 07777, 0600u);
	// bound already: refused, nothing changes
	r = run({"-i", "00:03.0"}, m.opts());
	EXPECT_EQ(r.status, 5) << r.err;
	EXPECT_EQ(m.driver("0000:00:03.0"), "vfio-pci");

	r = run({"-r", "00:03.0"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:00:03\\.0: released from vfio-pci, left without a driver "
	                  "\\(-d DRIVER binds one\\)$"))
	    << r.out;
	EXPECT_EQ(m.driver("0000:00:03.0"), "");
	EXPECT_EQ(m.override_of("0000:00:03.0"), "(null)");
	EXPECT_FALSE(m.node(1, &st));
}

TEST(ToolBindActs, InitWarnsThatTheGroupIsNotViableAndNamesWhy)
{
	Machine m("tool-groups");

	Result r = run({"-i", "5e:00.2"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:5e:00\\.2: bound to vfio-pci \\(was: no driver\\), IOMMU group "
	                  "20, /dev/vfio/20$"))
	    << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: warning: 0000:5e:00\\.2: IOMMU group 20 is not viable: "
	                      "0000:5e:00\\.1 is bound to the host driver e1000e; bind it too "
	                      "\\(opaevfio -i 0000:5e:00\\.1\\) before opening the device$"))
	    << r.err;
	EXPECT_EQ(m.driver("0000:5e:00.2"), "vfio-pci");
	EXPECT_EQ(m.driver("0000:5e:00.1"), "e1000e");
}

TEST(ToolBindActs, SriovPfGetsEnableSriovUnlessNoSriov)
{
	const char *param = "sys/module/vfio_pci/parameters/enable_sriov";
	{
		Machine m("tool-sriov");
		Result r = run({"-i", "3b:00.0", "-n"}, m.opts());
		ASSERT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(r.out_lines().size(), 1u) << r.out;
		EXPECT_EQ(m.host().read(param), "N\n");
		EXPECT_EQ(m.driver("0000:3b:00.0"), "vfio-pci");
	}
	Machine m("tool-sriov");
	Result r = run({"-i", "3b:00.0"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:3b:00\\.0: vfio-pci SR-IOV enabled \\(enable_sriov=Y; -n leaves "
	                  "it off\\)$"))
	    << r.out;
	EXPECT_EQ(m.host().read(param).substr(0, 1), "Y");
	EXPECT_EQ(m.driver("0000:3b:00.0"), "vfio-pci");
	r = run({"-r", "3b:00.0", "-d", "ixgbe"}, m.opts());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(m.driver("0000:3b:00.0"), "ixgbe");
}

// chown of the node fails (no CAP_CHOWN): every earlier step is undone.
TEST(ToolBindFails, InitThatCannotGiveTheNodeAwayPutsEverythingBack)
{
	Machine m("tool-sriov");
	struct stat st;

	Result r = run({"-i", "3b:00.0", "-u", "nobody"}, m.opts().without_cap(kCapChown));
	EXPECT_EQ(r.status, 4) << r.err;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:3b:00\\.0: giving /dev/vfio/30 to nobody: "
	                      "Operation not permitted; the device is back on ixgbe$"))
	    << r.err;
	EXPECT_EQ(m.driver("0000:3b:00.0"), "ixgbe");
	EXPECT_EQ(m.override_of("0000:3b:00.0"), "(null)");
	EXPECT_FALSE(m.node(30, &st));
	EXPECT_EQ(m.host().read("sys/module/vfio_pci/parameters/enable_sriov").substr(0, 1), "N");
}

// The named driver does not match the device: back on vfio-pci, with the
// node's owner and mode as they were.
TEST(ToolBindFails, ReleaseToADriverThatDoesNotTakeItPutsItBackOnVfioPci)
{
	Machine m("tool-groups");

	ASSERT_EQ(run({"-i", "00:04.0", "-u", "nobody", "-g", "daemon"}, m.opts()).status, 0);
	Result r = run({"-r", "00:04.0", "-d", "e1000e"}, m.opts());
	EXPECT_EQ(r.status, 7) << r.err;
	EXPECT_TRUE(r.out.empty()) << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:00:04\\.0: e1000e did not take the device: No such "
	                      "device; the device is back on vfio-pci$"))
	    << r.err;
	expect_given_to_nobody(m, "0000:00:04.0", 2);
}

// The kernel would block the unbind until the program lets go: refused.
TEST(ToolBindFails, ReleaseWhileAProgramHasTheGroupChangesNothing)
{
	Machine m("edu");
	struct stat st;

	ASSERT_EQ(run({"-l"}, m.opts()).status, 0); // creates the machine
	{
		GroupHolder holder(m, 1);
		ASSERT_TRUE(holder.held());
		Result r = run({"-r", "00:03.0"}, m.opts());
		EXPECT_EQ(r.status, 5) << r.err;
		EXPECT_TRUE(r.err_has("^opaevfio: 0000:00:03\\.0: IOMMU group 1 is in use: a program "
		                      "has /dev/vfio/1 open; close it first \\(nothing was changed\\)$"))
		    << r.err;
		EXPECT_EQ(m.driver("0000:00:03.0"), "vfio-pci");
		EXPECT_TRUE(m.node(1, &st));
	}
	Result r = run({"-r", "00:03.0"}, m.opts());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(m.driver("0000:00:03.0"), "");
}

// A user who is not root cannot write sysfs: refused before anything changes.
TEST(ToolBindFails, WithoutRootNothingChanges)
{
	if (getuid() != 0)
		GTEST_SKIP() << "needs root to run the tool as another user";
	Machine m("tool-groups");
	Opts nobody = m.opts().as_user(65534, 65534);
	struct stat st;

	ASSERT_EQ(run({"-l"}, m.opts()).status, 0); // created by root, as the kernel's
	Result r = run({"-i", "00:04.0"}, nobody);
	EXPECT_EQ(r.status, 4) << r.err;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:00:04\\.0: cannot write driver_override: "
	                      "Permission denied \\(run as root, e\\.g\\. with sudo\\); nothing "
	                      "was changed$"))
	    << r.err;
	EXPECT_EQ(m.driver("0000:00:04.0"), "nvme");
	EXPECT_EQ(m.override_of("0000:00:04.0"), "(null)");

	ASSERT_EQ(run({"-i", "00:04.0"}, m.opts()).status, 0);
	r = run({"-r", "00:04.0", "-d", "nvme"}, nobody);
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:00:04\\.0: cannot write driver_override: "
	                      "Permission denied .*nothing was changed$"))
	    << r.err;
	EXPECT_EQ(m.driver("0000:00:04.0"), "vfio-pci");
	EXPECT_EQ(m.override_of("0000:00:04.0"), "vfio-pci");
	EXPECT_TRUE(m.node(2, &st));
}

// Unbinding a PF from vfio-pci removes its VFs: refused while one is in use;
// once it is not, the VF goes with the PF.
TEST(ToolBindFails, ReleasingAPfWhoseVfIsInUseChangesNothing)
{
	Machine m("dfl-demo");

	ASSERT_EQ(run({"-l"}, m.opts()).status, 0);
	{
		GroupHolder holder(m, 13);
		ASSERT_TRUE(holder.held());
		Result r = run({"-r", "3b:00.0"}, m.opts());
		EXPECT_EQ(r.status, 5) << r.err;
		EXPECT_TRUE(r.err_has("^opaevfio: 0000:3b:00\\.0: its VF 0000:3b:00\\.1 \\(IOMMU "
		                      "group 13\\) is in use by a program; releasing the PF would "
		                      "remove it: close it first \\(nothing was changed\\)$"))
		    << r.err;
		EXPECT_EQ(m.driver("0000:3b:00.0"), "vfio-pci");
		EXPECT_EQ(m.driver("0000:3b:00.1"), "vfio-pci");
	}
	Result r = run({"-r", "3b:00.0"}, m.opts());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:3b:00\\.0: released from vfio-pci \\(its 1 VF went with it\\), "
	                  "left without a driver \\(-d DRIVER binds one\\)$"))
	    << r.out;
	EXPECT_EQ(m.driver("0000:3b:00.0"), "");
	EXPECT_FALSE(fs::exists(m.dir() + "/sys/bus/pci/devices/0000:3b:00.1"));
}
