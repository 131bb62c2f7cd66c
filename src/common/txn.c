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
        return vmdns_fail(err, VMDNS_ERR_BACKEND, "EXEC: %s", exec->str);
    if (exec->type != REDIS_REPLY_ARRAY)
        return vmdns_fail(err, VMDNS_ERR_BACKEND, "EXEC: transaction aborted");
    for (size_t i = 0; i < exec->elements; i++)
        if (exec->element[i]->type == REDIS_REPLY_ERROR)
            return vmdns_fail(err, VMDNS_ERR_BACKEND, "in transaction: %s", exec->element[i]->str);
    return 0;
}

int vmdns_txn_append_wait(const vmdns_txn_ctx_t *t, vmdns_batch_t *b)
{
    if (!t->min_replicas)
        return 0;
    char nrep[16], tmo[16];
    snprintf(nrep, sizeof(nrep), "%u", t->min_replicas);
    snprintf(tmo, sizeof(tmo), "%u", t->min_replicas_timeout_ms ? t->min_replicas_timeout_ms : 1);
    vmdns_batch_cmd(b, "WAIT", nrep, tmo, NULL);
    return 1;
}

int vmdns_txn_wait_ok(const vmdns_txn_ctx_t *t, const redisReply *rep, vmdns_error_t *err)
{
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return vmdns_fail(err, VMDNS_ERR_BACKEND, "WAIT: %s",
                          rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "odd reply");
    if (rep->integer < (long long)t->min_replicas)
        return vmdns_fail(err, VMDNS_ERR_UNCONFIRMED,
                          "written on the master but only %lld of %u replicas confirmed it",
                          rep->integer, t->min_replicas);
    return 0;
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
    int waited = vmdns_txn_append_wait(t, &b);
    redisReply **rep;
    if (vmdns_conn_run(t->conn, &b, 1, &rep, err) == 0) {
        if (rep[0]->type == REDIS_REPLY_INTEGER) {
            rc = rep[0]->integer == 1 ? 1 : 0;
            if (rc == 1 && waited && vmdns_txn_wait_ok(t, rep[1], err) < 0)
                rc = -1;
        } else {
            vmdns_fail(err, VMDNS_ERR_BACKEND, "EVAL: %s",
                       rep[0]->type == REDIS_REPLY_ERROR ? rep[0]->str : "odd reply");
        }
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
