// SPDX-License-Identifier: MIT
/*
 * core_p2p.c - two devices open at once through the opae-vfio core API, and
 * peer-to-peer DMA: edu writes into (and reads from) ivshmem's BAR2, which was
 * DMA-mapped into edu's IOMMU domain with OPAE_VFIO_BUF_PREALLOCATED.
 *
 * VM only: run-in-vm.sh --ivshmem 1M adds an ivshmem-plain device (BAR2 =
 * shared memory backed by a host file) in its own IOMMU group, bound to
 * vfio-pci; $VFIO_BDF is edu and $IVSHMEM_BDF is ivshmem. Each struct
 * opae_vfio gets its own container, so this also checks that two handles in
 * one process do not share or disturb each other's state.
 *
 * Checks: both opens; BAR2 mapped and read/write through region_get's pointer;
 * buffer_allocate_ex(PREALLOCATED) of that MMIO memory on edu's handle (the
 * IOVA is usable by edu and buffer_info reports the flag); edu DMA RAM -> BAR2
 * and BAR2 -> RAM; freeing the preallocated buffer leaves the caller's (here:
 * the other handle's) mapping alone, and a DMA to the old IOVA no longer
 * reaches BAR2; both closes and no fd left.
 *
 * Output: "PASS: ..." / "FAIL: ..." per check, then
 * "core_p2p: N passed, M failed"; exit status 0 iff nothing failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opae/vfio.h>

#include "edu_test.h"

#define SHM_MAP  0x10000 /* bytes of BAR2 DMA-mapped for edu */
#define SHM_DST  0x1000  /* edu writes here (BAR2 offset) */
#define SHM_GONE 0x3000  /* target of the DMA after the unmap */
#define HELLO    "core-p2p-hello"

static int open_dev(struct opae_vfio *v, const char *bdf, const char *what)
{
	int rc;

	memset(v, 0, sizeof(*v));
	errno = 0;
	rc = opae_vfio_open(v, bdf);
	check(rc == 0, "opae_vfio_open(%s = %s)%s%s", what, bdf, rc ? ": " : "",
	      rc ? strerror(errno) : "");
	return rc;
}

/* edu DMA RAM -> BAR2 and BAR2 -> RAM through the preallocated mapping. */
static void p2p_dma(uint8_t *shm, uint64_t shm_iova, uint8_t *ram, uint64_t ram_iova)
{
	int ok;

	for (int i = 0; i < EDU_DMA_MAX; i++)
		ram[i] = (uint8_t)(i * 5 + 1);
	memset(shm + SHM_DST, 0, EDU_DMA_MAX);
	ok = edu_dma(ram_iova, EDU_DMA_WINDOW, EDU_DMA_MAX, 0) == 0 &&
	     edu_dma(EDU_DMA_WINDOW, shm_iova + SHM_DST, EDU_DMA_MAX, EDU_DMA_TO_RAM) == 0;
	check(ok && memcmp(shm + SHM_DST, ram, EDU_DMA_MAX) == 0,
	      "edu DMA RAM -> ivshmem BAR2+0x%x (peer-to-peer) arrived", SHM_DST);

	/* and back: edu reads the peer's BAR into the RAM buffer's second half */
	for (int i = 0; i < EDU_DMA_MAX; i++)
		shm[SHM_DST + i] = (uint8_t)(i * 3 + 7);
	memset(ram + EDU_DMA_MAX, 0, EDU_DMA_MAX);
	ok = edu_dma(shm_iova + SHM_DST, EDU_DMA_WINDOW, EDU_DMA_MAX, 0) == 0 &&
	     edu_dma(EDU_DMA_WINDOW, ram_iova + EDU_DMA_MAX, EDU_DMA_MAX, EDU_DMA_TO_RAM) == 0;
	check(ok && memcmp(shm + SHM_DST, ram + EDU_DMA_MAX, EDU_DMA_MAX) == 0,
	      "edu DMA ivshmem BAR2 -> RAM arrived");
}

int main(int argc, char **argv)
{
	struct opae_vfio edu, ivs;
	const char *ivs_bdf = getenv("IVSHMEM_BDF");
	char edu_bdf[64] = "";
	uint8_t *bar0 = NULL, *shm = NULL, *ram = NULL, *pre;
	uint64_t ram_iova = 0, shm_iova = 0;
	size_t shm_size = 0, ram_size = 4096, pre_size = SHM_MAP;
	struct opae_vfio_buffer *bi;
	int fds_before, rc, ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (edu_find(argc, argv, edu_bdf, sizeof(edu_bdf)) || !ivs_bdf || !*ivs_bdf) {
		check(0, "need edu ($VFIO_BDF) and ivshmem ($IVSHMEM_BDF, run-in-vm.sh --ivshmem)");
		return summary("core_p2p");
	}
	fds_before = count_fds();
	if (open_dev(&edu, edu_bdf, "edu"))
		return summary("core_p2p");
	if (open_dev(&ivs, ivs_bdf, "ivshmem")) {
		opae_vfio_close(&edu);
		return summary("core_p2p");
	}
	check(edu.cont_fd != ivs.cont_fd && edu.group.group_fd != ivs.group.group_fd,
	      "two handles, two containers and groups (container fds %d, %d)", edu.cont_fd,
	      ivs.cont_fd);

	if (opae_vfio_region_get(&edu, 0, &bar0, NULL) || !bar0 ||
	    opae_vfio_region_get(&ivs, 2, &shm, &shm_size) || !shm) {
		check(0, "opae_vfio_region_get: edu BAR0 %p, ivshmem BAR2 %p", (void *)bar0,
		      (void *)shm);
		goto out;
	}
	check(shm_size >= SHM_MAP, "ivshmem BAR2 mapped: %p, 0x%zx bytes", (void *)shm, shm_size);
	edu_set_bar0(bar0);
	edu_enable_bus_master(edu.device.device_fd, edu.device.device_config_offset);
	memcpy(shm, HELLO, sizeof(HELLO));
	check(memcmp(shm, HELLO, sizeof(HELLO)) == 0, "BAR2 reads back what was written");

	if (opae_vfio_buffer_allocate(&edu, &ram_size, &ram, &ram_iova)) {
		check(0, "opae_vfio_buffer_allocate(edu, 4 KiB): %s", strerror(errno));
		goto out;
	}
	pre = shm;
	errno = 0;
	rc = opae_vfio_buffer_allocate_ex(&edu, &pre_size, &pre, &shm_iova,
	                                  OPAE_VFIO_BUF_PREALLOCATED);
	check(
	    rc == 0 && pre == shm && pre_size == SHM_MAP && shm_iova &&
	        shm_iova + SHM_MAP <= EDU_DMA_LIMIT,
	    "PREALLOCATED DMA mapping of ivshmem BAR2 on edu's handle: rc %d (%s), iova 0x%" PRIx64,
	    rc, rc ? strerror(errno) : "ok", shm_iova);
	if (rc)
		goto out;
	bi = opae_vfio_buffer_info(&edu, shm);
	check(bi && bi->buffer_iova == shm_iova && (bi->flags & OPAE_VFIO_BUF_PREALLOCATED),
	      "opae_vfio_buffer_info finds it, flag PREALLOCATED");

	/* The same memory twice would be two table entries with one key. */
	{
		uint8_t *again = shm;
		size_t again_size = SHM_MAP;
		uint64_t again_iova = 0;

		errno = 0;
		rc = opae_vfio_buffer_allocate_ex(&edu, &again_size, &again, &again_iova,
		                                  OPAE_VFIO_BUF_PREALLOCATED);
		check(rc != 0 && errno == EEXIST && opae_vfio_buffer_info(&edu, shm) == bi,
		      "mapping the same PREALLOCATED memory again fails with EEXIST (rc %d, %s)",
		      rc, strerror(errno));
	}

	p2p_dma(shm, shm_iova, ram, ram_iova);

	/* Free: unmapped from edu's IOMMU, but the memory is the other handle's
	 * BAR mapping and must stay usable. */
	check(opae_vfio_buffer_free(&edu, shm) == 0 && memcmp(shm, HELLO, sizeof(HELLO)) == 0,
	      "freeing the PREALLOCATED buffer leaves ivshmem's BAR2 mapped and intact");
	memset(shm + SHM_GONE, 0xee, EDU_DMA_MAX);
	info("expect a DMAR fault for iova 0x%" PRIx64 " next", shm_iova + SHM_GONE);
	edu_dma(EDU_DMA_WINDOW, shm_iova + SHM_GONE, EDU_DMA_MAX, EDU_DMA_TO_RAM);
	ok = 1;
	for (int i = 0; i < EDU_DMA_MAX; i++)
		ok &= shm[SHM_GONE + i] == 0xee;
	check(ok, "after the free a DMA to the old IOVA does not reach BAR2 (IOMMU enforced)");
	check(opae_vfio_buffer_free(&edu, ram) == 0, "opae_vfio_buffer_free(RAM buffer)");

out:
	opae_vfio_close(&edu);
	/* ivshmem is still fine after edu's handle went away */
	if (shm)
		check(memcmp(shm, HELLO, sizeof(HELLO)) == 0,
		      "ivshmem BAR2 intact after closing edu");
	opae_vfio_close(&ivs);
	check(count_fds() == fds_before, "no fd left open (%d before, %d after)", fds_before,
	      count_fds());
	return summary("core_p2p");
}
