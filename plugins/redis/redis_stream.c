/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_stream.c - follow a backend's change stream.
 *
 * On its own connection (a blocked XREAD would hold up anything queued
 * behind it), the follower loops on
 *     XREAD COUNT 100 BLOCK 2000 STREAMS <stream> <last id>
 * and applies each batch in order, name by name, under the merge lock. The
 * next XREAD is sent before the batch is applied, so Redis is already
 * waiting for the next change while we work.
 *
 * Losing entries. Writers trim the stream (XADD MAXLEN ~ N). If we fall
 * further behind than that (a long disconnection, a stalled process), the
 * entries between our last id and the oldest one left are gone, and XREAD
 * would silently skip them. So whenever a batch does not obviously follow
 * the last id (same millisecond, next sequence number), we ask XINFO STREAM
 * on the same connection, right after that XREAD was served: if Redis has
 * deleted an entry newer than the id we read from ("max-deleted-entry-id";
 * with Redis < 7, the first entry being newer), something was lost and the
 * backend is reloaded in the background. The same check runs after every
 * reconnection, before the first XREAD. One check is in flight at a time;
 * a check covers every batch since the id it was sent with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "redis/redis_backend_int.h"

/* "ms-seq" to numbers; false if malformed. */
static bool id_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
    char *end;
    *ms = strtoull(id, &end, 10);
    if (end == id) {
        return false;
    }
    *seq = 0;
    if (*end == '-') {
        const char *s = end + 1;
        *seq = strtoull(s, &end, 10);
        if (end == s) {
            return false;
        }
    }
    return *end == '\0';
}

int stream_id_cmp(const char *a, const char *b)
{
    uint64_t ams, aseq, bms, bseq;
    if (!id_parse(a, &ams, &aseq) || !id_parse(b, &bms, &bseq)) {
        return strcmp(a, b);
    }
    if (ams != bms) {
        return ams < bms ? -1 : 1;
    }
    return aseq < bseq ? -1 : (aseq > bseq);
}

/* True if `next` is certainly the entry right after `prev`. */
static bool id_follows(const char *prev, const char *next)
{
    uint64_t pms, pseq, nms, nseq;
    return id_parse(prev, &pms, &pseq) && id_parse(next, &nms, &nseq) && pms == nms &&
           nseq == pseq + 1;
}

static int64_t unix_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Update the lag from the stream's newest id. */
static void note_lag(redis_backend_t *b, const char *newest)
{
    uint64_t nms, nseq, ms, seq;
    if (id_parse(newest, &nms, &nseq) && id_parse(b->last_id, &ms, &seq)) {
        atomic_store_explicit(&b->stats->stream_lag_ms, nms > ms ? (int64_t)(nms - ms) : 0,
                              memory_order_relaxed);
    }
}

/* What XINFO STREAM tells about losses and lag. */
typedef struct stream_info {
    const char *last_generated;
    const char *max_deleted; /* Redis >= 7 */
    const char *first_entry; /* NULL: the stream is empty */
    long long entries_added; /* Redis >= 7; -1 if absent */
    long long length;
} stream_info_t;

static void info_parse(const redisReply *r, stream_info_t *info)
{
    memset(info, 0, sizeof(*info));
    info->entries_added = -1;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING) {
            continue;
        }
        if (strcmp(k->str, "last-generated-id") == 0 && v->type == REDIS_REPLY_STRING) {
            info->last_generated = v->str;
        } else if (strcmp(k->str, "max-deleted-entry-id") == 0 && v->type == REDIS_REPLY_STRING) {
            info->max_deleted = v->str;
        } else if (strcmp(k->str, "first-entry") == 0 && v->type == REDIS_REPLY_ARRAY &&
                   v->elements >= 1 && v->element[0]->type == REDIS_REPLY_STRING) {
            info->first_entry = v->element[0]->str;
        } else if (strcmp(k->str, "entries-added") == 0 && v->type == REDIS_REPLY_INTEGER) {
            info->entries_added = v->integer;
        } else if (strcmp(k->str, "length") == 0 && v->type == REDIS_REPLY_INTEGER) {
            info->length = v->integer;
        }
    }
}

/* Were entries newer than `from` deleted? `base` is, for a position that
 * is not an entry we read (the newest id noted before a load, or 0-0),
 * how many entries the stream had ever had up to it (-1 otherwise).
 *  - XDEL of a newer entry: max-deleted-entry-id is newer than from;
 *  - trimming: for an entry we read, it is gone iff the oldest entry left
 *    is newer (or the stream is empty while it grew past from); for a
 *    noted position, more entries were deleted in all than existed up to
 *    it. */
static bool entries_lost(const stream_info_t *info, const char *from, long long base)
{
    if (info->max_deleted != NULL && stream_id_cmp(info->max_deleted, from) > 0) {
        return true;
    }
    if (base >= 0 && info->entries_added >= 0) {
        return info->entries_added - info->length > base;
    }
    if (info->first_entry == NULL) {
        return info->last_generated != NULL && stream_id_cmp(info->last_generated, from) > 0;
    }
    return stream_id_cmp(info->first_entry, from) > 0;
}

static void want_reload(redis_backend_t *b, const char *why)
{
    log_warn("redis: backend %s: %s; reloading in the background", b->cfg->name, why);
    b->want_full = true;
    backend_next_load(b);
}

static void send_check(redis_backend_t *b);

static void on_check(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    b->check_pending = false;
    const char *from = b->check_sent;
    if (b->check_epoch != b->ident.epoch) {
        send_check(b); /* of the data before a discontinuity */
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (strstr(r->str, "no such key") != NULL) {
            ident_stream_seen(b, false, -1, NULL);
        }
        if (b->check_epoch != b->ident.epoch) {
            return;
        }
        if (strcmp(from, "0-0") != 0 && strstr(r->str, "no such key") != NULL) {
            char why[160];
            snprintf(why, sizeof(why), "the change stream is gone (we were at %s)", from);
            want_reload(b, why);
        }
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        return;
    }
    stream_info_t info;
    info_parse(r, &info);
    if (info.last_generated != NULL) {
        note_lag(b, info.last_generated);
    }
    ident_stream_seen(b, true, info.entries_added, info.last_generated);
    if (b->check_epoch != b->ident.epoch) {
        return; /* a new stream: reloading anyway */
    }
    /* A full load queued, or begun after this check was sent, covers it. */
    bool covered =
        b->want_full || (b->full_started_ms != 0 && b->full_started_ms > b->check_sent_ms);
    if (!covered && entries_lost(&info, from, b->check_sent_base)) {
        char why[200];
        snprintf(why, sizeof(why), "the change stream was trimmed past %s (oldest left: %s)", from,
                 info.first_entry ? info.first_entry : "none");
        want_reload(b, why);
    }
}

static void send_check(redis_backend_t *b)
{
    if (!b->unverified || b->check_pending) {
        return;
    }
    if (b->blk == NULL || b->stream_bad || !b->have_last_id) {
        return;
    }
    if (redis_conn_cmd(b->blk, on_check, b, "XINFO STREAM %s", b->stream_key) == 0) {
        b->check_epoch = b->ident.epoch;
        snprintf(b->check_sent, sizeof(b->check_sent), "%s", b->check_from);
        b->check_sent_base = b->check_from_base;
        b->check_sent_ms = backend_now_ms();
        b->check_pending = true;
        b->unverified = false;
    }
}

static void on_xread(redis_conn_t *c, redisReply *r, void *privdata);

static void send_xread(redis_backend_t *b)
{
    if (b->xread_pending || b->stream_bad || !b->have_last_id) {
        return;
    }
    if (redis_conn_cmd(b->blk, on_xread, b, "XREAD COUNT %d BLOCK %d STREAMS %s %s",
                       REDIS_XREAD_COUNT, REDIS_XREAD_BLOCK_MS, b->stream_key, b->last_id) != 0) {
        backend_session_failed(b, "cannot send XREAD");
        return;
    }
    b->xread_epoch = b->ident.epoch;
    b->xread_pending = true;
}

/* A batch starting at first_id was read from prev: unless it obviously
 * follows, it needs a check (from the oldest unchecked id). */
static void note_batch(redis_backend_t *b, const char *prev, const char *first_id)
{
    if (id_follows(prev, first_id) || b->unverified) {
        return;
    }
    b->unverified = true;
    snprintf(b->check_from, sizeof(b->check_from), "%s", prev);
    b->check_from_base = b->last_id_base;
}

static void apply_entries(redis_backend_t *b, const redisReply *entries)
{
    size_t n = entries->elements;
    apply_op_t *ops = backend_scratch(b, n * sizeof(*ops));
    if (ops == NULL) {
        backend_session_failed(b, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        apply_parse_entry(b, entries->element[i]->element[1], &ops[i]);
    }
    int64_t now = (int64_t)time(NULL);
    merge_lock(b->merge);
    for (size_t i = 0; i < n; i++) {
        apply_entry(b, &ops[i], now);
    }
    merge_unlock(b->merge);
    redis_stat_add(&b->stats->changes, (int64_t)n);
    atomic_store_explicit(&b->stats->last_change_ms, unix_ms(), memory_order_relaxed);
    if (b->want_full || strset_count(b->dirty_zones) > 0) {
        backend_next_load(b); /* zones the guard wants reread, a confirmed drop */
    }
}

static bool entries_ok(const redisReply *entries)
{
    if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) {
        return false;
    }
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[0]->len >= REDIS_STREAM_ID_MAX) {
            return false;
        }
    }
    return true;
}

static void on_xread(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    b->xread_pending = false;
    if (b->xread_epoch != b->ident.epoch || !b->have_last_id) {
        /* read from the data before a discontinuity: the reload covers it,
         * and the stream is followed again from its newest id */
        stream_start(b);
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "UNBLOCKED", 9) == 0) {
            /* the node turned replica (and will resync: its replication id
             * changes, redis_identity.c): keep the session, read again */
            log_info("redis: backend %s: %s: %s", b->cfg->name, redis_conn_peer(b->blk), r->str);
            send_xread(b);
            return;
        }
        if (strncmp(r->str, "WRONGTYPE", 9) == 0) {
            /* not a stream: say so (stream_poll_type), keep serving */
            redis_stat_add(&b->stats->wrong_type, 1);
            b->stream_bad = true;
            b->stream_bad_logged = false;
            stream_poll_type(b);
            return;
        }
        backend_session_failed(b, r->str);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
        r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
        !entries_ok(r->element[0]->element[1])) {
        /* nil: BLOCK timed out with nothing new */
        send_check(b);
        send_xread(b);
        return;
    }
    const redisReply *entries = r->element[0]->element[1];
    char prev[REDIS_STREAM_ID_MAX];
    snprintf(prev, sizeof(prev), "%s", b->last_id);
    note_batch(b, prev, entries->element[0]->element[0]->str);
    snprintf(b->last_id, sizeof(b->last_id), "%s",
             entries->element[entries->elements - 1]->element[0]->str);
    b->last_id_base = -1; /* an entry we read */
    send_check(b);
    send_xread(b);
    apply_entries(b, entries);
}

void stream_start(redis_backend_t *b)
{
    if (!b->have_last_id || b->blk == NULL || !redis_conn_ready(b->blk) || b->xread_pending) {
        return;
    }
    /* After (re)connecting: were entries trimmed while we were away? (A
     * check lost with the old connection is redone from its older id:
     * close_session set that up.) */
    if (!b->unverified) {
        b->unverified = true;
        snprintf(b->check_from, sizeof(b->check_from), "%s", b->last_id);
        b->check_from_base = b->last_id_base;
    }
    send_check(b);
    send_xread(b);
}

static void on_lag(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    b->lag_pending = false;
    if (b->lag_epoch != b->ident.epoch) {
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY) {
        stream_info_t info;
        info_parse(r, &info);
        if (info.last_generated != NULL) {
            note_lag(b, info.last_generated);
        }
        ident_stream_seen(b, true, info.entries_added, info.last_generated);
    } else if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "no such key") != NULL) {
        ident_stream_seen(b, false, -1, NULL);
    }
}

void stream_poll_lag(redis_backend_t *b)
{
    if (b->lag_pending || !b->have_last_id || b->cmd == NULL || !redis_conn_ready(b->cmd)) {
        return;
    }
    if (redis_conn_cmd(b->cmd, on_lag, b, "XINFO STREAM %s", b->stream_key) == 0) {
        b->lag_epoch = b->ident.epoch;
        b->lag_pending = true;
    }
}

static void on_stream_type(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    b->stream_type_pending = false;
    if (!b->stream_bad || r->type != REDIS_REPLY_STATUS) {
        return;
    }
    if (strcmp(r->str, "stream") == 0 || strcmp(r->str, "none") == 0) {
        b->stream_bad = false;
        log_info("redis: backend %s: key '%s' is %s now", b->cfg->name, b->stream_key,
                 strcmp(r->str, "none") == 0 ? "gone" : "a stream again");
        ident_discontinuity(b, "the change stream key is usable again, entries may be lost");
        backend_next_load(b);
        return;
    }
    if (!b->stream_bad_logged) {
        b->stream_bad_logged = true;
        log_warn("redis: backend %s: key '%s' is a %s, not a stream: changes are not followed "
                 "until it is one (the zones stay served; keyspace notifications and "
                 "resync_interval still reread them)",
                 b->cfg->name, b->stream_key, r->str);
    }
}

void stream_poll_type(redis_backend_t *b)
{
    if (!b->stream_bad || b->stream_type_pending || b->cmd == NULL || !redis_conn_ready(b->cmd)) {
        return;
    }
    if (redis_conn_cmd(b->cmd, on_stream_type, b, "TYPE %s", b->stream_key) == 0) {
        b->stream_type_pending = true;
    }
}
