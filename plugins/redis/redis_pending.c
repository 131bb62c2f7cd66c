/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_pending.c - SERVFAIL, not REFUSED, for zones still loading (see
 * redis_pending.h for why).
 *
 * What is pending is decided once, at setup: the zones named by each
 * backend's `zones:` and the zones the state file says each backend served
 * last time. A query hook then answers SERVFAIL for a name under one of
 * them while its backend has not finished a first load, unless the view
 * already has a zone that covers the name at least as closely (then the
 * view answers, as it would anyway). Once every backend has loaded, the
 * hook turns itself off with one atomic flag: from then on it costs a
 * relaxed load per query.
 *
 * The state file is kept by the control thread: every few seconds the
 * zones of each loaded backend are listed from the merge, sorted, and if
 * the text differs from what the file holds it is written to FILE.tmp,
 * fsynced and renamed over FILE, so a crash never leaves half a list. A
 * backend that has not loaded keeps the lines it had, so a vmdnsd
 * restarted while one backend is down still knows that backend's zones.
 */
#include "redis/redis_pending.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/answer.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "view/view.h"

#define PENDING_MAX_ZONES 4096 /* zones taken from the config and the file */
#define PENDING_MAX_FILE  (4u << 20)
#define PENDING_SAVE_S    5

typedef struct pzone {
    uint8_t wire[NAME_MAX_WIRE];
    uint8_t len;
    unsigned backend; /* index in cfg->backends */
    bool from_file;
} pzone_t;

struct redis_pending {
    const view_t *view;
    answer_limits_t limits;
    const redis_config_t *cfg;
    merge_t *merge;
    unsigned slot[REDIS_MAX_BACKENDS];
    redis_stats_t *stats; /* by slot */
    size_t n;
    pzone_t *zones;
    size_t nzones;
    atomic_bool active; /* some zone may still be pending */
    char *path;         /* the state file, or NULL */
    char *last;         /* its text as last read or written */
    struct event *timer;
    log_once_t write_failed;
};

size_t redis_pending_parse(const char *text, size_t len,
                           void (*fn)(void *arg, const char *backend, const uint8_t *zone,
                                      size_t zone_len),
                           void *arg)
{
    size_t taken = 0, pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        char buf[512], backend[256], zone[300], extra;
        if (ll == 0 || ll >= sizeof(buf) || line[0] == '#')
            continue;
        memcpy(buf, line, ll);
        buf[ll] = '\0';
        if (memchr(buf, '\0', ll) != NULL ||
            sscanf(buf, "%255s %299s %c", backend, zone, &extra) != 2)
            continue;
        uint8_t wire[NAME_MAX_WIRE];
        size_t wl = name_from_text(zone, wire);
        if (wl == 0)
            continue;
        fn(arg, backend, wire, wl);
        taken++;
    }
    return taken;
}

/* Add a pending zone (once per backend and zone). */
static void add_zone(redis_pending_t *p, unsigned backend, const uint8_t *wire, size_t len,
                     bool from_file)
{
    for (size_t i = 0; i < p->nzones; i++)
        if (p->zones[i].backend == backend && p->zones[i].len == len &&
            memcmp(p->zones[i].wire, wire, len) == 0) {
            p->zones[i].from_file = p->zones[i].from_file || from_file;
            return;
        }
    if (p->nzones >= PENDING_MAX_ZONES)
        return;
    pzone_t *z = &p->zones[p->nzones++];
    memcpy(z->wire, wire, len);
    z->len = (uint8_t)len;
    z->backend = backend;
    z->from_file = from_file;
}

/* A line of the file: keep it if its backend is still configured (and,
 * with a `zones:` list, still serves the zone). */
static void on_line(void *arg, const char *backend, const uint8_t *zone, size_t zone_len)
{
    redis_pending_t *p = arg;
    for (size_t i = 0; i < p->n; i++) {
        const redis_backend_config_t *b = &p->cfg->backends[i];
        if (strcmp(b->name, backend) == 0 && redis_backend_serves(b, zone, zone_len))
            add_zone(p, (unsigned)i, zone, zone_len, true);
    }
}

/* The state file's path: the configured one, else systemd's state
 * directory (the first of $STATE_DIRECTORY), else none. */
static char *state_path(const redis_config_t *cfg)
{
    if (cfg->state_file != NULL)
        return cfg->state_file[0] ? strdup(cfg->state_file) : NULL;
    const char *dir = getenv("STATE_DIRECTORY");
    if (dir == NULL || dir[0] != '/')
        return NULL;
    size_t dl = strcspn(dir, ":");
    char *path = malloc(dl + sizeof("/redis-zones"));
    if (path != NULL) {
        memcpy(path, dir, dl);
        memcpy(path + dl, "/redis-zones", sizeof("/redis-zones"));
    }
    return path;
}

/* Read the state file (a missing one is the first run). */
static void load_file(redis_pending_t *p)
{
    FILE *f = fopen(p->path, "r");
    if (f == NULL) {
        if (errno != ENOENT)
            log_warn("redis: state file %s: %s (zones of the last run unknown)", p->path,
                     strerror(errno));
        return;
    }
    char *text = malloc(PENDING_MAX_FILE + 1);
    size_t len = text ? fread(text, 1, PENDING_MAX_FILE, f) : 0;
    fclose(f);
    if (text == NULL)
        return;
    text[len] = '\0';
    size_t lines = redis_pending_parse(text, len, on_line, p);
    p->last = text;
    log_info("redis: state file %s: %zu zone(s) of the last run answer SERVFAIL until their "
             "backend has loaded",
             p->path, lines);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    redis_pending_save(arg);
}

redis_pending_t *redis_pending_new(const plugin_env_t *env, const redis_config_t *cfg,
                                   merge_t *merge, const unsigned *slot,
                                   redis_stats_t *stats_by_slot)
{
    redis_pending_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->zones = calloc(PENDING_MAX_ZONES, sizeof(*p->zones))) == NULL) {
        free(p);
        return NULL;
    }
    p->view = env->view;
    if (env->limits != NULL)
        p->limits = *env->limits;
    p->cfg = cfg;
    p->merge = merge;
    p->n = cfg->nbackends;
    memcpy(p->slot, slot, p->n * sizeof(*slot));
    p->stats = stats_by_slot;
    for (size_t i = 0; i < p->n; i++)
        for (size_t k = 0; k < cfg->backends[i].nzones; k++)
            add_zone(p, (unsigned)i, cfg->backends[i].zones[k], cfg->backends[i].zone_lens[k],
                     false);
    p->path = state_path(cfg);
    if (p->path != NULL) {
        load_file(p);
        struct timeval tv = {PENDING_SAVE_S, 0};
        p->timer = event_new(env->control, -1, EV_PERSIST, on_timer, p);
        if (p->timer == NULL || event_add(p->timer, &tv) != 0)
            log_warn("redis: cannot keep the state file %s (no timer)", p->path);
    }
    atomic_store(&p->active, p->nzones > 0);
    return p;
}

plugin_result_t redis_pending_query(redis_pending_t *p, request_t *req)
{
    if (p == NULL || !atomic_load_explicit(&p->active, memory_order_relaxed))
        return PLUGIN_NEXT;
    const wire_query_t *q = req->q;
    if (!q->has_question)
        return PLUGIN_NEXT;
    size_t best = 0;
    bool pending = false;
    for (size_t i = 0; i < p->nzones; i++) {
        const pzone_t *z = &p->zones[i];
        if (atomic_load_explicit(&p->stats[p->slot[z->backend]].loaded, memory_order_acquire))
            continue;
        pending = true;
        if (z->len > best && name_is_below_or_equal(q->qname, q->qname_len, z->wire, z->len))
            best = z->len;
    }
    if (!pending) {
        atomic_store_explicit(&p->active, false, memory_order_relaxed);
        return PLUGIN_NEXT;
    }
    if (best == 0)
        return PLUGIN_NEXT;
    const view_zone_t *zone =
        view_find_zone(p->view, q->qname, q->qname_len, q->label_off, q->qname_labels);
    size_t apex_len = 0;
    if (zone != NULL && (view_zone_apex(zone, &apex_len), apex_len >= best))
        return PLUGIN_NEXT;
    req->resp_len = answer_error(q, WIRE_RCODE_SERVFAIL, &p->limits, req->resp, req->resp_cap);
    answer_meta_error(&req->meta, WIRE_RCODE_SERVFAIL, NULL);
    req->answered_by = "redis";
    return PLUGIN_DONE;
}

/* A growing text buffer of lines. */
typedef struct lines {
    char **v;
    size_t n, cap;
    bool oom;
} lines_t;

static void lines_add(lines_t *l, const char *backend, const uint8_t *wire, size_t len)
{
    char zone[4 * NAME_MAX_WIRE + 8];
    if (name_to_text(wire, len, zone, sizeof(zone)) == 0)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    size_t sz = strlen(backend) + strlen(zone) + 3;
    if ((l->v[l->n] = malloc(sz)) == NULL) {
        l->oom = true;
        return;
    }
    snprintf(l->v[l->n++], sz, "%s %s\n", backend, zone);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Write text to path atomically: path.tmp, fsync, rename. */
static int write_atomic(const char *path, const char *text, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int rc = off == len && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

void redis_pending_save(redis_pending_t *p)
{
    if (p == NULL || p->path == NULL)
        return;
    lines_t l = {0};
    for (size_t i = 0; i < p->n; i++) {
        const char *name = p->cfg->backends[i].name;
        if (strpbrk(name, " \t\n") != NULL)
            continue;
        if (!atomic_load(&p->stats[p->slot[i]].loaded)) {
            for (size_t k = 0; k < p->nzones; k++)
                if (p->zones[k].backend == i && p->zones[k].from_file)
                    lines_add(&l, name, p->zones[k].wire, p->zones[k].len);
            continue;
        }
        uint8_t *lens = NULL;
        size_t nz = 0;
        uint8_t(*apexes)[NAME_MAX_WIRE] = merge_zones_of(p->merge, p->slot[i], &lens, &nz);
        if (apexes == NULL)
            l.oom = true;
        for (size_t k = 0; apexes != NULL && k < nz && k < PENDING_MAX_ZONES; k++)
            lines_add(&l, name, apexes[k], lens[k]);
        free(apexes);
        free(lens);
    }
    if (!l.oom) {
        if (l.n > 1) /* no lines: l.v is NULL, which qsort must not get */
            qsort(l.v, l.n, sizeof(*l.v), by_text);
        static const char head[] = "# vmdnsd: the zones each redis backend served (BACKEND "
                                   "ZONE); SERVFAIL for them until it has loaded\n";
        size_t len = sizeof(head) - 1;
        for (size_t i = 0; i < l.n; i++)
            len += strlen(l.v[i]);
        char *text = malloc(len + 1);
        if (text != NULL) {
            memcpy(text, head, sizeof(head));
            size_t off = sizeof(head) - 1;
            for (size_t i = 0; i < l.n; i++) {
                size_t sl = strlen(l.v[i]);
                memcpy(text + off, l.v[i], sl + 1);
                off += sl;
            }
            if (p->last != NULL && strcmp(p->last, text) == 0) {
                free(text);
            } else if (write_atomic(p->path, text, len) == 0) {
                free(p->last);
                p->last = text;
            } else {
                log_once(&p->write_failed, LOG_LEVEL_WARN,
                         "redis: cannot write the state file %s: %s (zones of this run will not "
                         "answer SERVFAIL while loading after a restart)",
                         p->path, strerror(errno));
                free(text);
            }
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
}

void redis_pending_free(redis_pending_t *p)
{
    if (p == NULL)
        return;
    if (p->timer != NULL)
        event_free(p->timer);
    free(p->zones);
    free(p->path);
    free(p->last);
    free(p);
}
