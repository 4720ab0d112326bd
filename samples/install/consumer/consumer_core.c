// SPDX-License-Identifier: BSD-3-Clause
/* consumer_core.c - a program built against an installed opae-vfio core
 * (find_package or pkg-config): opens QEMU's edu device, checks its identity
 * register and round-trips a DMA buffer allocation. Exit 0 on success. */
#include <stdint.h>
#include <stdio.h>

#include <opae/vfio.h>

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "0000:00:03.0";
	struct opae_vfio v;
	uint8_t *bar0 = NULL, *buf = NULL;
	size_t bar_size = 0, size = 4096;
	uint64_t iova = 0;
	int ok;

	if (opae_vfio_open(&v, addr)) {
		perror("consumer_core: opae_vfio_open");
		return 1;
	}
	ok = !opae_vfio_region_get(&v, 0, &bar0, &bar_size) &&
	     (*(volatile uint32_t *)bar0 & 0xffffu) == 0x00ed &&
	     !opae_vfio_buffer_allocate(&v, &size, &buf, &iova) && iova != 0;
	if (buf)
		opae_vfio_buffer_free(&v, buf);
	opae_vfio_close(&v);
	printf("consumer_core: %s: %s\n", addr, ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
