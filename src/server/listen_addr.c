/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen_addr.c - turn a configured listen address into a socket address.
 *
 * The config names listeners as "IPv4:port" or "[IPv6]:port" (brackets are
 * required for IPv6, as in URLs, so the port separator is never ambiguous).
 * Only numeric addresses are accepted: a listener bound to whatever a host
 * name resolved to at startup is a surprise nobody wants at 3 a.m. Port 0
 * is accepted and means "any free port" (tests use it; server_bound_port()
 * tells which one was chosen). An IPv6 link-local address may carry a zone
 * ("[fe80::1%eth0]:53"). The text is split by the one host:port parser
 * (common/hostport.h).
 *
 * ":PORT" is every address, as CoreDNS's ":53" (and a Corefile server
 * block without `bind`): 0.0.0.0:PORT, and [::]:PORT where the host can
 * bind IPv6 at all. Which of the two applies is a fact about the host, not
 * about the config, so the config keeps ":PORT" as written and the server
 * decides when it binds (server_start): a container without IPv6 still
 * starts, and the same file reads the same everywhere.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/hostport.h"
#include "server/server.h"

/* ":port" (and not "::1:53", an IPv6 address without brackets). */
static bool is_every_address(const char *text)
{
    return text[0] == ':' && strchr(text + 1, ':') == NULL;
}

int server_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                        size_t errlen)
{
    vmdns_hostport_t hp;
    char why[300];
    if (vmdns_hostport_parse(text,
                             VMDNS_HP_PORT_REQUIRED | VMDNS_HP_PORT_ZERO | VMDNS_HP_EMPTY_HOST |
                                 VMDNS_HP_NO_BARE_V6,
                             0, &hp, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "listen address %s", why);
        return -1;
    }
    /* ":port" is the IPv4 wildcard here (see server_listen_addrs for [::]) */
    if (vmdns_hostport_listen_sockaddr(&hp, 0, ss, len, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "listen address '%s': %s", text, why);
        return -1;
    }
    return 0;
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

void server_listen_alias(const char *const *listen, size_t n, unsigned *alias)
{
    char why[256];
    for (size_t i = 0; i < n; i++) {
        alias[i] = (unsigned)i;
        server_addr_t a[2];
        int na = server_listen_addrs(listen[i], a, why, sizeof(why));
        for (size_t j = 0; j < i && na > 0 && alias[i] == i; j++) {
            server_addr_t b[2];
            int nb = server_listen_addrs(listen[j], b, why, sizeof(why));
            for (int x = 0; x < na; x++) {
                for (int y = 0; y < nb; y++) {
                    bool port0 = a[x].ss.ss_family == AF_INET
                                     ? ((const struct sockaddr_in *)&a[x].ss)->sin_port == 0
                                     : ((const struct sockaddr_in6 *)&a[x].ss)->sin6_port == 0;
                    if (!port0 && a[x].len == b[y].len &&
                        memcmp(&a[x].ss, &b[y].ss, a[x].len) == 0) {
                        alias[i] = alias[j];
                    }
                }
            }
        }
    }
}
