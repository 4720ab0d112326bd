// SPDX-License-Identifier: BSD-3-Clause
/* log.c - the framework's one voice: opae_print (what OPAE programs and
 * plugins call through their logging macros) and fw_log for our own lines.
 *
 * Like OPAE: LIBOPAE_LOG selects the most verbose level printed (0 errors,
 * the default; 1 messages; 2 debug). Errors go to stderr, the rest to
 * stdout, unless LIBOPAE_LOGFILE names a file (a relative path, or one under
 * /tmp/), which then receives everything. Each message is written with one
 * write() so lines of concurrent threads do not interleave. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_priv.h"

static int log_level = OPAE_LOG_ERROR;
static int log_fd = -1; /* LIBOPAE_LOGFILE, or -1 */
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_setup(void)
{
	const char *s = getenv("LIBOPAE_LOG");
	const char *file = getenv("LIBOPAE_LOGFILE");
	char *end;
	long l;

	if (s && *s) {
		l = strtol(s, &end, 10);
		if (*end == '\0' && l >= 0)
			log_level = l > OPAE_LOG_DEBUG ? OPAE_LOG_DEBUG : (int)l;
	}
	if (file && *file) {
		if (file[0] != '/' || !strncmp(file, "/tmp/", 5))
			log_fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			char line[256];
			int n = snprintf(
			    line, sizeof(line),
			    "libopae-c: LIBOPAE_LOGFILE %s: %s; logging to the console\n", file,
			    file[0] == '/' && strncmp(file, "/tmp/", 5)
			        ? "absolute paths must be under /tmp/"
			        : strerror(errno));
			if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
				/* nowhere left to say it */
			}
		}
	}
}

void fw_log_init(void)
{
	pthread_once(&log_once, log_setup);
}

void fw_log_fini(void)
{
	if (log_fd >= 0) {
		close(log_fd);
		log_fd = -1;
	}
}

bool fw_log_enabled(int level)
{
	pthread_once(&log_once, log_setup);
	return level <= log_level;
}

static void log_write(int level, const char *buf, size_t n)
{
	int fd = log_fd >= 0 ? log_fd : level == OPAE_LOG_ERROR ? STDERR_FILENO : STDOUT_FILENO;

	if (level != OPAE_LOG_ERROR && log_fd < 0)
		fflush(stdout); /* keep order with the program's own buffered output */
	if (write(fd, buf, n) < 0) {
		/* nowhere left to report it */
	}
}

/* Format prefix + fmt into a bounded line; newline added when nl. */
static void log_vprint(int level, const char *prefix, bool nl, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[1024];
	size_t n = 0;
	int r;

	if (!fw_log_enabled(level)) {
		errno = saved;
		return;
	}
	if (prefix) {
		r = snprintf(line, sizeof(line), "%s", prefix);
		n = r > 0 ? (size_t)r : 0;
	}
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (nl && (n == 0 || line[n - 1] != '\n'))
		line[n++] = '\n';
	log_write(level, line, n);
	errno = saved;
}

FW_API void opae_print(int loglevel, const char *fmt, ...)
{
	va_list ap;

	if (!fmt)
		return;
	va_start(ap, fmt);
	log_vprint(loglevel, NULL, false, fmt, ap);
	va_end(ap);
}

void fw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, "libopae-c: ", true, fmt, ap);
	va_end(ap);
}
