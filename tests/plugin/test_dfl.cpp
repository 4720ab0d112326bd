// SPDX-License-Identifier: BSD-3-Clause
// test_dfl.cpp - plugin/dfl.c alone: the walker against the mock's dfl-fpga
// (PF and VF) and every hostile-dfl kind, built in memory by the models
// themselves (fake mock services, no kernel, no fds), plus hand-made lists.
#include <gtest/gtest.h>

#include <json-c/json.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fake_mock.h"

extern "C" {
#include "dfl.h"
}

namespace
{
struct dev_deleter {
	void operator()(mock_dev *d) const
	{
		if (d->state)
			d->ops->destroy(d->state);
		if (d->cfg.params)
			json_object_put(d->cfg.params);
		delete d;
	}
};
using dev_ptr = std::unique_ptr<mock_dev, dev_deleter>;

// A device as the mock kernel creates it: model defaults, scenario params,
// BAR memory, then the model lays out its registers.
dev_ptr make_dev(const mock_model_ops &ops, const std::string &params, uint64_t bar0 = 0)
{
	dev_ptr d(new mock_dev);
	d->ops = &ops;
	strcpy(d->cfg.address, "0000:50:00.0");
	strcpy(d->cfg.model, ops.name);
	ops.defaults(&d->cfg);
	if (bar0)
		d->cfg.bar[0].size = bar0;
	d->cfg.params = json_tokener_parse(params.c_str());
	for (unsigned i = 0; i < 6; i++)
		d->bar[i].assign(d->cfg.bar[i].size, 0);
	EXPECT_EQ(0, ops.create(d.get(), &d->cfg, &d->state)) << params;
	return d;
}

dfl_bars bars_of(mock_dev *d)
{
	dfl_bars b{};
	for (unsigned i = 0; i < 6; i++) {
		b.base[i] = d->bar[i].empty() ? nullptr : d->bar[i].data();
		b.len[i] = d->bar[i].size();
	}
	return b;
}

const uint8_t kNlb0[16] = {0xd8, 0x42, 0x4d, 0xc4, 0xa4, 0xa3, 0xc4, 0x13,
                           0xf8, 0x9e, 0x43, 0x36, 0x83, 0xf9, 0x04, 0x0b};
// "opae-vfio-mock-p": the mock's PR interface id (docs/dfl-model.md)
const uint8_t kMockPr[16] = {'o', 'p', 'a', 'e', '-', 'v', 'f', 'i',
                             'o', '-', 'm', 'o', 'c', 'k', '-', 'p'};

uint64_t dfh(unsigned type, unsigned id, uint64_t next, bool eol)
{
	return (uint64_t)type << 60 | (next & 0xffffff) << 16 | id | (eol ? 1ULL << 40 : 0);
}
void put64(std::vector<uint8_t> &bar, uint64_t off, uint64_t v)
{
	memcpy(bar.data() + off, &v, 8);
}
} // namespace

TEST(DflScan, DflFpgaPf)
{
	dev_ptr d = make_dev(mock_model_dfl_fpga, "{\"role\":\"pf\"}");
	std::vector<uint8_t> before = d->bar[0];
	dfl_bars b = bars_of(d.get());
	dfl_card card;
	dfl_error err;
	ASSERT_EQ(0, dfl_scan(&b, 0, &card, &err)) << err.reason;
	EXPECT_EQ(1, card.has_fme);
	EXPECT_EQ(0x0143000000C0FFEEULL, card.bbs_id);
	EXPECT_EQ(0x0000000020261123ULL, card.bbs_md);
	ASSERT_EQ(1, card.has_pr);
	EXPECT_EQ(0, memcmp(kMockPr, card.pr_id, 16));
	ASSERT_EQ(1u, card.nafus);
	const dfl_afu &a = card.afus[0];
	EXPECT_EQ(0, a.port);
	EXPECT_EQ(0u, a.bar);
	EXPECT_EQ(0x40000u, a.port_offset);
	EXPECT_EQ(0x60000u, a.afu_offset);
	EXPECT_EQ(0x20000u, a.mmio_size); // PORT_CAPABILITY: 0x80 KiB
	EXPECT_EQ(4u, a.num_irqs);
	EXPECT_EQ(0, a.in_reset);
	EXPECT_EQ(0, memcmp(kNlb0, a.guid, 16));
	// FME, PR, global error, port, port error, AFU
	EXPECT_EQ(6u, card.num_features);
	EXPECT_EQ(before, d->bar[0]) << "the walk changed BAR memory";
	EXPECT_EQ(0u, d->scheduled);
}

TEST(DflScan, DflFpgaVfAfuAtBar0)
{
	dev_ptr d = make_dev(mock_model_dfl_fpga, "{\"role\":\"vf\"}", 0x40000);
	dfl_bars b = bars_of(d.get());
	dfl_card card;
	dfl_error err;
	ASSERT_EQ(0, dfl_scan(&b, 0, &card, &err)) << err.reason;
	EXPECT_EQ(0, card.has_fme);
	ASSERT_EQ(1u, card.nafus);
	EXPECT_EQ(-1, card.afus[0].port);
	EXPECT_EQ(0u, card.afus[0].afu_offset);
	EXPECT_EQ(0x40000u, card.afus[0].mmio_size);
	EXPECT_EQ(0, memcmp(kNlb0, card.afus[0].guid, 16));
}

TEST(DflScan, PortHeldInResetIsReportedNotReleased)
{
	dev_ptr d = make_dev(mock_model_dfl_fpga, "{\"role\":\"pf\"}");
	put64(d->bar[0], 0x40000 + PORT_CONTROL, PORT_CTL_SOFT_RESET | PORT_CTL_SOFT_RESET_ACK);
	dfl_bars b = bars_of(d.get());
	dfl_card card;
	dfl_error err;
	ASSERT_EQ(0, dfl_scan(&b, 0, &card, &err)) << err.reason;
	EXPECT_EQ(1, card.afus[0].in_reset);
	uint64_t ctl;
	memcpy(&ctl, d->bar[0].data() + 0x40000 + PORT_CONTROL, 8);
	EXPECT_EQ(PORT_CTL_SOFT_RESET | PORT_CTL_SOFT_RESET_ACK, ctl);
}

// ---- every hostile-dfl kind ---------------------------------------------------

struct Hostile {
	const char *kind;
	int ok;             // 1: a valid list (zero-next only ends it early)
	unsigned bar;       // where the error is reported
	uint64_t offset;
	const char *reason; // substring of the reason
};

class DflHostile : public ::testing::TestWithParam<Hostile>
{
};

TEST_P(DflHostile, BoundedAndReported)
{
	const Hostile &h = GetParam();
	bool truncated = !strcmp(h.kind, "truncated");
	dev_ptr d = make_dev(mock_model_hostile_dfl, std::string("{\"kind\":\"") + h.kind + "\"}",
	                     truncated ? 0x1000 : 0);
	std::vector<uint8_t> before = d->bar[0];
	dfl_bars b = bars_of(d.get());
	dfl_card card;
	dfl_error err;
	int rc = dfl_scan(&b, 0, &card, &err);
	EXPECT_EQ(before, d->bar[0]) << "the walk changed BAR memory";
	if (h.ok) {
		ASSERT_EQ(0, rc) << err.reason;
		EXPECT_EQ(1u, card.nafus);
		return;
	}
	ASSERT_EQ(-1, rc) << h.kind << " was accepted";
	EXPECT_EQ(h.bar, err.bar) << err.reason;
	EXPECT_EQ(h.offset, err.offset) << std::hex << err.offset << ": " << err.reason;
	EXPECT_NE(nullptr, strstr(err.reason, h.reason)) << err.reason;
	EXPECT_EQ(nullptr, strchr(err.reason, '\n'));
}

static const Hostile kHostile[] = {
    // FME -> 0x1000 -> 0x2000 whose next (0xfff000) leaves the BAR
    {"loop", 0, 0, 0x2000, "next feature (+0xfff000) is outside the BAR (0x100000 bytes)"},
    {"offset24", 0, 0, 0x1000, "next feature (+0xffffff) is outside the BAR"},
    {"next-beyond", 0, 0, 0x1000, "next feature (+0xfff000) is outside the BAR"},
    {"next-straddle", 0, 0, 0x1000, "next feature (+0xfeffc) is outside the BAR"},
    {"zero-next", 1, 0, 0, ""},
    {"endless", 0, 0, 0x1000 + 16 * 1023, "more than 1024 feature headers"},
    {"port-outside", 0, 0, 0x800000, "port 0's registers (+0..+0x40) are outside BAR 0"},
    {"port-bad-bar", 0, 0, FME_PORT0, "port 0 is in BAR 2, which the device does not have"},
    {"afu-outside", 0, 0, 0x40000 + 0xffffff, "AFU header (unaligned) is outside the BAR"},
    {"pr-guid-outside", 0, 0, 0x100000 - 0x80, "PR feature's interface id (+0xa8..+0xb8) extends past"},
    {"truncated", 0, 0, 0, "next feature (+0x1000) is outside the BAR (0x1000 bytes)"},
};

INSTANTIATE_TEST_SUITE_P(Kinds, DflHostile, ::testing::ValuesIn(kHostile),
                         [](const ::testing::TestParamInfo<Hostile> &info) {
	                         std::string n;
	                         for (const char *c = info.param.kind; *c; c++)
		                         n += *c == '-' ? '_' : *c;
	                         return n;
                         });

// The loop kind's port register points at the FME itself: with the FME
// list repaired, the port walk must notice it re-enters a walked header.
TEST(DflScan, PortPointingBackAtTheFmeIsACycle)
{
	dev_ptr d = make_dev(mock_model_hostile_dfl, "{\"kind\":\"loop\"}");
	put64(d->bar[0], 0x2000, dfh(DFH_TYPE_PRIVATE, 7, 0, true)); // end the FME list
	dfl_bars b = bars_of(d.get());
	dfl_card card;
	dfl_error err;
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_EQ(0u, err.offset);
	EXPECT_NE(nullptr, strstr(err.reason, "port 0: expected a port header")) << err.reason;

	// a port whose list runs into the FME's PR feature
	put64(d->bar[0], FME_PORT0, FME_PORT_IMPLEMENTED | 0x800);
	put64(d->bar[0], 0x800, dfh(DFH_TYPE_FIU, DFH_ID_PORT, 0x800, false)); // -> 0x1000 (PR)
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_EQ(0x1000u, err.offset);
	EXPECT_NE(nullptr, strstr(err.reason, "loops")) << err.reason;
}

// ---- hand-made layouts ------------------------------------------------------

class DflHand : public ::testing::Test
{
      protected:
	std::vector<uint8_t> bar0 = std::vector<uint8_t>(0x100000, 0);
	std::vector<uint8_t> bar2 = std::vector<uint8_t>(0x10000, 0);
	dfl_bars b{};
	dfl_card card{};
	dfl_error err{};
	void SetUp() override
	{
		b.base[0] = bar0.data();
		b.len[0] = bar0.size();
		b.base[2] = bar2.data();
		b.len[2] = bar2.size();
		put64(bar0, 0, dfh(DFH_TYPE_FIU, DFH_ID_FME, 0, true));
		put64(bar0, DFL_GUID_L, FME_GUID_L);
		put64(bar0, DFL_GUID_H, FME_GUID_H);
	}
	void port(std::vector<uint8_t> &bar, uint64_t off, uint64_t afu_rel, uint64_t guid_lo,
	          unsigned kib)
	{
		put64(bar, off, dfh(DFH_TYPE_FIU, DFH_ID_PORT, 0, true));
		put64(bar, off + PORT_NEXT_AFU, afu_rel);
		put64(bar, off + PORT_CAPABILITY, (uint64_t)kib << 8 | 2ULL << 32);
		put64(bar, off + afu_rel, dfh(DFH_TYPE_AFU, 0, 0, true));
		put64(bar, off + afu_rel + DFL_GUID_L, guid_lo);
		put64(bar, off + afu_rel + DFL_GUID_H, 0x1122334455667788ULL);
	}
};

TEST_F(DflHand, TwoPortsInOneBarAndOneInAnother)
{
	port(bar0, 0x40000, 0x1000, 1, 16);
	port(bar0, 0x80000, 0x2000, 2, 0); // no size: to the end of the BAR
	port(bar2, 0x0, 0x100, 3, 4);
	put64(bar0, FME_PORT0, FME_PORT_IMPLEMENTED | 0x40000);
	put64(bar0, FME_PORT0 + 8, FME_PORT_IMPLEMENTED | 0x80000);
	put64(bar0, FME_PORT0 + 16, 0x12345); // not implemented: ignored
	put64(bar0, FME_PORT0 + 24, FME_PORT_IMPLEMENTED | 2ULL << 32 | 0x0);
	ASSERT_EQ(0, dfl_scan(&b, 0, &card, &err)) << err.reason;
	ASSERT_EQ(3u, card.nafus);
	EXPECT_EQ(0, card.afus[0].port);
	EXPECT_EQ(0x41000u, card.afus[0].afu_offset);
	EXPECT_EQ(16u * 1024, card.afus[0].mmio_size);
	EXPECT_EQ(1, card.afus[1].port);
	EXPECT_EQ(0x82000u, card.afus[1].afu_offset);
	EXPECT_EQ(0x100000u - 0x82000u, card.afus[1].mmio_size);
	EXPECT_EQ(3, card.afus[2].port);
	EXPECT_EQ(2u, card.afus[2].bar);
	EXPECT_EQ(0x100u, card.afus[2].afu_offset);
	EXPECT_EQ(4096u, card.afus[2].mmio_size);
	EXPECT_EQ(2u, card.afus[2].num_irqs);
	EXPECT_EQ(0x11, card.afus[0].guid[0]);
	EXPECT_EQ(0x01, card.afus[0].guid[15]);
	EXPECT_EQ(0x02, card.afus[1].guid[15]);
	EXPECT_EQ(0x03, card.afus[2].guid[15]);
	EXPECT_EQ(0, card.has_pr);
}

TEST_F(DflHand, MmioSizePastTheBarIsClipped)
{
	port(bar2, 0x8000, 0x1000, 1, 0xffff); // 64 MiB declared, 28 KiB left
	put64(bar0, FME_PORT0, FME_PORT_IMPLEMENTED | 2ULL << 32 | 0x8000);
	ASSERT_EQ(0, dfl_scan(&b, 0, &card, &err)) << err.reason;
	EXPECT_EQ(0x10000u - 0x9000u, card.afus[0].mmio_size);
}

TEST_F(DflHand, TwoPortRegistersNamingOnePortIsACycle)
{
	port(bar0, 0x40000, 0x1000, 1, 16);
	put64(bar0, FME_PORT0, FME_PORT_IMPLEMENTED | 0x40000);
	put64(bar0, FME_PORT0 + 8, FME_PORT_IMPLEMENTED | 0x40000);
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_EQ(0x40000u, err.offset);
	EXPECT_NE(nullptr, strstr(err.reason, "loops"));
}

TEST_F(DflHand, ListStartingWithAPort)
{
	std::vector<uint8_t> vf(0x10000, 0);
	port(vf, 0, 0x1000, 9, 8);
	dfl_bars vb{};
	vb.base[0] = vf.data();
	vb.len[0] = vf.size();
	ASSERT_EQ(0, dfl_scan(&vb, 0, &card, &err)) << err.reason;
	EXPECT_EQ(0, card.has_fme);
	ASSERT_EQ(1u, card.nafus);
	EXPECT_EQ(0x1000u, card.afus[0].afu_offset);
	EXPECT_EQ(9, card.afus[0].guid[15]);
}

TEST_F(DflHand, NotAFeatureListAtAll)
{
	put64(bar0, 0, 0xffffffffffffffffULL); // a device with its BAR decoded off
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_NE(nullptr, strstr(err.reason, "no feature list: the first header (type 15")) << err.reason;
	put64(bar0, 0, 0);
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_EQ(-1, dfl_scan(&b, 1, &card, &err));
	EXPECT_NE(nullptr, strstr(err.reason, "not mapped")) << err.reason;
	EXPECT_EQ(-1, dfl_scan(&b, 7, &card, &err));
	dfl_bars tiny{};
	uint32_t four = 0;
	tiny.base[0] = reinterpret_cast<uint8_t *>(&four);
	tiny.len[0] = 4;
	EXPECT_EQ(-1, dfl_scan(&tiny, 0, &card, &err));
	EXPECT_NE(nullptr, strstr(err.reason, "too small")) << err.reason;
}

TEST_F(DflHand, PortWithoutAfuOrWithAForeignHeader)
{
	port(bar0, 0x40000, 0x1000, 1, 16);
	put64(bar0, FME_PORT0, FME_PORT_IMPLEMENTED | 0x40000);
	put64(bar0, 0x40000 + PORT_NEXT_AFU, 0);
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_NE(nullptr, strstr(err.reason, "PORT_NEXT_AFU is 0")) << err.reason;
	put64(bar0, 0x40000 + PORT_NEXT_AFU, 0x1000);
	put64(bar0, 0x41000, dfh(DFH_TYPE_PRIVATE, 0x13, 0, true));
	ASSERT_EQ(-1, dfl_scan(&b, 0, &card, &err));
	EXPECT_EQ(0x41000u, err.offset);
	EXPECT_NE(nullptr, strstr(err.reason, "expected an AFU header")) << err.reason;
}

TEST(DflGuid, ByteOrderMatchesUuidText)
{
	uint8_t g[16];
	dfl_guid_from_regs(0xD8424DC4A4A3C413ULL, 0xF89E433683F9040BULL, g);
	EXPECT_EQ(0, memcmp(kNlb0, g, 16));
}
