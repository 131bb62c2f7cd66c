/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_notifier.h - NOTIFY the secondaries when a zone changes, and retry
 * until they answer (RFC 1996 3.6).
 *
 * Why its own file: the transfer plugin answers transfers on the workers
 * and streams them on its own thread; this is the third job, on the
 * control thread: watching serials, sending NOTIFYs, and keeping track of
 * the ones not answered yet.
 *
 * Once a second (the tick) every listed zone's serial is compared with the
 * last one seen; on a change (or a zone seen for the first time) a NOTIFY
 * goes to every target. One NOTIFY is in flight per zone and target:
 * unanswered, it is sent again (same id) after the timeout, doubled after
 * every try, up to `tries` sends in all, and given up one timeout after
 * the last; a newer change of the zone replaces it (a new id, the tries
 * start again). A response with its id, opcode NOTIFY and QR=1, from that
 * target's address and port, ends it (whatever its rcode: the secondary
 * heard us). Nothing blocks: non-blocking UDP sockets and libevent events
 * on the control thread, which is also the only thread touching any of it.
 */
#ifndef VMDNS_XFR_NOTIFIER_H
#define VMDNS_XFR_NOTIFIER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "view/view.h"

#define XFR_NOTIFY_MAX_TARGETS     64
#define XFR_NOTIFY_DEFAULT_TIMEOUT 1000 /* ms before the first retry */
#define XFR_NOTIFY_DEFAULT_TRIES   5    /* sends in all, the first included */

/* Counters, for /metrics (control thread: plain integers). */
typedef struct xfr_notify_stats {
    uint64_t sent;     /* datagrams sent, retries included */
    uint64_t retried;  /* of which retransmissions */
    uint64_t answered; /* NOTIFYs a target answered */
    uint64_t failed;   /* given up: no answer after the last try */
    uint64_t replaced; /* still unanswered when the zone changed again */
} xfr_notify_stats_t;

/* Which zones to notify about: true for a zone in the plugin's list. */
typedef bool (*xfr_zone_filter_fn)(const void *ctx, const uint8_t *apex, size_t len);

typedef struct xfr_notifier xfr_notifier_t;

/* Start notifying `targets` (copied) about the zones of `view` that
 * `listed` accepts: the 1 s tick, the retry timer and the response
 * readers, on `base` (the control thread's). NULL on failure. */
xfr_notifier_t *xfr_notifier_new(struct event_base *base, const view_t *view,
                                 const struct sockaddr_storage *targets, size_t ntargets,
                                 unsigned timeout_ms, unsigned tries, xfr_zone_filter_fn listed,
                                 const void *listed_ctx);

/* Stop: events, sockets and state freed; unanswered NOTIFYs are dropped. */
void xfr_notifier_free(xfr_notifier_t *n);

/* The counters so far (control thread). */
const xfr_notify_stats_t *xfr_notifier_stats(const xfr_notifier_t *n);

#endif
