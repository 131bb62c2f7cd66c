/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_backend.c - a backend's thread, its connections and its failover
 * (see redis_backend.h for the life cycle).
 *
 * A session is the set of connections to one node: `cmd` (loads, XINFO),
 * `blk` (the blocking XREAD) and, with keyspace notifications, `sub`. It is
 * up when all of them are; any of them failing ends it, and the next node
 * is tried at once. When a whole round of nodes failed, the next round
 * waits min(max_backoff, 100 ms * 2^n), scaled by a random factor in
 * [0.5, 1] so that many servers do not reconnect in step.
 *
 * The view keeps this backend's data whatever happens to the connections;
 * a new session resumes the stream where the last one stopped.
 */
#include "redis/redis_backend.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "core/rcu.h"

#include "common/redis_schema.h"
#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

#define BACKOFF_BASE_MS   100
#define TICK_MS           1000
#define STABLE_SESSION_MS 5000 /* a session this old was not a flap */

static void round_start(redis_backend_t *b);
static void try_node(redis_backend_t *b);

static void timer_arm_ms(struct event *ev, uint64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(ev, &tv);
}

void *backend_scratch(redis_backend_t *b, size_t bytes)
{
    if (bytes > b->scratch_cap) {
        void *grown = realloc(b->scratch, bytes);
        if (grown == NULL) {
            return NULL;
        }
        b->scratch = grown;
        b->scratch_cap = bytes;
    }
    return b->scratch;
}

void backend_lower_priority(redis_backend_t *b)
{
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), REDIS_BACKEND_NICE) != 0) {
        log_warn("redis: backend %s: cannot lower the thread's priority: %s", b->cfg->name,
                 strerror(errno));
    }
}

uint64_t backend_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t next_random(redis_backend_t *b)
{
    /* xorshift64*: jitter only, not security */
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return b->rng * 0x2545f4914f6cdd1dull;
}

/* ---- sessions ---- */

static void close_session(redis_backend_t *b)
{
    redis_conn_t *cmd = b->cmd, *blk = b->blk, *sub = b->sub;
    b->cmd = b->blk = b->sub = NULL;
    b->conns_ready = 0;
    b->xread_pending = false;
    b->lag_pending = false;
    b->ident.probing = false;
    b->ident.poll_pending = false;
    b->stream_type_pending = false;
    if (b->check_pending) {
        /* the check died with the connection: redo it from its older id */
        b->check_pending = false;
        b->unverified = true;
        snprintf(b->check_from, sizeof(b->check_from), "%s", b->check_sent);
        b->check_from_base = b->check_sent_base;
    }
    redis_conn_close(cmd);
    redis_conn_close(blk);
    redis_conn_close(sub);
}

/* A whole round failed: wait, then start over. */
static void round_failed(redis_backend_t *b, const char *why)
{
    if (!atomic_load(&b->settled)) {
        log_warn("redis: backend %s: unreachable before its first load finished (%s); "
                 "serving without it, retrying in the background",
                 b->cfg->name, why);
        atomic_store(&b->settled, true);
    } else if (!b->quiet) {
        log_warn("redis: backend %s: no node reachable (%s); retrying in the background, "
                 "quietly, at most every %llu ms",
                 b->cfg->name, why, (unsigned long long)b->gcfg->max_backoff_ms);
    }
    b->quiet = true;
    uint64_t cap = b->gcfg->max_backoff_ms;
    uint64_t delay = BACKOFF_BASE_MS << (b->backoff < 20 ? b->backoff : 20);
    if (delay > cap) {
        delay = cap;
    } else {
        b->backoff++;
    }
    delay = delay / 2 + next_random(b) % (delay / 2 + 1);
    timer_arm_ms(b->retry_timer, delay);
}

void backend_session_failed(redis_backend_t *b, const char *reason)
{
    /* reason may live in a connection closed below: copy it first */
    char why[160], peer[300];
    snprintf(why, sizeof(why), "%s", reason);
    snprintf(peer, sizeof(peer), "%s", b->cmd ? redis_conn_peer(b->cmd) : "?");
    bool was_up = b->up;
    if (was_up) {
        log_warn("redis: backend %s: lost %s: %s; its data stays served", b->cfg->name, peer, why);
        redis_stat_add(&b->stats->reconnects, 1);
    } else if (!b->quiet) {
        log_warn("redis: backend %s: cannot use %s: %s", b->cfg->name, peer, why);
    }
    /* A session that lasted starts a fresh round at once (the next node;
     * for sentinel, ask again); one that failed quickly counts as a failed
     * attempt, so a node that accepts and then drops us is not retried in a
     * tight loop. */
    bool stable = was_up && backend_now_ms() - b->up_since_ms >= STABLE_SESSION_MS;
    b->up = false;
    atomic_store(&b->stats->up, false);
    close_session(b);
    if (stable) {
        b->round_tries = 0;
        b->backoff = 0;
        if (b->cfg->sentinel) {
            round_start(b);
            return;
        }
        b->node_idx = (b->node_idx + 1) % b->nnodes;
        try_node(b);
        return;
    }
    if (++b->round_tries >= b->nnodes) {
        round_failed(b, why);
        return;
    }
    b->node_idx = (b->node_idx + 1) % b->nnodes;
    try_node(b);
}

static void session_up(redis_backend_t *b)
{
    const char *peer = redis_conn_peer(b->cmd);
    if (b->ever_up && strcmp(peer, b->last_peer) != 0) {
        redis_stat_add(&b->stats->failovers, 1); /* another node than last time */
    }
    snprintf(b->last_peer, sizeof(b->last_peer), "%s", peer);
    b->up = true;
    b->ever_up = true;
    b->quiet = false;
    b->up_since_ms = backend_now_ms();
    atomic_store(&b->stats->up, true);
    log_info("redis: backend %s: connected to %s", b->cfg->name, peer);
    if (b->sub != NULL) {
        notify_subscribe(b);
        if (b->cmd == NULL) {
            return; /* the subscription failed and ended the session */
        }
    }
    ident_probe(b); /* then backend_session_ready */
}

void backend_session_ready(redis_backend_t *b)
{
    if (!b->up || b->cmd == NULL) {
        return;
    }
    if (b->load != NULL) {
        loader_run(b); /* interrupted: start it over */
    } else if (!b->loaded_once) {
        b->want_full = true;
    }
    stream_start(b);
    backend_next_load(b);
}

static void on_conn(redis_conn_t *c, redis_conn_event_t ev, const char *why, void *arg)
{
    redis_backend_t *b = arg;
    if (ev == REDIS_CONN_FAILED) {
        if (c == b->sub && b->up &&
            (strncmp(why, "NOPERM", 6) == 0 || strncmp(why, "ERR", 3) == 0)) {
            /* The server refuses PSUBSCRIBE (an ACL, a proxy): do without
             * notifications; resync_interval still catches stray writers. */
            log_warn("redis: backend %s: keyspace notifications unavailable (%s); relying on "
                     "resync_interval",
                     b->cfg->name, why);
            b->notify_off = true;
            b->sub = NULL;
            redis_conn_close(c);
            return;
        }
        backend_session_failed(b, why);
        return;
    }
    if (++b->conns_ready == b->conns_needed) {
        session_up(b);
    }
}

static void try_node(redis_backend_t *b)
{
    const redis_addr_t *a = &b->nodes[b->node_idx];
    redis_conn_opts_t o = {
        .host = a->host,
        .port = a->port,
        .username = b->cfg->username,
        .password = b->cfg->password,
        .db = b->cfg->db,
        .connect_timeout_ms = b->gcfg->connect_timeout_ms,
        .read_timeout_ms = b->gcfg->read_timeout_ms,
    };
    vmdns_reply_cap_t cap; /* copied by each connection */
    redis_limits_reply_caps(&b->gcfg->limits, &cap);
    o.cap = &cap;
    bool notify = b->gcfg->keyspace_notifications && !b->notify_off;
    b->conns_ready = 0;
    b->conns_needed = notify ? 3 : 2;
    b->cmd = redis_conn_open(b->base, &o, on_conn, b);
    o.extra_wait_ms = REDIS_XREAD_BLOCK_MS;
    b->blk = redis_conn_open(b->base, &o, on_conn, b);
    if (notify) {
        o.read_timeout_ms = UINT32_MAX; /* a subscription waits for ever */
        b->sub = redis_conn_open(b->base, &o, on_conn, b);
    }
    if (b->cmd == NULL || b->blk == NULL || (notify && !b->sub)) {
        close_session(b);
        round_failed(b, "out of memory");
    }
}

static void on_sentinel(void *arg, const redis_addr_t *nodes, size_t n, const char *why)
{
    redis_backend_t *b = arg;
    b->sq = NULL;
    if (n == 0) {
        round_failed(b, why);
        return;
    }
    memcpy(b->nodes, nodes, n * sizeof(*nodes));
    b->nnodes = n;
    b->node_idx = 0;
    b->round_tries = 0;
    try_node(b);
}

static void round_start(redis_backend_t *b)
{
    b->round_tries = 0;
    b->node_idx = 0;
    if (!b->cfg->sentinel) {
        try_node(b);
        return;
    }
    b->sq = sentinel_query_start(b->base, b->cfg, b->gcfg->connect_timeout_ms,
                                 b->gcfg->read_timeout_ms, on_sentinel, b);
    if (b->sq == NULL) {
        round_failed(b, "out of memory");
    }
}

/* The sentinels announced a new master: leave the old one now. */
static void on_master_switch(void *arg, const char *host, uint16_t port)
{
    redis_backend_t *b = arg;
    const redis_addr_t *cur = b->nnodes ? &b->nodes[b->node_idx] : NULL;
    log_info("redis: backend %s: the sentinels switched the master to %s:%u", b->cfg->name, host,
             (unsigned)port);
    if (b->up) {
        if (cur == NULL || strcmp(cur->host, host) != 0 || cur->port != port) {
            backend_session_failed(b, "the sentinels switched the master");
        }
    } else if (b->sq == NULL && event_pending(b->retry_timer, EV_TIMEOUT, NULL)) {
        event_del(b->retry_timer); /* waiting out a backoff: try the new master now */
        round_start(b);
    }
}

/* ---- loads ---- */

typedef struct first_key {
    uint8_t apex[NAME_MAX_WIRE];
    size_t len;
} first_key_t;

static void take_first(void *arg, const void *key, size_t len, long count)
{
    first_key_t *first = arg;
    if (first->len == 0 && len <= NAME_MAX_WIRE) {
        memcpy(first->apex, key, len);
        first->len = len;
    }
}

void backend_next_load(redis_backend_t *b)
{
    if (b->load != NULL || !b->up || b->ident.probing) {
        return;
    }
    if (b->want_full) {
        b->want_full = false;
        strset_clear(b->dirty_zones); /* a full load covers them */
        if (loader_begin(b, NULL, 0) != 0) {
            b->want_full = true;
        }
        return;
    }
    if (strset_count(b->dirty_zones) > 0) {
        /* one zone at a time; take any (a set has no order) */
        first_key_t first = {.len = 0};
        strset_each(b->dirty_zones, take_first, &first);
        strset_remove(b->dirty_zones, first.apex, first.len);
        loader_begin(b, first.apex, first.len);
    }
}

/* ---- timers ---- */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    round_start(arg);
}

static void on_resync(evutil_socket_t fd, short what, void *arg)
{
    redis_backend_t *b = arg;
    if (b->loaded_once) {
        b->want_full = true;
        backend_next_load(b);
    }
    timer_arm_ms(b->resync_timer, b->gcfg->resync_interval_ms);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    redis_backend_t *b = arg;
    merge_tick(b->merge, (int64_t)time(NULL)); /* leases (once for all), a new order */
    stream_poll_lag(b);
    stream_poll_type(b);
    ident_poll(b);
    backend_trim_tick(b);
    if (!event_pending(b->notify_timer, EV_TIMEOUT, NULL)) {
        notify_flush(b);
    }
    timer_arm_ms(b->tick_timer, TICK_MS);
}

static void on_notify_timer(evutil_socket_t fd, short what, void *arg)
{
    notify_flush(arg);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    redis_backend_t *b = arg;
    uint64_t v;
    if (read(b->stop_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        log_warn("redis: backend %s: stop signal: %s", b->cfg->name, strerror(errno));
    }
    event_base_loopbreak(b->base);
}

/* ---- the thread ---- */

static void *backend_main(void *arg)
{
    redis_backend_t *b = arg;
    rcu_register_thread();
    if (b->cfg->sentinel) {
        b->watch =
            sentinel_watch_start(b->base, b->cfg, b->gcfg->connect_timeout_ms, on_master_switch, b);
    }
    round_start(b);
    timer_arm_ms(b->tick_timer, TICK_MS);
    if (b->gcfg->resync_interval_ms > 0) {
        timer_arm_ms(b->resync_timer, b->gcfg->resync_interval_ms);
    }
    event_base_dispatch(b->base);
    /* Stopping: drop the connections while RCU-registered (nothing left
     * to apply, but a reply callback may still run during the close). */
    sentinel_query_cancel(b->sq);
    b->sq = NULL;
    sentinel_watch_free(b->watch);
    b->watch = NULL;
    close_session(b);
    defer_free(b); /* its unapplied nodes freed while RCU-registered too */
    rcu_unregister_thread();
    atomic_store(&b->exited, true);
    return NULL;
}

redis_backend_t *redis_backend_new(const redis_config_t *cfg, size_t which, unsigned slot,
                                   merge_t *merge, redis_stats_t *stats)
{
    redis_backend_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return NULL;
    }
    b->index = slot;
    b->gcfg = cfg;
    b->cfg = &cfg->backends[which];
    b->merge = merge;
    b->stats = stats;
    b->stop_fd = -1;
    b->rng = (uint64_t)time(NULL) ^ ((uint64_t)slot << 32) ^ (uint64_t)(uintptr_t)b;
    if (b->rng == 0) {
        b->rng = 0x9e3779b97f4a7c15ull;
    }
    if (!b->cfg->sentinel) {
        b->nnodes = b->cfg->naddrs < SENTINEL_MAX_NODES ? b->cfg->naddrs : SENTINEL_MAX_NODES;
        memcpy(b->nodes, b->cfg->addrs, b->nnodes * sizeof(*b->nodes));
    }
    if (vmdns_schema_stream_key(b->cfg->prefix, b->cfg->suffix, b->stream_key,
                                sizeof(b->stream_key)) == 0 ||
        vmdns_schema_scan_pattern(b->cfg->prefix, b->cfg->suffix, b->pattern, sizeof(b->pattern)) ==
            0) {
        free(b);
        return NULL;
    }
    b->dirty_zones = strset_new();
    b->touched = strset_new();
    b->touched_zones = strset_new();
    b->ks_events = strset_new();
    b->ks_stream = cfg->keyspace_notifications ? strset_new() : NULL;
    b->bad_logged = strset_new();
    b->base = event_base_new();
    b->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (b->base != NULL) {
        b->stop_ev = event_new(b->base, b->stop_fd, EV_READ | EV_PERSIST, on_stop, b);
        b->retry_timer = evtimer_new(b->base, on_retry, b);
        b->tick_timer = evtimer_new(b->base, on_tick, b);
        b->resync_timer = evtimer_new(b->base, on_resync, b);
        b->notify_timer = evtimer_new(b->base, on_notify_timer, b);
    }
    if (!b->dirty_zones || !b->touched || !b->touched_zones || !b->ks_events ||
        (b->base != NULL && guard_init(b) != 0) || (cfg->keyspace_notifications && !b->ks_stream) ||
        !b->bad_logged || !b->base || b->stop_fd < 0 || !b->stop_ev || !b->retry_timer ||
        !b->tick_timer || !b->resync_timer || !b->notify_timer ||
        event_add(b->stop_ev, NULL) != 0) {
        redis_backend_free(b);
        return NULL;
    }
    return b;
}

int redis_backend_start(redis_backend_t *b)
{
    if (pthread_create(&b->thread, NULL, backend_main, b) != 0) {
        return -1;
    }
    b->started = true;
    return 0;
}

void redis_backend_stop(redis_backend_t *b)
{
    if (b != NULL && b->started && !b->stop_sent) {
        uint64_t one = 1;
        if (write(b->stop_fd, &one, sizeof(one)) != sizeof(one)) {
            log_error("redis: backend %s: cannot signal the thread to stop", b->cfg->name);
        }
        b->stop_sent = true;
    }
}

bool redis_backend_stopped(const redis_backend_t *b)
{
    return !b->started || atomic_load(&b->exited);
}

void redis_backend_kick(redis_backend_t *b)
{
    if (b != NULL && b->started) {
        event_active(b->tick_timer, EV_TIMEOUT, 0);
    }
}

bool redis_backend_settled(const redis_backend_t *b)
{
    return atomic_load(&b->settled);
}

void redis_backend_free(redis_backend_t *b)
{
    if (b == NULL) {
        return;
    }
    if (b->started) {
        redis_backend_stop(b);
        pthread_join(b->thread, NULL);
    }
    struct event *events[] = {b->stop_ev, b->retry_timer, b->tick_timer, b->resync_timer,
                              b->notify_timer};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (events[i] != NULL) {
            event_free(events[i]);
        }
    }
    defer_free(b);
    loader_free(b->load);
    guard_free(b);
    if (b->base != NULL) {
        event_base_free(b->base);
    }
    if (b->stop_fd >= 0) {
        close(b->stop_fd);
    }
    strset_free(b->dirty_zones);
    strset_free(b->touched);
    strset_free(b->touched_zones);
    strset_free(b->ks_events);
    strset_free(b->ks_stream);
    strset_free(b->bad_logged);
    notify_free(b);
    free(b->scratch);
    free(b);
}
