/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c - the `log` plugin: one line per query, CoreDNS's default format.
 *
 *   log: true                       # every query
 *   log: {class: [denial, error]}   # or: all | success | denial | error
 *   log: {names: [example.com.], format: "{remote} {name} {rcode}"}
 *   Corefile: log [NAMES...] [FORMAT] [{ class CLASS... }]   (several class
 *             lines add up; `stdout`, CoreDNS's old output argument, is
 *             where the lines go anyway)
 *
 * NAMES: only queries for names in these zones are logged (default: all).
 * FORMAT: CoreDNS's placeholders, {common} (the default) or {combined}
 * (logformat.h).
 *
 * Workers must never wait on a terminal or a pipe, so the `done` hook only
 * formats the line (logfmt.c) into the worker's own ring (ring.c); one
 * writer thread drains every ring to stdout. When the output is slower than
 * the queries, a full ring drops lines instead of blocking: the drops are
 * counted (vmdns_log_lines_dropped_total on /metrics) and reported every
 * 10 seconds in the server log. Lines still in the rings at shutdown are
 * written by teardown, after the workers have stopped.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/plugin.h"
#include "dns/name.h"
#include "log/logfmt.h"
#include "log/logformat.h"
#include "log/ring.h"

#define QLOG_RING_BYTES (512u * 1024u)
#define QLOG_IDLE_NS    (10 * 1000 * 1000) /* writer sleep when all rings are empty */
#define QLOG_REPORT_NS  10000000000ull     /* drop report interval */

#define QLOG_MAX_NAMES 32

/* The zones whose queries are logged (none: every query). */
typedef struct qlog_names {
    size_t n;
    uint8_t len[QLOG_MAX_NAMES];
    uint8_t wire[QLOG_MAX_NAMES][NAME_MAX_WIRE];
} qlog_names_t;

typedef struct qlog {
    unsigned classes; /* LOGFMT_CLASS_* bits to log */
    qlog_names_t names;
    bool custom; /* format set: render it (else CoreDNS's default line) */
    logformat_t format;
    unsigned nrings;
    log_ring_t *rings; /* one per worker */
    int fd;            /* output (stdout) */
    pthread_t writer;
    bool writer_running;
    atomic_bool stop;
    uint64_t reported_drops; /* writer thread only */
} qlog_t;

static uint64_t qlog_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void qlog_done(void *state, request_t *req)
{
    qlog_t *l = state;
    if (l == NULL || req->worker >= l->nrings || !(logfmt_classify(req) & l->classes)) {
        return;
    }
    if (l->names.n > 0) {
        bool in = false;
        for (size_t i = 0; i < l->names.n && !in; i++) {
            in = req->q->has_question && name_is_below_or_equal(req->q->qname, req->q->qname_len,
                                                                l->names.wire[i], l->names.len[i]);
        }
        if (!in) {
            return;
        }
    }
    char line[LOGFMT_LINE_MAX];
    size_t len = l->custom ? logformat_render(&l->format, req, qlog_now_ns(), line, sizeof(line))
                           : logfmt_line(req, qlog_now_ns(), line, sizeof(line));
    if (len > 0) {
        log_ring_put(&l->rings[req->worker], line, len);
    }
}

/* Write everything the rings hold. Returns the bytes written (or that
 * could not be written because the output is gone). */
static size_t qlog_drain(qlog_t *l)
{
    size_t total = 0;
    for (unsigned i = 0; i < l->nrings; i++) {
        struct iovec iov[2];
        size_t len = log_ring_peek(&l->rings[i], iov);
        if (len == 0) {
            continue;
        }
        ssize_t n = writev(l->fd, iov, iov[1].iov_len > 0 ? 2 : 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* A broken output is not a reason to stop the workers: discard. */
        size_t done = n < 0 ? len : (size_t)n;
        log_ring_consume(&l->rings[i], done);
        total += done;
    }
    return total;
}

static uint64_t qlog_dropped(const qlog_t *l)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < l->nrings; i++) {
        sum += log_ring_dropped(&l->rings[i]);
    }
    return sum;
}

static void qlog_report_drops(qlog_t *l)
{
    uint64_t dropped = qlog_dropped(l);
    if (dropped > l->reported_drops) {
        log_warn("plugin/log: %llu query log lines dropped (output slower than the queries)",
                 (unsigned long long)(dropped - l->reported_drops));
        l->reported_drops = dropped;
    }
}

static void *qlog_writer(void *arg)
{
    qlog_t *l = arg;
    uint64_t next_report = qlog_now_ns() + QLOG_REPORT_NS;
    while (!atomic_load(&l->stop)) {
        if (qlog_drain(l) == 0) {
            struct timespec idle = {0, QLOG_IDLE_NS};
            nanosleep(&idle, NULL);
        }
        uint64_t now = qlog_now_ns();
        if (now >= next_report) {
            qlog_report_drops(l);
            next_report = now + QLOG_REPORT_NS;
        }
    }
    return NULL;
}

static void qlog_collect(void *ctx, metrics_out_t *out)
{
    const qlog_t *l = ctx;
    metrics_family(out, "vmdns_log_lines_dropped_total", "counter",
                   "Query log lines dropped because the output was slower than the queries.");
    metrics_sample_u64(out, "vmdns_log_lines_dropped_total", NULL, qlog_dropped(l));
}

static int qlog_start(void *state)
{
    qlog_t *l = state;
    if (l == NULL) {
        return 0;
    }
    /* The writer takes no signals: they belong to the control thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&l->writer, NULL, qlog_writer, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_error("plugin/log: cannot start the writer thread: %s", strerror(rc));
        return -1;
    }
    l->writer_running = true;
    return 0;
}

static void qlog_teardown(void *state)
{
    qlog_t *l = state;
    if (l == NULL) {
        return;
    }
    if (l->writer_running) {
        atomic_store(&l->stop, true);
        pthread_join(l->writer, NULL);
    }
    if (l->rings != NULL) {
        /* The workers have stopped: what is left is written now. */
        while (qlog_drain(l) > 0) {
        }
        qlog_report_drops(l);
        for (unsigned i = 0; i < l->nrings; i++) {
            log_ring_free(&l->rings[i]);
        }
        free(l->rings);
    }
    free(l);
}

/* One class name into bits. */
static int qlog_class(const cfg_node_t *n, unsigned *bits, cfg_error_t *err)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {{"all", LOGFMT_CLASS_ALL},
                 {"success", LOGFMT_CLASS_SUCCESS},
                 {"denial", LOGFMT_CLASS_DENIAL},
                 {"error", LOGFMT_CLASS_ERROR}};
    const char *s;
    if (cfg_string(n, &s, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *bits |= names[i].bits;
            return 0;
        }
    }
    return cfg_fail(err, n, "log: unknown class '%s' (all, success, denial or error)", s);
}

/* `names:` (a zone or a list of zones). */
static int qlog_read_names(cfg_node_t *n, qlog_names_t *names, cfg_error_t *err)
{
    size_t count = n->kind == CFG_SEQ ? n->n : 1;
    for (size_t i = 0; i < count; i++) {
        cfg_node_t *item = n->kind == CFG_SEQ ? n->items[i] : n;
        const char *s;
        if (cfg_string(item, &s, err) != 0) {
            return -1;
        }
        if (names->n == QLOG_MAX_NAMES) {
            return cfg_fail(err, item, "log: names: at most %d", QLOG_MAX_NAMES);
        }
        size_t len = s[0] != '\0' ? name_from_text(s, names->wire[names->n]) : 0;
        if (len == 0) {
            return cfg_fail(err, item, "log: names: bad zone name '%s'", s);
        }
        if (len == 1) { /* the root: every query */
            names->n = 0;
            return 0;
        }
        names->len[names->n++] = (uint8_t)len;
    }
    return 0;
}

/* `log: true|false` or `log: {class: NAME | [NAME, ...], names: [...],
 * format: TEXT}`. */
static int qlog_read_config(cfg_node_t *cfg, unsigned *classes, qlog_names_t *names, bool *custom,
                            logformat_t *format, cfg_error_t *err)
{
    *classes = LOGFMT_CLASS_ALL;
    memset(names, 0, sizeof(*names));
    *custom = false;
    if (cfg->kind == CFG_SCALAR) {
        bool on;
        if (cfg_bool(cfg, &on, err) != 0) {
            return -1;
        }
        *classes = on ? LOGFMT_CLASS_ALL : 0;
        return 0;
    }
    if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg,
                        "log: expected true/false or {class: [all|success|denial|error]}");
    }
    cfg_node_t *nm = cfg_get(cfg, "names");
    if (nm != NULL && qlog_read_names(nm, names, err) != 0) {
        return -1;
    }
    cfg_node_t *fm = cfg_get(cfg, "format");
    if (fm != NULL) {
        const char *text;
        char why[200];
        if (cfg_string(fm, &text, err) != 0) {
            return -1;
        }
        if (logformat_compile(text, format, why, sizeof(why)) != 0) {
            return cfg_fail(err, fm, "%s", why);
        }
        *custom = true;
    }
    cfg_node_t *c = cfg_get(cfg, "class");
    if (c == NULL) {
        return 0;
    }
    *classes = 0;
    if (c->kind != CFG_SEQ) {
        return qlog_class(c, classes, err);
    }
    if (c->n == 0) {
        return cfg_fail(err, c, "log: class: give at least one class");
    }
    for (size_t i = 0; i < c->n; i++) {
        if (qlog_class(c->items[i], classes, err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The parsed `log:` section. */
typedef struct qlog_conf {
    unsigned classes; /* 0: `log: false` */
    qlog_names_t names;
    bool custom;
    logformat_t format;
    unsigned workers; /* rings to allocate (resolved: never 0) */
    cfg_pos_t at;
} qlog_conf_t;

static int qlog_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                      cfg_error_t *err)
{
    qlog_conf_t c = {0};
    if (qlog_read_config(cfg, &c.classes, &c.names, &c.custom, &c.format, err) != 0) {
        return -1;
    }
    c.workers = penv->workers;
    if (c.workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c.workers = n > 0 ? (unsigned)n : 1;
    }
    cfg_pos_of(cfg, &c.at);
    qlog_conf_t *out = malloc(sizeof(*out));
    if (out == NULL) {
        return cfg_fail(err, cfg, "log: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

static bool qlog_conf_equal(const void *a, const void *b)
{
    const qlog_conf_t *x = a, *y = b;
    return x->classes == y->classes && x->workers == y->workers && x->custom == y->custom &&
           memcmp(&x->names, &y->names, sizeof(x->names)) == 0 &&
           (!x->custom || memcmp(&x->format, &y->format, sizeof(x->format)) == 0);
}

static int qlog_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const qlog_conf_t *c = conf;
    *state = NULL;
    if (c->classes == 0) {
        return 0; /* `log: false` */
    }
    qlog_t *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->rings = calloc(c->workers, sizeof(*l->rings))) == NULL) {
        free(l);
        return cfg_fail_pos(err, &c->at, "log: out of memory");
    }
    l->classes = c->classes;
    l->names = c->names;
    l->custom = c->custom;
    l->format = c->format;
    l->fd = STDOUT_FILENO;
    l->nrings = c->workers;
    for (unsigned i = 0; i < c->workers; i++) {
        if (log_ring_init(&l->rings[i], QLOG_RING_BYTES) != 0) {
            l->nrings = i;
            qlog_teardown(l);
            return cfg_fail_pos(err, &c->at, "log: out of memory");
        }
    }
    *state = l;
    return 0;
}

/* `log [NAMES...] [FORMAT] [{ class CLASS... }]` in a Corefile: `log:
 * true` or `log: {names: [...], format: TEXT, class: [CLASS, ...]}`. As
 * CoreDNS reads it: with two arguments or more, the last is the format if
 * it has a '{'; vmdnsd also takes a single argument with a '{' as the
 * format (CoreDNS would make it a name no query has). `stdout` is dropped
 * (CoreDNS's old `log [NAME] [stdout] [FORMAT]`). Several class lines add
 * up. */
static int qlog_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    size_t nnames = d->nargs;
    const cf_token_t *fmt = NULL;
    if (nnames > 0 && strchr(d->args[nnames - 1].text, '{') != NULL) {
        fmt = &d->args[--nnames];
    }
    bool named = false;
    for (size_t i = 0; i < nnames; i++) {
        named =
            named || (strcmp(d->args[i].text, "stdout") != 0 && strcmp(d->args[i].text, ".") != 0);
    }
    if (!d->block && !named && fmt == NULL) {
        return cf_put(cf_root(ctx), "log", d->name, "true", err);
    }
    cfg_node_t *m = cf_put_node(cf_root(ctx), "log", d->name, CFG_MAP, err);
    if (m == NULL) {
        return -1;
    }
    if (named) {
        cfg_node_t *seq = cf_put_node(m, "names", d->name, CFG_SEQ, err);
        if (seq == NULL) {
            return -1;
        }
        for (size_t i = 0; i < nnames; i++) {
            char zone[CF_ZONE_TEXT];
            if (strcmp(d->args[i].text, "stdout") == 0 || strcmp(d->args[i].text, ".") == 0) {
                continue;
            }
            if (cf_zone_name(&d->args[i], d->args[i].text, zone, err) != 0 ||
                cf_add(seq, &d->args[i], zone, err) != 0) {
                return -1;
            }
        }
    }
    if (fmt != NULL && cf_put(m, "format", fmt, fmt->text, err) != 0) {
        return -1;
    }
    cf_line_t l;
    cfg_node_t *seq = NULL;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        const cf_token_t *t = l.opt;
        if (strcmp(t->text, "class") != 0) {
            return cf_fail(err, t, "log: unknown option '%s'", t->text);
        }
        if (l.nargs == 0) {
            return cf_fail(err, t, "log: class needs at least one class");
        }
        if (seq == NULL && (seq = cf_put_node(m, "class", t, CFG_SEQ, err)) == NULL) {
            return -1;
        }
        for (size_t k = 0; k < l.nargs; k++) {
            if (cf_add(seq, &l.args[k], l.args[k].text, err) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Our counter on the /metrics of each configuration the instance serves. */
static void qlog_join(void *state, const void *conf, const plugin_env_t *env)
{
    if (state != NULL && env->gen != NULL) {
        metrics_register_collector(&env->gen->metrics, "log", qlog_collect, state);
    }
}

const plugin_t plugin_log = {
    .name = "log",
    .config_key = "log",
    .parse = qlog_parse,
    .conf_equal = qlog_conf_equal,
    .conf_free = free,
    .setup = qlog_setup,
    .corefile = qlog_corefile,
    .join = qlog_join,
    .start = qlog_start,
    .done = qlog_done,
    .teardown = qlog_teardown,
};
