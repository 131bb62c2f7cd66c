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
 * counted per zone and kind: `hset` (a value written) or another (hdel,
 * del...). Stream entries applied for the zone are counted by the event
 * their write made: a set one `hset`; a delete one `hdel`, but only if the
 * name was there (the registrar also clears fields that may not exist,
 * which Redis does not announce); a delzone a `del`. Shortly after the
 * first event (REDIS_NOTIFY_DELAY_MS, letting both arrive), any zone with
 * more events of a kind than entries of that kind is reread on its own (a
 * one-zone load: a diff, as every load). A registrar write whose event and
 * entry fall in two windows rereads in the first (more events), and that
 * window's surplus is credited to the next, so its late entry cannot hide
 * a plain write there. Without notifications on the server, nothing
 * arrives and this costs nothing.
 *
 * A zone written behind the stream's back many times a second is reread
 * at most once per `notify_interval` (default 500 ms), and a zone whose
 * reread took T waits REDIS_NOTIFY_DUTY x T after it before the next one
 * (a 1M-name zone read in 2 s: every 6 s at most), so rereads use at most
 * a quarter of the backend thread: the events in between are coalesced
 * into the next reread. And a reread parses only the fields
 * whose value changed since the last one (redis_fieldhash.h), so its cost
 * is one HSCAN of the zone plus the change, not a rebuild of the zone.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "redis/redis_backend_int.h"
#include "redis/redis_names.h"

/* The first event or entry of a window: it ends, and is looked at, in
 * REDIS_NOTIFY_DELAY_MS (so an entry whose event never comes does not
 * linger to hide a later write). */
static void window_open(redis_backend_t *b)
{
    if (!event_pending(b->notify_timer, EV_TIMEOUT, NULL)) {
        struct timeval tv = {0, REDIS_NOTIFY_DELAY_MS * 1000};
        event_add(b->notify_timer, &tv);
    }
}

/* Counters are kept per zone and kind: the key is the apex and one byte. */
static void count(strset_t *set, const uint8_t *apex, size_t apex_len, notify_kind_t kind)
{
    uint8_t key[NAME_MAX_WIRE + 1];
    memcpy(key, apex, apex_len);
    key[apex_len] = (uint8_t)kind;
    long *n = strset_counter(set, key, apex_len + 1);
    if (n != NULL) {
        ++*n;
    }
}

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
    const char *event = r->element[3]->type == REDIS_REPLY_STRING ? r->element[3]->str : "";
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
    bool set = strcmp(event, "hset") == 0 || strcmp(event, "hincrby") == 0 ||
               strcmp(event, "hincrbyfloat") == 0;
    count(b->ks_events, apex, apex_len, set ? NOTIFY_SET : NOTIFY_OTHER);
    window_open(b);
}

void notify_subscribe(redis_backend_t *b)
{
    notify_config(b);
    char pattern[3 * REDIS_KEY_MAX];
    snprintf(pattern, sizeof(pattern), "__keyspace@%u__:%s", b->cfg->db, b->pattern);
    if (redis_conn_psubscribe(b->sub, on_message, b, pattern) != 0) {
        backend_session_failed(b, "cannot subscribe to keyspace notifications");
    }
}

void notify_stream_entry(redis_backend_t *b, const uint8_t *apex, size_t apex_len,
                         notify_kind_t kind)
{
    count(b->ks_stream, apex, apex_len, kind);
    window_open(b);
}

typedef struct flush_ctx {
    redis_backend_t *b;
    uint64_t now;
    uint64_t wait; /* ms until the next due zone may be reread (0: none waits) */
    size_t queued;
    strset_t *done;   /* due zones queued in this pass */
    strset_t *credit; /* this window's surplus events, for the next one */
} flush_ctx_t;

/* Events of one zone and kind in this window: more than its entries
 * (less the last window's surplus, which may be whose entries these
 * are) means a write behind the stream: the zone is due for a reread. */
static void flush_zone(void *arg, const void *key, size_t len, long events)
{
    flush_ctx_t *ctx = arg;
    redis_backend_t *b = ctx->b;
    long *entries = strset_counter(b->ks_stream, key, len);
    long *credit = strset_counter(b->ks_credit, key, len);
    if (entries == NULL || credit == NULL) {
        strset_add(b->ks_due, key, len - 1); /* cannot tell: reread */
        return;
    }
    long explained = *entries > *credit ? *entries - *credit : 0;
    if (events > explained) {
        strset_add(b->ks_due, key, len - 1);
        long *next = strset_counter(ctx->credit, key, len);
        if (next != NULL) {
            *next = events - explained;
        }
    }
}

/* Queue a due zone if it may be reread now, else note how long it has to
 * wait. */
static void queue_due(void *arg, const void *apex, size_t len, long unused)
{
    (void)unused;
    flush_ctx_t *ctx = arg;
    redis_backend_t *b = ctx->b;
    long *next = strset_counter(b->ks_last, apex, len);
    if (next != NULL && ctx->now < (uint64_t)*next) {
        uint64_t wait = (uint64_t)*next - ctx->now;
        if (ctx->wait == 0 || wait < ctx->wait) {
            ctx->wait = wait;
        }
        return;
    }
    if (next != NULL) {
        *next = (long)(ctx->now + b->gcfg->limits.notify_interval_ms);
    }
    ctx->queued += strset_add(b->dirty_zones, apex, len) == 1;
    strset_add(ctx->done, apex, len);
}

static void forget_done(void *arg, const void *apex, size_t len, long unused)
{
    (void)unused;
    strset_remove(((flush_ctx_t *)arg)->b->ks_due, apex, len);
}

void notify_flush(redis_backend_t *b)
{
    if (b->ks_stream == NULL) {
        return; /* notifications are off */
    }
    if (b->ks_due == NULL) {
        b->ks_due = strset_new();
    }
    if (b->ks_last == NULL) {
        b->ks_last = strset_new();
    }
    if (b->ks_credit == NULL) {
        b->ks_credit = strset_new();
    }
    strset_t *done = strset_new(), *credit = strset_new();
    if (b->ks_due == NULL || b->ks_last == NULL || b->ks_credit == NULL || done == NULL ||
        credit == NULL) {
        strset_free(done);
        strset_free(credit);
        return; /* out of memory: resync_interval still catches the change */
    }
    flush_ctx_t ctx = {b, backend_now_ms(), 0, 0, done, credit};
    strset_each(b->ks_events, flush_zone, &ctx);
    strset_clear(b->ks_events);
    strset_clear(b->ks_stream);
    strset_free(b->ks_credit);
    b->ks_credit = credit;
    strset_each(b->ks_due, queue_due, &ctx);
    strset_each(done, forget_done, &ctx);
    strset_free(done);
    if (ctx.wait > 0 && !event_pending(b->notify_timer, EV_TIMEOUT, NULL)) {
        struct timeval tv = {(time_t)(ctx.wait / 1000), (suseconds_t)((ctx.wait % 1000) * 1000)};
        event_add(b->notify_timer, &tv);
    }
    if (ctx.queued > 0) {
        backend_next_load(b);
    }
}

void notify_zone_read(redis_backend_t *b, const uint8_t *apex, size_t apex_len, uint64_t took_ms)
{
    if (b->ks_last == NULL) {
        return;
    }
    long *next = strset_counter(b->ks_last, apex, apex_len);
    uint64_t after = backend_now_ms() + REDIS_NOTIFY_DUTY * took_ms;
    if (next != NULL && (uint64_t)*next < after) {
        *next = (long)after; /* a zone that takes long to read waits longer */
    }
}

void notify_free(redis_backend_t *b)
{
    strset_free(b->ks_due);
    strset_free(b->ks_last);
    strset_free(b->ks_credit);
    b->ks_credit = NULL;
    fieldhash_free(b->fieldhash);
    strset_free(b->over_limit);
    b->over_limit = NULL;
    b->ks_due = b->ks_last = NULL;
    b->fieldhash = NULL;
}
