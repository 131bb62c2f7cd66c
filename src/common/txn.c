/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/txn.c - the two shapes of an atomic write (see txn.h).
 *
 * Blind writes (register, deregister) are MULTI / HSET / HDEL / XADD... /
 * EXEC: the hash change and its change-stream entries land together or not
 * at all, and many of them can be pipelined. Read-modify-write edits (set
 * one type of a name, renew a lease, update a zone apex, gc) must not undo a
 * concurrent writer's change, so they run as one Lua script that first
 * checks every field still holds the value the edit was computed from
 * (compare-and-set, per field rather than WATCH on the whole zone hash,
 * which would abort under any registration traffic in the zone) and then
 * applies the HSET/HDEL and XADDs. Keys and entry fields follow
 * common/redis_schema.h, which the server reads with.
 */
#include "common/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/redis_schema.h"

/* Append one XADD for a change. */
static void append_xadd(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, const char *zone,
                        const char *field, const char *value)
{
    const char *argv[6 + VMDNS_SCHEMA_ENTRY_ARGC] = {"XADD", t->stream_key, "MAXLEN",
                                                     "~",    t->maxlen,     "*"};
    vmdns_schema_entry_argv(zone, field, value ? VMDNS_SCHEMA_OP_SET : VMDNS_SCHEMA_OP_DEL, value,
                            argv + 6);
    vmdns_batch_argv(b, (int)(sizeof(argv) / sizeof(argv[0])), argv, NULL);
}

size_t vmdns_txn_append(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, const char *zone_key,
                        const char *zone, const vmdns_change_t *ch, size_t n)
{
    const char *argv[2 + 2 * 8];
    int argc;
    vmdns_batch_cmd(b, "MULTI", NULL);
    argv[0] = "HSET";
    argv[1] = zone_key;
    argc = 2;
    for (size_t i = 0; i < n && argc + 2 <= (int)(sizeof(argv) / sizeof(argv[0])); i++)
        if (ch[i].value) {
            argv[argc++] = ch[i].field;
            argv[argc++] = ch[i].value;
        }
    if (argc > 2)
        vmdns_batch_argv(b, argc, argv, NULL);
    argv[0] = "HDEL";
    argc = 2;
    for (size_t i = 0; i < n && argc < (int)(sizeof(argv) / sizeof(argv[0])); i++)
        if (!ch[i].value)
            argv[argc++] = ch[i].field;
    if (argc > 2)
        vmdns_batch_argv(b, argc, argv, NULL);
    for (size_t i = 0; i < n; i++)
        append_xadd(t, b, zone, ch[i].field, ch[i].value);
    vmdns_batch_cmd(b, "EXEC", NULL);
    return b->ncmd - 1;
}

int vmdns_txn_exec_ok(const redisReply *exec, vmdns_error_t *err)
{
    if (!exec)
        return vmdns_fail(err, VMDNS_ERR_UNCONFIRMED, "no EXEC reply");
    if (exec->type == REDIS_REPLY_ERROR)
        return vmdns_txn_reply_error("EXEC", exec->str, err);
    if (exec->type != REDIS_REPLY_ARRAY)
        return vmdns_fail(err, VMDNS_ERR_BACKEND, "EXEC: transaction aborted");
    for (size_t i = 0; i < exec->elements; i++)
        if (exec->element[i]->type == REDIS_REPLY_ERROR)
            return vmdns_txn_reply_error("in transaction", exec->element[i]->str, err);
    return 0;
}

int vmdns_txn_reply_error(const char *what, const char *str, vmdns_error_t *err)
{
    if (strncmp(str, "OOM", 3) == 0)
        return vmdns_fail(err, VMDNS_ERR_BACKEND,
                          "Redis is out of memory (maxmemory reached, nothing was written): %.150s",
                          str);
    return vmdns_fail(err, VMDNS_ERR_BACKEND, "%s: %.200s", what, str);
}

int vmdns_txn_queued_ok(redisReply *const *replies, size_t first, size_t exec, vmdns_error_t *err)
{
    for (size_t i = first; i < exec; i++)
        if (replies[i] && replies[i]->type == REDIS_REPLY_ERROR)
            return vmdns_txn_reply_error("in transaction", replies[i]->str, err);
    return vmdns_txn_exec_ok(replies[exec], err);
}

/* How many replicas must hold a write now. */
static unsigned replicas_needed(const vmdns_txn_ctx_t *t)
{
    vmdns_conn_t *c = t->conn;
    if (t->min_replicas != VMDNS_TXN_REPLICAS_AUTO)
        return t->min_replicas;
    if (c->online_replicas)
        return c->online_replicas;
    return c->known_replicas ? 1 : 0;
}

/* Append WAIT need timeout. */
static void append_wait(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, unsigned need)
{
    char nrep[16], tmo[16];
    snprintf(nrep, sizeof(nrep), "%u", need);
    snprintf(tmo, sizeof(tmo), "%u", t->min_replicas_timeout_ms ? t->min_replicas_timeout_ms : 1);
    vmdns_batch_cmd(b, "WAIT", nrep, tmo, NULL);
}

/* Replicas a WAIT reply counts, or -1 for an error reply (a replica
 * refuses WAIT: the node was demoted). */
static long long wait_count(const redisReply *rep)
{
    return rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
}

/* A WAIT came back short: wait on the same connection (the write's
 * offset is remembered per client) until enough replicas hold it, the
 * node stops being the master, or the deadline. 1 = confirmed, 0 = the
 * master moved (send again), -1 = deadline; *got the last count. */
static int settle(const vmdns_txn_ctx_t *t, unsigned *need, long long *got, uint64_t deadline)
{
    vmdns_conn_t *c = t->conn;
    for (;;) {
        if (vmdns_conn_master_moved(c))
            return 0;
        if (t->min_replicas == VMDNS_TXN_REPLICAS_AUTO) {
            if (vmdns_conn_read_replicas(c, 0) < 0)
                return 0;
            *need = replicas_needed(t);
            if (*need == 0)
                return 1;
        }
        char nrep[16], tmo[16];
        snprintf(nrep, sizeof(nrep), "%u", *need);
        snprintf(tmo, sizeof(tmo), "%u", 200u);
        const char *argv[3] = {"WAIT", nrep, tmo};
        redisReply *rep = vmdns_conn_cmd(c, 3, argv);
        if (!rep)
            return 0;
        *got = wait_count(rep);
        freeReplyObject(rep);
        if (*got < 0)
            return 0;
        if (*got >= (long long)*need)
            return 1;
        if (vmdns_conn_now_ms() >= deadline)
            return -1;
    }
}

int vmdns_txn_run(const vmdns_txn_ctx_t *t, vmdns_batch_t *b, redisReply ***replies,
                  vmdns_error_t *err)
{
    vmdns_conn_t *c = t->conn;
    size_t base_len = b->len, base_ncmd = b->ncmd;
    uint32_t patience = c->failover_timeout_ms > 1000 ? c->failover_timeout_ms : 1000;
    uint64_t deadline = vmdns_conn_now_ms() + patience;
    *replies = NULL;
    for (int sends = 0;; sends++) {
        b->len = base_len;
        b->ncmd = base_ncmd;
        if (t->min_replicas == VMDNS_TXN_REPLICAS_AUTO && c->ctx)
            vmdns_conn_read_replicas(c, 1000); /* a broken connection is found by the run */
        unsigned need = replicas_needed(t);
        if (need)
            append_wait(t, b, need);
        redisReply **rep;
        if (vmdns_conn_run(c, b, 1, &rep, err) < 0)
            return -1;
        need = replicas_needed(t); /* the run may have found a new master */
        long long got = need ? wait_count(rep[b->ncmd - 1]) : 0;
        int ok = !need || got >= (long long)need;
        if (!ok && got >= 0)
            ok = settle(t, &need, &got, deadline);
        else if (!ok)
            ok = 0; /* WAIT refused: the node is a replica now */
        if (ok == 1) {
            *replies = rep;
            return 0;
        }
        vmdns_conn_free_replies(rep, b->ncmd);
        if (ok < 0 || sends >= 4 || vmdns_conn_now_ms() >= deadline)
            return vmdns_fail(err, VMDNS_ERR_UNCONFIRMED,
                              "written on %.200s but only %lld of %u replicas confirmed it within "
                              "%u ms",
                              c->where, got < 0 ? 0 : got, need, patience);
        /* The master moved under the write: it may be lost with the old
         * master's data. Send it again to the new one. */
        vmdns_conn_drop(c);
    }
}

/* KEYS[1] zone hash, KEYS[2] change stream; ARGV[1] maxlen, ARGV[2] zone,
 * then per field: name, expected ("" = absent, "=" value), new ("" =
 * delete, "=" value, "!" = leave as is). */
static const char CAS_SCRIPT[] =
    "local n = (#ARGV - 2) / 3\n"
    "for i = 0, n - 1 do\n"
    "  local f, e = ARGV[3 + 3 * i], ARGV[4 + 3 * i]\n"
    "  local cur = redis.call('HGET', KEYS[1], f)\n"
    "  if e == '' then\n"
    "    if cur then return 0 end\n"
    "  elseif (not cur) or ('=' .. cur) ~= e then\n"
    "    return 0\n"
    "  end\n"
    "end\n"
    "for i = 0, n - 1 do\n"
    "  local f, v = ARGV[3 + 3 * i], ARGV[5 + 3 * i]\n"
    "  if v == '' then\n"
    "    redis.call('HDEL', KEYS[1], f)\n"
    "    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', '" VMDNS_SCHEMA_F_ZONE "',\n"
    "               ARGV[2], '" VMDNS_SCHEMA_F_NAME "', f, '" VMDNS_SCHEMA_F_OP "',\n"
    "               '" VMDNS_SCHEMA_DEL "', '" VMDNS_SCHEMA_F_VALUE "', '')\n"
    "  elseif v ~= '!' then\n"
    "    local val = string.sub(v, 2)\n"
    "    redis.call('HSET', KEYS[1], f, val)\n"
    "    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', '" VMDNS_SCHEMA_F_ZONE "',\n"
    "               ARGV[2], '" VMDNS_SCHEMA_F_NAME "', f, '" VMDNS_SCHEMA_F_OP "',\n"
    "               '" VMDNS_SCHEMA_SET "', '" VMDNS_SCHEMA_F_VALUE "', val)\n"
    "  end\n"
    "end\n"
    "return 1\n";

/* "=" + s, malloc'd; "" for NULL. */
static char *tagged(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    char *t = malloc(l + 2);
    if (t) {
        if (s) {
            t[0] = '=';
            memcpy(t + 1, s, l + 1);
        } else {
            t[0] = '\0';
        }
    }
    return t;
}

int vmdns_txn_cas(const vmdns_txn_ctx_t *t, const char *zone_key, const char *zone,
                  const vmdns_cas_item_t *items, size_t n, vmdns_error_t *err)
{
    size_t argc = 7 + 3 * n;
    const char **argv = calloc(argc, sizeof(*argv));
    char **own = calloc(2 * n + 1, sizeof(*own));
    int rc = -1;
    if (!argv || !own) {
        vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        goto out;
    }
    argv[0] = "EVAL";
    argv[1] = CAS_SCRIPT;
    argv[2] = "2";
    argv[3] = zone_key;
    argv[4] = t->stream_key;
    argv[5] = t->maxlen;
    argv[6] = zone;
    for (size_t i = 0; i < n; i++) {
        own[2 * i] = tagged(items[i].expect);
        own[2 * i + 1] = items[i].keep ? strdup("!") : tagged(items[i].value);
        if (!own[2 * i] || !own[2 * i + 1]) {
            vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
            goto out;
        }
        argv[7 + 3 * i] = items[i].field;
        argv[8 + 3 * i] = own[2 * i];
        argv[9 + 3 * i] = own[2 * i + 1];
    }
    vmdns_batch_t b = {0};
    vmdns_batch_argv(&b, (int)argc, argv, NULL);
    redisReply **rep;
    if (vmdns_txn_run(t, &b, &rep, err) == 0) {
        if (rep[0]->type == REDIS_REPLY_INTEGER)
            rc = rep[0]->integer == 1 ? 1 : 0;
        else if (rep[0]->type == REDIS_REPLY_ERROR)
            vmdns_txn_reply_error("EVAL", rep[0]->str, err);
        else
            vmdns_fail(err, VMDNS_ERR_BACKEND, "EVAL: odd reply");
        vmdns_conn_free_replies(rep, b.ncmd);
    }
    vmdns_batch_free(&b);
out:
    if (own)
        for (size_t i = 0; i < 2 * n; i++)
            free(own[i]);
    free(own);
    free(argv);
    return rc;
}
