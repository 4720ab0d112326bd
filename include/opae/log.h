/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/log.h - the OPAE C library's log sink, for plugins that want their
 * messages to follow LIBOPAE_LOG / LIBOPAE_LOGFILE like the framework's own.
 */
#ifndef OPAE_LOG_H
#define OPAE_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels (LIBOPAE_LOG selects the most verbose level printed). */
#define OPAE_LOG_ERROR   0
#define OPAE_LOG_MESSAGE 1
#define OPAE_LOG_DEBUG   2

/* Print one printf-style message at loglevel (implemented by libopae-c). */
void opae_print(int loglevel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* OPAE_LOG_H */
