/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply_arena.c - bump allocation for Redis replies (see reply_arena.h).
 *
 * Blocks are chained, newest first; an allocation takes the next bytes of
 * the newest block, or a new block (at least ARENA_BLOCK bytes, or the
 * size asked for: a 2 MB value gets a block of its own). When the last
 * reply alive ends: a single block is simply rewound; several are freed,
 * and the next reply starts with one block as large as all of them were
 * (up to ARENA_KEEP_MAX), so a connection whose replies are of one size
 * settles on one block and no malloc at all. A block over ARENA_KEEP_MAX
 * is never kept: one huge reply must not pin its memory.
 */
#include "common/reply_arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_BLOCK    (64u * 1024u)
#define ARENA_KEEP_MAX (8u * 1024u * 1024u)
#define ARENA_ALIGN    16u

typedef struct arena_block {
    struct arena_block *next; /* older */
    size_t size, used;
    alignas(ARENA_ALIGN) unsigned char data[];
} arena_block_t;

struct vmdns_reply_arena {
    arena_block_t *blocks; /* newest first */
    size_t next_block;     /* size of the first block after a reset */
    unsigned live;         /* top-level replies not yet freed */
    bool released;         /* the owner let go: free with the last reply */
};

vmdns_reply_arena_t *vmdns_reply_arena_new(void)
{
    vmdns_reply_arena_t *a = calloc(1, sizeof(*a));
    if (a != NULL) {
        a->next_block = ARENA_BLOCK;
    }
    return a;
}

static arena_block_t *block_new(size_t size)
{
    arena_block_t *b = malloc(sizeof(*b) + size);
    if (b != NULL) {
        b->next = NULL;
        b->size = size;
        b->used = 0;
    }
    return b;
}

void *vmdns_reply_arena_alloc(vmdns_reply_arena_t *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN) {
        return NULL;
    }
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    arena_block_t *b = a->blocks;
    if (b == NULL || b->size - b->used < n) {
        size_t size = a->blocks == NULL ? a->next_block : ARENA_BLOCK;
        b = block_new(n > size ? n : size);
        if (b == NULL) {
            return NULL;
        }
        b->next = a->blocks;
        a->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void free_blocks(vmdns_reply_arena_t *a)
{
    for (arena_block_t *b = a->blocks, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->blocks = NULL;
}

/* No reply alive: rewind one block, or trade several for one. */
static void reset(vmdns_reply_arena_t *a)
{
    arena_block_t *b = a->blocks;
    if (b == NULL) {
        return;
    }
    if (b->next == NULL && b->size <= ARENA_KEEP_MAX) {
        b->used = 0;
        return;
    }
    size_t total = 0;
    for (arena_block_t *x = b; x != NULL; x = x->next) {
        total += x->used;
    }
    free_blocks(a);
    a->next_block = total < ARENA_BLOCK      ? ARENA_BLOCK
                    : total > ARENA_KEEP_MAX ? ARENA_KEEP_MAX
                                             : total;
}

void vmdns_reply_arena_begin(vmdns_reply_arena_t *a)
{
    a->live++;
}

void vmdns_reply_arena_end(vmdns_reply_arena_t *a)
{
    if (a->live > 0 && --a->live > 0) {
        return;
    }
    if (a->released) {
        free_blocks(a);
        free(a);
        return;
    }
    reset(a);
}

void vmdns_reply_arena_release(vmdns_reply_arena_t *a)
{
    if (a == NULL) {
        return;
    }
    if (a->live == 0) {
        free_blocks(a);
        free(a);
        return;
    }
    a->released = true;
}
