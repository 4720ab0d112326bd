// SPDX-License-Identifier: BSD-3-Clause
// fork() under a loaded scenario: the child can use the mock at once (the
// world lock of the parent's thread does not follow it), also while other
// threads of the parent are inside the mock. Programs that fork under
// LD_PRELOAD (timeout, system, posix_spawn) are checked by mock_fork_* ctests.
#include <atomic>
#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <thread>

#include "mock_test_util.h"

namespace
{

// Wait at most `limit_s` for pid; a hung child is killed and reported as -1.
int wait_limited(pid_t pid, int limit_s = 20)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int status = 0;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r < 0 || now.tv_sec - t0.tv_sec > limit_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
}

// The child's use of the mock: ioctls on inherited fds and new opens.
int child_body(int dev)
{
	struct vfio_device_info di = {};
	di.argsz = sizeof(di);
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &di) || di.num_regions != VFIO_PCI_NUM_REGIONS)
		return 1;
	int c = open("/dev/vfio/vfio", O_RDWR);
	if (c < 0 || ioctl(c, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return 2;
	close(c);
	struct vfio_mock_leaks l;
	vfio_mock_leaks(&l); // takes the world lock
	return 0;
}

class MockFork : public MockTest
{
};

} // namespace

TEST_F(MockFork, ChildUsesTheMockAfterFork)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	fflush(nullptr);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(child_body(dev));
	int status = wait_limited(pid);
	ASSERT_NE(-1, status) << "the child hung";
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	// the parent is unaffected
	EXPECT_EQ(0, child_body(dev));
}

TEST_F(MockFork, ForkWhileAnotherThreadIsInsideTheMock)
{
	int c, g;
	setup_iommu(1, &c, &g);
	int dev = device(g, EDU_ADDR);
	ASSERT_GE(dev, 0);
	std::atomic<bool> stop{false};
	std::thread busy([&] {
		while (!stop) {
			struct vfio_device_info di = {};
			di.argsz = sizeof(di);
			ioctl(dev, VFIO_DEVICE_GET_INFO, &di);
		}
	});
	int bad = 0;
	for (int i = 0; i < 20; i++) {
		fflush(nullptr);
		pid_t pid = fork();
		if (pid == 0)
			_exit(child_body(dev));
		int status = pid > 0 ? wait_limited(pid) : -1;
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	stop = true;
	busy.join();
	EXPECT_EQ(0, bad);
}
