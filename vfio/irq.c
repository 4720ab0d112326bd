/* irq.c - interrupts: IRQ info per index, eventfd routing per vector with
 * VFIO_DEVICE_SET_IRQS, masking, and disabling an index for real once its last
 * vector is detached (so the device can no longer signal). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* One VFIO_DEVICE_SET_IRQS; failures are logged by the callers, who know
 * what was meant. 0 or -errno. */
static int set_irqs(struct opae_vfio *v, uint32_t flags, uint32_t index, uint32_t start,
                    uint32_t count, const int32_t *fds)
{
	struct vfio_state *s = vfio_state_of(v);
	size_t dlen = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? count * sizeof(int32_t) : 0;
	union {
		struct vfio_irq_set set;
		uint8_t raw[sizeof(struct vfio_irq_set) + IRQ_STACK_VECTORS * sizeof(int32_t)];
	} stack;
	struct vfio_irq_set *set = &stack.set;
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
	if (dlen)
		memcpy(set->data, fds, dlen);
	r = kcall_expect(s, v->device.device_fd, VFIO_DEVICE_SET_IRQS, set, KCALL_CALLER_LOGS,
	                 " (%s, vectors %u..%u, flags 0x%x)", irq_name(index), start,
	                 start + count - 1, flags);
	if (set != &stack.set)
		free(set);
	return r < 0 ? r : 0;
}

/* DATA_NONE | ACTION_TRIGGER, count 0: the kernel tears the index down. */
static int index_disable(struct opae_vfio *v, uint32_t index)
{
	return set_irqs(v, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0, NULL);
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

void irq_teardown_all(struct opae_vfio *v, struct vfio_state *s)
{
	struct opae_vfio_device_irq *q = v->device.irqs;
	uint32_t i;

	for (i = 0; s->irqs && i < s->nirqs; i++) {
		struct irq_state *st = &s->irqs[i];
		int e;

		if (!st->enabled)
			continue;
		e = index_disable(v, st->pub->index);
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
			log_err(s->name, EINVAL, "%s: %s vector %u out of range (device has %u)", op,
			        irq_name(index), sub, st->pub->count);
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

static const char *other_enabled(struct vfio_state *s, struct irq_state *self)
{
	uint32_t i;

	for (i = 0; i < s->nirqs; i++)
		if (&s->irqs[i] != self && s->irqs[i].enabled)
			return irq_name(s->irqs[i].pub->index);
	return NULL;
}

/* Grow an enabled index to `want` vectors: with NORESIZE the kernel can only
 * do that by disabling and re-enabling it with every eventfd we know. */
static int index_regrow(struct opae_vfio *v, struct irq_state *st, uint32_t want)
{
	uint32_t idx = st->pub->index, old = st->enabled;
	int e = index_disable(v, idx);

	if (e)
		return e;
	e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, idx, 0, want,
	             st->pub->event_fds);
	if (!e) {
		st->enabled = want;
		return 0;
	}
	/* put back what was there; if even that fails the index is off */
	if (set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, idx, 0, old,
	             st->pub->event_fds))
		index_forget(st);
	return e;
}

/* SET_IRQS failed on a vector of a live index. vfio-pci detaches the
 * vector's old eventfd before it looks at the new one (vfio_msi_set_vector_signal,
 * vfio_intx_set_signal), so the vector may now have none: an MSI-capable
 * device would write its zeroed message to IOVA 0 on the next interrupt. Put
 * the old eventfd back; if the kernel refuses that too, turn the whole index
 * off so the device cannot signal at all. Afterwards event_fds[] and the
 * counters say what the kernel has. */
static void vector_recover(struct opae_vfio *v, struct vfio_state *s, struct irq_state *st,
                           uint32_t sub, int32_t was)
{
	uint32_t idx = st->pub->index;
	int e;

	st->pub->event_fds[sub] = was;
	if (was < 0)
		return; /* it had no eventfd: nothing was detached */
	e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, idx, sub, 1, &was);
	if (!e) {
		log_info(s->name, "irq_enable: %s vector %u is back on eventfd %d", irq_name(idx),
		          sub, was);
		return;
	}
	e = index_disable(v, idx);
	if (!e) {
		index_forget(st);
		log_err(s->name, 0,
		         "irq_enable: %s vector %u lost eventfd %d and the kernel refused it back: "
		         "%s disabled (every vector of the index is now detached)",
		         irq_name(idx), sub, was, irq_name(idx));
		return;
	}
	/* nothing left to try: say what the kernel has */
	st->pub->event_fds[sub] = -1;
	st->attached--;
	log_err(s->name, -e,
	         "irq_enable: %s vector %u has no eventfd and the index cannot be disabled",
	         irq_name(idx), sub);
}

OPAE_VFIO_EXPORT int opae_vfio_irq_enable(struct opae_vfio *v, uint32_t index, uint32_t subindex,
                                          int event_fd)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st = NULL;
	int e, was;
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
	was = st->pub->event_fds[subindex];
	st->pub->event_fds[subindex] = event_fd;
	if (!st->enabled) {
		/* first vector: the kernel allocates vectors 0..subindex; on failure
		 * it leaves the index disabled */
		e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0,
		             subindex + 1, st->pub->event_fds);
		if (!e)
			st->enabled = subindex + 1;
		else
			st->pub->event_fds[subindex] = -1;
	} else if (subindex < st->enabled) {
		e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index,
		             subindex, 1, &st->pub->event_fds[subindex]);
	} else {
		if (!(st->pub->flags & VFIO_IRQ_INFO_NORESIZE)) {
			/* the kernel can add vectors to a live index (dynamic MSI-X) */
			e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			             index, subindex, 1, &st->pub->event_fds[subindex]);
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
			vector_recover(v, s, st, subindex, was);
		pthread_mutex_unlock(&v->lock);
		return irq_rc(e);
	}
	if (was < 0)
		st->attached++;
	pthread_mutex_unlock(&v->lock);
	return RC_OK;
}

OPAE_VFIO_EXPORT int opae_vfio_irq_disable(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st = NULL;
	int32_t none = -1;
	int e;

	e = irq_target(v, index, subindex, "irq_disable", &st);
	if (e)
		return irq_rc(e);
	pthread_mutex_lock(&v->lock);
	if (st->pub->event_fds[subindex] < 0) {
		pthread_mutex_unlock(&v->lock);
		log_debug(s->name, "irq_disable: %s vector %u was not enabled", irq_name(index),
		          subindex);
		return RC_OK;
	}
	if (st->attached <= 1) {
		/* the last one: disable the index itself, or an MSI-capable device
		 * keeps a live vector with no eventfd and writes to a stale address */
		e = index_disable(v, index);
		if (!e)
			index_forget(st);
	} else {
		e = set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index,
		             subindex, 1, &none);
		if (!e) {
			st->pub->event_fds[subindex] = -1;
			st->pub->masks[subindex] = 0;
			st->attached--;
		}
	}
	pthread_mutex_unlock(&v->lock);
	if (e) {
		log_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (disable %s vector %u)", irq_name(index),
		        subindex);
		return irq_rc(e);
	}
	return RC_OK;
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
	             index, sub, 1, NULL);
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
