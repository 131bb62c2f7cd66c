/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zone.c - which zone a name belongs to.
 *
 * The zone of a name is the longest zone hash present in the backend that
 * is a suffix of the name. Every suffix of every name in a batch is looked
 * up once (TYPE <key>, pipelined, duplicates removed), so registering a
 * thousand VMs of one zone costs one round trip here, not a thousand. The
 * same pipeline checks that the change stream key is a stream (or absent),
 * because a transaction whose XADD fails would still apply its HSET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

typedef struct cand {
    const char *s; /* a suffix of one of the names, NUL-terminated */
    int is_zone;
} cand_t;

static int cand_cmp(const void *a, const void *b)
{
    return strcmp(((const cand_t *)a)->s, ((const cand_t *)b)->s);
}

void vmdns_zone_field(const char *name, size_t zoff, char *out, size_t cap)
{
    if (zoff == 0) {
        strcpy(out, "@");
        return;
    }
    size_t l = zoff - 1 < cap - 1 ? zoff - 1 : cap - 1;
    memcpy(out, name, l);
    out[l] = '\0';
}

int vmdns_zone_resolve(vmdns_registrar_t *r, const char *const *names, size_t n, long *zoff,
                       vmdns_error_t *err)
{
    size_t nc = 0, cap = 0;
    cand_t *c = NULL;
    for (size_t i = 0; i < n; i++) {
        zoff[i] = -1;
        for (const char *p = names[i]; *p; p = strchr(p, '.') + 1) {
            if (nc == cap) {
                cap = cap ? cap * 2 : 64;
                cand_t *nc2 = realloc(c, cap * sizeof(*c));
                if (!nc2) {
                    free(c);
                    return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
                }
                c = nc2;
            }
            c[nc++] = (cand_t){.s = p, .is_zone = 0};
            if (!strchr(p, '.'))
                break;
        }
    }
    qsort(c, nc, sizeof(*c), cand_cmp);
    size_t nu = 0;
    for (size_t i = 0; i < nc; i++)
        if (nu == 0 || strcmp(c[nu - 1].s, c[i].s) != 0)
            c[nu++] = c[i];

    vmdns_batch_t b = {0};
    for (size_t i = 0; i < nu; i++) {
        char *key = vmdns_reg_zone_key(r, c[i].s);
        if (!key) {
            b.oom = 1;
            break;
        }
        vmdns_batch_cmd(&b, "TYPE", key, NULL);
        free(key);
    }
    vmdns_batch_cmd(&b, "TYPE", r->stream_key, NULL);
    redisReply **rep;
    int rc = vmdns_conn_run(&r->conn, &b, 0, &rep, err);
    vmdns_batch_free(&b);
    if (rc < 0) {
        free(c);
        return -1;
    }
    for (size_t i = 0; i <= nu && rc == 0; i++) {
        if (rep[i]->type != REDIS_REPLY_STATUS)
            rc = vmdns_fail(err, VMDNS_ERR_BACKEND, "TYPE: %s",
                            rep[i]->type == REDIS_REPLY_ERROR ? rep[i]->str : "odd reply");
        else if (i < nu)
            c[i].is_zone = strcmp(rep[i]->str, "hash") == 0;
        else if (strcmp(rep[i]->str, "none") != 0 && strcmp(rep[i]->str, "stream") != 0)
            rc = vmdns_fail(err, VMDNS_ERR_CONFLICT, "change stream key '%s' holds a %s",
                            r->stream_key, rep[i]->str);
    }
    vmdns_conn_free_replies(rep, nu + 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (const char *p = names[i]; *p; p = strchr(p, '.') + 1) {
            cand_t key = {.s = p}, *hit = bsearch(&key, c, nu, sizeof(*c), cand_cmp);
            if (hit && hit->is_zone) {
                zoff[i] = (long)(p - names[i]);
                break;
            }
            if (!strchr(p, '.'))
                break;
        }
    }
    free(c);
    return rc;
}

int vmdns_zone_key_type(vmdns_registrar_t *r, const char *key, char *type, size_t cap,
                        vmdns_error_t *err)
{
    vmdns_batch_t b = {0};
    redisReply **rep;
    vmdns_batch_cmd(&b, "TYPE", key, NULL);
    int rc = vmdns_conn_run(&r->conn, &b, 0, &rep, err);
    vmdns_batch_free(&b);
    if (rc < 0)
        return -1;
    if (rep[0]->type == REDIS_REPLY_STATUS)
        snprintf(type, cap, "%s", rep[0]->str);
    else
        rc = vmdns_fail(err, VMDNS_ERR_BACKEND, "TYPE: %s",
                        rep[0]->type == REDIS_REPLY_ERROR ? rep[0]->str : "odd reply");
    vmdns_conn_free_replies(rep, 1);
    return rc;
}
