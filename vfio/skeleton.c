/* skeleton.c - temporary: every public call of opae/vfio.h, failing with ENOSYS,
 * so colleagues can link while the real modules land. */
#include <errno.h>
#include <string.h>
#include <opae/vfio.h>

int opae_vfio_open(struct opae_vfio *v, const char *pciaddr)
{
	(void)pciaddr;
	if (v)
		memset(v, 0, sizeof(*v));
	errno = ENOSYS;
	return 1;
}

int opae_vfio_secure_open(struct opae_vfio *v, const char *pciaddr, const char *token)
{
	(void)token;
	return opae_vfio_open(v, pciaddr);
}

int opae_vfio_region_get(struct opae_vfio *v, uint32_t index, uint8_t **ptr, size_t *size)
{
	(void)v; (void)index; (void)ptr; (void)size;
	errno = ENOSYS;
	return 1;
}

int opae_vfio_buffer_allocate(struct opae_vfio *v, size_t *size, uint8_t **buf, uint64_t *iova)
{
	return opae_vfio_buffer_allocate_ex(v, size, buf, iova, 0);
}

int opae_vfio_buffer_allocate_ex(struct opae_vfio *v, size_t *size, uint8_t **buf,
				 uint64_t *iova, int flags)
{
	(void)v; (void)size; (void)buf; (void)iova; (void)flags;
	errno = ENOSYS;
	return 1;
}

struct opae_vfio_buffer *opae_vfio_buffer_info(struct opae_vfio *v, uint8_t *vaddr)
{
	(void)v; (void)vaddr;
	errno = ENOSYS;
	return NULL;
}

int opae_vfio_buffer_free(struct opae_vfio *v, uint8_t *buf)
{
	(void)v; (void)buf;
	errno = ENOSYS;
	return 1;
}

int opae_vfio_irq_enable(struct opae_vfio *v, uint32_t index, uint32_t subindex, int event_fd)
{
	(void)v; (void)index; (void)subindex; (void)event_fd;
	errno = ENOSYS;
	return 1;
}

int opae_vfio_irq_disable(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	(void)v; (void)index; (void)subindex;
	errno = ENOSYS;
	return 1;
}

int opae_vfio_irq_mask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	(void)v; (void)index; (void)subindex;
	errno = ENOSYS;
	return 1;
}

int opae_vfio_irq_unmask(struct opae_vfio *v, uint32_t index, uint32_t subindex)
{
	(void)v; (void)index; (void)subindex;
	errno = ENOSYS;
	return 1;
}

void opae_vfio_close(struct opae_vfio *v)
{
	(void)v;
}
