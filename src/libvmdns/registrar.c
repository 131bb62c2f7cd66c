/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrar.c - opening and closing a registrar handle.
 *
 * The handle owns the options (copied), the connection to the master and
 * the lock that lets threads share it. Opening validates every option and
 * connects at once, so a wrong address or password shows up at startup of
 * the agent, not at its first VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registrar_int.h"

_Static_assert(VMDNS_MIN_REPLICAS_AUTO == VMDNS_TXN_REPLICAS_AUTO, "one value for auto");

/* The defaults, in this library's own layout. */
static void opts_defaults(vmdns_registrar_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->prefix = "";
    o->suffix = "";
    o->connect_timeout_ms = 1000;
    o->command_timeout_ms = 2000;
    o->failover_timeout_ms = 2000;
    o->stream_maxlen = 1000000;
    o->default_ttl = 30;
    o->min_replicas = VMDNS_MIN_REPLICAS_AUTO;
    o->min_replicas_timeout_ms = 100;
    o->wait_visible_timeout_ms = 5000;
}

void vmdns_registrar_opts_init_size(vmdns_registrar_opts_t *o, size_t size)
{
    vmdns_registrar_opts_t d;
    if (!o || size < sizeof(size_t))
        return;
    opts_defaults(&d);
    memset(o, 0, size);
    memcpy(o, &d, size < sizeof(d) ? size : sizeof(d));
    o->struct_size = size;
}

int64_t vmdns_reg_now(void)
{
    return (int64_t)time(NULL);
}

char *vmdns_reg_zone_key(const vmdns_registrar_t *r, const char *zone)
{
    size_t zl = strlen(zone), cap = strlen(r->prefix) + zl + strlen(r->suffix) + 1;
    char *k = malloc(cap);
    if (k && vmdns_schema_zone_key(r->prefix, zone, zl, r->suffix, k, cap) == 0) {
        free(k);
        k = NULL;
    }
    return k;
}

vmdns_registrar_t *vmdns_registrar_open(const vmdns_registrar_opts_t *given, vmdns_error_t *err)
{
    vmdns_registrar_opts_t opts, *o = &opts;
    if (!given)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no options"), NULL;
    opts_defaults(o);
    if (vmdns_abi_copy_in(o, sizeof(*o), given, given->struct_size, "registrar options", err) < 0)
        return NULL;
    if (o->default_ttl > VMDNS_MAX_TTL)
        return vmdns_fail(err, VMDNS_ERR_TTL, "default TTL above %u", VMDNS_MAX_TTL), NULL;
    if (o->stream_maxlen == 0)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "stream_maxlen must be > 0"), NULL;
    if (o->db < 0)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "db must be >= 0"), NULL;

    vmdns_registrar_t *r = calloc(1, sizeof(*r));
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory"), NULL;
    /* Recursive, so a vmdns_list() callback may call back into the handle. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    const char *prefix = o->prefix ? o->prefix : "", *suffix = o->suffix ? o->suffix : "";
    r->prefix = strdup(prefix);
    r->suffix = strdup(suffix);
    size_t kl = strlen(prefix) + strlen(suffix) + sizeof(VMDNS_SCHEMA_STREAM);
    r->stream_key = malloc(kl);
    if (!r->prefix || !r->suffix || !r->stream_key) {
        vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    vmdns_schema_stream_key(prefix, suffix, r->stream_key, kl);
    snprintf(r->maxlen, sizeof(r->maxlen), "%llu", (unsigned long long)o->stream_maxlen);
    r->default_ttl = o->default_ttl ? o->default_ttl : 30;
    r->txn = (vmdns_txn_ctx_t){.conn = &r->conn,
                               .stream_key = r->stream_key,
                               .maxlen = r->maxlen,
                               .min_replicas = o->min_replicas,
                               .min_replicas_timeout_ms = o->min_replicas_timeout_ms};
    r->visible_timeout_ms = o->wait_visible_timeout_ms ? o->wait_visible_timeout_ms : 5000;
    if (o->n_wait_visible) {
        r->visible = calloc(o->n_wait_visible, sizeof(*r->visible));
        if (!r->visible) {
            vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
            goto fail;
        }
        r->n_visible = o->n_wait_visible;
        for (size_t i = 0; i < o->n_wait_visible; i++) {
            char why[300];
            if (vmdns_hostport_parse(o->wait_visible[i], 0, 53, &r->visible[i], why, sizeof(why)) !=
                0) {
                vmdns_fail(err, VMDNS_ERR_INVALID, "bad wait_visible address %s", why);
                goto fail;
            }
        }
    }
    vmdns_conn_opts_t co = {.nodes = o->nodes,
                            .n_nodes = o->n_nodes,
                            .sentinels = o->sentinels,
                            .n_sentinels = o->n_sentinels,
                            .master_name = o->master_name,
                            .sentinel_password = o->sentinel_password,
                            .username = o->username,
                            .password = o->password,
                            .db = o->db,
                            .connect_timeout_ms = o->connect_timeout_ms,
                            .command_timeout_ms = o->command_timeout_ms,
                            .failover_timeout_ms = o->failover_timeout_ms,
                            .warn = o->warn,
                            .warn_ud = o->warn_ud};
    if (vmdns_conn_init(&r->conn, &co, err) < 0 || vmdns_conn_ensure(&r->conn, err) < 0)
        goto fail;
    vmdns_ok(err);
    return r;
fail:
    vmdns_registrar_close(r);
    return NULL;
}

void vmdns_registrar_close(vmdns_registrar_t *r)
{
    if (!r)
        return;
    vmdns_conn_destroy(&r->conn);
    pthread_mutex_destroy(&r->lock);
    free(r->prefix);
    free(r->suffix);
    free(r->stream_key);
    free(r->visible);
    free(r);
}
