// SPDX-License-Identifier: BSD-3-Clause
/* models/nvme_cmd.c - the commands of the "nvme" model, with QEMU 7.2's
 * checks and status codes: Identify (controller, namespace, active namespace
 * list), Create/Delete I/O CQ and SQ, Set/Get Features (number of queues),
 * and the NVM commands Flush, Write and Read on namespace 1 (512-byte
 * blocks), data moved through PRP1/PRP2 and PRP lists with mock_dma_* only,
 * i.e. through the IOMMU mappings of the device's container.
 */
#include <stdio.h>
#include <string.h>

#include "nvme.h"

#define ADM_DELETE_SQ 0x00
#define ADM_CREATE_SQ 0x01
#define ADM_DELETE_CQ 0x04
#define ADM_CREATE_CQ 0x05
#define ADM_IDENTIFY  0x06
#define ADM_SET_FEAT  0x09
#define ADM_GET_FEAT  0x0a
#define NVM_FLUSH     0x00
#define NVM_WRITE     0x01
#define NVM_READ      0x02

#define CNS_NS         0x00
#define CNS_CTRL       0x01
#define CNS_NS_ACTIVE  0x02
#define FID_NUM_QUEUES 0x07

#define QUEUE_PC     (1u << 0) /* physically contiguous */
#define CQ_IEN       (1u << 1)
#define NSID_BCAST   0xffffffffu
#define FIRMWARE_REV "7.2.22" /* what the VM's QEMU reports (vm/README.md) */

static int dma(struct nvme *n, uint64_t iova, uint8_t *buf, uint64_t len, int to_host)
{
	return to_host ? mock_dma_write(n->dev, iova, buf, len)
	               : mock_dma_read(n->dev, iova, buf, len);
}

/* Move `len` bytes between buf and the host memory that PRP1/PRP2 describe
 * (NVMe 1.4 §4.3): PRP1 may start inside a page; the rest is PRP2 itself
 * (one more page) or a PRP list whose last entry chains to the next list. */
static uint16_t prp_xfer(struct nvme *n, uint64_t prp1, uint64_t prp2, uint8_t *buf, uint64_t len,
                         int to_host)
{
	const uint64_t ps = nvme_page_size(n);
	uint64_t first = ps - (prp1 & (ps - 1)), list = prp2;

	if (first > len)
		first = len;
	if (dma(n, prp1, buf, first, to_host))
		return NVME_DATA_TRAS_ERROR;
	buf += first;
	len -= first;
	if (!len)
		return NVME_SUCCESS;
	if (len <= ps) {
		if (prp2 & (ps - 1))
			return NVME_INVALID_PRP_OFFSET | NVME_DNR;
		return dma(n, prp2, buf, len, to_host) ? NVME_DATA_TRAS_ERROR : NVME_SUCCESS;
	}
	if (prp2 & 7)
		return NVME_INVALID_PRP_OFFSET | NVME_DNR;
	while (len) {
		uint64_t ent, chunk = len < ps ? len : ps;

		if (mock_dma_read(n->dev, list, &ent, sizeof(ent)))
			return NVME_DATA_TRAS_ERROR;
		if (ent & (ps - 1))
			return NVME_INVALID_PRP_OFFSET | NVME_DNR;
		if (((list + 8) & (ps - 1)) == 0 && len > ps) {
			list = ent; /* last slot of a list page, more to come: next list */
			continue;
		}
		if (dma(n, ent, buf, chunk, to_host))
			return NVME_DATA_TRAS_ERROR;
		buf += chunk;
		len -= chunk;
		list += 8;
	}
	return NVME_SUCCESS;
}

static void put_str(uint8_t *dst, const char *s, size_t field)
{
	size_t l = strlen(s);

	memset(dst, ' ', field);
	memcpy(dst, s, l < field ? l : field);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void id_ctrl(const struct nvme *n, uint8_t *id)
{
	const struct mock_dev_config *cfg = mock_dev_cfg(n->dev);
	char nqn[64];

	put16(id + 0, cfg->vendor);
	put16(id + 2, cfg->subsystem_vendor);
	put_str(id + 4, n->serial, 20);
	put_str(id + 24, "QEMU NVMe Ctrl", 40);
	put_str(id + 64, FIRMWARE_REV, 8);
	id[72] = 6;    /* RAB */
	id[73] = 0x00; /* IEEE OUI 52:54:00, little-endian */
	id[74] = 0x54;
	id[75] = 0x52;
	id[77] = NVME_MDTS;
	put32(id + 80, NVME_VS);  /* VER */
	id[111] = 1;              /* CNTRLTYPE: I/O controller */
	id[258] = 3;              /* ACL */
	id[259] = 3;              /* AERL */
	id[512] = 0x66;           /* SQES: 64 bytes */
	id[513] = 0x44;           /* CQES: 16 bytes */
	put32(id + 516, NVME_NN); /* NN */
	snprintf(nqn, sizeof(nqn), "nqn.2019-08.org.qemu:%s", n->serial);
	memcpy(id + 768, nqn, strlen(nqn)); /* SUBNQN */
}

static void id_ns(const struct nvme *n, uint8_t *id)
{
	static const uint8_t lbaf[8][2] = {{0, 9},  {8, 9},  {16, 9},  {64, 9},
	                                   {0, 12}, {8, 12}, {16, 12}, {64, 12}};

	memcpy(id + 0, &n->blocks, 8);  /* NSZE */
	memcpy(id + 8, &n->blocks, 8);  /* NCAP */
	memcpy(id + 16, &n->blocks, 8); /* NUSE */
	id[25] = 7;                     /* NLBAF: 8 formats (0's based) */
	id[26] = 0;                     /* FLBAS: format 0, 512 bytes, no metadata */
	for (int i = 0; i < 8; i++) {
		put16(id + 128 + 4 * i, lbaf[i][0]); /* MS */
		id[128 + 4 * i + 2] = lbaf[i][1];    /* LBADS */
	}
}

static uint16_t identify(struct nvme *n, const struct nvme_sqe *c)
{
	uint8_t id[4096];

	memset(id, 0, sizeof(id));
	switch (c->cdw10 & 0xff) {
	case CNS_CTRL:
		id_ctrl(n, id);
		break;
	case CNS_NS:
		if (!c->nsid || c->nsid > NVME_NN)
			return NVME_INVALID_NSID | NVME_DNR;
		if (c->nsid == 1)
			id_ns(n, id);
		break; /* other allocatable namespaces: all zero (not attached) */
	case CNS_NS_ACTIVE:
		if (c->nsid >= NSID_BCAST - 1)
			return NVME_INVALID_NSID | NVME_DNR;
		if (c->nsid < 1)
			put32(id, 1);
		break;
	default:
		return NVME_INVALID_FIELD | NVME_DNR;
	}
	return prp_xfer(n, c->prp1, c->prp2, id, sizeof(id), 1);
}

static uint16_t create_cq(struct nvme *n, const struct nvme_sqe *c)
{
	unsigned qid = c->cdw10 & 0xffff, qsize = c->cdw10 >> 16, vector = c->cdw11 >> 16;

	if (!qid || qid > NVME_MAX_IOQP || n->cq[qid].live)
		return NVME_INVALID_QID | NVME_DNR;
	if (!qsize || qsize > (NVME_CAP & 0xffff))
		return NVME_MAX_QSIZE_EXCEEDED | NVME_DNR;
	if (c->prp1 & (nvme_page_size(n) - 1))
		return NVME_INVALID_PRP_OFFSET | NVME_DNR;
	if ((!mock_msi_enabled(n->dev, 2) && vector) || vector >= NVME_MSIX)
		return NVME_INVALID_IRQ_VECTOR | NVME_DNR;
	if (!(c->cdw11 & QUEUE_PC))
		return NVME_INVALID_FIELD | NVME_DNR; /* CAP.CQR = 1 */
	nvme_cq_init(n, qid, c->prp1, qsize + 1, (uint16_t)vector, (c->cdw11 & CQ_IEN) != 0);
	return NVME_SUCCESS;
}

static uint16_t create_sq(struct nvme *n, const struct nvme_sqe *c)
{
	unsigned qid = c->cdw10 & 0xffff, qsize = c->cdw10 >> 16, cqid = c->cdw11 >> 16;

	if (!cqid || cqid > NVME_MAX_IOQP || !n->cq[cqid].live)
		return NVME_INVALID_CQID | NVME_DNR;
	if (!qid || qid > NVME_MAX_IOQP || n->sq[qid].live)
		return NVME_INVALID_QID | NVME_DNR;
	if (!qsize || qsize > (NVME_CAP & 0xffff))
		return NVME_MAX_QSIZE_EXCEEDED | NVME_DNR;
	if (c->prp1 & (nvme_page_size(n) - 1))
		return NVME_INVALID_PRP_OFFSET | NVME_DNR;
	if (!(c->cdw11 & QUEUE_PC))
		return NVME_INVALID_FIELD | NVME_DNR;
	nvme_sq_init(n, qid, c->prp1, qsize + 1, (uint16_t)cqid);
	return NVME_SUCCESS;
}

static uint16_t delete_sq(struct nvme *n, const struct nvme_sqe *c)
{
	unsigned qid = c->cdw10 & 0xffff;

	if (!qid || qid > NVME_MAX_IOQP || !n->sq[qid].live)
		return NVME_INVALID_QID | NVME_DNR;
	n->sq[qid].live = 0;
	return NVME_SUCCESS;
}

static uint16_t delete_cq(struct nvme *n, const struct nvme_sqe *c)
{
	unsigned qid = c->cdw10 & 0xffff;

	if (!qid || qid > NVME_MAX_IOQP || !n->cq[qid].live)
		return NVME_INVALID_CQID | NVME_DNR;
	for (unsigned s = 1; s < NVME_NQ; s++)
		if (n->sq[s].live && n->sq[s].cqid == qid)
			return NVME_INVALID_QUEUE_DEL;
	nvme_cq_free(n, qid);
	return NVME_SUCCESS;
}

static uint16_t features(struct nvme *n, const struct nvme_sqe *c, uint32_t *dw0)
{
	(void)n;
	if ((c->cdw10 & 0xff) != FID_NUM_QUEUES)
		return NVME_INVALID_FIELD | NVME_DNR;
	if (c->opcode == ADM_SET_FEAT &&
	    ((c->cdw11 & 0xffff) == 0xffff || (c->cdw11 >> 16) == 0xffff))
		return NVME_INVALID_FIELD | NVME_DNR;
	*dw0 = (NVME_MAX_IOQP - 1) | (NVME_MAX_IOQP - 1) << 16; /* 0's based, granted */
	return NVME_SUCCESS;
}

uint16_t nvme_admin(struct nvme *n, const struct nvme_sqe *c, uint32_t *dw0)
{
	if (c->flags & 0xc3) /* PSDT (SGLs) and fused operations are not modelled */
		return NVME_INVALID_FIELD | NVME_DNR;
	switch (c->opcode) {
	case ADM_IDENTIFY:
		return identify(n, c);
	case ADM_CREATE_CQ:
		return create_cq(n, c);
	case ADM_CREATE_SQ:
		return create_sq(n, c);
	case ADM_DELETE_SQ:
		return delete_sq(n, c);
	case ADM_DELETE_CQ:
		return delete_cq(n, c);
	case ADM_SET_FEAT:
	case ADM_GET_FEAT:
		return features(n, c, dw0);
	default:
		return NVME_INVALID_OPCODE | NVME_DNR;
	}
}

uint16_t nvme_io(struct nvme *n, const struct nvme_sqe *c)
{
	uint64_t slba = (uint64_t)c->cdw11 << 32 | c->cdw10, nlb = (c->cdw12 & 0xffff) + 1ULL;
	uint64_t len = nlb * NVME_LBA_SIZE;

	if (c->flags & 0xc3)
		return NVME_INVALID_FIELD | NVME_DNR;
	if (c->opcode != NVM_FLUSH && c->opcode != NVM_WRITE && c->opcode != NVM_READ)
		return NVME_INVALID_OPCODE | NVME_DNR;
	if (!c->nsid || (c->nsid > NVME_NN && c->nsid != NSID_BCAST))
		return NVME_INVALID_NSID | NVME_DNR;
	if (c->nsid != 1)
		return NVME_INVALID_FIELD | NVME_DNR; /* only namespace 1 is attached */
	if (c->opcode == NVM_FLUSH)
		return NVME_SUCCESS; /* the store is memory: nothing to write back */
	if (len > nvme_page_size(n) << NVME_MDTS)
		return NVME_INVALID_FIELD | NVME_DNR;
	if (slba > n->blocks || nlb > n->blocks - slba)
		return NVME_LBA_RANGE | NVME_DNR;
	return prp_xfer(n, c->prp1, c->prp2, n->store + slba * NVME_LBA_SIZE, len,
	                c->opcode == NVM_READ);
}
