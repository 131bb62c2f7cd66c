/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.c - the SPSC byte ring of the query log (see ring.h).
 */
#include "log/ring.h"

#include <stdlib.h>
#include <string.h>

int log_ring_init(log_ring_t *r, size_t cap)
{
    size_t size = 4096;
    while (size < cap) {
        size *= 2;
    }
    memset(r, 0, sizeof(*r));
    r->buf = malloc(size);
    if (r->buf == NULL) {
        return -1;
    }
    r->cap = size;
    return 0;
}

void log_ring_free(log_ring_t *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

bool log_ring_put(log_ring_t *r, const char *line, size_t len)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (len > r->cap - (size_t)(head - tail)) {
        uint64_t d = atomic_load_explicit(&r->dropped, memory_order_relaxed);
        atomic_store_explicit(&r->dropped, d + 1, memory_order_relaxed);
        return false;
    }
    size_t at = (size_t)head & (r->cap - 1);
    size_t first = r->cap - at < len ? r->cap - at : len;
    memcpy(r->buf + at, line, first);
    memcpy(r->buf, line + first, len - first);
    atomic_store_explicit(&r->head, head + len, memory_order_release);
    return true;
}

size_t log_ring_peek(log_ring_t *r, struct iovec iov[2])
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t len = (size_t)(head - tail);
    size_t at = (size_t)tail & (r->cap - 1);
    size_t first = r->cap - at < len ? r->cap - at : len;
    iov[0] = (struct iovec){r->buf + at, first};
    iov[1] = (struct iovec){r->buf, len - first};
    return len;
}

void log_ring_consume(log_ring_t *r, size_t n)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}

uint64_t log_ring_dropped(const log_ring_t *r)
{
    return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
