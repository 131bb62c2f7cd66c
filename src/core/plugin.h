/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin.h - the plugin chain.
 *
 * As in CoreDNS, every request passes through the compiled-in plugins in the
 * fixed order of plugins/plugin.cfg. A plugin lives in plugins/<name>/ and
 * defines `const plugin_t plugin_<name>`; the build generates the list from
 * plugin.cfg, so adding one touches one list and one folder.
 *
 * A plugin owns its syntax: its YAML section is the top-level `config_key`,
 * and its Corefile directive is read by its own `corefile` hook into that
 * same section (config/corefile_plugin.h), so neither src/config nor main
 * knows any plugin by name.
 *
 * A plugin's life is split in two, so that a config can be checked whole
 * before anything starts, and a reload keeps what did not change:
 *  - `parse` reads its config section into a config object of its own
 *    (every key it knows; FILE:LINE errors). No socket, no connection, no
 *    thread, no view: --check-config is "parse everything" (plus `check`).
 *  - `setup` starts from a parsed config: binds, connects, fills the view
 *    (data sources such as `file` and `redis` need no per-query hook).
 *    On a reload, a running instance whose config is `conf_equal` to the
 *    new one is reused by the new chain instead (see core/chain.c), so
 *    setup runs only for what changed.
 * Per query, a plugin may:
 *  - look at a request before it is answered (`query`), and answer it
 *    itself by filling req->resp and returning PLUGIN_DONE;
 *  - decide what happens to the built response (`respond`): send it, drop
 *    it, or send a truncated "slip" instead (TC=1, empty sections), e.g.
 *    for response rate limiting or DNS cookies; it may also add to the
 *    response (an EDNS option). The first hook that does not say SEND wins;
 *  - look at the finished response (`done`), for logs and metrics; it sees
 *    the final action in req->action.
 * Only plugins with a hook are put in the per-query arrays, so a plugin that
 * is not configured costs nothing. If no plugin answers, the core answers
 * from the view.
 *
 * docs/ARCHITECTURE.md shows where these stages sit in a query's and a
 * reload's flow, and which thread runs each hook.
 */
#ifndef VMDNS_CORE_PLUGIN_H
#define VMDNS_CORE_PLUGIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/cfg.h"
#include "core/metrics.h"
#include "dns/answer.h"
#include "dns/tsig.h"
#include "dns/wire.h"
#include "view/view.h"

struct event_base;
struct chain;
struct httpd_pool;
struct cf_plugin_ctx;
struct cf_directive;

/* Transport of a request. */
typedef enum { REQ_UDP = 0, REQ_TCP = 1 } req_proto_t;

/* What the respond stage decided about a built response. */
typedef enum {
    RESPOND_SEND = 0,     /* send it as built */
    RESPOND_DROP = 1,     /* send nothing (chain_process returns 0) */
    RESPOND_TRUNCATE = 2, /* send a slip: TC=1, header + question + OPT only */
} respond_action_t;

/* One request as it goes down the chain. Lives on the worker's stack. */
typedef struct request {
    const wire_query_t *q;       /* parsed query (verdict WIRE_ANSWER) */
    req_proto_t proto;           /* udp or tcp */
    const struct sockaddr *peer; /* client address */
    socklen_t peer_len;
    unsigned worker;          /* index of the worker thread in its server (0..workers-1) */
    unsigned slot;            /* worker slot: unique among every running server's
                               * workers (state kept across reloads; see
                               * plugin_slots_claim) */
    uint64_t start_ns;        /* CLOCK_MONOTONIC when received */
    uint8_t *resp;            /* response buffer */
    size_t resp_cap;          /* its size: the largest message allowed */
    size_t resp_len;          /* bytes written */
    answer_meta_t meta;       /* rcode/AA/TC/zone/kind/charged name of the response */
    const char *answered_by;  /* name of the plugin that wrote resp */
    respond_action_t action;  /* the respond stage's decision (done hooks) */
    const char *action_by;    /* the plugin that decided DROP/TRUNCATE, or NULL */
    bool server_cookie_ok;    /* the query carried a server cookie this server
                               * made and it is valid (RFC 7873/9018); set by the
                               * server before the chain runs. RRL exempts such
                               * clients. */
    const char *server_label; /* the listener, as CoreDNS's `server` label:
                               * "dns://127.0.0.1:53", "dns://:53" */
    const char *zone_label;   /* the server block's zone that took the query
                               * ("example.com.", "."), or "dropped" when no
                               * block on that listener serves the name */
    int tcp_fd;               /* the TCP connection's socket (-1 over UDP): a zone
                               * transfer streams on a dup() of it */
    /* TSIG (dns/tsig.h): a query hook that checked q->tsig sets tsig_checked
     * (the `tsig` plugin); a signed query no hook checked is answered
     * NOTAUTH/BADKEY by the core, never unsigned. tsig.key is set when the
     * query verified: its response(s) are signed with it. */
    bool tsig_checked;
    tsig_state_t tsig;
} request_t;

/* What a query hook decided. */
typedef enum { PLUGIN_NEXT = 0, PLUGIN_DONE = 1 } plugin_result_t;

/* What one configuration's plugins register while it is set up, kept
 * apart from every other configuration's (during a reload two are alive:
 * the running one and the one being set up next to it). main owns it (one
 * per generation, core/generation.h), gives it to setup in env->gen, and
 * makes it the active one (plugin_shared_t.active) when that configuration
 * takes over. Control thread only.
 *  - metrics: collectors appended to /metrics by `prometheus` (e.g. the
 *    redis plugin's vmdns_* gauges); see core/metrics.h. A plugin registers
 *    in env->gen->metrics and unregisters from the same registry.
 *  - lameduck_ms: set by `health` at setup (its `lameduck` option): how long
 *    main keeps serving in lameduck before it stops the workers. */
typedef struct plugin_gen {
    unsigned id; /* the configuration's number (1, then +1 per reload attempt) */
    metrics_registry_t metrics;
    uint64_t lameduck_ms;
} plugin_gen_t;

/* State a plugin keeps across reloads (e.g. the query counters behind
 * /metrics, so dashboards do not fall to zero on SIGHUP). Owned by main,
 * freed with free_fn at exit.
 *
 * Who writes it: during a reload with new listeners two servers answer at
 * once, and a plugin instance may even serve both. So per-worker kept state
 * is indexed by request_t.slot, never by request_t.worker: main gives every
 * server its own range of worker slots (plugin_slots_claim) and takes them
 * back when the server is freed, so a slot has one writer at a time, and a
 * later server's worker continues what a retired one counted. Before a
 * server with a slot past every earlier one starts, main calls each kept
 * state's reserve_fn(ptr, nslots) so it can grow (control thread). */
typedef struct plugin_kept {
    const char *name;
    void *ptr;
    void (*free_fn)(void *ptr);
    int (*reserve_fn)(void *ptr, unsigned nslots); /* may be NULL */
} plugin_kept_t;

#define PLUGIN_MAX_KEPT  8
#define PLUGIN_MAX_SLOTS 4096 /* two servers of 1024 UDP + 1024 TCP workers side by side */

/* What main owns for the life of the process and shares with the plugins.
 * main zero-initialises it; plugins keep the pointer (env->shared), never a
 * copy. Everything here is read and written on the control thread, except
 * `lameduck`, which is atomic.
 *  - chain: set by main right after chain_new(); `ready` calls chain_ready()
 *    on it (NULL until then: /ready says 503).
 *  - active: the running configuration's plugin_gen_t (set by main when a
 *    configuration takes over; NULL before the first one): `prometheus`
 *    renders its collectors, main reads its lameduck period at SIGTERM.
 *  - lameduck: set by main when shutdown starts (SIGTERM); from then on
 *    `ready` answers 503 while the workers keep answering queries.
 *  - reload: set by main; a plugin calls reload(reload_ctx) to have the
 *    config read again (the `reload` plugin, when the file changed). Main
 *    does it later from its own loop, never inside the call.
 *  - kept: state kept across reloads, by name (plugin_kept_*), and the
 *    worker slots that index it (plugin_slots_*). */
typedef struct plugin_shared {
    struct chain *chain;
    const plugin_gen_t *active;
    atomic_bool lameduck;
    void (*reload)(void *reload_ctx);
    void *reload_ctx;
    plugin_kept_t kept[PLUGIN_MAX_KEPT];
    size_t nkept;
    bool slot_busy[PLUGIN_MAX_SLOTS]; /* worker slots held by a server */
    unsigned nslots;                  /* slots handed out so far (highest + 1) */
} plugin_shared_t;

/* The state kept under `name` (control thread), or NULL. */
void *plugin_kept_get(plugin_shared_t *shared, const char *name);

/* Keep ptr under `name` for the life of the process; main frees it with
 * free_fn at exit. reserve_fn (may be NULL) is called at once with the
 * number of slots handed out so far, then whenever that grows. Returns 0,
 * or -1 if the table is full, the name taken or reserve_fn failed. */
int plugin_kept_put(plugin_shared_t *shared, const char *name, void *ptr,
                    void (*free_fn)(void *ptr), int (*reserve_fn)(void *ptr, unsigned nslots));

/* Hand `n` consecutive free worker slots to a server (main, before the
 * server starts): *base is the first. Grows the kept state first. Returns
 * 0, or -1 (no room, or a reserve_fn failed; nothing is taken). */
int plugin_slots_claim(plugin_shared_t *shared, unsigned n, unsigned *base);

/* Give a freed server's slots back (its workers are joined). What was
 * counted in them stays, for the next server that gets them. */
void plugin_slots_release(plugin_shared_t *shared, unsigned base, unsigned n);

/* Free everything kept (main, at exit, after every plugin is torn down). */
void plugin_kept_free_all(plugin_shared_t *shared);

/* What setup gets to work with. */
typedef struct plugin_env {
    view_t *view;               /* the shared view (writers: the plugin's own thread) */
    struct event_base *control; /* the control thread's event loop (HTTP, timers) */
    unsigned workers;           /* number of worker threads (UDP + TCP: server_workers()) */
    const answer_limits_t *limits;
    plugin_shared_t *shared;   /* owned by main; see above */
    plugin_gen_t *gen;         /* this configuration's collectors and lameduck (see above) */
    const char *const *listen; /* the DNS listen addresses ("127.0.0.1:53") */
    size_t nlisten;
    struct httpd_pool *httpd; /* HTTP sockets kept across reloads (httpd_listen), or NULL */
    const char *config_path;  /* the config file given on the command line, or NULL */
    /* On a reload that keeps the running view: true, and prev_state is the
     * state of this plugin's running instance (NULL if it had none), which
     * a new instance may take over from (file: zones not read again). The
     * running instance still serves until the switch. Set by the chain. */
    bool view_serving;
    void *prev_state;
    /* A reload: the process serves already, and the control thread must
     * stay free for /health, /ready and /metrics. Slow work (reading zone
     * files) goes to a thread of the plugin; `ready` says when it is done,
     * `failed` if it failed (main waits for both before it switches). */
    bool reloading;
    /* A reload that starts a new server next to the running one (other
     * listeners or worker options): both answer until the old one has
     * drained, and their workers are numbered alike. So a running instance
     * with per-query hooks (per-worker state indexed by request_t.worker:
     * log rings, error windows) is not shared with the new chain then,
     * whatever conf_equal says; data sources still are. */
    bool new_server;
} plugin_env_t;

/* What a plugin's data in the view does on a reload (plugin_t.view_data). */
typedef enum {
    PLUGIN_VIEW_NONE = 0, /* it does not touch the view: its instance may
                             serve on with a new view */
    /* It reads the view it was set up with (`any`): on a new view it is
     * set up again. */
    PLUGIN_VIEW_READS,
    /* Its instance fills the view and stays bound to it: the view is kept
     * only if this instance is (config equal). */
    PLUGIN_VIEW_BOUND,
    /* A new instance takes the view over from the running one
     * (env->prev_state: file, redis): the view is kept while the plugin
     * stays (and agrees: view_keepable), or goes and can take its data out
     * (drop). */
    PLUGIN_VIEW_HANDOVER,
} plugin_view_data_t;

/* What parse gets: the server options read before the plugins, so that a
 * config object can hold what the state will be sized or labelled by (a
 * plugin must not keep these pointers: they belong to the config tree). */
typedef struct plugin_parse_env {
    unsigned workers; /* number of worker threads (UDP + TCP: server_threads_for()) */
    const answer_limits_t *limits;
    const char *const *listen; /* the DNS listen addresses */
    size_t nlisten;
    const char *config_path; /* the config file given on the command line, or NULL */
    /* listen_alias[i]: the first listen address sharing a socket with
     * listen[i] (server_listen_alias); NULL: each is its own. */
    const unsigned *listen_alias;
    /* The server block being parsed (read it with plugin_block_zone), or
     * NULL: a plugin outside any block (a data source). */
    const void *block;
} plugin_parse_env_t;

/* The i-th zone of the server block a plugin section is parsed for: its
 * wire form (lower-cased) in *wire and *len, true; false past the last
 * one. A config without `servers` is one block of zone "." (every zone),
 * as a Corefile block written "." is. */
bool plugin_block_zone(const plugin_parse_env_t *penv, size_t i, const uint8_t **wire, size_t *len);

typedef struct plugin {
    const char *name;
    /* Top-level config key this plugin reads (NULL: none); the plugin is in
     * the chain only when the key is present (or it has none). */
    const char *config_key;
    /* In the chain even when config_key is absent (parse then gets a NULL
     * section and applies its defaults): a plugin that is on by default,
     * such as `cookie`. */
    bool default_on;
    /* Corefile syntax (config/corefile_plugin.h). `corefile` reads one
     * occurrence of a directive this plugin declares (`directives`, a
     * NULL-terminated list; NULL: the plugin's name) into its config_key
     * section, so the Corefile reader knows no plugin. NULL: the plugin has
     * no Corefile directive. */
    const char *const *directives;
    int (*corefile)(struct cf_plugin_ctx *ctx, const struct cf_directive *d, cfg_error_t *err);
    /* The hook reads options that have blocks of their own (`limits {
     * ... }` inside `redis { ... }`, cf_line_t.block). False: the reader
     * refuses a nested block in this plugin's directives. */
    bool corefile_blocks;
    plugin_view_data_t view_data;
    /* Read and check the section (NULL when config_key is NULL) into a new
     * config object *conf (may stay NULL). Side-effect free: no socket, no
     * connection, no thread, no view. On error fill err ("FILE:LINE: ...")
     * and return -1. NULL parse: nothing to read. */
    int (*parse)(const plugin_parse_env_t *penv, cfg_node_t *section, void **conf,
                 cfg_error_t *err);
    /* True if an instance set up from `a` may serve for `b` as it is
     * (never called with NULL). NULL: an instance is never reused. */
    bool (*conf_equal)(const void *a, const void *b);
    /* Optional, PLUGIN_VIEW_HANDOVER: can a new instance set up from
     * new_conf take the running view over from one set up from old_conf?
     * False: the reload builds a new view (redis: more new backends than
     * free slots next to the running ones). NULL: yes. */
    bool (*view_keepable)(const void *old_conf, const void *new_conf);
    /* Free a config object (may be NULL). */
    void (*conf_free)(void *conf);
    /* Optional, --check-config only: check what the config points at (the
     * zone files' syntax) without starting anything. -1 with err. */
    int (*check)(const void *conf, cfg_error_t *err);
    /* Start from a parsed config (which lives as long as the state: the
     * state may point into it). On error fill err and return -1. *state is
     * passed to the hooks. NULL setup: no state. */
    int (*setup)(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err);
    /* Optional: register what belongs to a configuration (env->gen: metrics
     * collectors, the lameduck period). Called right after setup, and again
     * when a reload's chain takes the running instance over. Nothing needs
     * unregistering: a configuration's registry goes with it, and no
     * instance outlives a configuration whose chain holds it. */
    void (*join)(void *state, const void *conf, const plugin_env_t *env);
    /* Optional: called once all plugins are set up and workers run. */
    int (*start)(void *state);
    /* Optional: the configuration of this instance takes over (its chain
     * serves from now on; control thread, at startup and at a reload's
     * switch, also for an instance the reload kept). What a handover
     * prepared next to the running data becomes what is served (redis:
     * the new order of the backends). Must not block. */
    void (*activate)(void *state);
    /* Optional, PLUGIN_VIEW_HANDOVER: the configuration taking over has no
     * instance of this plugin but keeps the view (chain_view_keepable): take
     * what this instance put into the view out of it (file: its zones).
     * Control thread, at the switch; teardown follows later. NULL: dropping
     * the plugin builds a new view instead. */
    void (*drop)(void *state);
    /* Optional per-query hooks (worker threads; must not block). */
    plugin_result_t (*query)(void *state, request_t *req);
    /* After the answer is built (by a query hook, the view, or an error
     * reply with a question), before the done hooks: what to do with it.
     * req->resp holds the response, req->meta says what it is (kind,
     * wildcard, charged name; req->proto the transport). A hook may add an
     * EDNS option within req->resp_cap (opt_find/opt_add_option in
     * dns/opt.h) and return SEND. DROP over TCP writes nothing for that
     * message; the connection stays open. TRUNCATE keeps the reply's OPT. */
    respond_action_t (*respond)(void *state, request_t *req);
    void (*done)(void *state, request_t *req);
    /* The done hook also sees the queries no server block took (REFUSED,
     * zone_label "dropped"; metrics count them as CoreDNS does). Each such
     * instance sees them once, not once per block. */
    bool sees_dropped;
    /* Optional: did the background work of a setup fail (env->reloading)?
     * -1 with err ("FILE:LINE: problem"): the reload is dropped. */
    int (*failed)(void *state, cfg_error_t *err);
    /* Optional: ready for /ready? (fill `why` with what is not ready; a
     * plugin that is ready may fill it with a detail /ready shows.) */
    bool (*ready)(void *state, char *why, size_t why_len);
    /* Stop and free. */
    void (*teardown)(void *state);
} plugin_t;

/* The compiled-in plugins in chain order (generated from plugin.cfg). */
extern const plugin_t *const plugin_registry[];
extern const size_t plugin_registry_count;

#endif
