/* iommu.c - the container's type1 IOMMU: DMA map and unmap with the
 * container's entry accounting. Every DMA mapping the library makes or drops
 * goes through here. */
#include <errno.h>
#include <sys/ioctl.h>

#include "vfio_priv.h"

int iommu_map(struct opae_vfio *v, struct vfio_state *s, void *p, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
	    .argsz = sizeof(m),
	    .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	    .vaddr = (uint64_t)(uintptr_t)p,
	    .iova = iova,
	    .size = len,
	};

	if (s->dma_used >= s->dma_limit) {
		/* the kernel would say ENOSPC too, after pinning the pages */
		vlog_err(s->name, ENOSPC,
		         "VFIO_IOMMU_MAP_DMA: all %u DMA mapping entries of the container are in use",
		         s->dma_limit);
		return -ENOSPC;
	}
	if (ioctl(v->cont_fd, VFIO_IOMMU_MAP_DMA, &m)) {
		int e = errno;
		char a[32];

		vlog_err(s->name, e, "VFIO_IOMMU_MAP_DMA (iova 0x%llx, %s)",
		         (unsigned long long)iova, log_size(len, a, sizeof(a)));
		return -e;
	}
	s->dma_used++;
	return 0;
}

int iommu_unmap(struct opae_vfio *v, struct vfio_state *s, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = len};

	if (ioctl(v->cont_fd, VFIO_IOMMU_UNMAP_DMA, &u)) {
		int e = errno;
		char a[32];

		vlog_err(s->name, e, "VFIO_IOMMU_UNMAP_DMA (iova 0x%llx, %s)",
		         (unsigned long long)iova, log_size(len, a, sizeof(a)));
		return -e;
	}
	if (s->dma_used)
		s->dma_used--;
	return 0;
}
