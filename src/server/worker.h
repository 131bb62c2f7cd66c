/*
 * worker.h - what one worker thread owns (private to src/server/).
 *
 * A worker is an event_base plus, for every listen address, one UDP socket
 * and one TCP listening socket of its own (SO_REUSEPORT), plus the buffers
 * its hot path works in, allocated once at start. Nothing in a worker is
 * touched by another thread except the shared TCP connection counter (an
 * atomic in the server) and the stop eventfd that server_stop() writes to.
 * (So the event_bases need no locks, and libevent no evthread setup.)
 */
#ifndef VMDNS_SERVER_WORKER_H
#define VMDNS_SERVER_WORKER_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/chain.h"
#include "core/log.h"

struct worker;
struct udp_batch;
struct tcp_conn;

/* One UDP socket of one worker. */
typedef struct udp_sock {
    int fd;
    bool pktinfo; /* bound to a wildcard: reply from the address the query came to */
    struct event ev;
    struct worker *w;
} udp_sock_t;

/* One TCP listening socket of one worker. */
typedef struct tcp_listener {
    int fd;
    bool paused; /* accept() ran out of fds/memory: waiting on `retry` */
    log_once_t paused_logged;
    struct event ev;    /* readable: connections to accept */
    struct event retry; /* re-enables ev after a pause */
    struct worker *w;
} tcp_listener_t;

/* State shared by all workers of one server (owned by the server). */
typedef struct worker_shared {
    const chain_t *chain;
    const view_t *view;
    answer_limits_t limits;
    uint32_t tcp_max;              /* 0: no limit */
    uint32_t tcp_idle_ms;          /* 0: no idle timeout */
    atomic_uint_fast32_t tcp_open; /* open TCP connections, all workers */
} worker_shared_t;

typedef struct worker {
    unsigned index;
    worker_shared_t *shared;
    struct event_base *base;
    pthread_t thread;
    bool started; /* thread was created and not yet joined */
    int stop_fd;  /* eventfd: server_stop() writes, the worker leaves its loop */
    struct event stop_ev;
    answer_limits_t lim; /* shared->limits with `now` refreshed per event */

    udp_sock_t *udp; /* one per listen address */
    tcp_listener_t *tcp;
    size_t naddr;

    struct udp_batch *ub; /* UDP batch buffers (udp.c) */

    /* TCP (tcp.c) */
    uint8_t *tcp_in;  /* read scratch */
    uint8_t *tcp_out; /* response scratch, flushed with one send() */
    size_t tcp_out_len;
    struct tcp_conn *conns;        /* open connections (doubly linked) */
    const struct timeval *idle_tv; /* common timeout of the base, or NULL */
} worker_t;

/* ---- sock.c ---- */

/* A bound, non-blocking SO_REUSEPORT UDP socket with big buffers (and
 * IP_PKTINFO/IPV6_RECVPKTINFO when `pktinfo`). -1 with err filled on failure. */
int sock_udp_open(const struct sockaddr *sa, socklen_t len, bool pktinfo, char *err, size_t errlen);

/* A bound, listening, non-blocking SO_REUSEPORT TCP socket. */
int sock_tcp_open(const struct sockaddr *sa, socklen_t len, char *err, size_t errlen);

/* True if sa is 0.0.0.0 or ::. */
bool sock_is_wildcard(const struct sockaddr *sa);

/* The local port of a bound socket, or 0. */
uint16_t sock_local_port(int fd);

/* ---- udp.c ---- */

/* Allocate the worker's UDP batch buffers. 0 or -1. */
int udp_worker_init(worker_t *w);
void udp_worker_free(worker_t *w);

/* Event callback of a udp_sock_t: read, answer and send in batches. */
void udp_on_readable(evutil_socket_t fd, short what, void *arg);

/* ---- tcp.c ---- */

/* Allocate the worker's TCP scratch buffers, set up the idle timeout. */
int tcp_worker_init(worker_t *w);

/* Close every connection of the worker and free its TCP buffers (the
 * worker's thread, after its loop ended, or after a failed start). */
void tcp_worker_free(worker_t *w);

/* Event callback of a tcp_listener_t: accept new connections. */
void tcp_on_accept(evutil_socket_t fd, short what, void *arg);

/* Timer callback of a tcp_listener_t: resume accepting after a pause. */
void tcp_on_retry(evutil_socket_t fd, short what, void *arg);

#endif
