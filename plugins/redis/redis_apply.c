/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_apply.c - what Redis says, turned into merge calls.
 *
 * Two sources feed a backend's data: loads (fields read with HSCAN) and
 * the change stream (entries "zone Z name N op set|del|delzone value V").
 * Both parse outside the merge lock (JSON is the expensive part) and apply
 * under it. While a load runs, the stream keeps being applied; every name
 * (and deleted zone) the stream touches is remembered, and the load skips
 * what it read for those, since the stream's version is the newer one.
 *
 * Bad data is counted on the backend and logged once per key and field
 * (up to a bound, then once in all).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/redis_schema.h"
#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"
#include "redis/redis_parse.h"

#define BAD_LOGGED_MAX 10000

void apply_bad(redis_backend_t *b, const char *key, const char *field, size_t skipped,
               const char *why)
{
    redis_stat_add(&b->stats->bad_records, (int64_t)skipped);
    int fresh = strset_count(b->bad_logged) < BAD_LOGGED_MAX
                    ? strset_add2(b->bad_logged, key, strlen(key) + 1, field, strlen(field))
                    : -1;
    if (fresh == 1) {
        log_warn("redis: backend %s: key '%s' field '%s': %zu bad record(s) skipped: %s",
                 b->cfg->name, key, field, skipped, why);
    } else if (fresh < 0) {
        log_once(&b->bad_more, LOG_LEVEL_WARN,
                 "redis: backend %s: more bad records (only counted from now on)", b->cfg->name);
    }
}

/* A field name as a C string for messages. */
static void field_text(const char *field, size_t len, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s", (int)(len < 300 ? len : 300), field);
}

void apply_parse_report(redis_backend_t *b, const char *key, const char *field,
                        const redis_parse_t *res)
{
    if (res->over_limit) {
        limits_hit(b, REDIS_LIMIT_RECORDS, key, field, res->why);
    } else if (res->skipped > 0) {
        apply_bad(b, key, field, res->skipped, res->why);
    }
    if (res->too_big) {
        limits_note_too_big(b, key, field);
    }
}

bool apply_parse_field(redis_backend_t *b, const redis_zone_ctx_t *ctx, const char *key,
                       const char *field, size_t field_len, const char *value, size_t value_len,
                       bool offload, apply_item_t *out)
{
    out->node = NULL;
    out->offload = false;
    out->owner_len = redis_field_to_owner(field, field_len, ctx->apex, ctx->apex_len, out->owner);
    if (out->owner_len == 0) {
        char f[320];
        field_text(field, field_len, f, sizeof(f));
        apply_bad(b, key, f, 1, "not a valid name in this zone (bad label, or too long)");
        return false;
    }
    if (value_len > b->gcfg->limits.value_bytes) { /* skipped whole, never parsed */
        char f[320];
        field_text(field, field_len, f, sizeof(f));
        limits_value_ok(b, key, f, value_len);
        return true;
    }
    if (offload && value_len > REDIS_PARSE_OFF_BYTES) {
        out->offload = true; /* parsed by the parse thread (redis_defer.c) */
        return true;
    }
    redis_parse_t res;
    out->node = redis_node_from_json(ctx, out->owner, out->owner_len, value, value_len, &res);
    if (res.skipped > 0 || res.too_big) {
        char f[320];
        field_text(field, field_len, f, sizeof(f));
        apply_parse_report(b, key, f, &res);
    }
    return true;
}

/* Hand a stream entry to redis_defer.c (value: a set's big value, else
 * NULL); a failure loses it: reload. */
static void entry_defer(redis_backend_t *b, apply_op_t *op, const redis_zone_ctx_t *ctx,
                        const char *value, size_t value_len, const char *key, const char *field,
                        size_t field_len)
{
    char f[320];
    field_text(field, field_len, f, sizeof(f));
    if (defer_stream(b, op, ctx, value, value_len, key, f) != 0) {
        log_warn("redis: backend %s: out of memory deferring a stream entry; reloading",
                 b->cfg->name);
        b->want_full = true;
    }
}

void apply_parse_entry(redis_backend_t *b, const redisReply *fields, apply_op_t *op)
{
    op->kind = APPLY_SKIP;
    op->item.node = NULL;
    op->item.offload = false;
    op->deferred = false;
    if (fields->type != REDIS_REPLY_ARRAY) {
        apply_bad(b, b->stream_key, "(entry)", 1, "stream entry without fields");
        return;
    }
    vmdns_schema_entry_t e;
    bool valid = vmdns_schema_entry_parse(fields, &e) == 0;
    if (valid && e.op == VMDNS_SCHEMA_OP_CONFIRM) {
        /* an operator's vmdnsctl confirm-drop: the name is a backend's */
        if (e.name_len < sizeof(op->confirm)) {
            memcpy(op->confirm, e.name, e.name_len);
            op->confirm_len = e.name_len;
            op->kind = APPLY_CONFIRM;
            op->apex_len = 0;
            op->item.owner_len = 0;
            if (defer_must_wait(b, NULL, 0, NULL, 0)) {
                entry_defer(b, op, NULL, NULL, 0, b->stream_key, "(confirm-drop)", 14);
            }
        }
        return;
    }
    if (e.zone == NULL ||
        (op->apex_len = redis_zone_from_text(e.zone, e.zone_len, op->apex)) == 0) {
        apply_bad(b, b->stream_key, "(entry)", 1, "stream entry without a valid zone or op");
        return;
    }
    if (!redis_backend_serves(b->cfg, op->apex, op->apex_len)) {
        return; /* a zone this backend is not configured to serve (`redis ZONES...`) */
    }
    if (limits_zone_skipped(b, op->apex, op->apex_len)) {
        return; /* a load skipped the zone for a limit: none of it is served */
    }
    char key[REDIS_KEY_MAX];
    if (redis_zone_key(b->cfg->prefix, op->apex, op->apex_len, b->cfg->suffix, key, sizeof(key)) ==
        0) {
        snprintf(key, sizeof(key), "%s", b->stream_key);
    }
    if (!valid) {
        apply_bad(b, key, e.name ? e.name : "(entry)", 1,
                  "stream entry with an unknown op or without name/value");
        return;
    }
    if (e.op == VMDNS_SCHEMA_OP_DELZONE) {
        op->kind = APPLY_DELZONE;
        op->item.owner_len = 0;
        if (defer_must_wait(b, op->apex, op->apex_len, NULL, 0)) {
            entry_defer(b, op, NULL, NULL, 0, key, "(delzone)", 9);
        }
        return;
    }
    redis_zone_ctx_t ctx = {&b->gcfg->defaults,   b->gcfg->default_ttl,
                            (uint32_t)time(NULL), op->apex,
                            op->apex_len,         b->gcfg->limits.records_per_name};
    if (e.op == VMDNS_SCHEMA_OP_SET) {
        if (apply_parse_field(b, &ctx, key, e.name, e.name_len, e.value, e.value_len, true,
                              &op->item)) {
            op->kind = APPLY_SET;
            bool big = op->item.offload;
            if (big ||
                defer_must_wait(b, op->apex, op->apex_len, op->item.owner, op->item.owner_len)) {
                entry_defer(b, op, &ctx, big ? e.value : NULL, e.value_len, key, e.name,
                            e.name_len);
            }
        }
        return;
    }
    op->item.owner_len =
        redis_field_to_owner(e.name, e.name_len, op->apex, op->apex_len, op->item.owner);
    if (op->item.owner_len == 0) {
        apply_bad(b, key, e.name, 1, "not a valid name in this zone");
        return;
    }
    op->kind = APPLY_DEL;
    if (defer_must_wait(b, op->apex, op->apex_len, op->item.owner, op->item.owner_len)) {
        entry_defer(b, op, &ctx, NULL, 0, key, e.name, e.name_len);
    }
}

void apply_entry(redis_backend_t *b, apply_op_t *op, int64_t now)
{
    /* a deferred entry touches the running load only if it arrived during
     * it (as it would have, applied in line) */
    bool loading = b->load != NULL && (!op->deferred || op->load_seq == b->load_seq);
    if ((op->kind == APPLY_SET || op->kind == APPLY_DEL) &&
        !guard_entry_zone(b, op->apex, op->apex_len)) {
        /* a zone this backend has no hash for: reread, not trusted */
        view_node_free(op->item.node);
        op->item.node = NULL;
        return;
    }
    bool announced = true; /* Redis published a keyspace event for this write */
    switch (op->kind) {
    case APPLY_SET:
        merge_set(b->merge, b->index, op->apex, op->apex_len, op->item.owner, op->item.owner_len,
                  op->item.node, now);
        op->item.node = NULL;
        break;
    case APPLY_DEL:
        /* a delete of a name Redis did not hold (the registrar clears a
         * field that may not exist) made Redis announce nothing */
        announced = merge_del(b->merge, b->index, op->apex, op->apex_len, op->item.owner,
                              op->item.owner_len, now) == 1;
        break;
    case APPLY_DELZONE:
        /* applied only if the hash is really gone: the zone's reread
         * decides (redis_guard.c) */
        if (merge_zone_has(b->merge, b->index, op->apex, op->apex_len)) {
            guard_delzone(b, op->apex, op->apex_len);
        }
        break;
    case APPLY_CONFIRM:
        guard_confirm(b, op->confirm, op->confirm_len);
        return;
    case APPLY_SKIP:
        return;
    }
    if (b->fieldhash != NULL) { /* the view now holds the stream's value */
        if (op->kind == APPLY_DELZONE) {
            fieldhash_drop_zone(b->fieldhash, op->apex, op->apex_len);
        } else {
            fieldhash_set(b->fieldhash, op->apex, op->apex_len, op->item.owner, op->item.owner_len,
                          0);
        }
    }
    if (loading && op->kind != APPLY_DELZONE) {
        strset_add2(b->touched, op->apex, op->apex_len, op->item.owner, op->item.owner_len);
    }
    if (b->ks_stream != NULL && !op->deferred && announced) { /* a deferred one did on arrival */
        notify_stream_entry(b, op->apex, op->apex_len,
                            op->kind == APPLY_SET ? NOTIFY_SET : NOTIFY_OTHER);
    }
}

bool apply_loaded(redis_backend_t *b, const uint8_t *apex, size_t apex_len, apply_item_t *item,
                  int64_t now)
{
    if ((strset_count(b->touched_zones) > 0 && strset_has(b->touched_zones, apex, apex_len)) ||
        (strset_count(b->touched) > 0 &&
         strset_has2(b->touched, apex, apex_len, item->owner, item->owner_len))) {
        view_node_free(item->node);
        item->node = NULL;
        return false;
    }
    merge_set(b->merge, b->index, apex, apex_len, item->owner, item->owner_len, item->node, now);
    item->node = NULL;
    return true;
}
