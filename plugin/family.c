// SPDX-License-Identifier: BSD-3-Clause
/* family.c - multi-port AFUs: a child AFU opened with FPGA_OPEN_HAS_PARENT_AFU
 * under its parent's handle, and fpgaPinBuffer / fpgaUnpinBuffer, which map
 * the parent's DMA buffers into the child's device at the parent's I/O
 * addresses (the framework calls them after preparing on the parent).
 *
 * Rules: a pin must be exactly a live buffer of the parent (start, length
 * and I/O address), so a child's device can reach nothing else of the
 * process; releasing a parent's buffer unpins it from every child before
 * the memory is freed; closing a child drops its pins; closing a parent
 * unpins its buffers from its children, which stay open without a parent.
 * pl_family_lock guards the links and every pin list, and serialises pins
 * against releases and closes; it is taken before any table lock (order in
 * plugin_priv.h), never while one is held. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <opae/types_enum.h>

#include "plugin_priv.h"

#define PAGE_MASK 0xfffull

pthread_mutex_t pl_family_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_child(const struct pl_handle *h)
{
	return (h->flags & FPGA_OPEN_HAS_PARENT_AFU) != 0;
}

/* Unmap pin p from child h and free it (pl_family_lock held). */
static void pin_drop(struct pl_handle *h, struct pl_pin *p)
{
	if (!p->shared && opae_vfio_buffer_unmap(&h->session->v, (size_t)p->len, p->iova))
		log_err(h->dev->pci.addr, 0,
		        "unpinning 0x%" PRIx64 " bytes at I/O address 0x%" PRIx64
		        " failed (the core unmaps it at close)",
		        p->len, p->iova);
	free(p);
}

/* Drop child c's pins of [va, va + len), or all of them with va NULL
 * (pl_family_lock held: it guards every pin list). */
static void pins_drop(struct pl_handle *c, const uint8_t *va, uint64_t len)
{
	struct pl_pin **pp = &c->ws.pins, *p;

	while ((p = *pp)) {
		if (!va || (p->buf == va && p->len == len)) {
			*pp = p->next;
			pin_drop(c, p);
		} else {
			pp = &p->next;
		}
	}
}

fpga_result family_link(struct pl_handle *s, fpga_handle parent_id)
{
	const char *addr = s->dev->pci.addr;
	unsigned shard;
	struct pl_handle *p = handle_enter(parent_id, &shard);
	fpga_result r = FPGA_OK;

	if (!p || is_child(p) || p->token->hdr.objtype != FPGA_ACCELERATOR) {
		log_err(addr, 0, "fpgaOpen: FPGA_OPEN_HAS_PARENT_AFU: the parent handle %s",
		        !p            ? "is not an open handle of this plugin"
		        : is_child(p) ? "is itself a child AFU (one level only)"
		                      : "is not an accelerator");
		if (p)
			handle_leave(p, shard);
		return FPGA_INVALID_PARAM;
	}
	/* the parent stays open (counted in flight) and its buffers still
	 * (its ws.lock: a release that saw no child stays right) while it
	 * learns about the child */
	pthread_mutex_lock(&pl_family_lock);
	pthread_mutex_lock(&p->ws.lock);
	if (p->session != s->session &&
	    opae_vfio_apply_group_constraint(&s->session->v, &p->session->v)) {
		log_err(addr, errno,
		        "fpgaOpen: child AFU of %s: narrowing the parent's IOVA space "
		        "to the child's",
		        p->dev->pci.addr);
		r = errno == ENOMEM ? FPGA_NO_MEMORY : FPGA_EXCEPTION;
	} else {
		s->parent = p;
		s->next_sibling = p->first_child;
		p->first_child = s;
		atomic_fetch_add(&p->nchildren, 1);
		log_debug(addr, "fpgaOpen: child AFU of %s", p->dev->pci.addr);
	}
	pthread_mutex_unlock(&p->ws.lock);
	pthread_mutex_unlock(&pl_family_lock);
	handle_leave(p, shard);
	return r;
}

void family_unlink(struct pl_handle *h)
{
	struct pl_handle *c, **cp;

	pthread_mutex_lock(&pl_family_lock);
	if (h->parent) {
		pins_drop(h, NULL, 0);
		for (cp = &h->parent->first_child; *cp; cp = &(*cp)->next_sibling)
			if (*cp == h) {
				*cp = h->next_sibling;
				break;
			}
		atomic_fetch_sub(&h->parent->nchildren, 1);
		h->parent = NULL;
		h->next_sibling = NULL;
	}
	while ((c = h->first_child)) {
		/* the parent's buffers are about to be freed: no child may keep
		 * them mapped; the child itself stays usable (MMIO, events) */
		log_info(c->dev->pci.addr,
		         "the parent AFU's handle (%s) is closed before its child: "
		         "the child's pins are dropped, it has no parent now",
		         h->dev->pci.addr);
		pins_drop(c, NULL, 0);
		h->first_child = c->next_sibling;
		c->next_sibling = NULL;
		c->parent = NULL;
	}
	atomic_store(&h->nchildren, 0);
	pthread_mutex_unlock(&pl_family_lock);
}

void family_unpin_released(struct pl_handle *h, const uint8_t *va, uint64_t len)
{
	for (struct pl_handle *c = h->first_child; c; c = c->next_sibling)
		pins_drop(c, va, len);
}

/* Why fpgaPinBuffer cannot pin [buf, len) at ioaddr into h, or NULL
 * (pl_family_lock held). */
static const char *pin_refusal(struct pl_handle *h, const uint8_t *buf, uint64_t len,
                               uint64_t ioaddr, int *shared, fpga_result *r)
{
	struct opae_vfio_buffer *b;

	*r = FPGA_INVALID_PARAM;
	if (!is_child(h))
		return "the handle is not a child AFU's (opened with FPGA_OPEN_HAS_PARENT_AFU)";
	if (!h->parent)
		return "the child's parent AFU handle is closed";
	for (const struct pl_pin *p = h->ws.pins; p; p = p->next)
		if (ioaddr < p->iova + p->len && p->iova < ioaddr + len)
			return "the I/O address range overlaps a range pinned already";
	b = opae_vfio_buffer_info(&h->parent->session->v, (uint8_t *)buf);
	if (!b || b->buffer_iova != ioaddr || b->buffer_size != len) {
		*r = FPGA_NOT_FOUND;
		return "it is not a buffer of the parent AFU (start, length and I/O address must "
		       "match one prepared on the parent)";
	}
	/* one container (two ports of one function): mapped there already */
	*shared = h->parent->session == h->session;
	*r = FPGA_OK;
	return NULL;
}

fpga_result pl_pin_buffer(fpga_handle handle, void *buf, uint64_t len, uint64_t ioaddr)
{
	unsigned shard;
	struct pl_handle *h = handle_enter(handle, &shard);
	const char *why;
	struct pl_pin *p;
	fpga_result r = FPGA_OK;
	int shared = 0;

	if (!h) {
		log_err("-", 0, "fpgaPinBuffer: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	if (!buf || !len || (((uintptr_t)buf | len | ioaddr) & PAGE_MASK) ||
	    ioaddr + len < ioaddr) {
		log_err(
		    h->dev->pci.addr, 0,
		    "fpgaPinBuffer: %p, 0x%" PRIx64 " bytes at I/O address 0x%" PRIx64 ": %s", buf,
		    len, ioaddr,
		    !buf   ? "buffer is NULL"
		    : !len ? "length 0"
		           : "buffer, length and I/O address must be 4 KiB aligned (and not wrap)");
		handle_leave(h, shard);
		return FPGA_INVALID_PARAM;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		handle_leave(h, shard);
		return FPGA_NO_MEMORY;
	}
	p->buf = buf;
	p->len = len;
	p->iova = ioaddr;
	pthread_mutex_lock(&pl_family_lock);
	why = pin_refusal(h, buf, len, ioaddr, &shared, &r);
	if (!why && !(p->shared = shared) &&
	    opae_vfio_buffer_map(&h->session->v, (size_t)len, buf, ioaddr)) {
		why = "the core could not map it (see above)";
		r = errno == ENOMEM || errno == ENOSPC ? FPGA_NO_MEMORY : FPGA_EXCEPTION;
	}
	if (!why) {
		p->next = h->ws.pins;
		h->ws.pins = p;
		p = NULL;
	}
	pthread_mutex_unlock(&pl_family_lock);
	if (why)
		log_err(h->dev->pci.addr, 0,
		        "fpgaPinBuffer: %p, 0x%" PRIx64 " bytes at I/O address 0x%" PRIx64 ": %s",
		        buf, len, ioaddr, why);
	free(p);
	handle_leave(h, shard);
	return r;
}

fpga_result pl_unpin_buffer(fpga_handle handle, void *buf, uint64_t len, uint64_t ioaddr)
{
	unsigned shard;
	struct pl_handle *h = handle_enter(handle, &shard);
	struct pl_pin **pp, *p = NULL;
	fpga_result r = FPGA_OK;

	if (!h) {
		log_err("-", 0, "fpgaUnpinBuffer: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	if (!is_child(h)) {
		log_err(h->dev->pci.addr, 0,
		        "fpgaUnpinBuffer: the handle is not a child AFU's "
		        "(opened with FPGA_OPEN_HAS_PARENT_AFU)");
		handle_leave(h, shard);
		return FPGA_INVALID_PARAM;
	}
	pthread_mutex_lock(&pl_family_lock);
	for (pp = &h->ws.pins; *pp; pp = &(*pp)->next)
		if ((*pp)->buf == buf && (*pp)->len == len && (*pp)->iova == ioaddr) {
			p = *pp;
			break;
		}
	if (!p) {
		log_err(h->dev->pci.addr, 0,
		        "fpgaUnpinBuffer: %p (0x%" PRIx64 " bytes at I/O address "
		        "0x%" PRIx64 ") is not pinned in this handle",
		        buf, len, ioaddr);
		r = FPGA_NOT_FOUND;
	} else if (!p->shared && opae_vfio_buffer_unmap(&h->session->v, (size_t)len, ioaddr)) {
		log_err(h->dev->pci.addr, 0,
		        "fpgaUnpinBuffer: 0x%" PRIx64 " bytes at I/O address "
		        "0x%" PRIx64 " stay pinned (the kernel refused the unmap); "
		        "try again, or close unmaps it",
		        len, ioaddr);
		r = FPGA_EXCEPTION;
	} else {
		*pp = p->next;
		free(p);
	}
	pthread_mutex_unlock(&pl_family_lock);
	handle_leave(h, shard);
	return r;
}
