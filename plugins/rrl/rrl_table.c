/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl_table.c - token buckets of response rate limiting in one bounded,
 * lock-free table (see rrl_table.h for the model and why).
 */
#include "rrl/rrl_table.h"

#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#define RRL_TS_BITS   28
#define RRL_BAL_BITS  36
#define RRL_TS_MASK   ((1u << RRL_TS_BITS) - 1u)
#define RRL_BAL_MASK  ((UINT64_C(1) << RRL_BAL_BITS) - 1u)
#define RRL_FULL_AGE  (1u << 22) /* ticks (~73 min) after which any account is full */
#define RRL_CAS_TRIES 4
#define RRL_HUGE_PAGE ((size_t)2 << 20)

void rrl_limit_init(rrl_limit_t *l, uint32_t rate_milli, uint32_t window_s)
{
    memset(l, 0, sizeof(*l));
    if (rate_milli == 0) {
        return;
    }
    if (rate_milli > RRL_MAX_RATE_MILLI) {
        rate_milli = RRL_MAX_RATE_MILLI;
    }
    if (window_s == 0) {
        window_s = 1;
    }
    double rate = rate_milli / 1000.0; /* tokens per second */
    double per_tick = rate * RRL_UNITS_PER_TOKEN * (double)(1u << RRL_TICK_SHIFT) / 1e9;
    l->credit_q16 = (uint64_t)llround(per_tick * 65536.0);
    if (l->credit_q16 == 0) {
        l->credit_q16 = 1;
    }
    double max = rate < 1.0 ? 1.0 : rate;
    l->max = (int64_t)llround(max * RRL_UNITS_PER_TOKEN);
    double debt = rate * window_s;
    if (debt > RRL_MAX_DEBT_TOKENS) {
        debt = RRL_MAX_DEBT_TOKENS;
    }
    l->min = -(int64_t)llround(debt * RRL_UNITS_PER_TOKEN);
    l->on = true;
}

bool rrl_client_of(const struct sockaddr *sa, socklen_t len, unsigned v4len, unsigned v6len,
                   rrl_client_t *out)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t *addr;
    unsigned bits, bytes;
    memset(out, 0, sizeof(*out));
    if (sa == NULL) {
        return false;
    }
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        out->family = 4;
        bits = v4len;
        bytes = 4;
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        addr = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
            addr += 12; /* a dual-stack socket's IPv4 client is an IPv4 client */
            out->family = 4;
            bits = v4len;
            bytes = 4;
        } else {
            out->family = 6;
            bits = v6len;
            bytes = 16;
        }
    } else {
        return false;
    }
    if (bits > bytes * 8) {
        bits = bytes * 8;
    }
    for (unsigned i = 0; i < bytes && bits > 0; i++) {
        unsigned take = bits >= 8 ? 8 : bits;
        out->addr[i] = addr[i] & (uint8_t)(0xffu << (8 - take));
        bits -= take;
    }
    return true;
}

/* ---- the table ---- */

rrl_table_t *rrl_table_new(size_t entries)
{
    if (entries == 0) {
        entries = 1;
    }
    size_t nlines = (entries + RRL_LINE - 1) / RRL_LINE;
    rrl_table_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    /* A big table in whole huge pages, so that a lookup costs one cache
     * miss and no TLB miss (the accounts of many clients are spread over
     * the table); a small one (tests) in cache lines. */
    size_t bytes = nlines * sizeof(*t->lines);
    size_t align = bytes >= RRL_HUGE_PAGE / 2 ? RRL_HUGE_PAGE : 64;
    bytes = (bytes + align - 1) / align * align;
    t->lines = aligned_alloc(align, bytes);
    if (t->lines == NULL) {
        free(t);
        return NULL;
    }
    if (align == RRL_HUGE_PAGE) {
        (void)madvise(t->lines, bytes, MADV_HUGEPAGE); /* a hint: fine if refused */
    }
    memset(t->lines, 0, bytes);
    t->nlines = nlines;
    t->refs = 1;
    if (getrandom(t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed)) {
        /* No entropy yet (early boot): the clock is better than nothing. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t->seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec;
        t->seed[1] = (uint64_t)(uintptr_t)t ^ 0xc2b2ae3d27d4eb4fu;
    }
    return t;
}

size_t rrl_table_size(const rrl_table_t *t)
{
    return t->nlines * RRL_LINE;
}

void rrl_table_ref(rrl_table_t *t)
{
    t->refs++;
}

void rrl_table_unref(rrl_table_t *t)
{
    if (t == NULL || --t->refs > 0) {
        return;
    }
    free(t->lines);
    free(t);
}

/* ---- keys ---- */

static uint64_t rrl_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/* Absorb `len` bytes, 8 at a time (a keyed multiply-xorshift chain). */
static uint64_t rrl_absorb(uint64_t h, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w ^ ((uint64_t)len << 56)) * 0x9e3779b97f4a7c15u;
    return h ^ (h >> 29);
}

uint64_t rrl_key(const rrl_table_t *t, const rrl_client_t *c, rrl_kind_t kind, uint16_t qtype,
                 const uint8_t *name, size_t name_len)
{
    uint64_t h = t->seed[0];
    uint8_t head[20];
    head[0] = c->family;
    head[1] = (uint8_t)kind;
    head[2] = (uint8_t)(qtype >> 8);
    head[3] = (uint8_t)qtype;
    memcpy(head + 4, c->addr, 16);
    h = rrl_absorb(h, head, sizeof(head));
    if (name != NULL && name_len > 0) {
        h = rrl_absorb(h, name, name_len);
    }
    h = rrl_mix(h ^ t->seed[1]);
    return h != 0 ? h : 1;
}

/* ---- accounting ---- */

static uint64_t rrl_pack(uint32_t ts, int64_t bal)
{
    return ((uint64_t)(ts & RRL_TS_MASK) << RRL_BAL_BITS) | ((uint64_t)bal & RRL_BAL_MASK);
}

static uint32_t rrl_state_ts(uint64_t s)
{
    return (uint32_t)(s >> RRL_BAL_BITS);
}

static int64_t rrl_state_bal(uint64_t s)
{
    /* Sign-extend the low 36 bits. */
    return (int64_t)(s << (64 - RRL_BAL_BITS)) >> (64 - RRL_BAL_BITS);
}

/* Ticks since ts (both on the 28-bit clock); 0 if ts is "later" (another
 * worker's clock read a moment after ours). */
static uint32_t rrl_age(uint32_t now, uint32_t ts)
{
    uint32_t d = (now - ts) & RRL_TS_MASK;
    return d >= (RRL_TS_MASK >> 1) ? 0 : d;
}

/* The line of a key: its high bits, scaled to the number of lines. */
static rrl_line_t *rrl_line_of(rrl_table_t *t, uint64_t key)
{
    return &t->lines[(size_t)(((key >> 32) * (uint64_t)t->nlines) >> 32)];
}

/* The bucket of `key` in its line, or a new one for it (free, else the
 * least recently charged). */
static rrl_bucket_t *rrl_bucket_for(rrl_table_t *t, uint64_t key, const rrl_limit_t *lim,
                                    uint32_t now)
{
    rrl_line_t *line = rrl_line_of(t, key);
    rrl_bucket_t *victim = NULL;
    uint32_t oldest = 0;
    for (unsigned i = 0; i < RRL_LINE; i++) {
        rrl_bucket_t *b = &line->b[i];
        uint64_t k = atomic_load_explicit(&b->key, memory_order_relaxed);
        if (k == key) {
            return b;
        }
        uint32_t age =
            k == 0
                ? UINT32_MAX
                : rrl_age(now, rrl_state_ts(atomic_load_explicit(&b->state, memory_order_relaxed)));
        if (victim == NULL || age > oldest) {
            victim = b;
            oldest = age;
        }
    }
    if (oldest != UINT32_MAX) {
        atomic_fetch_add_explicit(&t->evictions, 1, memory_order_relaxed);
    }
    /* A new account starts full. Another worker may take the same bucket
     * at the same moment: one of them wins the key, the other's charge
     * lands on the winner's account (a response let through at worst). */
    atomic_store_explicit(&victim->state, rrl_pack(now, lim->max), memory_order_relaxed);
    atomic_store_explicit(&victim->key, key, memory_order_relaxed);
    return victim;
}

void rrl_table_prefetch(rrl_table_t *t, uint64_t key)
{
    __builtin_prefetch(rrl_line_of(t, key), 1, 3);
}

bool rrl_table_charge(rrl_table_t *t, uint64_t key, const rrl_limit_t *lim, uint32_t now)
{
    if (!lim->on) {
        return false;
    }
    now &= RRL_TS_MASK;
    rrl_bucket_t *b = rrl_bucket_for(t, key, lim, now);
    uint64_t old = atomic_load_explicit(&b->state, memory_order_relaxed);
    for (int tries = 0; tries < RRL_CAS_TRIES; tries++) {
        uint32_t ts = rrl_state_ts(old);
        int64_t bal = rrl_state_bal(old);
        uint32_t age = rrl_age(now, ts);
        if (age >= RRL_FULL_AGE) {
            bal = lim->max;
        } else if (age > 0) {
            bal += (int64_t)(((uint64_t)age * lim->credit_q16) >> 16);
        }
        if (bal > lim->max) {
            bal = lim->max; /* also after a reload lowered the rate */
        }
        bal -= RRL_UNITS_PER_TOKEN;
        bool limited = bal < 0;
        if (bal < lim->min) {
            bal = lim->min;
        }
        uint64_t next = rrl_pack(age > 0 ? now : ts, bal);
        if (atomic_compare_exchange_weak_explicit(&b->state, &old, next, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            return limited;
        }
    }
    return false; /* contended: let it through rather than wait */
}

int64_t rrl_table_balance(rrl_table_t *t, uint64_t key)
{
    rrl_line_t *line = rrl_line_of(t, key);
    for (unsigned i = 0; i < RRL_LINE; i++) {
        if (atomic_load_explicit(&line->b[i].key, memory_order_relaxed) == key) {
            int64_t bal =
                rrl_state_bal(atomic_load_explicit(&line->b[i].state, memory_order_relaxed));
            return bal >= 0 ? bal / RRL_UNITS_PER_TOKEN
                            : -((-bal + RRL_UNITS_PER_TOKEN - 1) / RRL_UNITS_PER_TOKEN);
        }
    }
    return INT64_MAX;
}
