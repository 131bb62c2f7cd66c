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
 *
 * The calls are serialised by one process-wide lock: when glibc is not the
 * allocator (a sanitizer, or jemalloc preloaded), its heap is still
 * uninitialised at the first malloc_trim, and two backend threads
 * initialising it at once corrupt it (a TSan run aborted at thread exit
 * with "malloc assertion failure in __malloc_arena_thread_freeres"; a
 * 2-thread reproducer crashes in mtrim). Under a sanitizer the call is
 * skipped: its allocator is not glibc's, so there is nothing to trim.
 */
#include <malloc.h>
#include <pthread.h>

#include "redis/redis_backend_int.h"

#define TRIM_DELAY_MS 1500

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRIM_FOREIGN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define TRIM_FOREIGN_ALLOCATOR 1
#endif
#endif

#if defined(__GLIBC__) && !defined(TRIM_FOREIGN_ALLOCATOR)
static pthread_mutex_t trim_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

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
#if defined(__GLIBC__) && !defined(TRIM_FOREIGN_ALLOCATOR)
    pthread_mutex_lock(&trim_lock);
    malloc_trim(0);
    pthread_mutex_unlock(&trim_lock);
#endif
}
