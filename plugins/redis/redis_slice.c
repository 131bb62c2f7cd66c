/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_slice.c - keep each batch a load applies short, so the change
 * stream (read on the same thread) never waits long behind a load.
 *
 * A load reads a zone with HSCAN ... COUNT n and parses a whole reply at
 * once. With one-record values 1,000 fields take about a millisecond; with
 * big values (up to limits.value_bytes each) the same 1,000 fields could
 * take seconds, during which no stream entry is applied. So the COUNT
 * adapts: a batch that took more than REDIS_SLICE_US halves it (down to
 * SLICE_MIN), a batch well under grows it back (up to REDIS_SCAN_COUNT).
 * HSCAN's COUNT is a hint, but for the hashtable encoding that big values
 * force it is followed closely. The time is the thread's CPU time: on a
 * busy machine a niced backend thread is preempted often, and wall time
 * would shrink the batches (and slow every load) for nothing.
 */
#include <time.h>

#include "redis/redis_backend_int.h"

#define REDIS_SLICE_US 5000 /* a batch should take at most this */
#define SLICE_MIN      16

uint64_t slice_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

unsigned slice_count(unsigned count)
{
    return count == 0 ? REDIS_SCAN_COUNT : count;
}

unsigned slice_next_count(unsigned count, uint64_t took_us)
{
    count = slice_count(count);
    if (took_us > REDIS_SLICE_US && count > SLICE_MIN) {
        count /= 2;
    } else if (took_us < REDIS_SLICE_US / 4 && count < REDIS_SCAN_COUNT) {
        count = count * 2 > REDIS_SCAN_COUNT ? REDIS_SCAN_COUNT : count * 2;
    }
    return count < SLICE_MIN ? SLICE_MIN : count;
}
