/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_notify.c - notice writers that bypass the change stream.
 *
 * A plain `redis-cli HSET zone field json` changes a zone without a stream
 * entry. The periodic full reload (resync_interval) catches it eventually;
 * where the backend publishes keyspace notifications
 * (notify-keyspace-events with K and h/g), we catch it within
 * a fraction of a second: the sub connection PSUBSCRIBEs to
 * __keyspace@<db>__:<prefix>*.<suffix>, and every event on a zone key is
 * counted per zone. Stream entries applied for the zone are counted too;
 * a registrar write produces one of each. Shortly after the first event
 * (REDIS_NOTIFY_DELAY_MS, letting both arrive), any zone with more events
 * than stream entries is reread on its own (a one-zone load: a diff, as
 * every load). Without notifications on the server, nothing arrives and
 * this costs nothing.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

static void on_message(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    /* ["pmessage", pattern, channel, event] */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "pmessage") != 0 ||
        r->element[2]->type != REDIS_REPLY_STRING) {
        return;
    }
    const char *channel = r->element[2]->str;
    const char *key = strstr(channel, "__:");
    if (key == NULL) {
        return;
    }
    key += 3;
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = redis_key_to_apex(key, strlen(key), b->cfg->prefix, b->cfg->suffix, apex);
    if (apex_len == 0 || !redis_backend_serves(b->cfg, apex, apex_len)) {
        return;
    }
    long *events = strset_counter(b->ks_events, apex, apex_len);
    if (events != NULL) {
        ++*events;
    }
    if (!event_pending(b->notify_timer, EV_TIMEOUT, NULL)) {
        struct timeval tv = {0, REDIS_NOTIFY_DELAY_MS * 1000};
        event_add(b->notify_timer, &tv);
    }
}

void notify_subscribe(redis_backend_t *b)
{
    char pattern[3 * REDIS_KEY_MAX];
    snprintf(pattern, sizeof(pattern), "__keyspace@%u__:%s", b->cfg->db, b->pattern);
    if (redis_conn_psubscribe(b->sub, on_message, b, pattern) != 0) {
        backend_session_failed(b, "cannot subscribe to keyspace notifications");
    }
}

void notify_stream_entry(redis_backend_t *b, const uint8_t *apex, size_t apex_len)
{
    long *entries = strset_counter(b->ks_stream, apex, apex_len);
    if (entries != NULL) {
        ++*entries;
    }
}

typedef struct flush_ctx {
    redis_backend_t *b;
    size_t queued;
} flush_ctx_t;

static void flush_zone(void *arg, const void *apex, size_t len, long events)
{
    flush_ctx_t *ctx = arg;
    long *entries = strset_counter(ctx->b->ks_stream, apex, len);
    if (entries != NULL && events > *entries) {
        ctx->queued += strset_add(ctx->b->dirty_zones, apex, len) == 1;
    }
}

void notify_flush(redis_backend_t *b)
{
    if (b->ks_stream == NULL) {
        return; /* notifications are off */
    }
    flush_ctx_t ctx = {b, 0};
    strset_each(b->ks_events, flush_zone, &ctx);
    strset_clear(b->ks_events);
    strset_clear(b->ks_stream);
    if (ctx.queued > 0) {
        backend_next_load(b);
    }
}
