/* log.h - the core library's single voice: leveled messages on stderr.
 * Owns the LIBOPAE_LOG level (0 errors, 1 info, 2 debug) and the line format. */
#ifndef VFIO_LOG_H
#define VFIO_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOGL_ERROR = 0, LOGL_INFO = 1, LOGL_DEBUG = 2 };

/* One line "opae-vfio: <dev>: <message>[: <strerror(err)>]" if `level` is
 * enabled. err <= 0 appends nothing. errno is preserved. */
void log_line(enum log_level level, const char *dev, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void log_vline(enum log_level level, const char *dev, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#define log_err(dev, err, ...) log_line(LOGL_ERROR, (dev), (err), __VA_ARGS__)
#define log_info(dev, ...)     log_line(LOGL_INFO, (dev), 0, __VA_ARGS__)
#define log_debug(dev, ...)    log_line(LOGL_DEBUG, (dev), 0, __VA_ARGS__)

int log_enabled(enum log_level level);

/* While non-zero, this thread's error lines are logged at debug level (an
 * allocation with OPAE_VFIO_BUF_QUIET). */
extern __thread int log_quiet;

/* Bounded formatted append: write at buf[*used] without ever passing
 * buf[cap-1] (the NUL). 0 if it all fit, -1 if the text was cut (then
 * *used == cap - 1). Every formatted write of the library goes through
 * these or through a plain snprintf whose result is not reused. */
int log_appendf(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int log_vappendf(char *buf, size_t cap, size_t *used, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* "8 KiB", "2 MiB", "1 GiB" or "12345 bytes" into buf; returns buf. */
const char *log_size(uint64_t n, char *buf, size_t len);

#endif
