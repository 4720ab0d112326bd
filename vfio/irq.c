/* irq.c - interrupts: IRQ info per index, eventfd routing per vector with
 * VFIO_DEVICE_SET_IRQS, masking, and disabling an index for real once its last
 * vector is detached (so the device can no longer signal). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfio_priv.h"

/* IRQ return codes, OPAE's numbering. */
enum { IRQ_EINVAL = 1, IRQ_ERANGE = 3, IRQ_ENOINDEX = 4, IRQ_EKERNEL = 5 };

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
		vlog_err(s->name, ENOMEM, "IRQ table");
		return -ENOMEM;
	}
	for (i = 0; i < v->device.device_num_irqs; i++) {
		struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = i};
		struct opae_vfio_device_irq *q;
		uint32_t k;

		if (ioctl(v->device.device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii)) {
			int e = errno;

			if (e == EINVAL) {
				vlog_debug(s->name, "IRQ index %u: not present", i);
				continue;
			}
			vlog_err(s->name, e, "VFIO_DEVICE_GET_IRQ_INFO (index %u)", i);
			return -e;
		}
		/* refuse absurd counts rather than allocating gigabytes */
		if (ii.count > 4096) {
			vlog_err(s->name, EINVAL,
			         "VFIO_DEVICE_GET_IRQ_INFO: index %u reports %u vectors", i,
			         ii.count);
			return -EINVAL;
		}
		q = calloc(1, sizeof(*q));
		if (!q)
			return -ENOMEM;
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
				vlog_err(s->name, ENOMEM, "IRQ index %u", i);
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

static int set_irqs(struct opae_vfio *v, uint32_t flags, uint32_t index, uint32_t start,
                    uint32_t count, const int32_t *fds)
{
	size_t dlen = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? count * sizeof(int32_t) : 0;
	struct vfio_irq_set *set = calloc(1, sizeof(*set) + dlen);
	int r = 0;

	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)(sizeof(*set) + dlen);
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (dlen)
		memcpy(set->data, fds, dlen);
	if (ioctl(v->device.device_fd, VFIO_DEVICE_SET_IRQS, set))
		r = -errno;
	free(set);
	return r;
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
			vlog_info(s->name, "close: disabling %s: %s", irq_name(st->pub->index),
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

/* Validate and find the index; on error errno and the return code are set. */
static struct irq_state *irq_lookup(struct opae_vfio *v, uint32_t index, uint32_t sub,
                                    const char *op, int *code)
{
	struct vfio_state *s = vfio_state_of(v);
	uint32_t i;

	if (!s) {
		errno = EINVAL;
		*code = IRQ_EINVAL;
		return NULL;
	}
	for (i = 0; i < s->nirqs; i++) {
		struct irq_state *st = &s->irqs[i];

		if (st->pub->index != index)
			continue;
		if (!(st->pub->flags & VFIO_IRQ_INFO_EVENTFD) || !st->pub->count) {
			vlog_err(s->name, EINVAL, "%s: %s (index %u) cannot signal an eventfd", op,
			         irq_name(index), index);
			errno = EINVAL;
			*code = IRQ_ENOINDEX;
			return NULL;
		}
		if (sub >= st->pub->count) {
			vlog_err(s->name, EINVAL, "%s: %s vector %u out of range (device has %u)",
			         op, irq_name(index), sub, st->pub->count);
			errno = EINVAL;
			*code = IRQ_ERANGE;
			return NULL;
		}
		return st;
	}
	vlog_err(s->name, EINVAL, "%s: device has no IRQ index %u", op, index);
	errno = EINVAL;
	*code = IRQ_ENOINDEX;
	return NULL;
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
		vlog_info(s->name, "irq_enable: %s vector %u is back on eventfd %d", irq_name(idx),
		          sub, was);
		return;
	}
	e = index_disable(v, idx);
	if (!e) {
		index_forget(st);
		vlog_err(s->name, 0,
		         "irq_enable: %s vector %u lost eventfd %d and the kernel refused it back: "
		         "%s disabled (every vector of the index is now detached)",
		         irq_name(idx), sub, was, irq_name(idx));
		return;
	}
	/* nothing left to try: say what the kernel has */
	st->pub->event_fds[sub] = -1;
	st->attached--;
	vlog_err(s->name, -e,
	         "irq_enable: %s vector %u has no eventfd and the index cannot be disabled",
	         irq_name(idx), sub);
}

OPAE_VFIO_EXPORT int opae_vfio_irq_enable(struct opae_vfio *v, uint32_t index, uint32_t subindex,
                                          int event_fd)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st;
	int code = 0, e, was;
	const char *other;

	st = irq_lookup(v, index, subindex, "irq_enable", &code);
	if (!st)
		return code;
	if (event_fd < 0) {
		vlog_err(s->name, EBADF, "irq_enable: %s vector %u: bad eventfd %d",
		         irq_name(index), subindex, event_fd);
		errno = EBADF;
		return IRQ_EINVAL;
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
		vlog_err(s->name, -e,
		         "VFIO_DEVICE_SET_IRQS (enable %s vector %u, eventfd %d)%s%s%s",
		         irq_name(index), subindex, event_fd, other ? ": " : "", other ? other : "",
		         other ? " is enabled; disable it first" : "");
		if (st->enabled && subindex < st->enabled)
			vector_recover(v, s, st, subindex, was);
		pthread_mutex_unlock(&v->lock);
		errno = -e;
		return IRQ_EKERNEL;
	}
	if (was < 0)
		st->attached++;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

OPAE_VFIO_EXPORT int opae_vfio_irq_disable(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st;
	int code = 0, e;
	int32_t none = -1;

	st = irq_lookup(v, index, subindex, "irq_disable", &code);
	if (!st)
		return code;
	pthread_mutex_lock(&v->lock);
	if (st->pub->event_fds[subindex] < 0) {
		pthread_mutex_unlock(&v->lock);
		vlog_debug(s->name, "irq_disable: %s vector %u was not enabled", irq_name(index),
		           subindex);
		return 0;
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
		vlog_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (disable %s vector %u)",
		         irq_name(index), subindex);
		errno = -e;
		return IRQ_EKERNEL;
	}
	return 0;
}

static int irq_mask_common(struct opae_vfio *v, uint32_t index, uint32_t sub, int mask)
{
	const char *op = mask ? "irq_mask" : "irq_unmask";
	struct vfio_state *s = vfio_state_of(v);
	struct irq_state *st;
	int code = 0, e;

	st = irq_lookup(v, index, sub, op, &code);
	if (!st)
		return code;
	pthread_mutex_lock(&v->lock);
	e = set_irqs(v,
	             VFIO_IRQ_SET_DATA_NONE |
	                 (mask ? VFIO_IRQ_SET_ACTION_MASK : VFIO_IRQ_SET_ACTION_UNMASK),
	             index, sub, 1, NULL);
	if (!e)
		st->pub->masks[sub] = mask;
	pthread_mutex_unlock(&v->lock);
	if (e) {
		int msi = index == VFIO_PCI_MSI_IRQ_INDEX || index == VFIO_PCI_MSIX_IRQ_INDEX;

		vlog_err(s->name, -e, "VFIO_DEVICE_SET_IRQS (%s %s vector %u)%s",
		         mask ? "mask" : "unmask", irq_name(index), sub,
		         msi ? ": vfio-pci cannot mask MSI/MSI-X vectors (only INTx); disable the "
		               "vector instead"
		             : "");
		errno = -e;
		return IRQ_EKERNEL;
	}
	return 0;
}

OPAE_VFIO_EXPORT int opae_vfio_irq_mask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	return irq_mask_common(v, index, subindex, 1);
}

OPAE_VFIO_EXPORT int opae_vfio_irq_unmask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	return irq_mask_common(v, index, subindex, 0);
}
