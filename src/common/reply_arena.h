/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply_arena.h - one allocation area for the Redis replies of an async
 * connection.
 *
 * hiredis builds every reply element with two or three mallocs (the
 * object, its string or element vector) and frees each one after the
 * callback: a 1M-name load did about 4M mallocs and frees this way, a
 * tenth of vmdnsd's CPU. An arena serves those allocations from a block
 * that is reset when the reply is freed, so a connection in its steady
 * state allocates nothing per reply.
 *
 * Lifetime: hiredis may free a reply after its owner has let go of the
 * connection (a free deferred inside a callback, a partial reply freed
 * with the reader), so the arena counts the replies alive; release() by
 * the owner frees it now if none is, else the last reply's end does.
 * One thread uses an arena (the connection's event loop): no lock.
 */
#ifndef VMDNS_COMMON_REPLY_ARENA_H
#define VMDNS_COMMON_REPLY_ARENA_H

#include <stddef.h>

typedef struct vmdns_reply_arena vmdns_reply_arena_t;

/* A new arena (no block yet), or NULL when out of memory. */
vmdns_reply_arena_t *vmdns_reply_arena_new(void);

/* n bytes, 16-byte aligned, until the current reply ends; NULL when out
 * of memory. */
void *vmdns_reply_arena_alloc(vmdns_reply_arena_t *a, size_t n);

/* A top-level reply starts / was freed. When none is left alive the
 * arena is reset (its memory reused), or freed if it was released. */
void vmdns_reply_arena_begin(vmdns_reply_arena_t *a);
void vmdns_reply_arena_end(vmdns_reply_arena_t *a);

/* The owner lets go: freed now if no reply is alive, else by the last
 * vmdns_reply_arena_end(). NULL is ignored. */
void vmdns_reply_arena_release(vmdns_reply_arena_t *a);

#endif
