/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply_cap.c - bounded Redis replies (see reply_cap.h).
 *
 * hiredis 0.14 has no maxbulklen/maxelements, so the bound is built from
 * what it does expose: the reader's object functions (called as each
 * element is complete, with the reader's privdata in the task) and the
 * reader's buffer (what it holds of the element being received).
 */
#include "common/reply_cap.h"

#include "common/reply_arena.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENT_COST 64 /* bytes counted per reply object */
#define READ_SLACK   (64u * 1024u)

static const redisReplyObjectFunctions *orig; /* hiredis' defaults */
static redisReplyObjectFunctions capped;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Thread_local vmdns_reply_cap_t thread_cap = {VMDNS_REPLY_DEFAULT_BULK,
                                                     VMDNS_REPLY_DEFAULT_TOTAL, 0, "", NULL};

void vmdns_reply_cap_init(vmdns_reply_cap_t *cap, size_t max_bulk, size_t max_total)
{
    memset(cap, 0, sizeof(*cap));
    cap->max_bulk = max_bulk;
    cap->max_total = max_total < max_bulk ? max_bulk : max_total;
}

static vmdns_reply_cap_t *cap_of(const redisReadTask *task)
{
    return task->privdata ? task->privdata : &thread_cap;
}

/* Count `bytes` for the reply `task` belongs to; false if over the cap. */
static bool charge(const redisReadTask *task, size_t bytes)
{
    vmdns_reply_cap_t *cap = cap_of(task);
    if (task->parent == NULL)
        cap->total = 0; /* a new top-level reply */
    cap->total += bytes + ELEMENT_COST;
    if (cap->total > cap->max_total) {
        snprintf(cap->why, sizeof(cap->why),
                 "reply larger than %zu bytes (the reply cap): connection closed", cap->max_total);
        return false;
    }
    return true;
}

/* A string of len bytes may be built (counted); false, with why, if not. */
static bool string_allowed(const redisReadTask *task, size_t len)
{
    vmdns_reply_cap_t *cap = cap_of(task);
    if (len > cap->max_bulk) {
        snprintf(cap->why, sizeof(cap->why),
                 "reply string of %zu bytes, more than the cap of %zu: connection closed", len,
                 cap->max_bulk);
        return false;
    }
    return charge(task, len);
}

/* The same for an array of `elements`. */
static bool array_allowed(const redisReadTask *task, int elements)
{
    size_t n = elements > 0 ? (size_t)elements : 0;
    vmdns_reply_cap_t *cap = cap_of(task);
    if (elements < 0 || n > cap->max_total / ELEMENT_COST) {
        snprintf(cap->why, sizeof(cap->why),
                 "reply array of %d elements, more than the cap allows: connection closed",
                 elements);
        return false;
    }
    return charge(task, n * sizeof(void *));
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
    return string_allowed(task, len) ? orig->createString(task, str, len) : NULL;
}

static void *create_array(const redisReadTask *task, int elements)
{
    return array_allowed(task, elements) ? orig->createArray(task, elements) : NULL;
}

static void *create_integer(const redisReadTask *task, long long value)
{
    return charge(task, 0) ? orig->createInteger(task, value) : NULL;
}

static void *create_nil(const redisReadTask *task)
{
    return charge(task, 0) ? orig->createNil(task) : NULL;
}

/* ---- replies built in an arena (async readers) ---- */

/* What precedes a top-level reply: its arena, found again by freeObject
 * (which gets nothing but the object) and by the reply's elements. */
typedef struct root_hdr {
    vmdns_reply_arena_t *arena;
    void *pad; /* keeps the reply 16-byte aligned */
} root_hdr_t;

static redisReplyObjectFunctions capped_arena;

static vmdns_reply_arena_t *root_arena(const redisReadTask *task)
{
    while (task->parent != NULL)
        task = task->parent;
    return ((root_hdr_t *)task->obj - 1)->arena;
}

/* A reply object of `type` with `extra` bytes beside it (*extra_out),
 * linked into its parent as hiredis' own objects are. A top-level reply
 * of a reader whose owner let go gets an arena of its own, freed with it. */
static redisReply *arena_object(const redisReadTask *task, int type, size_t extra, void **extra_out)
{
    vmdns_reply_arena_t *a;
    redisReply *r;
    bool root = task->parent == NULL;
    if (root) {
        const vmdns_reply_cap_t *cap = task->privdata;
        bool own = cap == NULL || cap->arena == NULL;
        a = own ? vmdns_reply_arena_new() : cap->arena;
        root_hdr_t *h = a ? vmdns_reply_arena_alloc(a, sizeof(*h) + sizeof(*r)) : NULL;
        if (h == NULL) {
            if (own)
                vmdns_reply_arena_release(a);
            return NULL;
        }
        vmdns_reply_arena_begin(a);
        if (own)
            vmdns_reply_arena_release(a); /* freed with this reply */
        h->arena = a;
        r = (redisReply *)(h + 1);
    } else {
        a = root_arena(task);
        if ((r = vmdns_reply_arena_alloc(a, sizeof(*r))) == NULL)
            return NULL;
    }
    memset(r, 0, sizeof(*r));
    r->type = type;
    if (extra > 0 && (*extra_out = vmdns_reply_arena_alloc(a, extra)) == NULL) {
        if (root)
            vmdns_reply_arena_end(a); /* hiredis never saw it */
        return NULL;
    }
    if (!root)
        ((redisReply *)task->parent->obj)->element[task->idx] = r;
    return r;
}

static void *arena_string(const redisReadTask *task, char *str, size_t len)
{
    void *buf = NULL;
    redisReply *r =
        string_allowed(task, len) ? arena_object(task, task->type, len + 1, &buf) : NULL;
    if (r == NULL)
        return NULL;
    memcpy(buf, str, len);
    ((char *)buf)[len] = '\0';
    r->str = buf;
    r->len = len;
    return r;
}

static void *arena_array(const redisReadTask *task, int elements)
{
    if (!array_allowed(task, elements))
        return NULL;
    size_t n = (size_t)elements;
    void *vec = NULL;
    redisReply *r = arena_object(task, REDIS_REPLY_ARRAY, n * sizeof(redisReply *), &vec);
    if (r == NULL)
        return NULL;
    if (n > 0)
        memset(vec, 0, n * sizeof(redisReply *));
    r->element = vec;
    r->elements = n;
    return r;
}

static void *arena_integer(const redisReadTask *task, long long value)
{
    redisReply *r = charge(task, 0) ? arena_object(task, REDIS_REPLY_INTEGER, 0, NULL) : NULL;
    if (r != NULL)
        r->integer = value;
    return r;
}

static void *arena_nil(const redisReadTask *task)
{
    return charge(task, 0) ? arena_object(task, REDIS_REPLY_NIL, 0, NULL) : NULL;
}

/* hiredis frees top-level replies only (its own freeReplyObject recurses). */
static void arena_free(void *reply)
{
    if (reply != NULL)
        vmdns_reply_arena_end(((root_hdr_t *)reply - 1)->arena);
}

static void setup_once(void)
{
    redisReader *r = redisReaderCreate();
    if (r == NULL)
        return;
    orig = r->fn;
    redisReaderFree(r);
    capped = *orig;
    capped.createString = create_string;
    capped.createArray = create_array;
    capped.createInteger = create_integer;
    capped.createNil = create_nil;
    capped_arena = (redisReplyObjectFunctions){arena_string, arena_array, arena_integer, arena_nil,
                                               arena_free};
}

void vmdns_reply_cap_install(redisReader *r, vmdns_reply_cap_t *cap)
{
    pthread_once(&once, setup_once);
    if (orig == NULL || r->fn != orig)
        return; /* not hiredis' defaults: leave them */
    r->fn = &capped;
    r->privdata = cap;
}

int vmdns_reply_cap_install_arena(redisReader *r, vmdns_reply_cap_t *cap)
{
    vmdns_reply_cap_install(r, cap);
    if (r->fn != &capped || r->reply != NULL)
        return 0; /* not ours, or a reply already begun with hiredis' objects */
    if ((cap->arena = vmdns_reply_arena_new()) == NULL)
        return -1;
    r->fn = &capped_arena;
    return 0;
}

void vmdns_reply_cap_release_arena(vmdns_reply_cap_t *cap)
{
    vmdns_reply_arena_release(cap->arena);
    cap->arena = NULL;
}

bool vmdns_reply_cap_buffer_ok(const redisReader *r, vmdns_reply_cap_t *cap)
{
    if (cap == NULL)
        cap = &thread_cap;
    size_t held = r->len > r->pos ? r->len - r->pos : 0;
    if (held <= cap->max_bulk + READ_SLACK)
        return true;
    snprintf(cap->why, sizeof(cap->why),
             "reply element of more than %zu bytes (the reply cap): connection closed",
             cap->max_bulk);
    return false;
}

static int fail(redisContext *c, const char *why)
{
    c->err = REDIS_ERR_PROTOCOL;
    snprintf(c->errstr, sizeof(c->errstr), "%.120s", why);
    return REDIS_ERR;
}

int vmdns_reply_get(redisContext *c, void **reply)
{
    vmdns_reply_cap_t *cap = c->reader->privdata ? c->reader->privdata : &thread_cap;
    void *aux = NULL;
    int done = 0;
    cap->why[0] = '\0';
    while (!done)
        if (redisBufferWrite(c, &done) == REDIS_ERR)
            return REDIS_ERR;
    for (;;) {
        if (redisGetReplyFromReader(c, &aux) == REDIS_ERR)
            return cap->why[0] ? fail(c, cap->why) : REDIS_ERR;
        if (aux != NULL)
            break;
        if (!vmdns_reply_cap_buffer_ok(c->reader, cap))
            return fail(c, cap->why);
        if (redisBufferRead(c) == REDIS_ERR)
            return REDIS_ERR;
    }
    *reply = aux;
    return REDIS_OK;
}

redisReply *vmdns_reply_command(redisContext *c, int argc, const char **argv)
{
    void *reply = NULL;
    if (redisAppendCommandArgv(c, argc, argv, NULL) != REDIS_OK)
        return NULL;
    return vmdns_reply_get(c, &reply) == REDIS_OK ? reply : NULL;
}
