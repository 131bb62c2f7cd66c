/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_defer.c - keep the order of changes whose value is parsed off the
 * backend thread (issue 13 point 4: parsing never blocks the change stream
 * for more than a few milliseconds).
 *
 * A value bigger than REDIS_PARSE_OFF_BYTES is parsed by the backend's
 * parse thread (redis_parse.c). Meanwhile the stream goes on, but nothing
 * may overtake it that it must come before. So each backend keeps one FIFO
 * of deferred changes (stream entries and load items alike) with the set
 * of (zone, name) keys in it, and a change enters the FIFO, instead of
 * being applied at once, if
 *   - its value is big (a stream set, a field a load read), or
 *   - its (zone, name) is already in the FIFO (a later set or del of the
 *     same name must not overtake the big set: the big set never
 *     overwrites a newer value), or
 *   - it is a delzone or a confirm-drop and the FIFO is not empty, or a
 *     delzone or confirm-drop is in the FIFO (these concern many names:
 *     while one waits, everything waits behind it).
 * Changes of other names are applied at once, as before. The FIFO is
 * applied from its head, in order, whenever the head is ready (parsed), on
 * the backend thread, when the parse thread signals a finished job. So
 * every name sees its changes in the order they arrived, exactly as if
 * all were parsed in line.
 *
 * Loads. A load's deferred items count as its pending parses; its end (the
 * sweep of what it did not see, redis_guard.c) waits until all are
 * applied (loader_parsed). The stream's newer value still wins over a
 * load's (apply_loaded: `touched`): a deferred stream entry marks its name
 * touched only if it arrived during the load that is running when it is
 * applied, as it would have been in line. A load that restarts (new
 * session) or is aborted (the data is not the same any more) forgets its
 * deferred items: they are dropped when they reach the head, and the
 * restarted load reads them again (behind them: same key).
 *
 * Teardown (backend stop, reload of the config): the parse thread is
 * joined, then whatever is still queued is freed unapplied; the backend
 * and its data go with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis/redis_backend_int.h"
#include "redis/redis_parse.h"

typedef struct defer_entry {
    struct defer_entry *next;
    bool is_load;
    bool barrier;     /* a delzone or confirm-drop */
    bool hashed;      /* load: keep the value's hash (redis_fieldhash.h) */
    unsigned gen;     /* load: the run of the load it belongs to */
    apply_op_t op;    /* stream: the entry; load: op.apex and op.item */
    parse_job_t *job; /* NULL: ready */
    char key[REDIS_KEY_MAX];
    char field[320];
} defer_entry_t;

struct redis_defer {
    redis_parser_t *parser;
    defer_entry_t *head, *tail;
    strset_t *keys; /* apex + owner -> entries in the FIFO */
    size_t barriers;
    unsigned load_gen;
    size_t load_pending; /* entries of load_gen in the FIFO */
};

static void drain(void *arg);

/* The FIFO state, created on first use; NULL on allocation failure. */
static redis_defer_t *defer_state(redis_backend_t *b)
{
    if (b->defer == NULL) {
        redis_defer_t *d = calloc(1, sizeof(*d));
        if (d == NULL) {
            return NULL;
        }
        d->keys = strset_new();
        d->parser = parser_new(b->base, REDIS_BACKEND_NICE, drain, b);
        if (d->keys == NULL || d->parser == NULL) {
            strset_free(d->keys);
            parser_free(d->parser);
            free(d);
            return NULL;
        }
        b->defer = d;
    }
    return b->defer;
}

bool defer_must_wait(const redis_backend_t *b, const uint8_t *apex, size_t apex_len,
                     const uint8_t *owner, size_t owner_len)
{
    const redis_defer_t *d = b->defer;
    if (d == NULL || d->head == NULL) {
        return false;
    }
    return owner == NULL || d->barriers > 0 ||
           strset_has2(d->keys, apex, apex_len, owner, owner_len);
}

/* The (zone, name) key of an entry into buf; its length. */
static size_t entry_key(const defer_entry_t *e, uint8_t *buf)
{
    memcpy(buf, e->op.apex, e->op.apex_len);
    memcpy(buf + e->op.apex_len, e->op.item.owner, e->op.item.owner_len);
    return e->op.apex_len + e->op.item.owner_len;
}

/* Append e (its job, if any, submitted); -1 on failure (e is freed). */
static int push(redis_backend_t *b, redis_defer_t *d, defer_entry_t *e)
{
    if (e->job != NULL && parser_submit(d->parser, e->job) != 0) {
        parse_job_free(e->job);
        view_node_free(e->op.item.node);
        free(e);
        return -1;
    }
    if (e->job != NULL) {
        redis_stat_add(&b->stats->parsed_off, 1);
    }
    if (e->barrier) {
        d->barriers++;
    } else {
        uint8_t key[2 * NAME_MAX_WIRE];
        long *n = strset_counter(d->keys, key, entry_key(e, key));
        if (n == NULL) {
            /* cannot be ordered by key: order it behind everything */
            e->barrier = true;
            d->barriers++;
        } else {
            ++*n;
        }
    }
    if (e->is_load) {
        d->load_pending++;
    }
    e->next = NULL;
    if (d->tail != NULL) {
        d->tail->next = e;
    } else {
        d->head = e;
    }
    d->tail = e;
    return 0;
}

/* A new entry, with a job for value if value is not NULL. */
static defer_entry_t *entry_new(const redis_zone_ctx_t *ctx, const uint8_t *owner, size_t owner_len,
                                const char *value, size_t value_len, const char *key,
                                const char *field)
{
    defer_entry_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    if (value != NULL) {
        e->job = parse_job_new(ctx, owner, owner_len, value, value_len);
        if (e->job == NULL) {
            free(e);
            return NULL;
        }
    }
    snprintf(e->key, sizeof(e->key), "%s", key);
    snprintf(e->field, sizeof(e->field), "%s", field);
    return e;
}

int defer_stream(redis_backend_t *b, apply_op_t *op, const redis_zone_ctx_t *ctx, const char *value,
                 size_t value_len, const char *key, const char *field)
{
    redis_defer_t *d = defer_state(b);
    defer_entry_t *e =
        d ? entry_new(ctx, op->item.owner, op->item.owner_len, value, value_len, key, field) : NULL;
    if (e == NULL) {
        view_node_free(op->item.node);
        op->item.node = NULL;
        op->kind = APPLY_SKIP;
        return -1;
    }
    e->op = *op;
    e->op.deferred = true;
    e->op.load_seq = b->load != NULL ? b->load_seq : -1;
    e->barrier = op->kind == APPLY_DELZONE || op->kind == APPLY_CONFIRM;
    op->item.node = NULL; /* the entry's now */
    op->kind = APPLY_SKIP;
    if (b->ks_stream != NULL && e->op.kind != APPLY_CONFIRM) {
        notify_stream_entry(b, e->op.apex, e->op.apex_len, /* arrived: balances its event */
                            e->op.kind == APPLY_SET ? NOTIFY_SET : NOTIFY_OTHER);
    }
    return push(b, d, e);
}

int defer_loaded(redis_backend_t *b, const redis_zone_ctx_t *ctx, apply_item_t *item, bool hashed,
                 const char *value, size_t value_len, const char *key, const char *field)
{
    redis_defer_t *d = defer_state(b);
    defer_entry_t *e =
        d ? entry_new(ctx, item->owner, item->owner_len, value, value_len, key, field) : NULL;
    if (e == NULL) {
        view_node_free(item->node);
        item->node = NULL;
        return -1;
    }
    e->is_load = true;
    e->hashed = hashed;
    e->gen = d->load_gen;
    e->op.kind = APPLY_SET;
    memcpy(e->op.apex, ctx->apex, ctx->apex_len);
    e->op.apex_len = ctx->apex_len;
    e->op.item = *item;
    item->node = NULL;
    return push(b, d, e);
}

size_t defer_load_pending(const redis_backend_t *b)
{
    return b->defer != NULL ? b->defer->load_pending : 0;
}

void defer_load_forget(redis_backend_t *b)
{
    if (b->defer != NULL) {
        b->defer->load_gen++;
        b->defer->load_pending = 0;
    }
}

/* Take e off the head of the FIFO. */
static void pop(redis_defer_t *d, defer_entry_t *e)
{
    d->head = e->next;
    if (d->head == NULL) {
        d->tail = NULL;
    }
    if (e->barrier) {
        d->barriers--;
        return;
    }
    uint8_t key[2 * NAME_MAX_WIRE];
    size_t len = entry_key(e, key);
    long *n = strset_counter(d->keys, key, len);
    if (n == NULL || --*n <= 0) {
        strset_remove(d->keys, key, len);
    }
}

/* Apply one entry whose value is parsed, under the merge lock. Returns
 * true if it was the running load's last deferred field. */
static bool apply_one(redis_backend_t *b, redis_defer_t *d, defer_entry_t *e, int64_t now)
{
    if (e->job != NULL) {
        e->op.item.node = e->job->node;
        e->job->node = NULL;
        apply_parse_report(b, e->key, e->field, &e->job->res);
    }
    if (!e->is_load) {
        apply_entry(b, &e->op, now);
        return false;
    }
    if (e->gen != d->load_gen || b->load == NULL) {
        return false; /* of a load run that restarted or ended: read again, or not wanted */
    }
    bool applied = apply_loaded(b, e->op.apex, e->op.apex_len, &e->op.item, now);
    if (e->hashed && b->fieldhash != NULL) {
        fieldhash_set(b->fieldhash, e->op.apex, e->op.apex_len, e->op.item.owner,
                      e->op.item.owner_len, applied ? e->op.item.value_hash : 0);
    }
    return --d->load_pending == 0;
}

/* Apply the FIFO from its head while the head is ready (from the parse
 * thread's wake-up, on the backend thread), all under one lock, as a
 * stream batch is: a big set and the del right behind it are never seen
 * apart. */
static void drain(void *arg)
{
    redis_backend_t *b = arg;
    redis_defer_t *d = b->defer;
    if (d == NULL) {
        return;
    }
    int64_t now = (int64_t)time(NULL);
    bool locked = false, load_done = false;
    while (d->head != NULL && (d->head->job == NULL || parser_done(d->parser, d->head->job))) {
        defer_entry_t *e = d->head;
        pop(d, e);
        if (!locked) {
            merge_lock(b->merge);
            locked = true;
        }
        load_done |= apply_one(b, d, e, now);
        view_node_free(e->op.item.node); /* not taken: dropped */
        parse_job_free(e->job);
        free(e);
    }
    if (locked) {
        merge_unlock(b->merge);
    }
    if (load_done) {
        loader_parsed(b); /* its end waited for them */
    }
    if (b->want_full || strset_count(b->dirty_zones) > 0) {
        backend_next_load(b); /* zones the guard wants reread, a confirmed drop */
    }
}

void defer_free(redis_backend_t *b)
{
    redis_defer_t *d = b->defer;
    if (d == NULL) {
        return;
    }
    b->defer = NULL;
    parser_free(d->parser); /* joined: no job is in use any more */
    while (d->head != NULL) {
        defer_entry_t *e = d->head;
        d->head = e->next;
        view_node_free(e->op.item.node);
        parse_job_free(e->job);
        free(e);
    }
    strset_free(d->keys);
    free(d);
}
