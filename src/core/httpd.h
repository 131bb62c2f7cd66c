/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * httpd.h - the small HTTP endpoints of vmdnsd (/metrics, /health, /ready).
 *
 * Each endpoint is a libevent evhttp on the control thread's event_base,
 * never on a worker, so a slow scraper can never delay a DNS answer. This
 * module only does the parts the three plugins share: parsing the listen
 * address the CoreDNS way ("127.0.0.1:9153", "[::1]:8080", ":8181"),
 * binding it (so a port in use fails at startup with a clear message),
 * keeping the bound sockets across config reloads (httpd_pool_t),
 * replying with text, and (httpd_endpoint_*) the whole of what an endpoint
 * plugin does with its section: read `KEY: true` or `KEY: {listen: ADDR}`,
 * then serve one path on that address with every other path a 404.
 */
#ifndef VMDNS_CORE_HTTPD_H
#define VMDNS_CORE_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct plugin_env;
struct cf_plugin_ctx;
struct cf_directive;

/* Parse "host:port", "[v6addr]:port" or ":port" (every address). The host
 * must be a numeric address or "localhost". Returns 0, or -1 with a reason
 * in err. */
int httpd_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                     size_t errlen);

/* Listening sockets kept across config reloads. On a reload the new
 * configuration's plugins are set up while the old ones still serve; an
 * endpoint whose address did not change gets (a duplicate of) the same
 * listening socket instead of a new bind, so there is no "address in use",
 * and no connection is refused or reset while the two overlap. Owned by
 * main, used on the control thread only. A pool starts zeroed. */
#define HTTPD_POOL_MAX 16

typedef struct httpd_pool_entry {
    struct sockaddr_storage addr;
    socklen_t len;
    int fd;        /* the pool's own descriptor of the listening socket */
    uint16_t port; /* the port it is bound to */
    bool active;   /* used by the running configuration */
    bool pending;  /* used by the configuration being set up */
} httpd_pool_entry_t;

typedef struct httpd_pool {
    size_t n;
    httpd_pool_entry_t e[HTTPD_POOL_MAX];
} httpd_pool_t;

/* A new configuration is about to be set up (its httpd_listen calls mark
 * the sockets they use). */
void httpd_pool_begin(httpd_pool_t *pool);

/* The new configuration is now the running one: close the sockets that
 * only the old one used. */
void httpd_pool_commit(httpd_pool_t *pool);

/* The new configuration was dropped: close the sockets only it opened. */
void httpd_pool_abort(httpd_pool_t *pool);

/* Close every socket of the pool (at exit). */
void httpd_pool_close(httpd_pool_t *pool);

/* Create an evhttp on `base` listening on `addr` (GET and HEAD only),
 * taking the socket from `pool` when the pool has one for that address
 * (pool may be NULL: always bind). *bound_port (if not NULL) gets the port
 * actually bound (for ":0"). Returns NULL with a reason in err. Free with
 * evhttp_free(). */
struct evhttp *httpd_listen(httpd_pool_t *pool, struct event_base *base, const char *addr,
                            uint16_t *bound_port, char *err, size_t errlen);

/* Send a complete reply: status code, reason phrase, content type and body. */
void httpd_reply(struct evhttp_request *req, int code, const char *reason, const char *content_type,
                 const char *body, size_t len);

/* The common case: a text/plain body given as a C string. */
void httpd_reply_text(struct evhttp_request *req, int code, const char *reason, const char *body);

/* ---- A plugin's endpoint (health, ready, prometheus) ---- */

/* Answers one request; ctx is the one given to httpd_endpoint_open(). */
typedef void (*httpd_handler_t)(struct evhttp_request *req, void *ctx);

/* An open endpoint. Zeroed: not open. */
typedef struct httpd_endpoint {
    struct evhttp *http;
    uint16_t port;             /* the port it is bound to (the actual one for ":0") */
    struct httpd_guard *guard; /* pauses accepting while out of descriptors */
} httpd_endpoint_t;

/* Read an endpoint plugin's section: `KEY: true|false`, or a map whose
 * `listen` names the address (default_listen when absent; the plugin reads
 * any other keys of the map itself). The address is checked here, also when
 * the section says false. `usage` is the map form for the message, e.g.
 * "{listen: ADDR}". Returns 0, or -1 with "FILE:LINE: KEY: problem" in err
 * (KEY: the section's key). */
int httpd_endpoint_config(cfg_node_t *cfg, const char *default_listen, const char *usage,
                          const char **listen, bool *enabled, cfg_error_t *err);

/* Serve GET/HEAD `path` on `listen` with handler(req, ctx), and 404 on
 * every other path, on env's control loop with env's socket pool (so a
 * reload that keeps the address keeps the socket). Logs "plugin/PLUGIN:
 * serving PATH on ADDR (port N)". Returns 0, or -1 with "FILE:LINE: KEY:
 * cannot listen on ADDR: why" in err, at `at` (the plugin's section). */
int httpd_endpoint_open(httpd_endpoint_t *ep, const struct plugin_env *env, const char *plugin,
                        const cfg_pos_t *at, const char *listen, const char *path,
                        httpd_handler_t handler, void *ctx, cfg_error_t *err);

/* The Corefile directive of an endpoint plugin, `NAME [ADDR]` without a
 * block, as the section `KEY: {listen: ADDR}` (no ADDR: the plugin's
 * default). The same line in several server blocks is one endpoint.
 * For plugin_t.corefile; 0, or -1 with "FILE:LINE: problem" in err. */
int httpd_endpoint_corefile(struct cf_plugin_ctx *ctx, const struct cf_directive *d,
                            const char *key, cfg_error_t *err);
/* A reload keeps a running endpoint `ep` on `listen` as it is (its
 * plugin's instance is reused): mark its socket as used by the
 * configuration being set up, so that the switch does not close the pool's
 * copy of it. */
void httpd_endpoint_keep(const struct plugin_env *env, const char *listen,
                         const httpd_endpoint_t *ep);

/* Stop serving and free the endpoint (safe on a zeroed one, and twice). */
void httpd_endpoint_close(httpd_endpoint_t *ep);

#endif
