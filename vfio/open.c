/* SPDX-License-Identifier: BSD-3-Clause */
/* open.c - opae_vfio_open / opae_vfio_secure_open: validate the arguments,
 * then a straight list of steps (sysfs, container, group, IOMMU, device,
 * regions, IRQs), each mapped to its return code of rc.h. A failed step
 * releases everything before it (close_teardown) and leaves *v closed, with
 * the step's errno. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"
#include "vfio_priv.h"

static int fail(struct opae_vfio *v, enum opae_vfio_rc rc, int e)
{
	close_teardown(v);
	errno = -e;
	return e == -ENOMEM ? RC_OPEN_NOMEM : rc;
}

/* The private state behind *v, the lock, the tables and the two strings. */
static int state_init(struct opae_vfio *v, const char *pciaddr)
{
	struct vfio_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (pthread_mutex_init(&v->lock, NULL)) {
		free(s);
		return -ENOMEM;
	}
	s->magic = VFIO_STATE_MAGIC;
	s->park_fd = -1; /* irq.c: created with the first MSI vector */
	snprintf(s->name, sizeof(s->name), "%s", pciaddr);
	iova_init(&s->iova);
	v->iova_alloc.priv = s;
	v->cont_buffers.priv = &s->tab;
	if (buftab_init(&s->tab) || buftab_init(&s->pins))
		return -ENOMEM;
	v->cont_device = strdup("/dev/vfio/vfio");
	v->cont_pciaddr = strdup(pciaddr);
	return v->cont_device && v->cont_pciaddr ? 0 : -ENOMEM;
}

/* `secure`: a VF token is required (secure_open), also when token is NULL. */
static int vfio_open_common(struct opae_vfio *v, const char *pciaddr, const char *token,
                            bool secure)
{
	struct vfio_state *s;
	int group = -1, e;

	if (!v) {
		errno = EINVAL;
		return RC_OPEN_BADARG;
	}
	close_reset_fields(v);
	if (!sysfs_valid_pciaddr(pciaddr)) {
		log_err(pciaddr ? pciaddr : "(null)", EINVAL,
		        "open: PCI address must look like 0000:00:03.0");
		errno = EINVAL;
		return RC_OPEN_BADARG;
	}
	if (secure && !sysfs_valid_token(token)) {
		log_err(pciaddr, EINVAL,
		        "secure_open: %s; it must be a UUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
		        token ? "malformed VF token" : "no VF token");
		errno = EINVAL;
		return RC_OPEN_BADARG;
	}

	if ((e = state_init(v, pciaddr)))
		return fail(v, RC_OPEN_NOMEM, e);
	s = vfio_state_of(v);
	if ((e = sysfs_find_group(pciaddr, &group)))
		return fail(v, RC_OPEN_NODEV, e);
	if ((e = iommu_open(v, s)))
		return fail(v, RC_OPEN_CONTAINER, e);
	if ((e = group_open(v, s, group)))
		return fail(v, RC_OPEN_BUSY, e);
	if ((e = group_check_viable(s, group)))
		return fail(v, RC_OPEN_UNVIABLE, e);
	if ((e = group_attach(v, s)))
		return fail(v, RC_OPEN_CONTAINER, e);
	if ((e = iommu_setup(v, s)))
		return fail(v, RC_OPEN_CONTAINER, e);
	if ((e = device_open(v, s, token)))
		return fail(v, e == -EBUSY ? RC_OPEN_BUSY : RC_OPEN_DEVICE, e);
	/* the device's own set-up: memory + bus master, regions, IRQ info */
	if ((e = device_enable(v, s)) || (e = region_setup_all(v, s)) || (e = irq_setup_all(v, s)))
		return fail(v, RC_OPEN_DEVICE, e);

	log_debug(s->name, "open: group %d, %s, %u regions, %u IRQ indexes", group,
	          s->type1v2 ? "Type1v2" : "Type1", v->device.device_num_regions,
	          v->device.device_num_irqs);
	return RC_OK;
}

OPAE_VFIO_EXPORT int opae_vfio_open(struct opae_vfio *v, const char *pciaddr)
{
	return vfio_open_common(v, pciaddr, NULL, false);
}

OPAE_VFIO_EXPORT int opae_vfio_secure_open(struct opae_vfio *v, const char *pciaddr,
                                           const char *token)
{
	return vfio_open_common(v, pciaddr, token, true);
}
