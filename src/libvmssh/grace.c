/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * grace.c - the grace period at the end of a job: count the SSH sessions
 * (ESTABLISHED TCP connections to the SSH port) through the kernel's
 * NETLINK_SOCK_DIAG interface, and wait while there are some, up to a
 * limit. Never runs ss(8): one netlink dump per family per check.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmssh_int.h"

/* Longer than anyone waits (a year): keeps the deadline arithmetic sane. */
#define VMSSH_GRACE_CAP_MS ((int64_t)366 * 86400 * 1000)

/* Count one family's established sockets whose local port is port (the
 * kernel dumps every established TCP socket of the netns; the port is
 * checked here). Returns the count or -1. */
static int count_family(int fd, int family, uint16_t port, vmssh_error_t *err)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof(req));
    req.nlh.nlmsg_len = sizeof(req);
    req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nlh.nlmsg_seq = (uint32_t)family;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = 1u << TCP_ESTABLISHED;
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "sock_diag: send: %s", strerror(errno));
    long buf[16384 / sizeof(long)]; /* aligned for nlmsghdr; the kernel fills up to this */
    int n = 0;
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof(buf), 0);
        if (len < 0 && errno == EINTR)
            continue;
        if (len < 0)
            return vmssh_fail(err, VMSSH_ERR_SYSTEM, "sock_diag: receive: %s", strerror(errno));
        if (len == 0)
            return vmssh_fail(err, VMSSH_ERR_SYSTEM, "sock_diag: the dump ended early");
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return n;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                int code = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? -e->error : EPROTO;
                return vmssh_fail(err, VMSSH_ERR_SYSTEM, "sock_diag: %s", strerror(code));
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                continue;
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            if (m->idiag_state == TCP_ESTABLISHED && ntohs(m->id.idiag_sport) == port)
                n++;
        }
    }
}

int vmssh_tcp_sessions(uint16_t port, vmssh_error_t *err)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "sock_diag: socket: %s", strerror(errno));
    int v4 = count_family(fd, AF_INET, port, err);
    int v6 = v4 < 0 ? -1 : count_family(fd, AF_INET6, port, err);
    close(fd);
    if (v6 < 0)
        return -1;
    vmssh_ok(err);
    return v4 + v6;
}

void vmssh_grace_opts_init_size(vmssh_grace_opts_t *o, size_t size)
{
    memset(o, 0, size);
    o->struct_size = size;
    if (size >= offsetof(vmssh_grace_opts_t, interval_ms) + sizeof(int64_t)) {
        o->max_ms = -1;
        o->interval_ms = -1;
    }
}

/* A duration as people write it: 290000 -> "4m50s", 2500 -> "2s500ms". */
static void format_ms(int64_t ms, char *buf, size_t cap)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t used = 0;
    buf[0] = '\0';
    if (ms <= 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && used < cap; i++) {
        if (ms >= units[i].ms) {
            int w = snprintf(buf + used, cap - used, "%lld%s", (long long)(ms / units[i].ms),
                             units[i].unit);
            if (w < 0)
                return;
            used += (size_t)w;
            ms %= units[i].ms;
        }
    }
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

static void say(const vmssh_grace_opts_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const vmssh_grace_opts_t *o, const char *fmt, ...)
{
    if (!o->say)
        return;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    o->say(line, o->ud);
}

int vmssh_grace(vmssh_t *h, const vmssh_grace_opts_t *in, vmssh_error_t *err)
{
    vmssh_grace_opts_t o;
    if (!in || in->struct_size < offsetof(vmssh_grace_opts_t, port) + sizeof(uint16_t))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "grace options: struct_size not set");
    memset(&o, 0, sizeof(o));
    memcpy(&o, in, in->struct_size < sizeof(o) ? in->struct_size : sizeof(o));
    if (o.max_ms < 0)
        o.max_ms = h ? h->cfg.grace_max_ms : VMSSH_GRACE_MAX_MS;
    if (o.interval_ms <= 0)
        o.interval_ms = h ? h->cfg.grace_interval_ms : VMSSH_GRACE_INTERVAL_MS;
    if (!o.port)
        o.port = 22;
    if (o.max_ms > VMSSH_GRACE_CAP_MS) /* no overflow of the deadline */
        o.max_ms = VMSSH_GRACE_CAP_MS;

    int n = vmssh_tcp_sessions(o.port, err);
    if (n <= 0)
        return n; /* -1: error; 0: VMSSH_GRACE_NONE, silently */
    char max[64];
    if (o.max_text && strlen(o.max_text) < sizeof(max))
        snprintf(max, sizeof(max), "%s", o.max_text);
    else
        format_ms(o.max_ms, max, sizeof(max));
    say(&o, "Job completed. SSH sessions active, waiting up to %s...", max);
    say(&o, "%d SSH session%s active", n, n == 1 ? "" : "s");
    int64_t deadline = now_ms() + o.max_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            say(&o, "Grace period of %s over with %d SSH session%s still active", max, n,
                n == 1 ? "" : "s");
            vmssh_ok(err);
            return VMSSH_GRACE_LIMIT;
        }
        sleep_ms(left < o.interval_ms ? left : o.interval_ms);
        int now = vmssh_tcp_sessions(o.port, err);
        if (now < 0)
            return -1;
        if (now == 0) {
            say(&o, "All SSH sessions ended");
            return VMSSH_GRACE_ENDED;
        }
        if (now != n)
            say(&o, "%d SSH session%s active", now, now == 1 ? "" : "s");
        n = now;
    }
}
