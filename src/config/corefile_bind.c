/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_bind.c - `bind ADDRESS|INTERFACE... [{ except ADDRESS... }]`.
 *
 * Apart from corefile.c because it is the one place where reading the
 * Corefile looks at the host: an interface name is replaced by the
 * addresses the interface has now (getifaddrs), as CoreDNS does when it
 * reads its Corefile; a reload reads them again. IPv6 link-local addresses
 * of an interface are left out (they would need a scope to be bound, and
 * nobody queries a DNS server there). `except` takes addresses out of
 * what the directive names; nothing left is an error.
 */
#include "config/corefile_bind.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A parsed IP address (family and bytes). */
typedef struct cf_ip {
    int family;
    unsigned char b[16];
} cf_ip_t;

static bool cf_ip_parse(const char *text, cf_ip_t *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (inet_pton(AF_INET, text, ip->b) == 1) {
        ip->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, ip->b) == 1) {
        ip->family = AF_INET6;
        return true;
    }
    return false;
}

static bool cf_ip_equal(const cf_ip_t *a, const cf_ip_t *b)
{
    return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* Append ip (as text, at token `at`) unless it is excepted or there;
 * *kept is set if it is not excepted. */
static int cf_bind_add(cf_bind_addr_t **list, size_t *n, const cf_token_t *at, const cf_ip_t *ip,
                       const cf_ip_t *except, size_t nexcept, bool *kept, cfg_error_t *err)
{
    for (size_t i = 0; i < nexcept; i++) {
        if (cf_ip_equal(ip, &except[i])) {
            return 0;
        }
    }
    *kept = true;
    char text[INET6_ADDRSTRLEN];
    inet_ntop(ip->family, ip->b, text, sizeof(text));
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*list)[i].addr, text) == 0) {
            return 0;
        }
    }
    cf_bind_addr_t *grown = realloc(*list, (*n + 1) * sizeof(*grown));
    if (grown == NULL) {
        return cf_fail(err, at, "out of memory");
    }
    *list = grown;
    grown[*n].at = at;
    memcpy(grown[*n].addr, text, sizeof(text));
    (*n)++;
    return 0;
}

/* The addresses of interface `name`: added; *found says whether it has
 * any (or exists at all). */
static int cf_bind_iface(const cf_token_t *at, cf_bind_addr_t **list, size_t *n,
                         const cf_ip_t *except, size_t nexcept, bool *found, bool *kept,
                         cfg_error_t *err)
{
    struct ifaddrs *ifs;
    *found = false;
    if (getifaddrs(&ifs) != 0) {
        return cf_fail(err, at, "bind: cannot list the network interfaces");
    }
    int rc = 0;
    for (struct ifaddrs *i = ifs; i != NULL && rc == 0; i = i->ifa_next) {
        if (i->ifa_addr == NULL || strcmp(i->ifa_name, at->text) != 0) {
            continue;
        }
        cf_ip_t ip = {0};
        if (i->ifa_addr->sa_family == AF_INET) {
            ip.family = AF_INET;
            memcpy(ip.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct in6_addr *a6 = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(a6)) {
                continue;
            }
            ip.family = AF_INET6;
            memcpy(ip.b, a6, 16);
        } else {
            continue;
        }
        *found = true;
        rc = cf_bind_add(list, n, at, &ip, except, nexcept, kept, err);
    }
    freeifaddrs(ifs);
    return rc;
}

int cf_bind_expand(const cf_directive_t *d, cf_bind_addr_t **list, size_t *n, cfg_error_t *err)
{
    if (d->nargs == 0) {
        return cf_fail(err, d->name, "bind: give at least one address");
    }
    cf_ip_t except[64];
    size_t nexcept = 0;
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "except") != 0) {
            return cf_fail(err, l.opt, "bind: unknown option '%s' (only except)", l.opt->text);
        }
        if (l.nargs == 0) {
            return cf_fail(err, l.opt, "bind: except needs at least one address");
        }
        for (size_t k = 0; k < l.nargs; k++) {
            if (nexcept == sizeof(except) / sizeof(except[0])) {
                return cf_fail(err, &l.args[k], "bind: too many except addresses");
            }
            if (!cf_ip_parse(l.args[k].text, &except[nexcept])) {
                return cf_fail(err, &l.args[k], "bind: except: '%s' is not an IP address",
                               l.args[k].text);
            }
            nexcept++;
        }
    }
    bool kept = false;
    for (size_t i = 0; i < d->nargs; i++) {
        const cf_token_t *a = &d->args[i];
        cf_ip_t ip;
        if (cf_ip_parse(a->text, &ip)) {
            if (cf_bind_add(list, n, a, &ip, except, nexcept, &kept, err) != 0) {
                return -1;
            }
            continue;
        }
        bool found;
        if (cf_bind_iface(a, list, n, except, nexcept, &found, &kept, err) != 0) {
            return -1;
        }
        if (!found) {
            return cf_fail(err, a,
                           "bind: '%s' is neither an IP address nor a network interface with "
                           "an address",
                           a->text);
        }
    }
    if (!kept) {
        return cf_fail(err, d->name, "bind: no address left after except");
    }
    return 0;
}
