/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * errors.c - the `errors` plugin: log failed answers, repeats consolidated.
 *
 *   errors: true
 *   errors: {consolidate: 10s}   # the default window
 *   Corefile: errors [stdout] [{ consolidate DURATION [REGEXP [LEVEL] [show_first]]
 *                                 stacktrace }]
 *
 * As CoreDNS's `errors`, this reports what went wrong on the server side:
 * every SERVFAIL vmdnsd answers (a zone whose data is not there, an internal
 * failure), as `[ERROR] plugin/errors: 2 NAME. TYPE: SERVFAIL`. A storm of
 * them must neither flood the log nor slow the workers, so:
 *  - the `done` hook only counts, and leaves a sample line in its worker's
 *    slot when the slot is empty (no lock, no write(2) on a worker);
 *  - a timer on the control thread looks every second: the first error of a
 *    quiet period is logged as it is; further ones within the window are
 *    counted and reported once when it closes, as
 *    `N errors like '<first>' occurred in the last 10s` (errwin.c).
 */
#include <event2/event.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/mnemonic.h"
#include "core/plugin.h"
#include "errors/errwin.h"

#define ERRORS_DEFAULT_WINDOW_MS 10000u
#define ERRORS_TICK_MS           1000u

/* One worker's slot: written by that worker, read by the control thread. */
typedef struct errors_worker {
    _Alignas(64) _Atomic uint64_t count;
    _Atomic int sample_ready; /* 1: `sample` holds a line not yet taken */
    char sample[ERRWIN_SAMPLE_MAX];
} errors_worker_t;

typedef struct errors {
    unsigned nworkers;
    errors_worker_t *workers;
    struct event *tick;
    uint64_t seen; /* control thread: sum of counts at the last tick */
    errwin_t win;
} errors_t;

static uint64_t errors_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void errors_done(void *state, request_t *req)
{
    errors_t *e = state;
    if (e == NULL || req->meta.rcode != WIRE_RCODE_SERVFAIL || req->worker >= e->nworkers) {
        return;
    }
    errors_worker_t *w = &e->workers[req->worker];
    uint64_t c = atomic_load_explicit(&w->count, memory_order_relaxed);
    atomic_store_explicit(&w->count, c + 1, memory_order_relaxed);
    if (atomic_load_explicit(&w->sample_ready, memory_order_acquire) == 0) {
        char name[NAME_MAX_WIRE * 4 + 2], tbuf[MNEMONIC_BUF];
        const wire_query_t *q = req->q;
        if (name_to_text(q->qname, q->qname_len, name, sizeof(name)) == 0) {
            snprintf(name, sizeof(name), ".");
        }
        snprintf(w->sample, sizeof(w->sample), "%u %s %s: SERVFAIL", (unsigned)req->meta.rcode,
                 name, mnemonic_type(q->qtype, tbuf));
        atomic_store_explicit(&w->sample_ready, 1, memory_order_release);
    }
}

/* errwin's output: the server log. */
static void errors_emit(void *ctx, const char *line)
{
    log_error("plugin/errors: %s", line);
}

static void errors_tick(evutil_socket_t fd, short what, void *arg)
{
    errors_t *e = arg;
    uint64_t total = 0;
    char sample[ERRWIN_SAMPLE_MAX] = "";
    for (unsigned i = 0; i < e->nworkers; i++) {
        errors_worker_t *w = &e->workers[i];
        total += atomic_load_explicit(&w->count, memory_order_relaxed);
        if (atomic_load_explicit(&w->sample_ready, memory_order_acquire) == 1) {
            if (sample[0] == '\0') {
                memcpy(sample, w->sample, sizeof(sample));
            }
            atomic_store_explicit(&w->sample_ready, 0, memory_order_release);
        }
    }
    uint64_t fresh = total - e->seen;
    e->seen = total;
    errwin_add(&e->win, errors_now_ms(), fresh, sample, errors_emit, NULL);
}

static int errors_start(void *state)
{
    errors_t *e = state;
    if (e == NULL) {
        return 0;
    }
    struct timeval tv = {ERRORS_TICK_MS / 1000, (ERRORS_TICK_MS % 1000) * 1000};
    return e->tick != NULL ? evtimer_add(e->tick, &tv) : -1;
}

static void errors_teardown(void *state)
{
    errors_t *e = state;
    if (e == NULL) {
        return;
    }
    if (e->tick != NULL) {
        errors_tick(-1, 0, e); /* what the workers counted since the last tick */
        errwin_flush(&e->win, errors_emit, NULL);
        event_free(e->tick);
    }
    free(e->workers);
    free(e);
}

/* The parsed `errors:` section. */
typedef struct errors_conf {
    bool enabled;
    uint64_t window_ms;
    unsigned workers; /* slots to allocate (resolved: never 0) */
    cfg_pos_t at;
} errors_conf_t;

static int errors_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    errors_conf_t c = {.enabled = true, .window_ms = ERRORS_DEFAULT_WINDOW_MS};
    if (cfg->kind == CFG_SCALAR) {
        if (cfg_bool(cfg, &c.enabled, err) != 0) {
            return -1;
        }
    } else if (cfg->kind == CFG_MAP) {
        cfg_node_t *w = cfg_get(cfg, "consolidate");
        if (w != NULL && cfg_duration_ms(w, &c.window_ms, err) != 0) {
            return -1;
        }
        if (c.window_ms < ERRORS_TICK_MS) {
            return cfg_fail(err, w, "errors: consolidate must be at least 1s");
        }
    } else {
        return cfg_fail(err, cfg, "errors: expected true/false or {consolidate: DURATION}");
    }
    c.workers = penv->workers;
    if (c.workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c.workers = n > 0 ? (unsigned)n : 1;
    }
    cfg_pos_of(cfg, &c.at);
    errors_conf_t *out = malloc(sizeof(*out));
    if (out == NULL) {
        return cfg_fail(err, cfg, "errors: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

static bool errors_conf_equal(const void *a, const void *b)
{
    const errors_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->window_ms == y->window_ms && x->workers == y->workers;
}

static int errors_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const errors_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0;
    }
    errors_t *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->workers = aligned_alloc(64, sizeof(*e->workers) * c->workers)) == NULL) {
        free(e);
        return cfg_fail_pos(err, &c->at, "errors: out of memory");
    }
    memset(e->workers, 0, sizeof(*e->workers) * c->workers);
    e->nworkers = c->workers;
    errwin_init(&e->win, c->window_ms);
    e->tick = event_new(env->control, -1, EV_PERSIST, errors_tick, e);
    if (e->tick == NULL) {
        errors_teardown(e);
        return cfg_fail_pos(err, &c->at, "errors: cannot create the timer");
    }
    *state = e;
    return 0;
}

/* One `consolidate DURATION [REGEXP [LEVEL] [show_first]]` line of
 * CoreDNS's errors block: the pattern is checked (POSIX extended syntax,
 * close to Go's for the patterns people write), the level must be one of
 * CoreDNS's; vmdnsd consolidates every repeated error, so the pattern,
 * level and show_first (vmdnsd always shows the first) change nothing. */
static int errors_consolidate_extra(const cf_line_t *l, cfg_error_t *err)
{
    if (l->nargs < 2) {
        return 0;
    }
    regex_t re;
    if (regcomp(&re, l->args[1].text, REG_EXTENDED | REG_NOSUB) != 0) {
        return cf_fail(err, &l->args[1], "errors: consolidate: bad regular expression '%s'",
                       l->args[1].text);
    }
    regfree(&re);
    size_t i = 2;
    if (i < l->nargs && strcmp(l->args[i].text, "show_first") != 0) {
        static const char *const levels[] = {"warning", "error", "info", "debug"};
        bool ok = false;
        for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
            ok = ok || strcmp(l->args[i].text, levels[k]) == 0;
        }
        if (!ok) {
            return cf_fail(err, &l->args[i],
                           "errors: consolidate: level '%s' is not warning, error, info or debug",
                           l->args[i].text);
        }
        i++;
    }
    if (i < l->nargs && strcmp(l->args[i].text, "show_first") == 0) {
        i++;
    }
    if (i < l->nargs) {
        return cf_fail(err, &l->args[i], "errors: consolidate: unexpected '%s'", l->args[i].text);
    }
    log_info("%s:%d: errors: consolidate %s: vmdnsd consolidates every repeated error "
             "(showing the first) whatever the pattern and level",
             l->opt->file, l->opt->line, l->args[1].text);
    return 0;
}

/* `errors [stdout] [{ ... }]` in a Corefile: `errors: true` or
 * `errors: {consolidate: DURATION}`. `stdout` (CoreDNS's older syntax) is
 * where vmdnsd's log goes anyway. */
static int errors_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (d->nargs == 1 && strcmp(d->args[0].text, "stdout") != 0) {
        return cf_fail(err, &d->args[0], "errors: '%s': the only output is stdout (vmdnsd's log)",
                       d->args[0].text);
    }
    if (cf_max_args(d, 1, err) != 0) {
        return -1;
    }
    if (!d->block) {
        return cf_put(cf_root(ctx), "errors", d->name, "true", err);
    }
    cfg_node_t *m = cf_put_node(cf_root(ctx), "errors", d->name, CFG_MAP, err);
    if (m == NULL) {
        return -1;
    }
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        const cf_token_t *t = l.opt;
        if (strcmp(t->text, "stacktrace") == 0) { /* Go panics' stack: nothing to do in C */
            if (l.nargs != 0) {
                return cf_fail(err, t, "errors: stacktrace takes no argument");
            }
            continue;
        }
        if (strcmp(t->text, "consolidate") != 0) {
            return cf_fail(err, t, "errors: unknown option '%s'", t->text);
        }
        if (l.nargs < 1 || l.nargs > 4) {
            return cf_fail(err, t, "errors: consolidate DURATION [REGEXP [LEVEL] [show_first]]");
        }
        if (errors_consolidate_extra(&l, err) != 0) {
            return -1;
        }
        /* Several lines (one per pattern in CoreDNS): the first window. */
        if (cfg_peek(m, "consolidate") == NULL &&
            cf_put(m, "consolidate", &l.args[0], l.args[0].text, err) != 0) {
            return -1;
        }
    }
    return 0;
}

const plugin_t plugin_errors = {
    .name = "errors",
    .config_key = "errors",
    .parse = errors_parse,
    .conf_equal = errors_conf_equal,
    .conf_free = free,
    .setup = errors_setup,
    .corefile = errors_corefile,
    .start = errors_start,
    .done = errors_done,
    .teardown = errors_teardown,
};
