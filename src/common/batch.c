/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/batch.c - commands formatted in the Redis protocol into one
 * buffer (see batch.h).
 */
#include "common/batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append raw bytes. */
static void put(vmdns_batch_t *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + n)
            nc *= 2;
        char *nb = realloc(b->buf, nc);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

/* Append "<c><n>\r\n". */
static void put_num(vmdns_batch_t *b, char c, size_t n)
{
    char tmp[32];
    int l = snprintf(tmp, sizeof(tmp), "%c%zu\r\n", c, n);
    put(b, tmp, (size_t)l);
}

void vmdns_batch_argv(vmdns_batch_t *b, int argc, const char *const *argv, const size_t *lens)
{
    put_num(b, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        size_t l = lens ? lens[i] : strlen(argv[i]);
        put_num(b, '$', l);
        put(b, argv[i], l);
        put(b, "\r\n", 2);
    }
    b->ncmd++;
}

void vmdns_batch_cmd(vmdns_batch_t *b, const char *arg0, ...)
{
    const char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 64; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    vmdns_batch_argv(b, argc, argv, NULL);
}

void vmdns_batch_reset(vmdns_batch_t *b)
{
    b->len = 0;
    b->ncmd = 0;
    b->oom = 0;
}

void vmdns_batch_free(vmdns_batch_t *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}
