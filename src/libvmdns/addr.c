/*
 * addr.c - the "host:port" strings users give for Redis nodes, sentinels
 * and vmdnsd servers, parsed once when a handle is opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

int vmdns_addr_parse(const char *text, int default_port, vmdns_addr_t *out, vmdns_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (!text || !*text)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "empty address");
    if (text[0] == '/') {
        if (strlen(text) >= sizeof(out->host))
            return vmdns_fail(err, VMDNS_ERR_INVALID, "socket path too long");
        strcpy(out->host, text);
        return 0;
    }
    const char *host = text, *port = NULL;
    size_t hl;
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (!end || (end[1] && end[1] != ':'))
            return vmdns_fail(err, VMDNS_ERR_INVALID, "bad address '%.100s'", text);
        host = text + 1;
        hl = (size_t)(end - host);
        port = end[1] ? end + 2 : NULL;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon && strchr(text, ':') != colon) /* bare IPv6, no port */
            colon = NULL;
        hl = colon ? (size_t)(colon - text) : strlen(text);
        port = colon ? colon + 1 : NULL;
    }
    if (hl == 0 || hl >= sizeof(out->host))
        return vmdns_fail(err, VMDNS_ERR_INVALID, "bad address '%.100s'", text);
    memcpy(out->host, host, hl);
    out->host[hl] = '\0';
    out->port = default_port;
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 1 || p > 65535)
            return vmdns_fail(err, VMDNS_ERR_INVALID, "bad port in address '%.100s'", text);
        out->port = (int)p;
    }
    return 0;
}

const char *vmdns_addr_str(const vmdns_addr_t *a, char *buf, size_t cap)
{
    if (a->port == 0)
        snprintf(buf, cap, "%s", a->host);
    else if (strchr(a->host, ':'))
        snprintf(buf, cap, "[%s]:%d", a->host, a->port);
    else
        snprintf(buf, cap, "%s:%d", a->host, a->port);
    return buf;
}
