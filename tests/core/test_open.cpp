// test_open.cpp - opae_vfio_open / secure_open / close / region_get on the mock kernel.
#include <fcntl.h>

#include "core_test_util.h"

TEST_F(CoreTest, OpenFillsDeviceAndClosesCleanly)
{
	open_default();
	EXPECT_GE(v.cont_fd, 0);
	EXPECT_GE(v.group.group_fd, 0);
	EXPECT_GE(v.device.device_fd, 0);
	EXPECT_STREQ("/dev/vfio/vfio", v.cont_device);
	EXPECT_STREQ(EDU_ADDR, v.cont_pciaddr);
	EXPECT_STREQ("/dev/vfio/1", v.group.group_device);
	EXPECT_GE(v.device.device_num_regions, 9u);
	EXPECT_EQ(5u, v.device.device_num_irqs);
	// all fds close-on-exec
	EXPECT_TRUE(fcntl(v.cont_fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(v.group.group_fd, F_GETFD) & FD_CLOEXEC);
	// only BAR0 is mmap-able on edu
	ASSERT_NE(nullptr, v.device.regions);
	EXPECT_EQ(0u, v.device.regions->region_index);
	EXPECT_EQ(0x100000u, v.device.regions->region_size);
	EXPECT_EQ(nullptr, v.device.regions->next);
	// IRQ info recorded with event_fds -1
	int n = 0;
	for (auto *q = v.device.irqs; q; q = q->next, n++) {
		for (uint32_t k = 0; k < q->count; k++)
			EXPECT_EQ(-1, q->event_fds[k]);
		if (q->index == VFIO_PCI_MSI_IRQ_INDEX) {
			EXPECT_EQ(1u, q->count);
		}
	}
	// edu is not PCIe: vfio-pci refuses the ERR index (EINVAL), which is skipped
	EXPECT_EQ(4, n);
	// memory + bus master enabled
	struct vfio_mock_device_state st;
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0x6, st.command & 0x6);
	EXPECT_EQ(1, st.open_count);
	// kernel ranges recorded
	ASSERT_NE(nullptr, v.cont_ranges);
	EXPECT_EQ(0u, v.cont_ranges->start);
	EXPECT_EQ(0xfedfffffu, v.cont_ranges->end);
	ASSERT_NE(nullptr, v.cont_ranges->next);
	EXPECT_EQ(0xfef00000u, v.cont_ranges->next->start);

	opae_vfio_close(&v);
	EXPECT_EQ(-1, v.cont_fd);
	EXPECT_EQ(-1, v.device.device_fd);
	EXPECT_EQ(nullptr, v.device.regions);
	EXPECT_NO_LEAKS();
	ASSERT_EQ(0, vfio_mock_device_state(EDU_ADDR, &st));
	EXPECT_EQ(0, st.open_count);
}

TEST_F(CoreTest, CloseIsSafeOnZeroedFailedAndClosed)
{
	opae_vfio_close(&v); // zeroed
	opae_vfio_close(nullptr);
	sc.load();
	EXPECT_NE(0, opae_vfio_open(&v, "0000:00:09.0"));
	opae_vfio_close(&v); // failed
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR));
	opae_vfio_close(&v);
	opae_vfio_close(&v); // twice
	EXPECT_NO_LEAKS();
	// and the struct is reusable
	ASSERT_EQ(0, opae_vfio_open(&v, EDU_ADDR)) << strerror(errno);
}

TEST_F(CoreTest, RejectsMalformedAddresses)
{
	sc.load();
	const char *bad[] = {"",
	                     "0000:00:03",
	                     "0000:00:03.8",
	                     "0000:00:20.0",
	                     "00:03.0",
	                     "0000-00-03.0",
	                     "0000:00:03.0 ",
	                     "0000:0g:03.0",
	                     "0000:00:03.0/../x",
	                     "0000:00:03.0 vf_token=x",
	                     "0000:00:03.00"};
	for (const char *a : bad) {
		errno = 0;
		EXPECT_EQ(1, opae_vfio_open(&v, a)) << a;
		EXPECT_EQ(EINVAL, errno) << a;
		EXPECT_EQ(-1, v.cont_fd);
		opae_vfio_close(&v);
	}
	EXPECT_EQ(1, opae_vfio_open(&v, nullptr));
	EXPECT_EQ(1, opae_vfio_open(nullptr, EDU_ADDR));
	EXPECT_EQ(0u, vfio_mock_calls("open")) << "nothing may be opened for a bad address";
}

TEST_F(CoreTest, MissingDeviceIsNoDev)
{
	sc.load();
	errno = 0;
	EXPECT_EQ(3, opae_vfio_open(&v, "0000:00:04.0"));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(CoreTest, DeviceNotBoundToVfioPci)
{
	sc.driver = "ioatdma";
	sc.load();
	errno = 0;
	EXPECT_EQ(3, opae_vfio_open(&v, EDU_ADDR));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0u, vfio_mock_calls("open"));
}

TEST_F(CoreTest, GroupNotViableIsReported)
{
	// a second device of group 1 bound to a host driver makes the group unviable
	sc.extra_devices = ",{\"address\":\"0000:00:04.0\",\"model\":\"none\",\"group\":1,"
	                   "\"driver\":\"e1000e\"}";
	sc.load();
	errno = 0;
	EXPECT_EQ(4, opae_vfio_open(&v, EDU_ADDR));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, v.cont_fd);
	EXPECT_NO_LEAKS();
}

TEST_F(CoreTest, SecondOpenOfTheSameGroupIsBusy)
{
	open_default();
	struct opae_vfio v2;
	memset(&v2, 0, sizeof(v2));
	errno = 0;
	EXPECT_EQ(2, opae_vfio_open(&v2, EDU_ADDR));
	EXPECT_EQ(EBUSY, errno);
	opae_vfio_close(&v2);
}

TEST_F(CoreTest, Type1FallbackWithoutV2)
{
	sc.type1v2 = false;
	open_default();
	size_t sz = 4096;
	uint8_t *p = nullptr;
	EXPECT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, nullptr));
}

TEST_F(CoreTest, DefaultIovaWindowWithoutRangeCap)
{
	sc.iova_caps = false;
	open_default();
	ASSERT_NE(nullptr, v.cont_ranges);
	EXPECT_EQ(0u, v.cont_ranges->start);
	EXPECT_EQ(0xfedfffffu, v.cont_ranges->end);
	size_t sz = 4096;
	uint64_t iova = 0;
	uint8_t *p = nullptr;
	ASSERT_EQ(0, opae_vfio_buffer_allocate(&v, &sz, &p, &iova));
	EXPECT_EQ(0x10000u, iova);
}

TEST_F(CoreTest, FailedOpenPreservesErrnoAndLeavesNothing)
{
	sc.load();
	vfio_mock_fail("VFIO_SET_IOMMU", 1, ENOMEM);
	errno = 0;
	EXPECT_NE(0, opae_vfio_open(&v, EDU_ADDR));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(-1, v.cont_fd);
	EXPECT_EQ(-1, v.group.group_fd);
	EXPECT_EQ(nullptr, v.cont_pciaddr);
	EXPECT_NO_LEAKS();
}

TEST_F(CoreTest, GroupOpenFailureReturnsTwo)
{
	sc.load();
	// first "open" is the container, second the group
	vfio_mock_fail("open", 2, EACCES);
	errno = 0;
	EXPECT_EQ(2, opae_vfio_open(&v, EDU_ADDR));
	EXPECT_EQ(EACCES, errno);
	EXPECT_NO_LEAKS();
}

TEST_F(CoreTest, SecureOpenValidatesToken)
{
	sc.load();
	const char *bad[] = {"",
	                     "not-a-uuid",
	                     "x0b4a4f1-6c1e-4f9e-9a44-3f2a7c1b2d10",
	                     "00b4a4f1-6c1e-4f9e-9a44-3f2a7c1b2d10 ",
	                     " 00b4a4f1-6c1e-4f9e-9a44-3f2a7c1b2d10",
	                     "00b4a4f1-6c1e-4f9e-9a44-3f2a7c1b2d10x",
	                     "00b4a4f16c1e-4f9e-9a44-3f2a7c1b2d10-"};
	for (const char *t : bad) {
		errno = 0;
		EXPECT_EQ(1, opae_vfio_secure_open(&v, EDU_ADDR, t)) << t;
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(1, opae_vfio_secure_open(&v, EDU_ADDR, nullptr));
	EXPECT_EQ(0u, vfio_mock_calls("open"));
}

// Every failed open leaves *v closed, whatever it held before: a stack struct
// full of garbage can be closed afterwards.
TEST_F(CoreTest, EveryFailedOpenLeavesTheStructClosed)
{
	sc.load();
	auto garbage = [this] { memset(&v, 0xa5, sizeof(v)); };
	auto closed = [this](const char *what) {
		SCOPED_TRACE(what);
		EXPECT_EQ(-1, v.cont_fd);
		EXPECT_EQ(-1, v.group.group_fd);
		EXPECT_EQ(-1, v.device.device_fd);
		EXPECT_EQ(nullptr, v.cont_pciaddr);
		EXPECT_EQ(nullptr, v.cont_device);
		EXPECT_EQ(nullptr, v.device.regions);
		EXPECT_EQ(nullptr, v.iova_alloc.priv);
		opae_vfio_close(&v); // must not touch the garbage
	};
	garbage();
	EXPECT_EQ(1, opae_vfio_secure_open(&v, EDU_ADDR, nullptr));
	closed("secure_open without token");
	garbage();
	EXPECT_EQ(1, opae_vfio_secure_open(&v, nullptr, nullptr));
	closed("secure_open without address and token");
	garbage();
	EXPECT_EQ(1, opae_vfio_secure_open(&v, EDU_ADDR, "nope"));
	closed("secure_open with a bad token");
	garbage();
	EXPECT_EQ(1, opae_vfio_open(&v, "nope"));
	closed("open with a bad address");
	garbage();
	EXPECT_EQ(3, opae_vfio_open(&v, "0000:00:09.0"));
	closed("open of a missing device");
	garbage();
	vfio_mock_fail("VFIO_DEVICE_GET_INFO", 1, EIO);
	EXPECT_NE(0, opae_vfio_open(&v, EDU_ADDR));
	closed("open failing late");
	EXPECT_NO_LEAKS();
}

TEST_F(CoreTest, RegionGet)
{
	open_default();
	uint8_t *p = nullptr;
	size_t sz = 0;
	EXPECT_EQ(0, opae_vfio_region_get(&v, 0, &p, &sz));
	EXPECT_EQ(v.device.regions->region_ptr, p);
	EXPECT_EQ(0x100000u, sz);
	EXPECT_EQ(0, opae_vfio_region_get(&v, 0, nullptr, nullptr));
	// edu's id register through the mapping
	EXPECT_EQ(0xedu, rd32(p, 0) & 0xff);

	uint8_t *q = (uint8_t *)0x1234;
	size_t qs = 77;
	EXPECT_NE(0, opae_vfio_region_get(&v, 1, &q, &qs)); // absent BAR
	EXPECT_NE(0,
	          opae_vfio_region_get(&v, VFIO_PCI_CONFIG_REGION_INDEX, &q, &qs)); // not mmap-able
	EXPECT_NE(0, opae_vfio_region_get(&v, 1000, &q, &qs));
	EXPECT_EQ((uint8_t *)0x1234, q);
	EXPECT_EQ(77u, qs);
	EXPECT_NE(0, opae_vfio_region_get(nullptr, 0, &q, &qs));
	struct opae_vfio z;
	memset(&z, 0, sizeof(z));
	EXPECT_NE(0, opae_vfio_region_get(&z, 0, &q, &qs));
}

TEST_F(CoreTest, SparseRegionMapsOnlyItsAreas)
{
	sc.model = "none";
	sc.bar0 = "{\"index\":0,\"size\":\"0x100000\",\"mmap\":true,"
	          "\"sparse\":[[\"0x0\",\"0x1000\"],[\"0x2000\",\"0x0\"],[\"0x8000\",\"0x2000\"]]}";
	sc.extra_bars = ",{\"index\":2,\"size\":\"0x4000\",\"mmap\":false}";
	open_default();
	auto *r = v.device.regions;
	ASSERT_NE(nullptr, r);
	EXPECT_EQ(0u, r->region_index);
	ASSERT_NE(nullptr, r->region_sparse);
	auto *a = r->region_sparse;
	EXPECT_EQ(0u, a->index);
	EXPECT_EQ(0u, a->offset);
	EXPECT_EQ(0x1000u, a->size);
	EXPECT_EQ(r->region_ptr, a->ptr);
	ASSERT_NE(nullptr, a->next); // the zero-size area is skipped
	EXPECT_EQ(1u, a->next->index);
	EXPECT_EQ(0x8000u, a->next->offset);
	EXPECT_EQ(0x2000u, a->next->size);
	EXPECT_EQ(r->region_ptr + 0x8000, a->next->ptr);
	EXPECT_EQ(nullptr, a->next->next);
	EXPECT_EQ(nullptr, r->next) << "the non-mmap BAR must not be listed";
	EXPECT_NE(0, opae_vfio_region_get(&v, 2, nullptr, nullptr));
	struct vfio_mock_leaks l = leaks_now();
	EXPECT_EQ(2u, l.bar_maps);
}

TEST_F(CoreTest, SecureOpenPresentsTheVfToken)
{
	const char *scen = R"({"devices":[
	  {"address":"0000:3b:00.0","model":"none","group":10,"sriov_totalvfs":4,"sriov_numvfs":1,
	   "bars":[{"index":0,"size":"0x1000","mmap":true}]},
	  {"address":"0000:3b:00.1","model":"none","group":11,"physfn":"0000:3b:00.0",
	   "bars":[{"index":0,"size":"0x1000","mmap":true}]},
	  {"address":"0000:00:03.0","model":"edu","group":1}]})";
	ASSERT_EQ(0, vfio_mock_load_scenario(scen));
	const char *tok = "5b3b1a2e-4c1d-4e5f-8a9b-0c1d2e3f4a5b";
	const char *other = "00000000-1111-2222-3333-444444444444";
	struct opae_vfio pf, vf;
	memset(&pf, 0, sizeof(pf));
	memset(&vf, 0, sizeof(vf));
	ASSERT_EQ(0, opae_vfio_secure_open(&pf, "0000:3b:00.0", tok)) << strerror(errno);
	errno = 0;
	EXPECT_EQ(6, opae_vfio_open(&vf, "0000:3b:00.1")) << "a VF needs the PF's token";
	EXPECT_EQ(EACCES, errno);
	errno = 0;
	EXPECT_EQ(6, opae_vfio_secure_open(&vf, "0000:3b:00.1", other))
	    << "wrong token is not 'busy'";
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, opae_vfio_secure_open(&vf, "0000:3b:00.1", tok)) << strerror(errno);
	opae_vfio_close(&vf);
	opae_vfio_close(&pf);
	// a token where none is expected is refused by the kernel
	errno = 0;
	EXPECT_EQ(6, opae_vfio_secure_open(&v, EDU_ADDR, tok));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NO_LEAKS();
}
