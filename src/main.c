/*
 * main.c - vmdnsd: read the config, load the plugins, serve until told to
 * stop.
 *
 * The main thread is the control thread: it owns a libevent event_base on
 * which plugins hang their timers and HTTP endpoints, and on which SIGTERM
 * and SIGINT are caught. Startup runs in a fixed order, and any failure is
 * reported as one line ("FILE:LINE: problem") with a non-zero exit:
 *
 *   config (YAML) -> server options -> view -> plugins (load their data)
 *   -> unknown-key check -> sockets and workers -> plugin start -> ready
 *
 * Shutdown is the reverse: (after an optional lameduck period, during which
 * /ready fails but queries are answered) stop and join the workers, tear
 * the plugins down, free the view. `--check-config` stops after the unknown-key check.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "config/cfg.h"
#include "config/server_config.h"
#include "core/chain.h"
#include "core/log.h"
#include "server/server.h"
#include "view/view.h"

enum { EXIT_CONFIG = 1, EXIT_USAGE = 2 };

/* Everything the process owns, torn down in reverse order by vmdnsd_free. */
typedef struct vmdnsd {
    cfg_node_t *cfg;
    cfg_server_t server_cfg;
    plugin_shared_t shared; /* what the plugins share with main (plugin.h) */
    view_t *view;
    struct event_base *base;
    chain_t *chain;
    server_t *server;
    struct event *sigterm;
    struct event *sigint;
    struct event *lameduck; /* timer: end of the lameduck period */
} vmdnsd_t;

static void usage(FILE *out)
{
    fprintf(out, "usage: vmdnsd --config FILE      serve (also -c FILE)\n"
                 "       vmdnsd --check-config FILE check FILE and its zone files, then exit\n"
                 "       vmdnsd --version | --help\n"
                 "\n"
                 "vmdnsd is an authoritative DNS server for short-lived VM names; see\n"
                 "config/vmdns.yaml for a commented configuration.\n");
}

static void on_lameduck_over(evutil_socket_t fd, short what, void *arg)
{
    vmdnsd_t *d = arg;
    event_base_loopbreak(d->base);
}

/* SIGTERM/SIGINT: go lameduck (/ready says 503, queries are still
 * answered) for the time the `health` plugin asked for, then stop. A second
 * signal stops at once. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    vmdnsd_t *d = arg;
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (atomic_exchange(&d->shared.lameduck, true) || d->shared.lameduck_ms == 0) {
        log_info("caught %s, shutting down", name);
        event_base_loopbreak(d->base);
        return;
    }
    struct timeval tv = {.tv_sec = (time_t)(d->shared.lameduck_ms / 1000),
                         .tv_usec = (suseconds_t)(d->shared.lameduck_ms % 1000) * 1000};
    d->lameduck = evtimer_new(d->base, on_lameduck_over, d);
    if (d->lameduck == NULL || evtimer_add(d->lameduck, &tv) != 0) {
        event_base_loopbreak(d->base);
        return;
    }
    log_info("caught %s, lameduck for %llums, then shutting down", name,
             (unsigned long long)d->shared.lameduck_ms);
}

static void vmdnsd_free(vmdnsd_t *d)
{
    if (d->server != NULL) {
        server_stop(d->server);
        server_free(d->server);
    }
    d->shared.chain = NULL;
    chain_free(d->chain);
    view_free(d->view);
    if (d->lameduck != NULL) {
        event_free(d->lameduck);
    }
    if (d->sigterm != NULL) {
        event_free(d->sigterm);
    }
    if (d->sigint != NULL) {
        event_free(d->sigint);
    }
    if (d->base != NULL) {
        event_base_free(d->base);
    }
    cfg_server_free(&d->server_cfg);
    cfg_free(d->cfg);
}

/* Config, view, plugins and the unknown-key check: everything that
 * --check-config validates. Returns 0 or -1 with err filled. */
static int vmdnsd_load(vmdnsd_t *d, const char *path, bool check_only, cfg_error_t *err)
{
    d->cfg = cfg_load_yaml(path, err);
    if (d->cfg == NULL || cfg_server_read(d->cfg, &d->server_cfg, err) != 0) {
        return -1;
    }
    d->view = view_new();
    d->base = event_base_new();
    if (d->view == NULL || d->base == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    plugin_env_t env = {
        .view = d->view,
        .control = d->base,
        .workers = d->server_cfg.opts.workers,
        .limits = &d->server_cfg.opts.limits,
        .check_only = check_only,
        .shared = &d->shared,
        .listen = d->server_cfg.opts.listen,
        .nlisten = d->server_cfg.opts.nlisten,
    };
    d->chain = chain_new(&env, d->cfg, err);
    if (d->chain == NULL || cfg_check_unused(d->cfg, err) != 0) {
        return -1;
    }
    d->shared.chain = d->chain;
    return 0;
}

/* Sockets, workers, plugin start, signal handlers. */
static int vmdnsd_start(vmdnsd_t *d, cfg_error_t *err)
{
    d->server = server_new(&d->server_cfg.opts, d->view, d->chain, err->msg, sizeof(err->msg));
    if (d->server == NULL) {
        return -1;
    }
    if (server_start(d->server) != 0) {
        err->msg[0] = '\0'; /* the server has said why, in one line */
        return -1;
    }
    if (chain_start(d->chain, err) != 0) {
        return -1;
    }
    d->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
    d->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
    if (d->sigterm == NULL || d->sigint == NULL || evsignal_add(d->sigterm, NULL) != 0 ||
        evsignal_add(d->sigint, NULL) != 0) {
        snprintf(err->msg, sizeof(err->msg), "cannot install signal handlers");
        return -1;
    }
    return 0;
}

/* The one "ready" line: version, addresses (with the bound ports), workers. */
static void log_ready(const vmdnsd_t *d)
{
    char addrs[1024] = "";
    size_t off = 0;
    const server_opts_t *o = &d->server_cfg.opts;
    for (size_t i = 0; i < o->nlisten && off < sizeof(addrs); i++) {
        const char *a = o->listen[i];
        const char *colon = strrchr(a, ':');
        int n = snprintf(addrs + off, sizeof(addrs) - off, "%s%.*s:%u", i ? ", " : "",
                         colon ? (int)(colon - a) : (int)strlen(a), a,
                         (unsigned)server_bound_port(d->server, i));
        off += n < 0 ? 0 : (size_t)n;
    }
    log_info("vmdnsd %s ready: listening on %s (udp+tcp), %u worker%s", VMDNS_VERSION, addrs,
             o->workers, o->workers == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    bool check_only = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case 'C':
            if (path != NULL) {
                fprintf(stderr, "vmdnsd: give one config file\n");
                return EXIT_USAGE;
            }
            path = optarg;
            check_only = c == 'C';
            break;
        case 'V':
            printf("vmdnsd %s\n", VMDNS_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (path == NULL || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }

    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    rcu_register_thread();

    vmdnsd_t d = {0};
    cfg_error_t err = {{0}};
    int rc = 0;
    if (vmdnsd_load(&d, path, check_only, &err) != 0) {
        log_error("%s", err.msg);
        rc = EXIT_CONFIG;
    } else if (check_only) {
        printf("%s: configuration OK\n", path);
    } else if (vmdnsd_start(&d, &err) != 0) {
        if (err.msg[0] != '\0') {
            log_error("%s", err.msg);
        }
        rc = EXIT_FAILURE;
    } else {
        log_ready(&d);
        event_base_dispatch(d.base);
    }
    vmdnsd_free(&d);
    rcu_unregister_thread();
    if (rc == 0 && !check_only) {
        log_info("stopped");
    }
    return rc;
}
