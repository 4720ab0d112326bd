/* SPDX-License-Identifier: BSD-3-Clause */
/* irq.c - interrupts: IRQ info per index, eventfd routing per vector with
 * VFIO_DEVICE_SET_IRQS, masking, and a detach that is one cheap call yet
 * leaves the device unable to signal or write (MSI vectors park on the
 * library's eventfd); indexes go off at close or when another one starts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rc.h"
#include "vfio_priv.h"

/* SET_IRQS payloads up to this many vectors live on the stack. */
#define IRQ_STACK_VECTORS 64

static const char *irq_name(uint32_t index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return "INTx";
	case VFIO_PCI_MSI_IRQ_INDEX:
		return "MSI";
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return "MSI-X";
	case VFIO_PCI_ERR_IRQ_INDEX:
		return "ERR";
	case VFIO_PCI_REQ_IRQ_INDEX:
		return "REQ";
	default:
		return "IRQ";
	}
}

int irq_setup_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_device_irq **tail = &v->device.irqs;
	uint32_t i;

	s->irqs =
	    calloc(v->device.device_num_irqs ? v->device.device_num_irqs : 1, sizeof(*s->irqs));
	if (!s->irqs) {
		log_err(s->name, ENOMEM, "IRQ table");
		return -ENOMEM;
	}
	for (i = 0; i < v->device.device_num_irqs; i++) {
		struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = i};
		struct opae_vfio_device_irq *q;
		uint32_t k;

		int e = kcall_expect(s, v->device.device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii, EINVAL,
		                     " (index %u)", i);

		if (e == -EINVAL) {
			/* vfio-pci refuses indexes the device lacks (ERR without PCIe) */
			log_debug(s->name, "IRQ index %u: not present", i);
			continue;
		}
		if (e < 0)
			return e;
		/* refuse absurd counts rather than allocating gigabytes */
		if (ii.count > 4096) {
			log_err(s->name, EINVAL,
			        "VFIO_DEVICE_GET_IRQ_INFO: index %u reports %u vectors", i,
			        ii.count);
			return -EINVAL;
		}
		q = calloc(1, sizeof(*q));
		if (!q) {
			log_err(s->name, ENOMEM, "IRQ index %u", i);
			return -ENOMEM;
		}
		q->flags = ii.flags;
		q->index = ii.index;
		q->count = ii.count;
		if (ii.count) {
			q->event_fds = malloc(ii.count * sizeof(*q->event_fds));
			q->masks = calloc(ii.count, sizeof(*q->masks));
			if (!q->event_fds || !q->masks) {
				free(q->event_fds);
				free(q->masks);
				free(q);
				log_err(s->name, ENOMEM, "IRQ index %u", i);
				return -ENOMEM;
			}
			for (k = 0; k < ii.count; k++)
				q->event_fds[k] = -1;
		}
		*tail = q;
		tail = &q->next;
		s->irqs[s->nirqs++].pub = q;
	}
	return 0;
}

/* The eventfd the kernel holds for vector k: the caller's, or, for an MSI
 * vector without one, the library's parking eventfd (see irq_disable). */
static int32_t kernel_fd(const struct vfio_state *s, const struct irq_state *st, uint32_t k)
{
	int32_t fd = st->pub->event_fds[k];

	return fd >= 0 || st->pub->index != VFIO_PCI_MSI_IRQ_INDEX ? fd : s->park_fd;
}

/* One VFIO_DEVICE_SET_IRQS on st's index; with DATA_EVENTFD the payload is
 * kernel_fd() of each vector. Failures are logged by the callers, who know
 * what was meant. 0 or -errno. */
static int set_irqs(struct opae_vfio *v, uint32_t flags, const struct irq_state *st, uint32_t start,
                    uint32_t count)
{
	struct vfio_state *s = vfio_state_of(v);
	size_t dlen = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? count * sizeof(int32_t) : 0;
	union {
		struct vfio_irq_set set;
		uint8_t raw[sizeof(struct vfio_irq_set) + IRQ_STACK_VECTORS * sizeof(int32_t)];
	} stack;
	struct vfio_irq_set *set = &stack.set;
	uint32_t index = st->pub->index, k;
	int r;

	if (sizeof(*set) + dlen > sizeof(stack)) {
		set = malloc(sizeof(*set) + dlen);
		if (!set)
			return -ENOMEM;
	}
	set->argsz = (uint32_t)(sizeof(*set) + dlen);
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	for (k = 0; dlen && k < count; k++) {
		int32_t fd = kernel_fd(s, st, start + k);

		memcpy(set->data + k * sizeof(fd), &fd, sizeof(fd));
	}
	r = kcall_expect(s, v->device.device_fd, VFIO_DEVICE_SET_IRQS, set, KCALL_CALLER_LOGS,
	                 " (%s, vectors %u..%u, flags 0x%x)", irq_name(index), start,
	                 start + count - 1, flags);
	if (set != &stack.set)
		free(set);
	return r < 0 ? r : 0;
}

/* Route vectors start..start+count-1 to their kernel_fd(). */
static int route(struct opae_vfio *v, const struct irq_state *st, uint32_t start, uint32_t count)
{
	return set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, st, start,
	                count);
}

/* DATA_NONE | ACTION_TRIGGER, count 0: the kernel tears the index down. */
static int index_disable(struct opae_vfio *v, const struct irq_state *st)
{
	return set_irqs(v, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, st, 0, 0);
}

static void index_forget(struct irq_state *st)
{
	uint32_t k;

	for (k = 0; k < st->pub->count; k++) {
		st->pub->event_fds[k] = -1;
		st->pub->masks[k] = 0;
	}
	st->enabled = 0;
	st->attached = 0;
}

/* MSI vectors never go without an eventfd (see irq_disable): the parking
 * eventfd exists before the first MSI vector is enabled. */
static int park_ready(struct vfio_state *s, const struct irq_state *st)
{
	if (st->pub->index != VFIO_PCI_MSI_IRQ_INDEX || s->park_fd >= 0)
		return 0;
	s->park_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->park_fd < 0) {
		int e = errno;

		log_err(s->name, e, "irq_enable: MSI: the eventfd for vectors without one");
		return -e;
	}
	return 0;
}

void irq_teardown_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_device_irq *q = v->device.irqs;
	uint32_t i;

	for (i = 0; s->irqs && i < s->nirqs; i++) {
		struct irq_state *st = &s->irqs[i];
		int e;

		if (!st->enabled)
			continue;
		e = index_disable(v, st);
		if (e) /* closing the device fd disables it anyway */
			log_info(s->name, "close: disabling %s: %s", irq_name(st->pub->index),
			         strerror(-e));
	}
	while (q) {
		struct opae_vfio_device_irq *next = q->next;

		free(q->event_fds);
		free(q->masks);
		free(q);
		q = next;
	}
	v->device.irqs = NULL;
	s->nirqs = 0;
	if (s->park_fd >= 0) /* after the indexes: the kernel no longer holds it */
		close(s->park_fd);
	s->park_fd = -1;
}

/* The index and vector an exported call names: 0, -ENOENT (no such index,
 * or it cannot signal an eventfd) or -ERANGE (no such vector), logged. */
static int irq_find(struct vfio_state *s, uint32_t index, uint32_t sub, const char *op,
                    struct irq_state **out)
{
	uint32_t i;

	for (i = 0; i < s->nirqs; i++) {
		struct irq_state *st = &s->irqs[i];

		if (st->pub->index != index)
			continue;
		if (!(st->pub->flags & VFIO_IRQ_INFO_EVENTFD) || !st->pub->count) {
			log_err(s->name, EINVAL, "%s: %s (index %u) cannot signal an eventfd", op,
			        irq_name(index), index);
			return -ENOENT;
		}
		if (sub >= st->pub->count) {
			log_err(s->name, EINVAL, "%s: %s vector %u out of range (device has %u)",
			        op, irq_name(index), sub, st->pub->count);
			return -ERANGE;
		}
		*out = st;
		return 0;
	}
	log_err(s->name, EINVAL, "%s: device has no IRQ index %u", op, index);
	return -ENOENT;
}

/* The vector an exported call names, checked: 0, -EBADFD (v is not open),
 * or irq_find's answer. */
static int irq_target(struct opae_vfio *v, uint32_t index, uint32_t sub, const char *op,
                      struct irq_state **out)
{
	struct vfio_state *s = vfio_state_of(v);

	return s ? irq_find(s, index, sub, op, out) : -EBADFD;
}

/* The exported calls' return code for a failed step (rc.h). A closed handle,
 * an index or a vector the device lacks is EINVAL to the caller, as in OPAE. */
static int irq_rc(int e)
{
	switch (e) {
	case -EBADFD:
		errno = EINVAL;
		return RC_IRQ_BADARG;
	case -ERANGE:
		errno = EINVAL;
		return RC_IRQ_RANGE;
	case -ENOENT:
		errno = EINVAL;
		return RC_IRQ_NOINDEX;
	default:
		errno = -e;
		return RC_IRQ_KERNEL;
	}
}

static bool exclusive(uint32_t index)
{
	return index == VFIO_PCI_INTX_IRQ_INDEX || index == VFIO_PCI_MSI_IRQ_INDEX ||
	       index == VFIO_PCI_MSIX_IRQ_INDEX;
}

static const char *other_enabled(struct vfio_state *s, struct irq_state *self)
{
	uint32_t i;

	for (i = 0; i < s->nirqs; i++)
		if (&s->irqs[i] != self && s->irqs[i].enabled && exclusive(s->irqs[i].pub->index))
			return irq_name(s->irqs[i].pub->index);
	return NULL;
}

/* vfio-pci enables one of INTx, MSI, MSI-X at a time. An index the library
 * keeps on only for cheap churn (no caller's vector left: see irq_disable)
 * is the caller's "off": turn it off for real before another one starts. */
static int idle_others_off(struct opae_vfio *v, struct vfio_state *s, struct irq_state *self)
{
	uint32_t i;

	if (!exclusive(self->pub->index))
		return 0;
	for (i = 0; i < s->nirqs; i++) {
		struct irq_state *o = &s->irqs[i];
		int e;

		if (o == self || !o->enabled || o->attached || !exclusive(o->pub->index))
			continue;
		e = index_disable(v, o);
		if (e) {
			log_err(s->name, -e, "irq_enable: %s: turning the idle %s index off",
			        irq_name(self->pub->index), irq_name(o->pub->index));
			return e;
		}
		index_forget(o);
	}
	return 0;
}

/* Grow an enabled index to `want` vectors: with NORESIZE the kernel can only
 * do that by disabling and re-enabling it with every eventfd we know. */
static int index_regrow(struct opae_vfio *v, struct irq_state *st, uint32_t want)
{
	uint32_t old = st->enabled;
	int e = index_disable(v, st);

	if (e)
		return e;
	e = route(v, st, 0, want);
	if (!e) {
		st->enabled = want;
		return 0;
	}
	/* put back what was there; if even that fails the index is off */
	if (route(v, st, 0, old))
		index_forget(st);
	return e;
}

/* SET_IRQS failed on a vector of a live index. vfio-pci detaches the
 * vector's old eventfd before it looks at the new one (vfio_msi_set_vector_signal,
 * vfio_intx_set_signal), so the vector may now have none: an MSI-capable
 * device would write its zeroed message to IOVA 0 on the next interrupt. Put
 * the old eventfd back (for MSI, the parking one if the caller had none);
 * if the kernel refuses that too, turn the whole index off so the device
 * cannot signal at all. Afterwards event_fds[] and the counters say what the
 * kernel has. */
static void vector_recover(struct opae_vfio *v, struct vfio_state *s, struct irq_state *st,
                           uint32_t sub, int32_t was, const char *op)
{
	uint32_t idx = st->pub->index;
	int e;

	st->pub->event_fds[sub] = was;
	if (kernel_fd(s, st, sub) < 0)
		return; /* it had no eventfd: nothing was detached */
	e = route(v, st, sub, 1);
	if (!e) {
		if (was >= 0)
			log_info(s->name, "%s: %s vector %u is back on eventfd %d", op,
			         irq_name(idx), sub, was);
		return;
	}
	e = index_disable(v, st);
	if (!e) {
		index_forget(st);
		log_err(s->name, 0,
		        "%s: %s vector %u lost its eventfd and the kernel refused it back: "
		        "%s disabled (every vector of the index is now detached)",
		        op, irq_name(idx), sub, irq_name(idx));
		return;
	}
	/* nothing left to try: say what the kernel has */
	st->pub->event_fds[sub] = -1;
	if (was >= 0)
		st->attached--;
	log_err(s->name, -e, "%s: %s vector %u has no eventfd and the index cannot be disabled", op,
	        irq_name(idx), sub);
}

/* INTx attached again to an index that stayed on: vfio-pci keeps its mask
 * (set by irq_mask or automatically by the last interrupt) across the
 * detach, where a fresh enable starts unmasked. Unmask, as a fresh enable
 * would be; a level still asserted is signalled to the new eventfd. If the
 * kernel refuses, the vector is detached again (or reported masked). */
static int intx_fresh(struct opae_vfio *v, struct vfio_state *s, struct irq_state *st)
{
	int e = set_irqs(v, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, st, 0, 1);
	int32_t fd = st->pub->event_fds[0];

	if (!e) {
		st->pub->masks[0] = 0; /* whatever irq_mask said while it was detached */
		return 0;
	}
	log_err(s->name, -e, "irq_enable: INTx: unmasking after attaching eventfd %d", fd);
	st->pub->event_fds[0] = -1;
	if (!route(v, st, 0, 1)) {
		st->attached--;
		return e;
	}
	/* still attached, and perhaps masked: say so */
	st->pub->event_fds[0] = fd;
	st->pub->masks[0] = 1;
	return e;
}

OPAE_VFIO_EXPORT int opae_vfio_irq_enable(struct opae_vfio *v, uint32_t index, uint32_t subindex,
                                          int event_fd)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st = NULL;
	int e, was;
	uint32_t was_enabled;
	const char *other;

	e = irq_target(v, index, subindex, "irq_enable", &st);
	if (e)
		return irq_rc(e);
	if (event_fd < 0) {
		log_err(s->name, EBADF, "irq_enable: %s vector %u: bad eventfd %d", irq_name(index),
		        subindex, event_fd);
		errno = EBADF;
		return RC_IRQ_BADARG;
	}
	pthread_mutex_lock(&v->lock);
	e = park_ready(s, st);
	if (!e && !st->enabled)
		e = idle_others_off(v, s, st);
	if (e) {
		pthread_mutex_unlock(&v->lock);
		return irq_rc(e);
	}
	was = st->pub->event_fds[subindex];
	was_enabled = st->enabled;
	st->pub->event_fds[subindex] = event_fd;
	if (!st->enabled) {
		/* first vector: the kernel allocates vectors 0..subindex; on failure
		 * it leaves the index disabled */
		e = route(v, st, 0, subindex + 1);
		if (!e)
			st->enabled = subindex + 1;
		else
			st->pub->event_fds[subindex] = -1;
	} else if (subindex < st->enabled) {
		e = route(v, st, subindex, 1);
	} else {
		if (!(st->pub->flags & VFIO_IRQ_INFO_NORESIZE)) {
			/* the kernel can add vectors to a live index (dynamic MSI-X) */
			e = route(v, st, subindex, 1);
			if (!e)
				st->enabled = subindex + 1;
		} else {
			e = -EINVAL;
		}
		if (e == -EINVAL)
			e = index_regrow(v, st, subindex + 1);
		if (e) /* a vector past the enabled count had no eventfd */
			st->pub->event_fds[subindex] = -1;
	}
	if (e) {
		other = other_enabled(s, st);
		log_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (enable %s vector %u, eventfd %d)%s%s%s",
		        irq_name(index), subindex, event_fd, other ? ": " : "", other ? other : "",
		        other ? " is enabled; disable it first" : "");
		if (st->enabled && subindex < st->enabled)
			vector_recover(v, s, st, subindex, was, "irq_enable");
		pthread_mutex_unlock(&v->lock);
		return irq_rc(e);
	}
	if (was < 0) {
		st->attached++;
		if (index == VFIO_PCI_INTX_IRQ_INDEX && was_enabled)
			e = intx_fresh(v, s, st);
	}
	pthread_mutex_unlock(&v->lock);
	return e ? irq_rc(e) : RC_OK;
}

/* Detaching is one SET_IRQS for the one vector, and the index stays on (an
 * index torn down and set up again costs the kernel far more), yet the
 * device can neither signal the caller nor write anywhere afterwards:
 *  - MSI-X: the kernel's free_irq masks the vector in the MSI-X table; the
 *    device only sets its pending bit (delivered when a vector is attached
 *    again).
 *  - INTx: the handler is gone and the line is off; re-attaching unmasks.
 *  - MSI: free_irq writes a zeroed message into the capability and MSI
 *    vectors usually cannot be masked, so the device would write to IOVA 0.
 *    The vector is moved to the library's parking eventfd instead: the
 *    kernel keeps the real message and signals an eventfd nobody reads.
 * The index goes off at close, when another index is enabled, or when the
 * caller disables a vector of an index with no caller's vector left. */
OPAE_VFIO_EXPORT int opae_vfio_irq_disable(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st = NULL;
	int32_t was;
	int e;

	e = irq_target(v, index, subindex, "irq_disable", &st);
	if (e)
		return irq_rc(e);
	pthread_mutex_lock(&v->lock);
	was = st->pub->event_fds[subindex];
	if (was < 0) {
		e = 0;
		if (st->enabled && !st->attached) {
			/* asked twice: the idle index goes off for real */
			e = index_disable(v, st);
			if (!e)
				index_forget(st);
		}
		pthread_mutex_unlock(&v->lock);
		if (e) {
			log_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (turn the idle %s index off)",
			        irq_name(index));
			return irq_rc(e);
		}
		log_debug(s->name, "irq_disable: %s vector %u was not enabled", irq_name(index),
		          subindex);
		return RC_OK;
	}
	st->pub->event_fds[subindex] = -1;
	e = route(v, st, subindex, 1);
	if (!e) {
		st->pub->masks[subindex] = 0;
		st->attached--;
	} else {
		log_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (disable %s vector %u)", irq_name(index),
		        subindex);
		vector_recover(v, s, st, subindex, was, "irq_disable");
	}
	pthread_mutex_unlock(&v->lock);
	return e ? irq_rc(e) : RC_OK;
}

static int irq_mask_common(struct opae_vfio *v, uint32_t index, uint32_t sub, int mask)
{
	const char *op = mask ? "irq_mask" : "irq_unmask";
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st = NULL;
	int e;

	e = irq_target(v, index, sub, op, &st);
	if (e)
		return irq_rc(e);
	pthread_mutex_lock(&v->lock);
	e = set_irqs(v,
	             VFIO_IRQ_SET_DATA_NONE |
	                 (mask ? VFIO_IRQ_SET_ACTION_MASK : VFIO_IRQ_SET_ACTION_UNMASK),
	             st, sub, 1);
	if (!e)
		st->pub->masks[sub] = mask;
	pthread_mutex_unlock(&v->lock);
	if (e) {
		bool msi = index == VFIO_PCI_MSI_IRQ_INDEX || index == VFIO_PCI_MSIX_IRQ_INDEX;

		log_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (%s %s vector %u)%s",
		        mask ? "mask" : "unmask", irq_name(index), sub,
		        msi ? ": vfio-pci cannot mask MSI/MSI-X vectors (only INTx); disable the "
		              "vector instead"
		            : "");
		return irq_rc(e);
	}
	return RC_OK;
}

OPAE_VFIO_EXPORT int opae_vfio_irq_mask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	return irq_mask_common(v, index, subindex, 1);
}

OPAE_VFIO_EXPORT int opae_vfio_irq_unmask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	return irq_mask_common(v, index, subindex, 0);
}
