/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn.h - one asynchronous connection to one Redis node.
 *
 * A thin layer over hiredis' async API (0.14: no built-in timeouts) on a
 * libevent base, adding what every user of a connection needs:
 *
 *  - a handshake: AUTH, SELECT and a PING are sent right after connecting,
 *    and the connection only reports READY once they all succeeded;
 *  - a connect timeout (TCP connect + handshake) and a read timeout (no
 *    reply to an outstanding command for that long, plus `extra_wait_ms`
 *    for connections that run blocking commands such as XREAD BLOCK),
 *    both libevent timers;
 *  - one FAILED report when anything goes wrong (refused, reset, timeout,
 *    AUTH error), after which the owner calls redis_conn_close().
 *
 * Reply callbacks get the reply, or NULL when the connection went away
 * with the command outstanding; on NULL they must only release their own
 * privdata (the connection, and maybe its owner, may already be gone).
 *
 * Everything runs on the thread that owns the event base.
 */
#ifndef VMDNS_REDIS_CONN_H
#define VMDNS_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>
#include "common/reply_cap.h"

struct event_base;

typedef struct redis_conn redis_conn_t;

typedef enum { REDIS_CONN_READY, REDIS_CONN_FAILED } redis_conn_event_t;

/* READY (once) or FAILED (once, with a reason), for the owner. */
typedef void (*redis_conn_event_fn)(redis_conn_t *c, redis_conn_event_t ev, const char *why,
                                    void *arg);

/* A reply (NULL: the connection went away; c is then NULL too). */
typedef void (*redis_reply_fn)(redis_conn_t *c, redisReply *reply, void *privdata);

typedef struct redis_conn_opts {
    const char *host;
    uint16_t port;
    const char *username; /* AUTH username password (Redis 6 ACLs); NULL: none */
    const char *password; /* AUTH password; NULL: no AUTH */
    unsigned db;          /* SELECT db when not 0 */
    uint64_t connect_timeout_ms;
    uint64_t read_timeout_ms;
    uint64_t extra_wait_ms;       /* added to the read timeout (blocking commands) */
    const vmdns_reply_cap_t *cap; /* reply size limits; NULL: the defaults (reply_cap.h) */
} redis_conn_opts_t;

/* Start connecting. Never reports synchronously: even an immediate failure
 * comes as a FAILED event from the loop. NULL only on allocation failure. */
redis_conn_t *redis_conn_open(struct event_base *base, const redis_conn_opts_t *o,
                              redis_conn_event_fn fn, void *arg);

/* Send a command (printf-style, as redisAsyncCommand). Returns 0, or -1 if
 * the connection is not usable (fn is then not called). */
int redis_conn_cmd(redis_conn_t *c, redis_reply_fn fn, void *privdata, const char *fmt, ...);

/* The same with an argument vector. */
int redis_conn_argv(redis_conn_t *c, redis_reply_fn fn, void *privdata, int argc, const char **argv,
                    const size_t *lens);

/* PSUBSCRIBE pattern: fn is called for every message with privdata, which
 * must outlive the connection (NULL reply when it closes). */
int redis_conn_psubscribe(redis_conn_t *c, redis_reply_fn fn, void *privdata, const char *pattern);

/* Close (any state). No more events; outstanding reply callbacks get NULL.
 * Safe to call from inside this connection's own callbacks. */
void redis_conn_close(redis_conn_t *c);

/* "host:port" of the node, for messages. */
const char *redis_conn_peer(const redis_conn_t *c);

/* True once READY was reported and before FAILED. */
bool redis_conn_ready(const redis_conn_t *c);

/* Report FAILED now with `why` (e.g. the owner got a reply it cannot use). */
void redis_conn_fail(redis_conn_t *c, const char *why);

#endif
