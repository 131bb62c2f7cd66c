/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply_cap.h - a ceiling on the size of any Redis or Sentinel reply.
 *
 * hiredis (0.14 here) reads whatever the peer sends: a Sentinel answering a
 * 600 MB bulk string takes the process to over a gigabyte. These helpers
 * bound every reply read by vmdnsd's async connections and by the blocking
 * connections of libvmdns (common/conn.c):
 *
 *  - the reader's object functions are wrapped, so a string longer than
 *    `max_bulk`, or a reply whose strings and elements (64 bytes counted per
 *    element) add up to more than `max_total`, is refused as it is parsed;
 *  - the bytes the reader holds for a reply still incomplete (a bulk being
 *    received) are checked before every read, so a huge bulk string is
 *    never buffered whole.
 *
 * Either way the reader (or context) fails, the caller closes the
 * connection and logs cap->why. One cap per reader; a reader installed
 * with NULL uses a per-thread cap with the default limits (blocking
 * connections read one reply at a time per thread).
 */
#ifndef VMDNS_COMMON_REPLY_CAP_H
#define VMDNS_COMMON_REPLY_CAP_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#define VMDNS_REPLY_DEFAULT_BULK  (4u * 1024u * 1024u)  /* 4 MiB */
#define VMDNS_REPLY_DEFAULT_TOTAL (64u * 1024u * 1024u) /* 64 MiB */

typedef struct vmdns_reply_cap {
    size_t max_bulk;                 /* longest string */
    size_t max_total;                /* one reply: string bytes + 64 per element */
    size_t total;                    /* of the reply being parsed */
    char why[120];                   /* set when a reply was refused ("" otherwise) */
    struct vmdns_reply_arena *arena; /* replies built in it (reply_arena.h), or NULL */
} vmdns_reply_cap_t;

/* Set the limits (and clear the state). */
void vmdns_reply_cap_init(vmdns_reply_cap_t *cap, size_t max_bulk, size_t max_total);

/* Wrap r's object functions so replies are checked against cap (NULL: the
 * calling thread's default cap). cap must outlive the parsing. */
void vmdns_reply_cap_install(redisReader *r, vmdns_reply_cap_t *cap);

/* The same for a reader whose replies hiredis frees itself (an async
 * context's: they never reach freeReplyObject): they are also built in an
 * arena (reply_arena.h) that cap then holds. -1 when out of memory (the
 * reader is left capped, with hiredis' allocation). The owner gives the
 * arena up with vmdns_reply_cap_release_arena() when it lets go of the
 * context; replies hiredis frees later still find it. */
int vmdns_reply_cap_install_arena(redisReader *r, vmdns_reply_cap_t *cap);
void vmdns_reply_cap_release_arena(vmdns_reply_cap_t *cap);

/* Before a read: false (and cap->why set) if what r holds of an
 * incomplete reply already exceeds the caps. */
bool vmdns_reply_cap_buffer_ok(const redisReader *r, vmdns_reply_cap_t *cap);

/* redisGetReply for a blocking context with a capped reader: flushes the
 * output, then reads until one reply is complete, checking the buffer
 * before every read. REDIS_OK with *reply, or REDIS_ERR with c->errstr
 * (the cap's reason when it refused the reply). */
int vmdns_reply_get(redisContext *c, void **reply);

/* redisCommandArgv through vmdns_reply_get: the reply, or NULL (c->errstr). */
redisReply *vmdns_reply_command(redisContext *c, int argc, const char **argv);

#endif
