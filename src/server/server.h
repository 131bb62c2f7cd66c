/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.h - vmdnsd's listeners and worker threads.
 *
 * Every listen address gets a UDP and a TCP listener. There are two worker
 * threads per `workers`: a UDP worker and a TCP worker, so that UDP never
 * waits behind TCP work (a flood of connections keeps the TCP workers busy,
 * never the UDP ones). Each has its own libevent event_base and, for every
 * address, its own SO_REUSEPORT UDP socket (UDP workers) or SO_REUSEPORT TCP
 * listening socket (TCP workers), so the kernel spreads datagrams and
 * connections over the workers and no two workers ever touch the same
 * socket or lock. UDP is read
 * and answered in batches (recvmmsg/sendmmsg); TCP follows RFC 7766
 * (pipelining, several messages per segment, messages split over segments,
 * idle timeout, a connection limit across all workers and one per client
 * address, an I/O timeout against clients that trickle or never read).
 *
 * Every packet is answered by chain_process(); the server only moves bytes.
 * The (view, chain) pair it answers with can be replaced while it runs
 * (server_swap, for a config reload), and it can stop gracefully
 * (server_drain: finish what TCP clients sent, then close).
 *
 * Threading: each worker's event_base is touched only by its own thread;
 * server_stop() reaches the workers through an eventfd each, so no
 * evthread_use_pthreads() is needed for the server (main may still call it
 * for its own event_bases).
 */
#ifndef VMDNS_SERVER_SERVER_H
#define VMDNS_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/chain.h"
#include "dns/answer.h"
#include "view/view.h"

/* What the server is told by the config. */
typedef struct server_opts {
    const char **listen;          /* "127.0.0.1:5300", "[::1]:5300", ... */
    size_t nlisten;               /* at least 1 */
    unsigned workers;             /* worker threads; 0 = one per online CPU */
    uint32_t tcp_max_connections; /* open TCP connections, all workers; 0 = no limit */
    uint32_t tcp_idle_timeout_ms; /* close a TCP connection idle this long; 0 = never */
    uint32_t tcp_max_per_client;  /* open TCP connections from one client address; 0 = no limit */
    uint32_t tcp_io_timeout_ms;   /* a started message must arrive, and pending answers make
                                   * progress, within this; 0 = no limit */
    answer_limits_t limits;       /* copied; `now` is filled in by the workers */
} server_opts_t;

typedef struct server server_t;

/* Check the options and parse the listen addresses; nothing is bound yet.
 * Returns NULL with a one-line reason in err on a bad address or option.
 * The view and chain must outlive the server. */
server_t *server_new(const server_opts_t *o, const view_t *view, const chain_t *chain, char *err,
                     size_t errlen);

/* Bind every socket (all of them, before any thread starts, so a port in use
 * fails here) and spawn the worker threads with all signals blocked. Returns
 * 0, or -1 after logging the reason to stderr (nothing is left running). */
int server_start(server_t *s);

/* Ask every worker to stop and join them. Safe from any thread except a
 * worker; safe to call twice or without a successful start. */
void server_stop(server_t *s);

/* A graceful stop: every worker accepts what is in its TCP backlog, closes
 * its listening sockets, answers every query its connections have sent,
 * closes each connection once it has nothing left to do, and leaves when
 * its last connection is closed or after timeout_ms, whichever is first
 * (UDP is answered until then); then they are joined. Same rules as
 * server_stop(). */
void server_drain(server_t *s, uint32_t timeout_ms);

/* Answer with `view` and `chain` from now on (a config reload). Workers
 * switch between two packets, without pausing or dropping any. Returns
 * once no worker can still be using the previous pair (synchronize_rcu),
 * so the caller may free them then. Call from an RCU-registered thread
 * outside any read-side section (the control thread). -1: out of memory,
 * nothing changed. */
int server_swap(server_t *s, const view_t *view, const chain_t *chain);

/* Stop if needed, close every socket and free the server. NULL is fine. */
void server_free(server_t *s);

/* Why TCP connections were closed by the server (or refused), for
 * vmdns_tcp_connections_closed_total{reason} (see tcp.c for each rule). */
typedef enum {
    TCP_CLOSE_IDLE,            /* nothing read or written for tcp_idle_timeout */
    TCP_CLOSE_IO_TIMEOUT,      /* a message did not arrive whole in tcp_io_timeout */
    TCP_CLOSE_WRITE_TIMEOUT,   /* answers not taken in tcp_io_timeout: reset */
    TCP_CLOSE_EVICTED_NEW,     /* table full: made room, had asked nothing */
    TCP_CLOSE_EVICTED_STALLED, /* table full: made room, did not read (reset) */
    TCP_CLOSE_REFUSED_FULL,    /* table full, nobody to evict: closed at accept */
    TCP_CLOSE_REFUSED_CLIENT,  /* over tcp_max_connections_per_client: closed at accept */
    TCP_CLOSE_REASONS
} tcp_close_reason_t;

/* Metric names of the reasons above, in order. */
extern const char *const tcp_close_reason_names[TCP_CLOSE_REASONS];

/* Add the server's counts of closed TCP connections by reason into
 * closed[], and return how many are open now. NULL is fine (adds nothing). */
unsigned server_tcp_counts(const server_t *s, uint64_t closed[TCP_CLOSE_REASONS]);

/* Number of threads of the server that answer queries: one UDP and one
 * TCP worker per `workers` (the config's, or one per online CPU). This is
 * how many worker slots it needs (request_t.slot, request_t.worker). */
unsigned server_workers(const server_t *s);

/* The same number from the config's `workers` alone (0: one per online
 * CPU), for sizing per-worker state before the server exists. */
unsigned server_threads_for(unsigned workers);

/* Number the workers' slots base..base+workers-1 (request_t.slot; main
 * hands out the range, core/plugin.h). Call before server_start(); the
 * default base is 0. */
void server_set_slot_base(server_t *s, unsigned base);

/* The port listen address i is bound to after server_start() (useful when
 * the config said port 0), or 0 if there is no such address or not started. */
uint16_t server_bound_port(const server_t *s, size_t i);

/* Parse "127.0.0.1:5300", "[::1]:5300", "0.0.0.0:53", "[::]:53" into a
 * socket address; ":53" (every address) gives the IPv4 wildcard. Returns 0,
 * or -1 with the reason in err. */
int server_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                        size_t errlen);

/* For each of the n listen addresses, the first one (lowest index) that
 * shares a socket address with it (":53" and "0.0.0.0:53" are one socket,
 * so one listener): alias[i] <= i, alias[i] == i for most. A packet's
 * chain_packet_t.listener is always such a first alias. */
void server_listen_alias(const char *const *listen, size_t n, unsigned *alias);

/* One socket address a listen address stands for. */
typedef struct server_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    bool optional; /* skipped where the host cannot bind its address family */
} server_addr_t;

/* The socket addresses of a listen address: one, or for ":PORT" (every
 * address, as CoreDNS's ":53") two: 0.0.0.0:PORT, and [::]:PORT marked
 * optional (server_start binds it only where the host can bind IPv6).
 * Returns how many (1 or 2), or -1 with the reason in err. */
int server_listen_addrs(const char *text, server_addr_t out[2], char *err, size_t errlen);

/* The socket addresses listened on, as "0.0.0.0:53, [::]:53" (for the
 * log): after server_start(), those actually bound, with their ports. */
void server_describe(const server_t *s, char *out, size_t cap);

#endif
