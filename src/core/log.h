/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h - the server's tiny logger.
 *
 * vmdnsd logs to stdout, as CoreDNS does, one line per event, with a
 * CoreDNS-style level prefix ("[INFO] ...", "[WARNING] ...", "[ERROR] ..."),
 * so the output reads the same under systemd, docker or a terminal; errors
 * that stop the start go to stderr (see log_started). Every line is
 * formatted into a buffer first and written with a single write(2), so
 * lines from different threads never interleave. There is no logger
 * object; the only process-wide state is the log_started() switch, and a
 * caller-owned "once" flag keeps messages that could otherwise repeat for
 * every query (a bad record, a full queue) to one line.
 */
#ifndef VMDNS_CORE_LOG_H
#define VMDNS_CORE_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef enum { LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level_t;

/* Write one line at `level` (a newline is added; long lines are cut). */
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same with a va_list. */
void log_vmsg(log_level_t level, const char *fmt, va_list ap);

/* An error that stops vmdnsd from starting: always on stderr. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* vmdnsd is serving: from now on [ERROR] lines go to stdout with the
 * others (before, they go to stderr, where startup failures belong). */
void log_started(void);

#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

/* A flag owned by the caller (a plugin's state, a backend) that makes a
 * message appear once only. Initialise with LOG_ONCE_INIT or zero it. */
typedef struct log_once {
    atomic_bool done;
} log_once_t;
#define LOG_ONCE_INIT                                                                              \
    {                                                                                              \
        false                                                                                      \
    }

/* Log the line only the first time this flag is used, from any thread.
 * Returns true if it was logged now. */
bool log_once(log_once_t *once, log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forget that the message was logged (e.g. after the condition cleared). */
void log_once_reset(log_once_t *once);

#endif
