/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_trim.c - give memory back to the system after a big load.
 *
 * A full reload of 1M names allocates and frees a lot beside the data that
 * stays (reply batches, nodes built and found equal, replaced nodes freed
 * after an RCU grace period); glibc keeps those pages, so without this the
 * process stays at its reload peak for good. Shortly after a load ends
 * (TRIM_DELAY_MS, by then call_rcu has freed the replaced nodes), the
 * backend thread calls malloc_trim(0), which returns the free pages of
 * every arena. It is one call per load, off the query path (workers do not
 * allocate), and costs milliseconds.
 */
#include <malloc.h>

#include "redis/redis_backend_int.h"

#define TRIM_DELAY_MS 1500

void backend_trim_later(redis_backend_t *b)
{
    b->trim_at_ms = backend_now_ms() + TRIM_DELAY_MS;
}

void backend_trim_tick(redis_backend_t *b)
{
    if (b->trim_at_ms == 0 || backend_now_ms() < b->trim_at_ms) {
        return;
    }
    b->trim_at_ms = 0;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
