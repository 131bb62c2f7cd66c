/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn.c - one async Redis connection with handshake and timeouts
 * (see redis_conn.h).
 *
 * Ownership is the subtle part of hiredis' async API: the library frees the
 * redisAsyncContext itself after a failed connect or a disconnect, may defer
 * a redisAsyncFree() called from inside one of its callbacks, and calls
 * every outstanding reply callback with NULL while freeing. So:
 *
 *  - every command goes through a small heap "trampoline" holding the
 *    user's callback; on a NULL reply it calls the user without touching
 *    the connection (which may be gone), and frees itself;
 *  - when we let go of a context we first detach it (data = NULL, no
 *    connect/disconnect callbacks), so hiredis never calls back into a
 *    redis_conn_t that no longer exists;
 *  - the owner is told about a failure exactly once, and nothing in this
 *    file touches `c` after calling the owner (the owner may close it).
 */
#include "redis/redis_conn.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis/redis_conn_io.h"

/* How many read timeouts in a row are forgiven because a reply was already
 * waiting to be read: enough for a stalled thread to catch up, few enough that
 * a node dripping a reply byte by byte still times out. */
enum { REDIS_CONN_LATE_READS = 3 };

/* A command that left more than this after it was queued was held up by
 * this thread (starved on a loaded host), not by Redis: its read timeout
 * counts from when it left. */
enum { REDIS_CONN_LATE_SEND_MS = 100 };

struct redis_conn {
    redisAsyncContext *ac;
    struct event_base *base;
    struct event *connect_timer;
    struct event *read_timer;
    struct event *fail_later; /* reports a failure found inside open() */
    redis_conn_event_fn fn;
    void *arg;
    uint64_t read_timeout_ms;
    unsigned pending;       /* commands sent and not answered (not counting subscriptions) */
    unsigned handshake;     /* handshake replies still expected */
    unsigned late_reads;    /* read timeouts forgiven since the last reply: bytes were waiting */
    uint64_t read_armed_ms; /* monotonic: when the read clock started */
    uint64_t read_sent_ms;  /* the first write after that (0: none yet) */
    bool ready;
    bool failed;
    vmdns_reply_cap_t cap; /* this connection's reply limits (redis_conn_io.h) */
    char why[192];
    char peer[280];
};

typedef struct trampoline {
    redis_conn_t *conn;
    redis_reply_fn fn;
    void *privdata;
} trampoline_t;

static void timer_arm(struct event *ev, uint64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(ev, &tv);
}

static uint64_t conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Start the read clock for the oldest command not answered: queued now
 * (`queued`: its write is still to come) or sent already. */
static void read_clock_start(redis_conn_t *c, bool queued)
{
    c->read_armed_ms = conn_now_ms();
    c->read_sent_ms = queued ? 0 : c->read_armed_ms;
    timer_arm(c->read_timer, c->read_timeout_ms);
}

/* redis_conn_io.c wrote to the socket. */
static void on_wrote(void *arg)
{
    redis_conn_t *c = arg;
    if (c->read_sent_ms == 0) {
        c->read_sent_ms = conn_now_ms();
    }
}

/* Let go of the hiredis context without any further callback into c. */
static void detach(redis_conn_t *c)
{
    redisAsyncContext *ac = c->ac;
    if (ac == NULL) {
        return;
    }
    c->ac = NULL;
    ac->data = NULL;
    ac->c.reader->privdata = NULL; /* the cap lives in c */
    ac->onConnect = NULL;
    ac->onDisconnect = NULL;
    redisAsyncFree(ac); /* deferred by hiredis when inside its callback */
}

void redis_conn_fail(redis_conn_t *c, const char *why)
{
    if (c->failed) {
        return;
    }
    c->failed = true;
    c->ready = false;
    snprintf(c->why, sizeof(c->why), "%s", why);
    event_del(c->connect_timer);
    event_del(c->read_timer);
    detach(c);
    c->fn(c, REDIS_CONN_FAILED, c->why, c->arg); /* may close c: touch nothing after */
}

static void on_ready(redis_conn_t *c)
{
    c->ready = true;
    event_del(c->connect_timer);
    c->fn(c, REDIS_CONN_READY, "", c->arg);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    redis_conn_fail(arg, "connect timeout");
}

/* Bytes are waiting on the connection's socket: the reply came, and it is
 * this thread that was late to read it (a long stall on a loaded host), not
 * Redis that was slow. */
static bool reply_waiting(const redis_conn_t *c)
{
    if (c->ac == NULL || c->ac->c.fd < 0) {
        return false;
    }
    struct pollfd p = {.fd = c->ac->c.fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void on_read_timeout(evutil_socket_t fd, short what, void *arg)
{
    redis_conn_t *c = arg;
    if (c->late_reads < REDIS_CONN_LATE_READS && reply_waiting(c)) {
        c->late_reads++; /* let the read callback run first; bounded, so a drip still times out */
        timer_arm(c->read_timer, c->read_timeout_ms);
        return;
    }
    /* The command went out late (this thread was starved between queueing
     * and writing it): Redis gets its whole read timeout from then on. */
    uint64_t now = conn_now_ms();
    if (c->late_reads < REDIS_CONN_LATE_READS && c->read_sent_ms != 0 &&
        c->read_sent_ms >= c->read_armed_ms + REDIS_CONN_LATE_SEND_MS &&
        c->read_sent_ms + c->read_timeout_ms > now) {
        c->late_reads++;
        c->read_armed_ms = c->read_sent_ms; /* once: the clock now runs from the write */
        timer_arm(c->read_timer, c->read_sent_ms + c->read_timeout_ms - now);
        return;
    }
    redis_conn_fail(c, "read timeout");
}

/* A reply grew past the cap while being received (redis_conn_io.c). */
static void on_overflow(void *arg)
{
    redis_conn_t *c = arg;
    redis_conn_fail(c, c->cap.why);
}

static void on_fail_later(evutil_socket_t fd, short what, void *arg)
{
    redis_conn_t *c = arg;
    redis_conn_fail(c, c->why);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    redis_conn_t *c = ac->data;
    if (c == NULL) {
        return;
    }
    if (status != REDIS_OK) {
        c->ac = NULL; /* hiredis frees it after this callback */
        redis_conn_fail(c, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    if (c->handshake == 0) {
        on_ready(c);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    redis_conn_t *c = ac->data;
    if (c == NULL) {
        return;
    }
    c->ac = NULL; /* hiredis frees it after this callback */
    if (c->cap.why[0] != '\0') {
        redis_conn_fail(c, c->cap.why); /* a reply over the cap */
        return;
    }
    redis_conn_fail(c, status == REDIS_OK ? "connection closed"
                                          : (ac->errstr[0] ? ac->errstr : "connection lost"));
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    trampoline_t t = *(trampoline_t *)privdata;
    free(privdata);
    if (r == NULL) {
        t.fn(NULL, NULL, t.privdata);
        return;
    }
    redis_conn_t *c = t.conn;
    c->late_reads = 0;
    if (c->pending > 0 && --c->pending > 0) {
        read_clock_start(c, false); /* the next one was sent already */
    } else {
        event_del(c->read_timer);
    }
    t.fn(c, r, t.privdata);
}

static void on_handshake(redis_conn_t *c, redisReply *reply, void *privdata)
{
    if (c == NULL) {
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[160];
        snprintf(why, sizeof(why), "%s failed: %.120s", (const char *)privdata, reply->str);
        redis_conn_fail(c, why);
        return;
    }
    if (--c->handshake == 0 && !c->ready && !c->failed) {
        on_ready(c);
    }
}

static int send_prepared(redis_conn_t *c, trampoline_t *t, int rc)
{
    if (rc != REDIS_OK) {
        free(t);
        return -1;
    }
    if (c->pending++ == 0) {
        read_clock_start(c, true);
    }
    return 0;
}

static trampoline_t *trampoline(redis_conn_t *c, redis_reply_fn fn, void *privdata)
{
    if (c->ac == NULL || c->failed) {
        return NULL;
    }
    trampoline_t *t = malloc(sizeof(*t));
    if (t != NULL) {
        *t = (trampoline_t){c, fn, privdata};
    }
    return t;
}

int redis_conn_cmd(redis_conn_t *c, redis_reply_fn fn, void *privdata, const char *fmt, ...)
{
    trampoline_t *t = trampoline(c, fn, privdata);
    if (t == NULL) {
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(c->ac, on_reply, t, fmt, ap);
    va_end(ap);
    return send_prepared(c, t, rc);
}

int redis_conn_argv(redis_conn_t *c, redis_reply_fn fn, void *privdata, int argc, const char **argv,
                    const size_t *lens)
{
    trampoline_t *t = trampoline(c, fn, privdata);
    if (t == NULL) {
        return -1;
    }
    return send_prepared(c, t, redisAsyncCommandArgv(c->ac, on_reply, t, argc, argv, lens));
}

/* Subscription messages: hiredis keeps calling the same callback for
 * every message and once more with NULL when the context is freed, which
 * is when the context struct goes. The connection is found through
 * ac->data, which detach() clears. */
typedef struct sub_ctx {
    redis_reply_fn fn;
    void *privdata;
} sub_ctx_t;

static void on_sub_message(redisAsyncContext *ac, void *r, void *privdata)
{
    sub_ctx_t *sub = privdata;
    if (r == NULL) {
        free(sub);
        return;
    }
    redis_conn_t *c = ac->data;
    if (c != NULL) {
        sub->fn(c, r, sub->privdata);
    }
}

int redis_conn_psubscribe(redis_conn_t *c, redis_reply_fn fn, void *privdata, const char *pattern)
{
    if (c->ac == NULL || c->failed) {
        return -1;
    }
    sub_ctx_t *sub = malloc(sizeof(*sub));
    if (sub == NULL) {
        return -1;
    }
    *sub = (sub_ctx_t){fn, privdata};
    if (redisAsyncCommand(c->ac, on_sub_message, sub, "PSUBSCRIBE %s", pattern) != REDIS_OK) {
        free(sub);
        return -1;
    }
    return 0;
}

redis_conn_t *redis_conn_open(struct event_base *base, const redis_conn_opts_t *o,
                              redis_conn_event_fn fn, void *arg)
{
    redis_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->base = base;
    c->fn = fn;
    c->arg = arg;
    c->read_timeout_ms = o->read_timeout_ms + o->extra_wait_ms;
    if (o->cap != NULL) {
        vmdns_reply_cap_init(&c->cap, o->cap->max_bulk, o->cap->max_total);
    } else {
        vmdns_reply_cap_init(&c->cap, VMDNS_REPLY_DEFAULT_BULK, VMDNS_REPLY_DEFAULT_TOTAL);
    }
    if (o->port == 0) { /* a unix socket path (redis_config.c allows "/path") */
        snprintf(c->peer, sizeof(c->peer), "%s", o->host);
    } else {
        snprintf(c->peer, sizeof(c->peer), strchr(o->host, ':') ? "[%s]:%u" : "%s:%u", o->host,
                 (unsigned)o->port);
    }
    c->connect_timer = evtimer_new(base, on_connect_timeout, c);
    c->read_timer = evtimer_new(base, on_read_timeout, c);
    c->fail_later = evtimer_new(base, on_fail_later, c);
    if (c->connect_timer == NULL || c->read_timer == NULL || c->fail_later == NULL) {
        redis_conn_close(c);
        return NULL;
    }
    timer_arm(c->connect_timer, o->connect_timeout_ms);

    redisAsyncContext *ac =
        o->port == 0 ? redisAsyncConnectUnix(o->host) : redisAsyncConnect(o->host, o->port);
    if (ac == NULL || ac->err) {
        snprintf(c->why, sizeof(c->why), "%s", ac ? ac->errstr : "out of memory");
        if (ac != NULL) {
            redisAsyncFree(ac);
        }
        timer_arm(c->fail_later, 0);
        return c;
    }
    ac->data = c;
    c->ac = ac;
    if (o->port != 0) {
        redisEnableKeepAlive(&ac->c); /* notice dead peers on idle subscriptions too */
    }
    /* Keep the read buffer between replies: freeing and regrowing it for
     * every big reply (a batch of stream entries) costs more than it saves. */
    ac->c.reader->maxbuf = 0;
    if (redis_conn_io_attach(ac, base, &c->cap, on_overflow, on_wrote, c) != REDIS_OK) {
        snprintf(c->why, sizeof(c->why), "cannot attach to the event loop");
        detach(c);
        timer_arm(c->fail_later, 0);
        return c;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (o->password != NULL) {
        c->handshake++;
        int rc =
            o->username != NULL
                ? redis_conn_cmd(c, on_handshake, "AUTH", "AUTH %s %s", o->username, o->password)
                : redis_conn_cmd(c, on_handshake, "AUTH", "AUTH %s", o->password);
        if (rc != 0) {
            c->handshake--;
        }
    }
    if (o->db != 0) {
        c->handshake++;
        if (redis_conn_cmd(c, on_handshake, "SELECT", "SELECT %u", o->db) != 0) {
            c->handshake--;
        }
    }
    /* A node is up when it answers, not when TCP connects (a proxy or a
     * half-dead host accepts connections too). */
    c->handshake++;
    if (redis_conn_cmd(c, on_handshake, "PING", "PING") != 0) {
        c->handshake--;
    }
    return c;
}

void redis_conn_close(redis_conn_t *c)
{
    if (c == NULL) {
        return;
    }
    c->failed = true;
    detach(c);
    vmdns_reply_cap_release_arena(&c->cap); /* replies hiredis still holds keep it */
    if (c->connect_timer) {
        event_free(c->connect_timer);
    }
    if (c->read_timer) {
        event_free(c->read_timer);
    }
    if (c->fail_later) {
        event_free(c->fail_later);
    }
    free(c);
}

const char *redis_conn_peer(const redis_conn_t *c)
{
    return c->peer;
}

bool redis_conn_ready(const redis_conn_t *c)
{
    return c->ready && !c->failed;
}
