/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.h - a single-producer single-consumer byte ring for log lines.
 *
 * Each worker thread owns one ring and appends whole lines to it; the log
 * writer thread is the only reader and copies what is there to the output.
 * The worker never waits: if a line does not fit, it is dropped and counted.
 * head and tail count bytes forever (no wrap of the counters themselves),
 * on their own cache lines; a line becomes visible to the reader only when
 * it is complete (release store of head).
 */
#ifndef VMDNS_LOG_RING_H
#define VMDNS_LOG_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct log_ring {
    _Alignas(64) _Atomic uint64_t head; /* written by the producer */
    _Atomic uint64_t dropped;           /* lines dropped (producer) */
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
    _Alignas(64) char *buf;
    size_t cap; /* a power of two */
} log_ring_t;

/* Allocate a ring of at least `cap` bytes (rounded up to a power of two). */
int log_ring_init(log_ring_t *r, size_t cap);
void log_ring_free(log_ring_t *r);

/* Producer: append one line; false (and counted as dropped) if full. */
bool log_ring_put(log_ring_t *r, const char *line, size_t len);

/* Consumer: what is ready to be written, as up to two pieces (the second
 * when the data wraps). Returns the total byte count. */
size_t log_ring_peek(log_ring_t *r, struct iovec iov[2]);

/* Consumer: release the first n bytes returned by log_ring_peek. */
void log_ring_consume(log_ring_t *r, size_t n);

/* Lines dropped so far (any thread). */
uint64_t log_ring_dropped(const log_ring_t *r);

#endif
