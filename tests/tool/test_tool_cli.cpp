// SPDX-License-Identifier: BSD-3-Clause
// test_tool_cli.cpp - opaevfio's command line: help, version, and every usage
// error (exit 2, one line naming the problem, nothing on stdout).
#include <gtest/gtest.h>

#include "tool_test_util.h"

using namespace tooltest;

TEST(ToolCli, HelpListsEveryOptionAndTheExitCodes)
{
	for (const char *opt : {"-h", "--help"}) {
		Result r = run({opt});
		EXPECT_EQ(r.status, 0);
		EXPECT_TRUE(r.err.empty()) << r.err;
		for (const char *s :
		     {"-i, --init", "-r, --release", "-d, --driver DRIVER", "-u, --user USER",
		      "-g, --group GROUP", "-n, --no-sriov", "-v, --version", "-l, --list",
		      "-c, --check", "--json", "--dma-size SIZE", "Exit status: 0"})
			EXPECT_NE(r.out.find(s), std::string::npos) << s;
	}
}

TEST(ToolCli, VersionIsTheProjectVersion)
{
	for (const char *opt : {"-v", "--version"}) {
		Result r = run({opt});
		EXPECT_EQ(r.status, 0);
		EXPECT_EQ(r.out, std::string("opaevfio ") + PROJECT_VERSION + "\n");
	}
}

struct UsageCase {
	std::vector<std::string> args;
	const char *message; // regex on the one stderr line
};

// readable parameter names in gtest's output
static void PrintTo(const UsageCase &c, std::ostream *os)
{
	*os << "opaevfio";
	for (const auto &a : c.args)
		*os << ' ' << a;
}

class ToolUsage : public ::testing::TestWithParam<UsageCase>
{
};

TEST_P(ToolUsage, OneLineExit2NothingOnStdout)
{
	const UsageCase &c = GetParam();
	// with a scenario loaded: a usage error must not touch the (mock) machine
	Result r = run(c.args, on("edu"));
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_TRUE(r.out.empty()) << r.out;
	ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
	EXPECT_TRUE(r.err_has(std::string("^opaevfio: ") + c.message)) << r.err;
	EXPECT_TRUE(r.err_has("\\(see opaevfio --help\\)$")) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ToolUsage,
    ::testing::Values(
        UsageCase{{}, "nothing to do: give -i, -r, -l or -c"},
        UsageCase{{"0000:00:03.0"}, "nothing to do"}, UsageCase{{"-x"}, "unknown option -x"},
        UsageCase{{"--frobnicate"}, "unknown option --frobnicate"},
        UsageCase{{"-i"}, "-i needs a PCI address"}, UsageCase{{"-r"}, "-r needs a PCI address"},
        UsageCase{{"-i", "-r", "00:03.0"}, "-i and -r cannot be combined"},
        UsageCase{{"-l", "-c"}, "-l and -c cannot be combined"},
        UsageCase{{"-i", "00:03.0", "00:04.0"}, "more than one address given"},
        UsageCase{{"-i", "3b:00"}, "3b:00: not a PCI address"},
        UsageCase{{"-i", "0000:3b:20.0"}, "0000:3b:20\\.0: not a PCI address"}, // device > 0x1f
        UsageCase{{"-i", "0000:3b:00.8"}, "0000:3b:00\\.8: not a PCI address"}, // function > 7
        UsageCase{{"-i", "000:3b:00.0"}, "000:3b:00\\.0: not a PCI address"},   // 3-digit domain
        UsageCase{{"-i", "0000:3b:00.0x"}, "0000:3b:00\\.0x: not a PCI address"},
        UsageCase{{"-i", "-d", "nvme", "00:03.0"}, "-d/--driver is only used with -r"},
        UsageCase{{"-r", "-u", "root", "00:03.0"}, "-u, -g and -n are only used with -i"},
        UsageCase{{"-l", "-g", "root"}, "-u, -g and -n are only used with -i"},
        UsageCase{{"-c", "-n"}, "-u, -g and -n are only used with -i"},
        UsageCase{{"-i", "--json", "00:03.0"}, "--json is only used with -l or -c"},
        UsageCase{{"-l", "--dma-size", "1G"}, "--dma-size is only used with -c"},
        UsageCase{{"-c", "--dma-size", "lots"}, "--dma-size lots: not a size"},
        UsageCase{{"-c", "--dma-size", "0"}, "--dma-size 0: not a size"},
        UsageCase{{"-c", "--dma-size", "-1G"}, "--dma-size -1G: not a size"},
        UsageCase{{"-c", "--dma-size", "99999999999T"}, "--dma-size 99999999999T: not a size"},
        UsageCase{{"-r", "-d", "vfio-pci", "00:03.0"}, "-d vfio-pci: name the host driver"},
        UsageCase{{"-r", "00:03.0", "-d"}, "option -d needs an argument"},
        UsageCase{{"-i", "00:03.0", "--user"}, "option --user needs an argument"}));

TEST(ToolCli, AddressForms)
{
	// the domain may be omitted; upper case is accepted; both name one device
	for (const char *a : {"00:03.0", "0000:00:03.0", "0000:00:03.0", "00:03.0"}) {
		Result r = run({"-l", a}, on("edu"));
		EXPECT_EQ(r.status, 0) << a << ": " << r.err;
		EXPECT_TRUE(r.has("^0000:00:03\\.0 ")) << r.out;
	}
	Result r = run({"-l", "3B:00.1"}, on("dfl-demo"));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(r.has("^0000:3b:00\\.1 ")) << r.out;
	EXPECT_EQ(r.out_lines().size(), 2u) << r.out; // header + the one device
}
