// SPDX-License-Identifier: BSD-3-Clause
/* test_dfl_models.cpp - the dfl-fpga and hostile-dfl models on their own:
 * feature lists walkable (or broken exactly as claimed), GUID registers, the
 * NLB0 copy through the IOMMU, faults, stop, resets, interrupts. */
#include <gtest/gtest.h>

#include <json-c/json.h>

#include <cstring>
#include <memory>
#include <set>

#include "fake_mock.h"

extern "C" {
#include "dfl_common.h"
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

/* Scenario-like creation: kernel defaults, the model's, then overrides. */
dev_ptr make_dev(const mock_model_ops &ops, const char *params,
                 void (*tweak)(mock_dev_config &) = nullptr, bool expect_ok = true)
{
	dev_ptr d(new mock_dev);

	d->ops = &ops;
	strcpy(d->cfg.address, "0000:3b:00.0");
	strcpy(d->cfg.model, ops.name);
	ops.defaults(&d->cfg);
	if (tweak)
		tweak(d->cfg);
	if (params) {
		d->cfg.params = json_tokener_parse(params);
		EXPECT_NE(d->cfg.params, nullptr) << params;
	}
	for (unsigned i = 0; i < 6; i++)
		d->bar[i].assign(d->cfg.bar[i].size, 0);
	int rc = ops.create(d.get(), &d->cfg, &d->state);
	EXPECT_EQ(rc, expect_ok ? 0 : -1) << ops.name << " " << (params ? params : "");
	if (rc)
		d->state = nullptr;
	return d;
}

/* A program's register store: bytes land in BAR memory, then the model hears it. */
void store(mock_dev *d, uint64_t off, unsigned size, uint64_t value)
{
	memcpy(d->bar[0].data() + off, &value, size);
	d->ops->on_write(d->state, 0, off, size, value);
}

uint64_t load64(mock_dev *d, uint64_t off)
{
	return dfl_rd64(d->bar[0].data(), off);
}

/* A bounded, bounds-checked DFL walker (what a correct user does). */
enum walk_end { END_EOL, END_ZERO_NEXT, END_OUT_OF_BAR, END_LIMIT, END_REVISIT };
struct walk_result {
	std::vector<uint64_t> offsets;
	walk_end end;
};

/* mask24: compute the next offset modulo 2^24, as a careless walker that
 * keeps offsets in the DFH's 24-bit field does (used to show the loop). */
walk_result walk(const std::vector<uint8_t> &bar, uint64_t start, unsigned limit,
                 bool mask24 = false)
{
	walk_result r;
	std::set<uint64_t> seen;
	uint64_t off = start;

	for (unsigned n = 0; n < limit; n++) {
		if (off > bar.size() || bar.size() - off < 8) {
			r.end = END_OUT_OF_BAR;
			return r;
		}
		if (!seen.insert(off).second) {
			r.end = END_REVISIT;
			return r;
		}
		uint64_t dfh = dfl_rd64(bar.data(), off), next = (dfh >> 16) & DFH_NEXT_MAX;
		r.offsets.push_back(off);
		if (dfh & DFH_EOL) {
			r.end = END_EOL;
			return r;
		}
		if (!next) {
			r.end = END_ZERO_NEXT;
			return r;
		}
		off = mask24 ? (off + next) & DFH_NEXT_MAX : off + next;
	}
	r.end = END_LIMIT;
	return r;
}

unsigned dfh_id(const std::vector<uint8_t> &bar, uint64_t off)
{
	return dfl_rd64(bar.data(), off) & 0xfff;
}

unsigned dfh_type(const std::vector<uint8_t> &bar, uint64_t off)
{
	return dfl_rd64(bar.data(), off) >> 60;
}

void vf_tweak(mock_dev_config &c)
{
	strcpy(c.physfn, "0000:3b:00.0");
	c.device = 0xbccf;
	c.bar[0].size = DFL_VF_BAR0_SIZE;
}

} // namespace

/* ---- dfl-fpga: layout ---------------------------------------------------- */

TEST(DflFpga, DefaultsAreAnOfsPf)
{
	mock_dev_config c{};

	mock_model_dfl_fpga.defaults(&c);
	EXPECT_EQ(c.vendor, 0x8086);
	EXPECT_EQ(c.device, 0xbcce);
	EXPECT_EQ(c.subsystem_vendor, 0x8086);
	EXPECT_EQ(c.subsystem_device, 0x1770);
	EXPECT_EQ(c.bar[0].size, DFL_PF_BAR0_SIZE);
	EXPECT_TRUE(c.bar[0].mmap);
	EXPECT_EQ(c.irq_count[2], 7u);
}

TEST(DflFpga, PfFeatureListWalksToPortAndNlb0)
{
	auto d = make_dev(mock_model_dfl_fpga, "{\"role\":\"pf\"}");
	const auto &bar = d->bar[0];

	ASSERT_TRUE(d->state);
	EXPECT_EQ(load64(d.get(), DFH_GUID_H), FME_GUID_H);
	EXPECT_EQ(load64(d.get(), DFH_GUID_L), FME_GUID_L);
	walk_result w = walk(bar, 0, 64);
	ASSERT_EQ(w.end, END_EOL);
	ASSERT_EQ(w.offsets.size(), 3u);
	EXPECT_EQ(dfh_type(bar, 0), 4u);
	EXPECT_EQ(dfh_id(bar, 0), 0u);
	EXPECT_EQ(dfh_id(bar, w.offsets[1]), 5u); /* PR */
	EXPECT_EQ(load64(d.get(), w.offsets[1] + PR_INTFC_ID_H), MOCK_PR_ID_H);
	EXPECT_EQ(load64(d.get(), w.offsets[1] + PR_INTFC_ID_L), MOCK_PR_ID_L);
	EXPECT_EQ((load64(d.get(), FME_FAB_CAP) >> 17) & 7, 1u); /* one port */
	EXPECT_EQ(load64(d.get(), FME_BITSTREAM_ID), MOCK_BITSTREAM_ID);

	uint64_t port_reg = load64(d.get(), FME_PORT0);
	ASSERT_TRUE(port_reg & FME_PORT_IMPLEMENTED);
	EXPECT_EQ((port_reg >> 32) & 7, 0u);
	uint64_t port = port_reg & 0xffffff;
	ASSERT_LT(port + 0x40, bar.size());
	EXPECT_EQ(dfh_type(bar, port), 4u);
	EXPECT_EQ(dfh_id(bar, port), 1u);
	EXPECT_EQ(walk(bar, port, 64).end, END_EOL);
	for (unsigned p = 1; p < 4; p++)
		EXPECT_FALSE(load64(d.get(), FME_PORT0 + 8 * p) & FME_PORT_IMPLEMENTED);

	uint64_t afu = port + (load64(d.get(), port + PORT_NEXT_AFU) & 0xffffff);
	ASSERT_LT(afu + 0x1000, bar.size() + 1);
	EXPECT_EQ(dfh_type(bar, afu), 1u);
	EXPECT_EQ((load64(d.get(), afu) >> 52) & 0xff, 0u); /* DFH version 0 */
	EXPECT_EQ(load64(d.get(), afu + DFH_GUID_H), 0xD8424DC4A4A3C413ULL);
	EXPECT_EQ(load64(d.get(), afu + DFH_GUID_L), 0xF89E433683F9040BULL);
	EXPECT_EQ(load64(d.get(), afu + AFU_NEXT_AFU), 0u);
}

TEST(DflFpga, VfHasNlb0AtBar0AndIsNotAnFme)
{
	auto d = make_dev(mock_model_dfl_fpga, "{\"role\":\"vf\"}", vf_tweak);

	ASSERT_TRUE(d->state);
	EXPECT_EQ(load64(d.get(), DFH_GUID_H), NLB0_GUID_H);
	EXPECT_EQ(load64(d.get(), DFH_GUID_L), NLB0_GUID_L);
	EXPECT_EQ(dfh_type(d->bar[0], 0), 1u);
	EXPECT_EQ(walk(d->bar[0], 0, 4).end, END_EOL);
}

TEST(DflFpga, RoleDefaultsToVfForAnSriovVf)
{
	auto d = make_dev(mock_model_dfl_fpga, nullptr, vf_tweak);

	ASSERT_TRUE(d->state);
	EXPECT_EQ(load64(d.get(), DFH_GUID_H), NLB0_GUID_H);
}

TEST(DflFpga, BadRoleOrTooSmallBarIsRejected)
{
	make_dev(mock_model_dfl_fpga, "{\"role\":\"fme\"}", nullptr, false);
	make_dev(
	    mock_model_dfl_fpga, "{\"role\":\"pf\"}",
	    [](mock_dev_config &c) { c.bar[0].size = 0x1000; }, false);
}

TEST(DflFpga, RegisterWidthsAndTrappedPages)
{
	auto d = make_dev(mock_model_dfl_fpga, nullptr);
	const auto &o = mock_model_dfl_fpga;
	uint64_t a = DFL_PF_AFU_OFF;

	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x130), 4u);
	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x138), 4u);
	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x140), 4u);
	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x110), 8u);
	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x168), 8u);
	EXPECT_EQ(o.reg_width(d->state, 0, a + 0x188), 4u);
	EXPECT_EQ(o.reg_width(d->state, 0, DFL_PORT_OFF + PORT_CONTROL), 8u);
	EXPECT_EQ(o.reg_width(d->state, 0, DFL_GERR_OFF + 0x68), 8u);
	for (uint64_t page = 0; page < DFL_PF_BAR0_SIZE; page += 0x1000)
		EXPECT_EQ(o.page_trapped(d->state, 0, page) != 0,
		          page == DFL_PORT_OFF || page == DFL_PF_AFU_OFF || page == DFL_GERR_OFF)
		    << std::hex << page;
}

/* ---- dfl-fpga: NLB0 ------------------------------------------------------- */

namespace
{

struct nlb_fixture {
	dev_ptr d;
	uint64_t afu;
	std::vector<uint8_t> dsm, in, out;
	static constexpr uint64_t DSM_IOVA = 0x200000, IN_IOVA = 0x400000, OUT_IOVA = 0x600000;
	static constexpr unsigned LINES = 16384; /* 1 MiB */

	explicit nlb_fixture(bool vf)
	    : d(vf ? make_dev(mock_model_dfl_fpga, "{\"role\":\"vf\"}", vf_tweak)
	           : make_dev(mock_model_dfl_fpga, nullptr)),
	      afu(vf ? 0 : DFL_PF_AFU_OFF), dsm(0x1000, 0), in(LINES * 64), out(LINES * 64, 0xBE)
	{
		for (size_t i = 0; i < in.size(); i++)
			in[i] = (uint8_t)(i * 7 + i / 64);
		d->maps.push_back({DSM_IOVA, dsm.data(), dsm.size()});
		d->maps.push_back({IN_IOVA, in.data(), in.size()});
		d->maps.push_back({OUT_IOVA, out.data(), out.size()});
	}

	/* hello_fpga's sequence up to the start */
	void program(unsigned lines = LINES, uint64_t dst = OUT_IOVA)
	{
		store(d.get(), afu + 0x110, 8, DSM_IOVA);
		store(d.get(), afu + 0x138, 4, 0);
		store(d.get(), afu + 0x138, 4, 1);
		store(d.get(), afu + 0x120, 8, IN_IOVA >> 6);
		store(d.get(), afu + 0x128, 8, dst >> 6);
		store(d.get(), afu + 0x130, 4, lines);
		store(d.get(), afu + 0x140, 4, 0x42000);
		store(d.get(), afu + 0x138, 4, 3);
	}

	uint64_t dsm_status() const
	{
		return dfl_rd64(dsm.data(), 0x40);
	}
};

} // namespace

TEST(DflFpgaNlb0, CopiesThroughTheIommuOnTheWorkerThenSetsTheDsmFlag)
{
	for (bool vf : {false, true}) {
		nlb_fixture f(vf);

		f.program();
		/* nothing happens inside the register write */
		EXPECT_EQ(f.dsm_status(), 0u);
		EXPECT_EQ(f.out[0], 0xBE);
		EXPECT_NE(load64(f.d.get(), f.afu + 0x168), 0u); /* busy */
		unsigned steps = f.d->run_worker();
		EXPECT_GT(steps, 4u) << "the copy should be done in chunks";
		EXPECT_EQ(f.dsm_status() & 1, 1u);
		EXPECT_EQ(f.out, f.in);
		EXPECT_EQ(dfl_rd64(f.dsm.data(), 0x48), nlb_fixture::LINES);
		EXPECT_EQ(load64(f.d.get(), f.afu + 0x168), 0u); /* idle */
		EXPECT_TRUE(f.d->faults.empty());
		/* stop, then a second run after CTL 0 -> 1 */
		store(f.d.get(), f.afu + 0x138, 4, 7);
		memset(f.dsm.data(), 0, f.dsm.size());
		memset(f.out.data(), 0, f.out.size());
		f.program(16);
		f.d->run_worker();
		EXPECT_EQ(f.dsm_status() & 1, 1u);
		EXPECT_EQ(memcmp(f.out.data(), f.in.data(), 16 * 64), 0);
		EXPECT_EQ(f.out[16 * 64], 0) << "copied more lines than asked";
	}
}

TEST(DflFpgaNlb0, IommuFaultStopsTheCopyWithoutCompletion)
{
	nlb_fixture f(false);

	/* output mapped for only its first half: the second half faults */
	f.d->maps.back().len = f.out.size() / 2;
	f.program();
	f.d->run_worker();
	EXPECT_EQ(f.dsm_status(), 0u);
	ASSERT_FALSE(f.d->faults.empty());
	EXPECT_GE(f.d->faults[0], nlb_fixture::OUT_IOVA + f.out.size() / 2);
	EXPECT_EQ(f.out[f.out.size() / 2], 0xBE);
	EXPECT_EQ(load64(f.d.get(), f.afu + 0x168), 0u);
	/* the DSM itself unmapped: the copy succeeds but no completion lands */
	nlb_fixture g(true);
	g.d->maps.erase(g.d->maps.begin());
	g.program();
	g.d->run_worker();
	EXPECT_EQ(g.out, g.in);
	EXPECT_FALSE(g.d->faults.empty());
}

TEST(DflFpgaNlb0, BusMasterOffDropsTheDma)
{
	nlb_fixture f(true);

	f.d->bus_master = 0;
	f.program();
	f.d->run_worker();
	EXPECT_EQ(f.dsm_status(), 0u);
	EXPECT_EQ(f.out[0], 0xBE);
}

TEST(DflFpgaNlb0, StopAndResetAbortARunningCopy)
{
	nlb_fixture f(false);

	f.program();
	f.d->run_worker(1);
	store(f.d.get(), f.afu + 0x138, 4, 7);
	f.d->run_worker();
	EXPECT_EQ(f.dsm_status(), 0u);
	EXPECT_NE(f.out, f.in);

	nlb_fixture g(false);
	g.program();
	g.d->run_worker(1);
	store(g.d.get(), g.afu + 0x138, 4, 0); /* AFU reset asserted */
	g.d->run_worker();
	EXPECT_EQ(g.dsm_status(), 0u);
}

TEST(DflFpgaNlb0, DeviceResetRestoresPowerOnValues)
{
	nlb_fixture f(false);
	const std::vector<uint8_t> power_on = f.d->bar[0];

	store(f.d.get(), f.afu + 0x100, 8, 0x0123456789ABCDEFULL); /* scratch */
	EXPECT_EQ(load64(f.d.get(), f.afu + 0x100), 0x0123456789ABCDEFULL);
	f.program();
	store(f.d.get(), f.afu + 0x08, 8, 0); /* the GUID is read-only */
	EXPECT_EQ(load64(f.d.get(), f.afu + 0x08), NLB0_GUID_L);
	store(f.d.get(), 0x12345, 1, 0xff); /* plain memory page */
	f.d->drop_work();                   /* the mock drops pending work on reset */
	mock_model_dfl_fpga.reset(f.d->state);
	EXPECT_EQ(f.d->bar[0], power_on);
	f.d->run_worker();
	EXPECT_EQ(f.dsm_status(), 0u);
}

TEST(DflFpgaNlb0, PortSoftResetAcksAndResetsTheAfu)
{
	nlb_fixture f(false);
	uint64_t ctl = DFL_PORT_OFF + PORT_CONTROL;

	store(f.d.get(), f.afu + 0x100, 8, 42);
	f.program();
	store(f.d.get(), ctl, 8, load64(f.d.get(), ctl) | PORT_CTL_SFTRST);
	EXPECT_TRUE(load64(f.d.get(), ctl) & PORT_CTL_SFTRST_ACK);
	store(f.d.get(), ctl, 8, load64(f.d.get(), ctl) & ~PORT_CTL_SFTRST);
	EXPECT_FALSE(load64(f.d.get(), ctl) & PORT_CTL_SFTRST_ACK);
	EXPECT_EQ(load64(f.d.get(), f.afu + 0x100), 0u);
	EXPECT_EQ(load64(f.d.get(), f.afu + 0x08), NLB0_GUID_L);
	f.d->run_worker();
	EXPECT_EQ(f.dsm_status(), 0u) << "the run was cancelled by the port reset";
	/* the port header is read-only; PORT_CONTROL keeps its value */
	store(f.d.get(), ctl, 8, PORT_CTL_SFTRST);
	store(f.d.get(), DFL_PORT_OFF + PORT_NEXT_AFU, 8, 0x1234);
	EXPECT_EQ(load64(f.d.get(), DFL_PORT_OFF + PORT_NEXT_AFU), DFL_AFU_FROM_PORT);
	EXPECT_EQ(load64(f.d.get(), ctl), PORT_CTL_SFTRST | PORT_CTL_SFTRST_ACK);
}

TEST(DflFpgaNlb0, IrqRegisterRaisesThatMsixVector)
{
	nlb_fixture f(false);

	store(f.d.get(), f.afu + 0x180, 4, 3);
	store(f.d.get(), f.afu + 0x180, 4, 6);
	store(f.d.get(), f.afu + 0x180, 4, 7); /* only 7 vectors: ignored */
	ASSERT_EQ(f.d->irqs.size(), 2u);
	EXPECT_EQ(f.d->irqs[0], std::make_pair(2u, 3u));
	EXPECT_EQ(f.d->irqs[1], std::make_pair(2u, 6u));
}

TEST(DflFpgaNlb0, DoneIrqRaisesItsVectorAfterTheDsmWrite)
{
	for (bool vf : {false, true}) {
		nlb_fixture f(vf);

		f.program(64);
		f.d->run_worker();
		EXPECT_EQ(f.dsm_status() & 1, 1u);
		EXPECT_TRUE(f.d->irqs.empty()) << "DONE_IRQ off at power-on";
		store(f.d.get(), f.afu + 0x188, 4, 0x80000000u | 3);
		store(f.d.get(), f.afu + 0x138, 4, 7); /* stop, then a second copy */
		store(f.d.get(), f.afu + 0x138, 4, 1);
		f.dsm.assign(f.dsm.size(), 0);
		store(f.d.get(), f.afu + 0x138, 4, 3);
		EXPECT_TRUE(f.d->irqs.empty()) << "nothing before the copy ran";
		f.d->run_worker();
		EXPECT_EQ(f.dsm_status() & 1, 1u);
		ASSERT_EQ(f.d->irqs.size(), 1u);
		EXPECT_EQ(f.d->irqs[0], std::make_pair(2u, 3u));
		/* a faulting copy never completes, so it never interrupts */
		f.d->irqs.clear();
		store(f.d.get(), f.afu + 0x138, 4, 7);
		store(f.d.get(), f.afu + 0x138, 4, 1);
		f.program(64, 0x7000000);
		f.d->run_worker();
		EXPECT_TRUE(f.d->irqs.empty());
		/* port or device reset turns it off again */
		f.d->ops->reset(f.d->state);
		EXPECT_EQ(dfl_rd32(f.d->bar[0].data(), f.afu + 0x188), 0u);
	}
}

/* ---- dfl-fpga: FME global error interrupt ----------------------------------- */

namespace
{

constexpr uint64_t G = DFL_GERR_OFF;

/* opaevfiotest's errinj masks: FME_ERROR masks MBP only, the rest unmasked */
void unmask_like_opaevfiotest(mock_dev *d)
{
	store(d, G + 0x08, 8, 1ULL << 6);
	for (uint64_t m : {0x18, 0x28, 0x48, 0x58})
		store(d, G + m, 8, 0);
}

} // namespace

TEST(DflFpgaFmeError, CapabilityNamesVector6)
{
	auto d = make_dev(mock_model_dfl_fpga, nullptr);

	EXPECT_EQ(load64(d.get(), G + 0x70), 1u | 6u << 1) << "interrupt supported, vector 6";
	EXPECT_EQ(walk(d->bar[0], 0, 64).offsets.back(), G) << "still the last FME feature";
	auto small =
	    make_dev(mock_model_dfl_fpga, nullptr, [](mock_dev_config &c) { c.irq_count[2] = 4; });
	EXPECT_EQ(load64(small.get(), G + 0x70), 0u) << "no vector 6 with 4 MSI-X vectors";
}

TEST(DflFpgaFmeError, InjectionRaisesVector6OnceAndClears)
{
	auto d = make_dev(mock_model_dfl_fpga, nullptr);

	unmask_like_opaevfiotest(d.get());
	EXPECT_TRUE(d->irqs.empty());
	store(d.get(), G + 0x68, 8, 1); /* inject a catastrophic error */
	ASSERT_EQ(d->irqs.size(), 1u);
	EXPECT_EQ(d->irqs[0], std::make_pair(2u, 6u));
	EXPECT_EQ(load64(d.get(), G + 0x60), 1ULL << 11) << "RAS_CATFAT_ERROR";
	EXPECT_EQ(load64(d.get(), G + 0x68), 1u);
	store(d.get(), G + 0x68, 8, 3); /* another error while one is active: no new edge */
	EXPECT_EQ(d->irqs.size(), 1u);
	EXPECT_EQ(load64(d.get(), G + 0x60), 3ULL << 11);
	store(d.get(), G + 0x60, 8, ~0ULL); /* write-1-to-clear cannot clear an injected error */
	EXPECT_EQ(load64(d.get(), G + 0x60), 3ULL << 11);
	store(d.get(), G + 0x68, 8, 0); /* clear the injection */
	EXPECT_EQ(load64(d.get(), G + 0x60), 0u);
	store(d.get(), G + 0x68, 8, 4); /* non-fatal */
	EXPECT_EQ(load64(d.get(), G + 0x50), 1ULL << 6);
	ASSERT_EQ(d->irqs.size(), 2u);
	EXPECT_EQ(d->irqs[1], std::make_pair(2u, 6u));
	store(d.get(), G + 0x68, 8, 0);
	store(d.get(), G + 0x70, 8, 0); /* the capability is read-only */
	EXPECT_EQ(load64(d.get(), G + 0x70), 13u);
	store(d.get(), G, 8, 0); /* so is the feature header */
	EXPECT_EQ(dfh_id(d->bar[0], G), 4u);
}

TEST(DflFpgaFmeError, MaskedErrorsInterruptWhenUnmasked)
{
	auto d = make_dev(mock_model_dfl_fpga, nullptr);

	store(d.get(), G + 0x58, 8, ~0ULL); /* RAS_CATFAT masked */
	store(d.get(), G + 0x68, 8, 1);
	EXPECT_TRUE(d->irqs.empty()) << "masked";
	EXPECT_EQ(load64(d.get(), G + 0x60), 1ULL << 11) << "but visible";
	store(d.get(), G + 0x58, 8, 0);
	ASSERT_EQ(d->irqs.size(), 1u) << "unmasking an active error is an edge";
	store(d.get(), G + 0x68, 8, 0);
	/* a pwrite split in two 32-bit halves, low first (Linux 6.1's region write) */
	store(d.get(), G + 0x68, 4, 4);
	store(d.get(), G + 0x6c, 4, 0);
	EXPECT_EQ(load64(d.get(), G + 0x68), 4u);
	EXPECT_EQ(d->irqs.size(), 2u);
	d->ops->reset(d->state);
	EXPECT_EQ(load64(d.get(), G + 0x68), 0u);
	EXPECT_EQ(load64(d.get(), G + 0x50), 0u);
}

/* ---- hostile-dfl ----------------------------------------------------------- */

namespace
{

dev_ptr hostile(const char *kind)
{
	std::string p = std::string("{\"kind\":\"") + kind + "\"}";
	auto tweak = strcmp(kind, "truncated") ? nullptr : +[](mock_dev_config &c) {
		c.bar[0].size = 0x1000;
	};
	auto d = make_dev(mock_model_hostile_dfl, p.c_str(), tweak);

	EXPECT_TRUE(d->state) << kind;
	return d;
}

} // namespace

TEST(HostileDfl, UnknownOrMissingKindIsRejected)
{
	make_dev(mock_model_hostile_dfl, "{\"kind\":\"nice\"}", nullptr, false);
	make_dev(mock_model_hostile_dfl, "{}", nullptr, false);
	make_dev(mock_model_hostile_dfl, nullptr, nullptr, false);
	make_dev(
	    mock_model_hostile_dfl, "{\"kind\":\"loop\"}",
	    [](mock_dev_config &c) { c.bar[0].size = 0x1000; }, false);
}

TEST(HostileDfl, EveryKindStillLooksLikeAnFme)
{
	for (const char *k :
	     {"loop", "offset24", "next-beyond", "next-straddle", "zero-next", "endless",
	      "port-outside", "port-bad-bar", "afu-outside", "pr-guid-outside", "truncated"}) {
		auto d = hostile(k);
		ASSERT_TRUE(d->state);
		EXPECT_EQ(load64(d.get(), DFH_GUID_H), FME_GUID_H) << k;
		EXPECT_EQ(load64(d.get(), DFH_GUID_L), FME_GUID_L) << k;
		EXPECT_EQ(mock_model_hostile_dfl.page_trapped(d->state, 0, 0), 0) << k;
		/* a walk never changes the device, and reset restores it */
		auto before = d->bar[0];
		walk(d->bar[0], 0, 4096);
		EXPECT_EQ(d->bar[0], before) << k;
		d->bar[0][8] ^= 0xff;
		mock_model_hostile_dfl.reset(d->state);
		EXPECT_EQ(d->bar[0], before) << k;
	}
}

TEST(HostileDfl, LoopRevisitsForA24BitWalkerAndLeavesTheBarForACorrectOne)
{
	auto d = hostile("loop");

	EXPECT_EQ(walk(d->bar[0], 0, 4096).end, END_OUT_OF_BAR);
	walk_result w = walk(d->bar[0], 0, 4096, true);
	EXPECT_EQ(w.end, END_REVISIT);
	EXPECT_EQ(w.offsets, (std::vector<uint64_t>{0, 0x1000, 0x2000}));
	uint64_t port = load64(d.get(), FME_PORT0);
	EXPECT_TRUE(port & FME_PORT_IMPLEMENTED);
	EXPECT_EQ(port & 0xffffff, 0u) << "the port register points back at the FME";
}

TEST(HostileDfl, Offset24NextAtMaximumAndPortRegisterWithHighBits)
{
	auto d = hostile("offset24");
	walk_result w = walk(d->bar[0], 0, 4096);

	EXPECT_EQ(w.end, END_OUT_OF_BAR);
	EXPECT_EQ((load64(d.get(), w.offsets.back()) >> 16) & DFH_NEXT_MAX, DFH_NEXT_MAX);
	uint64_t port = load64(d.get(), FME_PORT0);
	EXPECT_EQ(port & 0xffffff, DFL_PORT_OFF);
	EXPECT_GT(port & 0xffffffffULL, d->bar[0].size()) << "unmasked offset must be outside";
	EXPECT_EQ(dfh_id(d->bar[0], DFL_PORT_OFF), 1u);
}

TEST(HostileDfl, NextBeyondAndStraddleLeaveTheBar)
{
	auto b = hostile("next-beyond");
	walk_result w = walk(b->bar[0], 0, 4096);
	EXPECT_EQ(w.end, END_OUT_OF_BAR);
	EXPECT_EQ(w.offsets.size(), 2u);

	auto s = hostile("next-straddle");
	w = walk(s->bar[0], 0, 4096);
	EXPECT_EQ(w.end, END_OUT_OF_BAR);
	uint64_t last = w.offsets.back();
	uint64_t target = last + ((load64(s.get(), last) >> 16) & DFH_NEXT_MAX);
	EXPECT_EQ(target, s->bar[0].size() - 4) << "the 8-byte DFH must straddle the end";
}

TEST(HostileDfl, ZeroNextWithoutEol)
{
	auto d = hostile("zero-next");
	walk_result w = walk(d->bar[0], 0, 4096);

	EXPECT_EQ(w.end, END_ZERO_NEXT);
	EXPECT_FALSE(load64(d.get(), w.offsets.back()) & DFH_EOL);
}

TEST(HostileDfl, EndlessChainOutlastsAnyReasonableBound)
{
	auto d = hostile("endless");

	EXPECT_EQ(walk(d->bar[0], 0, 4096).end, END_LIMIT);
	walk_result all = walk(d->bar[0], 0, 1u << 20);
	EXPECT_EQ(all.end, END_OUT_OF_BAR);
	EXPECT_EQ(all.offsets.size(), 1 + (DFL_PF_BAR0_SIZE - 0x1000) / 16);
	for (uint64_t off : all.offsets)
		EXPECT_FALSE(load64(d.get(), off) & DFH_EOL);
}

TEST(HostileDfl, PortsAndAfusOutsideTheirBar)
{
	auto po = hostile("port-outside");
	uint64_t reg = load64(po.get(), FME_PORT0);
	EXPECT_TRUE(reg & FME_PORT_IMPLEMENTED);
	EXPECT_GE(reg & 0xffffff, po->bar[0].size());
	EXPECT_EQ(walk(po->bar[0], 0, 64).end, END_EOL) << "only the port is wrong";

	auto pb = hostile("port-bad-bar");
	reg = load64(pb.get(), FME_PORT0);
	EXPECT_EQ((reg >> 32) & 7, 2u);
	EXPECT_EQ(pb->cfg.bar[2].size, 0u) << "BAR 2 must not exist";

	auto ao = hostile("afu-outside");
	reg = load64(ao.get(), FME_PORT0);
	uint64_t port = reg & 0xffffff;
	ASSERT_LT(port, ao->bar[0].size());
	EXPECT_EQ(dfh_id(ao->bar[0], port), 1u);
	EXPECT_GE(port + (load64(ao.get(), port + PORT_NEXT_AFU) & 0xffffff), ao->bar[0].size());
}

TEST(HostileDfl, PrGuidPastTheEnd)
{
	auto d = hostile("pr-guid-outside");
	walk_result w = walk(d->bar[0], 0, 64);

	ASSERT_EQ(w.end, END_EOL);
	uint64_t pr = w.offsets.back();
	EXPECT_EQ(dfh_id(d->bar[0], pr), 5u);
	EXPECT_LT(pr + 8, d->bar[0].size());
	EXPECT_GT(pr + PR_INTFC_ID_L + 8, d->bar[0].size());
}

TEST(HostileDfl, TruncatedFmeInA4KiBBar)
{
	auto d = hostile("truncated");

	ASSERT_EQ(d->bar[0].size(), 0x1000u);
	EXPECT_EQ(walk(d->bar[0], 0, 64).end, END_OUT_OF_BAR);
	uint64_t reg = load64(d.get(), FME_PORT0);
	EXPECT_TRUE(reg & FME_PORT_IMPLEMENTED);
	EXPECT_GE(reg & 0xffffff, d->bar[0].size());
}

/* ---- dfl-fpga: the hello_afu AFU (params.afu) -------------------------------- */

namespace
{

constexpr uint64_t HELLO_GUID_H = 0x850ADCC26CEB4B22ULL; /* 850ADCC2-6CEB-4B22- */
constexpr uint64_t HELLO_GUID_L = 0x9722D43375B61C66ULL; /* 9722-D43375B61C66 */

} // namespace

TEST(DflFpgaHelloAfu, TakesNlb0sPlaceOnPfAndVf)
{
	for (bool vf : {false, true}) {
		auto d = vf ? make_dev(mock_model_dfl_fpga,
		                       "{\"role\":\"vf\",\"afu\":\"hello_afu\"}", vf_tweak)
		            : make_dev(mock_model_dfl_fpga, "{\"afu\":\"hello_afu\"}");
		uint64_t afu = vf ? 0 : DFL_PF_AFU_OFF;

		ASSERT_TRUE(d->state);
		EXPECT_EQ(dfh_type(d->bar[0], afu), 1u);
		EXPECT_EQ(load64(d.get(), afu) & DFH_EOL, DFH_EOL);
		EXPECT_EQ(load64(d.get(), afu + DFH_GUID_H), HELLO_GUID_H);
		EXPECT_EQ(load64(d.get(), afu + DFH_GUID_L), HELLO_GUID_L);
		EXPECT_EQ(load64(d.get(), afu + 0x80), 0u) << "scratch at power-on";
		EXPECT_EQ(d->ops->reg_width(d->state, 0, afu + 0x80), 8u);
		EXPECT_EQ(d->ops->reg_width(d->state, 0, afu + 0x138), 8u) << "no NLB0 registers";
		if (!vf) { /* the FME still leads to it through the port */
			EXPECT_EQ(load64(d.get(), DFL_PORT_OFF + PORT_NEXT_AFU), DFL_AFU_FROM_PORT);
		}
	}
	/* "nlb0" is the default, named or not */
	auto n = make_dev(mock_model_dfl_fpga, "{\"afu\":\"nlb0\"}");
	ASSERT_TRUE(n->state);
	EXPECT_EQ(load64(n.get(), DFL_PF_AFU_OFF + DFH_GUID_H), NLB0_GUID_H);
}

TEST(DflFpgaHelloAfu, ScratchHoldsWritesHeaderIsReadOnlyResetClears)
{
	auto d = make_dev(mock_model_dfl_fpga, "{\"afu\":\"hello_afu\"}");
	const uint64_t a = DFL_PF_AFU_OFF;

	store(d.get(), a + 0x80, 8, 0x0123456789ABCDEFULL);
	EXPECT_EQ(load64(d.get(), a + 0x80), 0x0123456789ABCDEFULL);
	store(d.get(), a + 0x80, 8, 0);
	EXPECT_EQ(load64(d.get(), a + 0x80), 0u);
	store(d.get(), a + DFH_GUID_H, 8, 0);
	EXPECT_EQ(load64(d.get(), a + DFH_GUID_H), HELLO_GUID_H) << "GUID is read-only";
	/* NLB0's registers do nothing here: no copy is queued, no vector raised */
	store(d.get(), a + 0x138, 4, 3);
	store(d.get(), a + 0x180, 4, 1);
	EXPECT_EQ(d->run_worker(), 0u);
	EXPECT_TRUE(d->irqs.empty());
	/* a port soft reset and a device reset both clear the scratch register */
	store(d.get(), a + 0x80, 8, 42);
	uint64_t ctl = DFL_PORT_OFF + PORT_CONTROL;
	store(d.get(), ctl, 8, PORT_CTL_SFTRST);
	store(d.get(), ctl, 8, 0);
	EXPECT_EQ(load64(d.get(), a + 0x80), 0u);
	store(d.get(), a + 0x80, 8, 42);
	d->ops->reset(d->state);
	EXPECT_EQ(load64(d.get(), a + 0x80), 0u);
	EXPECT_EQ(load64(d.get(), a + DFH_GUID_L), HELLO_GUID_L);
}

TEST(DflFpgaHelloAfu, UnknownAfuIsRejected)
{
	make_dev(mock_model_dfl_fpga, "{\"afu\":\"nlb3\"}", nullptr, false);
	make_dev(mock_model_dfl_fpga, "{\"afu\":7}", nullptr, false);
}
