/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_cli.c - libFuzzer harness for two small parsers of issue 11:
 * vmdnsd's command line (src/cli_args.c: Go flag syntax over vmdnsd's and
 * CoreDNS's options) and the query log's format compiler and renderer
 * (plugins/log/logformat.c).
 *
 * The input is split at newlines into argv[1..] (at most 32 words): the
 * parser must return 0 or -1 with a one-line, NUL-terminated reason, and
 * on success point only into argv or at "Corefile". The whole input is
 * also compiled as a log format; a compiled format is rendered for a
 * request with and without a question, into a buffer whose every size
 * from 0 to the full line must give the whole line or 0, never more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "log/logformat.h"

#define MAX_ARGS 32

static void check(int ok)
{
    if (!ok) {
        abort();
    }
}

static void fuzz_args(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    check(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[MAX_ARGS + 2] = {"vmdnsd"};
    int argc = 1;
    for (char *p = copy; argc <= MAX_ARGS;) {
        argv[argc++] = p;
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        if (nl == NULL) {
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    cli_args_t a;
    char err[256];
    err[0] = 'x';
    if (cli_args_parse(argc, argv, &a, err, sizeof(err)) == 0) {
        check(a.path != NULL);
        check(a.path_defaulted ? strcmp(a.path, "Corefile") == 0
                               : (a.path >= copy && a.path <= copy + size));
        check(a.dns_port <= 65535);
    } else {
        check(memchr(err, '\0', sizeof(err)) != NULL && strchr(err, '\n') == NULL);
    }
    free(copy);
}

static void fuzz_format(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    check(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    logformat_t f;
    char why[200];
    if (logformat_compile(text, &f, why, sizeof(why)) == 0) {
        static wire_query_t q;
        static uint8_t resp[64];
        memset(&q, 0, sizeof(q));
        request_t req = {.q = &q, .resp = resp, .resp_cap = sizeof(resp)};
        for (int with_question = 0; with_question < 2; with_question++) {
            if (with_question) {
                q.has_question = true;
                q.qname[0] = 0; /* the root */
                q.qname_len = 1;
                q.qtype = 1;
                q.qclass = 1;
                req.resp_len = 12;
            }
            char line[8192];
            size_t full = logformat_render(&f, &req, 1000, line, sizeof(line));
            for (size_t cap = 0; cap <= full + 1 && cap <= sizeof(line); cap++) {
                size_t n = logformat_render(&f, &req, 1000, line, cap);
                check(n == 0 || (n == full && n < cap));
            }
        }
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }
    fuzz_args(data, size);
    fuzz_format(data, size);
    return 0;
}
