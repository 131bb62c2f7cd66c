/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_notifier.c - NOTIFY to the secondaries, retried (see xfr_notifier.h).
 *
 * State: one entry per zone ever seen (apex, last serial) and, per zone,
 * one slot per target: the NOTIFY in flight (id, tries so far, when the
 * next try or the give-up is due). `by_id` maps a message id to its slot,
 * so a response is matched in O(1) however many zones wait for answers.
 * The retry timer is armed for the earliest due slot and only while some
 * slot is in flight.
 */
#include "transfer/xfr_notifier.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rcu.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "transfer/xfr_notify.h"

#define OPCODE_NOTIFY  4
#define WARN_EVERY_MS  60000
#define RECV_PER_EVENT 64

/* The NOTIFY in flight to one target for one zone (tries 0: none). */
typedef struct notify_slot {
    uint64_t due_ms; /* the next try, or the give-up after the last */
    uint16_t id;
    uint8_t tries; /* sent so far */
} notify_slot_t;

typedef struct notify_zone {
    notify_slot_t *slots; /* one per target */
    uint32_t serial;
    uint8_t apex_len;
    uint8_t apex[NAME_MAX_WIRE];
} notify_zone_t;

struct xfr_notifier {
    const view_t *view;
    struct sockaddr_storage targets[XFR_NOTIFY_MAX_TARGETS];
    size_t ntargets;
    unsigned timeout_ms, tries;
    xfr_zone_filter_fn listed;
    const void *listed_ctx;
    int sock4, sock6;
    struct event *tick, *retry, *read4, *read6;
    notify_zone_t *zones;
    size_t nzones, capzones, hint;
    uint32_t *by_id; /* [65536]: zone index * MAX_TARGETS + target + 1; 0 free */
    size_t inflight;
    uint16_t next_id;
    uint64_t last_warn_ms;
    xfr_notify_stats_t stats;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The zone's entry, created on first sight; the lookup starts where the
 * last one ended, as the view lists zones in the same order every tick. */
static notify_zone_t *zone_get(xfr_notifier_t *n, const uint8_t *apex, size_t len, bool *fresh)
{
    *fresh = false;
    for (size_t k = 0; k < n->nzones; k++) {
        size_t i = (n->hint + k) % n->nzones;
        if (n->zones[i].apex_len == len && memcmp(n->zones[i].apex, apex, len) == 0) {
            n->hint = i + 1;
            return &n->zones[i];
        }
    }
    if (n->nzones == n->capzones) {
        size_t cap = n->capzones ? n->capzones * 2 : 16;
        notify_zone_t *grown = realloc(n->zones, cap * sizeof(*grown));
        if (grown == NULL) {
            return NULL;
        }
        n->zones = grown;
        n->capzones = cap;
    }
    notify_slot_t *slots = calloc(n->ntargets ? n->ntargets : 1, sizeof(*slots));
    if (slots == NULL) {
        return NULL;
    }
    notify_zone_t *z = &n->zones[n->nzones++];
    memset(z, 0, sizeof(*z));
    z->slots = slots;
    memcpy(z->apex, apex, len);
    z->apex_len = (uint8_t)len;
    *fresh = true;
    n->hint = n->nzones;
    return z;
}

static socklen_t target_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Send (or resend) the slot's NOTIFY and schedule what follows it. */
static void slot_send(xfr_notifier_t *n, const notify_zone_t *z, size_t t, uint64_t now)
{
    notify_slot_t *s = &z->slots[t];
    const struct sockaddr_storage *to = &n->targets[t];
    int sock = to->ss_family == AF_INET ? n->sock4 : n->sock6;
    if (sock >= 0 && xfr_notify_send(sock, s->id, z->apex, z->apex_len, (const struct sockaddr *)to,
                                     target_len(to))) {
        n->stats.sent++;
        if (s->tries > 0) {
            n->stats.retried++;
        }
    }
    /* a send that failed at once (no route) uses its try all the same */
    uint64_t wait = (uint64_t)n->timeout_ms << (s->tries < 20 ? s->tries : 20);
    s->tries++;
    s->due_ms = now + wait;
}

static void slot_clear(xfr_notifier_t *n, notify_slot_t *s)
{
    n->by_id[s->id] = 0;
    s->tries = 0;
    n->inflight--;
}

/* The zone changed: a new NOTIFY to target t replaces the one in flight. */
static void slot_start(xfr_notifier_t *n, notify_zone_t *z, size_t t, uint64_t now)
{
    notify_slot_t *s = &z->slots[t];
    if (s->tries > 0) {
        n->stats.replaced++;
        slot_clear(n, s);
    }
    size_t zi = (size_t)(z - n->zones);
    for (unsigned k = 0; k < 65536; k++) {
        uint16_t id = n->next_id++;
        if (n->by_id[id] == 0) {
            s->id = id;
            n->by_id[id] = (uint32_t)(zi * XFR_NOTIFY_MAX_TARGETS + t + 1);
            n->inflight++;
            slot_send(n, z, t, now);
            return;
        }
    }
    n->stats.failed++; /* 65,536 NOTIFYs unanswered at once: no id left */
}

static void warn_failed(xfr_notifier_t *n, const notify_zone_t *z, uint64_t now)
{
    if (n->last_warn_ms != 0 && now - n->last_warn_ms < WARN_EVERY_MS) {
        return;
    }
    n->last_warn_ms = now;
    char name[NAME_MAX_WIRE * 4 + 2];
    if (name_to_text(z->apex, z->apex_len, name, sizeof(name)) == 0) {
        name[0] = '?';
        name[1] = '\0';
    }
    log_warn("transfer: NOTIFY for %s unanswered after %u tries (%llu given up so far; "
             "at most one such line a minute)",
             name, n->tries, (unsigned long long)n->stats.failed);
}

/* Send what is due, give up what has had its last try, and arm the retry
 * timer for the earliest slot still in flight. */
static void run_due(xfr_notifier_t *n)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    for (size_t zi = 0; n->inflight > 0 && zi < n->nzones; zi++) {
        notify_zone_t *z = &n->zones[zi];
        for (size_t t = 0; t < n->ntargets; t++) {
            notify_slot_t *s = &z->slots[t];
            if (s->tries == 0) {
                continue;
            }
            if (s->due_ms <= now) {
                if (s->tries >= n->tries) {
                    n->stats.failed++;
                    slot_clear(n, s);
                    warn_failed(n, z, now);
                    continue;
                }
                slot_send(n, z, t, now);
            }
            if (s->due_ms < next) {
                next = s->due_ms;
            }
        }
    }
    if (n->inflight > 0 && next != UINT64_MAX) {
        uint64_t wait = next > now ? next - now : 1;
        struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
        event_add(n->retry, &tv);
    } else {
        event_del(n->retry);
    }
}

/* Compare one zone's serial with the last tick's; NOTIFY on a change. */
static void tick_zone(const view_zone_t *zone, void *arg)
{
    xfr_notifier_t *n = arg;
    size_t len;
    const uint8_t *apex = view_zone_apex(zone, &len);
    if (!n->listed(n->listed_ctx, apex, len)) {
        return;
    }
    uint32_t serial = view_zone_serial(zone);
    bool fresh;
    notify_zone_t *z = zone_get(n, apex, len, &fresh);
    if (z == NULL || (!fresh && z->serial == serial)) {
        return;
    }
    z->serial = serial;
    uint64_t now = now_ms();
    for (size_t t = 0; t < n->ntargets; t++) {
        slot_start(n, z, t, now);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    xfr_notifier_t *n = arg;
    if (n->ntargets == 0) {
        return; /* `to` has no host: nobody to tell */
    }
    rcu_read_lock();
    view_foreach_zone(n->view, tick_zone, n);
    rcu_read_unlock();
    run_due(n);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_due(arg);
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) {
        return false;
    }
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* The question of a response names the zone (any case), if it has one. */
static bool question_matches(const uint8_t *pkt, size_t len, const notify_zone_t *z)
{
    if (wire_read_u16(pkt + 4) == 0) {
        return true;
    }
    if (len < (size_t)WIRE_HEADER_SIZE + z->apex_len) {
        return false;
    }
    uint8_t name[NAME_MAX_WIRE];
    memcpy(name, pkt + WIRE_HEADER_SIZE, z->apex_len);
    name_lower(name, z->apex_len);
    return memcmp(name, z->apex, z->apex_len) == 0;
}

/* One datagram from a target: the answer to a NOTIFY in flight? */
static void on_response(xfr_notifier_t *n, const uint8_t *pkt, size_t len,
                        const struct sockaddr_storage *from)
{
    if (len < WIRE_HEADER_SIZE) {
        return;
    }
    uint16_t id = wire_read_u16(pkt), flags = wire_read_u16(pkt + 2);
    if (!(flags & WIRE_FLAG_QR) || ((flags >> 11) & 0xF) != OPCODE_NOTIFY || n->by_id[id] == 0) {
        return;
    }
    uint32_t code = n->by_id[id] - 1;
    size_t zi = code / XFR_NOTIFY_MAX_TARGETS, t = code % XFR_NOTIFY_MAX_TARGETS;
    notify_zone_t *z = &n->zones[zi];
    notify_slot_t *s = &z->slots[t];
    if (s->tries == 0 || s->id != id || !same_peer(from, &n->targets[t]) ||
        !question_matches(pkt, len, z)) {
        return; /* not from whom we asked, or not about that zone: ignored */
    }
    n->stats.answered++;
    slot_clear(n, s);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    xfr_notifier_t *n = arg;
    uint8_t buf[512];
    for (int i = 0; i < RECV_PER_EVENT; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t got = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            break; /* EAGAIN, or an ICMP error (port unreachable): the retry covers it */
        }
        on_response(n, buf, (size_t)got, &from);
    }
    if (n->inflight == 0) {
        event_del(n->retry);
    }
}

xfr_notifier_t *xfr_notifier_new(struct event_base *base, const view_t *view,
                                 const struct sockaddr_storage *targets, size_t ntargets,
                                 unsigned timeout_ms, unsigned tries, xfr_zone_filter_fn listed,
                                 const void *listed_ctx)
{
    if (ntargets > XFR_NOTIFY_MAX_TARGETS) {
        return NULL;
    }
    xfr_notifier_t *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return NULL;
    }
    n->view = view;
    memcpy(n->targets, targets, ntargets * sizeof(*targets));
    n->ntargets = ntargets;
    n->timeout_ms = timeout_ms ? timeout_ms : XFR_NOTIFY_DEFAULT_TIMEOUT;
    n->tries = tries ? tries : XFR_NOTIFY_DEFAULT_TRIES;
    n->listed = listed;
    n->listed_ctx = listed_ctx;
    n->next_id = (uint16_t)(getpid() ^ (unsigned)time(NULL));
    n->sock4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    n->sock6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    n->by_id = calloc(65536, sizeof(*n->by_id));
    n->tick = event_new(base, -1, EV_PERSIST, on_tick, n);
    n->retry = evtimer_new(base, on_retry, n);
    if (n->sock4 >= 0) {
        n->read4 = event_new(base, n->sock4, EV_READ | EV_PERSIST, on_readable, n);
    }
    if (n->sock6 >= 0) {
        n->read6 = event_new(base, n->sock6, EV_READ | EV_PERSIST, on_readable, n);
    }
    struct timeval one = {1, 0};
    if (n->by_id == NULL || n->tick == NULL || n->retry == NULL ||
        (n->sock4 >= 0 && (n->read4 == NULL || event_add(n->read4, NULL) != 0)) ||
        (n->sock6 >= 0 && (n->read6 == NULL || event_add(n->read6, NULL) != 0)) ||
        event_add(n->tick, &one) != 0) {
        xfr_notifier_free(n);
        return NULL;
    }
    return n;
}

void xfr_notifier_free(xfr_notifier_t *n)
{
    if (n == NULL) {
        return;
    }
    struct event *evs[] = {n->tick, n->retry, n->read4, n->read6};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        if (evs[i] != NULL) {
            event_free(evs[i]);
        }
    }
    if (n->sock4 >= 0) {
        close(n->sock4);
    }
    if (n->sock6 >= 0) {
        close(n->sock6);
    }
    for (size_t i = 0; i < n->nzones; i++) {
        free(n->zones[i].slots);
    }
    free(n->zones);
    free(n->by_id);
    free(n);
}

const xfr_notify_stats_t *xfr_notifier_stats(const xfr_notifier_t *n)
{
    return &n->stats;
}
