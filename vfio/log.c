/* log.c - leveled logging for the core library (see log.h). The level is read
 * once from LIBOPAE_LOG, like OPAE; lines are written with one write() so
 * concurrent threads do not interleave inside a line. Every formatted write is
 * bounded by its buffer; a line that does not fit ends in a visible marker. */
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

/* What replaces the end of a line that did not fit. */
#define LOG_TRUNCATED "...[truncated]"

static int log_level = LOGL_ERROR;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
__thread int log_quiet;

static void log_read_level(void)
{
	const char *s = getenv("LIBOPAE_LOG");
	char *end;
	long l;

	if (!s || !*s)
		return;
	l = strtol(s, &end, 10);
	if (*end == '\0' && l >= 0)
		log_level = l > LOGL_DEBUG ? LOGL_DEBUG : (int)l;
}

int log_enabled(enum log_level level)
{
	pthread_once(&log_once, log_read_level);
	return (int)level <= log_level;
}

int log_vappendf(char *buf, size_t cap, size_t *used, const char *fmt, va_list ap)
{
	int r;

	if (!cap)
		return -1;
	if (*used >= cap) {
		*used = cap - 1;
		buf[*used] = '\0';
		return -1;
	}
	r = vsnprintf(buf + *used, cap - *used, fmt, ap);
	if (r < 0) {
		buf[*used] = '\0';
		return -1;
	}
	if ((size_t)r >= cap - *used) {
		*used = cap - 1; /* vsnprintf wrote up to here and a NUL */
		return -1;
	}
	*used += (size_t)r;
	return 0;
}

int log_appendf(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_vappendf(buf, cap, used, fmt, ap);
	va_end(ap);
	return r;
}

const char *log_size(uint64_t n, char *buf, size_t len)
{
	static const struct {
		unsigned shift;
		const char *unit;
	} units[] = {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t u = 1ull << units[i].shift;

		if (n >= u && !(n % u)) {
			snprintf(buf, len, "%llu %s", (unsigned long long)(n >> units[i].shift),
			         units[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	return buf;
}

void log_vline(enum log_level level, const char *dev, int err, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[512];
	char ebuf[128];
	size_t n = 0;
	int cut;

	if (log_quiet && level == LOGL_ERROR)
		level = LOGL_DEBUG;
	if (!log_enabled(level)) {
		errno = saved;
		return;
	}
	/* leave room for the newline: the text may use line[0..sizeof-2] */
	cut = log_appendf(line, sizeof(line) - 1, &n, "opae-vfio: %s: ", dev && *dev ? dev : "-");
	cut |= log_vappendf(line, sizeof(line) - 1, &n, fmt, ap);
	if (err > 0)
		cut |= log_appendf(line, sizeof(line) - 1, &n, ": %s",
		                   strerror_r(err, ebuf, sizeof(ebuf)));
	if (cut) {
		n = sizeof(line) - 1 - (sizeof(LOG_TRUNCATED) - 1);
		memcpy(line + n, LOG_TRUNCATED, sizeof(LOG_TRUNCATED) - 1);
		n += sizeof(LOG_TRUNCATED) - 1;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

void log_line(enum log_level level, const char *dev, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(level, dev, err, fmt, ap);
	va_end(ap);
}
