/* SPDX-License-Identifier: BSD-3-Clause */
/* models/nvme.h - state of the "nvme" model (QEMU 7.2's emulated NVMe
 * controller, 1b36:0010) shared by nvme.c (registers, doorbells, queues,
 * interrupts) and nvme_cmd.c (admin and NVM commands, PRPs, Identify).
 */
#ifndef MOCK_NVME_H
#define MOCK_NVME_H

#include <stdint.h>

#include "../mock_model.h"

#define NVME_MAX_IOQP 64u /* QEMU's max_ioqpairs default */
#define NVME_NQ       (NVME_MAX_IOQP + 1)
#define NVME_MSIX     (NVME_MAX_IOQP + 1) /* QEMU's msix_qsize default: 65 */
#define NVME_LBA_SIZE 512u
#define NVME_MDTS     7u                    /* max transfer = 2^7 pages */
#define NVME_NN       256u                  /* Identify: namespaces the controller can have */
#define NVME_CAP      0x004018200f0107ffULL /* what QEMU 7.2 reports (vm/README.md) */
#define NVME_VS       0x00010400u           /* NVMe 1.4 */

/* Status codes (Status Field without the phase bit; SCT in bits 10:8). */
#define NVME_SUCCESS            0x0000
#define NVME_INVALID_OPCODE     0x0001
#define NVME_INVALID_FIELD      0x0002
#define NVME_DATA_TRAS_ERROR    0x0004
#define NVME_INVALID_NSID       0x000b
#define NVME_INVALID_PRP_OFFSET 0x0013
#define NVME_LBA_RANGE          0x0080
#define NVME_INVALID_CQID       0x0100
#define NVME_INVALID_QID        0x0101
#define NVME_MAX_QSIZE_EXCEEDED 0x0102
#define NVME_INVALID_IRQ_VECTOR 0x0108
#define NVME_INVALID_QUEUE_DEL  0x010c
#define NVME_DNR                0x4000

struct nvme_sqe {
	uint8_t opcode, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid;
	uint16_t status; /* bit 0 phase tag, 15:1 status field */
};

struct nvme_sq {
	int live;
	uint64_t dma; /* IOVA of entry 0 (physically contiguous queue) */
	uint32_t size, head, tail;
	uint16_t cqid;
	int scheduled; /* a processing step is queued on the worker */
};

struct nvme_cq {
	int live;
	uint64_t dma;
	uint32_t size, head, tail;
	uint16_t vector;
	int irq_enabled;
	uint16_t phase; /* phase tag of the next entry posted */
};

struct nvme {
	struct mock_dev *dev;
	/* controller registers (BAR0 0x00..0x37) */
	uint32_t intms, cc, csts, aqa;
	uint64_t asq, acq;
	uint32_t irq_status;          /* pin-based: one bit per CQ vector (QEMU's irq_status) */
	unsigned gen;                 /* bumped by every controller reset: stale work is ignored */
	unsigned vec_used[NVME_MSIX]; /* QEMU's msix_vector_use counts */
	struct nvme_sq sq[NVME_NQ];
	struct nvme_cq cq[NVME_NQ];
	uint8_t *store; /* namespace 1, NVME_LBA_SIZE-byte blocks */
	uint64_t blocks;
	char serial[21];
	uint64_t commands, cfs; /* diagnostics */
};

static inline uint64_t nvme_page_size(const struct nvme *n)
{
	return 4096ULL << ((n->cc >> 7) & 0xf);
}

/* nvme_cmd.c: execute one command of queue `qid`; *dw0 is the CQE's DW0. */
uint16_t nvme_admin(struct nvme *n, const struct nvme_sqe *c, uint32_t *dw0);
uint16_t nvme_io(struct nvme *n, const struct nvme_sqe *c);

/* nvme.c: queue life cycle, used by the admin commands. */
void nvme_cq_free(struct nvme *n, unsigned qid);
void nvme_cq_init(struct nvme *n, unsigned qid, uint64_t dma, uint32_t size, uint16_t vector,
                  int irq_enabled);
void nvme_sq_init(struct nvme *n, unsigned qid, uint64_t dma, uint32_t size, uint16_t cqid);

#endif /* MOCK_NVME_H */
