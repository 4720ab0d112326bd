// SPDX-License-Identifier: BSD-3-Clause
/* event.c - event handles (an eventfd each) and fpgaRegisterEvent /
 * fpgaUnregisterEvent: FPGA_EVENT_INTERRUPT onto an MSI-X vector (MSI when
 * the device has no MSI-X), FPGA_EVENT_ERROR onto vfio's PCI error
 * interrupt, through the core's IRQ calls. Event handles are checked ids
 * (generation << 16 | slot). One lock guards all of it: registration is rare. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <opae/types_enum.h>

#include "plugin_priv.h"

#define EV_SLOT_BITS 16
#define EV_MAX       (1u << EV_SLOT_BITS)

/* What one event handle is attached to (one per event type). */
struct ev_reg {
	struct pl_handle *h; /* NULL: not registered */
	uint32_t index, vector;
};

struct pl_event {
	uint64_t gen;
	unsigned slot;
	int live;
	int fd;
	struct ev_reg reg[2]; /* [FPGA_EVENT_INTERRUPT], [FPGA_EVENT_ERROR] */
	struct pl_event *next_free;
};

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_event **evs; /* [nev]; entries live until finalize */
static unsigned nev, cap;
static struct pl_event *ev_free;

static fpga_event_handle ev_id(const struct pl_event *e)
{
	return (fpga_event_handle)(uintptr_t)(e->gen << EV_SLOT_BITS | e->slot);
}

/* The live event an id names (lock held), or NULL with a line. */
static struct pl_event *ev_find(fpga_event_handle id, const char *call)
{
	uint64_t v = (uint64_t)(uintptr_t)id;
	unsigned slot = (unsigned)(v & (EV_MAX - 1));
	struct pl_event *e = slot < nev ? evs[slot] : NULL;

	if (!e || !e->live || e->gen != v >> EV_SLOT_BITS) {
		log_err("-", 0, "%s: not an event handle of this plugin (destroyed already?)", call);
		return NULL;
	}
	return e;
}

/* A free event record (lock held), or NULL. */
static struct pl_event *ev_take(void)
{
	struct pl_event *e = ev_free;

	if (e) {
		ev_free = e->next_free;
		return e;
	}
	if (nev == EV_MAX)
		return NULL;
	if (nev == cap) {
		unsigned ncap = cap ? cap * 2 : 16;
		struct pl_event **n = realloc(evs, ncap * sizeof(*n));

		if (!n)
			return NULL;
		evs = n;
		cap = ncap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->gen = 1;
	e->slot = nev;
	evs[nev++] = e;
	return e;
}

fpga_result pl_create_event_handle(fpga_event_handle *out)
{
	struct pl_event *e;
	int fd;

	if (!out) {
		log_err("-", 0, "fpgaCreateEventHandle: event_handle is NULL");
		return FPGA_INVALID_PARAM;
	}
	/* counter mode, blocking like OPAE's; not inherited across exec */
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		log_err("-", err, "fpgaCreateEventHandle: eventfd");
		return err == EMFILE || err == ENFILE || err == ENOMEM ? FPGA_NO_MEMORY
		                                                       : FPGA_EXCEPTION;
	}
	pthread_mutex_lock(&ev_lock);
	e = ev_take();
	if (e) {
		e->live = 1;
		e->fd = fd;
		*out = ev_id(e);
	}
	pthread_mutex_unlock(&ev_lock);
	if (!e) {
		close(fd);
		log_err("-", ENOMEM, "fpgaCreateEventHandle: event table");
		return FPGA_NO_MEMORY;
	}
	return FPGA_OK;
}

/* Detach registration r (lock held). 0 or the core's code. */
static int reg_drop(struct ev_reg *r)
{
	int rc = opae_vfio_irq_disable(&r->h->session->v, r->index, r->vector);

	if (!rc)
		r->h = NULL;
	return rc;
}

fpga_result pl_destroy_event_handle(fpga_event_handle *eh)
{
	struct pl_event *e;

	if (!eh) {
		log_err("-", 0, "fpgaDestroyEventHandle: event_handle is NULL");
		return FPGA_INVALID_PARAM;
	}
	pthread_mutex_lock(&ev_lock);
	e = ev_find(*eh, "fpgaDestroyEventHandle");
	if (!e) {
		pthread_mutex_unlock(&ev_lock);
		return FPGA_INVALID_PARAM;
	}
	/* still registered: detach first, or the kernel would keep signalling
	 * an eventfd nobody can read (and hold it) */
	for (unsigned t = 0; t < 2; t++)
		if (e->reg[t].h && reg_drop(&e->reg[t]))
			e->reg[t].h = NULL; /* the core logged it; the device closes it at the latest */
	close(e->fd);
	e->fd = -1;
	e->live = 0;
	e->gen = e->gen + 1 < (1ull << (64 - EV_SLOT_BITS)) ? e->gen + 1 : 1;
	e->next_free = ev_free;
	ev_free = e;
	pthread_mutex_unlock(&ev_lock);
	*eh = NULL;
	return FPGA_OK;
}

fpga_result pl_get_os_object(fpga_event_handle eh, int *fd)
{
	struct pl_event *e;

	if (!fd) {
		log_err("-", 0, "fpgaGetOSObjectFromEventHandle: fd is NULL");
		return FPGA_INVALID_PARAM;
	}
	pthread_mutex_lock(&ev_lock);
	e = ev_find(eh, "fpgaGetOSObjectFromEventHandle");
	if (e)
		*fd = e->fd;
	pthread_mutex_unlock(&ev_lock);
	return e ? FPGA_OK : FPGA_INVALID_PARAM;
}

static const struct opae_vfio_device_irq *irq_index(const struct opae_vfio *v, uint32_t index)
{
	for (const struct opae_vfio_device_irq *q = v->device.irqs; q; q = q->next)
		if (q->index == index && q->count && (q->flags & VFIO_IRQ_INFO_EVENTFD))
			return q;
	return NULL;
}

static const char *irq_kind(uint32_t index)
{
	return index == VFIO_PCI_MSIX_IRQ_INDEX ? "MSI-X" : index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI"
	                                                                                 : "PCI error";
}

/* Where an event of `type` with `flags` goes on h's device: 0 and the
 * index/vector, or an fpga_result with the reason logged. */
static fpga_result ev_target(struct pl_handle *h, fpga_event_type type, uint32_t flags,
                             uint32_t *index, uint32_t *vector)
{
	const struct opae_vfio *v = &h->session->v;
	const char *addr = h->dev->pci.addr;
	const struct opae_vfio_device_irq *q;

	if (type == FPGA_EVENT_ERROR) {
		q = irq_index(v, VFIO_PCI_ERR_IRQ_INDEX);
		if (!q) {
			log_err(addr, 0, "fpgaRegisterEvent: FPGA_EVENT_ERROR: the device has no PCI "
			                 "error interrupt (vfio-pci offers one on PCIe devices only)");
			return FPGA_NOT_SUPPORTED;
		}
		*index = VFIO_PCI_ERR_IRQ_INDEX;
		*vector = 0;
		return FPGA_OK;
	}
	q = irq_index(v, VFIO_PCI_MSIX_IRQ_INDEX);
	if (!q)
		q = irq_index(v, VFIO_PCI_MSI_IRQ_INDEX);
	if (!q) {
		log_err(addr, 0, "fpgaRegisterEvent: the device has neither MSI-X nor MSI vectors");
		return FPGA_NOT_SUPPORTED;
	}
	if (flags >= q->count) {
		log_err(addr, 0, "fpgaRegisterEvent: vector %" PRIu32 " (flags) but the device has %u %s "
		                 "vector(s)",
		        flags, q->count, irq_kind(q->index));
		return FPGA_INVALID_PARAM;
	}
	*index = q->index;
	*vector = flags;
	return FPGA_OK;
}

/* After a failed enable the core may have had to turn the index off (it
 * could not put the old routing back): drop registrations on that device
 * whose eventfd is no longer attached, so state and kernel agree. */
static void ev_reconcile(struct pl_session *s)
{
	for (unsigned i = 0; i < nev; i++) {
		struct pl_event *e = evs[i];

		for (unsigned t = 0; e->live && t < 2; t++) {
			struct ev_reg *r = &e->reg[t];
			const struct opae_vfio_device_irq *q;

			if (!r->h || r->h->session != s)
				continue;
			q = irq_index(&s->v, r->index);
			if (q && q->event_fds[r->vector] == e->fd)
				continue;
			log_err(s->dev->pci.addr, 0, "%s vector %u lost its eventfd when the kernel refused "
			                             "a change; register it again",
			        irq_kind(r->index), r->vector);
			r->h = NULL;
		}
	}
}

static fpga_result irq_result(int rc)
{
	switch (rc) {
	case 1:
	case 3:
		return FPGA_INVALID_PARAM;
	case 4:
		return FPGA_NOT_SUPPORTED;
	default:
		return FPGA_EXCEPTION;
	}
}

/* The type's slot in an event, or an fpga_result for the others. */
static fpga_result ev_type(fpga_event_type type, const char *call)
{
	if (type == FPGA_EVENT_INTERRUPT || type == FPGA_EVENT_ERROR)
		return FPGA_OK;
	log_err("-", 0, "%s: event type %d is %s", call, (int)type,
	        type == FPGA_EVENT_POWER_THERMAL ? "not supported" : "unknown");
	return type == FPGA_EVENT_POWER_THERMAL ? FPGA_NOT_SUPPORTED : FPGA_INVALID_PARAM;
}

fpga_result pl_register_event(fpga_handle handle, fpga_event_type type, fpga_event_handle eh,
                              uint32_t flags)
{
	unsigned shard;
	struct pl_handle *h = handle_enter(handle, &shard);
	struct pl_event *e;
	uint32_t index = 0, vector = 0;
	fpga_result r;
	int rc;

	if (!h) {
		log_err("-", 0, "fpgaRegisterEvent: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	r = ev_type(type, "fpgaRegisterEvent");
	if (r != FPGA_OK) {
		handle_leave(h, shard);
		return r;
	}
	pthread_mutex_lock(&ev_lock);
	e = ev_find(eh, "fpgaRegisterEvent");
	if (!e) {
		r = FPGA_INVALID_PARAM;
		goto out;
	}
	if (e->reg[type].h) {
		log_err(h->dev->pci.addr, 0, "fpgaRegisterEvent: the event handle is registered already "
		                             "(%s vector %u); unregister it first",
		        irq_kind(e->reg[type].index), e->reg[type].vector);
		r = FPGA_BUSY;
		goto out;
	}
	r = ev_target(h, type, flags, &index, &vector);
	if (r != FPGA_OK)
		goto out;
	for (unsigned i = 0; i < nev; i++) {
		const struct ev_reg *o = &evs[i]->reg[type];

		if (evs[i]->live && o->h && o->h->session == h->session && o->index == index &&
		    o->vector == vector) {
			log_err(h->dev->pci.addr, 0, "fpgaRegisterEvent: %s vector %u is registered "
			                             "already (by another event handle)",
			        irq_kind(index), vector);
			r = FPGA_BUSY;
			goto out;
		}
	}
	rc = opae_vfio_irq_enable(&h->session->v, index, vector, e->fd);
	if (rc) {
		r = irq_result(rc);
		ev_reconcile(h->session);
		goto out;
	}
	e->reg[type] = (struct ev_reg){.h = h, .index = index, .vector = vector};
out:
	pthread_mutex_unlock(&ev_lock);
	handle_leave(h, shard);
	return r;
}

fpga_result pl_unregister_event(fpga_handle handle, fpga_event_type type, fpga_event_handle eh)
{
	unsigned shard;
	struct pl_handle *h = handle_enter(handle, &shard);
	struct pl_event *e;
	fpga_result r;

	if (!h) {
		log_err("-", 0, "fpgaUnregisterEvent: not an open handle");
		return FPGA_INVALID_PARAM;
	}
	r = ev_type(type, "fpgaUnregisterEvent");
	if (r != FPGA_OK) {
		handle_leave(h, shard);
		return r;
	}
	pthread_mutex_lock(&ev_lock);
	e = ev_find(eh, "fpgaUnregisterEvent");
	if (!e) {
		r = FPGA_INVALID_PARAM;
	} else if (e->reg[type].h != h) {
		log_err(h->dev->pci.addr, 0, "fpgaUnregisterEvent: the event handle is not registered "
		                             "for this event type with this handle");
		r = FPGA_INVALID_PARAM;
	} else if (reg_drop(&e->reg[type])) {
		r = FPGA_EXCEPTION; /* still attached; close detaches it */
	}
	pthread_mutex_unlock(&ev_lock);
	handle_leave(h, shard);
	return r;
}

void event_close_handle(struct pl_handle *h)
{
	pthread_mutex_lock(&ev_lock);
	for (unsigned i = 0; i < nev; i++)
		for (unsigned t = 0; t < 2; t++) {
			struct ev_reg *r = &evs[i]->reg[t];

			if (evs[i]->live && r->h == h && reg_drop(r))
				r->h = NULL; /* closing the device disables it at the latest */
		}
	pthread_mutex_unlock(&ev_lock);
}

void event_free_all(void)
{
	pthread_mutex_lock(&ev_lock);
	for (unsigned i = 0; i < nev; i++) {
		if (evs[i]->live)
			close(evs[i]->fd);
		free(evs[i]);
	}
	free(evs);
	evs = NULL;
	nev = cap = 0;
	ev_free = NULL;
	pthread_mutex_unlock(&ev_lock);
}
