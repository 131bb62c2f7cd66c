/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * list.c - reading back what a backend holds, for people (vmdnsctl list)
 * and for tools: every zone, or every name of a zone with its records
 * parsed by the same codec vmdnsd uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

/* State of one listing. */
typedef struct list_ctx {
    const char *zone;
    vmdns_list_cb cb;
    void *ud;
} list_ctx_t;

static int on_field(const char *field, const char *value, size_t vlen, void *ud)
{
    list_ctx_t *l = ud;
    char owner[VMDNS_NAME_MAXTEXT * 2];
    if (strcmp(field, "@") == 0)
        snprintf(owner, sizeof(owner), "%s", l->zone);
    else
        snprintf(owner, sizeof(owner), "%s.%s", field, l->zone);
    vmdns_rrlist_t rl;
    int parsed = vmdns_record_parse_json(value, vlen, VMDNS_DEFAULT_TTL, &rl, NULL) == 0;
    vmdns_entry_t e = {.zone = l->zone,
                       .field = field,
                       .owner = owner,
                       .json = value,
                       .records = parsed ? &rl : NULL};
    int stop = l->cb(&e, l->ud);
    if (parsed)
        vmdns_rrlist_free(&rl);
    return stop;
}

/* List one zone given its canonical name. */
static int list_zone(vmdns_registrar_t *r, const char *zone, const char *key, list_ctx_t *l,
                     vmdns_error_t *err)
{
    l->zone = zone;
    return vmdns_scan_fields(r, key, on_field, l, err);
}

/* Context for walking all zones. */
typedef struct all_ctx {
    vmdns_registrar_t *r;
    list_ctx_t *l;
    vmdns_error_t *err;
    int failed;
} all_ctx_t;

static int on_zone(const char *zone, const char *key, void *ud)
{
    all_ctx_t *a = ud;
    int rc = list_zone(a->r, zone, key, a->l, a->err);
    if (rc < 0)
        a->failed = 1;
    return rc != 0;
}

int vmdns_list(vmdns_registrar_t *r, const char *zone, vmdns_list_cb cb, void *ud,
               vmdns_error_t *err)
{
    if (!r || !cb)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar or callback");
    list_ctx_t l = {.cb = cb, .ud = ud};
    int rc;
    pthread_mutex_lock(&r->lock);
    if (zone) {
        char name[VMDNS_NAME_MAXTEXT], type[32];
        char *key = NULL;
        rc = -1;
        if (vmdns_name_canonical(zone, name, sizeof(name), err) < 0)
            ;
        else if (!(key = vmdns_reg_zone_key(r, name)))
            vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        else if (vmdns_zone_key_type(r, key, type, sizeof(type), err) < 0)
            ;
        else if (strcmp(type, "hash") != 0)
            vmdns_fail(err, VMDNS_ERR_NOT_FOUND, "zone %s does not exist", name);
        else
            rc = list_zone(r, name, key, &l, err) < 0 ? -1 : 0;
        free(key);
    } else {
        all_ctx_t a = {.r = r, .l = &l, .err = err};
        rc = vmdns_scan_zones(r, on_zone, &a, err) < 0 || a.failed ? -1 : 0;
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}

/* Adapter for vmdns_list_zones. */
typedef struct zones_ctx {
    int (*cb)(const char *zone, void *ud);
    void *ud;
} zones_ctx_t;

static int on_zone_name(const char *zone, const char *key, void *ud)
{
    zones_ctx_t *z = ud;
    return z->cb(zone, z->ud);
}

int vmdns_list_zones(vmdns_registrar_t *r, int (*cb)(const char *zone, void *ud), void *ud,
                     vmdns_error_t *err)
{
    if (!r || !cb)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar or callback");
    zones_ctx_t z = {cb, ud};
    pthread_mutex_lock(&r->lock);
    int rc = vmdns_scan_zones(r, on_zone_name, &z, err) < 0 ? -1 : 0;
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}
