/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie_keeper.c - the cookie secret under RCU, and the counters (see
 * cookie_keeper.h).
 */
#include "cookie_keeper.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int random_secret(uint8_t out[COOKIE_SECRET_SIZE])
{
    size_t got = 0;
    while (got < COOKIE_SECRET_SIZE) {
        ssize_t n = getrandom(out + got, COOKIE_SECRET_SIZE - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

cookie_keeper_t *cookie_keeper_new(void)
{
    cookie_keeper_t *k = aligned_alloc(alignof(cookie_keeper_t), sizeof(*k));
    cookie_secrets_t *s = calloc(1, sizeof(*s));
    if (k == NULL || s == NULL || random_secret(s->cur) != 0) {
        free(k);
        free(s);
        return NULL;
    }
    memset(k, 0, sizeof(*k));
    k->secrets = s;
    k->rotated_ms = realtime_ms();
    return k;
}

void cookie_keeper_free(void *keeper)
{
    cookie_keeper_t *k = keeper;
    if (k != NULL) {
        free(k->secrets);
        free(k);
    }
}

static void secrets_free_rcu(struct rcu_head *head)
{
    VMDNS_RCU_CALLBACK_BEGIN();
    cookie_secrets_t *s = caa_container_of(head, cookie_secrets_t, rcu);
    explicit_bzero(s, sizeof(*s));
    free(s);
}

int cookie_keeper_rotate(cookie_keeper_t *k, const uint8_t *secret)
{
    cookie_secrets_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    if (secret != NULL)
        memcpy(s->cur, secret, COOKIE_SECRET_SIZE);
    else if (random_secret(s->cur) != 0) {
        free(s);
        return -1;
    }
    cookie_secrets_t *old = k->secrets; /* only this thread writes it */
    memcpy(s->prev, old->cur, COOKIE_SECRET_SIZE);
    s->has_prev = true;
    rcu_assign_pointer(k->secrets, s);
    call_rcu(&old->rcu, secrets_free_rcu);
    k->rotated_ms = realtime_ms();
    atomic_fetch_add_explicit(&k->rotations, 1, memory_order_relaxed);
    return 0;
}

uint64_t cookie_keeper_total(const cookie_keeper_t *k, cookie_result_t r)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < PLUGIN_MAX_SLOTS; i++)
        sum += atomic_load_explicit(&k->slot[i].n[r], memory_order_relaxed);
    return sum;
}
