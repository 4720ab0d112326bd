/* caps.c - VFIO capability chains: one bounded walk, shared by the IOMMU info
 * (iommu.c) and region info (region.c) queries. A hostile or corrupt chain
 * (loops, offsets past argsz, truncated capabilities) finds nothing. */
#include <string.h>

#include "vfio_priv.h"

/* The kernel chains a handful of capabilities; more steps than this means a
 * loop or garbage. */
#define CAPS_MAX_STEPS 64

uint32_t caps_find(const void *buf, uint32_t argsz, uint32_t hdr_size, uint32_t first, uint16_t id,
                   uint32_t min_len)
{
	const uint8_t *b = buf;
	uint32_t off = first;
	int steps;

	for (steps = 0; off && steps < CAPS_MAX_STEPS; steps++) {
		struct vfio_info_cap_header h;

		/* a capability lives after the fixed info struct, whole */
		if (off < hdr_size || off > argsz || argsz - off < sizeof(h))
			return 0;
		memcpy(&h, b + off, sizeof(h));
		if (h.id == id)
			return argsz - off >= min_len ? off : 0;
		if (h.next == off)
			return 0;
		off = h.next;
	}
	return 0;
}
