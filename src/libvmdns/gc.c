/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gc.c - deleting names whose lease has expired.
 *
 * vmdnsd already hides an expired name; gc keeps Redis from filling up with
 * them when an agent dies without deregistering. Expired fields are found
 * with HSCAN and deleted by a script that deletes a field only if it still
 * holds the expired value it was found with, so a name renewed (or
 * re-registered) between the scan and the delete survives. Each delete
 * appends its change-stream entry in the same script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

#define GC_CHUNK 200 /* fields per script call */

/* KEYS[1] zone hash, KEYS[2] stream; ARGV[1] maxlen, ARGV[2] zone, then
 * field, value pairs. Returns how many were deleted. */
static const char GC_SCRIPT[] =
    "local n = 0\n"
    "for i = 3, #ARGV, 2 do\n"
    "  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then\n"
    "    redis.call('HDEL', KEYS[1], ARGV[i])\n"
    "    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'zone', ARGV[2],\n"
    "               'name', ARGV[i], 'op', 'del', 'value', '')\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

/* Expired fields of one zone: field and value strings, owned. */
typedef struct expired {
    char **fv; /* field0, value0, field1, value1, ... */
    size_t *len;
    size_t n, cap; /* in strings */
    int64_t now;
    int oom;
} expired_t;

static void push(expired_t *x, const char *s, size_t l)
{
    if (x->oom)
        return;
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 64;
        char **nf = realloc(x->fv, nc * sizeof(*nf));
        size_t *nl = nf ? realloc(x->len, nc * sizeof(*nl)) : NULL;
        if (nf)
            x->fv = nf;
        if (!nf || !nl) {
            x->oom = 1;
            return;
        }
        x->len = nl;
        x->cap = nc;
    }
    x->fv[x->n] = malloc(l + 1);
    if (!x->fv[x->n]) {
        x->oom = 1;
        return;
    }
    memcpy(x->fv[x->n], s, l);
    x->fv[x->n][l] = '\0';
    x->len[x->n++] = l;
}

static int on_field(const char *field, const char *value, size_t vlen, void *ud)
{
    expired_t *x = ud;
    vmdns_rrlist_t rl;
    if (vmdns_record_parse_json(value, vlen, VMDNS_DEFAULT_TTL, &rl, NULL) < 0)
        return 0;
    if (rl.expires != 0 && rl.expires <= x->now) {
        push(x, field, strlen(field));
        push(x, value, vlen);
    }
    vmdns_rrlist_free(&rl);
    return x->oom;
}

/* Delete the collected fields of one zone, GC_CHUNK at a time. */
static int delete_expired(vmdns_registrar_t *r, const char *zone, const char *key, expired_t *x,
                          size_t *removed, vmdns_error_t *err)
{
    const char *argv[7 + 2 * GC_CHUNK];
    size_t lens[7 + 2 * GC_CHUNK];
    for (size_t base = 0; base < x->n; base += 2 * GC_CHUNK) {
        size_t m = x->n - base < 2 * GC_CHUNK ? x->n - base : 2 * GC_CHUNK;
        const char *head[7] = {"EVAL", GC_SCRIPT, "2", key, r->stream_key, r->maxlen, zone};
        for (int i = 0; i < 7; i++) {
            argv[i] = head[i];
            lens[i] = strlen(head[i]);
        }
        for (size_t i = 0; i < m; i++) {
            argv[7 + i] = x->fv[base + i];
            lens[7 + i] = x->len[base + i];
        }
        vmdns_batch_t b = {0};
        redisReply **rep;
        vmdns_batch_argv(&b, (int)(7 + m), argv, lens);
        int rc = vmdns_conn_run(&r->conn, &b, 1, &rep, err);
        vmdns_batch_free(&b);
        if (rc < 0)
            return -1;
        if (rep[0]->type != REDIS_REPLY_INTEGER) {
            vmdns_fail(err, VMDNS_ERR_BACKEND, "gc script: %s",
                       rep[0]->type == REDIS_REPLY_ERROR ? rep[0]->str : "odd reply");
            vmdns_conn_free_replies(rep, 1);
            return -1;
        }
        *removed += (size_t)rep[0]->integer;
        vmdns_conn_free_replies(rep, 1);
    }
    return 0;
}

/* Zones to collect, owned copies. */
typedef struct zones {
    char **zone, **key;
    size_t n, cap;
    int oom;
} zones_t;

static int on_zone(const char *zone, const char *key, void *ud)
{
    zones_t *z = ud;
    if (z->n == z->cap) {
        size_t nc = z->cap ? z->cap * 2 : 16;
        char **a = realloc(z->zone, nc * sizeof(*a));
        if (a)
            z->zone = a;
        char **b = a ? realloc(z->key, nc * sizeof(*b)) : NULL;
        if (!a || !b)
            return z->oom = 1;
        z->key = b;
        z->cap = nc;
    }
    z->zone[z->n] = strdup(zone);
    z->key[z->n] = strdup(key);
    z->n++;
    if (!z->zone[z->n - 1] || !z->key[z->n - 1])
        z->oom = 1;
    return z->oom;
}

int vmdns_gc(vmdns_registrar_t *r, size_t *removed, vmdns_error_t *err)
{
    size_t count = 0;
    zones_t z = {0};
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    pthread_mutex_lock(&r->lock);
    int rc = vmdns_scan_zones(r, on_zone, &z, err) < 0 ? -1 : 0;
    if (z.oom)
        rc = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < z.n && rc == 0; i++) {
        expired_t x = {.now = vmdns_reg_now()};
        if (vmdns_scan_fields(r, z.key[i], on_field, &x, err) < 0)
            rc = -1;
        else if (x.oom)
            rc = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        else
            rc = delete_expired(r, z.zone[i], z.key[i], &x, &count, err);
        for (size_t k = 0; k < x.n; k++)
            free(x.fv[k]);
        free(x.fv);
        free(x.len);
    }
    for (size_t i = 0; i < z.n; i++) {
        free(z.zone[i]);
        free(z.key[i]);
    }
    free(z.zone);
    free(z.key);
    pthread_mutex_unlock(&r->lock);
    if (removed)
        *removed = count;
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}
