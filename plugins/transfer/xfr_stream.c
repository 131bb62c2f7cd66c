/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_stream.c - the zone transfer thread (see xfr_stream.h).
 */
#include "transfer/xfr_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rcu.h"
#include "dns/wire.h"

#define XFR_BUF (65535 + 2)

/* One transfer being written. */
typedef struct xfr_out {
    xfr_job_t *job;
    uint8_t *buf;   /* 2-byte length prefix, then the message */
    size_t len;     /* message bytes (after the prefix) */
    uint16_t count; /* records in this message */
    bool first;     /* the message with the question */
    uint64_t deadline_ms;
    const atomic_bool *stopping;
} xfr_out_t;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

_Static_assert(sizeof(xfr_job_t) <= PIPE_BUF, "a job must be one atomic pipe write");

/* Write all of buf to the (non-blocking) socket, waiting for room up to
 * XFR_IO_TIMEOUT_MS at a time and until the transfer's deadline; gives up
 * at once when the plugin stops. */
static bool write_all(const atomic_bool *stopping, int fd, const uint8_t *buf, size_t len,
                      uint64_t deadline_ms)
{
    uint64_t idle_since = now_ms();
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            idle_since = now_ms();
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            return false;
        }
        uint64_t now = now_ms();
        if (now >= deadline_ms || now - idle_since >= XFR_IO_TIMEOUT_MS || atomic_load(stopping)) {
            return false; /* no progress for the I/O timeout, or too long */
        }
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, 200) < 0 && errno != EINTR) {
            return false;
        }
    }
    return true;
}

static void msg_begin(xfr_out_t *o, uint16_t rcode)
{
    uint8_t *m = o->buf + 2;
    memset(m, 0, WIRE_HEADER_SIZE);
    wire_write_u16(m, o->job->id);
    wire_write_u16(m + 2, (uint16_t)(WIRE_FLAG_QR | WIRE_FLAG_AA | o->job->rd | rcode));
    o->len = WIRE_HEADER_SIZE;
    if (o->first) {
        wire_write_u16(m + 4, 1);
        memcpy(m + o->len, o->job->question, o->job->question_len);
        o->len += o->job->question_len;
    }
    o->count = 0;
}

/* Finish the message (count, TSIG) and send it. */
static bool msg_send(xfr_out_t *o)
{
    uint8_t *m = o->buf + 2;
    wire_write_u16(m + 6, o->count);
    size_t len = o->len;
    if (o->job->tsig) {
        len = tsig_sign(&o->job->tsig_state, m, o->len, XFR_BUF - 2, (int64_t)time(NULL));
        if (len == 0) {
            return false;
        }
    }
    o->buf[0] = (uint8_t)(len >> 8);
    o->buf[1] = (uint8_t)len;
    o->first = false;
    return write_all(o->stopping, o->job->fd, o->buf, len + 2, o->deadline_ms);
}

/* Room kept at the end of every message for a TSIG record. */
#define XFR_TSIG_ROOM (2 * NAME_MAX_WIRE + 32 + TSIG_MAX_MAC)

/* Add one record: owner, then TYPE CLASS TTL RDLENGTH RDATA from rr with
 * the RRset's TTL and, for the SOA, the zone's serial. */
static bool add_rr(xfr_out_t *o, const uint8_t *owner, size_t owner_len, const uint8_t *rr,
                   uint32_t ttl, const uint32_t *serial)
{
    uint16_t rdlen = wire_read_u16(rr + 8);
    size_t need = owner_len + 10 + rdlen;
    if (o->count > 0 && o->len + need > XFR_MSG_TARGET) {
        if (!msg_send(o)) {
            return false;
        }
        msg_begin(o, 0);
    }
    if (o->len + need + XFR_TSIG_ROOM > XFR_BUF - 2) {
        return false; /* one record larger than a message can hold */
    }
    uint8_t *p = o->buf + 2 + o->len;
    memcpy(p, owner, owner_len);
    memcpy(p + owner_len, rr, 10 + (size_t)rdlen);
    wire_write_u32(p + owner_len + 4, ttl);
    if (serial != NULL && wire_read_u16(rr) == WIRE_TYPE_SOA) {
        /* the serial follows the two names of the RDATA */
        size_t pos = owner_len + 10;
        for (int i = 0; i < 2 && pos < owner_len + 10 + rdlen; i++) {
            while (pos < owner_len + 10 + rdlen && p[pos] != 0) {
                pos += 1 + p[pos];
            }
            pos++;
        }
        if (pos + 4 <= owner_len + 10 + rdlen) {
            wire_write_u32(p + pos, *serial);
        }
    }
    o->len += need;
    o->count++;
    return true;
}

/* Every record of an RRset. */
static bool add_rrset(xfr_out_t *o, const uint8_t *owner, size_t owner_len, const view_rrset_t *set,
                      const uint32_t *serial)
{
    const uint8_t *rr = set->wire;
    for (uint16_t k = 0; k < set->count; k++) {
        if (!add_rr(o, owner, owner_len, rr, set->ttl, serial)) {
            return false;
        }
        rr += 10 + wire_read_u16(rr + 8);
    }
    return true;
}

/* Stream the zone (inside rcu_read_lock). */
static bool stream_zone(xfr_out_t *o, const view_zone_t *zone)
{
    const view_node_t **nodes = NULL;
    uint32_t serial;
    size_t n = view_zone_snapshot(zone, &nodes, &serial);
    if (nodes == NULL) {
        return false;
    }
    size_t apex_len;
    const uint8_t *apex = view_zone_apex(zone, &apex_len);
    const view_rrset_t *soa = NULL;
    for (size_t i = 0; i < n && soa == NULL; i++) {
        size_t len;
        const uint8_t *owner = view_node_owner(nodes[i], &len);
        if (len == apex_len && memcmp(owner, apex, len) == 0) {
            soa = view_node_rrset(nodes[i], WIRE_TYPE_SOA);
        }
    }
    bool ok = soa != NULL;
    msg_begin(o, ok ? 0 : WIRE_RCODE_SERVFAIL);
    if (ok && o->job->has_client_serial && o->job->client_serial == serial) {
        /* IXFR from the current serial: the one SOA says "up to date" */
        ok = add_rrset(o, apex, apex_len, soa, &serial) && msg_send(o);
        free(nodes);
        return ok;
    }
    ok = ok && add_rrset(o, apex, apex_len, soa, &serial);
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; ok && i < n; i++) {
        size_t owner_len, nsets;
        const uint8_t *owner = view_node_owner(nodes[i], &owner_len);
        int64_t expires = view_node_expires(nodes[i]);
        if (expires != 0 && expires <= now) {
            continue; /* a lease that ended: not answered, not transferred */
        }
        const view_rrset_t *sets = view_node_rrsets(nodes[i], &nsets);
        bool at_apex = owner_len == apex_len && memcmp(owner, apex, owner_len) == 0;
        for (size_t k = 0; ok && k < nsets; k++) {
            if (!(at_apex && sets[k].type == WIRE_TYPE_SOA)) {
                ok = add_rrset(o, owner, owner_len, &sets[k], NULL);
            }
        }
    }
    ok = ok && add_rrset(o, apex, apex_len, soa, &serial) && msg_send(o);
    if (!ok && o->count == 0 && o->first) {
        (void)msg_send(o); /* nothing sent yet: at least the SERVFAIL */
    }
    free(nodes);
    return ok;
}

/* Serve one job, then close its socket. */
static void serve(xfr_stream_t *s, xfr_job_t *job, uint8_t *buf)
{
    if (job->tsig) {
        job->tsig_state.key = &job->tsig_key;
    }
    xfr_out_t o = {job, buf, 0, 0, true, now_ms() + XFR_MAX_MS, &s->stopping};
    rcu_read_lock();
    uint8_t offs[NAME_MAX_LABELS];
    unsigned labels = name_label_offsets(job->apex, job->apex_len, offs);
    const view_zone_t *zone = view_find_zone(s->view, job->apex, job->apex_len, offs, labels);
    size_t apex_len = 0;
    if (zone != NULL) {
        const uint8_t *apex = view_zone_apex(zone, &apex_len);
        if (apex_len != job->apex_len || memcmp(apex, job->apex, apex_len) != 0) {
            zone = NULL;
        }
    }
    bool ok;
    if (zone == NULL) { /* gone since the worker looked */
        msg_begin(&o, WIRE_RCODE_SERVFAIL);
        ok = msg_send(&o) && false;
    } else {
        ok = stream_zone(&o, zone);
    }
    rcu_read_unlock();
    close(job->fd);
    atomic_fetch_add(ok ? &s->transfers : &s->failed, 1);
    if (!ok) {
        log_warn("transfer: a zone transfer was cut off (the peer stopped reading, took longer "
                 "than %d s, or the zone changed owner)",
                 XFR_MAX_MS / 1000);
    }
}

static void *xfr_thread(void *arg)
{
    xfr_stream_t *s = arg;
    uint8_t *buf = malloc(XFR_BUF);
    xfr_job_t *job = malloc(sizeof(*job));
    rcu_register_thread();
    for (;;) {
        ssize_t n = buf && job ? read(s->pipe_rd, job, sizeof(*job)) : 0;
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n != (ssize_t)sizeof(*job)) {
            break; /* closed (stop), or out of memory */
        }
        serve(s, job, buf);
    }
    rcu_unregister_thread();
    free(job);
    free(buf);
    return NULL;
}

int xfr_stream_start(xfr_stream_t *s, const view_t *view)
{
    int p[2];
    s->view = view;
    if (pipe2(p, O_CLOEXEC) != 0) {
        return -1;
    }
    s->pipe_rd = p[0];
    s->pipe_wr = p[1];
    (void)fcntl(s->pipe_wr, F_SETFL, O_NONBLOCK); /* workers never wait */
    if (pthread_create(&s->thread, NULL, xfr_thread, s) != 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    s->started = true;
    return 0;
}

bool xfr_stream_submit(xfr_stream_t *s, const xfr_job_t *job)
{
    return s->started && write(s->pipe_wr, job, sizeof(*job)) == (ssize_t)sizeof(*job);
}

void xfr_stream_stop(xfr_stream_t *s)
{
    if (!s->started) {
        return;
    }
    atomic_store(&s->stopping, true);
    close(s->pipe_wr);
    pthread_join(s->thread, NULL);
    /* jobs never read: close their sockets */
    xfr_job_t job;
    (void)fcntl(s->pipe_rd, F_SETFL, O_NONBLOCK);
    while (read(s->pipe_rd, &job, sizeof(job)) == (ssize_t)sizeof(job)) {
        close(job.fd);
    }
    close(s->pipe_rd);
    s->started = false;
}
