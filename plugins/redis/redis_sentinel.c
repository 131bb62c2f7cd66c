/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_sentinel.c - one round of questions to the sentinels (see
 * redis_sentinel.h).
 *
 * One connection at a time: connect to the round's next sentinel, pipeline
 * the two questions, feed the replies to the round (common/sentinel.h,
 * the same round libvmdns drives with blocking I/O) and on any failure
 * move on. The query object belongs to the backend until `done` is
 * called; it frees itself just before calling done.
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
    vmdns_sentinel_round_t round; /* which sentinel, what it said (common/sentinel.h) */
    redis_conn_t *conn;
};

static void ask_next(sentinel_query_t *q);

/* Deliver what the current sentinel named (nothing once the round is
 * over) and free. */
static void finish(sentinel_query_t *q)
{
    redis_addr_t nodes[SENTINEL_MAX_NODES];
    size_t n = vmdns_sentinel_round_nodes(&q->round, nodes, SENTINEL_MAX_NODES);
    char why[sizeof(q->round.why)];
    snprintf(why, sizeof(why), "%s", q->round.why);
    sentinel_done_fn done = q->done;
    void *arg = q->arg;
    redis_conn_close(q->conn);
    free(q);
    done(arg, nodes, n, why);
}

/* The current sentinel is no good: ask the next one. */
static void skip(sentinel_query_t *q)
{
    redis_conn_close(q->conn);
    q->conn = NULL;
    ask_next(q);
}

/* What the round says after a reply: done, wait, or next sentinel. */
static void step(sentinel_query_t *q, int rc)
{
    if (rc > 0) {
        finish(q);
    } else if (rc < 0) {
        skip(q);
    }
}

static void on_master(redis_conn_t *c, redisReply *r, void *privdata)
{
    if (c != NULL) {
        sentinel_query_t *q = privdata;
        step(q, vmdns_sentinel_round_master(&q->round, r));
    }
}

static void on_replicas(redis_conn_t *c, redisReply *r, void *privdata)
{
    if (c != NULL) {
        sentinel_query_t *q = privdata;
        step(q, vmdns_sentinel_round_replicas(&q->round, r));
    }
}

static void on_conn(redis_conn_t *c, redis_conn_event_t ev, const char *why, void *arg)
{
    sentinel_query_t *q = arg;
    if (ev == REDIS_CONN_FAILED) {
        vmdns_sentinel_round_fail(&q->round, why);
        skip(q);
        return;
    }
    if (redis_conn_cmd(c, on_master, q, "SENTINEL get-master-addr-by-name %s", q->cfg->master) ||
        redis_conn_cmd(c, on_replicas, q, "SENTINEL replicas %s", q->cfg->master)) {
        vmdns_sentinel_round_fail(&q->round, "cannot send");
        skip(q);
    }
}

/* Connect to the next sentinel of the round; false if none is left. */
static bool open_next(sentinel_query_t *q)
{
    const redis_addr_t *a;
    while ((a = vmdns_sentinel_round_next(&q->round)) != NULL) {
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
    if (!open_next(q)) {
        finish(q); /* no sentinel left: no nodes, and why */
    }
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
    vmdns_sentinel_round_start(&q->round, cfg->addrs, cfg->naddrs, true);
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
