// SPDX-License-Identifier: BSD-3-Clause
// test_tool_check.cpp - `opaevfio -c` (text and --json): every check's verdict
// on the mock kernel's scenarios and on variations of the host-state fixture.
#include <gtest/gtest.h>

#include "tool_test_util.h"

using namespace tooltest;

static const char kNoHugePages[] =
    "^\\[WARN\\] hugepages: no huge pages reserved \\(2 MiB: 0 in the pool, 0 free; 1 GiB: 0 in "
    "the pool, 0 free\\)";

static std::vector<std::string> check_names(json_object *root)
{
	std::vector<std::string> v;
	json_object *arr = get(root, "checks");

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		v.push_back(str(json_object_array_get_idx(arr, i), "check"));
	return v;
}

static json_object *find_check(json_object *root, const std::string &name)
{
	json_object *arr = get(root, "checks");

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (str(json_object_array_get_idx(arr, i), "check") == name)
			return json_object_array_get_idx(arr, i);
	return nullptr;
}

TEST(ToolCheck, EduOnAGoodMachine)
{
	HostRoot host;
	Result r = run({"-c", "00:03.0"}, on("edu").with(host));
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_TRUE(r.err.empty()) << r.err;
	EXPECT_TRUE(
	    r.has("^\\[ OK \\] iommu: enabled: 1 IOMMU group \\(dmar0 dmar1\\); kernel command "
	          "line: intel_iommu=on iommu=pt$"))
	    << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] vfio-pci: the vfio-pci driver is loaded$")) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] vfio: /dev/vfio/vfio answers \\(API version 0\\)$"))
	    << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] vfio_iommu_type1: the Type1v2 IOMMU backend is available$"))
	    << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] noiommu: unsafe no-IOMMU mode is off$")) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] intremap: interrupt remapping is on")) << r.out;
	EXPECT_TRUE(r.has(kNoHugePages)) << r.out;
	EXPECT_TRUE(r.has("^       fix: echo 8 \\| sudo tee "
	                  "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"))
	    << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] memlock: ")) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] 0000:00:03\\.0 driver: bound to vfio-pci$")) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] 0000:00:03\\.0 group: IOMMU group 1 is viable$")) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] 0000:00:03\\.0 access: /dev/vfio/1 \\(.*\\) is readable and "
	                  "writable for "))
	    << r.out;
	EXPECT_EQ(r.out_lines().back(), "0 problems, 1 warning");
}

TEST(ToolCheck, JsonHasEveryCheckInOrderWithDetails)
{
	HostRoot host;
	Result r = run({"-c", "--json", "0000:00:03.0"}, on("edu").with(host));
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	EXPECT_EQ(str(root, "device"), "0000:00:03.0");
	EXPECT_EQ(check_names(root),
	          (std::vector<std::string>{"iommu", "vfio-pci", "vfio", "vfio_iommu_type1",
	                                    "noiommu", "intremap", "hugepages", "memlock", "driver",
	                                    "group", "access"}));
	EXPECT_EQ(json_object_get_int(get(root, "problems")), 0);
	EXPECT_EQ(json_object_get_int(get(root, "warnings")), 1);
	json_object *iommu = find_check(root, "iommu");
	EXPECT_EQ(str(iommu, "status"), "ok");
	EXPECT_EQ(get(iommu, "device"), nullptr);
	json_object *det = get(iommu, "details");
	EXPECT_EQ(json_object_get_int(get(det, "groups")), 1);
	EXPECT_EQ(json_object_array_length(get(det, "units")), 2u);
	EXPECT_EQ(str(det, "firmware_table"), "DMAR");
	json_object *hp = find_check(root, "hugepages");
	EXPECT_EQ(str(hp, "status"), "warn");
	EXPECT_NE(str(hp, "fix"), "<null>");
	EXPECT_EQ(json_object_get_int(get(get(get(hp, "details"), "hugepages-2048kB"), "total")),
	          0);
	json_object *group = find_check(root, "group");
	EXPECT_EQ(str(group, "device"), "0000:00:03.0");
	EXPECT_TRUE(json_object_get_boolean(get(get(group, "details"), "kernel_viable")));
	json_object *access = find_check(root, "access");
	EXPECT_EQ(str(get(access, "details"), "node"), "/dev/vfio/1");
	json_object_put(root);
}

TEST(ToolCheck, HugePagePoolsAndWhatMemlockMustCover)
{
	HostRoot host;
	Result r = run({"-c", "--json"}, on("edu-hugepages").with(host));
	ASSERT_EQ(r.status, 0) << r.out << r.err;
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *hp = find_check(root, "hugepages");
	EXPECT_EQ(str(hp, "status"), "ok");
	EXPECT_EQ(str(hp, "message"), "2 MiB: 8 in the pool, 8 free; 1 GiB: 2 in the pool, 2 free");
	EXPECT_EQ(json_object_get_int(get(get(get(hp, "details"), "hugepages-1048576kB"), "free")),
	          2);
	// the pools (8 x 2 MiB + 2 x 1 GiB) are more than the 64 MiB default
	json_object *ml = find_check(root, "memlock");
	EXPECT_EQ(json_object_get_int64(get(get(ml, "details"), "need")), 2064LL << 20);
	json_object_put(root);
}

TEST(ToolCheck, OldKernelHasOnlyType1)
{
	HostRoot host;
	Result r = run({"-c"}, on("edu-oldkernel").with(host));
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_TRUE(r.has("^\\[ OK \\] vfio_iommu_type1: the Type1 IOMMU backend is available$"))
	    << r.out;
}

TEST(ToolCheck, GroupNotViableNamesTheDeviceAndItsDriver)
{
	HostRoot host;
	Result r = run({"-c", "5e:00.0"}, on("tool-groups").with(host));
	EXPECT_EQ(r.status, 1) << r.out << r.err;
	EXPECT_TRUE(r.has("^\\[FAIL\\] 0000:5e:00\\.0 group: IOMMU group 20 is not viable: "
	                  "0000:5e:00\\.1 is bound to e1000e \\(host driver\\)$"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: bind the other members to vfio-pci too \\(sudo opaevfio -i "
	                  "0000:5e:00\\.1\\) or unbind them \\(echo 0000:5e:00\\.1 > "
	                  "/sys/bus/pci/devices/0000:5e:00\\.1/driver/unbind\\)"))
	    << r.out;
	EXPECT_EQ(r.out_lines().back(), "1 problem, 0 warnings");

	r = run({"-c", "--json", "5e:00.0"}, on("tool-groups").with(host));
	EXPECT_EQ(r.status, 1);
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *det = get(find_check(root, "group"), "details");
	ASSERT_EQ(json_object_array_length(get(det, "blockers")), 1u);
	json_object *b = json_object_array_get_idx(get(det, "blockers"), 0);
	EXPECT_EQ(str(b, "address"), "0000:5e:00.1");
	EXPECT_EQ(str(b, "driver"), "e1000e");
	// the kernel's (the mock's) VFIO_GROUP_GET_STATUS agrees
	EXPECT_FALSE(json_object_get_boolean(get(det, "kernel_viable")));
	EXPECT_EQ(json_object_get_int(get(root, "problems")), 1);
	json_object_put(root);
}

TEST(ToolCheck, WithoutAddressChecksEveryVfioPciDevice)
{
	HostRoot host;
	Result r = run({"-c"}, on("tool-groups").with(host));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.has("^\\[FAIL\\] 0000:5e:00\\.0 group: ")) << r.out;
	EXPECT_FALSE(r.has("0000:00:03\\.0")) << r.out; // not on vfio-pci: not checked
	EXPECT_FALSE(r.has("0000:00:04\\.0")) << r.out;

	r = run({"-c"}, on("no-iommu").with(host));
	EXPECT_TRUE(r.has("^\\[INFO\\] devices: no device is bound to vfio-pci$")) << r.out;
}

TEST(ToolCheck, DeviceNotOnVfioPci)
{
	HostRoot host;
	Result r = run({"-c", "00:03.0"}, on("tool-groups").with(host));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] 0000:00:03\\.0 driver: not bound to vfio-pci \\(no driver\\)$"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: sudo opaevfio -i 0000:00:03\\.0 -u \\$USER$")) << r.out;
	EXPECT_FALSE(r.has("access")) << r.out; // no /dev/vfio/1 to judge yet

	r = run({"-c", "00:04.0"}, on("tool-groups").with(host));
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] 0000:00:04\\.0 driver: not bound to vfio-pci \\(driver: nvme\\)$"))
	    << r.out;
}

TEST(ToolCheck, SriovPfAndVf)
{
	HostRoot host; // vfio_pci.enable_sriov=N
	Result r = run({"-c"}, on("dfl-demo").with(host));
	EXPECT_EQ(r.status, 0) << r.out;
	EXPECT_TRUE(r.has("^\\[WARN\\] 0000:3b:00\\.0 sriov: SR-IOV PF \\(1 VFs possible\\) but "
	                  "vfio_pci\\.enable_sriov is N"))
	    << r.out;
	EXPECT_TRUE(r.has("^\\[INFO\\] 0000:3b:00\\.1 vf-token: VF of 0000:3b:00\\.0, which is on "
	                  "vfio-pci: open it with opae_vfio_secure_open\\(\\)"))
	    << r.out;
	host.write("sys/module/vfio_pci/parameters/enable_sriov", "Y\n");
	r = run({"-c", "3b:00.0"}, on("dfl-demo").with(host));
	EXPECT_TRUE(r.has("^\\[INFO\\] 0000:3b:00\\.0 sriov: SR-IOV PF with 1 of 1 VFs enabled"))
	    << r.out;
}

TEST(ToolCheck, IommuOffOnTheCommandLine)
{
	HostRoot host;
	host.write("proc/cmdline",
	           "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on intel_iommu=off\n");
	host.remove("sys/class/iommu");
	Result r = run({"-c"}, on("no-iommu").with(host));
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] iommu: off: no IOMMU groups in /sys/kernel/iommu_groups; the "
	          "kernel command line has intel_iommu=off$"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: remove intel_iommu=off from the kernel command line.*, add "
	                  "intel_iommu=on and reboot$"))
	    << r.out;

	host.write("proc/cmdline", "root=/dev/sda1 iommu=off\n");
	r = run({"-c", "--json"}, on("no-iommu").with(host));
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *c = find_check(root, "iommu");
	EXPECT_EQ(str(c, "status"), "fail");
	EXPECT_NE(str(c, "message").find("has iommu=off"), std::string::npos) << str(c, "message");
	EXPECT_EQ(json_object_get_int(get(get(c, "details"), "groups")), 0);
	json_object_put(root);
}

TEST(ToolCheck, IommuOffByDefaultOnIntel)
{
	HostRoot host;
	host.write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n");
	host.remove("sys/class/iommu");
	Result r = run({"-c"}, on("no-iommu").with(host));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.has("^\\[FAIL\\] iommu: off: no IOMMU groups; intel_iommu=on is not on the "
	                  "kernel command line"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: add intel_iommu=on to the kernel command line")) << r.out;
}

TEST(ToolCheck, IommuMissingInTheFirmware)
{
	HostRoot host;
	host.write("proc/cmdline", "root=/dev/sda1\n");
	host.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
	host.remove("sys/class/iommu");
	host.remove("sys/firmware/acpi/tables/DMAR");
	Result r = run({"-c"}, on("no-iommu").with(host));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] iommu: off: no IOMMU groups, and the firmware reports no IOMMU "
	          "\\(no ACPI DMAR or IVRS table\\)$"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: enable VT-d \\(Intel\\) or AMD-Vi/IOMMU \\(AMD\\) in the "
	                  "firmware setup"))
	    << r.out;
}

TEST(ToolCheck, IommuOffForAnotherReason)
{
	HostRoot host; // intel_iommu=on and a DMAR table, yet no groups
	Result r = run({"-c"}, on("no-iommu").with(host));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.has("^\\[FAIL\\] iommu: off: no IOMMU groups in /sys/kernel/iommu_groups "
	                  "\\(kernel command line: intel_iommu=on iommu=pt\\)$"))
	    << r.out;
}

TEST(ToolCheck, UnsafeNoIommuMode)
{
	HostRoot host;
	host.write("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
	Result r = run({"-c"}, on("edu").with(host));
	EXPECT_EQ(r.status, 0) << r.out;
	EXPECT_TRUE(r.has("^\\[WARN\\] noiommu: unsafe no-IOMMU mode is on: ")) << r.out;
	EXPECT_TRUE(r.has("^       fix: echo N > /sys/module/vfio/parameters/"
	                  "enable_unsafe_noiommu_mode"))
	    << r.out;
}

TEST(ToolCheck, InterruptRemapping)
{
	HostRoot host;
	host.write("proc/interrupts", "           CPU0\n  0:   38   IO-APIC    2-edge      timer\n"
	                              " 25:  512   PCI-MSI 512000-edge      ahci[0000:00:1f.2]\n");
	Result r = run({"-c"}, on("edu").with(host));
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_TRUE(r.has("^\\[FAIL\\] intremap: interrupt remapping is off: VFIO_SET_IOMMU fails"))
	    << r.out;

	host.write("sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "Y\n");
	r = run({"-c"}, on("edu").with(host));
	EXPECT_EQ(r.status, 0) << r.out;
	EXPECT_TRUE(r.has("^\\[WARN\\] intremap: interrupt remapping is off; "
	                  "vfio_iommu_type1\\.allow_unsafe_interrupts=Y lets VFIO run without it"))
	    << r.out;

	host.remove("proc/interrupts");
	r = run({"-c"}, on("edu").with(host));
	EXPECT_TRUE(r.has("^\\[INFO\\] intremap: cannot read /proc/interrupts")) << r.out;
}

TEST(ToolCheck, VfioContainerMissingOrForbidden)
{
	HostRoot host;
	// the first /dev/vfio open of -c is the container's
	Result r = run({"-c"}, on("edu").with(host).env("VFIO_MOCK_FAIL", "open:1:ENOENT"));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.has("^\\[FAIL\\] vfio: /dev/vfio/vfio does not exist: the vfio module is not "
	                  "loaded$"))
	    << r.out;
	r = run({"-c"}, on("edu").with(host).env("VFIO_MOCK_FAIL", "open:1:EACCES"));
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.has("^\\[FAIL\\] vfio: cannot open /dev/vfio/vfio: Permission denied$"))
	    << r.out;
}

TEST(ToolCheck, GroupStatusUnknownFallsBackToSysfs)
{
	HostRoot host;
	Result r =
	    run({"-c", "--json", "5e:00.0"},
	        on("tool-groups").with(host).env("VFIO_MOCK_FAIL", "VFIO_GROUP_GET_STATUS:1:EIO"));
	EXPECT_EQ(r.status, 1);
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *g = find_check(root, "group");
	EXPECT_EQ(str(g, "status"), "fail");
	EXPECT_EQ(get(get(g, "details"), "kernel_viable"), nullptr);
	json_object_put(root);
}

TEST(ToolCheck, MemlockBelowWhatTheDmaNeeds)
{
	HostRoot host;
	Opts o = on("edu").with(host).memlock(8LL << 20).no_ipc_lock();
	Result r = run({"-c"}, o);
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] memlock: RLIMIT_MEMLOCK 8 MiB is below the 64 MiB to DMA-map "
	          "\\(default; --dma-size sets it\\): VFIO_IOMMU_MAP_DMA fails with ENOMEM"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: raise it for the user: '<user> - memlock unlimited' in "
	                  "/etc/security/limits\\.conf"))
	    << r.out;

	r = run({"-c", "--dma-size", "4M"}, o);
	EXPECT_EQ(r.status, 0) << r.out;
	EXPECT_TRUE(r.has("^\\[ OK \\] memlock: RLIMIT_MEMLOCK 8 MiB covers the 4 MiB to DMA-map "
	                  "\\(--dma-size\\)$"))
	    << r.out;

	o.scen = scenario("edu-hugepages");
	o.memlock(4LL << 20);
	r = run({"-c"}, o);
	EXPECT_TRUE(r.has("^\\[FAIL\\] memlock: RLIMIT_MEMLOCK 4 MiB is below the 2064 MiB to "
	                  "DMA-map \\(all reserved huge pages\\)"))
	    << r.out;
}

TEST(ToolCheck, AccessForTheUserBehindSudo)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "SUDO_UID is only honoured for root";
	HostRoot host;
	Result r = run({"-c", "00:03.0"},
	               on("edu").with(host).env("SUDO_UID", "65534").env("SUDO_GID", "65534"));
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_TRUE(
	    r.has("^\\[FAIL\\] 0000:00:03\\.0 access: /dev/vfio/1 \\(.+\\): \\S+ cannot open "
	          "it$"))
	    << r.out;
	EXPECT_TRUE(r.has("^       fix: sudo opaevfio -r 0000:00:03\\.0 && sudo opaevfio -i "
	                  "0000:00:03\\.0 -u \\S+ \\(or: sudo chown \\S+ /dev/vfio/1\\)$"))
	    << r.out;
}

TEST(ToolCheck, UnknownAddress)
{
	HostRoot host;
	Result r = run({"-c", "0000:00:1f.7"}, on("edu").with(host));
	EXPECT_EQ(r.status, 3);
	EXPECT_TRUE(r.out.empty()) << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u);
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:00:1f\\.7: no such PCI device")) << r.err;
}

TEST(ToolCheck, EveryShippedScenarioExitStatusMatchesTheProblems)
{
	HostRoot host;
	for (const char *s : {"edu", "edu-hugepages", "edu-oldkernel", "dfl-demo", "dfl-pf",
	                      "dfl-hostile-all", "tool-groups", "no-iommu"}) {
		Result r = run({"-c", "--json"}, on(s).with(host));
		json_object *root = parse(r);
		ASSERT_NE(root, nullptr) << s << ": " << r.out << r.err;
		int fails = 0, warns = 0;
		json_object *arr = get(root, "checks");
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			std::string st = str(json_object_array_get_idx(arr, i), "status");
			fails += st == "fail";
			warns += st == "warn";
			EXPECT_NE(str(json_object_array_get_idx(arr, i), "message"), "<null>");
		}
		EXPECT_EQ(json_object_get_int(get(root, "problems")), fails) << s;
		EXPECT_EQ(json_object_get_int(get(root, "warnings")), warns) << s;
		EXPECT_EQ(r.status, fails ? 1 : 0) << s;
		json_object_put(root);
	}
}
