// SPDX-License-Identifier: BSD-3-Clause
// test_mmio.cpp - MMIO through the adapter table against the NLB0 registers
// of the mock's dfl-fpga model (PF: the AFU at BAR0 + 0x60000 behind the
// port; VF: at BAR0 + 0), the bad-offset matrix, Map/Unmap, 512-bit writes,
// and plain accelerators (QEMU's edu declared by GUID).
#include "plugin_test_util.h"

#include <immintrin.h>

class MmioTest : public PluginTest
{
      protected:
	fpga_handle h = nullptr;
	void open_nlb0(const char *scenario)
	{
		load(scenario, nullptr);
		Filter f;
		fpga_token tok = one(f.guid(NLB0_GUID));
		ASSERT_NE(nullptr, tok);
		h = open(tok);
	}
};

TEST_F(MmioTest, Nlb0RegistersOnThePfPort)
{
	open_nlb0("dfl-pf.json");
	uint64_t v = 0;
	uint32_t v32 = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x0, &v));
	EXPECT_EQ(1u, v >> 60) << "mmio 0 starts at the AFU header, not at the BAR";
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x8, &v));
	EXPECT_EQ(0xF89E433683F9040Bull, v);
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x10, &v));
	EXPECT_EQ(0xD8424DC4A4A3C413ull, v);
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO32(h, 0, 0x10, &v32));
	EXPECT_EQ(0xA4A3C413u, v32);
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO32(h, 0, 0x14, &v32));
	EXPECT_EQ(0xD8424DC4u, v32);
	// SCRATCH (0x100): 64-bit and 32-bit halves
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x100, 0x0123456789abcdefull));
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100, &v));
	EXPECT_EQ(0x0123456789abcdefull, v);
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x104, 0xfeedf00d));
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100, &v));
	EXPECT_EQ(0xfeedf00d89abcdefull, v);
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x168, &v));
	EXPECT_EQ(0u, v) << "STATUS1 idle";
}

TEST_F(MmioTest, MapGivesTheSameRegisters)
{
	open_nlb0("dfl-pf.json");
	uint64_t *base = nullptr;
	ASSERT_EQ(FPGA_OK, t->fpgaMapMMIO(h, 0, &base));
	ASSERT_NE(nullptr, base);
	EXPECT_EQ(0xD8424DC4A4A3C413ull, *(volatile uint64_t *)(base + 2));
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO64(h, 0, 0x100, 42));
	EXPECT_EQ(42u, *(volatile uint64_t *)(base + 0x20));
	EXPECT_EQ(FPGA_OK, t->fpgaMapMMIO(h, 0, nullptr)) << "the pointer is optional";
	EXPECT_EQ(FPGA_OK, t->fpgaUnmapMMIO(h, 0));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaMapMMIO(h, 1, &base));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaUnmapMMIO(h, 1));
}

// Every bad offset, width, alignment and space number: FPGA_INVALID_PARAM,
// never a signal, and the register file is untouched.
TEST_F(MmioTest, BadOffsetMatrix)
{
	open_nlb0("dfl-pf.json");
	const uint64_t size = 0x20000; // PORT_CAPABILITY: 128 KiB
	uint64_t v = 0;
	uint32_t v32 = 0;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, size - 8, &v));
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO32(h, 0, size - 4, &v32));
	struct {
		uint32_t num;
		uint64_t off;
	} bad64[] = {{0, size},     {0, size - 4},        {0, size + 8},   {0, 0x4},
	             {0, 0x101},    {0, ~0ull},           {0, ~0ull - 7},  {0, 1ull << 32},
	             {0, (1ull << 32) + 0x100}, {1, 0}, {31, 0}, {32, 0}, {~0u, 0}};
	for (auto &b : bad64) {
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, b.num, b.off, &v)) << b.num << " " << b.off;
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO64(h, b.num, b.off, 7)) << b.off;
	}
	struct {
		uint32_t num;
		uint64_t off;
	} bad32[] = {{0, size}, {0, size - 2}, {0, 0x2}, {0, 0x103}, {0, ~0ull - 3}, {1, 0}};
	for (auto &b : bad32) {
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO32(h, b.num, b.off, &v32)) << b.off;
		EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO32(h, b.num, b.off, 7)) << b.off;
	}
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, 0, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO32(h, 0, 0, nullptr));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(h, 0, 0, nullptr));
	const uint64_t line[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(h, 0, 0x120, line)) << "not 64-byte aligned";
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(h, 0, size, line));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(h, 0, size - 32, line));
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaWriteMMIO512(h, 1, 0, line));
	// nothing above reached the device
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100, &v));
	EXPECT_EQ(0u, v);
}

TEST_F(MmioTest, Write512IsOneStoreOrNotSupported)
{
	open_nlb0("dfl-demo.json"); // two NLB0 tokens: the PF port first
	alignas(64) const uint64_t line[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f")) {
		// no AVX-512 on this CPU: the call is refused, nothing is written
		EXPECT_EQ(FPGA_NOT_SUPPORTED, t->fpgaWriteMMIO512(h, 0, 0x1000, line));
		uint64_t v = 1;
		EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x1000, &v));
		EXPECT_EQ(0u, v);
		RecordProperty("avx512", "absent: only the FPGA_NOT_SUPPORTED path ran");
		return;
	}
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO512(h, 0, 0x1000, line));
	for (unsigned i = 0; i < 8; i++) {
		uint64_t v = 0;
		ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x1000 + 8 * i, &v));
		EXPECT_EQ(line[i], v);
	}
}

TEST_F(MmioTest, VfAfuAtBar0)
{
	load("dfl-demo.json", nullptr);
	Filter f;
	h = open(one(f.function(1)));
	uint64_t v = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x10, &v));
	EXPECT_EQ(0xD8424DC4A4A3C413ull, v);
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x40000 - 8, &v)) << "the whole 256 KiB BAR";
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, 0x40000, &v));
}

// QEMU's edu, declared a plain accelerator by the shipped example.
TEST_F(MmioTest, EduAsAPlainAccelerator)
{
	std::string list = std::string(CONFIG_EXAMPLES) + "/edu-plain.json";
	ASSERT_EQ(0, setenv("OPAE_VFIO_CONFIG", list.c_str(), 1));
	load("edu.json", "{\"devices\":[]}"); // the file wins over the string
	unsetenv("OPAE_VFIO_CONFIG");
	uint32_t n = 0;
	auto v = enumerate({}, 4, &n);
	ASSERT_EQ(1u, n);
	TokenInfo ti = info(v[0]);
	EXPECT_EQ(FPGA_ACCELERATOR, ti.type);
	EXPECT_EQ("0000:00:03.0", ti.addr);
	EXPECT_EQ("de1dafc1-ee0d-4d1b-9c7a-31338e6306b6", ti.guid);
	EXPECT_EQ(0u, vfio_mock_calls("VFIO_GROUP_GET_DEVICE_FD")) << "a plain device is not opened to be listed";
	h = open(v[0]);
	uint32_t id = 0, live = 0;
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO32(h, 0, 0x0, &id));
	EXPECT_EQ(0x010000edu, id);
	ASSERT_EQ(FPGA_OK, t->fpgaWriteMMIO32(h, 0, 0x4, 0x12345678));
	ASSERT_EQ(FPGA_OK, t->fpgaReadMMIO32(h, 0, 0x4, &live));
	EXPECT_EQ(~0x12345678u, live);
	uint64_t x;
	EXPECT_EQ(FPGA_OK, t->fpgaReadMMIO64(h, 0, 0x100000 - 8, &x)) << "BAR0 is 1 MiB";
	EXPECT_EQ(FPGA_INVALID_PARAM, t->fpgaReadMMIO64(h, 0, 0x100000, &x));
	// QEMU's edu has no function reset (vfio-pci reports no RESET flag)
	EXPECT_EQ(FPGA_NOT_SUPPORTED, t->fpgaReset(h)) << "edu has no VFIO_DEVICE_RESET";
	struct vfio_mock_device_state st = {};
	ASSERT_EQ(0, vfio_mock_device_state("0000:00:03.0", &st));
	EXPECT_EQ(0u, st.resets);
}
