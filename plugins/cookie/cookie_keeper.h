/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie_keeper.h - the server cookie secret and the cookie counters, kept
 * for the life of the process (plugin_kept "cookie"), so a reload neither
 * invalidates every client's cookie nor resets /metrics.
 *
 * The secret is published read-only under RCU: workers read the current
 * and the previous secret with rcu_dereference() inside the read-side
 * section chain_process already holds; the control thread rotates it by
 * publishing a new struct and freeing the old one after a grace period.
 * The counters are one cache line per worker slot (request_t.slot), each
 * written by one worker only, read by the /metrics collector.
 */
#ifndef VMDNS_PLUGIN_COOKIE_KEEPER_H
#define VMDNS_PLUGIN_COOKIE_KEEPER_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/plugin.h"
#include "core/rcu.h"
#include "dns/cookie.h"

/* One published pair of secrets. */
typedef struct cookie_secrets {
    uint8_t cur[COOKIE_SECRET_SIZE];  /* new cookies are made with this one */
    uint8_t prev[COOKIE_SECRET_SIZE]; /* still accepted after a rotation */
    bool has_prev;
    struct rcu_head rcu;
} cookie_secrets_t;

/* What a query's COOKIE was (the label of vmdns_cookie_queries_total). */
typedef enum {
    COOKIE_RES_VALID = 0,   /* a server cookie of ours, not expired */
    COOKIE_RES_INVALID,     /* a server cookie that is not (or no longer) ours */
    COOKIE_RES_CLIENT_ONLY, /* a client cookie alone (first contact) */
    COOKIE_RES_MISSING,     /* no COOKIE option at all */
    COOKIE_RES_BADCOOKIE,   /* BADCOOKIE answers sent (a subset of invalid) */
    COOKIE_RES_N,
} cookie_result_t;

typedef struct cookie_slot {
    alignas(64) _Atomic uint64_t n[COOKIE_RES_N];
} cookie_slot_t;

typedef struct cookie_keeper {
    cookie_secrets_t *secrets; /* RCU-published; never NULL */
    int64_t rotated_ms;        /* CLOCK_REALTIME of the last change (control thread) */
    _Atomic uint64_t rotations;
    cookie_slot_t slot[PLUGIN_MAX_SLOTS];
} cookie_keeper_t;

/* A keeper with a random secret (getrandom), or NULL. Control thread. */
cookie_keeper_t *cookie_keeper_new(void);

/* Free it (at exit, no worker running). */
void cookie_keeper_free(void *keeper);

/* Make `secret` (or a random one when NULL) the current secret and the
 * current one the previous; the struct it replaces is freed after a grace
 * period. Control thread. 0, or -1 (no memory or randomness: unchanged). */
int cookie_keeper_rotate(cookie_keeper_t *k, const uint8_t *secret);

/* Count one result in a worker's slot (worker threads; one writer). */
static inline void cookie_keeper_count(cookie_keeper_t *k, unsigned slot, cookie_result_t r)
{
    if (slot < PLUGIN_MAX_SLOTS) {
        _Atomic uint64_t *c = &k->slot[slot].n[r];
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
}

/* The sum over every slot (control thread). */
uint64_t cookie_keeper_total(const cookie_keeper_t *k, cookie_result_t r);

#endif
