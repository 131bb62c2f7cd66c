/*
 * redis_sentinel.c - one round of questions to the sentinels (see
 * redis_sentinel.h).
 *
 * One connection at a time: connect to sentinel i, pipeline the two
 * questions, and on any failure move to sentinel i+1. The query object
 * belongs to the backend until `done` is called; it frees itself just
 * before calling done.
 *
 * The watch is the other half: a long-lived subscription to the
 * sentinels' +switch-master announcements, so the backend leaves a demoted
 * master the moment a failover completes.
 */
#include "redis/redis_sentinel.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sentinel.h"
#include "redis/redis_conn.h"

struct sentinel_query {
    struct event_base *base;
    const redis_backend_config_t *cfg;
    uint64_t connect_timeout_ms, read_timeout_ms;
    sentinel_done_fn done;
    void *arg;
    size_t next; /* next sentinel to ask */
    redis_conn_t *conn;
    int replies; /* answers received from the current sentinel */
    bool have_master;
    redis_addr_t master;
    redis_addr_t replicas[SENTINEL_MAX_NODES];
    size_t nreplicas;
    char why[256];
};

static void ask_next(sentinel_query_t *q);

/* Deliver and free. */
static void finish(sentinel_query_t *q)
{
    redis_addr_t nodes[SENTINEL_MAX_NODES];
    size_t n = vmdns_sentinel_nodes(q->have_master ? &q->master : NULL, q->replicas, q->nreplicas,
                                    nodes, SENTINEL_MAX_NODES);
    char why[256];
    snprintf(why, sizeof(why), "%s", q->why);
    sentinel_done_fn done = q->done;
    void *arg = q->arg;
    redis_conn_close(q->conn);
    free(q);
    done(arg, nodes, n, why);
}

/* The current sentinel is no good: note why and ask the next one. */
static void sentinel_failed(sentinel_query_t *q, const char *why)
{
    snprintf(q->why, sizeof(q->why), "sentinel %s: %s", q->conn ? redis_conn_peer(q->conn) : "?",
             why);
    redis_conn_close(q->conn);
    q->conn = NULL;
    ask_next(q);
}

static void answered(sentinel_query_t *q)
{
    if (++q->replies < 2) {
        return;
    }
    if (!q->have_master && q->nreplicas == 0) {
        sentinel_failed(q, "knows no node of this master");
        return;
    }
    finish(q);
}

static void on_master(redis_conn_t *c, redisReply *r, void *privdata)
{
    if (c == NULL) {
        return;
    }
    sentinel_query_t *q = privdata;
    if (r->type == REDIS_REPLY_ERROR) {
        sentinel_failed(q, r->str);
        return;
    }
    q->have_master = vmdns_sentinel_parse_master(r, &q->master) == 0; /* nil: unknown master */
    answered(q);
}

static void on_replicas(redis_conn_t *c, redisReply *r, void *privdata)
{
    if (c == NULL) {
        return;
    }
    sentinel_query_t *q = privdata;
    if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements && q->nreplicas < SENTINEL_MAX_NODES; i++) {
            if (vmdns_sentinel_parse_replica(r->element[i], &q->replicas[q->nreplicas]) == 0) {
                q->nreplicas++;
            }
        }
    }
    answered(q);
}

static void on_conn(redis_conn_t *c, redis_conn_event_t ev, const char *why, void *arg)
{
    sentinel_query_t *q = arg;
    if (ev == REDIS_CONN_FAILED) {
        sentinel_failed(q, why);
        return;
    }
    q->replies = 0;
    q->have_master = false;
    q->nreplicas = 0;
    if (redis_conn_cmd(c, on_master, q, "SENTINEL get-master-addr-by-name %s", q->cfg->master) ||
        redis_conn_cmd(c, on_replicas, q, "SENTINEL replicas %s", q->cfg->master)) {
        sentinel_failed(q, "cannot send");
    }
}

/* Connect to the next sentinel; false if none is left. */
static bool open_next(sentinel_query_t *q)
{
    while (q->next < q->cfg->naddrs) {
        const redis_addr_t *a = &q->cfg->addrs[q->next++];
        redis_conn_opts_t o = {
            .host = a->host,
            .port = a->port,
            .username = q->cfg->sentinel_username,
            .password = q->cfg->sentinel_password,
            .connect_timeout_ms = q->connect_timeout_ms,
            .read_timeout_ms = q->read_timeout_ms,
        };
        q->conn = redis_conn_open(q->base, &o, on_conn, q);
        if (q->conn != NULL) {
            return true;
        }
    }
    return false;
}

static void ask_next(sentinel_query_t *q)
{
    if (open_next(q)) {
        return;
    }
    if (q->why[0] == '\0') {
        snprintf(q->why, sizeof(q->why), "no sentinel answered");
    }
    q->have_master = false;
    q->nreplicas = 0;
    finish(q);
}

sentinel_query_t *sentinel_query_start(struct event_base *base, const redis_backend_config_t *cfg,
                                       uint64_t connect_timeout_ms, uint64_t read_timeout_ms,
                                       sentinel_done_fn done, void *arg)
{
    sentinel_query_t *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        return NULL;
    }
    q->base = base;
    q->cfg = cfg;
    q->connect_timeout_ms = connect_timeout_ms;
    q->read_timeout_ms = read_timeout_ms;
    q->done = done;
    q->arg = arg;
    if (!open_next(q)) {
        free(q);
        return NULL;
    }
    return q;
}

void sentinel_query_cancel(sentinel_query_t *q)
{
    if (q != NULL) {
        redis_conn_close(q->conn);
        free(q);
    }
}

/* ---- the watch ---- */

#define WATCH_RETRY_MS 1000

struct sentinel_watch {
    struct event_base *base;
    const redis_backend_config_t *cfg;
    uint64_t connect_timeout_ms;
    sentinel_switch_fn fn;
    void *arg;
    size_t next;
    redis_conn_t *conn;
    struct event *retry;
};

static void on_switch(redis_conn_t *c, redisReply *r, void *privdata)
{
    sentinel_watch_t *w = privdata;
    redis_addr_t to;
    /* ["pmessage", pattern, channel, "name old-ip old-port new-ip new-port"] */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
        r->element[3]->type == REDIS_REPLY_STRING &&
        vmdns_sentinel_parse_switch(r->element[3]->str, w->cfg->master, &to) == 0) {
        w->fn(w->arg, to.host, to.port);
    }
}

static void watch_connect(sentinel_watch_t *w);

static void on_watch_conn(redis_conn_t *c, redis_conn_event_t ev, const char *why, void *arg)
{
    sentinel_watch_t *w = arg;
    if (ev == REDIS_CONN_READY) {
        if (redis_conn_psubscribe(c, on_switch, w, "+switch-master") == 0) {
            return;
        }
    }
    redis_conn_close(w->conn);
    w->conn = NULL;
    struct timeval tv = {WATCH_RETRY_MS / 1000, (WATCH_RETRY_MS % 1000) * 1000};
    event_add(w->retry, &tv);
}

static void on_watch_retry(evutil_socket_t fd, short what, void *arg)
{
    watch_connect(arg);
}

static void watch_connect(sentinel_watch_t *w)
{
    const redis_addr_t *a = &w->cfg->addrs[w->next++ % w->cfg->naddrs];
    redis_conn_opts_t o = {
        .host = a->host,
        .port = a->port,
        .username = w->cfg->sentinel_username,
        .password = w->cfg->sentinel_password,
        .connect_timeout_ms = w->connect_timeout_ms,
        .read_timeout_ms = w->connect_timeout_ms,
    };
    w->conn = redis_conn_open(w->base, &o, on_watch_conn, w);
    if (w->conn == NULL) {
        struct timeval tv = {WATCH_RETRY_MS / 1000, (WATCH_RETRY_MS % 1000) * 1000};
        event_add(w->retry, &tv);
    }
}

sentinel_watch_t *sentinel_watch_start(struct event_base *base, const redis_backend_config_t *cfg,
                                       uint64_t connect_timeout_ms, sentinel_switch_fn fn,
                                       void *arg)
{
    sentinel_watch_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    *w = (sentinel_watch_t){
        .base = base, .cfg = cfg, .connect_timeout_ms = connect_timeout_ms, .fn = fn, .arg = arg};
    w->retry = evtimer_new(base, on_watch_retry, w);
    if (w->retry == NULL) {
        free(w);
        return NULL;
    }
    watch_connect(w);
    return w;
}

void sentinel_watch_free(sentinel_watch_t *w)
{
    if (w == NULL) {
        return;
    }
    redis_conn_close(w->conn);
    event_free(w->retry);
    free(w);
}
