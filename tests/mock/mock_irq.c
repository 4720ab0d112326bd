/* SPDX-License-Identifier: BSD-3-Clause */
/* mock_irq.c - vfio-pci's interrupt plumbing (Linux 6.1 vfio_pci_intrs.c):
 * VFIO_DEVICE_SET_IRQS validation and actions, INTx automask/unmask, MSI and
 * MSI-X vectors bound to eventfds, ERR/REQ triggers, and delivery of what a
 * device model raises, including the write to IOVA 0 of a detached MSI.
 *
 * The mock holds every attached eventfd as the kernel holds a reference
 * (mock_eventfd.c): a program that closes its eventfd after SET_IRQS still has
 * the vector attached (and counted as a leak) until it detaches it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_internal.h"
#include "mock_msix.h"

void mock_config_irq_sync(struct mock_dev *d);

static void signal_efd(int efd)
{
	mock_efd_signal(efd);
}

/* eventfd_ctx_fdget / eventfd_ctx_put, without costing the program an fd */
static int efd_get(int fd)
{
	return mock_efd_attach(fd);
}

static void efd_put(int *efd)
{
	mock_efd_detach(efd);
}

/* vfio_intx_handler: an asserted, unmasked line masks and signals (while
 * INTx-disable is set the line is masked, see mock_irq_config_changed) */
static void intx_check(struct mock_dev *d)
{
	if (d->irq_type != VFIO_PCI_INTX_IRQ_INDEX || d->intx_masked || !d->intx_level ||
	    d->virq_disabled)
		return;
	d->intx_masked = 1;
	signal_efd(d->ctx[0].efd);
}

/* vfio_pci_intx_unmask_handler: nothing while INTx-disable is set; a line
 * still asserted stays masked and is re-sent, else the mask goes */
static void intx_unmask(struct mock_dev *d)
{
	if (!d->intx_masked || d->virq_disabled)
		return;
	if (d->intx_level) {
		signal_efd(d->ctx[0].efd);
		return;
	}
	d->intx_masked = 0;
}

/* vfio_basic_config_write (6.1): setting COMMAND.INTx-disable masks INTx
 * (virq_disabled, ctx[0].masked), clearing it unmasks, whatever the mask
 * state the ioctls left. */
void mock_irq_config_changed(struct mock_dev *d)
{
	int disable = (d->config[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8)) != 0;

	if (disable && !d->virq_disabled) {
		d->virq_disabled = 1;
		if (d->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
			d->intx_masked = 1;
	} else if (!disable && d->virq_disabled) {
		d->virq_disabled = 0;
		intx_unmask(d);
	}
}

/* ---- INTx unmask irqfd (vfio_pci_set_intx_unmask, virqfd.c) --------------
 * An eventfd whose signal unmasks INTx: a write to it runs the unmask handler
 * at once (virqfd_wakeup, in the writer's context) and consumes its count; a
 * line still asserted stays masked and is sent again. The interposed write()
 * and eventfd_write() are what reach it (mock_interpose.c); a write the mock
 * does not see (another process, io_uring) unmasks nothing. */

static int efd_pending(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void unmask_efd_detach(struct mock_dev *d)
{
	struct mock_fd *f = mock_fd_lookup(d->intx_unmask_efd);

	if (d->intx_unmask_efd < 0)
		return;
	if (f && f->kind == FD_EVENTFD && f->efd_unmask)
		__atomic_sub_fetch(&f->efd_unmask, 1, __ATOMIC_RELAXED);
	efd_put(&d->intx_unmask_efd);
}

/* vfio_virqfd_enable: EBADF, EINVAL (not an eventfd), then EBUSY (one
 * already); a count already pending runs the handler once, unconsumed. */
static int unmask_efd_attach(struct mock_dev *d, int32_t fd)
{
	int efd = efd_get(fd);

	if (efd < 0)
		return efd;
	if (d->intx_unmask_efd >= 0) {
		efd_put(&efd);
		return -EBUSY;
	}
	d->intx_unmask_efd = efd;
	__atomic_add_fetch(&mock_fd_lookup(efd)->efd_unmask, 1, __ATOMIC_RELAXED);
	if (efd_pending(efd))
		intx_unmask(d);
	return 0;
}

/* Caller holds the world lock; the program's write to fd succeeded. */
void mock_irq_unmask_fd_written(int fd)
{
	uint64_t count;
	int unmasked = 0;

	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		if (d->intx_unmask_efd != fd)
			continue;
		if (!unmasked++ && efd_pending(fd)) /* eventfd_ctx_do_read */
			(void)!mock_real.read(fd, &count, sizeof(count));
		intx_unmask(d);
	}
}

/* eventfd_release wakes the irqfd with EPOLLHUP: it goes. Caller holds the
 * world lock. */
void mock_irq_unmask_fd_closed(int fd)
{
	for (unsigned i = 0; i < mock_w.ndev; i++)
		if (mock_w.dev[i]->intx_unmask_efd == fd)
			unmask_efd_detach(mock_w.dev[i]);
}

static void intx_disable(struct mock_dev *d)
{
	unmask_efd_detach(d); /* vfio_virqfd_disable */
	efd_put(&d->ctx[0].efd);
	d->irq_type = -1;
	d->num_ctx = 0;
	d->intx_masked = 0;
}

static void msi_disable(struct mock_dev *d)
{
	for (unsigned i = 0; i < d->num_ctx; i++)
		efd_put(&d->ctx[i].efd);
	d->irq_type = -1;
	d->num_ctx = 0;
}

void mock_irq_disable_all(struct mock_dev *d)
{
	if (d->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
		intx_disable(d);
	else if (d->irq_type >= 0)
		msi_disable(d);
	efd_put(&d->err_efd);
	efd_put(&d->req_efd);
	mock_config_irq_sync(d);
	mock_msix_sync(d);
}

static int set_intx_mask(struct mock_dev *d, unsigned start, unsigned count, uint32_t flags,
                         const uint8_t *data, int unmask)
{
	if (d->irq_type != VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1)
		return -EINVAL;
	if ((flags & VFIO_IRQ_SET_DATA_EVENTFD) && !unmask)
		return -ENOTTY; /* 6.1 has no irqfd mask */
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd;

		memcpy(&fd, data, sizeof(fd));
		if (fd >= 0)
			return unmask_efd_attach(d, fd);
		unmask_efd_detach(d);
		return 0;
	}
	if ((flags & VFIO_IRQ_SET_DATA_BOOL) && !data[0])
		return 0;
	if (unmask) {
		intx_unmask(d);
	} else {
		d->intx_masked = 1;
	}
	return 0;
}

static int set_intx_trigger(struct mock_dev *d, unsigned start, unsigned count, uint32_t flags,
                            const uint8_t *data)
{
	int is_intx = d->irq_type == VFIO_PCI_INTX_IRQ_INDEX;

	if (is_intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		intx_disable(d);
		return 0;
	}
	if (!(is_intx || d->irq_type < 0) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd;
		int efd = -1;

		memcpy(&fd, data, sizeof(fd));
		/* vfio_intx_set_signal: the old eventfd goes before the new one is
		 * looked up; fd -1 detaches it and INTx stays the enabled index */
		if (is_intx)
			efd_put(&d->ctx[0].efd);
		if (fd >= 0) {
			efd = efd_get(fd);
			if (efd < 0)
				return efd; /* a first enable leaves INTx disabled */
		}
		if (!is_intx) { /* vfio_intx_enable: masked = virq_disabled */
			d->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
			d->num_ctx = 1;
			d->intx_masked = d->virq_disabled;
		}
		d->ctx[0].efd = efd;
		intx_check(d);
		return 0;
	}
	if (!is_intx)
		return -EINVAL;
	/* loopback: fires without masking; vfio_send_intx_eventfd sends nothing
	 * while INTx-disable is set */
	if (((flags & VFIO_IRQ_SET_DATA_NONE) || data[0]) && !d->virq_disabled)
		signal_efd(d->ctx[0].efd);
	return 0;
}

/* vfio_msi_set_vector_signal: the old eventfd goes first, then the new one is
 * looked up; a bad fd leaves the vector live with no eventfd. */
static int msi_set_vector_signal(struct mock_dev *d, unsigned vector, int32_t fd)
{
	int efd;

	efd_put(&d->ctx[vector].efd);
	if (fd < 0)
		return 0;
	efd = efd_get(fd);
	if (efd < 0)
		return efd;
	d->ctx[vector].efd = efd;
	return 0;
}

static int set_msi_trigger(struct mock_dev *d, unsigned index, unsigned start, unsigned count,
                           uint32_t flags, const uint8_t *data)
{
	int is_index = d->irq_type == (int)index;

	if (is_index && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msi_disable(d);
		return 0;
	}
	if (!(is_index || d->irq_type < 0))
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		unsigned nvec = is_index ? d->num_ctx : start + count, j;
		int ret = 0;

		/* vfio_msi_enable (6.1): pci_alloc_irq_vectors(1, nvec) fails with
		 * ERANGE for nvec 0 and returns a smaller count when the host has
		 * fewer vectors; the ioctl returns that count, nothing enabled */
		if (!is_index && !nvec)
			return -ERANGE;
		if (!is_index && d->cfg.host_vectors && nvec > d->cfg.host_vectors)
			return (int)d->cfg.host_vectors;

		/* vfio_msi_set_block: NORESIZE, vectors must be within the enabled set */
		if (start >= nvec || start + count > nvec)
			return -EINVAL;
		if (!is_index) { /* vfio_msi_enable */
			d->irq_type = (int)index;
			d->num_ctx = nvec;
			if (index == VFIO_PCI_MSI_IRQ_INDEX) { /* fls(nvec * 2 - 1) - 1 */
				d->msi_qmax = 0;
				while ((1u << d->msi_qmax) < nvec)
					d->msi_qmax++;
			}
		}
		for (j = 0; j < count && !ret; j++) {
			int32_t fd;

			memcpy(&fd, data + 4 * j, sizeof(fd));
			ret = msi_set_vector_signal(d, start + j, fd);
		}
		if (ret) {
			/* the vectors of the block done so far, and the failing one
			 * (already without its old eventfd), end up detached */
			while (j--)
				efd_put(&d->ctx[start + j].efd);
			if (!is_index)
				msi_disable(d);
		}
		return ret;
	}
	if (!is_index || start + count > d->num_ctx)
		return -EINVAL;
	for (unsigned i = start; i < start + count; i++)
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || data[i - start])
			signal_efd(d->ctx[i].efd);
	return 0;
}

static int set_single_trigger(int *ctx, unsigned count, uint32_t flags, const uint8_t *data)
{
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (*ctx >= 0) {
			if (count)
				signal_efd(*ctx);
			else
				efd_put(ctx);
			return 0;
		}
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			return -EINVAL;
		if (data[0] && *ctx >= 0)
			signal_efd(*ctx);
		return 0;
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd;

		if (!count)
			return -EINVAL;
		memcpy(&fd, data, sizeof(fd));
		if (fd == -1) {
			efd_put(ctx);
		} else if (fd >= 0) {
			int efd = efd_get(fd);

			if (efd < 0)
				return efd;
			efd_put(ctx);
			*ctx = efd;
		}
		return 0;
	}
	return -EINVAL;
}

int mock_irq_set(struct mock_dev *d, struct vfio_irq_set *arg)
{
	const size_t minsz = offsetof(struct vfio_irq_set, count) + sizeof(arg->count);
	struct vfio_irq_set hdr;
	unsigned max;
	size_t size = 0;
	const uint8_t *data = (const uint8_t *)arg + minsz;
	int ret;

	memcpy(&hdr, arg, minsz);
	/* vfio_set_irqs_validate_and_prepare */
	if (hdr.argsz < minsz || hdr.index >= VFIO_PCI_NUM_IRQS ||
	    hdr.count >= (UINT32_MAX - hdr.start) ||
	    hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;
	max = d->cfg.irq_count[hdr.index];
	if (hdr.index == VFIO_PCI_ERR_IRQ_INDEX && !d->cfg.pcie)
		max = 0;
	if (hdr.start >= max || hdr.count > max - hdr.start)
		return -EINVAL;
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = 4;
		break;
	default:
		return -EINVAL;
	}
	if (size && hdr.argsz - minsz < hdr.count * size)
		return -EINVAL;

	/* vfio_pci_set_irqs_ioctl: pick the handler */
	switch (hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_MASK:
	case VFIO_IRQ_SET_ACTION_UNMASK:
		if (hdr.index != VFIO_PCI_INTX_IRQ_INDEX)
			return -ENOTTY; /* MSI/MSI-X cannot be masked through VFIO */
		ret = set_intx_mask(d, hdr.start, hdr.count, hdr.flags, data,
		                    (hdr.flags & VFIO_IRQ_SET_ACTION_UNMASK) != 0);
		break;
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		switch (hdr.index) {
		case VFIO_PCI_INTX_IRQ_INDEX:
			ret = set_intx_trigger(d, hdr.start, hdr.count, hdr.flags, data);
			break;
		case VFIO_PCI_MSI_IRQ_INDEX:
		case VFIO_PCI_MSIX_IRQ_INDEX:
			ret = set_msi_trigger(d, hdr.index, hdr.start, hdr.count, hdr.flags, data);
			break;
		case VFIO_PCI_ERR_IRQ_INDEX:
			ret = hdr.start != 0 || hdr.count > 1
			          ? -EINVAL
			          : set_single_trigger(&d->err_efd, hdr.count, hdr.flags, data);
			break;
		default:
			ret = hdr.start != 0 || hdr.count > 1
			          ? -EINVAL
			          : set_single_trigger(&d->req_efd, hdr.count, hdr.flags, data);
			break;
		}
		break;
	default:
		return -ENOTTY;
	}
	mock_config_irq_sync(d);
	mock_msix_sync(d);
	return ret;
}

/* ---- what models raise ------------------------------------------------- */

void mock_irq_raise(struct mock_dev *d, unsigned index, unsigned vector)
{
	static const uint8_t zero[4];

	if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
		mock_msix_raise(d, vector); /* table, mask and pending bits: mock_msix.c */
		return;
	}
	if ((int)index != d->irq_type || vector >= d->num_ctx ||
	    (index != VFIO_PCI_MSI_IRQ_INDEX && index != VFIO_PCI_MSIX_IRQ_INDEX))
		return; /* not enabled: the device does not signal this way */
	if (d->ctx[vector].efd >= 0) {
		signal_efd(d->ctx[vector].efd);
		return;
	}
	/* vector detached but the index still enabled: the device writes its
	 * (now zeroed) MSI message to address 0 through the IOMMU */
	mock_dma_write(d, 0, zero, sizeof(zero));
}

void mock_intx_set_level(struct mock_dev *d, int asserted)
{
	d->intx_level = !!asserted;
	intx_check(d);
}

int mock_msi_enabled(struct mock_dev *d, unsigned index)
{
	return d->irq_type == (int)index &&
	       (index == VFIO_PCI_MSI_IRQ_INDEX || index == VFIO_PCI_MSIX_IRQ_INDEX);
}

/* ---- accounting -------------------------------------------------------- */

unsigned mock_irq_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		for (unsigned v = 0; d->irq_type >= 0 && v < d->num_ctx; v++)
			n += d->ctx[v].efd >= 0;
		n += (d->err_efd >= 0) + (d->req_efd >= 0) + (d->intx_unmask_efd >= 0);
	}
	return n;
}

void mock_irq_report(void)
{
	static const char *const names[] = {"INTx", "MSI", "MSI-X", "ERR", "REQ"};

	for (unsigned i = 0; i < mock_w.ndev; i++) {
		struct mock_dev *d = mock_w.dev[i];

		for (unsigned v = 0; d->irq_type >= 0 && v < d->num_ctx; v++)
			if (d->ctx[v].efd >= 0)
				fprintf(stderr, "vfio-mock: leak: %s %s vector %u has an eventfd\n",
				        d->cfg.address, names[d->irq_type], v);
		if (d->err_efd >= 0)
			fprintf(stderr, "vfio-mock: leak: %s ERR eventfd\n", d->cfg.address);
		if (d->req_efd >= 0)
			fprintf(stderr, "vfio-mock: leak: %s REQ eventfd\n", d->cfg.address);
		if (d->intx_unmask_efd >= 0)
			fprintf(stderr, "vfio-mock: leak: %s INTx unmask eventfd\n", d->cfg.address);
	}
}
