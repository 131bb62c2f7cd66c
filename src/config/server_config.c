/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_config.c - read listen/workers/limits into server_opts_t.
 *
 *   listen: ["127.0.0.1:5300", "[::1]:5300"]   # or one string
 *   workers: auto                              # or 1..1024
 *   limits: {edns_udp_size: 1232, tcp_max_connections: 1024,
 *            tcp_max_connections_per_client: 32, tcp_idle_timeout: 10s,
 *            tcp_io_timeout: 500ms}
 *
 * Addresses are checked with the server's own parser (server_parse_listen),
 * so what passes here is exactly what the server can bind; the message gets
 * the config file and line in front.
 */
#include "config/server_config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CFG_MAX_WORKERS  1024
#define CFG_MAX_LISTEN   64
#define CFG_MAX_TCP_CONN 1000000
#define CFG_MAX_IDLE_MS  (3600ull * 1000)
#define CFG_MAX_IO_MS    (60ull * 1000)

/* Append one checked address to out->listen (`shared`: already there is
 * fine, another server block listens there too). */
static int cfg_add_listen_to(cfg_server_t *out, const cfg_node_t *n, const char *text, bool shared,
                             cfg_error_t *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    char why[256];
    if (server_parse_listen(text, &ss, &sslen, why, sizeof(why)) != 0) {
        return cfg_fail(err, n, "%s", why);
    }
    for (size_t i = 0; i < out->opts.nlisten; i++) {
        if (strcmp(out->listen[i], text) == 0) {
            return shared ? 0 : cfg_fail(err, n, "listen address '%s' is given twice", text);
        }
    }
    if (out->opts.nlisten == CFG_MAX_LISTEN) {
        return cfg_fail(err, n, "listen: more than %d addresses", CFG_MAX_LISTEN);
    }
    char *copy = strdup(text);
    if (copy == NULL) {
        return cfg_fail(err, n, "out of memory");
    }
    out->listen[out->opts.nlisten++] = copy;
    return 0;
}

static int cfg_add_listen(cfg_server_t *out, const cfg_node_t *n, const char *text,
                          cfg_error_t *err)
{
    return cfg_add_listen_to(out, n, text, false, err);
}

/* `servers: [{listen: ...}, ...]`: every server's addresses, each once
 * (several server blocks may share one). */
static int cfg_read_servers_listen(cfg_node_t *root, cfg_node_t *servers, cfg_server_t *out,
                                   cfg_error_t *err)
{
    cfg_node_t *top = cfg_peek(root, "listen");
    if (top != NULL) {
        return cfg_fail(err, top, "listen: with `servers`, give each server its own listen");
    }
    if (servers->kind != CFG_SEQ || servers->n == 0) {
        return cfg_fail(err, servers,
                        "servers: expected a list of servers (zones, listen, plugins)");
    }
    out->listen = calloc(CFG_MAX_LISTEN, sizeof(*out->listen));
    if (out->listen == NULL) {
        return cfg_fail(err, servers, "out of memory");
    }
    out->opts.listen = (const char **)out->listen;
    for (size_t s = 0; s < servers->n; s++) {
        cfg_node_t *item = servers->items[s];
        if (item->kind != CFG_MAP) {
            return cfg_fail(err, item, "servers: each server is a map (zones, listen, plugins)");
        }
        cfg_node_t *n = cfg_peek(item, "listen");
        if (n == NULL) {
            if (cfg_add_listen_to(out, item, CFG_DEFAULT_LISTEN, true, err) != 0) {
                return -1;
            }
            continue;
        }
        if (n->kind == CFG_MAP || (n->kind == CFG_SEQ && n->n == 0)) {
            return cfg_fail(err, n, "listen: expected an address or a non-empty list of addresses");
        }
        size_t count = n->kind == CFG_SEQ ? n->n : 1;
        for (size_t i = 0; i < count; i++) {
            const cfg_node_t *it = n->kind == CFG_SEQ ? n->items[i] : n;
            const char *text;
            if (cfg_string(it, &text, err) != 0) {
                return -1;
            }
            for (size_t j = 0; j < i; j++) {
                if (n->items[j]->kind == CFG_SCALAR && strcmp(n->items[j]->value, text) == 0) {
                    return cfg_fail(err, it, "listen address '%s' is given twice", text);
                }
            }
            if (cfg_add_listen_to(out, it, text, true, err) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int cfg_read_listen(cfg_node_t *root, cfg_server_t *out, cfg_error_t *err)
{
    cfg_node_t *servers = cfg_peek(root, "servers");
    if (servers != NULL) {
        return cfg_read_servers_listen(root, servers, out, err);
    }
    cfg_node_t *n = cfg_get(root, "listen");
    size_t count = n == NULL ? 1 : n->kind == CFG_SEQ ? n->n : 1;
    if (n != NULL && n->kind == CFG_MAP) {
        return cfg_fail(err, n, "listen: expected an address or a list of addresses");
    }
    if (count == 0) {
        return cfg_fail(err, n, "listen: the list is empty");
    }
    if (count > CFG_MAX_LISTEN) {
        return cfg_fail(err, n, "listen: more than %d addresses", CFG_MAX_LISTEN);
    }
    out->listen = calloc(count, sizeof(*out->listen));
    if (out->listen == NULL) {
        return cfg_fail(err, n, "out of memory");
    }
    out->opts.listen = (const char **)out->listen;
    if (n == NULL) {
        return cfg_add_listen(out, root, CFG_DEFAULT_LISTEN, err);
    }
    for (size_t i = 0; i < count; i++) {
        const cfg_node_t *item = n->kind == CFG_SEQ ? n->items[i] : n;
        const char *text;
        if (cfg_string(item, &text, err) != 0 || cfg_add_listen(out, item, text, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int cfg_read_workers(cfg_node_t *root, cfg_server_t *out, cfg_error_t *err)
{
    cfg_node_t *n = cfg_get(root, "workers");
    if (n == NULL || (n->kind == CFG_SCALAR && strcmp(n->value, "auto") == 0)) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        out->opts.workers = cpus < 1                 ? 1
                            : cpus > CFG_MAX_WORKERS ? CFG_MAX_WORKERS
                                                     : (unsigned)cpus;
        return 0;
    }
    uint64_t v;
    if (cfg_uint(n, 1, CFG_MAX_WORKERS, &v, err) != 0) {
        return cfg_fail(err, n, "workers: expected 'auto' or a number from 1 to %d, got '%s'",
                        CFG_MAX_WORKERS, n->kind == CFG_SCALAR ? n->value : "a list or map");
    }
    out->opts.workers = (unsigned)v;
    return 0;
}

static int cfg_read_limits(cfg_node_t *root, cfg_server_t *out, cfg_error_t *err)
{
    out->opts.limits.edns_udp_size = CFG_DEFAULT_EDNS_UDP_SIZE;
    out->opts.tcp_max_connections = CFG_DEFAULT_TCP_MAX_CONNECTIONS;
    out->opts.tcp_idle_timeout_ms = CFG_DEFAULT_TCP_IDLE_TIMEOUT_MS;
    out->opts.tcp_max_per_client = CFG_DEFAULT_TCP_MAX_PER_CLIENT;
    out->opts.tcp_io_timeout_ms = CFG_DEFAULT_TCP_IO_TIMEOUT_MS;

    cfg_node_t *lim = cfg_get(root, "limits");
    if (lim == NULL) {
        return 0;
    }
    if (lim->kind != CFG_MAP) {
        return cfg_fail(err, lim,
                        "limits: expected a map (edns_udp_size, tcp_max_connections, "
                        "tcp_max_connections_per_client, tcp_idle_timeout, tcp_io_timeout)");
    }
    cfg_node_t *n;
    uint64_t v;
    if ((n = cfg_get(lim, "edns_udp_size")) != NULL) {
        if (cfg_uint(n, 512, 4096, &v, err) != 0) {
            return -1;
        }
        out->opts.limits.edns_udp_size = (uint16_t)v;
    }
    if ((n = cfg_get(lim, "tcp_max_connections")) != NULL) {
        if (cfg_uint(n, 1, CFG_MAX_TCP_CONN, &v, err) != 0) {
            return -1;
        }
        out->opts.tcp_max_connections = (uint32_t)v;
    }
    if ((n = cfg_get(lim, "tcp_idle_timeout")) != NULL) {
        if (cfg_duration_ms(n, &v, err) != 0) {
            return -1;
        }
        if (v == 0 || v > CFG_MAX_IDLE_MS) {
            return cfg_fail(err, n, "tcp_idle_timeout: must be more than 0 and at most 1h");
        }
        out->opts.tcp_idle_timeout_ms = (uint32_t)v;
    }
    if ((n = cfg_get(lim, "tcp_max_connections_per_client")) != NULL) {
        if (cfg_uint(n, 1, CFG_MAX_TCP_CONN, &v, err) != 0) {
            return -1;
        }
        out->opts.tcp_max_per_client = (uint32_t)v;
    }
    if ((n = cfg_get(lim, "tcp_io_timeout")) != NULL) {
        if (cfg_duration_ms(n, &v, err) != 0) {
            return -1;
        }
        if (v < 10 || v > CFG_MAX_IO_MS) {
            return cfg_fail(err, n, "tcp_io_timeout: must be from 10ms to 1m");
        }
        out->opts.tcp_io_timeout_ms = (uint32_t)v;
    }
    return 0;
}

int cfg_server_read(cfg_node_t *root, cfg_server_t *out, cfg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (cfg_read_listen(root, out, err) != 0 || cfg_read_workers(root, out, err) != 0 ||
        cfg_read_limits(root, out, err) != 0) {
        cfg_server_free(out);
        return -1;
    }
    out->alias = calloc(out->opts.nlisten + 1, sizeof(*out->alias));
    if (out->alias == NULL) {
        cfg_server_free(out);
        return cfg_fail(err, root, "out of memory");
    }
    server_listen_alias(out->opts.listen, out->opts.nlisten, out->alias);
    return 0;
}

void cfg_server_free(cfg_server_t *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->opts.nlisten; i++) {
        free(s->listen[i]);
    }
    free(s->listen);
    free(s->alias);
    memset(s, 0, sizeof(*s));
}
