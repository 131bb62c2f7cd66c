/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * file.c - the `file` plugin: serve RFC 1035 zone files.
 *
 *   zones:
 *     - origin: example.com.
 *       file: example.com.zone   # relative to the config file's directory
 *
 *       reload: 1m               # check the file this often (default 1m, 0: never)
 *
 *   Corefile: file DBFILE [ZONES...] [{ reload DURATION }]
 *                                       one entry per zone; ZONES default to
 *                                       the server block's zones; the path is
 *                                       found as CoreDNS finds it (`root DIR`,
 *                                       the working directory; see
 *                                       file_corefile_path)
 *
 * A pure data source, with no per-query hook: it costs nothing while
 * serving.
 *  - parse reads the list and stats every file (its config holds path,
 *    size and modification time of each), reading no zone data;
 *  - check (--check-config) reads every file and throws the zones away;
 *  - setup reads the files into unpublished zones. All are read and checked
 *    before any is published, so a broken file stops startup (or a reload)
 *    without leaving half a configuration in the view.
 * On a reload that keeps the view, the new instance takes over from the
 * running one (env->prev_state): a zone whose origin, path, size and
 * modification time did not change is not read again (the zone already
 * published stays), and zones the new config no longer lists are removed.
 * Zones go into a view that already serves only at start (once the whole
 * new configuration is set up), into a fresh view at setup. A reload that
 * drops `file` altogether keeps the view too: the running instance takes
 * its zones out at the switch (drop).
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/plugin.h"
#include "dns/name.h"
#include "file/file_watch.h"
#include "file/zonefile.h"

/* One configured zone, as parse found it. */
typedef struct file_conf_zone {
    uint8_t origin[NAME_MAX_WIRE];
    size_t origin_len;
    char path[4096];
    struct timespec mtime; /* of the file when parsed: changed => read again */
    off_t size;
    ino_t ino;
    dev_t dev;
    uint64_t reload_ms; /* check the file this often (0: never; file_watch.c) */
    cfg_pos_t at;       /* its `file:` entry, for messages */
} file_conf_zone_t;

#define FILE_DEFAULT_RELOAD_MS 60000 /* CoreDNS's default: 1m */

typedef struct file_conf {
    size_t n;
    file_conf_zone_t *zones;
} file_conf_t;

/* Resolve `file` against the directory of the config file it came from. */
static int file_resolve(const cfg_node_t *at, const char *file, char *out, size_t cap,
                        cfg_error_t *err)
{
    int n;
    if (file[0] == '/' || at->file == NULL || strchr(at->file, '/') == NULL) {
        n = snprintf(out, cap, "%s", file);
    } else {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at->file);
        n = snprintf(out, cap, "%s/%s", dirname(dir), file);
    }
    if (n < 0 || (size_t)n >= cap) {
        return cfg_fail(err, at, "zone file path too long");
    }
    return 0;
}

/* Read one `- origin: ..., file: ...` entry and stat its file. */
static int file_read_entry(cfg_node_t *item, file_conf_zone_t *fz, cfg_error_t *err)
{
    if (item->kind != CFG_MAP) {
        return cfg_fail(err, item, "zones: each entry needs 'origin' and 'file'");
    }
    cfg_node_t *origin = cfg_get(item, "origin");
    cfg_node_t *file = cfg_get(item, "file");
    cfg_node_t *reload = cfg_get(item, "reload");
    fz->reload_ms = FILE_DEFAULT_RELOAD_MS;
    if (reload != NULL && cfg_duration_ms(reload, &fz->reload_ms, err) != 0) {
        return -1;
    }
    const char *origin_text, *file_text;
    if (origin == NULL) {
        return cfg_fail(err, item, "zones: entry without 'origin'");
    }
    if (file == NULL) {
        return cfg_fail(err, item, "zones: entry without 'file'");
    }
    if (cfg_string(origin, &origin_text, err) != 0 || cfg_string(file, &file_text, err) != 0) {
        return -1;
    }
    fz->origin_len = name_from_text(origin_text, fz->origin);
    if (fz->origin_len == 0) {
        return cfg_fail(err, origin, "bad zone origin '%s'", origin_text);
    }
    cfg_pos_of(file, &fz->at);
    if (file_resolve(file, file_text, fz->path, sizeof(fz->path), err) != 0) {
        return -1;
    }
    struct stat st;
    if (stat(fz->path, &st) != 0) {
        return cfg_fail(err, file, "cannot open zone file '%s': %s", fz->path, strerror(errno));
    }
    fz->mtime = st.st_mtim;
    fz->size = st.st_size;
    fz->ino = st.st_ino;
    fz->dev = st.st_dev;
    return 0;
}

static void file_conf_free(void *conf)
{
    file_conf_t *c = conf;
    if (c != NULL) {
        free(c->zones);
        free(c);
    }
}

static int file_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                      cfg_error_t *err)
{
    if (cfg->kind != CFG_SEQ) {
        return cfg_fail(err, cfg, "zones: expected a list of {origin, file}");
    }
    file_conf_t *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->zones = calloc(cfg->n > 0 ? cfg->n : 1, sizeof(*c->zones))) == NULL) {
        free(c);
        return cfg_fail(err, cfg, "out of memory");
    }
    for (size_t i = 0; i < cfg->n; i++) {
        file_conf_zone_t *fz = &c->zones[i];
        if (file_read_entry(cfg->items[i], fz, err) != 0) {
            file_conf_free(c);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (c->zones[j].origin_len == fz->origin_len &&
                memcmp(c->zones[j].origin, fz->origin, fz->origin_len) == 0) {
                file_conf_free(c);
                return cfg_fail(err, cfg->items[i], "zone listed twice (also on line %d)",
                                cfg->items[j]->line);
            }
        }
        c->n = i + 1;
    }
    *conf = c;
    return 0;
}

/* The same zone, from the same unchanged file. */
static bool file_zone_same(const file_conf_zone_t *a, const file_conf_zone_t *b)
{
    return a->origin_len == b->origin_len && memcmp(a->origin, b->origin, a->origin_len) == 0 &&
           strcmp(a->path, b->path) == 0 && a->size == b->size && a->ino == b->ino &&
           a->dev == b->dev && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->reload_ms == b->reload_ms;
}

static bool file_conf_equal(const void *a, const void *b)
{
    const file_conf_t *x = a, *y = b;
    if (x->n != y->n) {
        return false;
    }
    for (size_t i = 0; i < x->n; i++) {
        if (!file_zone_same(&x->zones[i], &y->zones[i])) {
            return false;
        }
    }
    return true;
}

/* Read one zone file into a new, unpublished zone. */
static view_zone_t *file_load(const file_conf_zone_t *fz, zone_file_stats_t *stats,
                              cfg_error_t *err)
{
    FILE *fp = fopen(fz->path, "r");
    if (fp == NULL) {
        cfg_fail_pos(err, &fz->at, "cannot open zone file '%s': %s", fz->path, strerror(errno));
        return NULL;
    }
    view_zone_t *zone = zone_file_read(fp, fz->path, fz->origin, fz->origin_len, stats, err);
    fclose(fp);
    return zone;
}

/* --check-config: every file must read as a zone. */
static int file_check(const void *conf, cfg_error_t *err)
{
    const file_conf_t *c = conf;
    for (size_t i = 0; i < c->n; i++) {
        view_zone_t *zone = file_load(&c->zones[i], NULL, err);
        if (zone == NULL) {
            return -1;
        }
        view_zone_free(zone);
    }
    return 0;
}

/* One zone of a set-up instance. */
typedef struct file_loaded {
    char name[NAME_MAX_WIRE * 4 + 2];
    file_conf_zone_t conf;
    zone_file_stats_t stats;
    view_zone_t *fresh; /* read by this instance, not published yet (else NULL) */
    bool kept;          /* taken over unchanged from the running instance */
} file_loaded_t;

typedef struct file_state {
    view_t *view;
    size_t n;
    file_loaded_t *zones;
    size_t ndrop; /* zones of the running instance that the new config drops */
    file_conf_zone_t *drop;
    /* On a reload the files are read by a loader thread of our own (the
     * control thread serves /health meanwhile): */
    bool async;
    pthread_t loader;
    atomic_int loaded;   /* 0: reading, 1: read and published, -1: failed */
    cfg_error_t failure; /* when loaded is -1 */
    /* A reload dropped while the loader reads (SIGTERM, a later plugin
     * failed) must not wait for it: the loader is left to finish, publishes
     * nothing and frees the state itself. `lock` orders the two. */
    pthread_mutex_t lock;
    bool finished;       /* the loader is past publishing */
    bool abandoned;      /* torn down before that */
    file_watch_t *watch; /* the `reload` option's checks (control thread), or NULL */
} file_state_t;

/* Free the state (and the zones never published); the loader is done. */
static void file_state_release(file_state_t *st)
{
    if (st->async) {
        pthread_mutex_destroy(&st->lock);
    }
    for (size_t i = 0; i < st->n; i++) {
        view_zone_free(st->zones[i].fresh); /* only what was never published */
    }
    free(st->zones);
    free(st->drop);
    free(st);
}

static void file_state_free(file_state_t *st)
{
    if (st == NULL) {
        return;
    }
    if (st->async) {
        pthread_mutex_lock(&st->lock);
        if (!st->finished) { /* still reading: do not wait, let it go */
            st->abandoned = true;
            pthread_mutex_unlock(&st->lock);
            pthread_detach(st->loader);
            return;
        }
        pthread_mutex_unlock(&st->lock);
        pthread_join(st->loader, NULL);
    }
    file_state_release(st);
}

/* The entry of the running instance for the same unchanged zone, or NULL. */
static const file_loaded_t *file_prev_same(const file_state_t *prev, const file_conf_zone_t *fz)
{
    for (size_t i = 0; prev != NULL && i < prev->n; i++) {
        if (file_zone_same(&prev->zones[i].conf, fz)) {
            return &prev->zones[i];
        }
    }
    return NULL;
}

/* Is this origin in the new config? */
static bool file_lists(const file_conf_t *c, const file_conf_zone_t *fz)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->zones[i].origin_len == fz->origin_len &&
            memcmp(c->zones[i].origin, fz->origin, fz->origin_len) == 0) {
            return true;
        }
    }
    return false;
}

#define FILE_OWNER "file" /* our zones' owner in the view (view.h) */

/* Say that another plugin serves a zone this config lists. */
static void file_taken(const file_loaded_t *z, const char *holder, char *why, size_t len)
{
    /* Bounded parts, so the message fits one error line. */
    snprintf(why, len,
             "file: zone %.200s (%.120s) is served by the %.32s plugin already: a zone has one "
             "owner; serve it from one of them",
             z->name, z->conf.path, holder[0] ? holder : "another");
}

/* Publish what this instance read, remove what the config dropped. A zone
 * another plugin serves already (a Redis zone in a view kept across a
 * reload) is an error: nothing is published then, and -1 returned with the
 * reason in why. */
static int file_publish(file_state_t *st, char *why, size_t len)
{
    for (size_t i = 0; i < st->n; i++) {
        const file_loaded_t *z = &st->zones[i];
        const char *holder = z->fresh != NULL
                                 ? view_zone_holder(st->view, z->conf.origin, z->conf.origin_len)
                                 : NULL;
        if (holder != NULL && strcmp(holder, FILE_OWNER) != 0) {
            file_taken(z, holder, why, len);
            return -1;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < st->n; i++) {
        file_loaded_t *z = &st->zones[i];
        if (z->fresh == NULL) {
            continue;
        }
        const char *holder = NULL;
        view_zone_set_owner(z->fresh, FILE_OWNER);
        if (view_publish_zone(st->view, z->fresh, &holder) != 0) {
            file_taken(z, holder, why, len); /* taken since the check above */
            rc = -1;
            continue;
        }
        z->fresh = NULL; /* the view owns it now */
    }
    for (size_t i = 0; i < st->ndrop; i++) {
        view_remove_zone(st->view, st->drop[i].origin, st->drop[i].origin_len, FILE_OWNER);
    }
    st->ndrop = 0;
    return rc;
}

/* Read every zone this instance does not take over. On error, what was
 * read is freed and err says which file and line. */
static int file_load_all(file_state_t *st, cfg_error_t *err)
{
    for (size_t i = 0; i < st->n; i++) {
        file_loaded_t *z = &st->zones[i];
        if (!z->kept && (z->fresh = file_load(&z->conf, &z->stats, err)) == NULL) {
            for (size_t j = 0; j < i; j++) {
                view_zone_free(st->zones[j].fresh);
                st->zones[j].fresh = NULL;
            }
            return -1;
        }
    }
    return 0;
}

/* One line per zone, once it serves. */
static void file_log(const file_state_t *st)
{
    for (size_t i = 0; i < st->n; i++) {
        const file_loaded_t *z = &st->zones[i];
        if (z->kept) {
            log_info("file: zone %s from %s: unchanged, not read again", z->name, z->conf.path);
            continue;
        }
        log_info("file: zone %s from %s: %zu records, %zu names, serial %u", z->name, z->conf.path,
                 z->stats.records, z->stats.names, z->stats.serial);
    }
}

static void *file_loader(void *arg)
{
    file_state_t *st = arg;
    rcu_register_thread(); /* view_publish_zone reads under RCU */
    int rc = file_load_all(st, &st->failure);
    pthread_mutex_lock(&st->lock);
    if (st->abandoned) { /* the reload is gone, and maybe its view */
        pthread_mutex_unlock(&st->lock);
        file_state_release(st); /* view_zone_free reads under RCU */
        rcu_unregister_thread();
        return NULL;
    }
    char why[sizeof(st->failure.msg)];
    if (rc == 0 && file_publish(st, why, sizeof(why)) != 0) { /* only when every file read */
        cfg_fail(&st->failure, NULL, "%s", why);
        rc = -1;
    }
    if (rc == 0) {
        file_log(st);
    }
    atomic_store(&st->loaded, rc == 0 ? 1 : -1);
    st->finished = true;
    pthread_mutex_unlock(&st->lock);
    rcu_unregister_thread();
    return NULL;
}

/* Read the files on a thread of ours; -1 if it cannot be started. */
static int file_start_loader(file_state_t *st)
{
    atomic_store(&st->loaded, 0);
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        atomic_store(&st->loaded, 1);
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* signals belong to the control thread */
    int rc = pthread_create(&st->loader, NULL, file_loader, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    st->async = rc == 0;
    if (rc != 0) {
        pthread_mutex_destroy(&st->lock);
        atomic_store(&st->loaded, 1); /* read here, then */
        return -1;
    }
    return 0;
}

static int file_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const file_conf_t *c = conf;
    const file_state_t *prev = env->prev_state;
    *state = NULL;
    file_state_t *st = calloc(1, sizeof(*st));
    if (st != NULL) {
        atomic_init(&st->loaded, 1);
    }
    if (st == NULL || (st->zones = calloc(c->n > 0 ? c->n : 1, sizeof(*st->zones))) == NULL ||
        (prev != NULL &&
         (st->drop = calloc(prev->n > 0 ? prev->n : 1, sizeof(*st->drop))) == NULL)) {
        file_state_free(st);
        return cfg_fail(err, NULL, "out of memory");
    }
    st->view = env->view;
    for (size_t i = 0; i < c->n; i++) {
        const file_conf_zone_t *fz = &c->zones[i];
        file_loaded_t *z = &st->zones[st->n++];
        z->conf = *fz;
        if (name_to_text(fz->origin, fz->origin_len, z->name, sizeof(z->name)) == 0) {
            snprintf(z->name, sizeof(z->name), "?");
        }
        const file_loaded_t *same = file_prev_same(prev, fz);
        if (same != NULL) {
            z->stats = same->stats;
            z->kept = true; /* published already, by the running instance */
        }
    }
    for (size_t i = 0; prev != NULL && i < prev->n; i++) {
        if (!file_lists(c, &prev->zones[i].conf)) {
            st->drop[st->ndrop++] = prev->zones[i].conf;
        }
    }
    for (size_t i = 0; i < st->n && env->control != NULL; i++) {
        const file_conf_zone_t *fz = &st->zones[i].conf;
        if (fz->reload_ms == 0) {
            continue;
        }
        if ((st->watch == NULL &&
             (st->watch = file_watch_new(env->control, env->shared, env->view)) == NULL) ||
            file_watch_add(st->watch, fz->origin, fz->origin_len, st->zones[i].name, fz->path,
                           fz->size, fz->mtime, fz->ino, fz->reload_ms) != 0) {
            file_watch_free(st->watch);
            st->watch = NULL;
            file_state_free(st);
            return cfg_fail(err, NULL, "out of memory");
        }
    }
    if (env->reloading && file_start_loader(st) == 0) {
        *state = st;
        return 0;
    }
    if (file_load_all(st, err) != 0) {
        file_watch_free(st->watch); /* the watch is freed apart (file_teardown) */
        file_state_free(st);
        return -1;
    }
    char why[sizeof(err->msg)];
    if (!env->view_serving && file_publish(st, why, sizeof(why)) != 0) { /* nobody answers yet */
        file_watch_free(st->watch);
        file_state_free(st);
        return cfg_fail(err, NULL, "%s", why);
    }
    *state = st;
    return 0;
}

/* Publish into a view that serves already; say what is served (not in
 * --check-config, whose output is only the verdict). The loader thread
 * does both itself. */
static int file_start(void *state)
{
    file_state_t *st = state;
    file_watch_start(st->watch);
    if (!st->async) {
        char why[512];
        if (file_publish(st, why, sizeof(why)) != 0) {
            log_error("%s", why);
            return -1;
        }
        file_log(st);
    }
    return 0;
}

/* Ready once a reload's loader has read and published every file. */
static bool file_ready(void *state, char *why, size_t why_len)
{
    const file_state_t *st = state;
    int loaded = atomic_load(&st->loaded);
    if (loaded == 1) {
        return true;
    }
    snprintf(why, why_len, "%s", loaded == 0 ? "reading zone files" : "a zone file is broken");
    return false;
}

/* A reload's loader found a broken zone file: the reload fails with it. */
static int file_failed(void *state, cfg_error_t *err)
{
    file_state_t *st = state;
    if (atomic_load(&st->loaded) != -1) {
        return 0;
    }
    *err = st->failure;
    return -1;
}

/* The new configuration has no `file` but keeps the view: our zones go
 * (a Redis copy of one shows from the next tick on). Control thread, at
 * the switch: this instance's loader is long done. */
static void file_drop(void *state)
{
    file_state_t *st = state;
    for (size_t i = 0; i < st->n; i++) {
        view_remove_zone(st->view, st->zones[i].conf.origin, st->zones[i].conf.origin_len,
                         FILE_OWNER);
        log_info("file: zone %s no longer served (file dropped from the configuration)",
                 st->zones[i].name);
    }
}

/* The zones stay in the view, which owns them; only the summary goes. */
static void file_teardown(void *state)
{
    file_state_t *st = state;
    if (st != NULL) {
        file_watch_free(st->watch); /* control thread: before the state may go */
        st->watch = NULL;
    }
    file_state_free(st);
}

/* The `root DIR` of the server block the directive d is in, when one
 * comes before it in the block (CoreDNS's root plugin), else NULL. The
 * tokens of a block are contiguous: walk back to the block's first key. */
static const char *file_block_root(cf_plugin_ctx_t *ctx, const cf_directive_t *d)
{
    const cf_token_t *first = NULL;
    if (cf_block_nzones(ctx) == 0) {
        return NULL;
    }
    cf_block_zone(ctx, 0, &first);
    int depth = 0;
    for (const cf_token_t *t = d->name - 1; t > first; t--) {
        if (cf_is_close(t)) {
            depth++;
        } else if (cf_is_open(t) && --depth < 0) {
            break; /* the block's own brace */
        } else if (depth == 0 && t->bol && !t->quoted && strcmp(t->text, "root") == 0 &&
                   !t[1].bol && !cf_is_open(&t[1]) && (t + 2 > d->name || t[2].bol)) {
            return t[1].text;
        }
    }
    return NULL;
}

/* Where CoreDNS finds a zone file: an absolute path as it is; else under
 * the block's `root` (itself relative to the working directory); else
 * relative to the working directory. vmdnsd falls back to the Corefile's
 * directory when the working directory has no such file (its behaviour
 * before), so both kinds of Corefile work. */
static int file_corefile_path(const char *root, const cf_token_t *at, char *out, size_t cap,
                              cfg_error_t *err)
{
    const char *file = at->text;
    char cwd[4096];
    int n;
    if (file[0] == '/') {
        n = snprintf(out, cap, "%s", file);
    } else if (root != NULL) {
        if (root[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
            return cf_fail(err, at, "file: cannot get the working directory");
        }
        n = root[0] == '/' ? snprintf(out, cap, "%s/%s", root, file)
                           : snprintf(out, cap, "%s/%s/%s", cwd, root, file);
    } else if (access(file, F_OK) == 0 && getcwd(cwd, sizeof(cwd)) != NULL) {
        n = snprintf(out, cap, "%s/%s", cwd, file);
    } else {
        n = snprintf(out, cap, "%s", file); /* relative to the Corefile (file_resolve) */
    }
    if (n < 0 || (size_t)n >= cap) {
        return cf_fail(err, at, "file: zone file path too long");
    }
    return 0;
}

/* file DBFILE [ZONES...] [{ reload DURATION; upstream ... }]: one `zones`
 * entry per zone (default: the block's zones), its path found as
 * file_corefile_path says. `root DIR` is read here too (it only serves
 * `file`); it applies to the `file` lines after it in its block. */
static int file_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    if (strcmp(d->name->text, "root") == 0) {
        if (cf_no_block(d, err) != 0 || cf_max_args(d, 1, err) != 0) {
            return -1;
        }
        return d->nargs == 1 ? 0 : cf_fail(err, d->name, "root: give a directory");
    }
    if (d->nargs == 0) {
        return cf_fail(err, d->name, "file: give the zone file (file DBFILE [ZONES...])");
    }
    const cf_token_t *reload = NULL;
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "upstream") == 0) {
            continue; /* deprecated in CoreDNS and ignored there too */
        }
        if (strcmp(l.opt->text, "reload") != 0) {
            return cf_fail(err, l.opt, "file: unknown option '%s' (reload, upstream)", l.opt->text);
        }
        if (l.nargs != 1) {
            return cf_fail(err, l.opt, "file: reload takes one duration (0 disables it)");
        }
        reload = &l.args[0];
    }
    char path[4096];
    if (file_corefile_path(file_block_root(ctx, d), &d->args[0], path, sizeof(path), err) != 0) {
        return -1;
    }
    cfg_node_t *zones = cf_section(ctx, "zones", d->name, CFG_SEQ, err);
    if (zones == NULL) {
        return -1;
    }
    size_t nzones = d->nargs > 1 ? d->nargs - 1 : cf_block_nzones(ctx);
    for (size_t i = 0; i < nzones; i++) {
        char zone[CF_ZONE_TEXT];
        const cf_token_t *at = d->nargs > 1 ? &d->args[1 + i] : d->name;
        if (d->nargs > 1) {
            if (cf_zone_name(at, at->text, zone, err) != 0) {
                return -1;
            }
        } else {
            snprintf(zone, sizeof(zone), "%s", cf_block_zone(ctx, i, NULL));
        }
        cfg_node_t *entry = cf_add_node(zones, at, CFG_MAP, err);
        if (entry == NULL || cf_put(entry, "origin", at, zone, err) != 0 ||
            cf_put(entry, "file", &d->args[0], path, err) != 0 ||
            (reload != NULL && cf_put(entry, "reload", reload, reload->text, err) != 0)) {
            return -1;
        }
    }
    return 0;
}

static const char *const file_directives[] = {"file", "root", NULL};

const plugin_t plugin_file = {
    .name = "file",
    .config_key = "zones",
    .view_data = PLUGIN_VIEW_HANDOVER,
    .parse = file_parse,
    .conf_equal = file_conf_equal,
    .conf_free = file_conf_free,
    .check = file_check,
    .setup = file_setup,
    .directives = file_directives,
    .corefile = file_corefile,
    .start = file_start,
    .ready = file_ready,
    .failed = file_failed,
    .drop = file_drop,
    .teardown = file_teardown,
};
