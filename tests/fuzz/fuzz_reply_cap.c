/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_reply_cap.c - libFuzzer harness for the capped hiredis reader
 * (src/common/reply_cap.c): any bytes, fed in chunks whose sizes the input
 * picks, never crash it; every reply it returns respects the caps (no
 * string longer than max_bulk, no reply bigger than max_total), and while a
 * reply is incomplete the buffer check stops the feeding once the reader
 * holds more than the cap allows.
 *
 * With an arena (as vmdnsd's async connections read), the same holds, and
 * replies are freed through the reader's own functions, as hiredis does;
 * the owner may let go of the arena before the reader is freed.
 *
 * Input: byte 0 picks the chunk size (bits 0-4), the arena (bit 5) and
 * letting go of it before the reader (bit 6); the rest is what the peer
 * sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/reply_cap.h"

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "check failed: %s\n", #c);                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_BULK  64
#define MAX_TOTAL 4096

/* Bytes a reply holds: strings + 64 per element, as the cap counts. */
static size_t reply_size(const redisReply *r, size_t *longest)
{
    size_t n = 64;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
        r->type == REDIS_REPLY_ERROR) {
        if (r->len > *longest)
            *longest = r->len;
        n += r->len;
    }
    if (r->type == REDIS_REPLY_ARRAY) {
        n += r->elements * sizeof(void *);
        for (size_t i = 0; i < r->elements; i++)
            n += reply_size(r->element[i], longest);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] % 32 + 1;
    int arena = data[0] & 0x20, let_go_early = data[0] & 0x40;
    data++;
    size--;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, MAX_BULK, MAX_TOTAL);
    redisReader *r = redisReaderCreate();
    FUZZ_CHECK(r != NULL);
    if (arena)
        FUZZ_CHECK(vmdns_reply_cap_install_arena(r, &cap) == 0);
    else
        vmdns_reply_cap_install(r, &cap);
    for (size_t off = 0; off < size;) {
        if (!vmdns_reply_cap_buffer_ok(r, &cap)) {
            FUZZ_CHECK(r->len - r->pos > MAX_BULK);
            break;
        }
        size_t n = size - off < chunk ? size - off : chunk;
        if (redisReaderFeed(r, (const char *)data + off, n) != REDIS_OK)
            break;
        off += n;
        void *reply = NULL;
        int rc;
        while ((rc = redisReaderGetReply(r, &reply)) == REDIS_OK && reply != NULL) {
            size_t longest = 0;
            /* status and error lines are not bulk strings: not capped by
             * max_bulk, but counted in the total */
            size_t total = reply_size(reply, &longest);
            FUZZ_CHECK(total <= MAX_TOTAL + 64);
            r->fn->freeObject(reply); /* freeReplyObject for hiredis' own */
            reply = NULL;
        }
        if (rc != REDIS_OK)
            break;
    }
    if (arena && let_go_early) {
        vmdns_reply_cap_release_arena(&cap); /* a partial reply keeps it */
        r->privdata = NULL;
    }
    redisReaderFree(r);
    vmdns_reply_cap_release_arena(&cap);
    return 0;
}
