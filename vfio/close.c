/* close.c - opae_vfio_close and the teardown shared with failed opens:
 * buffers and pins, IRQs, regions, device, group, container, private state,
 * each module undoing its own part, in reverse order of open. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	int saved = errno;

	if (!s)
		return;
	/* every DMA mapping at once; if the kernel refuses, closing the
	 * container below drops them anyway */
	if (v->cont_fd >= 0)
		iommu_unmap_all(v, s);
	buffer_release_all(v, s);
	if (v->device.device_fd >= 0)
		irq_teardown_all(v, s);
	region_unmap_all(v, s);
	device_close(v, s);
	group_close(v, s);
	iommu_close(v, s);
	free(s->rdesc);
	free(s->irqs);
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
