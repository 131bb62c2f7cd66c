/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.c - start, run and stop the worker threads.
 *
 * server_start() does everything that can fail before any thread runs:
 * it opens every socket of every worker (so "address already in use" is
 * reported at startup, not half-way through), creates the event_bases and
 * allocates the buffers. Only then are the threads spawned, with all
 * signals blocked so that SIGTERM/SIGINT reach main's thread and not a
 * worker. A listen address with port 0 gets a free port from the kernel on
 * its first socket; every other socket of that address (UDP and TCP, all
 * workers) then binds to that same port. A listen address may stand for
 * several socket addresses (":53": 0.0.0.0 and [::]); the same socket
 * address given twice is bound once, and an optional one ([::] of ":53")
 * is left out at start when the host cannot bind IPv6 at all.
 *
 * There are two threads per `workers`: a UDP worker (UDP sockets only)
 * and a TCP worker (TCP listeners and connections only). TCP is where a
 * client can make the server work without end (thousands of connections,
 * pipelined queries, clients that never read); in a thread of its own that
 * work delays other TCP clients, never a UDP answer. The TCP workers also
 * run at a lower scheduling priority (nice +TCP_NICE), so that on a busy
 * host the kernel runs a UDP worker first when both have work, and the UDP
 * workers ask for a short time slice (worker_short_slice), so that one
 * woken by a datagram gets a CPU soon.
 *
 * Each worker thread registers with RCU (it reads the view), runs its
 * event loop until server_stop() writes to its eventfd, closes its TCP
 * connections and unregisters. A drain stops the TCP workers first (they
 * finish what their clients sent) and the UDP workers after them, so UDP
 * is answered for as long as TCP is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/rcu.h"

#include "core/log.h"
#include "server/fdlimit.h"
#include "server/server.h"
#include "server/worker.h"

#define SERVER_MAX_WORKERS 1024
#define TCP_NICE           5      /* TCP workers run this much nicer than the UDP ones */
#define UDP_SLICE_NS       500000 /* a UDP worker's time slice: short, so it runs soon on wakeup */

struct server {
    worker_shared_t shared;
    unsigned nworkers;             /* `workers`: so many UDP workers, and as many TCP workers */
    worker_t *workers;             /* 2 * nworkers: the UDP workers, then the TCP workers */
    size_t naddr;                  /* socket addresses (each bound by every worker) */
    struct sockaddr_storage *addr; /* port patched after a port-0 bind */
    socklen_t *addr_len;
    uint16_t *bound_port;
    bool *optional;        /* addr[i] is left out where its family cannot be bound */
    size_t nlisten;        /* listen addresses of the config */
    size_t *first;         /* listen address i: index of its first socket address */
    unsigned *sock_listen; /* socket address k: the listener it reports (first alias) */
    bool running;          /* threads were spawned and not joined */
    bool tried;            /* server_start() was called (it is not repeatable) */
};

static uint16_t get_port(const struct sockaddr_storage *ss);

/* Add a socket address unless it is there already (a fixed port given
 * twice, e.g. "0.0.0.0:53" beside ":53"); returns its index. It stays
 * optional only if every listen address that names it says so. */
static size_t server_add_addr(server_t *s, const server_addr_t *a)
{
    for (size_t i = 0; i < s->naddr; i++) {
        if (s->addr_len[i] == a->len && memcmp(&s->addr[i], &a->ss, a->len) == 0 &&
            get_port(&a->ss) != 0) {
            s->optional[i] = s->optional[i] && a->optional;
            return i;
        }
    }
    s->addr[s->naddr] = a->ss;
    s->addr_len[s->naddr] = a->len;
    s->optional[s->naddr] = a->optional;
    return s->naddr++;
}

server_t *server_new(const server_opts_t *o, const view_t *view, const chain_t *chain, char *err,
                     size_t errlen)
{
    if (o == NULL || o->nlisten == 0 || o->listen == NULL) {
        snprintf(err, errlen, "no listen address");
        return NULL;
    }
    unsigned nworkers = o->workers;
    if (nworkers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nworkers = n > 0 ? (unsigned)n : 1;
    }
    if (nworkers > SERVER_MAX_WORKERS) {
        snprintf(err, errlen, "workers: %u is more than %d", nworkers, SERVER_MAX_WORKERS);
        return NULL;
    }
    server_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t cap = 2 * o->nlisten; /* server_listen_addrs gives at most two */
    s->nworkers = nworkers;
    s->nlisten = o->nlisten;
    s->addr = calloc(cap, sizeof(*s->addr));
    s->addr_len = calloc(cap, sizeof(*s->addr_len));
    s->bound_port = calloc(cap, sizeof(*s->bound_port));
    s->optional = calloc(cap, sizeof(*s->optional));
    s->first = calloc(o->nlisten, sizeof(*s->first));
    s->sock_listen = calloc(cap, sizeof(*s->sock_listen));
    unsigned *alias = calloc(o->nlisten, sizeof(*alias));
    s->workers = calloc(2 * (size_t)nworkers, sizeof(*s->workers));
    if (s->addr == NULL || s->addr_len == NULL || s->bound_port == NULL || s->optional == NULL ||
        s->first == NULL || s->workers == NULL || s->sock_listen == NULL || alias == NULL) {
        snprintf(err, errlen, "out of memory");
        free(alias);
        server_free(s);
        return NULL;
    }
    server_listen_alias(o->listen, o->nlisten, alias);
    for (size_t i = 0; i < o->nlisten; i++) {
        server_addr_t a[2];
        int n = server_listen_addrs(o->listen[i], a, err, errlen);
        if (n < 0) {
            free(alias);
            server_free(s);
            return NULL;
        }
        for (int k = 0; k < n; k++) {
            size_t before = s->naddr;
            size_t at = server_add_addr(s, &a[k]);
            if (at == before)
                s->sock_listen[at] = alias[i];
            if (k == 0)
                s->first[i] = at;
        }
    }
    free(alias);
    s->shared.gen = malloc(sizeof(*s->shared.gen));
    if (s->shared.gen == NULL) {
        snprintf(err, errlen, "out of memory");
        server_free(s);
        return NULL;
    }
    *s->shared.gen = (worker_gen_t){chain, view};
    atomic_init(&s->shared.mode, WORKER_RUN);
    s->shared.limits = o->limits;
    s->shared.tcp_max = o->tcp_max_connections;
    s->shared.tcp_idle_ms = o->tcp_idle_timeout_ms;
    s->shared.tcp_io_ms = o->tcp_io_timeout_ms;
    s->shared.tcp_per_client = o->tcp_max_per_client;
    atomic_init(&s->shared.tcp_open, 0);
    for (int i = 0; i < TCP_CLOSE_REASONS; i++)
        atomic_init(&s->shared.tcp_closed[i], 0);
    if (tcp_clients_init(&s->shared, o->tcp_max_connections) != 0) {
        snprintf(err, errlen, "out of memory");
        server_free(s);
        return NULL;
    }
    for (unsigned i = 0; i < 2 * nworkers; i++) {
        worker_t *w = &s->workers[i];
        w->is_tcp = i >= nworkers;
        w->index = i;
        w->slot = i;
        w->naddr = s->naddr;
        w->shared = &s->shared;
        w->lim = o->limits;
        w->stop_fd = -1;
    }
    return s;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Free everything a worker set up (its thread is not running). */
static void worker_teardown(worker_t *w, size_t naddr)
{
    if (w->base != NULL)
        tcp_worker_free(w); /* deletes connection events: before the base goes */
    if (w->base != NULL)
        event_base_free(w->base); /* also drops the socket events */
    w->base = NULL;
    for (size_t i = 0; w->udp != NULL && i < naddr; i++)
        if (w->udp[i].fd >= 0)
            close(w->udp[i].fd);
    for (size_t i = 0; w->tcp != NULL && i < naddr; i++)
        if (w->tcp[i].fd >= 0)
            close(w->tcp[i].fd);
    free(w->udp);
    free(w->tcp);
    w->udp = NULL;
    w->tcp = NULL;
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    w->stop_fd = -1;
    udp_worker_free(w);
}

static void worker_on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
    worker_t *w = arg;
    (void)fd;
    (void)what;
    event_base_loopbreak(w->base);
}

/* The control thread wrote to stop_fd: stop now, or start draining. */
static void worker_on_stop(evutil_socket_t fd, short what, void *arg)
{
    worker_t *w = arg;
    uint64_t v;
    (void)what;
    (void)!read(fd, &v, sizeof(v));
    if (atomic_load(&w->shared->mode) != WORKER_DRAIN) {
        event_base_loopbreak(w->base);
        return;
    }
    if (w->draining)
        return;
    if (!w->is_tcp) { /* the TCP workers are done: answer what is queued, leave */
        w->draining = true;
        event_base_loopbreak(w->base);
        return;
    }
    uint32_t ms = w->shared->drain_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    w->draining = true;
    evtimer_assign(&w->drain_timer, w->base, worker_on_drain_deadline, w);
    if (evtimer_add(&w->drain_timer, &tv) != 0) {
        event_base_loopbreak(w->base);
        return;
    }
    tcp_worker_drain(w);
}

/* After a drain: answer what is still queued on the UDP sockets and close
 * them at once, so that (when a new server shares the port) the kernel
 * sends the next datagrams to the sockets that stay. */
static void worker_close_udp(worker_t *w)
{
    for (size_t i = 0; w->udp != NULL && i < w->naddr; i++) {
        udp_sock_t *us = &w->udp[i];
        if (us->fd < 0)
            continue;
        event_del(&us->ev);
        udp_on_readable(us->fd, EV_READ, us);
        close(us->fd);
        us->fd = -1;
    }
}

/* Open the sockets of address i: the UDP one of worker wu, the TCP one of
 * worker wt. */
static int worker_open_addr(server_t *s, worker_t *wu, worker_t *wt, size_t i, char *err,
                            size_t errlen)
{
    struct sockaddr *sa = (struct sockaddr *)&s->addr[i];
    bool wildcard = sock_is_wildcard(sa);
    /* Port 0: the kernel picks a free UDP port; it may be taken for TCP, so
     * try again with another one a few times. */
    int tries = get_port(&s->addr[i]) == 0 ? 20 : 1;

    for (;;) {
        bool chosen = get_port(&s->addr[i]) == 0;
        int fd = sock_udp_open(sa, s->addr_len[i], wildcard, err, errlen);
        if (fd < 0)
            return -1;
        wu->udp[i].fd = fd;
        wu->udp[i].pktinfo = wildcard;
        wu->udp[i].listener = s->sock_listen[i];
        if (chosen) { /* use the port the kernel chose, for everything */
            uint16_t port = sock_local_port(fd);
            if (port == 0) {
                snprintf(err, errlen, "udp: cannot read the bound port: %s", strerror(errno));
                return -1;
            }
            set_port(&s->addr[i], port);
        }
        fd = sock_tcp_open(sa, s->addr_len[i], err, errlen);
        if (fd >= 0) {
            wt->tcp[i].fd = fd;
            wt->tcp[i].listener = s->sock_listen[i];
            s->bound_port[i] = get_port(&s->addr[i]);
            return 0;
        }
        if (!chosen || errno != EADDRINUSE || --tries == 0)
            return -1;
        close(wu->udp[i].fd);
        wu->udp[i].fd = -1;
        set_port(&s->addr[i], 0);
    }
}

/* Everything but the thread and the sockets: base, buffers, stop event. */
static int worker_prepare(server_t *s, worker_t *w, char *err, size_t errlen)
{
    struct event_config *cfg = event_config_new();
    if (cfg == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Only this worker's thread ever touches its base. */
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (w->is_tcp) {
        w->tcp = calloc(s->naddr, sizeof(*w->tcp));
        for (size_t i = 0; w->tcp != NULL && i < s->naddr; i++)
            w->tcp[i].fd = -1;
    } else {
        w->udp = calloc(s->naddr, sizeof(*w->udp));
        for (size_t i = 0; w->udp != NULL && i < s->naddr; i++)
            w->udp[i].fd = -1;
    }
    w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->base == NULL || (w->is_tcp ? w->tcp == NULL : w->udp == NULL) || w->stop_fd < 0 ||
        (w->is_tcp ? tcp_worker_init(w) : udp_worker_init(w)) != 0) {
        snprintf(err, errlen, "worker %u: cannot set up: %s", w->index, strerror(errno));
        return -1;
    }
    event_assign(&w->stop_ev, w->base, w->stop_fd, EV_READ | EV_PERSIST, worker_on_stop, w);
    if (event_add(&w->stop_ev, NULL) != 0) {
        snprintf(err, errlen, "worker %u: event_add failed", w->index);
        return -1;
    }
    return 0;
}

/* Open the sockets of UDP worker wu and TCP worker wt and watch them. */
static int worker_pair_listen(server_t *s, worker_t *wu, worker_t *wt, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->naddr; i++) {
        if (worker_open_addr(s, wu, wt, i, err, errlen) != 0)
            return -1;
        wu->udp[i].w = wu;
        wt->tcp[i].w = wt;
        event_assign(&wu->udp[i].ev, wu->base, wu->udp[i].fd, EV_READ | EV_PERSIST, udp_on_readable,
                     &wu->udp[i]);
        event_assign(&wt->tcp[i].ev, wt->base, wt->tcp[i].fd, EV_READ | EV_PERSIST, tcp_on_accept,
                     &wt->tcp[i]);
        evtimer_assign(&wt->tcp[i].retry, wt->base, tcp_on_retry, &wt->tcp[i]);
        if (event_add(&wu->udp[i].ev, NULL) != 0 || event_add(&wt->tcp[i].ev, NULL) != 0) {
            snprintf(err, errlen, "worker %u: event_add failed", wu->index);
            return -1;
        }
    }
    return 0;
}

/* Ask the scheduler for a short time slice for this (UDP) thread: with
 * EEVDF (Linux 6.12 and later) a task with a shorter slice gets an earlier
 * deadline, so a UDP worker woken by a datagram preempts a busy thread
 * sooner instead of waiting for the end of its slice. Same policy and
 * nice; older kernels ignore the slice. Best effort. */
static void worker_short_slice(void)
{
    struct { /* the kernel's struct sched_attr, first version (48 bytes) */
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
    } a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = getpriority(PRIO_PROCESS, 0);
    a.sched_runtime = UDP_SLICE_NS;
    (void)syscall(SYS_sched_setattr, 0, &a, 0);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    rcu_register_thread();
    if (w->is_tcp) /* per thread on Linux; best effort (never fails the start) */
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
                          getpriority(PRIO_PROCESS, 0) + TCP_NICE);
    else
        worker_short_slice();
    event_base_dispatch(w->base);
    if (w->draining && w->is_tcp)
        event_del(&w->drain_timer);
    if (w->draining)
        worker_close_udp(w);
    tcp_worker_free(w); /* close this worker's connections from its own thread */
    rcu_unregister_thread();
    return NULL;
}

/* Leave out the optional socket addresses whose family this host cannot
 * bind (IPv6 turned off, as in many containers): decided here, at bind
 * time, so that the config means the same on every host. */
static void server_drop_unusable(server_t *s)
{
    for (size_t i = s->naddr; i-- > 0;) {
        if (!s->optional[i] || sock_family_usable(s->addr[i].ss_family))
            continue;
        char text[INET6_ADDRSTRLEN + 10];
        sock_addr_text((const struct sockaddr *)&s->addr[i], text, sizeof(text));
        log_info("server: this host cannot bind IPv6: not listening on %s", text);
        size_t rest = s->naddr - i - 1;
        memmove(&s->addr[i], &s->addr[i + 1], rest * sizeof(*s->addr));
        memmove(&s->addr_len[i], &s->addr_len[i + 1], rest * sizeof(*s->addr_len));
        memmove(&s->optional[i], &s->optional[i + 1], rest * sizeof(*s->optional));
        s->naddr--;
        for (size_t l = 0; l < s->nlisten; l++)
            if (s->first[l] > i)
                s->first[l]--;
    }
    for (unsigned i = 0; i < 2 * s->nworkers; i++)
        s->workers[i].naddr = s->naddr;
}

/* A tcp_max_connections the open-files limit cannot hold is lowered to
 * what it can, with a warning (the server still starts: UDP needs no
 * descriptor per client, and the log says what to raise). */
static void server_fit_fd_limit(server_t *s)
{
    uint64_t own = 2ull * s->nworkers * (2 + s->naddr); /* epoll fd, eventfd, sockets */
    uint64_t room = fdlimit_tcp_room(own);
    uint32_t want = s->shared.tcp_max;
    if (want != 0 && want <= room)
        return;
    uint32_t got = room == 0 ? 1 : room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
    if (want == 0 && room == UINT64_MAX)
        return;
    log_warn("server: tcp_max_connections %u is more than the open files limit (RLIMIT_NOFILE) "
             "leaves room for; serving at most %u TCP connections (raise the hard limit: "
             "LimitNOFILE= in systemd, ulimit -Hn)",
             want, got);
    s->shared.tcp_max = got;
}

int server_start(server_t *s)
{
    char err[256];
    sigset_t all, old;

    if (s == NULL || s->tried) {
        log_error("server: server_start called twice");
        return -1;
    }
    s->tried = true;
    server_drop_unusable(s);
    server_fit_fd_limit(s);
    unsigned n = s->nworkers;
    for (unsigned i = 0; i < 2 * n; i++) {
        worker_t *w = &s->workers[i];
        if (worker_prepare(s, w, err, sizeof(err)) != 0 ||
            (w->is_tcp && worker_pair_listen(s, &s->workers[i - n], w, err, sizeof(err)) != 0)) {
            log_error("server: %s", err);
            for (unsigned j = 0; j <= i; j++)
                worker_teardown(&s->workers[j], s->naddr);
            return -1;
        }
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned i = 0; i < 2 * n; i++) {
        worker_t *w = &s->workers[i];
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            log_error("server: cannot start worker %u: %s", i, strerror(rc));
            s->running = true;
            server_stop(s);
            for (unsigned j = 0; j < 2 * n; j++)
                worker_teardown(&s->workers[j], s->naddr);
            return -1;
        }
        w->started = true;
        char name[16];
        snprintf(name, sizeof(name), w->is_tcp ? "vmdns-t%u" : "vmdns-w%u",
                 (i % n) % SERVER_MAX_WORKERS);
        pthread_setname_np(w->thread, name);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    s->running = true;
    return 0;
}

/* Tell workers [from, to) what to do and join them. */
static void server_end_range(server_t *s, unsigned from, unsigned to)
{
    for (unsigned i = from; i < to; i++) {
        worker_t *w = &s->workers[i];
        uint64_t one = 1;
        if (w->started)
            (void)!write(w->stop_fd, &one, sizeof(one));
    }
    for (unsigned i = from; i < to; i++) {
        worker_t *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        w->started = false;
    }
}

/* Tell every worker what to do (WORKER_STOP/WORKER_DRAIN) and join them:
 * a drain lets the TCP workers finish before the UDP workers stop. */
static void server_end(server_t *s, int mode)
{
    if (s == NULL || !s->running)
        return;
    atomic_store(&s->shared.mode, mode);
    if (mode == WORKER_DRAIN) {
        server_end_range(s, s->nworkers, 2 * s->nworkers);
        server_end_range(s, 0, s->nworkers);
    } else {
        server_end_range(s, 0, 2 * s->nworkers);
    }
    s->running = false;
}

void server_stop(server_t *s)
{
    server_end(s, WORKER_STOP);
}

void server_drain(server_t *s, uint32_t timeout_ms)
{
    if (s == NULL)
        return;
    s->shared.drain_ms = timeout_ms;
    server_end(s, WORKER_DRAIN);
}

int server_swap(server_t *s, const view_t *view, const chain_t *chain)
{
    worker_gen_t *g = malloc(sizeof(*g));
    if (g == NULL)
        return -1;
    *g = (worker_gen_t){chain, view};
    worker_gen_t *old = rcu_xchg_pointer(&s->shared.gen, g);
    synchronize_rcu(); /* no worker is still answering with `old` */
    free(old);
    return 0;
}

void server_free(server_t *s)
{
    if (s == NULL)
        return;
    server_stop(s);
    for (unsigned i = 0; s->workers != NULL && i < 2 * s->nworkers; i++)
        worker_teardown(&s->workers[i], s->naddr);
    free(s->workers);
    tcp_clients_free(&s->shared);
    free(s->shared.gen);
    free(s->addr);
    free(s->addr_len);
    free(s->bound_port);
    free(s->optional);
    free(s->first);
    free(s->sock_listen);
    free(s);
}

unsigned server_workers(const server_t *s)
{
    return 2 * s->nworkers;
}

unsigned server_threads_for(unsigned workers)
{
    if (workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (unsigned)n : 1;
    }
    return 2 * workers;
}

void server_set_slot_base(server_t *s, unsigned base)
{
    for (unsigned i = 0; i < 2 * s->nworkers; i++)
        s->workers[i].slot = base + i;
}

uint16_t server_bound_port(const server_t *s, size_t i)
{
    if (s == NULL || i >= s->nlisten || s->first[i] >= s->naddr)
        return 0;
    return s->bound_port[s->first[i]];
}

void server_describe(const server_t *s, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->naddr && off < cap; i++) {
        struct sockaddr_storage ss = s->addr[i];
        char text[INET6_ADDRSTRLEN + 10];
        if (s->bound_port[i] != 0)
            set_port(&ss, s->bound_port[i]);
        sock_addr_text((const struct sockaddr *)&ss, text, sizeof(text));
        int n = snprintf(out + off, cap - off, "%s%s", i > 0 ? ", " : "", text);
        off += n < 0 ? 0 : (size_t)n;
    }
}

const char *const tcp_close_reason_names[TCP_CLOSE_REASONS] = {
    "idle",         "io_timeout",    "write_timeout", "evicted_new", "evicted_stalled",
    "refused_full", "refused_client"};

unsigned server_tcp_counts(const server_t *s, uint64_t closed[TCP_CLOSE_REASONS])
{
    if (s == NULL)
        return 0;
    for (int i = 0; i < TCP_CLOSE_REASONS; i++)
        closed[i] += atomic_load_explicit(&s->shared.tcp_closed[i], memory_order_relaxed);
    return (unsigned)atomic_load_explicit(&s->shared.tcp_open, memory_order_relaxed);
}
