// SPDX-License-Identifier: BSD-3-Clause
/* session.c - devices open in this process (one struct opae_vfio each, shared
 * by every handle on the device, reference counted) and the SR-IOV VF token:
 * a VF whose PF is bound to vfio-pci opens only with the PF's token, so the
 * PF is opened once per process with one token and every VF presents it
 * (OPAE opens the PF again for each VF and so fails the second VF). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#include <linux/vfio.h>

#include "plugin_priv.h"

/* A fresh random (version 4) UUID as text. */
static int random_token(char out[CFG_UUID_MAX])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, CFG_UUID_MAX,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
	return 0;
}

/* The PF record of a VF whose PF is bound to vfio-pci, else NULL. */
static struct pl_dev *vfio_pf_of(const struct pl_dev *dev)
{
	struct pl_dev *pf;

	if (!dev->pci.physfn[0])
		return NULL;
	pf = registry_find(dev->pci.physfn);
	return pf && pf->present ? pf : NULL;
}

static const char *configured_token(const struct pl_dev *dev, const struct pl_dev *pf)
{
	if (dev->claimed && dev->rule.vf_token[0])
		return dev->rule.vf_token;
	if (pf && pf->claimed && pf->rule.vf_token[0])
		return pf->rule.vf_token;
	return "";
}

const char *session_known_vf_token(struct pl_dev *dev)
{
	struct pl_dev *pf = vfio_pf_of(dev);
	const char *t;

	if (!pf)
		return "";
	if (pf->session && pf->session->token[0])
		return pf->session->token; /* in effect: we set it */
	t = configured_token(dev, pf);
	if (*t)
		return t; /* in effect if someone opened the PF with it */
	return pf->proc_token; /* what this process set last, or "" */
}

/* Core open result -> fpga_result, with the reason the core logged. */
static fpga_result open_result(int rc, int err)
{
	if (!rc)
		return FPGA_OK;
	switch (err) {
	case EBUSY:
		return FPGA_BUSY;
	case EACCES:
	case EPERM:
		/* rc 6: the device step refused the VF token (its VFs are in
		 * use with another one); else no permission on /dev/vfio */
		return rc == 6 ? FPGA_BUSY : FPGA_NO_ACCESS;
	case ENOMEM:
		return FPGA_NO_MEMORY;
	case ENODEV:
	case ENOENT:
		return FPGA_NOT_FOUND;
	default:
		return FPGA_EXCEPTION;
	}
}

static fpga_result open_one(struct pl_dev *dev, const char *token, struct pl_session **out)
{
	struct pl_session *s = calloc(1, sizeof(*s));
	int rc, err;

	if (!s)
		return FPGA_NO_MEMORY;
	if (token && *token)
		rc = opae_vfio_secure_open(&s->v, dev->pci.addr, token);
	else
		rc = opae_vfio_open(&s->v, dev->pci.addr);
	err = errno;
	if (rc) {
		free(s);
		return open_result(rc, err);
	}
	s->refs = 1;
	s->dev = dev;
	if (token)
		snprintf(s->token, sizeof(s->token), "%s", token);
	dev->session = s;
	*out = s;
	return FPGA_OK;
}

/* The PF's session with a token (opening it if needed). *token in/out: the
 * token wanted on input, the one in effect on output. */
static fpga_result pf_session(struct pl_dev *pf, char token[CFG_UUID_MAX], struct pl_session **out)
{
	fpga_result r;

	if (pf->session) {
		pf->session->refs++;
		memcpy(token, pf->session->token, CFG_UUID_MAX);
		*out = pf->session;
		return FPGA_OK;
	}
	r = open_one(pf, token, out);
	if (r == FPGA_OK)
		memcpy(pf->proc_token, token, CFG_UUID_MAX);
	return r;
}

fpga_result session_get(struct pl_dev *dev, struct pl_session **out)
{
	struct pl_dev *pf = vfio_pf_of(dev);
	struct pl_session *pfs = NULL, *s;
	char token[CFG_UUID_MAX] = "";
	const char *conf = configured_token(dev, pf);
	fpga_result r;

	if (dev->session) {
		dev->session->refs++;
		*out = dev->session;
		return FPGA_OK;
	}
	if (!pf && !dev->pci.sriov_pf)
		return open_one(dev, NULL, out);
	if (*conf)
		snprintf(token, sizeof(token), "%s", conf);
	else if (pf && pf->proc_token[0])
		memcpy(token, pf->proc_token, sizeof(token));
	else if (!pf && dev->proc_token[0])
		memcpy(token, dev->proc_token, sizeof(token));
	else if (random_token(token))
		return FPGA_EXCEPTION;
	if (!pf) {
		/* an SR-IOV PF: opening it with a token sets the token its VFs
		 * need (the kernel refuses if VFs are in use with another) */
		r = open_one(dev, token, out);
		if (r == FPGA_OK)
			memcpy(dev->proc_token, token, sizeof(token));
		return r;
	}
	r = pf_session(pf, token, &pfs);
	if (r == FPGA_BUSY && *conf) {
		/* the PF is held elsewhere: with a configured token the VF
		 * opens if the holder set the same one */
		log_debug(dev->pci.addr, "PF %s is in use elsewhere; presenting the configured VF token",
		           pf->pci.addr);
	} else if (r != FPGA_OK) {
		log_err(dev->pci.addr, 0, "open: its PF %s (vfio-pci) could not be opened to share a VF token",
		         pf->pci.addr);
		return r;
	}
	r = open_one(dev, token, &s);
	if (r != FPGA_OK) {
		if (pfs)
			session_put(pfs);
		return r;
	}
	s->pf = pfs;
	*out = s;
	return FPGA_OK;
}

void session_put(struct pl_session *s)
{
	if (!s || --s->refs)
		return;
	opae_vfio_close(&s->v);
	s->dev->session = NULL;
	if (s->pf)
		session_put(s->pf);
	free(s);
}

fpga_result session_device_reset(struct pl_handle *h)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct pl_session *s = h->session;
	const char *addr = h->dev->pci.addr;
	fpga_result r = FPGA_OK;

	pthread_mutex_lock(&pl_reg.lock);
	if (s->refs != 1) {
		log_err(addr, 0, "fpgaReset: other handles (or VFs of this PF) use the device; a "
		                  "function reset would disturb them");
		r = FPGA_BUSY;
	} else if (h->dev->pci.numvfs) {
		log_err(addr, 0, "fpgaReset: the PF has %u VFs enabled; a function reset would "
		                  "reset them too",
		         h->dev->pci.numvfs);
		r = FPGA_BUSY;
	} else if (ioctl(s->v.device.device_fd, VFIO_DEVICE_GET_INFO, &info) ||
	           !(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		log_err(addr, 0, "fpgaReset: the device has no function reset (VFIO_DEVICE_RESET)");
		r = FPGA_NOT_SUPPORTED;
	} else if (ioctl(s->v.device.device_fd, VFIO_DEVICE_RESET)) {
		log_err(addr, errno, "fpgaReset: VFIO_DEVICE_RESET");
		r = FPGA_EXCEPTION;
	}
	pthread_mutex_unlock(&pl_reg.lock);
	return r;
}
