/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.c - the `reload` plugin: read the config again when it changes,
 * as CoreDNS's reload plugin does.
 *
 *   reload: {interval: 30s, jitter: 15s}   # or `reload: true` for these defaults
 *   Corefile: reload [INTERVAL [JITTER]]
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
 * Only the config file itself is watched: zone files and files a Corefile
 * imports are looked at again on every reload (a zone file is read again
 * when its modification time changed), but a change to them alone does
 * not start one (send SIGHUP for that).
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
    uint64_t interval_ms;
    uint64_t jitter_ms;
    uint64_t hash; /* of the file as last seen */
    bool readable; /* it could be read last time */
    unsigned seed; /* rand_r state for the jitter */
    plugin_shared_t *shared;
    struct event *timer;
} reload_t;

/* 64-bit FNV-1a of the file's bytes. Returns false if it cannot be read. */
static bool reload_hash_file(const char *path, uint64_t *out)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return false;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    unsigned char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        for (size_t i = 0; i < n; i++) {
            h = (h ^ buf[i]) * 0x100000001b3ull;
        }
    }
    bool ok = ferror(fp) == 0;
    fclose(fp);
    *out = h;
    return ok;
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
    bool readable = reload_hash_file(r->path, &h);
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
    free(r);
}

/* The parsed `reload:` section, with the hash of the config file it was
 * read from (so a reload that changed the file sets the watcher up again
 * with the new hash, and one that did not keeps the running watcher). */
typedef struct reload_conf {
    bool enabled;
    uint64_t interval_ms;
    uint64_t jitter_ms;
    char *path;    /* the config file (NULL when disabled) */
    uint64_t hash; /* of the file when it was parsed */
    bool readable;
    cfg_pos_t at;
} reload_conf_t;

static void reload_conf_free(void *conf)
{
    reload_conf_t *c = conf;
    if (c != NULL) {
        free(c->path);
        free(c);
    }
}

static bool reload_conf_equal(const void *a, const void *b)
{
    const reload_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->interval_ms == y->interval_ms &&
           x->jitter_ms == y->jitter_ms && x->readable == y->readable && x->hash == y->hash &&
           (x->path == NULL ? y->path == NULL : y->path != NULL && strcmp(x->path, y->path) == 0);
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
    cfg_pos_of(cfg, &c.at);
    if (c.enabled) {
        if (penv->config_path == NULL) {
            return cfg_fail(err, cfg, "reload: no config file to watch");
        }
        if ((c.path = strdup(penv->config_path)) == NULL) {
            return cfg_fail(err, cfg, "reload: out of memory");
        }
        /* The hash of the file this configuration was read from (near
         * enough: a change between the read and now is caught later). */
        c.readable = reload_hash_file(c.path, &c.hash);
    }
    reload_conf_t *out = malloc(sizeof(*out));
    if (out == NULL) {
        free(c.path);
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
        log_info("plugin/reload: checking %s every %llums (+-%llums)", r->path,
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
