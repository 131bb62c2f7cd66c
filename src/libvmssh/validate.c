/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * validate.c - everything a caller or the config names is checked here,
 * before anything is touched: VM ids (they end up in firewall comments and
 * in nft's input, so they are a strict charset), IPv4 addresses, DNS names,
 * interface names, logins and port ranges.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmssh_int.h"

int vmssh_valid_vm_id(const char *id)
{
    if (!id || !isalnum((unsigned char)id[0]))
        return 0;
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return 0;
    }
    return n <= 63;
}

int vmssh_valid_ipv4(const char *addr)
{
    struct in_addr a;
    if (!addr || strlen(addr) > 15)
        return 0;
    /* inet_pton takes only the dotted quad (no "10.1", no leading zeros
     * trouble: "010.0.0.1" is refused by glibc). */
    return inet_pton(AF_INET, addr, &a) == 1;
}

int vmssh_normalize_name(const char *fqdn, char *out, size_t cap)
{
    if (!fqdn)
        return -1;
    size_t n = strlen(fqdn);
    if (n > 0 && fqdn[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || n + 1 > cap)
        return -1;
    size_t label = 0;
    int labels = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = fqdn[i];
        if (ch == '.') {
            if (label == 0 || fqdn[i - 1] == '-')
                return -1;
            label = 0;
            out[i] = '.';
            continue;
        }
        if (!isalnum((unsigned char)ch) && ch != '-')
            return -1;
        if (label == 0) {
            labels++;
            if (ch == '-')
                return -1;
        }
        if (++label > 63)
            return -1;
        out[i] = (char)tolower((unsigned char)ch);
    }
    if (fqdn[n - 1] == '-' || labels < 2)
        return -1;
    out[n] = '\0';
    return 0;
}

int vmssh_valid_name(const char *fqdn)
{
    char buf[256];
    return vmssh_normalize_name(fqdn, buf, sizeof(buf)) == 0;
}

int vmssh_valid_ifname(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 15)
        return 0;
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return 0;
    }
    return 1;
}

int vmssh_valid_user(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (const char *p = s; *p; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '.' &&
            *p != '-')
            return 0;
    }
    return 1;
}

/* A decimal port 1..65535, the whole string up to end. */
static int port_part(const char *s, const char *end, uint16_t *out)
{
    if (s == end || end - s > 5)
        return -1;
    unsigned v = 0;
    for (const char *p = s; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int vmssh_parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
    const char *dash = s ? strchr(s, '-') : NULL;
    if (!dash)
        return -1;
    if (port_part(s, dash, lo) < 0 || port_part(dash + 1, dash + strlen(dash), hi) < 0)
        return -1;
    return *lo <= *hi ? 0 : -1;
}
