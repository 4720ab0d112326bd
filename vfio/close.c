/* close.c - opae_vfio_close and the teardown shared with failed opens:
 * buffers, IRQs, regions, device, group, container, private state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_priv.h"

void close_reset_fields(struct opae_vfio *v)
{
	memset(v, 0, sizeof(*v));
	v->cont_fd = -1;
	v->group.group_fd = -1;
	v->device.device_fd = -1;
}

void close_teardown(struct opae_vfio *v)
{
	struct vfio_state *s = vfio_state_of(v);
	struct opae_vfio_iova_range *r;
	struct buf_rec *b;
	int saved = errno;

	if (!s)
		return;
	while ((b = buftab_pop(&s->tab)))
		buffer_destroy(v, s, b, 1);
	while ((b = buftab_pop(&s->pins)))
		buffer_destroy(v, s, b, 1);
	buftab_destroy(&s->tab);
	buftab_destroy(&s->pins);
	if (v->device.device_fd >= 0)
		irq_teardown_all(v, s);
	region_unmap_all(v);
	if (v->device.device_fd >= 0 && close(v->device.device_fd))
		vlog_err(s->name, errno, "close of the device fd");
	if (v->group.group_fd >= 0) {
		/* closing the group detaches it; the explicit unset only reports
		 * trouble earlier and is harmless when not attached */
		if (v->cont_fd >= 0)
			ioctl(v->group.group_fd, VFIO_GROUP_UNSET_CONTAINER);
		if (close(v->group.group_fd))
			vlog_err(s->name, errno, "close of the group fd");
	}
	if (v->cont_fd >= 0 && close(v->cont_fd))
		vlog_err(s->name, errno, "close of the container fd");
	while ((r = v->cont_ranges)) {
		v->cont_ranges = r->next;
		free(r);
	}
	iova_destroy(&s->iova);
	free(s->rdesc);
	free(s->irqs);
	free(v->group.group_device);
	free(v->cont_device);
	free(v->cont_pciaddr);
	s->magic = 0;
	free(s);
	pthread_mutex_destroy(&v->lock);
	close_reset_fields(v);
	errno = saved;
}

OPAE_VFIO_EXPORT void opae_vfio_close(struct opae_vfio *v)
{
	if (!vfio_state_of(v))
		return; /* zeroed, failed or already closed */
	/* wait for calls in flight on other threads (they hold the lock) */
	pthread_mutex_lock(&v->lock);
	pthread_mutex_unlock(&v->lock);
	close_teardown(v);
}
