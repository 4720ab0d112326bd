/* log.c - leveled logging for the core library (see log.h). The level is read
 * once from LIBOPAE_LOG, like OPAE; lines are written with one write() so
 * concurrent threads do not interleave inside a line. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r (returns the text), also when built by hand */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_level = VLOG_ERROR;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_read_level(void)
{
	const char *s = getenv("LIBOPAE_LOG");
	char *end;
	long l;

	if (!s || !*s)
		return;
	l = strtol(s, &end, 10);
	if (*end == '\0' && l >= 0)
		log_level = l > VLOG_DEBUG ? VLOG_DEBUG : (int)l;
}

int vlog_enabled(enum vlog_level level)
{
	pthread_once(&log_once, log_read_level);
	return (int)level <= log_level;
}

void vlog(enum vlog_level level, const char *dev, int err, const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	char ebuf[128];
	size_t n;
	va_list ap;
	int r;

	if (!vlog_enabled(level)) {
		errno = saved;
		return;
	}
	r = snprintf(line, sizeof(line), "opae-vfio: %s: ", dev && *dev ? dev : "-");
	n = r < 0 ? 0 : (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (err > 0) {
		const char *es = strerror_r(err, ebuf, sizeof(ebuf));
		r = snprintf(line + n, sizeof(line) - n, ": %s", es);
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}
