// SPDX-License-Identifier: BSD-3-Clause
// test_tool_bind.cpp - `opaevfio -i` / `-r` refusals that come before any
// change: one clear line, the documented exit status, nothing on stdout.
#include <gtest/gtest.h>

#include "tool_test_util.h"

using namespace tooltest;

static void expect_refused(const Result &r, int status, const std::string &line)
{
	EXPECT_EQ(r.status, status) << r.err;
	EXPECT_TRUE(r.out.empty()) << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has("^opaevfio: " + line + "$")) << r.err;
}

TEST(ToolBindRefused, InitUnknownAddress)
{
	HostRoot host;
	expect_refused(run({"-i", "0000:00:1f.7"}, on("edu").with(host)), 3,
	               "0000:00:1f\\.7: no such PCI device \\(opaevfio -l lists them\\)");
}

TEST(ToolBindRefused, InitAlreadyOnVfioPci)
{
	HostRoot host;
	expect_refused(run({"-i", "00:03.0"}, on("edu").with(host)), 5,
	               "0000:00:03\\.0: already bound to vfio-pci \\(IOMMU group 1\\); release it "
	               "first with opaevfio -r 0000:00:03\\.0");
}

TEST(ToolBindRefused, InitUnknownUserOrGroup)
{
	HostRoot host;
	expect_refused(run({"-i", "00:03.0", "-u", "no-such-user-x"}, on("tool-groups").with(host)),
	               3, "-u no-such-user-x: no such user");
	expect_refused(
	    run({"-i", "00:03.0", "-g", "no-such-group-x"}, on("tool-groups").with(host)), 3,
	    "-g no-such-group-x: no such group");
}

TEST(ToolBindRefused, ReleaseNotOnVfioPci)
{
	HostRoot host;
	expect_refused(
	    run({"-r", "00:04.0"}, on("tool-groups").with(host)), 5,
	    "0000:00:04\\.0: not bound to vfio-pci \\(driver: nvme\\); nothing to release");
	expect_refused(run({"-r", "00:03.0"}, on("tool-groups").with(host)), 5,
	               "0000:00:03\\.0: not bound to vfio-pci \\(no driver\\); nothing to release");
	expect_refused(run({"-r", "0000:00:1f.7"}, on("tool-groups").with(host)), 3,
	               "0000:00:1f\\.7: no such PCI device \\(opaevfio -l lists them\\)");
}

TEST(ToolBindRefused, ReleaseToADriverThatDoesNotExist)
{
	HostRoot host;
	expect_refused(
	    run({"-r", "00:03.0", "-d", "no-such-driver"}, on("edu").with(host)), 3,
	    "-d no-such-driver: no such PCI driver \\(not in /sys/bus/pci/drivers; load it "
	    "with modprobe first\\); nothing was changed");
	// a name that would leave /sys/bus/pci/drivers
	expect_refused(run({"-r", "00:03.0", "-d", "../devices"}, on("edu").with(host)), 3,
	               "-d \\.\\./devices: no such PCI driver.*");
}
