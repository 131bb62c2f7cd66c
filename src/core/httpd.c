/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * httpd.c - bind and answer the control thread's HTTP endpoints.
 *
 * ":PORT" (no host) is every address of both families: an IPv6 wildcard
 * socket with IPV6_V6ONLY off, as CoreDNS (Go) listens, so a Kubernetes
 * probe on the pod's IPv4 or IPv6 address both reach /health and /ready;
 * on a host without IPv6 it is 0.0.0.0.
 *
 * The socket is created and bound here rather than by
 * evhttp_bind_socket_with_handle() so that the error says which address
 * failed and why (EADDRINUSE, EACCES), and so that ":0" can report the port
 * it got. The fd is then handed to evhttp, which owns it from there on.
 *
 * With a pool (main's, across reloads), the pool keeps its own descriptor
 * of every listening socket and evhttp gets a duplicate: the old and the
 * new configuration then accept on the very same socket while they
 * overlap, and the socket closes only when no configuration uses it.
 *
 * Out of descriptors: libevent's listener, when accept() fails for want of
 * a file descriptor (EMFILE, ENFILE) or of memory, would log "Error from
 * accept() call" and be called again at once by the still-readable socket,
 * spinning a core and flooding the log. Every endpoint's listener gets an
 * error callback instead (struct httpd_guard) that pauses it for
 * HTTPD_PAUSE_MS, logs once per episode, and resumes it on a timer.
 */
#include "core/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <time.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hostport.h"
#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/plugin.h"

int httpd_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                     size_t errlen)
{
    vmdns_hostport_t hp;
    char why[300];
    if (vmdns_hostport_parse(text,
                             VMDNS_HP_PORT_REQUIRED | VMDNS_HP_PORT_ZERO | VMDNS_HP_EMPTY_HOST |
                                 VMDNS_HP_NO_BARE_V6,
                             0, &hp, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad address '%s' (expected host:port or :port)", text);
        return -1;
    }
    if (vmdns_hostport_listen_sockaddr(&hp, VMDNS_HP_LOCALHOST, ss, len, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad address '%s' (the host must be a numeric address: %s)", text,
                 why);
        return -1;
    }
    if (hp.host[0] == '\0') { /* ":PORT": every address, v4 and v6, as Go listens */
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        memset(ss, 0, sizeof(*ss));
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_any;
        sin6->sin6_port = htons(hp.port);
        *len = sizeof(*sin6);
    }
    return 0;
}

/* Is ss the IPv6 wildcard "[::]"? */
static bool httpd_is_v6_any(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 &&
           IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* A non-blocking listening socket on the address. Returns the fd or -1. */
static int httpd_socket(const struct sockaddr_storage *ss, socklen_t len, const char *addr,
                        uint16_t *bound_port, char *err, size_t errlen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && httpd_is_v6_any(ss) && errno == EAFNOSUPPORT) {
        /* No IPv6 on this host: ":PORT" is every IPv4 address. */
        struct sockaddr_storage v4 = {0};
        struct sockaddr_in *sin = (struct sockaddr_in *)&v4;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        sin->sin_port = ((const struct sockaddr_in6 *)ss)->sin6_port;
        return httpd_socket(&v4, sizeof(*sin), addr, bound_port, err, errlen);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a socket for %s: %s", addr, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss->ss_family == AF_INET6) {
        /* The wildcard "[::]" (and ":PORT") takes IPv4 too (V6ONLY off), as a
         * Go listener does; a specific IPv6 address is IPv6 only. */
        int v6only = httpd_is_v6_any(ss) ? 0 : 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    }
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    if (bound_port != NULL) {
        struct sockaddr_storage got;
        socklen_t got_len = sizeof(got);
        *bound_port = 0;
        if (getsockname(fd, (struct sockaddr *)&got, &got_len) == 0) {
            *bound_port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                          : ((struct sockaddr_in *)&got)->sin_port);
        }
    }
    return fd;
}

void httpd_pool_begin(httpd_pool_t *pool)
{
    for (size_t i = 0; i < pool->n; i++) {
        pool->e[i].pending = false;
    }
}

/* End a reload: on commit the new configuration's sockets become the
 * active ones; either way, close the sockets no active one uses. */
static void httpd_pool_prune(httpd_pool_t *pool, bool commit)
{
    size_t out = 0;
    for (size_t i = 0; i < pool->n; i++) {
        httpd_pool_entry_t *e = &pool->e[i];
        if (commit) {
            e->active = e->pending;
        }
        e->pending = false;
        if (!e->active) {
            close(e->fd);
            continue;
        }
        pool->e[out++] = *e;
    }
    pool->n = out;
}

void httpd_pool_commit(httpd_pool_t *pool)
{
    httpd_pool_prune(pool, true);
}

void httpd_pool_abort(httpd_pool_t *pool)
{
    httpd_pool_prune(pool, false);
}

void httpd_pool_close(httpd_pool_t *pool)
{
    for (size_t i = 0; i < pool->n; i++) {
        close(pool->e[i].fd);
    }
    pool->n = 0;
}

/* The port of a parsed address (0: "any port"). */
static uint16_t httpd_addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    }
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A descriptor of a listening socket for addr: a duplicate of the pool's
 * socket for it, else a new one (kept in the pool when there is one). */
static int httpd_pool_socket(httpd_pool_t *pool, const struct sockaddr_storage *ss, socklen_t len,
                             const char *addr, uint16_t *bound_port, char *err, size_t errlen)
{
    if (pool == NULL) {
        return httpd_socket(ss, len, addr, bound_port, err, errlen);
    }
    for (size_t i = 0; i < pool->n; i++) {
        httpd_pool_entry_t *e = &pool->e[i];
        if (e->len == len && memcmp(&e->addr, ss, len) == 0) {
            if (e->pending) {
                /* Another endpoint of this configuration has it: ":0" means
                 * a port of its own; one explicit address cannot serve two
                 * endpoints (each has its own HTTP server and paths). */
                if (httpd_addr_port(ss) == 0) {
                    continue;
                }
                snprintf(err, errlen,
                         "cannot listen on %s: another HTTP endpoint (health, ready, "
                         "prometheus) listens there already; give each its own address",
                         addr);
                return -1;
            }
            int fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
            if (fd < 0) {
                snprintf(err, errlen, "cannot reuse the socket of %s: %s", addr, strerror(errno));
                return -1;
            }
            e->pending = true;
            if (bound_port != NULL) {
                *bound_port = e->port;
            }
            return fd;
        }
    }
    if (pool->n == HTTPD_POOL_MAX) {
        snprintf(err, errlen, "more than %d HTTP endpoints", HTTPD_POOL_MAX);
        return -1;
    }
    uint16_t port = 0;
    int fd = httpd_socket(ss, len, addr, &port, err, errlen);
    if (fd < 0) {
        return -1;
    }
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    pool->e[pool->n++] = (httpd_pool_entry_t){*ss, len, fd, port, false, true};
    if (bound_port != NULL) {
        *bound_port = port;
    }
    return dup;
}

struct evhttp *httpd_listen(httpd_pool_t *pool, struct event_base *base, const char *addr,
                            uint16_t *bound_port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (httpd_parse_addr(addr, &ss, &len, err, errlen) != 0) {
        return NULL;
    }
    int fd = httpd_pool_socket(pool, &ss, len, addr, bound_port, err, errlen);
    if (fd < 0) {
        return NULL;
    }
    struct evhttp *http = evhttp_new(base);
    if (http == NULL || evhttp_accept_socket_with_handle(http, fd) == NULL) {
        snprintf(err, errlen, "cannot start the HTTP server on %s", addr);
        if (http != NULL) {
            evhttp_free(http);
        }
        close(fd);
        return NULL;
    }
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(http, 10);
    evhttp_set_max_headers_size(http, 16384);
    evhttp_set_max_body_size(http, 4096);
    return http;
}

void httpd_reply(struct evhttp_request *req, int code, const char *reason, const char *content_type,
                 const char *body, size_t len)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", content_type);
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL) {
        evhttp_send_error(req, 500, "Internal Server Error");
        return;
    }
    evbuffer_add(buf, body, len);
    evhttp_send_reply(req, code, reason, buf);
    evbuffer_free(buf);
}

void httpd_reply_text(struct evhttp_request *req, int code, const char *reason, const char *body)
{
    httpd_reply(req, code, reason, "text/plain; charset=utf-8", body, strlen(body));
}

int httpd_endpoint_config(cfg_node_t *cfg, const char *default_listen, const char *usage,
                          const char **listen, bool *enabled, cfg_error_t *err)
{
    const char *key = cfg->key != NULL ? cfg->key : "endpoint";
    *listen = default_listen;
    *enabled = true;
    if (cfg->kind == CFG_SCALAR) {
        if (cfg_bool(cfg, enabled, err) != 0) {
            return -1;
        }
    } else if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg, "%s: expected true/false or %s", key, usage);
    } else {
        cfg_node_t *l = cfg_get(cfg, "listen");
        if (l != NULL && cfg_string(l, listen, err) != 0) {
            return -1;
        }
    }
    struct sockaddr_storage ss;
    socklen_t len;
    char why[256];
    if (httpd_parse_addr(*listen, &ss, &len, why, sizeof(why)) != 0) {
        return cfg_fail(err, cfg, "%s: %s", key, why);
    }
    return 0;
}

/* Every path but the endpoint's own. */
static void httpd_not_found(struct evhttp_request *req, void *arg)
{
    (void)arg;
    httpd_reply_text(req, 404, "Not Found", "404 page not found\n");
}

#define HTTPD_PAUSE_MS 200
#define HTTPD_CALM_S   10 /* a failure this long after the last one starts a new episode */

/* What pauses one endpoint's listener while accept() has no descriptor. */
struct httpd_guard {
    struct evconnlistener *lev;
    struct event *retry;
    log_once_t logged;
    time_t last_fail; /* CLOCK_MONOTONIC seconds */
    char addr[64];
    struct httpd_guard *next;
};

/* The guards of the open endpoints. libevent hands the error callback only
 * the listener and the evhttp, so it is found here by its listener. Used on
 * the control thread only. */
static struct httpd_guard *httpd_guards;

static void httpd_on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct httpd_guard *g = arg;
    (void)fd;
    (void)what;
    evconnlistener_enable(g->lev);
}

static void httpd_on_accept_error(struct evconnlistener *lev, void *http)
{
    int e = EVUTIL_SOCKET_ERROR();
    struct httpd_guard *g = httpd_guards;
    (void)http;
    while (g != NULL && g->lev != lev) {
        g = g->next;
    }
    if (g == NULL) {
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec - g->last_fail > HTTPD_CALM_S) {
        log_once_reset(&g->logged); /* it had recovered: a new episode */
    }
    g->last_fail = ts.tv_sec;
    struct timeval tv = {.tv_sec = 0, .tv_usec = HTTPD_PAUSE_MS * 1000};
    evconnlistener_disable(lev);
    evtimer_add(g->retry, &tv);
    log_once(&g->logged, LOG_LEVEL_WARN,
             "http %s: accept: %s; pausing %d ms at a time (logged once until it recovers)",
             g->addr, strerror(e), HTTPD_PAUSE_MS);
}

static void httpd_guard_find_listener(struct evhttp_bound_socket *bound, void *arg)
{
    *(struct evconnlistener **)arg = evhttp_bound_socket_get_listener(bound);
}

/* Guard the listener of ep->http. 0, or -1 if out of memory. */
static int httpd_guard_open(httpd_endpoint_t *ep, struct event_base *base, const char *addr)
{
    struct evconnlistener *lev = NULL;
    evhttp_foreach_bound_socket(ep->http, httpd_guard_find_listener, &lev);
    if (lev == NULL) {
        return -1;
    }
    struct httpd_guard *g = calloc(1, sizeof(*g));
    if (g == NULL || (g->retry = evtimer_new(base, httpd_on_retry, g)) == NULL) {
        free(g);
        return -1;
    }
    g->lev = lev;
    g->last_fail = -HTTPD_CALM_S - 1;
    snprintf(g->addr, sizeof(g->addr), "%s", addr);
    evconnlistener_set_error_cb(lev, httpd_on_accept_error);
    g->next = httpd_guards;
    httpd_guards = g;
    ep->guard = g;
    return 0;
}

static void httpd_guard_close(struct httpd_guard *g)
{
    for (struct httpd_guard **p = &httpd_guards; *p != NULL; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    event_free(g->retry);
    free(g);
}

int httpd_endpoint_open(httpd_endpoint_t *ep, const struct plugin_env *env, const char *plugin,
                        const cfg_pos_t *at, const char *listen, const char *path,
                        httpd_handler_t handler, void *ctx, cfg_error_t *err)
{
    char why[256];
    ep->port = 0;
    ep->http = httpd_listen(env->httpd, env->control, listen, &ep->port, why, sizeof(why));
    if (ep->http == NULL) {
        return cfg_fail_pos(err, at, "%s: %s", at->key[0] ? at->key : plugin, why);
    }
    ep->guard = NULL;
    if (httpd_guard_open(ep, env->control, listen) != 0) {
        httpd_endpoint_close(ep);
        return cfg_fail_pos(err, at, "%s: out of memory", at->key[0] ? at->key : plugin);
    }
    evhttp_set_cb(ep->http, path, handler, ctx);
    evhttp_set_gencb(ep->http, httpd_not_found, NULL);
    log_info("plugin/%s: serving %s on %s (port %u)", plugin, path, listen, (unsigned)ep->port);
    return 0;
}

int httpd_endpoint_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, const char *key,
                            cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(d, err) != 0 || cf_max_args(d, 1, err) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(cf_root(ctx), key, d->name, CFG_MAP, err);
    if (m == NULL) {
        return -1;
    }
    return d->nargs == 1 ? cf_put(m, "listen", &d->args[0], d->args[0].text, err) : 0;
}

void httpd_endpoint_keep(const struct plugin_env *env, const char *listen,
                         const httpd_endpoint_t *ep)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char why[256];
    httpd_pool_t *pool = env->httpd;
    if (pool == NULL || httpd_parse_addr(listen, &ss, &len, why, sizeof(why)) != 0) {
        return;
    }
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->e[i].len == len && memcmp(&pool->e[i].addr, &ss, len) == 0 &&
            pool->e[i].port == ep->port) {
            pool->e[i].pending = true; /* only its own socket: several ":0" may share addr */
        }
    }
}

void httpd_endpoint_close(httpd_endpoint_t *ep)
{
    if (ep->guard != NULL) {
        httpd_guard_close(ep->guard);
    }
    ep->guard = NULL;
    if (ep->http != NULL) {
        evhttp_free(ep->http);
    }
    ep->http = NULL;
    ep->port = 0;
}
