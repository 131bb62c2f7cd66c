/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * errwin.h - consolidation of repeated errors into one line per window.
 *
 * The first error after a quiet period is reported at once; the ones that
 * follow within `window_ms` are only counted, and when the window closes
 * one line says how many there were and what the first looked like:
 *
 *   2 vm-1.example.com. A: SERVFAIL
 *   41 errors like '2 vm-1.example.com. A: SERVFAIL' occurred in the last 10s
 *
 * Pure logic with the clock passed in, so it is tested without waiting.
 */
#ifndef VMDNS_ERRORS_ERRWIN_H
#define VMDNS_ERRORS_ERRWIN_H

#include <stdbool.h>
#include <stdint.h>

#define ERRWIN_SAMPLE_MAX 1100

typedef void (*errwin_emit_fn)(void *ctx, const char *line);

typedef struct errwin {
    uint64_t window_ms;
    bool open;          /* a window is running */
    uint64_t opened_ms; /* when it started */
    uint64_t repeats;   /* errors after the first, in this window */
    char first[ERRWIN_SAMPLE_MAX];
} errwin_t;

void errwin_init(errwin_t *w, uint64_t window_ms);

/* `n` new errors seen by `now_ms`; `sample` describes one of them (may be
 * "" if n is 0). Emits the lines that are due. */
void errwin_add(errwin_t *w, uint64_t now_ms, uint64_t n, const char *sample, errwin_emit_fn emit,
                void *ctx);

/* Report a running window now (shutdown). */
void errwin_flush(errwin_t *w, errwin_emit_fn emit, void *ctx);

#endif
