/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * edit.c - read-modify-write changes of stored names: set one type's
 * records, renew a lease, create or update a zone apex.
 *
 * Each edit reads the current value, changes only its part of the JSON
 * object (other keys, even ones vmdns does not know, are kept as they are),
 * and writes it back with a compare-and-set script; if another writer got
 * there first, the edit is computed again from the new value.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "registrar_int.h"

#define CAS_TRIES 16

/* HMGET key fields -> malloc'd values (NULL = absent). */
static int hmget(vmdns_registrar_t *r, const char *key, const char *const *fields, size_t n,
                 char **vals, vmdns_error_t *err)
{
    const char *argv[4] = {"HMGET", key, n > 0 ? fields[0] : "", n > 1 ? fields[1] : ""};
    vmdns_batch_t b = {0};
    vmdns_batch_argv(&b, (int)(2 + n), argv, NULL);
    redisReply **rep;
    int rc = vmdns_conn_run(&r->conn, &b, 0, &rep, err);
    vmdns_batch_free(&b);
    if (rc < 0)
        return -1;
    if (rep[0]->type != REDIS_REPLY_ARRAY || rep[0]->elements != n) {
        rc = vmdns_fail(err, VMDNS_ERR_BACKEND, "HMGET: %s",
                        rep[0]->type == REDIS_REPLY_ERROR ? rep[0]->str : "odd reply");
    } else {
        for (size_t i = 0; i < n; i++) {
            redisReply *e = rep[0]->element[i];
            vals[i] = e->type == REDIS_REPLY_STRING ? strndup(e->str, e->len) : NULL;
            if (e->type == REDIS_REPLY_STRING && !vals[i])
                rc = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        }
    }
    vmdns_conn_free_replies(rep, 1);
    return rc;
}

/* The stored value as a JSON object ({} if absent). */
static json_t *load_obj(const char *value, const char *what, vmdns_error_t *err)
{
    if (!value)
        return json_object();
    json_t *o = json_loads(value, JSON_ALLOW_NUL, NULL);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        vmdns_fail(err, VMDNS_ERR_JSON,
                   "the stored value of %s is not a JSON object; deregister it first", what);
        return NULL;
    }
    return o;
}

/* Delete every key equal to `key` ignoring case. */
static void del_ci(json_t *o, const char *key)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(o, tmp, k, v)
    {
        if (strcasecmp(k, key) == 0)
            json_object_del(o, k);
    }
}

/* Does the object hold a non-empty value under `key` (any case)? */
static int has_ci(json_t *o, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (strcasecmp(k, key) == 0 && !json_is_null(v) &&
            !(json_is_array(v) && json_array_size(v) == 0))
            return 1;
    }
    return 0;
}

/* True if no data is left besides "expires" and `except` (NULL = none). */
static int obj_empty_but(json_t *o, const char *except)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (strcasecmp(k, "expires") != 0 && !(except && strcasecmp(k, except) == 0) &&
            !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0))
            return 0;
    }
    return 1;
}

/* Rebuild o with its keys in the writer's order: the types, then keys
 * vmdns does not know, then "expires". Returns a new reference. */
static json_t *reorder(json_t *o)
{
    json_t *n = json_object();
    const char *k;
    json_t *v;
    if (!n)
        return NULL;
    for (size_t ti = 0; ti < vmdns_codec_ntypes; ti++)
        json_object_foreach(o, k, v)
        {
            if (strcasecmp(k, vmdns_codec_types[ti].key) == 0)
                json_object_set(n, k, v);
        }
    json_object_foreach(o, k, v)
    {
        if (vmdns_type_from_name(k) == 0 && strcasecmp(k, "expires") != 0)
            json_object_set(n, k, v);
    }
    json_object_foreach(o, k, v)
    {
        if (strcasecmp(k, "expires") == 0)
            json_object_set(n, k, v);
    }
    return n;
}

/* Canonical name and its zone; refuses names in no zone. */
static int locate(vmdns_registrar_t *r, const char *fqdn, char *name, size_t cap, long *zoff,
                  vmdns_error_t *err)
{
    if (!fqdn)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no name");
    if (vmdns_owner_name_check(fqdn, err) < 0 || vmdns_name_canonical(fqdn, name, cap, err) < 0)
        return -1;
    const char *names[1] = {name};
    if (vmdns_zone_resolve(r, names, 1, zoff, err) < 0)
        return -1;
    if (*zoff < 0)
        return vmdns_fail(err, VMDNS_ERR_NO_ZONE, "%s is in no zone of the backend", name);
    return 0;
}

/* The JSON value the codec writes for these records, under `key`. */
static json_t *encoded_part(const vmdns_rr_t *rrs, size_t n, const char *key, vmdns_error_t *err)
{
    char *js = vmdns_record_to_json(rrs, n, 0, err);
    if (!js)
        return NULL;
    json_t *o = json_loads(js, 0, NULL);
    free(js);
    json_t *part = o ? json_object_get(o, key) : NULL;
    json_incref(part);
    json_decref(o);
    if (!part)
        vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    return part;
}

/* Compute the new value of one field from its current one: `edit` changes
 * the object (returns -1 with err to refuse), then compare-and-set, again
 * from the top if a concurrent writer changed it meanwhile. Up to two
 * fields: fields[1] (optional, may be absent) gets the same edit. */
typedef int (*edit_fn)(json_t *o, int idx, void *ud, vmdns_error_t *err);

static int edit_fields(vmdns_registrar_t *r, const char *name, long zoff, const char *const *fields,
                       size_t nf, int first_required, edit_fn edit, void *ud, vmdns_error_t *err)
{
    char *key = vmdns_reg_zone_key(r, name + zoff);
    if (!key)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    int rc = -1, done = 0;
    for (int tries = 0; tries < CAS_TRIES && !done; tries++) {
        char *old[2] = {NULL, NULL}, *new[2] = {NULL, NULL};
        vmdns_cas_item_t it[2];
        size_t ni = 0;
        int bad = hmget(r, key, fields, nf, old, err) < 0;
        if (!bad && first_required && !old[0])
            bad = vmdns_fail(err, VMDNS_ERR_NOT_FOUND, "%s does not exist", name);
        for (size_t i = 0; i < nf && !bad; i++) {
            if (i > 0 && !old[i])
                continue; /* a secondary field that is absent stays absent */
            json_t *o = load_obj(old[i], name, err), *ro = NULL;
            if (!o || edit(o, (int)i, ud, err) < 0) {
                bad = 1;
            } else if (!obj_empty_but(o, NULL) &&
                       (!(ro = reorder(o)) || !(new[i] = json_dumps(ro, JSON_COMPACT)))) {
                bad = vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
            } else if (!new[i] && zoff == 0 && strcmp(fields[i], "@") == 0) {
                bad = vmdns_fail(err, VMDNS_ERR_CONFLICT,
                                 "removing the last records of the apex of %s would delete the "
                                 "zone",
                                 name);
            } else if (old[i] || new[i]) {
                it[ni++] = (vmdns_cas_item_t){fields[i], old[i], new[i], 0};
            }
            json_decref(ro);
            json_decref(o);
        }
        if (bad) {
            done = 1;
        } else if (ni == 0) {
            done = 1; /* nothing stored, nothing to remove */
            rc = 0;
        } else {
            int c = vmdns_txn_cas(&r->txn, key, name + zoff, it, ni, err);
            if (c != 0)
                done = 1;
            if (c == 1)
                rc = 0;
            else if (c == 0)
                vmdns_fail(err, VMDNS_ERR_BUSY, "%s kept changing under concurrent writers", name);
        }
        for (int i = 0; i < 2; i++) {
            free(old[i]);
            free(new[i]);
        }
    }
    free(key);
    return rc;
}

/* What set_rrset puts in place of the type's records. */
typedef struct set_ctx {
    const char *tkey;
    json_t *part; /* NULL = remove the type */
    const char *name;
} set_ctx_t;

static int set_edit(json_t *o, int idx, void *ud, vmdns_error_t *err)
{
    set_ctx_t *s = ud;
    del_ci(o, s->tkey);
    if (s->part && json_object_set(o, s->tkey, s->part) < 0)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    if (has_ci(o, "cname") && !obj_empty_but(o, "cname"))
        return vmdns_fail(err, VMDNS_ERR_CONFLICT, "%s: a CNAME cannot stand beside other data",
                          s->name);
    return 0;
}

/* The JSON array (or SOA object) the codec writes for n records given as
 * rdata text: parsed one by one into a scratch buffer, collected in one
 * growing buffer, then encoded. NULL with err on any bad record. */
static json_t *records_part(uint16_t type, uint32_t ttl, const char *const *rdata, size_t n,
                            const char *tkey, vmdns_error_t *err)
{
    vmdns_rr_t *rrs = calloc(n, sizeof(*rrs));
    size_t *offs = calloc(n, sizeof(*offs));
    uint8_t *scratch = malloc(65536), *all = NULL;
    size_t used = 0;
    json_t *part = NULL;
    if (!rrs || !offs || !scratch) {
        vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (!rdata[i]) {
            vmdns_fail(err, VMDNS_ERR_RDATA, "missing rdata");
            goto out;
        }
        if (vmdns_rdata_from_text(type, rdata[i], NULL, scratch, 65536, &len, err) < 0)
            goto out;
        uint8_t *grown = realloc(all, used + len + 1);
        if (!grown) {
            vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
            goto out;
        }
        all = grown;
        memcpy(all + used, scratch, len);
        rrs[i] = (vmdns_rr_t){type, ttl, (uint16_t)len, NULL};
        offs[i] = used;
        used += len;
    }
    for (size_t i = 0; i < n; i++)
        rrs[i].rdata = all + offs[i];
    part = encoded_part(rrs, n, tkey, err);
out:
    free(rrs);
    free(offs);
    free(scratch);
    free(all);
    return part;
}

/* set_rrset with the lock held. */
static int set_locked(vmdns_registrar_t *r, const char *fqdn, uint16_t type, uint32_t ttl,
                      const char *const *rdata, size_t n, vmdns_error_t *err)
{
    int ti = vmdns_codec_type_index(type);
    if (ti < 0)
        return vmdns_fail(err, VMDNS_ERR_UNSUPPORTED, "record type %u is not supported",
                          (unsigned)type);
    if (ttl > VMDNS_MAX_TTL)
        return vmdns_fail(err, VMDNS_ERR_TTL, "TTL %u above %u", ttl, VMDNS_MAX_TTL);
    if (n > 1000)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "more than 1000 records in one set");
    if (type == VMDNS_TYPE_CNAME && n > 1)
        return vmdns_fail(err, VMDNS_ERR_CONFLICT, "a name can have only one CNAME");
    if (type == VMDNS_TYPE_SOA && n > 1)
        return vmdns_fail(err, VMDNS_ERR_CONFLICT, "a zone has only one SOA");
    if (!fqdn || (n && !rdata))
        return vmdns_fail(err, VMDNS_ERR_INVALID, "missing name or rdata");
    if (vmdns_owner_name_check(fqdn, err) < 0)
        return -1;

    char name[VMDNS_NAME_MAXTEXT], field[VMDNS_NAME_MAXTEXT];
    set_ctx_t s = {.tkey = vmdns_codec_types[ti].key, .part = NULL, .name = name};
    if (n && !(s.part = records_part(type, ttl, rdata, n, s.tkey, err)))
        return -1;
    long zoff;
    int rc = locate(r, fqdn, name, sizeof(name), &zoff, err);
    if (rc == 0 && type == VMDNS_TYPE_SOA && zoff != 0)
        rc =
            vmdns_fail(err, VMDNS_ERR_CONFLICT, "SOA only at a zone apex, and %s is not one", name);
    if (rc == 0) {
        vmdns_zone_field(name, (size_t)zoff, field, sizeof(field));
        const char *fields[1] = {field};
        rc = edit_fields(r, name, zoff, fields, 1, 0, set_edit, &s, err);
    }
    json_decref(s.part);
    return rc;
}

int vmdns_set_rrset(vmdns_registrar_t *r, const char *fqdn, uint16_t type, uint32_t ttl,
                    const char *const *rdata, size_t n, vmdns_error_t *err)
{
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    pthread_mutex_lock(&r->lock);
    int rc = set_locked(r, fqdn, type, ttl, rdata, n, err);
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}

static int renew_edit(json_t *o, int idx, void *ud, vmdns_error_t *err)
{
    del_ci(o, "expires");
    if (json_object_set_new(o, "expires", json_integer(*(int64_t *)ud)) < 0)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    return 0;
}

int vmdns_renew(vmdns_registrar_t *r, const char *fqdn, uint32_t lease_s, vmdns_error_t *err)
{
    char name[VMDNS_NAME_MAXTEXT], field[VMDNS_NAME_MAXTEXT], sfield[VMDNS_NAME_MAXTEXT + 16];
    long zoff;
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    if (lease_s == 0)
        return vmdns_fail(err, VMDNS_ERR_TTL, "a lease must be at least one second");
    pthread_mutex_lock(&r->lock);
    int rc = locate(r, fqdn, name, sizeof(name), &zoff, err);
    if (rc == 0 && zoff == 0)
        rc = vmdns_fail(err, VMDNS_ERR_CONFLICT, "%s is a zone apex; it has no lease", name);
    if (rc == 0) {
        int64_t expires = vmdns_reg_now() + lease_s;
        vmdns_zone_field(name, (size_t)zoff, field, sizeof(field));
        snprintf(sfield, sizeof(sfield), "_ssh._tcp.%s", field);
        const char *fields[2] = {field, sfield};
        rc = edit_fields(r, name, zoff, fields, 2, 1, renew_edit, &expires, err);
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}

/* What zone_create puts at the apex. */
typedef struct apex_ctx {
    json_t *soa, *ns;
} apex_ctx_t;

static int apex_edit(json_t *o, int idx, void *ud, vmdns_error_t *err)
{
    apex_ctx_t *a = ud;
    del_ci(o, "soa");
    del_ci(o, "ns");
    if (json_object_set(o, "soa", a->soa) < 0 || json_object_set(o, "ns", a->ns) < 0)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    if (has_ci(o, "cname"))
        return vmdns_fail(err, VMDNS_ERR_CONFLICT, "the apex holds a CNAME");
    return 0;
}

/* "hostmaster@example.com" -> "hostmaster.example.com." (dots in the local
 * part escaped); anything else is taken as a name. */
static int mbox_name(const char *mbox, char *out, size_t cap, vmdns_error_t *err)
{
    const char *at = mbox ? strchr(mbox, '@') : NULL;
    char tmp[VMDNS_NAME_MAXTEXT];
    if (!mbox || !*mbox)
        return vmdns_fail(err, VMDNS_ERR_NAME, "no mbox given");
    if (at) {
        size_t o = 0;
        for (const char *p = mbox; p < at && o + 3 < sizeof(tmp); p++) {
            if (*p == '.' || *p == '\\')
                tmp[o++] = '\\';
            tmp[o++] = *p;
        }
        snprintf(tmp + o, sizeof(tmp) - o, ".%s", at + 1);
        if (vmdns_hostname_check(at + 1, err) < 0)
            return -1;
        mbox = tmp;
    }
    return vmdns_name_canonical(mbox, out, cap, err);
}

/* zone_create with the lock held. */
static int zone_create_locked(vmdns_registrar_t *r, const char *zone, const char *const *ns,
                              size_t n_ns, const char *mbox, uint32_t ttl, vmdns_error_t *err)
{
    char name[VMDNS_NAME_MAXTEXT], rname[VMDNS_NAME_MAXTEXT];
    uint8_t soa[2 * VMDNS_NAME_MAXWIRE + 20];
    size_t ml, rl;
    if (!zone || vmdns_hostname_check(zone, err) < 0 ||
        vmdns_name_canonical(zone, name, sizeof(name), err) < 0)
        return zone ? -1 : vmdns_fail(err, VMDNS_ERR_NAME, "no zone name");
    if (n_ns == 0 || !ns)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "a zone needs at least one NS");
    if (n_ns > 64)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "more than 64 NS records");
    ttl = ttl ? ttl : VMDNS_DEFAULT_TTL;
    if (ttl > VMDNS_MAX_TTL)
        return vmdns_fail(err, VMDNS_ERR_TTL, "TTL %u above %u", ttl, VMDNS_MAX_TTL);
    if (mbox_name(mbox, rname, sizeof(rname), err) < 0)
        return -1;

    vmdns_rr_t rrs[65];
    uint8_t nsw[64][VMDNS_NAME_MAXWIRE];
    for (size_t i = 0; i < n_ns; i++) {
        size_t nl;
        if (vmdns_hostname_check(ns[i], err) < 0 || vmdns_name_to_wire(ns[i], nsw[i], &nl, err) < 0)
            return -1;
        for (size_t k = 0; k < nl; k++)
            if (nsw[i][k] >= 'A' && nsw[i][k] <= 'Z')
                nsw[i][k] = (uint8_t)(nsw[i][k] - 'A' + 'a');
        rrs[1 + i] = (vmdns_rr_t){VMDNS_TYPE_NS, ttl, (uint16_t)nl, nsw[i]};
    }
    memcpy(soa, nsw[0], rrs[1].rdlen);
    ml = rrs[1].rdlen;
    if (vmdns_name_to_wire(rname, soa + ml, &rl, err) < 0)
        return -1;
    const uint32_t timers[5] = {0, 3600, 600, 86400, 30};
    for (int i = 0; i < 5; i++)
        codec_put32(soa + ml + rl + 4 * i, timers[i]);
    rrs[0] = (vmdns_rr_t){VMDNS_TYPE_SOA, ttl, (uint16_t)(ml + rl + 20), soa};

    apex_ctx_t a = {NULL, NULL};
    int rc = -1;
    if ((a.soa = encoded_part(rrs, 1, "soa", err)) &&
        (a.ns = encoded_part(rrs + 1, n_ns, "ns", err))) {
        /* The key must be a hash or absent; the stream a stream or absent
         * (vmdns_zone_resolve checks that). */
        const char *names[1] = {name};
        long zoff;
        char type[32];
        char *key = vmdns_reg_zone_key(r, name);
        if (!key)
            vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
        else if (vmdns_zone_key_type(r, key, type, sizeof(type), err) < 0)
            ;
        else if (strcmp(type, "hash") != 0 && strcmp(type, "none") != 0)
            vmdns_fail(err, VMDNS_ERR_CONFLICT, "key '%s' exists and is a %s, not a hash", key,
                       type);
        else if (vmdns_zone_resolve(r, names, 1, &zoff, err) == 0)
            rc = edit_fields(r, name, 0, (const char *const[]){"@"}, 1, 0, apex_edit, &a, err);
        free(key);
    }
    json_decref(a.soa);
    json_decref(a.ns);
    return rc;
}

int vmdns_zone_create(vmdns_registrar_t *r, const char *zone, const char *const *ns, size_t n_ns,
                      const char *mbox, uint32_t ttl, vmdns_error_t *err)
{
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    pthread_mutex_lock(&r->lock);
    int rc = zone_create_locked(r, zone, ns, n_ns, mbox, ttl, err);
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}
