/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/conn.c - the one blocking connection a writer (libvmdns) talks
 * through, and how
 * it finds the master again when the master goes away.
 *
 * A write must reach the current master. We never trust a node to be one:
 * after connecting (and AUTH, SELECT) we ask ROLE and skip replicas. The
 * master comes either from the configured node list (tried in order,
 * starting after the node that just failed) or from the sentinels
 * (SENTINEL get-master-addr-by-name, first sentinel that answers). While a
 * failover is under way there may be no master for a moment, so the search
 * is repeated with a short backoff until failover_timeout_ms has passed.
 *
 * vmdns_conn_run sends a whole pipeline and reads every reply. If the connection
 * breaks, a reply times out, or a reply says the node is not (or no longer)
 * a writable master (READONLY, MASTERDOWN, LOADING), the batch is sent once
 * more to the master found next. Batches are idempotent by construction, so
 * sending one twice is harmless; what is never done is reporting success
 * without having read the reply that confirms it.
 */
#include "common/conn.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/err.h"
#include "common/redis_info.h"
#include "common/reply_cap.h"
#include "common/sentinel.h"

/* hiredis writes with write(2): a peer that closed the connection would
 * raise SIGPIPE and kill the host agent. A library must not change the
 * process's signal handling, so while it does I/O the calling thread blocks
 * SIGPIPE, and afterwards consumes a SIGPIPE it caused itself. */
typedef struct pipe_guard {
    sigset_t old;
    int was_pending;
} pipe_guard_t;

static void guard_begin(pipe_guard_t *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void guard_end(pipe_guard_t *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

uint64_t vmdns_conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define now_ms vmdns_conn_now_ms

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct timeval tv_ms(uint32_t ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Parse a list of addresses into a fresh array. */
static int parse_list(const char *const *in, size_t n, uint16_t dport, vmdns_hostport_t **out,
                      vmdns_error_t *err)
{
    char why[300];
    *out = NULL;
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof(**out));
    if (!*out)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (vmdns_hostport_parse(in[i], VMDNS_HP_UNIX, dport, &(*out)[i], why, sizeof(why)) != 0)
            return vmdns_fail(err, VMDNS_ERR_INVALID, "bad address %s", why);
    return 0;
}

int vmdns_conn_init(vmdns_conn_t *c, const vmdns_conn_opts_t *o, vmdns_error_t *err)
{
    memset(c, 0, sizeof(*c));
    if (o->n_nodes == 0 && o->n_sentinels == 0)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no Redis node or sentinel given");
    if (o->n_sentinels && (!o->master_name || !*o->master_name))
        return vmdns_fail(err, VMDNS_ERR_INVALID, "sentinels given without a master name");
    if (parse_list(o->nodes, o->n_nodes, 6379, &c->nodes, err) < 0 ||
        parse_list(o->sentinels, o->n_sentinels, 26379, &c->sentinels, err) < 0)
        return -1;
    c->n_nodes = o->n_nodes;
    c->n_sentinels = o->n_sentinels;
    c->master_name = dup_or_null(o->master_name);
    c->sentinel_password = dup_or_null(o->sentinel_password);
    c->username = dup_or_null(o->username);
    c->password = dup_or_null(o->password);
    c->db = o->db;
    c->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 1000;
    c->command_timeout_ms = o->command_timeout_ms ? o->command_timeout_ms : 2000;
    c->failover_timeout_ms = o->failover_timeout_ms;
    c->warn = o->warn;
    c->warn_ud = o->warn_ud;
    return 0;
}

/* Drop the current connection (after an error). */
static void drop(vmdns_conn_t *c)
{
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
}

void vmdns_conn_drop(vmdns_conn_t *c)
{
    drop(c);
}

void vmdns_conn_destroy(vmdns_conn_t *c)
{
    drop(c);
    free(c->nodes);
    free(c->sentinels);
    free(c->master_name);
    free(c->sentinel_password);
    free(c->username);
    free(c->password);
    memset(c, 0, sizeof(*c));
}

/* Open a TCP or unix connection with the connect and command timeouts. */
static redisContext *dial(const vmdns_conn_t *c, const vmdns_hostport_t *a, char *why, size_t wl)
{
    char as[300];
    redisContext *ctx =
        a->port ? redisConnectWithTimeout(a->host, a->port, tv_ms(c->connect_timeout_ms))
                : redisConnectUnixWithTimeout(a->host, tv_ms(c->connect_timeout_ms));
    if (!ctx || ctx->err) {
        snprintf(why, wl, "%s: %s", vmdns_hostport_str(a, as, sizeof(as)),
                 ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, tv_ms(c->command_timeout_ms));
    vmdns_reply_cap_install(ctx->reader, NULL); /* bounded replies (reply_cap.h) */
    return ctx;
}

/* Run one command; returns the reply or NULL with why filled. */
static redisReply *call(redisContext *ctx, const vmdns_hostport_t *a, char *why, size_t wl,
                        int argc, const char **argv)
{
    char as[300];
    redisReply *rep = vmdns_reply_command(ctx, argc, (const char **)argv);
    if (!rep) {
        snprintf(why, wl, "%s: %s", vmdns_hostport_str(a, as, sizeof(as)), ctx->errstr);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(why, wl, "%s: %s: %s", vmdns_hostport_str(a, as, sizeof(as)), argv[0], rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* The master we just connected to has no replica in sync, but the
 * sentinels list replica `a` for it: must a write wait for `a`? Yes if
 * `a` is a replica (it is catching up), or a master promoted from ours
 * (its previous replication id is our master's id): a failover is under
 * way and our master is the old one, whose writes are about to be thrown
 * away. No if `a` is a master that ours was promoted from (the old master
 * the sentinels have not turned into a replica yet), or is unreachable. */
static int replica_pending(vmdns_conn_t *c, const vmdns_hostport_t *a,
                           const vmdns_redis_info_t *ours)
{
    char why[300];
    uint32_t saved = c->connect_timeout_ms; /* a dead replica must not stall writes */
    c->connect_timeout_ms = saved < 250 ? saved : 250;
    redisContext *ctx = dial(c, a, why, sizeof(why));
    c->connect_timeout_ms = saved;
    redisReply *rep = NULL;
    vmdns_redis_info_t ri = {0};
    int pending = 0;
    if (!ctx)
        return 0;
    if (c->password) {
        const char *argv[3] = {"AUTH", c->username ? c->username : c->password, c->password};
        rep = vmdns_reply_command(ctx, c->username ? 3 : 2, argv);
        freeReplyObject(rep);
    }
    const char *iargv[2] = {"INFO", "replication"};
    rep = vmdns_reply_command(ctx, 2, iargv);
    if (rep && rep->type == REDIS_REPLY_STRING) {
        vmdns_redis_info_parse(rep->str, rep->len, &ri);
        if (strcmp(ri.role, "slave") == 0)
            pending = 1;
        else if (strcmp(ri.role, "master") == 0)
            pending = ours->replid[0] && strcmp(ri.replid2, ours->replid) == 0;
    }
    freeReplyObject(rep);
    redisFree(ctx);
    return pending;
}

/* With no replica in sync, look at the ones the sentinels list (see
 * replica_pending); with some, they are what WAIT counts. */
static void recount_known(vmdns_conn_t *c, const vmdns_redis_info_t *ri)
{
    c->known_replicas = 0;
    if (ri->online_replicas == 0)
        for (size_t i = 0; i < c->n_listed; i++)
            c->known_replicas += (unsigned)replica_pending(c, &c->listed[i], ri);
}

/* Read what the new master says about its replicas and its safety
 * settings (common/redis_info.h); warn about the dangerous ones once per
 * handle. A node that refuses CONFIG still answers INFO. */
static void inspect(vmdns_conn_t *c)
{
    redisReply *info = NULL, *save = NULL;
    vmdns_redis_info_t ri;
    redisAppendCommand(c->ctx, "INFO");
    redisAppendCommand(c->ctx, "CONFIG GET save");
    if (vmdns_reply_get(c->ctx, (void **)&info) != REDIS_OK ||
        vmdns_reply_get(c->ctx, (void **)&save) != REDIS_OK) {
        freeReplyObject(info);
        return; /* the next command finds the broken connection */
    }
    vmdns_redis_info_parse(info->type == REDIS_REPLY_STRING ? info->str : NULL, info->len, &ri);
    if (save->type == REDIS_REPLY_ARRAY && save->elements == 2 &&
        save->element[1]->type == REDIS_REPLY_STRING)
        ri.rdb_save = save->element[1]->len > 0;
    freeReplyObject(info);
    freeReplyObject(save);
    c->online_replicas = ri.online_replicas;
    c->replicas_read_ms = now_ms();
    recount_known(c, &ri);
    char why[400];
    if (!c->warned && c->warn &&
        vmdns_redis_info_risks(&ri, c->known_replicas > 0, why, sizeof(why)) > 0) {
        char msg[720];
        snprintf(msg, sizeof(msg), "Redis %s: %s", c->where, why);
        c->warn(msg, c->warn_ud);
        c->warned = 1;
    }
}

/* Outcome of trying one node. */
enum { NODE_MASTER, NODE_NOT_MASTER, NODE_DOWN, NODE_AUTH };

/* Connect to a, authenticate, select the db and require ROLE master. */
static int try_node(vmdns_conn_t *c, const vmdns_hostport_t *a, char *why, size_t wl)
{
    redisContext *ctx = dial(c, a, why, wl);
    redisReply *rep;
    char db[16];
    if (!ctx)
        return NODE_DOWN;
    if (c->password) {
        const char *argv[3] = {"AUTH", c->username ? c->username : c->password, c->password};
        if (!(rep = call(ctx, a, why, wl, c->username ? 3 : 2, argv))) {
            redisFree(ctx);
            return NODE_AUTH;
        }
        freeReplyObject(rep);
    }
    if (c->db) {
        snprintf(db, sizeof(db), "%d", c->db);
        const char *argv[2] = {"SELECT", db};
        if (!(rep = call(ctx, a, why, wl, 2, argv))) {
            redisFree(ctx);
            return NODE_AUTH;
        }
        freeReplyObject(rep);
    }
    const char *argv[1] = {"ROLE"};
    if (!(rep = call(ctx, a, why, wl, 1, argv))) {
        int down = ctx->err != 0;
        redisFree(ctx);
        return down ? NODE_DOWN : NODE_AUTH;
    }
    int master = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                 rep->element[0]->type == REDIS_REPLY_STRING &&
                 strcmp(rep->element[0]->str, "master") == 0;
    freeReplyObject(rep);
    if (!master) {
        char as[300];
        snprintf(why, wl, "%s: not a master", vmdns_hostport_str(a, as, sizeof(as)));
        redisFree(ctx);
        return NODE_NOT_MASTER;
    }
    c->ctx = ctx;
    c->master = *a;
    vmdns_hostport_str(a, c->where, sizeof(c->where));
    inspect(c);
    return NODE_MASTER;
}

/* One pass over the node list, starting at c->cur. */
static int pass_nodes(vmdns_conn_t *c, char *why, size_t wl)
{
    int worst = NODE_DOWN;
    for (size_t k = 0; k < c->n_nodes; k++) {
        size_t i = (c->cur + k) % c->n_nodes;
        int rc = try_node(c, &c->nodes[i], why, wl);
        if (rc == NODE_MASTER) {
            c->cur = i;
            return NODE_MASTER;
        }
        if (rc == NODE_AUTH)
            worst = NODE_AUTH;
    }
    return worst;
}

/* Does one entry of SENTINEL replicas (a flat key/value array) describe a
 * replica that is not down? Unlike the readers' choice of a node to read
 * from, a replica the sentinel is momentarily "disconnected" from still
 * counts: that is exactly what the promoted replica looks like to the old
 * master's sentinels while a failover runs, and a write must then wait
 * for it rather than be acknowledged by the old master alone. */
static int replica_alive(const redisReply *e, vmdns_hostport_t *out)
{
    const char *ip = NULL, *port = NULL, *flags = NULL;
    if (!e || e->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t k = 0; k + 1 < e->elements; k += 2) {
        const redisReply *key = e->element[k], *val = e->element[k + 1];
        if (key->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(key->str, "ip") == 0)
            ip = val->str;
        else if (strcmp(key->str, "port") == 0)
            port = val->str;
        else if (strcmp(key->str, "flags") == 0)
            flags = val->str;
    }
    if (!ip || !port || !flags || strstr(flags, "s_down") || strstr(flags, "o_down"))
        return 0;
    char text[300], why[300];
    snprintf(text, sizeof(text), strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip, port);
    return vmdns_hostport_parse(text, 0, 6379, out, why, sizeof(why)) == 0;
}

/* One pass over the sentinels (the discovery round of common/sentinel.h):
 * the first that names a master we can use. */
static int pass_sentinels(vmdns_conn_t *c, char *why, size_t wl)
{
    int worst = NODE_DOWN;
    vmdns_sentinel_round_t round;
    const vmdns_hostport_t *s;
    vmdns_sentinel_round_start(&round, c->sentinels, c->n_sentinels, false);
    while ((s = vmdns_sentinel_round_next(&round)) != NULL) {
        redisContext *ctx = dial(c, s, why, wl);
        redisReply *rep = NULL;
        if (ctx && c->sentinel_password) {
            const char *argv[2] = {"AUTH", c->sentinel_password};
            rep = call(ctx, s, why, wl, 2, argv);
            if (!rep) {
                redisFree(ctx);
                ctx = NULL;
            }
            freeReplyObject(rep);
        }
        if (!ctx)
            continue; /* why says what failed */
        const char *argv[3] = {"SENTINEL", "get-master-addr-by-name", c->master_name};
        rep = vmdns_reply_command(ctx, 3, argv);
        if (!rep)
            vmdns_sentinel_round_fail(&round, ctx->errstr);
        int named = rep && vmdns_sentinel_round_master(&round, rep) > 0;
        freeReplyObject(rep);
        vmdns_hostport_t m;
        if (!named || vmdns_sentinel_round_nodes(&round, &m, 1) != 1) {
            redisFree(ctx);
            snprintf(why, wl, "%s (master '%s')", round.why, c->master_name);
            continue;
        }
        /* The replicas it lists for that master, not down: with
         * min_replicas auto a write may have to wait for them even while
         * the master itself has just lost them in a failover (see
         * replica_pending). */
        const char *rargv[3] = {"SENTINEL", "replicas", c->master_name};
        rep = vmdns_reply_command(ctx, 3, rargv);
        c->n_listed = 0;
        for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements &&
                           c->n_listed < sizeof(c->listed) / sizeof(c->listed[0]);
             i++)
            if (replica_alive(rep->element[i], &c->listed[c->n_listed]))
                c->n_listed++;
        freeReplyObject(rep);
        redisFree(ctx);
        int rc = try_node(c, &m, why, wl);
        if (rc == NODE_MASTER)
            return rc;
        if (rc == NODE_AUTH)
            worst = NODE_AUTH;
    }
    return worst;
}

static int ensure(vmdns_conn_t *c, vmdns_error_t *err);

int vmdns_conn_ensure(vmdns_conn_t *c, vmdns_error_t *err)
{
    pipe_guard_t g;
    guard_begin(&g);
    int rc = ensure(c, err);
    guard_end(&g);
    return rc;
}

static int ensure(vmdns_conn_t *c, vmdns_error_t *err)
{
    if (c->ctx)
        return 0;
    char why[400] = "no node answered";
    uint64_t deadline = now_ms() + c->failover_timeout_ms;
    uint32_t backoff = 20;
    for (;;) {
        int rc =
            c->n_sentinels ? pass_sentinels(c, why, sizeof(why)) : pass_nodes(c, why, sizeof(why));
        if (rc == NODE_MASTER)
            return 0;
        if (rc == NODE_AUTH || now_ms() + backoff > deadline)
            break;
        sleep_ms(backoff);
        backoff = backoff * 2 > 250 ? 250 : backoff * 2;
    }
    return vmdns_fail(err, VMDNS_ERR_CONNECT, "no Redis master reachable (%s)", why);
}

/* True for an error reply that means "this node cannot take writes now". */
static int not_master_error(const redisReply *r)
{
    if (!r)
        return 0;
    if (r->type == REDIS_REPLY_ERROR)
        return strncmp(r->str, "READONLY", 8) == 0 || strncmp(r->str, "MASTERDOWN", 10) == 0 ||
               strncmp(r->str, "LOADING", 7) == 0;
    return 0;
}

void vmdns_conn_free_replies(redisReply **replies, size_t n)
{
    if (!replies)
        return;
    for (size_t i = 0; i < n; i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    free(replies);
}

/* One attempt: 0 = all replies read and none says "not master",
 * 1 = fail over and retry (why says why). */
static int attempt(vmdns_conn_t *c, const vmdns_batch_t *b, redisReply **out, char *why, size_t wl)
{
    if (redisAppendFormattedCommand(c->ctx, b->buf, b->len) != REDIS_OK) {
        snprintf(why, wl, "%.200s: %.150s", c->where, c->ctx->errstr);
        return 1;
    }
    for (size_t i = 0; i < b->ncmd; i++) {
        void *rep = NULL;
        if (vmdns_reply_get(c->ctx, &rep) != REDIS_OK) {
            snprintf(why, wl, "%.200s: %.150s", c->where,
                     c->ctx->errstr[0] ? c->ctx->errstr : "connection lost");
            return 1;
        }
        out[i] = rep;
        if (not_master_error(out[i])) {
            snprintf(why, wl, "%.200s: %.150s", c->where, out[i]->str);
            return 1;
        }
    }
    return 0;
}

static int run(vmdns_conn_t *c, const vmdns_batch_t *b, int writes, redisReply ***replies,
               vmdns_error_t *err);

int vmdns_conn_run(vmdns_conn_t *c, const vmdns_batch_t *b, int writes, redisReply ***replies,
                   vmdns_error_t *err)
{
    pipe_guard_t g;
    guard_begin(&g);
    int rc = run(c, b, writes, replies, err);
    guard_end(&g);
    return rc;
}

static int run(vmdns_conn_t *c, const vmdns_batch_t *b, int writes, redisReply ***replies,
               vmdns_error_t *err)
{
    *replies = NULL;
    if (b->oom)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory building a Redis command");
    if (b->ncmd == 0)
        return 0;
    redisReply **out = calloc(b->ncmd, sizeof(*out));
    if (!out)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    char why[400] = "";
    int sent = 0;
    for (int round = 0; round < 2; round++) {
        vmdns_error_t e;
        if (ensure(c, &e) < 0) {
            vmdns_conn_free_replies(out, b->ncmd);
            if (sent && writes)
                return vmdns_fail(err, VMDNS_ERR_UNCONFIRMED, "write not confirmed: %s; then %s",
                                  why, e.message);
            return vmdns_fail(err, e.code, "%s", e.message);
        }
        sent = 1;
        if (attempt(c, b, out, why, sizeof(why)) == 0) {
            *replies = out;
            return 0;
        }
        for (size_t i = 0; i < b->ncmd; i++)
            if (out[i]) {
                freeReplyObject(out[i]);
                out[i] = NULL;
            }
        drop(c);
        if (c->n_nodes)
            c->cur = (c->cur + 1) % c->n_nodes;
    }
    vmdns_conn_free_replies(out, b->ncmd);
    if (writes)
        return vmdns_fail(err, VMDNS_ERR_UNCONFIRMED, "write not confirmed after failover: %s",
                          why);
    return vmdns_fail(err, VMDNS_ERR_CONNECT, "Redis request failed after failover: %s", why);
}

redisReply *vmdns_conn_cmd(vmdns_conn_t *c, int argc, const char **argv)
{
    pipe_guard_t g;
    if (!c->ctx)
        return NULL;
    guard_begin(&g);
    redisReply *rep = vmdns_reply_command(c->ctx, argc, argv);
    guard_end(&g);
    if (!rep)
        drop(c);
    return rep;
}

int vmdns_conn_read_replicas(vmdns_conn_t *c, uint32_t max_age_ms)
{
    if (c->ctx && max_age_ms && now_ms() - c->replicas_read_ms < max_age_ms)
        return 0;
    const char *argv[2] = {"INFO", "replication"};
    redisReply *rep = vmdns_conn_cmd(c, 2, argv);
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_STRING) {
        vmdns_redis_info_t ri;
        vmdns_redis_info_parse(rep->str, rep->len, &ri);
        c->online_replicas = ri.online_replicas;
        c->replicas_read_ms = now_ms();
        pipe_guard_t g;
        guard_begin(&g);
        recount_known(c, &ri);
        guard_end(&g);
    }
    freeReplyObject(rep);
    return 0;
}

/* The master the first answering sentinel names: 0, or -1 if none answered. */
static int sentinel_master(vmdns_conn_t *c, vmdns_hostport_t *m)
{
    char why[300];
    for (size_t i = 0; i < c->n_sentinels; i++) {
        redisContext *ctx = dial(c, &c->sentinels[i], why, sizeof(why));
        redisReply *rep = NULL;
        if (!ctx)
            continue;
        if (c->sentinel_password) {
            const char *argv[2] = {"AUTH", c->sentinel_password};
            rep = call(ctx, &c->sentinels[i], why, sizeof(why), 2, argv);
            if (!rep) {
                redisFree(ctx);
                continue;
            }
            freeReplyObject(rep);
        }
        const char *argv[3] = {"SENTINEL", "get-master-addr-by-name", c->master_name};
        rep = vmdns_reply_command(ctx, 3, argv);
        redisFree(ctx);
        int ok = rep && vmdns_sentinel_parse_master(rep, m) == 0;
        freeReplyObject(rep);
        if (ok)
            return 0;
    }
    return -1;
}

int vmdns_conn_master_moved(vmdns_conn_t *c)
{
    const char *argv[1] = {"ROLE"};
    redisReply *rep = vmdns_conn_cmd(c, 1, argv);
    if (!rep)
        return 1;
    int master = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                 rep->element[0]->type == REDIS_REPLY_STRING &&
                 strcmp(rep->element[0]->str, "master") == 0;
    freeReplyObject(rep);
    if (!master)
        return 1;
    vmdns_hostport_t m;
    if (c->n_sentinels) {
        pipe_guard_t g;
        guard_begin(&g);
        int named = sentinel_master(c, &m) == 0;
        guard_end(&g);
        if (named && (m.port != c->master.port || strcmp(m.host, c->master.host) != 0))
            return 1;
    }
    return 0;
}
