// SPDX-License-Identifier: BSD-3-Clause
/* vfio_h_only.c - a program written for OPAE's <opae/vfio.h>: it includes
 * nothing else, yet uses printf, pthread_mutex_t and the linux/vfio.h names
 * (as OPAE's own opaevfiotest.c does), and calls all 16 functions, so it must
 * compile with that one include and link against libopaevfio.a alone. Run,
 * it checks the failures that need no device: each call refuses a closed
 * handle or a malformed address with a non-zero code. */
#include <opae/vfio.h>

static int failures;

static void expect_fail(int rc, const char *call)
{
	printf("%s: %s (rc %d)\n", rc ? "PASS" : "FAIL", call, rc);
	failures += !rc;
}

int main(void)
{
	static struct opae_vfio v; /* zeroed: a closed handle */
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint8_t page[64], *p = page;
	size_t size = 4096;
	uint64_t iova = 0;

	pthread_mutex_lock(&lock);
	expect_fail(opae_vfio_open(&v, "not-an-address"), "opae_vfio_open");
	expect_fail(opae_vfio_secure_open(&v, "not-an-address", NULL), "opae_vfio_secure_open");
	expect_fail(opae_vfio_dev_busy("not-an-address"), "opae_vfio_dev_busy");
	expect_fail(opae_vfio_apply_group_constraint(&v, &v), "opae_vfio_apply_group_constraint");
	expect_fail(opae_vfio_region_get(&v, 0, &p, &size), "opae_vfio_region_get");
	expect_fail(opae_vfio_buffer_allocate(&v, &size, &p, &iova), "opae_vfio_buffer_allocate");
	expect_fail(opae_vfio_buffer_allocate_ex(&v, &size, &p, &iova, OPAE_VFIO_BUF_PREALLOCATED),
	            "opae_vfio_buffer_allocate_ex");
	expect_fail(opae_vfio_buffer_info(&v, page) != NULL ? 0 : 1, "opae_vfio_buffer_info");
	expect_fail(opae_vfio_buffer_free(&v, page), "opae_vfio_buffer_free");
	expect_fail(opae_vfio_buffer_map(&v, 4096, page, 0x100000), "opae_vfio_buffer_map");
	expect_fail(opae_vfio_buffer_unmap(&v, 4096, 0x100000), "opae_vfio_buffer_unmap");
	expect_fail(opae_vfio_irq_enable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0), "opae_vfio_irq_enable");
	expect_fail(opae_vfio_irq_disable(&v, VFIO_PCI_MSIX_IRQ_INDEX, 0), "opae_vfio_irq_disable");
	expect_fail(opae_vfio_irq_mask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0), "opae_vfio_irq_mask");
	expect_fail(opae_vfio_irq_unmask(&v, VFIO_PCI_INTX_IRQ_INDEX, 0), "opae_vfio_irq_unmask");
	opae_vfio_close(&v);
	pthread_mutex_unlock(&lock);
	printf("vfio_h_only: %d failed\n", failures);
	return failures != 0;
}
