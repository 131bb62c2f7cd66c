/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/hostport.h - the one parser of "host:port" strings.
 *
 * Every address a user types (Redis nodes and sentinels in vmdns.yaml and
 * in libvmdns options, vmdnsd listen addresses, the health/ready/metrics
 * endpoints, the wait_visible servers) goes through vmdns_hostport_parse,
 * so "[v6]:port", bare IPv6, a missing port and a bad one mean the same
 * thing everywhere. What differs between callers (is the port required?
 * may it be 0? may the host be empty? is a unix socket path allowed?) is
 * said by flags, not by another parser.
 *
 * Part of the internal library vmdns_common (never installed).
 */
#ifndef VMDNS_COMMON_HOSTPORT_H
#define VMDNS_COMMON_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A parsed address: a host name or address text, and a port. */
typedef struct vmdns_hostport {
    char host[256]; /* without brackets; the socket path for a unix address */
    uint16_t port;  /* 0: a unix socket path (VMDNS_HP_UNIX), or "any port" (VMDNS_HP_PORT_ZERO) */
    bool bracketed; /* written as "[host]": an IPv6 address */
} vmdns_hostport_t;

enum {
    VMDNS_HP_PORT_REQUIRED = 1 << 0, /* "host" alone is an error (default: default_port) */
    VMDNS_HP_PORT_ZERO = 1 << 1,     /* port 0 is accepted ("any free port") */
    VMDNS_HP_EMPTY_HOST = 1 << 2,    /* ":port" is accepted (host "") */
    VMDNS_HP_NO_BARE_V6 = 1 << 3,    /* IPv6 must be bracketed ("::1" is an error) */
    VMDNS_HP_UNIX = 1 << 4,          /* "/path" is a unix socket (port 0) */
    /* vmdns_hostport_listen_sockaddr: "localhost" is 127.0.0.1 (HTTP
     * endpoints; DNS listen addresses stay numeric, as knotd's and nsd's) */
    VMDNS_HP_LOCALHOST = 1 << 5,
};

/* Parse text ("host:port", "[v6]:port", "host", bare "v6", or per flags
 * ":port" and "/path") into out. A missing port is default_port. Ports are
 * 1-5 decimal digits, 1..65535 (0 with VMDNS_HP_PORT_ZERO). Returns 0, or
 * -1 with why ("'TEXT': problem"). */
int vmdns_hostport_parse(const char *text, unsigned flags, uint16_t default_port,
                         vmdns_hostport_t *out, char *why, size_t whylen);

/* "host:port", "[v6]:port" or the socket path, into buf; returns buf. */
const char *vmdns_hostport_str(const vmdns_hostport_t *a, char *buf, size_t cap);

/* A numeric address (IPv4, or IPv6 with an optional %zone, bracketed or
 * with a ':' in it) to a socket address with a.port. Host names are not
 * resolved. Returns 0, or -1 with why. */
int vmdns_hostport_sockaddr(const vmdns_hostport_t *a, struct sockaddr_storage *ss, socklen_t *len,
                            char *why, size_t whylen);

/* The same for an address to listen on: an empty host (":port") is the
 * IPv4 wildcard 0.0.0.0 and, with VMDNS_HP_LOCALHOST in flags, "localhost"
 * is 127.0.0.1 (resolved without asking a resolver); anything else as
 * vmdns_hostport_sockaddr. Returns 0, or -1 with why. */
int vmdns_hostport_listen_sockaddr(const vmdns_hostport_t *a, unsigned flags,
                                   struct sockaddr_storage *ss, socklen_t *len, char *why,
                                   size_t whylen);

#endif
