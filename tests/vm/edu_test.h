/* SPDX-License-Identifier: BSD-3-Clause */
/* edu_test.h - what the tests/vm programs share: PASS/FAIL bookkeeping, QEMU
 * edu register access through a mapped BAR0, its DMA engine, eventfd waits. */
#ifndef EDU_TEST_H
#define EDU_TEST_H

#include <stddef.h>
#include <stdint.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/* BAR0 registers (QEMU docs/specs/edu.rst; docs/references.md §6). */
#define EDU_REG_ID         0x00
#define EDU_REG_LIVENESS   0x04
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE  0x60
#define EDU_REG_IRQ_ACK    0x64
#define EDU_REG_DMA_SRC    0x80
#define EDU_REG_DMA_DST    0x88
#define EDU_REG_DMA_CNT    0x90
#define EDU_REG_DMA_CMD    0x98

#define EDU_DMA_RUN    0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_WINDOW 0x40000      /* device-side address of edu's 4 KiB buffer */
#define EDU_DMA_LIMIT  (1ULL << 28) /* edu masks bus addresses to 28 bits */
#define EDU_BAR0_SIZE  0x100000
/* QEMU 7.2 aborts the whole VM on a transfer that ends exactly at the end of
 * the 4 KiB window, so no test moves more than this at once. */
#define EDU_DMA_MAX 0x800

#define EDU_WAIT_MS 5000 /* generous: the VM is software-emulated */

/* Results: one "PASS: ..." / "FAIL: ..." line per check. */
void __attribute__((format(printf, 2, 3))) check(int ok, const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...);
/* Print "<prog>: N passed, M failed"; returns the exit status (0 iff no FAIL). */
int summary(const char *prog);

/* The device to test: argv[1], else $VFIO_BDF, else the first 1234:11e8 in
 * /sys/bus/pci/devices. Returns 0, or -1 (nothing found). */
int edu_find(int argc, char **argv, char *bdf, size_t len);

/* MMIO on the BAR0 mapping set with edu_set_bar0(). */
void edu_set_bar0(uint8_t *bar0);
uint32_t edu_rd32(uint32_t off);
void edu_wr32(uint32_t off, uint32_t val);
/* Run one DMA (src/dst are IOVAs or EDU_DMA_WINDOW; cmd 0 = RAM->edu,
 * EDU_DMA_TO_RAM = edu->RAM) and poll until done; 0, or -1 on timeout. */
int edu_dma(uint64_t src, uint64_t dst, uint64_t len, uint64_t cmd);
/* Set bus mastering through the device's config region (vfio device fd and
 * the region's file offset): edu drops DMA, and MSI, without it. One check. */
void edu_enable_bus_master(int device_fd, uint64_t config_offset);
/* Acknowledge every pending interrupt; returns what was pending. */
uint32_t edu_ack(void);

/* The eventfd counter, or 0 if it did not fire within timeout_ms. */
uint64_t wait_eventfd(int efd, int timeout_ms);
double now_ms(void);
/* Open fds of this process (a leak check valid on both kernels), or -1. */
int count_fds(void);

#endif
