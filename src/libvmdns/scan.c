/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * scan.c - walking every zone hash of a backend, and every field of one,
 * with SCAN/HSCAN so that a backend with a million names is read in slices
 * without blocking Redis. Used by list and gc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

/* One SCAN/HSCAN step: returns the reply (cursor, items) or NULL. */
static redisReply *step(vmdns_registrar_t *r, int argc, const char **argv, vmdns_error_t *err)
{
    vmdns_batch_t b = {0};
    redisReply **rep;
    vmdns_batch_argv(&b, argc, argv, NULL);
    int rc = vmdns_conn_run(&r->conn, &b, 0, &rep, err);
    vmdns_batch_free(&b);
    if (rc < 0)
        return NULL;
    redisReply *x = rep[0];
    free(rep);
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 ||
        x->element[0]->type != REDIS_REPLY_STRING || x->element[1]->type != REDIS_REPLY_ARRAY) {
        vmdns_fail(err, VMDNS_ERR_BACKEND, "%s: %s", argv[0],
                   x->type == REDIS_REPLY_ERROR ? x->str : "odd reply");
        freeReplyObject(x);
        return NULL;
    }
    return x;
}

int vmdns_scan_zones(vmdns_registrar_t *r, zone_cb cb, void *ud, vmdns_error_t *err)
{
    size_t cap = 2 * (strlen(r->prefix) + strlen(r->suffix)) + 4;
    char *pattern = malloc(cap), cursor[32] = "0";
    if (!pattern)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    vmdns_schema_scan_pattern(r->prefix, r->suffix, pattern, cap);
    int rc = 0;
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "hash"};
        redisReply *x = step(r, 8, argv, err);
        if (!x) {
            rc = -1;
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", x->element[0]->str);
        redisReply *keys = x->element[1];
        for (size_t i = 0; i < keys->elements && rc == 0; i++) {
            redisReply *k = keys->element[i];
            const char *zt;
            size_t zl;
            if (k->type != REDIS_REPLY_STRING || strlen(k->str) != k->len ||
                (zl = vmdns_schema_key_zone(k->str, k->len, r->prefix, r->suffix, &zt)) == 0)
                continue;
            char *zone = strndup(zt, zl);
            if (!zone) {
                rc = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
                break;
            }
            if (cb(zone, k->str, ud))
                rc = 1;
            free(zone);
        }
        freeReplyObject(x);
    } while (rc == 0 && strcmp(cursor, "0") != 0);
    free(pattern);
    return rc;
}

int vmdns_scan_fields(vmdns_registrar_t *r, const char *key, field_cb cb, void *ud,
                      vmdns_error_t *err)
{
    char cursor[32] = "0";
    int rc = 0;
    do {
        const char *argv[] = {"HSCAN", key, cursor, "COUNT", "1000"};
        redisReply *x = step(r, 5, argv, err);
        if (!x)
            return -1;
        snprintf(cursor, sizeof(cursor), "%s", x->element[0]->str);
        redisReply *kv = x->element[1];
        for (size_t i = 0; i + 1 < kv->elements && rc == 0; i += 2) {
            redisReply *f = kv->element[i], *v = kv->element[i + 1];
            if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                continue;
            if (cb(f->str, v->str, v->len, ud))
                rc = 1;
        }
        freeReplyObject(x);
    } while (rc == 0 && strcmp(cursor, "0") != 0);
    return rc;
}
