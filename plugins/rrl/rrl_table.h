/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl_table.h - the accounting of response rate limiting: one bounded
 * table of token buckets shared by every worker, without a lock.
 *
 * Why a file of its own: the arithmetic (token bucket with a penalty
 * window, as BIND's RRL and CoreDNS's rrl plugin define it), the client
 * prefix and the bucket key are what decide whether vmdnsd reflects an
 * attack, so they are unit-tested alone (tests/unit/test_rrl.c), apart
 * from the plugin's config and hooks (rrl.c).
 *
 * Model (BIND 9 / CoreDNS rrl): every account (client prefix + kind of
 * response + name, see rrl_key) has a balance, credited continuously at
 * `rate` tokens per second up to one second's worth (at least one token),
 * and debited one token per response. A response that leaves the balance
 * below zero is limited; the balance may fall to -window * rate, so a
 * flood keeps being limited until it has been quiet for up to `window`
 * seconds.
 *
 * Table: max-table-size buckets, allocated once, in lines of four buckets
 * (one cache line). An account lives in the line its key hashes to; a new
 * account takes the free or least recently used bucket of the line. Each
 * bucket is two 64-bit atomics: the key and a state word (timestamp and
 * balance), updated with compare-and-swap. Races between workers never
 * block: two accounts sharing a bucket, or a CAS lost a few times in a
 * row, cost at worst a response let through that should have been
 * limited (NSD and Knot degrade the same way on collisions).
 */
#ifndef VMDNS_PLUGINS_RRL_TABLE_H
#define VMDNS_PLUGINS_RRL_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* What an account counts: the kinds of responses (answer_kind_t order),
 * and requests (requests-per-second, whatever the response). */
typedef enum {
    RRL_ANSWER = 0,
    RRL_NODATA,
    RRL_NXDOMAIN,
    RRL_REFERRAL,
    RRL_ERROR,
    RRL_REQUEST,
    RRL_NKINDS
} rrl_kind_t;

/* Limits of the arithmetic (the config refuses what is outside). */
#define RRL_MAX_RATE_MILLI  100000000u /* 100,000 per second */
#define RRL_MAX_WINDOW_S    3600u
#define RRL_MAX_DEBT_TOKENS 500000u /* window * rate */
#define RRL_MAX_TABLE       (16u << 20)
#define RRL_TICK_SHIFT      20 /* a tick is 2^20 ns (~1.05 ms) */
#define RRL_UNITS_PER_TOKEN 65536

/* One allowance, precomputed (control thread) for the hot path. A rate
 * of 0 means "not limited". */
typedef struct rrl_limit {
    uint64_t credit_q16; /* balance units credited per tick, << 16 */
    int64_t max;         /* balance cap, in units */
    int64_t min;         /* balance floor (-window * rate), in units */
    bool on;
} rrl_limit_t;

/* Set *l for `rate_milli` thousandths of a response per second and a
 * window of `window_s` seconds (within the limits above). */
void rrl_limit_init(rrl_limit_t *l, uint32_t rate_milli, uint32_t window_s);

/* A client prefix: the address masked to the configured length. */
typedef struct rrl_client {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
} rrl_client_t;

/* The prefix of a peer address: IPv4 (and IPv4-mapped IPv6) masked to
 * v4len bits, IPv6 to v6len bits. False for another family. */
bool rrl_client_of(const struct sockaddr *sa, socklen_t len, unsigned v4len, unsigned v6len,
                   rrl_client_t *out);

typedef struct rrl_bucket {
    _Atomic uint64_t key;   /* 0: free */
    _Atomic uint64_t state; /* timestamp (ticks, 28 bits) << 36 | balance (36 bits, signed) */
} rrl_bucket_t;

#define RRL_LINE 4 /* buckets per line (64 bytes) */

typedef struct rrl_line {
    _Alignas(64) rrl_bucket_t b[RRL_LINE];
} rrl_line_t;

typedef struct rrl_table {
    uint64_t seed[2]; /* key hash secret (an attacker must not aim collisions) */
    size_t nlines;
    rrl_line_t *lines;
    unsigned refs;              /* holders (control thread only) */
    _Atomic uint64_t evictions; /* accounts that took a used bucket */
} rrl_table_t;

/* A table of at least `entries` buckets (rounded up to a whole line),
 * with refs = 1 and a random seed. NULL if out of memory. */
rrl_table_t *rrl_table_new(size_t entries);

/* Buckets in the table. */
size_t rrl_table_size(const rrl_table_t *t);

/* Another holder / drop one (the last frees it). Control thread. */
void rrl_table_ref(rrl_table_t *t);
void rrl_table_unref(rrl_table_t *t);

/* The key of an account: the client prefix, the kind, and for the kinds
 * that are counted per name, qtype and the lower-cased wire name (NULL/0
 * for a per-client account, as errors and requests are). Never 0. */
uint64_t rrl_key(const rrl_table_t *t, const rrl_client_t *c, rrl_kind_t kind, uint16_t qtype,
                 const uint8_t *name, size_t name_len);

/* Ticks (the table's clock) of a CLOCK_MONOTONIC time in ns. */
static inline uint32_t rrl_ticks(uint64_t ns)
{
    return (uint32_t)(ns >> RRL_TICK_SHIFT);
}

/* Charge one response (or request) to the account `key` at time `now`
 * (ticks). True if the account is over its allowance: the response is to
 * be limited. Lock-free, allocates nothing; any thread. */
bool rrl_table_charge(rrl_table_t *t, uint64_t key, const rrl_limit_t *lim, uint32_t now);

/* Start loading the line of `key` into the cache (a worker does it
 * before it builds the answer, so the charge after finds it there). */
void rrl_table_prefetch(rrl_table_t *t, uint64_t key);

/* The balance of an account in whole tokens (rounded down), or INT64_MAX
 * if it has no bucket: for tests and debugging. */
int64_t rrl_table_balance(rrl_table_t *t, uint64_t key);

#endif
