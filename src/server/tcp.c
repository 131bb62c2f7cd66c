/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcp.c - DNS over TCP as RFC 7766 wants it.
 *
 * Each TCP worker accepts on its own SO_REUSEPORT listening socket (the
 * kernel spreads new connections over the workers, so there is no acceptor
 * thread and no hand-off between threads) and serves its connections
 * itself; the UDP workers are other threads (server.c), so nothing here can
 * delay a UDP answer.
 * Messages carry a 2-byte length prefix; a client may send several in one
 * segment, split one over many segments, and pipeline: every complete
 * message is answered as soon as it is read, in order.
 *
 * Buffers, and why there is no allocation per query:
 *  - Reads go into the worker's scratch buffer (tcp_in). Complete messages
 *    are answered straight from it; only the bytes of a message that has
 *    not fully arrived are kept in the connection's own `in` buffer (which
 *    the next reads then fill directly, so a message trickling in byte by
 *    byte costs no copying).
 *  - Answers go into the worker's scratch buffer (tcp_out) with their
 *    length prefix, and are written with one send() per read. Only what the
 *    socket does not take is copied into the connection's `out` buffer.
 * So an idle connection holds no buffer at all, and a busy one owns at most
 * one partial query and its unsent answers.
 *
 * Backpressure: when a connection has TCP_OUT_HIGH bytes of unsent answers
 * the worker stops reading from it (and stops answering what it already
 * read) until the client has taken them all. The kernel's share is capped
 * too: the listening sockets get small SO_SNDBUF/SO_RCVBUF (sock.c), which
 * the connections inherit, so a client that never reads pins at most a few
 * tens of kilobytes of kernel memory, not megabytes of autotuned buffer.
 *
 * Limits: a connection with no activity (nothing read, nothing written) for
 * tcp_idle_ms is closed; connections beyond tcp_per_client from one client
 * address (tcp_client.c) are accepted and closed at once, so they neither
 * wait in the backlog nor cost the open ones anything. When tcp_max
 * connections (counted across all workers) are open, a new one takes the
 * place of the worker's oldest connection that has not sent a complete
 * query yet (the "fresh" list, oldest first); failing that, of the oldest
 * one whose answers are waiting for a client that does not take them (the
 * "stalled" list: it is reset); or it is closed at once if there is
 * neither. Clients that hold slots without asking anything (slowloris, a
 * flood of connections) or without reading (a non-reader flood) then lose
 * them to clients that ask and read, instead of keeping them from ever
 * getting one. A real client whose answers wait only for the length of a
 * round trip is rarely the oldest stalled one, and if it is reset it
 * retries. When accept() runs out of
 * file descriptors, accepting pauses for TCP_PAUSE_MS instead of spinning,
 * and says so once in the log.
 *
 * The I/O timeout (tcp_io_ms, Knot's tcp-io-timeout): once the first byte
 * of a message has arrived, the whole message (length and body) must be
 * there within tcp_io_ms, or the connection is closed (a byte every few
 * seconds never holds a slot); and while answers wait for the client to
 * take them, the socket must become writable again within tcp_io_ms, or
 * the connection is reset (a client that never reads is dropped, and the
 * reset frees its kernel buffers at once instead of leaving an orphan that
 * still holds them).
 *
 * Draining (server_drain: a graceful stop, or listeners replaced on a
 * reload): the listening sockets are closed after their backlog is
 * accepted; a connection is closed as soon as it has nothing left to do,
 * i.e. every query it sent has been answered and the answers handed to
 * the kernel (one that has sent nothing yet gets TCP_DRAIN_GRACE_MS for
 * its first query: its client has just connected); the worker leaves when
 * its last connection is gone (or at the drain deadline).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/wire.h"
#include "server/worker.h"

#define TCP_MSG_MAX        65535       /* largest DNS message */
#define TCP_READ_CHUNK     (64 * 1024) /* bytes read per event */
#define TCP_OUT_HIGH       (16 * 1024) /* unsent bytes that stop reading */
#define TCP_OUT_SCRATCH    (TCP_OUT_HIGH + 2 * (2 + TCP_MSG_MAX))
#define TCP_IN_MIN         512 /* smallest `in` allocation */
#define TCP_ACCEPT_BATCH   32  /* accepts per readiness event */
#define TCP_PAUSE_MS       100
#define TCP_FRESH_GRACE_MS 200 /* a new client's first query, before it may be evicted */
#define TCP_DRAIN_GRACE_MS 250 /* draining: time for a new client's first query */

typedef struct tcp_conn {
    int fd;
    worker_t *w;
    struct tcp_conn *prev, *next;
    struct event rev; /* readable, or idle */
    struct event wev; /* writable (only while answers are pending), or I/O timeout */
    struct event iot; /* a message has started and must be complete by then */
    bool reading;     /* rev is added */
    bool io_armed;    /* iot is added */
    bool writing;     /* wev is added */
    bool eof;         /* the client closed its side: send what is pending, close */
    bool dead;        /* a send failed: close as soon as we are back in a callback */
    bool answered;    /* at least one query was answered */
    bool on[2];       /* on the worker's evict list [TCP_FRESH] / [TCP_STALLED] */
    struct tcp_conn *lprev[2], *lnext[2];
    uint64_t accepted_ms; /* CLOCK_MONOTONIC_COARSE at accept */
    uint8_t *in;          /* the start of a message not fully read yet */
    size_t in_len, in_cap;
    uint8_t *out; /* answers the socket did not take yet: out[out_off..out_len) */
    size_t out_off, out_len, out_cap;
    uint32_t client; /* its counter in the per-client table (tcp_client.c) */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    unsigned listener; /* chain_packet_t.listener */
} tcp_conn_t;

int tcp_worker_init(worker_t *w)
{
    w->tcp_in = malloc(TCP_READ_CHUNK);
    w->tcp_out = malloc(TCP_OUT_SCRATCH);
    w->tcp_out_len = 0;
    w->conns = NULL;
    for (int i = 0; i < 2; i++)
        w->evict_head[i] = w->evict_tail[i] = NULL;
    w->idle_tv = NULL;
    w->io_tv = NULL;
    if (w->tcp_in == NULL || w->tcp_out == NULL)
        return -1;
    if (w->shared->tcp_io_ms > 0) {
        struct timeval tv = {.tv_sec = w->shared->tcp_io_ms / 1000,
                             .tv_usec = (w->shared->tcp_io_ms % 1000) * 1000};
        w->io_tv = event_base_init_common_timeout(w->base, &tv);
        if (w->io_tv == NULL)
            return -1;
    }
    if (w->shared->tcp_idle_ms > 0) {
        struct timeval tv = {.tv_sec = w->shared->tcp_idle_ms / 1000,
                             .tv_usec = (w->shared->tcp_idle_ms % 1000) * 1000};
        /* All connections share one timeout length: libevent keeps them in
         * a queue instead of the timer heap, O(1) per reschedule. */
        w->idle_tv = event_base_init_common_timeout(w->base, &tv);
        if (w->idle_tv == NULL)
            return -1;
    }
    return 0;
}

static void tcp_count_close(worker_shared_t *sh, tcp_close_reason_t why)
{
    atomic_fetch_add_explicit(&sh->tcp_closed[why], 1, memory_order_relaxed);
}

static size_t conn_pending(const tcp_conn_t *c)
{
    return c->out_len - c->out_off;
}

/* Put c last (newest) on the worker's evict list `which`, if not there. */
static void conn_list_add(tcp_conn_t *c, int which)
{
    worker_t *w = c->w;
    if (c->on[which])
        return;
    c->on[which] = true;
    c->lnext[which] = NULL;
    c->lprev[which] = w->evict_tail[which];
    if (w->evict_tail[which] != NULL)
        w->evict_tail[which]->lnext[which] = c;
    else
        w->evict_head[which] = c;
    w->evict_tail[which] = c;
}

/* Take c off the worker's evict list `which` (a complete query came, its
 * answers were taken, or it goes). */
static void conn_list_remove(tcp_conn_t *c, int which)
{
    worker_t *w = c->w;
    if (!c->on[which])
        return;
    if (c->lprev[which] != NULL)
        c->lprev[which]->lnext[which] = c->lnext[which];
    else
        w->evict_head[which] = c->lnext[which];
    if (c->lnext[which] != NULL)
        c->lnext[which]->lprev[which] = c->lprev[which];
    else
        w->evict_tail[which] = c->lprev[which];
    c->on[which] = false;
}

static void conn_close(tcp_conn_t *c)
{
    worker_t *w = c->w;
    conn_list_remove(c, TCP_FRESH);
    conn_list_remove(c, TCP_STALLED);
    event_del(&c->rev);
    event_del(&c->wev);
    event_del(&c->iot);
    close(c->fd);
    tcp_client_release(w->shared, c->client);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    atomic_fetch_sub(&w->shared->tcp_open, 1);
    free(c->in);
    free(c->out);
    free(c);
    if (w->draining && w->conns == NULL)
        event_base_loopbreak(w->base); /* drained: the worker may leave */
}

/* Draining: close the connection if it has nothing left to do (no part
 * of a query, no unsent answer, nothing unread in the socket, so the
 * close sends a FIN after the answers, never a reset). A connection that
 * has not sent its first query yet (a client that just connected) gets
 * until the end of the grace period to send it. Returns true if closed. */
static bool conn_drain_check(tcp_conn_t *c)
{
    uint8_t byte;
    worker_t *w = c->w;
    if (!w->draining || c->in_len > 0 || conn_pending(c) > 0 ||
        (!c->answered && !w->drain_grace_over))
        return false;
    if (recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        return false; /* more queries: the read event answers them first */
    conn_close(c);
    return true;
}

/* Close with a reset: the client did not keep up, and what it did not
 * take is dropped now rather than kept by the kernel after the close. */
static void conn_abort(tcp_conn_t *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    conn_close(c);
}

void tcp_worker_free(worker_t *w)
{
    if (!w->is_tcp)
        return;
    if (w->draining)
        event_del(&w->drain_grace);
    while (w->conns != NULL)
        conn_close(w->conns);
    free(w->tcp_in);
    free(w->tcp_out);
    w->tcp_in = NULL;
    w->tcp_out = NULL;
}

static void conn_start_reading(tcp_conn_t *c)
{
    if (!c->reading && event_add(&c->rev, c->w->idle_tv) == 0)
        c->reading = true;
}

static void conn_stop_reading(tcp_conn_t *c)
{
    if (c->reading) {
        event_del(&c->rev);
        c->reading = false;
    }
}

/* Make `in` hold at least n bytes. */
static int conn_in_reserve(tcp_conn_t *c, size_t n)
{
    if (c->in_cap >= n)
        return 0;
    size_t cap = n < TCP_IN_MIN ? TCP_IN_MIN : n;
    uint8_t *p = realloc(c->in, cap);
    if (p == NULL)
        return -1;
    c->in = p;
    c->in_cap = cap;
    return 0;
}

/* Keep bytes the socket did not take, after what is already pending. */
static int conn_out_append(tcp_conn_t *c, const uint8_t *data, size_t len)
{
    if (c->out_off > 0) { /* slide pending bytes to the front first */
        memmove(c->out, c->out + c->out_off, conn_pending(c));
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_cap - c->out_len < len) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap - c->out_len < len)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (p == NULL)
            return -1;
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* Send the worker's answer scratch for this connection; keep what the
 * socket does not take and wait for it to become writable. */
static void conn_flush(tcp_conn_t *c)
{
    worker_t *w = c->w;
    const uint8_t *data = w->tcp_out;
    size_t len = w->tcp_out_len;

    w->tcp_out_len = 0;
    if (len == 0 || c->dead)
        return;
    if (conn_pending(c) == 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                c->dead = true;
                return;
            }
            n = 0;
        }
        if ((size_t)n == len)
            return;
        data += n;
        len -= (size_t)n;
    }
    if (conn_out_append(c, data, len) != 0) {
        c->dead = true;
        return;
    }
    if (!c->writing && event_add(&c->wev, w->io_tv != NULL ? w->io_tv : w->idle_tv) == 0) {
        c->writing = true;
        conn_list_add(c, TCP_STALLED);
    }
}

/* Answer the complete messages in buf[0..len), as long as the connection is
 * not backed up. Returns how many bytes were consumed. */
static size_t conn_answer(tcp_conn_t *c, const uint8_t *buf, size_t len)
{
    worker_t *w = c->w;
    size_t off = 0;
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    w->lim.now = (int64_t)time(NULL);
    for (;;) {
        bool incomplete = false, garbage = false;
        while (!c->dead) {
            if (len - off < 2) {
                incomplete = true;
                break;
            }
            size_t mlen = ((size_t)buf[off] << 8) | buf[off + 1];
            if (mlen < WIRE_HEADER_SIZE) {
                /* Not even a header (a slowloris' two zero bytes make an
                 * empty message): nothing to answer, no client worth a
                 * slot. Taken for a query, it left the fresh list and held
                 * an unevictable slot until the idle timeout. What was
                 * answered before it is still sent; then the connection
                 * ends as if the client had closed it. */
                garbage = true;
                break;
            }
            if (len - off - 2 < mlen) {
                incomplete = true;
                break;
            }
            if (conn_pending(c) + w->tcp_out_len >= TCP_OUT_HIGH)
                break;
            chain_packet_t p = {
                .pkt = buf + off + 2,
                .len = mlen,
                .proto = REQ_TCP,
                .peer = (const struct sockaddr *)&c->peer,
                .peer_len = c->peer_len,
                .worker = w->index,
                .slot = w->slot,
                .start_ns = start_ns,
                .listener = c->listener,
                .fd = c->fd,
            };
            uint8_t *o = w->tcp_out + w->tcp_out_len;
            size_t rlen = worker_answer(w, &p, o + 2, TCP_MSG_MAX);
            if (rlen > 0) {
                o[0] = (uint8_t)(rlen >> 8);
                o[1] = (uint8_t)rlen;
                w->tcp_out_len += 2 + rlen;
            }
            off += 2 + mlen;
            if (rlen > 0) { /* a dropped message is no query asked: still evictable */
                c->answered = true;
                conn_list_remove(c, TCP_FRESH);
            }
        }
        conn_flush(c);
        if (garbage) {
            c->eof = true;
            return len; /* the rest is not read */
        }
        /* Stop at a partial message, on error, or while backed up; when the
         * socket took everything, go on with what is left. */
        if (incomplete || c->dead || conn_pending(c) >= TCP_OUT_HIGH)
            return off;
    }
}

/* After answering from buf (the worker's scratch or c->in), keep the
 * unanswered rest in c->in. */
static int conn_keep_rest(tcp_conn_t *c, const uint8_t *buf, size_t len, size_t used)
{
    size_t rest = len - used;
    if (buf == c->in) {
        if (rest > 0) /* c->in may be NULL when nothing was read */
            memmove(c->in, c->in + used, rest);
    } else if (rest > 0) {
        if (conn_in_reserve(c, rest) != 0)
            return -1;
        memcpy(c->in, buf + used, rest);
    }
    c->in_len = rest;
    return 0;
}

/* The I/O timeout ran out: a message did not complete in time, or the
 * client took none of its answers. */
static void conn_on_io_timeout(evutil_socket_t fd, short what, void *arg)
{
    tcp_conn_t *c = arg;
    (void)fd;
    (void)what;
    tcp_count_close(c->w->shared, TCP_CLOSE_IO_TIMEOUT);
    conn_abort(c);
}

/* Start, restart or stop the clock of a message being read: it runs while
 * c->in holds the start of a message that is not complete (while reading:
 * when the connection is backed up, the write side's timeout is the one
 * that counts). `restart`: a message was completed, the next one gets a
 * clock of its own. */
static void conn_io_timer(tcp_conn_t *c, bool restart)
{
    worker_t *w = c->w;
    if (w->io_tv == NULL)
        return;
    if (c->in_len > 0 && c->reading) {
        if ((restart || !c->io_armed) && event_add(&c->iot, w->io_tv) == 0)
            c->io_armed = true;
    } else if (c->io_armed) {
        event_del(&c->iot);
        c->io_armed = false;
    }
}

/* The client is done (it closed its side, or sent what is no query): read
 * nothing more, send what is pending, then close. */
static void conn_end(tcp_conn_t *c)
{
    c->eof = true;
    c->in_len = 0;
    conn_stop_reading(c);
    conn_io_timer(c, false);
    if (conn_pending(c) == 0)
        conn_close(c);
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
    tcp_conn_t *c = arg;
    worker_t *w = c->w;
    uint8_t *buf;
    size_t have;
    ssize_t n;

    if (what & EV_TIMEOUT) {
        tcp_count_close(w->shared, TCP_CLOSE_IDLE);
        conn_close(c);
        return;
    }
    if (c->in_len > 0) {
        /* Part of a message is here: read the rest into c->in directly. */
        size_t need = c->in_len >= 2 ? 2 + (((size_t)c->in[0] << 8) | c->in[1]) : 2;
        if (need <= c->in_len) /* cannot happen (complete messages are answered); be safe */
            need = c->in_len + TCP_IN_MIN;
        if (conn_in_reserve(c, need) != 0) {
            conn_close(c);
            return;
        }
        n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        buf = c->in;
        have = c->in_len + (n > 0 ? (size_t)n : 0);
    } else {
        n = recv(fd, w->tcp_in, TCP_READ_CHUNK, 0);
        buf = w->tcp_in;
        have = n > 0 ? (size_t)n : 0;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_close(c);
        return;
    }
    if (n == 0) { /* the client is done; a partial message will never complete */
        conn_end(c);
        return;
    }
    size_t used = conn_answer(c, buf, have);
    if (c->eof) { /* a message that was no query */
        conn_end(c);
        return;
    }
    if (c->dead || conn_keep_rest(c, buf, have, used) != 0) {
        conn_close(c);
        return;
    }
    if (conn_pending(c) >= TCP_OUT_HIGH)
        conn_stop_reading(c);
    conn_io_timer(c, used > 0);
    conn_drain_check(c);
}

static void conn_on_write(evutil_socket_t fd, short what, void *arg)
{
    tcp_conn_t *c = arg;
    worker_t *w = c->w;

    if (what & EV_TIMEOUT) { /* the client took nothing for that long */
        tcp_count_close(w->shared, TCP_CLOSE_WRITE_TIMEOUT);
        conn_abort(c);
        return;
    }
    ssize_t n = send(fd, c->out + c->out_off, conn_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_close(c);
        return;
    }
    c->out_off += (size_t)n;
    if (c->reading && w->idle_tv != NULL)
        event_add(&c->rev, w->idle_tv); /* the client is active: restart its idle clock */
    if (conn_pending(c) > 0)
        return;
    c->out_off = c->out_len = 0;
    event_del(&c->wev);
    c->writing = false;
    conn_list_remove(c, TCP_STALLED);
    if (c->eof) {
        conn_close(c);
        return;
    }
    if (!c->reading) {
        /* Backed up until now: answer what was read meanwhile, then read on. */
        size_t used = conn_answer(c, c->in, c->in_len);
        if (c->eof) {
            conn_end(c);
            return;
        }
        if (c->dead || conn_keep_rest(c, c->in, c->in_len, used) != 0) {
            conn_close(c);
            return;
        }
        if (conn_pending(c) < TCP_OUT_HIGH)
            conn_start_reading(c);
        conn_io_timer(c, used > 0);
    }
    conn_drain_check(c);
}

static uint64_t coarse_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Take over an accepted socket (counted in the client's counter `client`).
 * Returns -1 if out of memory. */
static int conn_new(worker_t *w, int fd, const struct sockaddr_storage *peer, socklen_t peer_len,
                    uint32_t client, unsigned listener)
{
    int one = 1;
    tcp_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -1;
    /* Answers go out in one send() per read; do not let Nagle hold the next
     * one back waiting for the client's delayed ACK. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->w = w;
    c->client = client;
    c->peer = *peer;
    c->peer_len = peer_len;
    c->listener = listener;
    event_assign(&c->rev, w->base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
    event_assign(&c->wev, w->base, fd, EV_WRITE | EV_PERSIST, conn_on_write, c);
    evtimer_assign(&c->iot, w->base, conn_on_io_timeout, c);
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    c->accepted_ms = coarse_now_ms();
    conn_list_add(c, TCP_FRESH);
    conn_start_reading(c);
    return 0;
}

/* Stop accepting for a moment (no fds or memory left right now). */
static void listener_pause(tcp_listener_t *l)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = TCP_PAUSE_MS * 1000};
    event_del(&l->ev);
    l->paused = true;
    evtimer_add(&l->retry, &tv);
}

void tcp_on_retry(evutil_socket_t fd, short what, void *arg)
{
    tcp_listener_t *l = arg;
    (void)fd;
    (void)what;
    if (l->paused && event_add(&l->ev, NULL) == 0)
        l->paused = false;
}

/* The connection to give up its slot for a new one when the table is full
 * (see the top of this file), or NULL if none may. A connection that has
 * asked nothing for TCP_FRESH_GRACE_MS goes first; then one that does not
 * take its answers; only then one that connected a moment ago (a real
 * client's first query is a round trip away: under a flood of new
 * connections it would otherwise be evicted before it could ask). */
static tcp_conn_t *evict_candidate(worker_t *w)
{
    tcp_conn_t *fresh = w->evict_head[TCP_FRESH];
    if (w->draining)
        return NULL;
    if (fresh != NULL && coarse_now_ms() - fresh->accepted_ms >= TCP_FRESH_GRACE_MS)
        return fresh;
    return w->evict_head[TCP_STALLED] != NULL ? w->evict_head[TCP_STALLED] : fresh;
}

/* Accept up to TCP_ACCEPT_BATCH connections. Returns true if the batch
 * was full (more may be waiting). */
static bool listener_accept(tcp_listener_t *l)
{
    worker_t *w = l->w;
    worker_shared_t *sh = w->shared;

    for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int cfd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return false;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_once(&l->paused_logged, LOG_LEVEL_WARN,
                         "tcp: accept: %s; pausing %d ms (logged once until it recovers)",
                         strerror(errno), TCP_PAUSE_MS);
                listener_pause(l);
                return false;
            }
            continue; /* ECONNABORTED and friends: that client is gone */
        }
        if (l->paused_logged.done)
            log_once_reset(&l->paused_logged);
        uint_fast32_t open = atomic_fetch_add(&sh->tcp_open, 1);
        uint32_t client;
        tcp_conn_t *room = sh->tcp_max > 0 && open >= sh->tcp_max ? evict_candidate(w) : NULL;
        if (room != NULL && tcp_client_take(sh, &peer, &client)) {
            if (room->on[TCP_FRESH]) {
                tcp_count_close(sh, TCP_CLOSE_EVICTED_NEW);
                conn_close(room); /* full: the oldest that asked nothing makes room */
            } else {
                tcp_count_close(sh, TCP_CLOSE_EVICTED_STALLED);
                conn_abort(room); /* or the oldest that does not take its answers */
            }
            if (conn_new(w, cfd, &peer, plen, client, l->listener) != 0) {
                tcp_client_release(sh, client);
                atomic_fetch_sub(&sh->tcp_open, 1);
                close(cfd);
            }
        } else if (sh->tcp_max > 0 && open >= sh->tcp_max) {
            tcp_count_close(sh, room != NULL ? TCP_CLOSE_REFUSED_CLIENT : TCP_CLOSE_REFUSED_FULL);
            atomic_fetch_sub(&sh->tcp_open, 1);
            close(cfd);
        } else if (!tcp_client_take(sh, &peer, &client)) {
            tcp_count_close(sh, TCP_CLOSE_REFUSED_CLIENT);
            atomic_fetch_sub(&sh->tcp_open, 1);
            close(cfd);
        } else if (conn_new(w, cfd, &peer, plen, client, l->listener) != 0) {
            tcp_client_release(sh, client);
            atomic_fetch_sub(&sh->tcp_open, 1);
            close(cfd);
        }
    }
    return true;
}

void tcp_on_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    listener_accept(arg);
}

/* Drain grace period over: connections that sent nothing yet may go. */
static void tcp_on_drain_grace(evutil_socket_t fd, short what, void *arg)
{
    worker_t *w = arg;
    (void)fd;
    (void)what;
    w->drain_grace_over = true;
    for (tcp_conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        conn_drain_check(c);
    }
}

void tcp_worker_drain(worker_t *w)
{
    struct timeval grace = {.tv_sec = 0, .tv_usec = TCP_DRAIN_GRACE_MS * 1000};
    evtimer_assign(&w->drain_grace, w->base, tcp_on_drain_grace, w);
    evtimer_add(&w->drain_grace, &grace);
    for (size_t i = 0; w->tcp != NULL && i < w->naddr; i++) {
        tcp_listener_t *l = &w->tcp[i];
        if (l->fd < 0)
            continue;
        /* Connections the kernel completed are clients that may have sent
         * queries already: take them before the socket goes (closing it
         * would reset them). */
        event_del(&l->ev);
        while (!l->paused && listener_accept(l))
            ;
        event_del(&l->retry);
        close(l->fd);
        l->fd = -1;
    }
    for (tcp_conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        conn_drain_check(c);
    }
    if (w->conns == NULL)
        event_base_loopbreak(w->base);
}
