/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_backend_int.h - the state of one backend thread, shared by the
 * files that make up its work: redis_backend.c (thread, connections,
 * failover), redis_loader.c (full and per-zone loads), redis_stream.c (the
 * change stream), redis_notify.c (keyspace notifications) and
 * redis_apply.c (turning what Redis says into merge calls).
 *
 * Everything in here is touched only by the backend's own thread, except
 * `settled` (read by the ready hook) and the stats (atomics).
 */
#ifndef VMDNS_REDIS_BACKEND_INT_H
#define VMDNS_REDIS_BACKEND_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "redis/redis_backend.h"
#include "redis/redis_conn.h"
#include "redis/redis_fieldhash.h"
#include "redis/redis_guard.h"
#include "redis/redis_identity.h"
#include "redis/redis_sentinel.h"
#include "redis/redis_strset.h"

#define REDIS_STREAM_ID_MAX  48
#define REDIS_XREAD_BLOCK_MS 2000
/* Entries per XREAD: small enough that hiredis' array of them stays below
 * glibc's large-chunk size (a large malloc consolidates its free lists). */
#define REDIS_XREAD_COUNT     100
#define REDIS_SCAN_COUNT      1000
#define REDIS_NOTIFY_DELAY_MS 200
#define REDIS_NOTIFY_DUTY     1 /* a zone reread taking T is not reread for T after it */
#define REDIS_KEY_MAX         1100
#define REDIS_BACKEND_NICE    5 /* the thread's priority after the first load (and its parser's) */

struct event;
typedef struct redis_load redis_load_t;
typedef struct redis_defer redis_defer_t;

struct redis_backend {
    unsigned index;
    const redis_config_t *gcfg;
    const redis_backend_config_t *cfg;
    merge_t *merge;
    redis_stats_t *stats;
    atomic_bool settled;

    /* the thread */
    pthread_t thread;
    bool started;
    bool stop_sent;     /* redis_backend_stop (control thread) */
    atomic_bool exited; /* the thread is past its loop: joining is quick */
    struct event_base *base;
    int stop_fd;
    struct event *stop_ev, *retry_timer, *tick_timer, *resync_timer, *notify_timer;

    /* where to connect, and how it went */
    redis_addr_t nodes[SENTINEL_MAX_NODES];
    size_t nnodes, node_idx, round_tries;
    unsigned backoff; /* exponent */
    uint64_t rng;
    sentinel_query_t *sq;
    sentinel_watch_t *watch;
    bool ever_up;
    bool quiet;           /* a whole round failed: do not log every further attempt */
    bool notify_off;      /* the server refused PSUBSCRIBE: no sub connection */
    uint64_t up_since_ms; /* when the current session came up */
    char last_peer[300];  /* the node of the last session ("" before the first) */

    /* the session: cmd for loads, blk for XREAD BLOCK, sub for notifications */
    redis_conn_t *cmd, *blk, *sub;
    unsigned conns_ready, conns_needed;
    bool up;

    /* key names */
    char stream_key[REDIS_KEY_MAX];
    char pattern[2 * REDIS_KEY_MAX];

    /* loads */
    redis_load_t *load;       /* running or interrupted; NULL when idle */
    bool want_full;           /* a full reload is due */
    uint64_t full_started_ms; /* monotonic start of the running full load; 0: none */
    strset_t *dirty_zones;    /* zones to reread (apex wire) */
    strset_t *touched;        /* apex+owner the stream changed during the load */
    strset_t *touched_zones;  /* apexes the stream deleted during the load */
    long load_seq;            /* guard_load_begin of the load in b->load */
    bool loaded_once;

    /* values parsed off the thread, and the order of what waits for them
     * (redis_defer.c); NULL until the first big value */
    redis_defer_t *defer;

    /* the stream */
    char last_id[REDIS_STREAM_ID_MAX];
    long long last_id_base; /* entries ever added up to last_id if it is a noted
                               position rather than an entry read; else -1 */
    bool have_last_id;
    bool xread_pending;
    bool check_pending;                   /* an XINFO gap check is outstanding */
    bool unverified;                      /* entries applied since check_from not yet checked */
    char check_from[REDIS_STREAM_ID_MAX]; /* oldest id whose following batches are unchecked */
    char check_sent[REDIS_STREAM_ID_MAX]; /* the id the check in flight checks from */
    long long check_from_base, check_sent_base; /* as last_id_base */
    uint64_t check_sent_ms;                     /* monotonic, when the check was sent */
    bool lag_pending;
    unsigned xread_epoch, check_epoch, lag_epoch; /* ident.epoch when sent */
    bool stream_bad;                              /* the stream key is not a stream: not followed */
    bool stream_bad_logged;   /* ... and that was logged (once per such period) */
    bool stream_type_pending; /* TYPE of the stream key in flight */

    /* trust (redis_identity.c, redis_guard.c) */
    redis_ident_t ident;
    redis_guard_t guard;

    /* keyspace notifications: per zone, events seen vs stream entries */
    /* keyspace events and applied stream entries of the current window,
     * per zone and kind (redis_notify.c); ks_credit: the last window's
     * events still waiting for their entries */
    strset_t *ks_events;
    strset_t *ks_stream;
    strset_t *ks_credit;
    strset_t *ks_due;       /* zones to reread once their interval allows (redis_notify.c) */
    strset_t *ks_last;      /* per zone: monotonic ms before which it is not reread */
    fieldhash_t *fieldhash; /* value hashes of zones reread for notifications */
    bool ks_config_refused; /* ... and refused: logged once */
    uint64_t trim_at_ms;    /* malloc_trim due then (redis_trim.c); 0: none */
    strset_t *over_limit;   /* zones a load skipped for a limit (value: the limit kind) */

    /* scratch space for batches, kept between them (a big malloc per batch
     * makes glibc consolidate its free lists every time) */
    void *scratch;
    size_t scratch_cap;

    /* bad data */
    strset_t *bad_logged;
    log_once_t bad_more;
};

/* ---- redis_backend.c ---- */

/* At least `bytes` of scratch memory for one batch (NULL on failure). */
void *backend_scratch(redis_backend_t *b, size_t bytes);

/* From the first load on, run below the workers: on a saturated machine,
 * answering queries comes before applying changes (which then lag, and
 * catch up). The first load itself runs at full priority. */
void backend_lower_priority(redis_backend_t *b);

/* Monotonic milliseconds. */
uint64_t backend_now_ms(void);

/* The session failed (a reply that cannot be used); reconnect. */
void backend_session_failed(redis_backend_t *b, const char *why);

/* Start the next load (full if wanted, else a dirty zone) if none runs. */
void backend_next_load(redis_backend_t *b);

/* The session's identity is known (redis_identity.c): resume or start the
 * loads and the stream. */
void backend_session_ready(redis_backend_t *b);

/* ---- redis_loader.c ---- */

/* Begin a load: all zones (apex NULL) or one. Replaces nothing if one runs. */
int loader_begin(redis_backend_t *b, const uint8_t *apex, size_t apex_len);

/* (Re)issue the commands of the current load on b->cmd (after connecting). */
void loader_run(redis_backend_t *b);

/* The running load's fields parsed off the thread are all applied: its
 * end, if it was waiting for them, runs now. */
void loader_parsed(redis_backend_t *b);

/* Forget the current load (teardown). */
void loader_free(redis_load_t *load);

/* Stop the current load without sweeping anything (the data it was
 * reading is not the data any more); a one-zone load is queued again. */
void loader_abort(redis_backend_t *b);

/* ---- redis_stream.c ---- */

/* Start following on b->blk from b->last_id, checking first that the
 * stream still holds it. */
void stream_start(redis_backend_t *b);

/* Ask for the stream's newest id (lag) on b->cmd. */
void stream_poll_lag(redis_backend_t *b);

/* Compare stream ids "ms-seq": <0, 0, >0. */
int stream_id_cmp(const char *a, const char *b);

/* Once a second while the stream key is not a stream: has it become one? */
void stream_poll_type(redis_backend_t *b);

/* ---- redis_notify.c ---- */

/* Subscribe to keyspace notifications on b->sub. */
void notify_subscribe(redis_backend_t *b);

/* What a stream entry's write made Redis announce: an `hset` event
 * (NOTIFY_SET), another one (NOTIFY_OTHER: hdel, del), or none. */
typedef enum { NOTIFY_SET, NOTIFY_OTHER } notify_kind_t;

/* A stream entry for this zone was applied (to balance its notification
 * of that kind). */
void notify_stream_entry(redis_backend_t *b, const uint8_t *apex, size_t apex_len,
                         notify_kind_t kind);

/* The debounce timer fired: queue rereads of zones changed behind the
 * stream's back (each at most once per notify_interval). */
void notify_flush(redis_backend_t *b);

/* A one-zone load of apex finished after took_ms: its next reread for
 * notifications waits REDIS_NOTIFY_DUTY x took_ms at least. */
void notify_zone_read(redis_backend_t *b, const uint8_t *apex, size_t apex_len, uint64_t took_ms);

/* Free the notification state (teardown). */
void notify_free(redis_backend_t *b);

/* ---- redis_notify_config.c ---- */

/* At session start, on b->cmd: make sure the server publishes the
 * keyspace events vmdnsd needs (CONFIG GET/SET notify-keyspace-events,
 * adding K, g and h to what is set). Refused: one log line. */
void notify_config(redis_backend_t *b);

/* ---- redis_apply.c ---- */

/* What a hash field parsed into, before it is applied under the lock. */
typedef struct apply_item {
    uint8_t owner[NAME_MAX_WIRE];
    size_t owner_len;
    view_node_t *node;   /* NULL: nothing to serve (bad or empty) */
    uint64_t value_hash; /* of the value, for redis_fieldhash.h (0: not kept) */
    bool unchanged;      /* same value as last applied: not parsed (node NULL) */
    bool offload;        /* bigger than REDIS_PARSE_OFF_BYTES: not parsed yet (node NULL) */
    size_t field_idx;    /* where it is in the batch */
} apply_item_t;

/* Parse a field of zone `ctx` (from a load or the stream), counting and
 * logging bad data. Returns false if the field is not a name in the zone.
 * With `offload`, a value bigger than REDIS_PARSE_OFF_BYTES (and within
 * limits.value_bytes) is not parsed: out->offload is set instead, for the
 * caller to hand it to the parse thread (redis_defer.c). */
bool apply_parse_field(redis_backend_t *b, const redis_zone_ctx_t *ctx, const char *key,
                       const char *field, size_t field_len, const char *value, size_t value_len,
                       bool offload, apply_item_t *out);

/* Count and log what parsing the value of key/field (text) left out. */
void apply_parse_report(redis_backend_t *b, const char *key, const char *field,
                        const redis_parse_t *res);

/* One change-stream entry, parsed (outside the lock), then applied. */
typedef enum { APPLY_SET, APPLY_DEL, APPLY_DELZONE, APPLY_CONFIRM, APPLY_SKIP } apply_kind_t;
typedef struct apply_op {
    apply_kind_t kind;
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len;
    apply_item_t item;
    char confirm[128]; /* APPLY_CONFIRM: the backend named */
    size_t confirm_len;
    bool deferred; /* applied from redis_defer.c's FIFO, after it arrived */
    long load_seq; /* deferred: b->load_seq when it arrived (-1: no load ran) */
} apply_op_t;

/* Parse the field/value array of a stream entry. Bad entries become
 * APPLY_SKIP (counted and logged). An entry that must wait for a value
 * parsed off the thread (its own, or an earlier one of its name) is handed
 * to redis_defer.c and becomes APPLY_SKIP too. */
void apply_parse_entry(redis_backend_t *b, const redisReply *fields, apply_op_t *op);

/* Apply a parsed entry; call with the merge lock held. Takes the node. */
void apply_entry(redis_backend_t *b, apply_op_t *op, int64_t now);

/* Apply a field read by a load unless the stream changed it meanwhile;
 * call with the merge lock held. Takes the node. Returns false if it was
 * skipped (the stream changed the name meanwhile). */
bool apply_loaded(redis_backend_t *b, const uint8_t *apex, size_t apex_len, apply_item_t *item,
                  int64_t now);

/* Count and log (once per key and field) a bad record. */
void apply_bad(redis_backend_t *b, const char *key, const char *field, size_t skipped,
               const char *why);

/* ---- redis_defer.c ---- */

/* True if a change of (apex, owner) must wait behind the deferred ones
 * (owner NULL: a delzone or confirm-drop, which waits behind anything). */
bool defer_must_wait(const redis_backend_t *b, const uint8_t *apex, size_t apex_len,
                     const uint8_t *owner, size_t owner_len);

/* Queue a parsed stream entry (value NULL), or a set whose value (copied)
 * is parsed off the thread in ctx; key and field name it in messages.
 * Takes op's node and turns op into APPLY_SKIP. 0, or -1 on allocation
 * failure (the entry is lost: the caller reloads). */
int defer_stream(redis_backend_t *b, apply_op_t *op, const redis_zone_ctx_t *ctx, const char *value,
                 size_t value_len, const char *key, const char *field);

/* The same for a field of zone ctx->apex read by the running load (with
 * its value's hash kept in b->fieldhash if `hashed`). Takes item's node. */
int defer_loaded(redis_backend_t *b, const redis_zone_ctx_t *ctx, apply_item_t *item, bool hashed,
                 const char *value, size_t value_len, const char *key, const char *field);

/* Fields of the running load still waiting in the FIFO. */
size_t defer_load_pending(const redis_backend_t *b);

/* The running load starts over or ends: its fields in the FIFO are
 * dropped when they reach the head. */
void defer_load_forget(redis_backend_t *b);

/* Join the parse thread and free what is queued (teardown). */
void defer_free(redis_backend_t *b);

/* ---- redis_slice.c ---- */

/* The calling thread's CPU time in microseconds. */
uint64_t slice_clock_us(void);

/* The HSCAN COUNT to ask for (count 0: not measured yet: the default). */
unsigned slice_count(unsigned count);

/* The next COUNT after a batch of `count` took `took_us` to parse and
 * apply: halved while a batch takes more than REDIS_SLICE_US, grown back
 * while it takes less than a quarter of that. */
unsigned slice_next_count(unsigned count, uint64_t took_us);

/* ---- redis_trim.c ---- */

/* A big load ended: return freed memory to the system shortly. */
void backend_trim_later(redis_backend_t *b);

/* From the tick: trim if it is due. */
void backend_trim_tick(redis_backend_t *b);

/* ---- redis_limits_apply.c ---- */

/* Count a limit hit and log it once per (limit, key, field). */
void limits_hit(redis_backend_t *b, redis_limit_kind_t kind, const char *key, const char *field,
                const char *detail);

/* False (counted, logged) if a value of value_len bytes is over the limit. */
bool limits_value_ok(redis_backend_t *b, const char *key, const char *field, size_t value_len);

/* Keep at most zones_per_backend of the nkeys zone keys (the first in
 * byte order, so the same ones every time), freeing the others; returns
 * how many are kept. */
size_t limits_zones(redis_backend_t *b, char **keys, size_t nkeys);

/* Log once per key and field that a name has an RRset no DNS message can
 * hold (answered truncated, TC=1). */
void limits_note_too_big(redis_backend_t *b, const char *key, const char *field);

/* False (counted, logged) if a zone of `names` fields is over the limit. */
bool limits_zone_names_ok(redis_backend_t *b, const char *key, long long names);

/* A load read the zone of `key` in full: it is no longer over a limit. */
void limits_zone_loaded(redis_backend_t *b, const uint8_t *apex, size_t apex_len);

/* True (counted) if a stream entry for this zone must be ignored: a load
 * skipped the zone for a limit, so none of it is served, not even what
 * the stream adds. */
bool limits_zone_skipped(redis_backend_t *b, const uint8_t *apex, size_t apex_len);

#endif
