/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c - vmdnsd: read the config, serve, reload on request, stop
 * gracefully.
 *
 * The main thread is the control thread: it owns a libevent event_base on
 * which plugins hang their timers and HTTP endpoints, and on which the
 * signals are caught. Startup runs in a fixed order, and any failure is
 * reported as one line ("FILE:LINE: problem") with a non-zero exit:
 *
 *   config (YAML or Corefile) -> server options -> every plugin's parse
 *   -> unknown-key check -> view -> plugin setup (load their data) ->
 *   sockets and workers -> plugin start -> ready
 *
 * The steps up to plugin setup make a "generation" (core/generation.h);
 * --check-config stops after the unknown-key check (and the zone files'
 * syntax check), having bound, connected and started nothing.
 *
 * Reload (SIGHUP, or the `reload` plugin when the file changed): the file
 * is read and checked whole (every plugin's parse, unknown keys) before
 * anything is started; a bad file is logged ("reload failed ... FILE:LINE:
 * problem") and nothing changes. Then a new generation is built next to
 * the running one, which keeps answering, keeping what the config did not
 * change (core/generation.h): the view, each Redis backend whose own
 * config is equal (connections, stream position, data), zone files whose
 * path and mtime did not change, every plugin instance whose config is
 * equal (shared by both chains, counted). Only what changed is set up
 * (a new Redis backend loads hidden, next to the served data). Main then
 * polls (every RELOAD_POLL_MS) until the new plugins say they are ready (a
 * new Redis backend has loaded, changed zone files are read by the file
 * plugin's loader thread; at most RELOAD_READY_WAIT_MS) or one says its
 * background work failed (a broken zone file: the reload fails), then
 * switches:
 *   - same listeners and worker options: the workers' (view, chain) pointer
 *     is swapped under RCU (server_swap): not one query waits or is lost;
 *   - otherwise a new server is started next to the old one (SO_REUSEPORT
 *     lets both hold the same ports), and the old one is drained (its TCP
 *     clients get their answers, then a clean close) and freed on a job
 *     thread (core/bgjob.h).
 * The old generation is then torn down on the control thread, and its view,
 * if no generation keeps it, freed on a job thread: the control thread,
 * which serves /health, /ready and /metrics, never waits for a zone file,
 * a drain or a big free. HTTP endpoints whose address did not change keep
 * their listening socket (httpd_pool_t).
 *
 * Shutdown (SIGTERM/SIGINT): lameduck first (/ready says 503 while queries
 * are still answered, for `health { lameduck }`), then drain (stop
 * accepting, answer what TCP clients sent, close), then tear the plugins
 * down and exit 0. A second signal skips what is left of both.
 *
 * docs/ARCHITECTURE.md draws the whole picture: layers, threads, data
 * lifetime, the plugin stages.
 */
#include <event2/event.h>
#include <ldns/sha2.h>
#include <event2/thread.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "cli_args.h"
#include "core/bgjob.h"
#include "core/generation.h"
#include "core/httpd.h"
#include "core/log.h"
#include "core/metrics.h"
#include "server/fdlimit.h"
#include "server/server.h"

enum { EXIT_CONFIG = 1, EXIT_USAGE = 2 };

#define RELOAD_READY_WAIT_MS 30000 /* longest wait for a new generation's data */
#define RELOAD_POLL_MS       50
#define DRAIN_MAX_MS         3000 /* longest wait for TCP clients at a stop */

/* Everything the process owns, torn down in reverse order by vmdnsd_free. */
typedef struct vmdnsd {
    gen_ctx_t ctx;
    plugin_shared_t shared; /* what the plugins share with main (plugin.h) */
    httpd_pool_t httpd;     /* HTTP listening sockets, kept across reloads */
    struct event_base *base;
    gen_t *gen;     /* the running generation */
    gen_t *pending; /* a reload waiting for its data (or NULL) */
    uint64_t pending_since_ms;
    unsigned last_id;
    bool reload_again; /* asked again while one was pending */
    server_t *server;
    unsigned slot_base; /* its first worker slot (plugin_slots_claim) */
    struct event *sigterm, *sigint, *sighup;
    struct event *sigusr1, *sigusr2, *sigquit; /* CoreDNS's reload, upgrade, quit */
    bool quiet;                                /* -quiet: no "ready" banner */
    struct event *reload_ev;                   /* a plugin asked for a reload */
    struct event *pending_timer;               /* polls the pending generation */
    struct event *lameduck;                    /* timer: end of the lameduck period */
    bool stopping;                             /* SIGTERM/SIGINT seen */
    bool hard_stop;                            /* a second one: no drain */
    uint64_t reloads_applied, reloads_failed;
    /* TCP closes counted by servers that are gone (replaced on a reload), so
     * that vmdns_tcp_connections_closed_total never goes back; added by
     * whichever thread frees the server. */
    _Atomic uint64_t tcp_closed_retired[TCP_CLOSE_REASONS];
    char config_sha512[2 * LDNS_SHA512_DIGEST_LENGTH + 1]; /* of the running config file */
    bgjob_list_t jobs; /* drains and frees running off the control thread */
} vmdnsd_t;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The one "ready" line: version, addresses (with the bound ports), workers. */
static void log_ready(const vmdnsd_t *d, const char *what)
{
    if (d->quiet) {
        return;
    }
    char addrs[1024];
    const server_opts_t *o = &d->gen->server_cfg.opts;
    server_describe(d->server, addrs, sizeof(addrs));
    log_info("vmdnsd %s %s: listening on %s (udp+tcp), %u worker%s", VMDNS_VERSION, what, addrs,
             o->workers, o->workers == 1 ? "" : "s");
}

/* How long a drain may wait for TCP clients: their idle timeout, capped. */
static uint32_t drain_ms(const gen_t *g)
{
    uint32_t idle = g->server_cfg.opts.tcp_idle_timeout_ms;
    return idle > 0 && idle < DRAIN_MAX_MS ? idle : DRAIN_MAX_MS;
}

/* main's own metrics (collector in the shared registry). */
static void vmdnsd_collect(void *ctx, metrics_out_t *out)
{
    const vmdnsd_t *d = ctx;
    static const char *const applied[] = {"result", "applied", NULL};
    static const char *const failed[] = {"result", "failed", NULL};
    metrics_family(out, "coredns_reload_failed_total", "counter",
                   "Counter of the number of failed reload attempts.");
    metrics_sample_u64(out, "coredns_reload_failed_total", NULL, d->reloads_failed);
    metrics_family(out, "vmdns_reloads_total", "counter",
                   "Config reloads (SIGHUP or the reload plugin), by result.");
    metrics_sample_u64(out, "vmdns_reloads_total", applied, d->reloads_applied);
    metrics_sample_u64(out, "vmdns_reloads_total", failed, d->reloads_failed);
    metrics_family(out, "vmdns_config_generation", "gauge",
                   "Number of the configuration being served (1 at startup, +1 per reload "
                   "attempt).");
    metrics_sample(out, "vmdns_config_generation", NULL, d->gen != NULL ? d->gen->id : 0);
    uint64_t closed[TCP_CLOSE_REASONS];
    for (int i = 0; i < TCP_CLOSE_REASONS; i++)
        closed[i] = atomic_load(&d->tcp_closed_retired[i]);
    unsigned open = server_tcp_counts(d->server, closed);
    metrics_family(out, "vmdns_tcp_connections_open", "gauge",
                   "TCP connections open now, all workers.");
    metrics_sample(out, "vmdns_tcp_connections_open", NULL, open);
    metrics_family(out, "vmdns_tcp_connections_closed_total", "counter",
                   "TCP connections the server closed or refused, by reason (idle, io_timeout, "
                   "write_timeout, evicted_new, evicted_stalled, refused_full, refused_client).");
    for (int i = 0; i < TCP_CLOSE_REASONS; i++) {
        const char *labels[] = {"reason", tcp_close_reason_names[i], NULL};
        metrics_sample_u64(out, "vmdns_tcp_connections_closed_total", labels, closed[i]);
    }
    if (d->config_sha512[0] != '\0') {
        const char *labels[] = {"hash", "sha512", "value", d->config_sha512, NULL};
        metrics_family(out, "coredns_reload_version_info", "gauge",
                       "A metric with a constant '1' value labeled by hash, and value which type "
                       "of hash generated.");
        metrics_sample(out, "coredns_reload_version_info", labels, 1);
    }
}

/* The SHA-512 of the config file as it is now (coredns_reload_version_info:
 * CoreDNS hashes the Corefile it runs). Empty if it cannot be read. */
static void vmdnsd_hash_config(vmdnsd_t *d)
{
    cfg_error_t err = {{0}};
    size_t len;
    char *text = cfg_read_file(d->ctx.path, &len, &err);
    d->config_sha512[0] = '\0';
    if (text == NULL) {
        return;
    }
    unsigned char digest[LDNS_SHA512_DIGEST_LENGTH];
    ldns_sha512((unsigned char *)text, (unsigned int)len, digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        snprintf(d->config_sha512 + 2 * i, 3, "%02x", digest[i]);
    }
    free(text);
}

/* A server for g whose workers have worker slots of their own (so they never
 * write the kept per-worker state of another running server: core/plugin.h).
 * NULL with a reason in err. */
static server_t *vmdnsd_server_new(vmdnsd_t *d, const gen_t *g, unsigned *slot_base, char *err,
                                   size_t errlen)
{
    server_t *s = server_new(&g->server_cfg.opts, g->view, g->chain, err, errlen);
    if (s == NULL) {
        return NULL;
    }
    if (plugin_slots_claim(&d->shared, server_workers(s), slot_base) != 0) {
        snprintf(err, errlen, "out of memory for the per-worker counters of %u workers",
                 server_workers(s));
        server_free(s);
        return NULL;
    }
    server_set_slot_base(s, *slot_base);
    return s;
}

/* Keep the TCP close counts of a server about to be freed. */
static void vmdnsd_keep_tcp_counts(vmdnsd_t *d, const server_t *s)
{
    uint64_t closed[TCP_CLOSE_REASONS] = {0};
    server_tcp_counts(s, closed);
    for (int i = 0; i < TCP_CLOSE_REASONS; i++)
        atomic_fetch_add(&d->tcp_closed_retired[i], closed[i]);
}

/* Free a server (stopping it if needed) and give its worker slots back. */
static void vmdnsd_server_free(vmdnsd_t *d, server_t *s, unsigned slot_base)
{
    if (s != NULL) {
        unsigned n = server_workers(s);
        server_stop(s);
        vmdnsd_keep_tcp_counts(d, s);
        server_free(s); /* joins the workers: nobody writes their slots any more */
        plugin_slots_release(&d->shared, slot_base, n);
    }
}

/* Make g the running generation for the plugins (and main's collector). */
static void vmdnsd_activate(vmdnsd_t *d, gen_t *g)
{
    const gen_t *prev = d->gen != g ? d->gen : NULL;
    d->gen = g;
    vmdnsd_hash_config(d);
    gen_activate(g, prev, &d->shared);
    metrics_register_collector(&g->plugin.metrics, "vmdnsd", vmdnsd_collect, d);
    httpd_pool_commit(&d->httpd);
}

/* Drop the pending generation of an unfinished reload. */
static void vmdnsd_drop_pending(vmdnsd_t *d)
{
    if (d->pending == NULL) {
        return;
    }
    if (d->pending_timer != NULL) {
        evtimer_del(d->pending_timer);
    }
    gen_free(d->pending);
    d->pending = NULL;
    httpd_pool_abort(&d->httpd);
}

static void vmdnsd_reload(vmdnsd_t *d, const char *why);

/* A replaced generation on its way out. Its server, if the reload started
 * a new one, is drained (up to DRAIN_MAX_MS) and freed on a job thread;
 * then the generation is freed on the control thread (plugin teardown
 * belongs there), and its view, if no generation keeps it, on another job
 * thread (a million names take a while to free). */
typedef struct vmdnsd_retire {
    vmdnsd_t *d;
    gen_t *gen;
    server_t *server; /* NULL: the server was kept (swapped) */
    unsigned slot_base, nworkers;
    uint32_t drain_ms;
} vmdnsd_retire_t;

static void retire_drain(void *arg)
{
    vmdnsd_retire_t *r = arg;
    server_drain(r->server, r->drain_ms); /* the new listeners already answer */
    server_stop(r->server);
    vmdnsd_keep_tcp_counts(r->d, r->server);
    server_free(r->server); /* joins the workers */
}

static void retire_view(void *arg)
{
    view_free(arg);
}

static void retire_done(void *arg)
{
    vmdnsd_retire_t *r = arg;
    if (r->server != NULL) {
        plugin_slots_release(&r->d->shared, r->slot_base, r->nworkers);
    }
    view_t *view = gen_free_but_view(r->gen); /* no worker can reach it any more */
    if (view != NULL) {
        bgjob_run(&r->d->jobs, retire_view, NULL, view);
    }
    free(r);
}

/* Retire `old` (and `server`, its server, when a new one replaced it). */
static void vmdnsd_retire(vmdnsd_t *d, gen_t *old, server_t *server, unsigned slot_base)
{
    vmdnsd_retire_t *r = malloc(sizeof(*r));
    if (r == NULL) { /* no memory to go elsewhere: do it here */
        if (server != NULL) {
            server_drain(server, drain_ms(old));
            vmdnsd_server_free(d, server, slot_base);
        }
        gen_free(old);
        return;
    }
    *r = (vmdnsd_retire_t){
        d, old, server, slot_base, server ? server_workers(server) : 0, drain_ms(old)};
    if (server != NULL) {
        bgjob_run(&d->jobs, retire_drain, retire_done, r);
    } else {
        retire_done(r);
    }
}

/* A reload that got as far as a new generation failed at the switch. */
static void vmdnsd_reload_failed(vmdnsd_t *d, gen_t *g, const char *msg)
{
    gen_free(g);
    httpd_pool_abort(&d->httpd);
    d->reloads_failed++;
    log_error("reload failed, keeping the running configuration: %s", msg);
}

/* Switch the workers to the pending generation and free the old one. */
static void vmdnsd_switch(vmdnsd_t *d)
{
    gen_t *g = d->pending, *old = d->gen;
    server_t *old_server = NULL;
    unsigned old_base = 0;
    d->pending = NULL;
    bool same = gen_same_server(old, g);
    if (same) {
        if (server_swap(d->server, g->view, g->chain) != 0) {
            vmdnsd_reload_failed(d, g, "out of memory");
            goto again;
        }
    } else {
        char msg[256] = "";
        unsigned base = 0;
        server_t *fresh = vmdnsd_server_new(d, g, &base, msg, sizeof(msg));
        if (fresh == NULL || server_start(fresh) != 0) {
            vmdnsd_server_free(d, fresh, base);
            vmdnsd_reload_failed(d, g, msg[0] ? msg : "cannot start the new listeners (see above)");
            goto again;
        }
        old_server = d->server;
        old_base = d->slot_base;
        d->server = fresh;
        d->slot_base = base;
    }
    vmdnsd_activate(d, g);
    vmdnsd_retire(d, old, old_server, old_base); /* drains, frees: off this thread */
    d->reloads_applied++;
    if (same) {
        log_info("reload: configuration %u from %s applied (listeners kept)", g->id, d->ctx.path);
    } else {
        log_ready(d, "reloaded with new listeners");
    }
again:
    if (d->reload_again) {
        d->reload_again = false;
        vmdnsd_reload(d, "asked again during the last reload");
    }
}

/* Switch when the pending generation's plugins are ready, or when waiting
 * longer would keep a config change out for too long. */
static void vmdnsd_poll_pending(vmdnsd_t *d)
{
    char why[512];
    cfg_error_t err = {{0}};
    if (chain_failed(d->pending->chain, &err) != 0) {
        gen_t *g = d->pending;
        d->pending = NULL;
        vmdnsd_reload_failed(d, g, err.msg);
        if (d->reload_again) {
            d->reload_again = false;
            vmdnsd_reload(d, "asked again during the last reload");
        }
        return;
    }
    if (chain_ready(d->pending->chain, why, sizeof(why))) {
        vmdnsd_switch(d);
        return;
    }
    uint64_t waited = now_ms() - d->pending_since_ms;
    if (waited < RELOAD_READY_WAIT_MS) {
        struct timeval tv = {.tv_sec = 0, .tv_usec = RELOAD_POLL_MS * 1000};
        evtimer_add(d->pending_timer, &tv);
        return;
    }
    log_warn("reload: configuration %u not ready after %llus (%s); switching anyway",
             d->pending->id, (unsigned long long)(waited / 1000), why);
    vmdnsd_switch(d);
}

static void on_pending_timer(evutil_socket_t fd, short what, void *arg)
{
    vmdnsd_poll_pending(arg);
}

/* Read the config again into a new generation; see the top of the file. */
static void vmdnsd_reload(vmdnsd_t *d, const char *why)
{
    if (d->stopping) {
        return;
    }
    if (d->pending != NULL) {
        d->reload_again = true;
        log_info("reload (%s): one is still loading; reading the config again after it", why);
        return;
    }
    log_info("reload (%s): reading %s", why, d->ctx.path);
    cfg_error_t err = {{0}};
    httpd_pool_begin(&d->httpd);
    gen_t *g = gen_load(&d->ctx, ++d->last_id, d->gen, &err);
    if (g != NULL && gen_start(g, &d->ctx, &err) != 0) {
        gen_free(g);
        g = NULL;
    }
    if (g == NULL) {
        httpd_pool_abort(&d->httpd);
        d->reloads_failed++;
        log_error("reload failed, keeping the running configuration: %s", err.msg);
        return;
    }
    d->pending = g;
    d->pending_since_ms = now_ms();
    vmdnsd_poll_pending(d);
}

/* SIGHUP and SIGUSR1 (CoreDNS's reload signal, in its systemd unit's
 * ExecReload) read the config again. SIGUSR2 is CoreDNS's graceful binary
 * upgrade (a new process takes the listeners over); vmdnsd reloads the
 * config in place instead, which is what such an upgrade does to the
 * configuration, and keeps running. */
static void on_reload_signal(evutil_socket_t sig, short what, void *arg)
{
    if (sig == SIGUSR2) {
        log_info("SIGUSR2: no binary upgrade in vmdnsd; reloading the configuration instead");
    }
    vmdnsd_reload(arg, sig == SIGHUP ? "SIGHUP" : sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
}

static void on_reload_request(evutil_socket_t fd, short what, void *arg)
{
    vmdnsd_reload(arg, "the config file changed");
}

/* plugin_shared_t.reload: run the reload from main's loop, not inside the
 * plugin's callback (the reload frees that plugin). */
static void request_reload(void *ctx)
{
    vmdnsd_t *d = ctx;
    event_active(d->reload_ev, 0, 0);
}

static void on_lameduck_over(evutil_socket_t fd, short what, void *arg)
{
    vmdnsd_t *d = arg;
    event_base_loopbreak(d->base);
}

/* SIGQUIT: stop at once, as CoreDNS does (no lameduck, no drain), exit 0. */
static void on_sigquit(evutil_socket_t sig, short what, void *arg)
{
    vmdnsd_t *d = arg;
    log_info("SIGQUIT: quitting at once");
    d->stopping = true;
    d->hard_stop = true;
    atomic_store(&d->shared.lameduck, true);
    event_base_loopbreak(d->base);
}

/* SIGTERM/SIGINT: go lameduck (/ready says 503, queries are still
 * answered) for the time the `health` plugin asked for, then stop. A second
 * signal stops at once, without draining. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    vmdnsd_t *d = arg;
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (d->stopping) {
        log_info("caught %s again, stopping now", name);
        d->hard_stop = true;
        event_base_loopbreak(d->base);
        return;
    }
    d->stopping = true;
    atomic_store(&d->shared.lameduck, true);
    vmdnsd_drop_pending(d);
    uint64_t lameduck_ms = d->shared.active != NULL ? d->shared.active->lameduck_ms : 0;
    if (lameduck_ms == 0) {
        log_info("caught %s, shutting down", name);
        event_base_loopbreak(d->base);
        return;
    }
    struct timeval tv = {.tv_sec = (time_t)(lameduck_ms / 1000),
                         .tv_usec = (suseconds_t)(lameduck_ms % 1000) * 1000};
    d->lameduck = evtimer_new(d->base, on_lameduck_over, d);
    if (d->lameduck == NULL || evtimer_add(d->lameduck, &tv) != 0) {
        event_base_loopbreak(d->base);
        return;
    }
    log_info("caught %s, lameduck for %llums, then shutting down", name,
             (unsigned long long)lameduck_ms);
}

/* Signal handlers and main's own events; before the config is read, so a
 * SIGHUP during a long startup does not kill the process. */
static int vmdnsd_events(vmdnsd_t *d)
{
    d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
    d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
    d->sighup = evsignal_new(d->base, SIGHUP, on_reload_signal, d);
    d->sigusr1 = evsignal_new(d->base, SIGUSR1, on_reload_signal, d);
    d->sigusr2 = evsignal_new(d->base, SIGUSR2, on_reload_signal, d);
    d->sigquit = evsignal_new(d->base, SIGQUIT, on_sigquit, d);
    d->reload_ev = event_new(d->base, -1, 0, on_reload_request, d);
    d->pending_timer = evtimer_new(d->base, on_pending_timer, d);
    if (d->sigterm == NULL || d->sigint == NULL || d->sighup == NULL || d->reload_ev == NULL ||
        d->pending_timer == NULL || evsignal_add(d->sigterm, NULL) != 0 ||
        evsignal_add(d->sigint, NULL) != 0 || evsignal_add(d->sighup, NULL) != 0) {
        return -1;
    }
    struct event *more[] = {d->sigusr1, d->sigusr2, d->sigquit};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        if (more[i] == NULL || evsignal_add(more[i], NULL) != 0) {
            return -1;
        }
    }
    d->shared.reload = request_reload;
    d->shared.reload_ctx = d;
    return 0;
}

/* Sockets, workers, plugin start. */
static int vmdnsd_start(vmdnsd_t *d, cfg_error_t *err)
{
    gen_t *g = d->gen;
    d->server = vmdnsd_server_new(d, g, &d->slot_base, err->msg, sizeof(err->msg));
    if (d->server == NULL) {
        return -1;
    }
    if (server_start(d->server) != 0) {
        err->msg[0] = '\0'; /* the server has said why, in one line */
        return -1;
    }
    return gen_start(g, &d->ctx, err);
}

static void vmdnsd_free(vmdnsd_t *d)
{
    bgjob_wait_all(&d->jobs); /* retiring generations first */
    if (d->server != NULL) {
        if (d->hard_stop || d->gen == NULL) {
            server_stop(d->server);
        } else {
            server_drain(d->server, drain_ms(d->gen));
        }
        vmdnsd_server_free(d, d->server, d->slot_base);
    }
    vmdnsd_drop_pending(d);
    d->shared.chain = NULL;
    d->shared.active = NULL;
    gen_free(d->gen);
    plugin_kept_free_all(&d->shared);
    httpd_pool_close(&d->httpd);
    struct event *events[] = {d->lameduck, d->sigterm, d->sigint,    d->sighup,       d->sigusr1,
                              d->sigusr2,  d->sigquit, d->reload_ev, d->pending_timer};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (events[i] != NULL) {
            event_free(events[i]);
        }
    }
    if (d->base != NULL) {
        event_base_free(d->base);
    }
}

/* -pidfile: write our pid (0, or -1 with a logged reason). */
static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        log_fatal("cannot write the pid file %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* -plugins: the compiled-in plugins, listed as CoreDNS lists its own. */
static void list_plugins(void)
{
    printf("Server types:\n  dns\n\nCaddyfile loaders:\n  flag\n  default\n\n"
           "Other plugins:\n");
    for (size_t i = 0; i < plugin_registry_count; i++) {
        const plugin_t *p = plugin_registry[i];
        if (p->directives == NULL) {
            printf("  dns.%s\n", p->name);
            continue;
        }
        for (const char *const *dn = p->directives; *dn != NULL; dn++) {
            printf("  dns.%s\n", *dn);
        }
    }
}

int main(int argc, char **argv)
{
    cli_args_t args;
    char why[512];
    if (cli_args_parse(argc, argv, &args, why, sizeof(why)) != 0) {
        fprintf(stderr, "vmdnsd: %s\n", why);
        cli_usage(stderr);
        return EXIT_USAGE;
    }
    switch (args.action) {
    case CLI_VERSION:
        printf("vmdnsd %s\n", VMDNS_VERSION);
        return 0;
    case CLI_HELP:
        cli_usage(stdout);
        return 0;
    case CLI_PLUGINS:
        list_plugins();
        return 0;
    case CLI_RUN:
        break;
    }
    const char *path = args.path;
    gen_format_t format = args.corefile ? GEN_COREFILE : GEN_YAML;
    bool check_only = args.check_only;
    if (args.path_defaulted && access(path, F_OK) != 0) {
        fprintf(stderr, "vmdnsd: no config file given and no ./Corefile here (give -conf FILE or "
                        "--config FILE)\n");
        cli_usage(stderr);
        return EXIT_USAGE;
    }

    signal(SIGPIPE, SIG_IGN);
    if (!check_only)
        fdlimit_raise(); /* server/fdlimit.h */
    evthread_use_pthreads();
    rcu_register_thread();

    vmdnsd_t d = {0};
    cfg_error_t err = {{0}};
    int rc = 0;
    d.base = event_base_new();
    d.jobs.base = d.base;
    d.quiet = args.quiet;
    d.ctx = (gen_ctx_t){path, format, d.base, &d.shared, &d.httpd, check_only, args.dns_port};
    bool pidfile = false;
    if (d.base == NULL || (!check_only && vmdnsd_events(&d) != 0)) {
        log_fatal("cannot set up the control loop and signal handlers");
        rc = EXIT_FAILURE;
    } else if ((d.gen = gen_load(&d.ctx, ++d.last_id, NULL, &err)) == NULL) {
        log_fatal("%s", err.msg);
        rc = EXIT_CONFIG;
    } else if (check_only) {
        printf("%s: configuration OK\n", path);
    } else if (vmdnsd_start(&d, &err) != 0) {
        if (err.msg[0] != '\0') {
            log_fatal("%s", err.msg);
        }
        d.hard_stop = true;
        rc = EXIT_FAILURE;
    } else if (args.pidfile != NULL && write_pidfile(args.pidfile) != 0) {
        d.hard_stop = true;
        rc = EXIT_FAILURE;
    } else {
        pidfile = args.pidfile != NULL;
        vmdnsd_activate(&d, d.gen);
        log_ready(&d, "ready");
        log_started(); /* from here on, errors are operational: stdout */
        event_base_dispatch(d.base);
        if (!d.hard_stop) {
            log_info("draining: answering what TCP clients sent (up to %ums)", drain_ms(d.gen));
        }
    }
    vmdnsd_free(&d);
    if (pidfile) {
        unlink(args.pidfile);
    }
    rcu_unregister_thread();
    if (rc == 0 && !check_only) {
        log_info("stopped");
    }
    return rc;
}
