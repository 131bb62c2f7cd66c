/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/hostport.c - "host:port" parsing (see hostport.h).
 *
 * The grammar, in order of precedence:
 *   "/path"          a unix socket (only with VMDNS_HP_UNIX, else an error)
 *   "[addr]:port"    bracketed IPv6 (or anything: the brackets only quote)
 *   "[addr]"         bracketed, default port
 *   "a:b:c"          two or more colons and no brackets: a bare IPv6
 *                    address, default port (refused with VMDNS_HP_NO_BARE_V6)
 *   "host:port"      one colon
 *   "host"           no colon, default port
 */
#include "common/hostport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 to 5 decimal digits and nothing else; -1 if not that or above 65535. */
static long parse_port(const char *text)
{
    long v = 0;
    size_t i = 0;
    for (; text[i] != '\0'; i++) {
        if (text[i] < '0' || text[i] > '9' || i >= 5)
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return i == 0 || v > 65535 ? -1 : v;
}

int vmdns_hostport_parse(const char *text, unsigned flags, uint16_t default_port,
                         vmdns_hostport_t *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL || text[0] == '\0') {
        snprintf(why, whylen, "empty address");
        return -1;
    }
    if (text[0] == '/' && !(flags & VMDNS_HP_UNIX)) {
        snprintf(why, whylen, "'%.200s': a socket path is not allowed here", text);
        return -1;
    }
    if (text[0] == '/') {
        if (strlen(text) >= sizeof(out->host)) {
            snprintf(why, whylen, "'%.100s...': socket path too long", text);
            return -1;
        }
        strcpy(out->host, text);
        return 0;
    }
    const char *host = text, *port = NULL;
    size_t hl;
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (end == NULL) {
            snprintf(why, whylen, "'%.200s': missing ']'", text);
            return -1;
        }
        if (end[1] != '\0' && end[1] != ':') {
            snprintf(why, whylen, "'%.200s': missing ':port' after ']'", text);
            return -1;
        }
        host = text + 1;
        hl = (size_t)(end - host);
        port = end[1] ? end + 2 : NULL;
        out->bracketed = true;
        if (hl == 0) {
            snprintf(why, whylen, "'%.200s': bad IPv6 address (empty)", text);
            return -1;
        }
    } else {
        const char *colon = strrchr(text, ':');
        if (colon != NULL && strchr(text, ':') != colon) { /* a bare IPv6 address */
            if (flags & VMDNS_HP_NO_BARE_V6) {
                snprintf(why, whylen, "'%.200s': write IPv6 addresses as '[addr]:port'", text);
                return -1;
            }
            colon = NULL;
        }
        hl = colon ? (size_t)(colon - text) : strlen(text);
        port = colon ? colon + 1 : NULL;
        if (hl == 0 && !(flags & VMDNS_HP_EMPTY_HOST)) {
            snprintf(why, whylen, "'%.200s': no host before ':port'", text);
            return -1;
        }
    }
    if (hl >= sizeof(out->host)) {
        snprintf(why, whylen, "'%.100s...': host name too long", text);
        return -1;
    }
    memcpy(out->host, host, hl);
    out->host[hl] = '\0';
    if (port == NULL) {
        if (flags & VMDNS_HP_PORT_REQUIRED) {
            snprintf(why, whylen, "'%.200s': missing ':port'", text);
            return -1;
        }
        out->port = default_port;
        return 0;
    }
    long p = parse_port(port);
    unsigned low = (flags & VMDNS_HP_PORT_ZERO) ? 0 : 1;
    if (p < (long)low) {
        snprintf(why, whylen, "'%.200s': bad port '%.20s' (%u-65535)", text, port, low);
        return -1;
    }
    out->port = (uint16_t)p;
    return 0;
}

const char *vmdns_hostport_str(const vmdns_hostport_t *a, char *buf, size_t cap)
{
    if (a->port == 0 && a->host[0] == '/')
        snprintf(buf, cap, "%s", a->host);
    else if (a->bracketed || strchr(a->host, ':'))
        snprintf(buf, cap, "[%s]:%u", a->host, a->port);
    else
        snprintf(buf, cap, "%s:%u", a->host, a->port);
    return buf;
}

/* An IPv6 address with an optional %zone (interface name or index). */
static int to_v6(const vmdns_hostport_t *a, struct sockaddr_in6 *sin6, char *why, size_t whylen)
{
    char host[sizeof(a->host)];
    snprintf(host, sizeof(host), "%s", a->host);
    char *zone = strchr(host, '%');
    if (zone != NULL) {
        *zone++ = '\0';
        unsigned idx = if_nametoindex(zone);
        if (idx == 0) {
            char *end;
            errno = 0;
            unsigned long n = strtoul(zone, &end, 10);
            if (zone[0] < '0' || zone[0] > '9' || *end != '\0' || errno != 0 || n > UINT32_MAX) {
                snprintf(why, whylen, "unknown interface '%.60s'", zone);
                return -1;
            }
            idx = (unsigned)n;
        }
        sin6->sin6_scope_id = idx;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
        snprintf(why, whylen, "'%.100s' is not an IPv6 address", host);
        return -1;
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(a->port);
    return 0;
}

int vmdns_hostport_sockaddr(const vmdns_hostport_t *a, struct sockaddr_storage *ss, socklen_t *len,
                            char *why, size_t whylen)
{
    memset(ss, 0, sizeof(*ss));
    if (a->bracketed || strchr(a->host, ':') != NULL) {
        if (to_v6(a, (struct sockaddr_in6 *)ss, why, whylen) != 0)
            return -1;
        *len = sizeof(struct sockaddr_in6);
        return 0;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, a->host, &sin->sin_addr) != 1) {
        snprintf(why, whylen, "'%.100s' is not an IPv4 address", a->host);
        return -1;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a->port);
    *len = sizeof(*sin);
    return 0;
}

int vmdns_hostport_listen_sockaddr(const vmdns_hostport_t *a, unsigned flags,
                                   struct sockaddr_storage *ss, socklen_t *len, char *why,
                                   size_t whylen)
{
    bool localhost = (flags & VMDNS_HP_LOCALHOST) && strcmp(a->host, "localhost") == 0;
    if (a->host[0] != '\0' && !localhost) {
        return vmdns_hostport_sockaddr(a, ss, len, why, whylen);
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(a->host[0] != '\0' ? INADDR_LOOPBACK : INADDR_ANY);
    sin->sin_port = htons(a->port);
    *len = sizeof(*sin);
    return 0;
}
