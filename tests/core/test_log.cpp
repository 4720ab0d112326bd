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

// Hostile input: an address far longer than the 512-byte line. The line is
// cut, says so, and nothing past the buffer is written (ASan would see it).
TEST_F(CoreTest, OverlongInputIsTruncatedVisibly)
{
	sc.load();
	for (size_t len : {size_t(100), size_t(498), size_t(500), size_t(511), size_t(512),
	                   size_t(600), size_t(1000), size_t(65536)}) {
		SCOPED_TRACE(len);
		std::string addr(len, 'a');
		memset(&v, 0, sizeof(v));
		testing::internal::CaptureStderr();
		errno = 0;
		EXPECT_EQ(1, opae_vfio_open(&v, addr.c_str()));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(1, opae_vfio_secure_open(&v, addr.c_str(), addr.c_str()));
		EXPECT_EQ(EINVAL, errno);
		std::string err = testing::internal::GetCapturedStderr();
		EXPECT_EQ(-1, v.cont_fd);
		size_t start = 0, lines = 0;
		while (start < err.size()) {
			size_t nl = err.find('\n', start);
			ASSERT_NE(std::string::npos, nl) << "every line ends in a newline";
			std::string line = err.substr(start, nl - start);
			EXPECT_LE(line.size() + 1, 512u);
			EXPECT_EQ(0u, line.find("opae-vfio: "));
			bool cut = line.size() + 1 == 512;
			EXPECT_EQ(cut, line.size() >= 14 &&
			                   line.compare(line.size() - 14, 14, "...[truncated]") == 0)
			    << line;
			if (len >= 512) {
				EXPECT_TRUE(cut) << "an address this long cannot fit";
			}
			start = nl + 1;
			lines++;
		}
		EXPECT_EQ(2u, lines);
	}
}

// Every kernel call goes through one helper: at LIBOPAE_LOG=2 each ioctl is
// traced by name with its result, and a failure is one error line naming it.
TEST_F(CoreTest, KernelCallsAreTracedByName)
{
	sc.load();
	testing::internal::CaptureStderr();
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR));
	std::string err = testing::internal::GetCapturedStderr();
	for (const char *line : {"ioctl VFIO_GET_API_VERSION = 0\n",
	                         "ioctl VFIO_CHECK_EXTENSION (Type1v2) = 1\n",
	                         "ioctl VFIO_GROUP_GET_STATUS (/dev/vfio/1) = 0\n",
	                         "ioctl VFIO_SET_IOMMU (Type1v2) = 0\n",
	                         "ioctl VFIO_DEVICE_GET_INFO = 0\n",
	                         "ioctl VFIO_DEVICE_GET_REGION_INFO (region 0) = 0\n"})
		EXPECT_NE(std::string::npos, err.find(std::string("opae-vfio: " EDU_ADDR ": ") + line))
		    << line << err;
	EXPECT_NE(std::string::npos, err.find("ioctl VFIO_GROUP_GET_DEVICE_FD = ")) << err;
	// an absent region (edu has no VGA) is an answer, not an error
	EXPECT_EQ(std::string::npos, err.find("VFIO_DEVICE_GET_REGION_INFO (region 8): Invalid"))
	    << err;
	EXPECT_NE(std::string::npos,
	          err.find("ioctl VFIO_DEVICE_GET_REGION_INFO (region 8) = -1 (Invalid argument)"))
	    << err;
	vfio_mock_fail("VFIO_IOMMU_MAP_DMA", 1, EFAULT);
	size_t sz = 4096;
	testing::internal::CaptureStderr();
	EXPECT_EQ(4, opae_vfio_buffer_allocate(&v, &sz, nullptr, nullptr));
	err = testing::internal::GetCapturedStderr();
	EXPECT_NE(std::string::npos, err.find("opae-vfio: " EDU_ADDR ": VFIO_IOMMU_MAP_DMA (iova "
	                                      "0x10000, 4 KiB): Bad address\n"))
	    << err;
}
