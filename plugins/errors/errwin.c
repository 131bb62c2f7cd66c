/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * errwin.c - one line per error burst (see errwin.h).
 */
#include "errors/errwin.h"

#include <stdio.h>
#include <string.h>

void errwin_init(errwin_t *w, uint64_t window_ms)
{
    memset(w, 0, sizeof(*w));
    w->window_ms = window_ms;
}

static void errwin_close(errwin_t *w, errwin_emit_fn emit, void *ctx)
{
    if (w->repeats > 0) {
        char line[ERRWIN_SAMPLE_MAX + 96];
        snprintf(line, sizeof(line), "%llu errors like '%s' occurred in the last %llus",
                 (unsigned long long)w->repeats, w->first,
                 (unsigned long long)(w->window_ms / 1000));
        emit(ctx, line);
    }
    w->open = false;
    w->repeats = 0;
}

void errwin_add(errwin_t *w, uint64_t now_ms, uint64_t n, const char *sample, errwin_emit_fn emit,
                void *ctx)
{
    if (w->open && now_ms - w->opened_ms >= w->window_ms) {
        errwin_close(w, emit, ctx);
    }
    if (n == 0) {
        return;
    }
    if (!w->open) {
        snprintf(w->first, sizeof(w->first), "%s", sample != NULL && sample[0] ? sample : "error");
        emit(ctx, w->first);
        w->open = true;
        w->opened_ms = now_ms;
        w->repeats = n - 1;
        return;
    }
    w->repeats += n;
}

void errwin_flush(errwin_t *w, errwin_emit_fn emit, void *ctx)
{
    if (w->open) {
        errwin_close(w, emit, ctx);
    }
}
