/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.c - the `reload` plugin: read the config again when it changes,
 * as CoreDNS's reload plugin does.
 *
 *   reload: {interval: 30s, jitter: 15s}   # or `reload: true` for these defaults
 *   reload: {watch: [more.conf]}           # other files whose change reloads too
 *   Corefile: reload [INTERVAL [JITTER]]   (watch: the files the Corefile imports)
 *
 * Every INTERVAL (plus or minus a random part of JITTER, so that a fleet
 * started together does not reload together) it hashes the config file
 * given on the command line and, when the hash differs from the one it saw
 * last, asks main for a reload, exactly as SIGHUP would. Main builds the
 * new configuration next to the running one and switches only if it is
 * valid; a broken file is logged once (the hash is remembered, so the same
 * broken file is not tried again every interval) and the next change is
 * tried again.
 *
 * The config file is watched, and with it the files a Corefile imports
 * (their names are written to `watch` when the Corefile is read; a file a
 * glob would newly match is seen at the next reload). Zone files are the
 * `file` plugin's to watch (its `reload` option).
 *
 * No per-query hook: the plugin costs nothing while serving. The check runs
 * on the control thread (a small file read every few seconds).
 */
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/plugin.h"

#define RELOAD_DEFAULT_INTERVAL_MS 30000
#define RELOAD_DEFAULT_JITTER_MS   15000
#define RELOAD_MIN_INTERVAL_MS     1000
#define RELOAD_MAX_INTERVAL_MS     (24ull * 3600 * 1000)

typedef struct reload {
    char *path;
    char **watch; /* more files (imports) */
    size_t nwatch;
    uint64_t interval_ms;
    uint64_t jitter_ms;
    uint64_t hash; /* of the file as last seen */
    bool readable; /* it could be read last time */
    unsigned seed; /* rand_r state for the jitter */
    plugin_shared_t *shared;
    struct event *timer;
} reload_t;

/* 64-bit FNV-1a of the file's bytes, continuing from *out. Returns false
 * if it cannot be read. */
static bool reload_hash_one(const char *path, uint64_t *out)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return false;
    }
    uint64_t h = *out;
    unsigned char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        for (size_t i = 0; i < n; i++) {
            h = (h ^ buf[i]) * 0x100000001b3ull;
        }
    }
    bool ok = ferror(fp) == 0;
    fclose(fp);
    *out = (h ^ 0xff) * 0x100000001b3ull; /* a separator between files */
    return ok;
}

/* The hash of the config file and of every watched file, in order. */
static bool reload_hash_file(const char *path, char *const *watch, size_t nwatch, uint64_t *out)
{
    *out = 0xcbf29ce484222325ull;
    bool ok = reload_hash_one(path, out);
    for (size_t i = 0; i < nwatch; i++) {
        ok = reload_hash_one(watch[i], out) && ok;
    }
    return ok;
}

static void reload_free_watch(char **watch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(watch[i]);
    }
    free(watch);
}

/* A copy of a list of file names (NULL with n = 0 is fine). */
static char **reload_copy_watch(char *const *watch, size_t n, bool *ok)
{
    *ok = true;
    if (n == 0) {
        return NULL;
    }
    char **out = calloc(n, sizeof(*out));
    for (size_t i = 0; out != NULL && i < n; i++) {
        if ((out[i] = strdup(watch[i])) == NULL) {
            reload_free_watch(out, i);
            out = NULL;
        }
    }
    *ok = out != NULL;
    return out;
}

/* Arm the timer for the next check: interval +- jitter. */
static void reload_arm(reload_t *r)
{
    uint64_t ms = r->interval_ms;
    if (r->jitter_ms > 0) {
        uint64_t span = 2 * r->jitter_ms + 1;
        ms = ms - r->jitter_ms + (uint64_t)rand_r(&r->seed) % span;
    }
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(r->timer, &tv);
}

static void reload_tick(evutil_socket_t fd, short what, void *arg)
{
    reload_t *r = arg;
    uint64_t h;
    bool readable = reload_hash_file(r->path, r->watch, r->nwatch, &h);
    if (!readable) {
        if (r->readable) {
            log_warn("plugin/reload: cannot read %s; keeping the running configuration", r->path);
        }
        r->readable = false;
        reload_arm(r);
        return;
    }
    bool changed = !r->readable || h != r->hash;
    r->readable = true;
    r->hash = h;
    reload_arm(r);
    if (changed && r->shared != NULL && r->shared->reload != NULL) {
        log_info("plugin/reload: %s changed, reloading", r->path);
        r->shared->reload(r->shared->reload_ctx); /* runs later, from main's loop */
    }
}

static void reload_teardown(void *state)
{
    reload_t *r = state;
    if (r == NULL) {
        return;
    }
    if (r->timer != NULL) {
        event_free(r->timer);
    }
    free(r->path);
    reload_free_watch(r->watch, r->nwatch);
    free(r);
}

/* The parsed `reload:` section, with the hash of the config file it was
 * read from (so a reload that changed the file sets the watcher up again
 * with the new hash, and one that did not keeps the running watcher). */
typedef struct reload_conf {
    bool enabled;
    uint64_t interval_ms;
    uint64_t jitter_ms;
    char *path;   /* the config file (NULL when disabled) */
    char **watch; /* more files to watch */
    size_t nwatch;
    uint64_t hash; /* of the files when they were parsed */
    bool readable;
    cfg_pos_t at;
} reload_conf_t;

static void reload_conf_free(void *conf)
{
    reload_conf_t *c = conf;
    if (c != NULL) {
        free(c->path);
        reload_free_watch(c->watch, c->nwatch);
        free(c);
    }
}

static bool reload_conf_equal(const void *a, const void *b)
{
    const reload_conf_t *x = a, *y = b;
    if (x->nwatch != y->nwatch) {
        return false;
    }
    for (size_t i = 0; i < x->nwatch; i++) {
        if (strcmp(x->watch[i], y->watch[i]) != 0) {
            return false;
        }
    }
    return x->enabled == y->enabled && x->interval_ms == y->interval_ms &&
           x->jitter_ms == y->jitter_ms && x->readable == y->readable && x->hash == y->hash &&
           (x->path == NULL ? y->path == NULL : y->path != NULL && strcmp(x->path, y->path) == 0);
}

/* `watch: [FILE, ...]` into c. */
static int reload_read_watch(cfg_node_t *w, reload_conf_t *c, cfg_error_t *err)
{
    if (w->kind != CFG_SEQ) {
        return cfg_fail(err, w, "reload: watch: expected a list of files");
    }
    if (w->n == 0) {
        return 0;
    }
    if ((c->watch = calloc(w->n, sizeof(*c->watch))) == NULL) {
        return cfg_fail(err, w, "reload: out of memory");
    }
    for (size_t i = 0; i < w->n; i++) {
        const char *s;
        if (cfg_string(w->items[i], &s, err) != 0) {
            return -1;
        }
        if ((c->watch[c->nwatch] = strdup(s)) == NULL) {
            return cfg_fail(err, w, "reload: out of memory");
        }
        c->nwatch++;
    }
    return 0;
}

/* `reload: true|false` or `reload: {interval: DURATION, jitter: DURATION}`. */
static int reload_read_config(cfg_node_t *cfg, bool *enabled, uint64_t *interval, uint64_t *jitter,
                              cfg_error_t *err)
{
    *enabled = true;
    *interval = RELOAD_DEFAULT_INTERVAL_MS;
    *jitter = RELOAD_DEFAULT_JITTER_MS;
    if (cfg->kind == CFG_SCALAR) {
        return cfg_bool(cfg, enabled, err);
    }
    if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg,
                        "reload: expected true/false or {interval: DURATION, jitter: DURATION}");
    }
    cfg_node_t *i = cfg_get(cfg, "interval");
    cfg_node_t *j = cfg_get(cfg, "jitter");
    if (i != NULL && cfg_duration_ms(i, interval, err) != 0) {
        return -1;
    }
    if (j != NULL && cfg_duration_ms(j, jitter, err) != 0) {
        return -1;
    }
    if (j == NULL && i != NULL) {
        *jitter =
            *interval / 2 < RELOAD_DEFAULT_JITTER_MS ? *interval / 2 : RELOAD_DEFAULT_JITTER_MS;
    }
    if (*interval < RELOAD_MIN_INTERVAL_MS || *interval > RELOAD_MAX_INTERVAL_MS) {
        return cfg_fail(err, i, "reload: interval must be from 1s to 24h");
    }
    if (*jitter > *interval / 2) {
        return cfg_fail(err, j, "reload: jitter must be at most half the interval");
    }
    return 0;
}

static int reload_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    reload_conf_t c = {0};
    if (reload_read_config(cfg, &c.enabled, &c.interval_ms, &c.jitter_ms, err) != 0) {
        return -1;
    }
    cfg_node_t *w = cfg->kind == CFG_MAP ? cfg_get(cfg, "watch") : NULL;
    if (w != NULL && reload_read_watch(w, &c, err) != 0) {
        reload_free_watch(c.watch, c.nwatch);
        return -1;
    }
    cfg_pos_of(cfg, &c.at);
    if (c.enabled) {
        if (penv->config_path == NULL) {
            return cfg_fail(err, cfg, "reload: no config file to watch");
        }
        if ((c.path = strdup(penv->config_path)) == NULL) {
            reload_free_watch(c.watch, c.nwatch);
            return cfg_fail(err, cfg, "reload: out of memory");
        }
        /* The hash of the files this configuration was read from (near
         * enough: a change between the read and now is caught later). */
        c.readable = reload_hash_file(c.path, c.watch, c.nwatch, &c.hash);
    }
    reload_conf_t *out = malloc(sizeof(*out));
    if (out == NULL) {
        free(c.path);
        reload_free_watch(c.watch, c.nwatch);
        return cfg_fail(err, cfg, "reload: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

static int reload_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const reload_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0;
    }
    reload_t *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->path = strdup(c->path)) == NULL) {
        free(r);
        return cfg_fail_pos(err, &c->at, "reload: out of memory");
    }
    bool ok;
    r->watch = reload_copy_watch(c->watch, c->nwatch, &ok);
    r->nwatch = ok ? c->nwatch : 0;
    if (!ok) {
        reload_teardown(r);
        return cfg_fail_pos(err, &c->at, "reload: out of memory");
    }
    r->interval_ms = c->interval_ms;
    r->jitter_ms = c->jitter_ms;
    r->shared = env->shared;
    r->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    r->readable = c->readable;
    r->hash = c->hash;
    r->timer = evtimer_new(env->control, reload_tick, r);
    if (r->timer == NULL) {
        reload_teardown(r);
        return cfg_fail_pos(err, &c->at, "reload: cannot create the timer");
    }
    *state = r;
    return 0;
}

/* Checks begin once the configuration runs. */
static int reload_start(void *state)
{
    reload_t *r = state;
    if (r != NULL) {
        reload_arm(r);
        log_info("plugin/reload: checking %s%s every %llums (+-%llums)", r->path,
                 r->nwatch > 0 ? " and the files it imports" : "",
                 (unsigned long long)r->interval_ms, (unsigned long long)r->jitter_ms);
    }
    return 0;
}

/* `reload [INTERVAL [JITTER]]` in a Corefile:
 * `reload: {interval: INTERVAL, jitter: JITTER}`. */
static int reload_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(d, err) != 0 || cf_max_args(d, 2, err) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(cf_root(ctx), "reload", d->name, CFG_MAP, err);
    if (m == NULL ||
        (d->nargs >= 1 && cf_put(m, "interval", &d->args[0], d->args[0].text, err) != 0) ||
        (d->nargs == 2 && cf_put(m, "jitter", &d->args[1], d->args[1].text, err) != 0)) {
        return -1;
    }
    size_t n = cf_nimports(ctx);
    cfg_node_t *w = n > 0 ? cf_put_node(m, "watch", d->name, CFG_SEQ, err) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (w == NULL || cf_add(w, d->name, cf_import(ctx, i), err) != 0) {
            return -1;
        }
    }
    return 0;
}

const plugin_t plugin_reload = {
    .name = "reload",
    .config_key = "reload",
    .parse = reload_parse,
    .conf_equal = reload_conf_equal,
    .conf_free = reload_conf_free,
    .setup = reload_setup,
    .corefile = reload_corefile,
    .start = reload_start,
    .teardown = reload_teardown,
};
