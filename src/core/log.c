/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c - one line to stdout per call, written atomically.
 *
 * stdout, as CoreDNS (its operational log is on stdout): a unit or
 * container that collects CoreDNS's output collects vmdnsd's. Errors that
 * stop the start (a bad config, a port in use) go to stderr, as CoreDNS's
 * fatal startup errors do, so a user at a terminal or a script that reads
 * stderr sees why: until main calls log_started(), [ERROR] lines go to
 * stderr; after it, every line goes to stdout. That switch is the only
 * state here.
 *
 * The line is built in a stack buffer and handed to the kernel in one
 * write(2), which keeps lines from several worker and backend threads whole
 * without a lock (stdout is a pipe or a terminal, and our lines are shorter
 * than PIPE_BUF). stdio is not used, so a log call never blocks on another
 * thread's stdio lock and never allocates.
 */
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static atomic_bool log_running; /* log_started() was called */

void log_started(void)
{
    atomic_store(&log_running, true);
}

static const char *log_prefix(log_level_t level)
{
    switch (level) {
    case LOG_LEVEL_WARN:
        return "[WARNING] ";
    case LOG_LEVEL_ERROR:
        return "[ERROR] ";
    case LOG_LEVEL_INFO:
    default:
        return "[INFO] ";
    }
}

/* Format and write one line to fd. */
static void log_write(int fd, log_level_t level, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    const char *prefix = log_prefix(level);
    size_t len = strlen(prefix);
    memcpy(line, prefix, len);

    int n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
    if (n < 0) {
        n = 0;
    }
    len += (size_t)n < sizeof(line) - len - 1 ? (size_t)n : sizeof(line) - len - 2;
    /* Messages quote data from outside (Redis keys and values, config
     * text): a newline or other control byte in it must not start a forged
     * log line or reach a terminal, so it becomes '?'. */
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            line[i] = '?';
        else if (line[i] == 0x7f)
            line[i] = '?';
    }
    line[len++] = '\n';

    int saved = errno; /* logging must not disturb the caller's errno */
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
    errno = saved;
}

void log_vmsg(log_level_t level, const char *fmt, va_list ap)
{
    bool to_stderr = level == LOG_LEVEL_ERROR && !atomic_load(&log_running);
    log_write(to_stderr ? STDERR_FILENO : STDOUT_FILENO, level, fmt, ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(STDERR_FILENO, LOG_LEVEL_ERROR, fmt, ap);
    va_end(ap);
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

bool log_once(log_once_t *once, log_level_t level, const char *fmt, ...)
{
    if (atomic_load_explicit(&once->done, memory_order_relaxed) ||
        atomic_exchange(&once->done, true)) {
        return false;
    }
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
    return true;
}

void log_once_reset(log_once_t *once)
{
    atomic_store(&once->done, false);
}
