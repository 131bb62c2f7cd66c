/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sock.c - open the listening sockets with the options a DNS server needs.
 *
 * Every worker opens its own sockets on the same address with SO_REUSEPORT,
 * and the kernel spreads datagrams (by 4-tuple hash) and new connections
 * over them; so no socket is shared between threads. IPv6 sockets are
 * IPV6_V6ONLY, so "[::]:53" and "0.0.0.0:53" are separate listeners and
 * each works whatever net.ipv6.bindv6only says. UDP sockets get large
 * kernel buffers, so a burst is queued rather than dropped while a worker
 * is busy with the previous batch. A UDP socket bound to a wildcard address
 * asks for the destination address of each datagram (IP_PKTINFO), so a
 * multi-homed host replies from the address it was asked on.
 *
 * TCP listening sockets get small fixed buffers instead (TCP_SNDBUF and
 * TCP_RCVBUF; the kernel doubles them for its bookkeeping), which every
 * accepted connection inherits: fixed sizes turn off the kernel's
 * autotuning, which would otherwise let each connection of a client that
 * never reads grow megabytes of send buffer. A DNS answer is at most 64 KiB
 * and a DNS client reads what it asked for, so this costs a real client
 * nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/worker.h"

#define UDP_RCVBUF  (4 * 1024 * 1024)
#define UDP_SNDBUF  (2 * 1024 * 1024)
#define TCP_BACKLOG 1024
#define TCP_SNDBUF  (16 * 1024)
#define TCP_RCVBUF  (16 * 1024)

void sock_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(out, cap, "%s:%u", host, ntohs(s4->sin_port));
    }
}

static int fail(int fd, const struct sockaddr *sa, const char *proto, const char *what, char *err,
                size_t errlen)
{
    char addr[INET6_ADDRSTRLEN + 10];
    int e = errno;
    sock_addr_text(sa, addr, sizeof(addr));
    snprintf(err, errlen, "%s %s: %s: %s", proto, addr, what, strerror(e));
    if (fd >= 0)
        close(fd);
    errno = e; /* callers look at it (EADDRINUSE) */
    return -1;
}

/* Set a buffer size, forcing past net.core.[rw]mem_max when we may. */
static void set_buffer(int fd, int force_opt, int opt, int size)
{
    if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) == 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size)); /* best effort */
}

/* socket() + the options common to UDP and TCP, then bind(). */
static int open_bound(const struct sockaddr *sa, socklen_t len, int type, const char *proto,
                      char *err, size_t errlen)
{
    int one = 1;
    int fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(-1, sa, proto, "socket", err, errlen);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        return fail(fd, sa, proto, "setsockopt SO_REUSEPORT", err, errlen);
    if (sa->sa_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        return fail(fd, sa, proto, "setsockopt IPV6_V6ONLY", err, errlen);
    if (bind(fd, sa, len) != 0)
        return fail(fd, sa, proto, "bind", err, errlen);
    return fd;
}

int sock_udp_open(const struct sockaddr *sa, socklen_t len, bool pktinfo, char *err, size_t errlen)
{
    int one = 1;
    int fd = open_bound(sa, len, SOCK_DGRAM, "udp", err, errlen);
    if (fd < 0)
        return -1;
    set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, UDP_RCVBUF);
    set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, UDP_SNDBUF);
    if (pktinfo) {
        int rc = sa->sa_family == AF_INET6
                     ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))
                     : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        if (rc != 0)
            return fail(fd, sa, "udp", "setsockopt PKTINFO", err, errlen);
    }
    return fd;
}

int sock_tcp_open(const struct sockaddr *sa, socklen_t len, char *err, size_t errlen)
{
    int fd = open_bound(sa, len, SOCK_STREAM, "tcp", err, errlen);
    if (fd < 0)
        return -1;
    int snd = TCP_SNDBUF, rcv = TCP_RCVBUF;
    /* Before listen(): the window scale a connection is offered depends on it. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) != 0)
        return fail(fd, sa, "tcp", "setsockopt SO_SNDBUF/SO_RCVBUF", err, errlen);
    if (listen(fd, TCP_BACKLOG) != 0)
        return fail(fd, sa, "tcp", "listen", err, errlen);
    return fd;
}

bool sock_family_usable(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    bool ok = bind(fd, (const struct sockaddr *)&ss, len) == 0; /* the wildcard, any port */
    close(fd);
    return ok;
}

bool sock_is_wildcard(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
}

uint16_t sock_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}
