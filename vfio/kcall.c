/* kcall.c - every ioctl of the library goes through kcall() (vfio_priv.h):
 * it names the request, logs one line when the kernel refuses, returns
 * -errno, and at LIBOPAE_LOG=2 traces each call with its result. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfio_priv.h"

int kcall_do(const char *dev, int fd, unsigned long req, const char *req_name, void *arg,
             int expected, const char *fmt, ...)
{
	int r = ioctl(fd, req, arg), e = r < 0 ? errno : 0;
	int fail_logged = r < 0 && expected >= 0 && e != expected;
	char ctx[256];
	size_t n = 0;
	va_list ap;

	if (!fail_logged && !log_enabled(LOGL_DEBUG))
		return r < 0 ? -e : r;
	va_start(ap, fmt);
	ctx[0] = '\0';
	log_vappendf(ctx, sizeof(ctx), &n, fmt, ap);
	va_end(ap);
	if (fail_logged)
		log_err(dev, e, "%s%s", req_name, ctx);
	else if (r < 0)
		log_debug(dev, "ioctl %s%s = -1 (%s)", req_name, ctx, strerror(e));
	else
		log_debug(dev, "ioctl %s%s = %d", req_name, ctx, r);
	return r < 0 ? -e : r;
}
