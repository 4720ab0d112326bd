// SPDX-License-Identifier: MIT
/* edu_test.c - helpers shared by the tests/vm programs (see edu_test.h). */
#define _GNU_SOURCE
#include "edu_test.h"

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

static int n_pass, n_fail;
static volatile uint8_t *bar0;

void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

void info(const char *fmt, ...)
{
	va_list ap;

	printf("  info: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int summary(const char *prog)
{
	printf("%s: %d passed, %d failed\n", prog, n_pass, n_fail);
	fflush(stdout);
	return n_fail ? 1 : 0;
}

static unsigned read_hex_file(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return (unsigned)strtoul(buf, NULL, 16);
}

static int scan_sysfs(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char dir[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", e->d_name);
		if (read_hex_file(dir, "vendor") == EDU_VENDOR &&
		    read_hex_file(dir, "device") == EDU_DEVICE) {
			snprintf(bdf, len, "%s", e->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int edu_find(int argc, char **argv, char *bdf, size_t len)
{
	const char *env = getenv("VFIO_BDF");

	if (argc > 1)
		snprintf(bdf, len, "%s", argv[1]);
	else if (env && *env)
		snprintf(bdf, len, "%s", env);
	else if (!scan_sysfs(bdf, len))
		return -1;
	return 0;
}

void edu_set_bar0(uint8_t *ptr)
{
	bar0 = ptr;
}

uint32_t edu_rd32(uint32_t off)
{
	return *(volatile uint32_t *)(bar0 + off);
}

void edu_wr32(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(bar0 + off) = val;
}

static uint64_t rd64(uint32_t off)
{
	return *(volatile uint64_t *)(bar0 + off);
}

static void wr64(uint32_t off, uint64_t val)
{
	*(volatile uint64_t *)(bar0 + off) = val;
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int edu_dma(uint64_t src, uint64_t dst, uint64_t len, uint64_t cmd)
{
	double end = now_ms() + EDU_WAIT_MS;

	if (len > EDU_DMA_MAX)
		return -1; /* would abort QEMU 7.2: refuse rather than kill the VM */
	wr64(EDU_REG_DMA_SRC, src);
	wr64(EDU_REG_DMA_DST, dst);
	wr64(EDU_REG_DMA_CNT, len);
	wr64(EDU_REG_DMA_CMD, cmd | EDU_DMA_RUN);
	while (rd64(EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (now_ms() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

uint32_t edu_ack(void)
{
	uint32_t st = edu_rd32(EDU_REG_IRQ_STATUS);

	edu_wr32(EDU_REG_IRQ_ACK, st);
	return st;
}

uint64_t wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};
	uint64_t cnt = 0;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	return cnt;
}

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

void edu_enable_bus_master(int device_fd, uint64_t config_offset)
{
	off_t cfg = (off_t)config_offset;
	uint16_t cmd = 0;
	int ok;

	ok = pread(device_fd, &cmd, 2, cfg + PCI_COMMAND) == 2;
	if (ok)
		info("PCI command after open: 0x%04x", cmd);
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	ok = ok && pwrite(device_fd, &cmd, 2, cfg + PCI_COMMAND) == 2;
	cmd = 0;
	ok = ok && pread(device_fd, &cmd, 2, cfg + PCI_COMMAND) == 2;
	check(ok && (cmd & PCI_COMMAND_MASTER),
	      "bus master on via the config region at 0x%" PRIx64 " (cmd 0x%04x)", config_offset,
	      cmd);
}
