/* SPDX-License-Identifier: BSD-3-Clause */
/* nvme_regs.h - the NVMe facts the VM programs driving QEMU's NVMe controller
 * share (core_nvme.c through the core API, plugin_nvme.c through the OPAE
 * API): controller registers, the submission/completion queue entries, and a
 * command builder. NVMe 1.4 layouts. Kept apart from the mock's model
 * (tests/mock/models/nvme.h) on purpose: the driver's view and the device's
 * are written independently, so one layout mistake cannot hide in both. */
#ifndef NVME_REGS_H
#define NVME_REGS_H

#include <stdint.h>

#define NVME_CLASS 0x010802 /* PCI class: mass storage, NVM, NVMe */
#define REG_CAP    0x00
#define REG_VS     0x08
#define REG_CC     0x14
#define REG_CSTS   0x1c
#define REG_AQA    0x24
#define REG_ASQ    0x28
#define REG_ACQ    0x30
#define REG_DBS    0x1000 /* SQ y tail at + 8y, CQ y head at + 8y + 4 (CAP.DSTRD 0) */
#define CC_ENABLE  0x00460001u /* IOCQES 4, IOSQES 6, NVM, 4 KiB pages, EN */
#define CSTS_RDY   1u
#define CSTS_CFS   2u

#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY  0x06
#define NVME_CMD_WRITE       0x01
#define NVME_CMD_READ        0x02

/* A submission queue entry (64 bytes). */
struct sqe {
	uint8_t opcode, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/* A completion queue entry (16 bytes); status bit 0 is the phase tag. */
struct cqe {
	uint32_t dw0, dw1;
	uint16_t sq_head, sq_id, cid, status;
};

_Static_assert(sizeof(struct sqe) == 64, "NVMe SQE is 64 bytes");
_Static_assert(sizeof(struct cqe) == 16, "NVMe CQE is 16 bytes");

static inline struct sqe nvme_cmd(uint8_t op, uint32_t nsid, uint64_t prp1, uint64_t prp2,
                                  uint32_t cdw10, uint32_t cdw11, uint32_t cdw12)
{
	struct sqe c = {.opcode = op, .nsid = nsid, .prp1 = prp1, .prp2 = prp2};

	c.cdw10 = cdw10;
	c.cdw11 = cdw11;
	c.cdw12 = cdw12;
	return c;
}

#endif /* NVME_REGS_H */
