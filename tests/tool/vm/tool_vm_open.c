// SPDX-License-Identifier: BSD-3-Clause
/* tool_vm_open.c - opens a device that opaevfio bound, through the core API
 * (static, for the VM): BAR0 id, one DMA buffer, close. Run as the user the
 * tool gave /dev/vfio/N to. Exit 0 pass, 2 open failed, 1 a later step. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <opae/vfio.h>

#define EDU_ID 0x010000edu

int main(int argc, char **argv)
{
	struct opae_vfio v;
	uint8_t *bar0, *buf;
	size_t bar_size, size = 4096;
	uint64_t iova;
	uint32_t id;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: tool_vm_open ADDR\n");
		return 1;
	}
	if (opae_vfio_open(&v, argv[1])) {
		printf("tool_vm_open: %s: open: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (opae_vfio_region_get(&v, 0, &bar0, &bar_size) || bar_size < 4) {
		printf("tool_vm_open: %s: no BAR0\n", argv[1]);
		rc = 1;
	} else if ((id = *(volatile uint32_t *)bar0) != EDU_ID) {
		printf("tool_vm_open: %s: BAR0 id 0x%08x, want 0x%08x\n", argv[1], id, EDU_ID);
		rc = 1;
	} else if (opae_vfio_buffer_allocate(&v, &size, &buf, &iova)) {
		printf("tool_vm_open: %s: buffer allocation: %s\n", argv[1], strerror(errno));
		rc = 1;
	} else if (opae_vfio_buffer_free(&v, buf)) {
		printf("tool_vm_open: %s: buffer free failed\n", argv[1]);
		rc = 1;
	}
	opae_vfio_close(&v);
	if (!rc)
		printf("tool_vm_open: %s: open, BAR0 id 0x%08x, DMA buffer at IOVA 0x%llx, close: "
		       "PASS\n",
		       argv[1], EDU_ID, (unsigned long long)iova);
	return rc;
}
