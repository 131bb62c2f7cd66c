/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * visible.c - read-your-writes: wait until vmdnsd answers what was written.
 *
 * An agent that prints "ssh -p 38291 runner@vm-abc123.vm.example.com" wants
 * the name to resolve when the user pastes it. With wait_visible set, a
 * registration returns only once every listed vmdnsd answers the new state
 * over plain UDP DNS. The queries are built and parsed by hand (a header, a
 * question, walking the answer section with compression pointers): this is
 * all the DNS the library needs, and it stays free of resolver state.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "registrar_int.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Lower-case ASCII in a wire name. */
static void lower(uint8_t *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (w[i] >= 'A' && w[i] <= 'Z')
            w[i] = (uint8_t)(w[i] - 'A' + 'a');
}

/* Read a possibly compressed name at msg[*off] into out (wire form);
 * *off moves past it. Returns the wire length or 0 if malformed. */
static size_t read_name(const uint8_t *msg, size_t len, size_t *off,
                        uint8_t out[VMDNS_NAME_MAXWIRE])
{
    size_t pos = *off, o = 0;
    int jumped = 0, hops = 0;
    for (;;) {
        if (pos >= len)
            return 0;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++hops > 64)
                return 0;
            if (!jumped)
                *off = pos + 2;
            jumped = 1;
            pos = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
            continue;
        }
        if (l > 63 || pos + 1 + l > len || o + 1 + l >= VMDNS_NAME_MAXWIRE)
            return 0;
        memcpy(out + o, msg + pos, 1 + (size_t)l);
        o += 1 + (size_t)l;
        pos += 1 + (size_t)l;
        if (l == 0) {
            if (!jumped)
                *off = pos;
            return o;
        }
    }
}

/* Does a response satisfy the check? 1 yes, 0 no, -1 not our response. */
static int judge(const uint8_t *msg, size_t len, uint16_t id, const vis_check_t *c,
                 const uint8_t *qname, size_t qlen)
{
    if (len < 12 || codec_get16(msg) != id || !(msg[2] & 0x80))
        return -1;
    unsigned rcode = msg[3] & 0x0f, qd = codec_get16(msg + 4), an = codec_get16(msg + 6);
    size_t off = 12;
    uint8_t name[VMDNS_NAME_MAXWIRE], target[VMDNS_NAME_MAXWIRE];
    for (unsigned i = 0; i < qd; i++)
        if (!read_name(msg, len, &off, name) || (off += 4) > len)
            return 0;
    int found = 0;
    for (unsigned i = 0; i < an; i++) {
        size_t nl = read_name(msg, len, &off, name);
        if (!nl || off + 10 > len)
            return 0;
        uint16_t type = codec_get16(msg + off);
        uint16_t rdlen = codec_get16(msg + off + 8);
        size_t rd = off + 10;
        off = rd + rdlen;
        if (off > len)
            return 0;
        lower(name, nl);
        if (type != c->qtype || nl != qlen || memcmp(name, qname, nl) != 0)
            continue;
        if (!c->present) {
            found = 1;
        } else if (type == VMDNS_TYPE_SRV) {
            size_t toff = rd + 6, tl;
            if (rdlen > 6 && memcmp(msg + rd, c->rdata, 6) == 0 &&
                (tl = read_name(msg, len, &toff, target)) != 0) {
                uint8_t want[VMDNS_NAME_MAXWIRE];
                memcpy(want, c->rdata + 6, c->rdlen - 6);
                lower(want, c->rdlen - 6);
                lower(target, tl);
                if (tl == c->rdlen - 6 && memcmp(target, want, tl) == 0)
                    found = 1;
            }
        } else if (rdlen == c->rdlen && memcmp(msg + rd, c->rdata, rdlen) == 0) {
            found = 1;
        }
    }
    if (c->present)
        return rcode == 0 && found;
    return rcode == 3 || (rcode == 0 && !found);
}

/* Ask one server until the check holds or the deadline passes. */
static int poll_check(int fd, const vis_check_t *c, uint64_t deadline)
{
    uint8_t q[12 + VMDNS_NAME_MAXWIRE + 4], resp[4096], qname[VMDNS_NAME_MAXWIRE];
    size_t qlen;
    if (vmdns_name_to_wire(c->name, qname, &qlen, NULL) < 0)
        return -1;
    lower(qname, qlen);
    uint32_t backoff_us = 100;
    for (;;) {
        uint16_t id;
        if (getrandom(&id, sizeof(id), 0) != sizeof(id))
            id = (uint16_t)now_us();
        memset(q, 0, 12);
        codec_put16(q, id);
        codec_put16(q + 4, 1);
        memcpy(q + 12, qname, qlen);
        codec_put16(q + 12 + qlen, c->qtype);
        codec_put16(q + 14 + qlen, 1);
        if (send(fd, q, 16 + qlen, 0) < 0 && now_us() >= deadline)
            return -1;
        uint64_t wait_until = now_us() + 50000;
        if (wait_until > deadline)
            wait_until = deadline;
        for (;;) {
            uint64_t t = now_us();
            if (t >= wait_until)
                break;
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int ms = (int)((wait_until - t + 999) / 1000);
            if (poll(&pfd, 1, ms) <= 0)
                continue;
            ssize_t n = recv(fd, resp, sizeof(resp), 0);
            if (n < 0)
                break; /* e.g. ICMP port unreachable: try again later */
            int v = judge(resp, (size_t)n, id, c, qname, qlen);
            if (v == 1)
                return 0;
            if (v == 0)
                break;
        }
        if (now_us() >= deadline)
            return -1;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)backoff_us * 1000};
        nanosleep(&ts, NULL);
        backoff_us = backoff_us * 2 > 5000 ? 5000 : backoff_us * 2;
    }
}

/* A connected UDP socket to a server, or -1. */
static int open_udp(const vmdns_addr_t *a)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%d", a->port);
    if (getaddrinfo(a->host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int vmdns_visible_wait(const vmdns_addr_t *servers, size_t n_servers, const vis_check_t *checks,
                       size_t n_checks, uint32_t timeout_ms, vmdns_error_t *err)
{
    uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
    for (size_t s = 0; s < n_servers; s++) {
        char as[300];
        int fd = open_udp(&servers[s]);
        if (fd < 0)
            return vmdns_fail(err, VMDNS_ERR_INVALID, "cannot reach vmdnsd at %s",
                              vmdns_hostport_str(&servers[s], as, sizeof(as)));
        for (size_t i = 0; i < n_checks; i++) {
            if (poll_check(fd, &checks[i], deadline) < 0) {
                close(fd);
                return vmdns_fail(err, VMDNS_ERR_TIMEOUT,
                                  "written, but %s did not show %s %s %s within %u ms",
                                  vmdns_hostport_str(&servers[s], as, sizeof(as)), checks[i].name,
                                  vmdns_type_name(checks[i].qtype),
                                  checks[i].present ? "as registered" : "gone", timeout_ms);
            }
        }
        close(fd);
    }
    return 0;
}
