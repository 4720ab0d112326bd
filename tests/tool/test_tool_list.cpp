// SPDX-License-Identifier: BSD-3-Clause
// test_tool_list.cpp - `opaevfio -l` (text and --json) on the shipped mock
// scenarios and on tool-groups.json (a group that is not viable).
#include <gtest/gtest.h>

#include "tool_test_util.h"

using namespace tooltest;

static json_object *find_dev(json_object *root, const char *addr)
{
	json_object *arr = get(root, "devices");

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (str(json_object_array_get_idx(arr, i), "address") == addr)
			return json_object_array_get_idx(arr, i);
	return nullptr;
}

static const char kHeader[] = "^ADDRESS +ID +CLASS +DRIVER +GROUP +VIABLE +SR-IOV / GROUP$";

TEST(ToolList, EduText)
{
	Result r = run({"-l"}, on("edu"));
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.err.empty()) << r.err;
	auto lines = r.out_lines();
	ASSERT_EQ(lines.size(), 2u) << r.out;
	EXPECT_TRUE(Result::has_in(lines[0], kHeader)) << lines[0];
	EXPECT_TRUE(
	    Result::has_in(lines[1], "^0000:00:03\\.0 +1234:11e8 +00ff00 +vfio-pci +1 +yes +$"))
	    << lines[1];
}

TEST(ToolList, EduJson)
{
	Result r = run({"-l", "--json"}, on("edu"));
	ASSERT_EQ(r.status, 0) << r.err;
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *devs = get(root, "devices");
	ASSERT_EQ(json_object_array_length(devs), 1u);
	json_object *d = json_object_array_get_idx(devs, 0);
	EXPECT_EQ(str(d, "address"), "0000:00:03.0");
	EXPECT_EQ(str(d, "vendor"), "0x1234");
	EXPECT_EQ(str(d, "device"), "0x11e8");
	EXPECT_EQ(str(d, "class"), "0x00ff00");
	EXPECT_EQ(str(d, "driver"), "vfio-pci");
	EXPECT_EQ(get(d, "driver_override"), nullptr);
	EXPECT_EQ(json_object_get_int(get(d, "iommu_group")), 1);
	EXPECT_EQ(str(d, "group_node"), "/dev/vfio/1");
	EXPECT_TRUE(json_object_get_boolean(get(d, "group_viable")));
	EXPECT_EQ(json_object_array_length(get(d, "group_others")), 0u);
	EXPECT_EQ(get(d, "physfn"), nullptr);
	EXPECT_EQ(get(d, "sriov_totalvfs"), nullptr);
	EXPECT_EQ(json_object_array_length(get(d, "virtfns")), 0u);
	json_object_put(root);
}

TEST(ToolList, PfAndVf)
{
	Result r = run({"-l"}, on("dfl-demo"));
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:3b:00\\.0 +8086:bcce +120000 +vfio-pci +12 +yes +PF, 1 of 1 VFs: "
	                  "0000:3b:00\\.1$"))
	    << r.out;
	EXPECT_TRUE(
	    r.has("^0000:3b:00\\.1 +8086:bccf +120000 +vfio-pci +13 +yes +VF of 0000:3b:00\\.0$"))
	    << r.out;

	r = run({"-l", "--json"}, on("dfl-demo"));
	ASSERT_EQ(r.status, 0) << r.err;
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	json_object *pf = find_dev(root, "0000:3b:00.0");
	json_object *vf = find_dev(root, "0000:3b:00.1");
	ASSERT_NE(pf, nullptr);
	ASSERT_NE(vf, nullptr);
	EXPECT_EQ(json_object_get_int(get(pf, "sriov_totalvfs")), 1);
	EXPECT_EQ(json_object_get_int(get(pf, "sriov_numvfs")), 1);
	ASSERT_EQ(json_object_array_length(get(pf, "virtfns")), 1u);
	EXPECT_STREQ(json_object_get_string(json_object_array_get_idx(get(pf, "virtfns"), 0)),
	             "0000:3b:00.1");
	EXPECT_EQ(str(vf, "physfn"), "0000:3b:00.0");
	EXPECT_EQ(str(vf, "subsystem_device"), "0x1771");
	EXPECT_EQ(json_object_get_int(get(vf, "numa_node")), 0);
	json_object_put(root);
}

TEST(ToolList, GroupNotViableNamesTheOtherMembers)
{
	Result r = run({"-l"}, on("tool-groups"));
	ASSERT_EQ(r.status, 0) << r.err;
	// the cards on bus 0x5e sit below a PCIe root port (a bridge: viable)
	EXPECT_EQ(r.out_lines().size(), 7u) << r.out;
	EXPECT_TRUE(r.has("^0000:00:01\\.0 +8086:347a +060400 +pcieport +[0-9]+ +yes +$")) << r.out;
	EXPECT_TRUE(r.has("^0000:00:03\\.0 +1234:11e8 +00ff00 +- +1 +yes +$")) << r.out;
	// a device on a host driver: its own group is not viable for vfio
	EXPECT_TRUE(r.has("^0000:00:04\\.0 +1b36:0010 +010802 +nvme +2 +no +$")) << r.out;
	EXPECT_TRUE(r.has("^0000:5e:00\\.0 +1af4:10f0 +ff0000 +vfio-pci +20 +no +group also has "
	                  "0000:5e:00\\.1 \\(e1000e\\), 0000:5e:00\\.2 \\(no driver\\)$"))
	    << r.out;
	EXPECT_TRUE(r.has("^0000:5e:00\\.1 +8086:10d3 +020000 +e1000e +20 +no +group also has "
	                  "0000:5e:00\\.0 \\(vfio-pci\\), 0000:5e:00\\.2 \\(no driver\\)$"))
	    << r.out;

	r = run({"-l", "--json", "5e:00.0"}, on("tool-groups"));
	ASSERT_EQ(r.status, 0) << r.err;
	json_object *root = parse(r);
	ASSERT_NE(root, nullptr) << r.out;
	ASSERT_EQ(json_object_array_length(get(root, "devices")), 1u);
	json_object *d = json_object_array_get_idx(get(root, "devices"), 0);
	EXPECT_FALSE(json_object_get_boolean(get(d, "group_viable")));
	json_object *others = get(d, "group_others");
	ASSERT_EQ(json_object_array_length(others), 2u);
	EXPECT_EQ(str(json_object_array_get_idx(others, 0), "address"), "0000:5e:00.1");
	EXPECT_EQ(str(json_object_array_get_idx(others, 0), "driver"), "e1000e");
	EXPECT_EQ(str(json_object_array_get_idx(others, 1), "address"), "0000:5e:00.2");
	EXPECT_EQ(get(json_object_array_get_idx(others, 1), "driver"), nullptr);
	json_object_put(root);
}

TEST(ToolList, EveryShippedScenarioListsAndParses)
{
	for (const char *s : {"edu", "edu-hugepages", "edu-oldkernel", "dfl-demo", "dfl-pf",
	                      "dfl-hostile-all", "tool-groups", "no-iommu"}) {
		Result t = run({"-l"}, on(s));
		Result j = run({"-l", "--json"}, on(s));
		EXPECT_EQ(t.status, 0) << s << ": " << t.err;
		EXPECT_EQ(j.status, 0) << s << ": " << j.err;
		json_object *root = parse(j);
		ASSERT_NE(root, nullptr) << s << ": " << j.out;
		// one text line per device, after the header
		EXPECT_EQ(t.out_lines().size(), json_object_array_length(get(root, "devices")) + 1)
		    << s;
		json_object_put(root);
	}
}

TEST(ToolList, UnknownAddress)
{
	Result r = run({"-l", "0000:3b:00.7"}, on("dfl-demo"));
	EXPECT_EQ(r.status, 3);
	EXPECT_TRUE(r.out.empty()) << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: 0000:3b:00\\.7: no such PCI device$")) << r.err;
}
