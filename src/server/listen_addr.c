/*
 * listen_addr.c - turn a configured listen address into a socket address.
 *
 * The config names listeners as "IPv4:port" or "[IPv6]:port" (brackets are
 * required for IPv6, as in URLs, so the port separator is never ambiguous).
 * Only numeric addresses are accepted: a listener bound to whatever a host
 * name resolved to at startup is a surprise nobody wants at 3 a.m. Port 0
 * is accepted and means "any free port" (tests use it; server_bound_port()
 * tells which one was chosen). An IPv6 link-local address may carry a zone
 * ("[fe80::1%eth0]:53").
 *
 * ":PORT" is every address, as CoreDNS's ":53" (and a Corefile server
 * block without `bind`): 0.0.0.0:PORT, and [::]:PORT where the host can
 * bind IPv6 at all. Which of the two applies is a fact about the host, not
 * about the config, so the config keeps ":PORT" as written and the server
 * decides when it binds (server_start): a container without IPv6 still
 * starts, and the same file reads the same everywhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

/* Parse a decimal port 0..65535 that makes up all of `text`. */
static int parse_port(const char *text, uint16_t *port)
{
    unsigned long v = 0;
    size_t i = 0;

    if (text[0] == '\0')
        return -1;
    for (; text[i] != '\0'; i++) {
        if (text[i] < '0' || text[i] > '9' || i >= 5)
            return -1;
        v = v * 10 + (unsigned long)(text[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* "[addr%zone]:port" */
static int parse_v6(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                    size_t errlen)
{
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    const char *close = strchr(text, ']');
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    uint16_t port;
    size_t hlen;
    char *zone;

    if (close == NULL) {
        snprintf(err, errlen, "listen address '%s': missing ']'", text);
        return -1;
    }
    hlen = (size_t)(close - (text + 1));
    if (hlen == 0 || hlen >= sizeof(host)) {
        snprintf(err, errlen, "listen address '%s': bad IPv6 address", text);
        return -1;
    }
    memcpy(host, text + 1, hlen);
    host[hlen] = '\0';
    if (close[1] != ':') {
        snprintf(err, errlen, "listen address '%s': missing ':port' after ']'", text);
        return -1;
    }
    if (parse_port(close + 2, &port) != 0) {
        snprintf(err, errlen, "listen address '%s': bad port '%s' (0-65535)", text, close + 2);
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    zone = strchr(host, '%');
    if (zone != NULL) {
        *zone++ = '\0';
        unsigned idx = if_nametoindex(zone);
        if (idx == 0) {
            char *end;
            errno = 0;
            unsigned long n = strtoul(zone, &end, 10);
            if (zone[0] < '0' || zone[0] > '9' || *end != '\0' || errno != 0 || n > UINT32_MAX) {
                snprintf(err, errlen, "listen address '%s': unknown interface '%s'", text, zone);
                return -1;
            }
            idx = (unsigned)n;
        }
        sin6->sin6_scope_id = idx;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
        snprintf(err, errlen, "listen address '%s': '%s' is not an IPv6 address", text, host);
        return -1;
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    *len = sizeof(*sin6);
    return 0;
}

/* "a.b.c.d:port" */
static int parse_v4(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                    size_t errlen)
{
    char host[INET_ADDRSTRLEN];
    const char *colon = strrchr(text, ':');
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    uint16_t port;
    size_t hlen;

    if (colon == NULL) {
        snprintf(err, errlen, "listen address '%s': missing ':port'", text);
        return -1;
    }
    if (strchr(text, ':') != colon) {
        snprintf(err, errlen, "listen address '%s': write IPv6 addresses as '[addr]:port'", text);
        return -1;
    }
    hlen = (size_t)(colon - text);
    if (hlen == 0 || hlen >= sizeof(host)) {
        snprintf(err, errlen, "listen address '%s': bad IPv4 address", text);
        return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    if (parse_port(colon + 1, &port) != 0) {
        snprintf(err, errlen, "listen address '%s': bad port '%s' (0-65535)", text, colon + 1);
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
        snprintf(err, errlen, "listen address '%s': '%s' is not an IPv4 address", text, host);
        return -1;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof(*sin);
    return 0;
}

/* ":port" (and not "::1:53", an IPv6 address without brackets). */
static bool is_every_address(const char *text)
{
    return text[0] == ':' && strchr(text + 1, ':') == NULL;
}

/* ":port": every address; the IPv4 wildcard (and, in server_listen_addrs,
 * the IPv6 one beside it). */
static int parse_any(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                     size_t errlen)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    uint16_t port;

    if (parse_port(text + 1, &port) != 0) {
        snprintf(err, errlen, "listen address '%s': bad port '%s' (0-65535)", text, text + 1);
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    sin->sin_port = htons(port);
    *len = sizeof(*sin);
    return 0;
}

int server_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                        size_t errlen)
{
    if (text == NULL || text[0] == '\0') {
        snprintf(err, errlen, "listen address is empty");
        return -1;
    }
    if (is_every_address(text))
        return parse_any(text, ss, len, err, errlen);
    if (text[0] == '[')
        return parse_v6(text, ss, len, err, errlen);
    return parse_v4(text, ss, len, err, errlen);
}

int server_listen_addrs(const char *text, server_addr_t out[2], char *err, size_t errlen)
{
    memset(out, 0, 2 * sizeof(*out));
    if (server_parse_listen(text, &out[0].ss, &out[0].len, err, errlen) != 0)
        return -1;
    if (!is_every_address(text))
        return 1;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out[1].ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
    sin6->sin6_port = ((const struct sockaddr_in *)&out[0].ss)->sin_port;
    out[1].len = sizeof(*sin6);
    out[1].optional = true;
    return 2;
}
