/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_log.c - the daemon's logger (src/core/log.c): one whole line per
 * call, and data quoted in a message cannot start a line of its own; lines
 * go to stdout as CoreDNS's, errors to stderr until log_started().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Run fn with file descriptor fd sent into a pipe; return what it wrote
 * there (possibly nothing). */
static size_t capture_fd(int fd, void (*fn)(void), char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(fd);
    dup2(fds[1], fd);
    fn();
    dup2(saved, fd);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], out, cap - 1);
    close(fds[0]);
    assert_true(n >= 0);
    out[n] = '\0';
    return (size_t)n;
}

/* What fn wrote to stdout (the log's destination): something. */
static size_t capture(void (*fn)(void), char *out, size_t cap)
{
    size_t n = capture_fd(STDOUT_FILENO, fn, out, cap);
    assert_true(n > 0);
    return n;
}

static void log_forged_line(void)
{
    log_msg(LOG_LEVEL_WARN, "bad value in field '%s'", "x\n[INFO] forged\r\x1b[2J");
}

static void test_control_bytes_do_not_break_the_line(void **state)
{
    (void)state;
    char out[2048];
    capture(log_forged_line, out, sizeof(out));
    /* exactly one line, ending in the one newline the logger adds */
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_string_equal(nl, "\n");
    assert_non_null(strstr(out, "x?[INFO] forged??[2J"));
}

static void log_plain(void)
{
    log_msg(LOG_LEVEL_INFO, "zone %s: %d names", "example.com.", 12);
}

static void test_plain_message(void **state)
{
    (void)state;
    char out[2048];
    capture(log_plain, out, sizeof(out));
    assert_non_null(strstr(out, "zone example.com.: 12 names\n"));
    assert_non_null(strstr(out, "[INFO]"));
}

static void log_error_line(void)
{
    log_error("port in use");
}

static void log_fatal_line(void)
{
    log_fatal("bad config");
}

/* Before log_started() an [ERROR] goes to stderr (a failed start is seen
 * there, as CoreDNS's fatal errors); after it, to stdout with the rest.
 * log_fatal() is always stderr. */
static void test_error_destination(void **state)
{
    (void)state;
    char out[2048];
    assert_int_equal(capture_fd(STDOUT_FILENO, log_error_line, out, sizeof(out)), 0);
    capture_fd(STDERR_FILENO, log_error_line, out, sizeof(out));
    assert_string_equal(out, "[ERROR] port in use\n");
    log_started();
    assert_int_equal(capture_fd(STDERR_FILENO, log_error_line, out, sizeof(out)), 0);
    capture(log_error_line, out, sizeof(out));
    assert_string_equal(out, "[ERROR] port in use\n");
    capture_fd(STDERR_FILENO, log_fatal_line, out, sizeof(out));
    assert_string_equal(out, "[ERROR] bad config\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_bytes_do_not_break_the_line),
        cmocka_unit_test(test_plain_message),
        cmocka_unit_test(test_error_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
