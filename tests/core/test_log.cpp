// test_log.cpp - the log lines users see: format "opae-vfio: <dev>: <step>: <reason>",
// and LIBOPAE_LOG=2 debug messages (huge page fallback). Own binary: the level
// is read once per process, so it is set before main.
#include <cstdlib>

#include "core_test_util.h"

static const int log_level_set = setenv("LIBOPAE_LOG", "2", 1);

TEST_F(CoreTest, ErrorLinesNameDeviceStepAndReason)
{
	ASSERT_EQ(0, log_level_set);
	sc.huge2m = 4;
	open_default();
	vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, ENOSPC);
	size_t sz = 8192;
	uint8_t *p = nullptr;
	testing::internal::CaptureStderr();
	EXPECT_NE(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos,
	          err.find("opae-vfio: " EDU_ADDR ": VFIO_IOMMU_MAP_DMA (iova 0x200000, 8 KiB): "
	                   "No space left on device\n"))
	    << err;

	testing::internal::CaptureStderr();
	EXPECT_NE(0, opae_vfio_buffer_free(&v, (uint8_t *)0x1000));
	err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos,
	          err.find("opae-vfio: " EDU_ADDR ": free: 0x1000 is not the start "
	                   "of a buffer: No such file or directory"))
	    << err;
}

TEST_F(CoreTest, DebugLevelReportsHugePageFallback)
{
	sc.huge2m = 0;
	open_default();
	size_t sz = 8192;
	uint8_t *p = nullptr;
	testing::internal::CaptureStderr();
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos, err.find("opae-vfio: " EDU_ADDR
	                                      ": allocate: no free 2 MiB huge page, using 4 KiB "
	                                      "pages"))
	    << err;
}
