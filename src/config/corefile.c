/*
 * corefile.c - Corefile server blocks and directives to the config tree.
 *
 * The lexer (corefile_lex.c) hands over one flat list of tokens with
 * imports and snippets already expanded; this file gives them meaning.
 * A Corefile is a list of server blocks:
 *
 *   vm.example.com example.com:5300 {     # keys: zones, each with a port
 *       bind 127.0.0.1 ::1                # directives: a name, arguments,
 *       health :8080 {                    # and an optional block of
 *           lameduck 5s                   # sub-directive lines
 *       }
 *   }
 *
 * and each directive becomes the node a YAML user would have written (see
 * corefile.h for the table). Nodes carry the Corefile's file and line, so
 * a plugin rejecting a value reports it at the right place; the Corefile
 * names of things are checked here (unknown directive, unknown option,
 * wrong number of arguments).
 *
 * vmdnsd runs one plugin chain over one view, so what CoreDNS configures
 * per server block is merged: the listen addresses of all blocks are
 * served, zones of all `file` and `redis` directives are in the view, and
 * a chain-wide directive repeated in several blocks must say the same
 * thing each time (the usual `prometheus :9153` in every block is fine;
 * two different addresses are an error rather than a silent choice).
 */
#include "config/corefile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "config/corefile_lex.h"
#include "core/log.h"
#include "dns/name.h"

#define CF_DEFAULT_PORT 53
#define CF_MAX_SINGLES  16
#define CF_ZONE_TEXT    (NAME_MAX_WIRE * 4 + 2)

/* One key of a server block: a zone and the port to serve it on. */
typedef struct cf_key {
    char zone[CF_ZONE_TEXT];
    unsigned port;
    const cf_token_t *at;
} cf_key_t;

/* What one server block has said so far. */
typedef struct cf_block {
    cf_key_t *keys;
    size_t nkeys;
    const cf_token_t **binds; /* arguments of every `bind` line */
    size_t nbinds;
} cf_block_t;

/* A chain-wide directive seen already, and what it said. */
typedef struct cf_single {
    const char *name;
    char sig[1024];
    const cf_token_t *at;
} cf_single_t;

typedef struct cf_parser {
    const cf_tokens_t *toks;
    size_t pos;
    cfg_node_t *root;
    cfg_error_t *err;
    cfg_node_t *listen; /* root sections, made on first use */
    cfg_node_t *zones;
    cfg_node_t *redis;
    cfg_node_t *backends;
    unsigned nredis;
    cf_single_t singles[CF_MAX_SINGLES];
    size_t nsingles;
    bool cache_noted;
} cf_parser_t;

/* One directive: its name, its arguments (consecutive tokens) and, if it
 * has a block, the token range inside the braces. */
typedef struct cf_dir {
    const cf_token_t *name;
    const cf_token_t *args;
    size_t nargs;
    bool block;
    size_t bstart, bend;
} cf_dir_t;

static int cf_fail(cfg_error_t *err, const cf_token_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cf_fail(cfg_error_t *err, const cf_token_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, at->file, at->line, fmt, ap);
    va_end(ap);
    return -1;
}

static int cf_oom(cf_parser_t *p, const cf_token_t *at)
{
    return cf_fail(p->err, at, "out of memory");
}

/* ---- tree helpers ---- */

static cfg_node_t *cf_scalar(const cf_token_t *at, const char *text)
{
    return cfg_new_node(CFG_SCALAR, at->file, at->line, text);
}

/* Add a scalar `key: text` to map, at the token's line. */
static int cf_put(cf_parser_t *p, cfg_node_t *map, const char *key, const cf_token_t *at,
                  const char *text)
{
    if (cfg_map_add(map, key, at->line, cf_scalar(at, text)) != 0) {
        return cf_oom(p, at);
    }
    return 0;
}

/* Add an empty map or list under key; returns it (NULL: out of memory). */
static cfg_node_t *cf_put_node(cf_parser_t *p, cfg_node_t *map, const char *key,
                               const cf_token_t *at, cfg_kind_t kind)
{
    cfg_node_t *n = cfg_new_node(kind, at->file, at->line, NULL);
    if (cfg_map_add(map, key, at->line, n) != 0) {
        cf_oom(p, at);
        return NULL;
    }
    return n;
}

/* ---- reading directives ---- */

/* Read the directive at p->pos (name, arguments on its line, optional
 * block) and move past it. */
static int cf_read_dir(cf_parser_t *p, cf_dir_t *d)
{
    const cf_tokens_t *T = p->toks;
    size_t i = p->pos;
    memset(d, 0, sizeof(*d));
    d->name = &T->t[i++];
    if (cf_is_open(d->name)) {
        return cf_fail(p->err, d->name, "unexpected '{'");
    }
    d->args = &T->t[i];
    while (i < T->n && !T->t[i].bol && !cf_is_open(&T->t[i]) && !cf_is_close(&T->t[i])) {
        i++;
        d->nargs++;
    }
    if (i < T->n && cf_is_open(&T->t[i])) {
        if (T->t[i].bol) {
            return cf_fail(p->err, &T->t[i], "'{' must be on the line of its directive");
        }
        d->block = true;
        d->bstart = ++i;
        while (i < T->n && !cf_is_close(&T->t[i])) {
            if (cf_is_open(&T->t[i])) {
                return cf_fail(p->err, &T->t[i], "%s: nested blocks are not supported",
                               d->name->text);
            }
            i++;
        }
        if (i >= T->n) {
            return cf_fail(p->err, d->name, "%s: the block has no closing '}'", d->name->text);
        }
        d->bend = i++;
    }
    p->pos = i;
    return 0;
}

/* The next line of a block, from index i: its first token and argument
 * count. Returns the index after the line. */
static size_t cf_block_line(const cf_parser_t *p, const cf_dir_t *d, size_t i, size_t *nargs)
{
    size_t j = i + 1;
    while (j < d->bend && !p->toks->t[j].bol) {
        j++;
    }
    *nargs = j - i - 1;
    return j;
}

static int cf_no_block(cf_parser_t *p, const cf_dir_t *d)
{
    return d->block ? cf_fail(p->err, d->name, "%s: takes no block", d->name->text) : 0;
}

static int cf_max_args(cf_parser_t *p, const cf_dir_t *d, size_t max)
{
    if (d->nargs > max) {
        return cf_fail(p->err, &d->args[max], "%s: too many arguments (at most %zu)", d->name->text,
                       max);
    }
    return 0;
}

/* A chain-wide directive: 1 if it was seen before with the same text (skip
 * it), 0 if it is new, -1 if it was seen with different text. */
static int cf_single(cf_parser_t *p, const cf_dir_t *d)
{
    char sig[1024];
    size_t off = 0;
    const cf_token_t *end = d->block ? &p->toks->t[d->bend] : d->args + d->nargs;
    for (const cf_token_t *t = d->args; t < end && off < sizeof(sig); t++) {
        int n = snprintf(sig + off, sizeof(sig) - off, "%s%s\x1f", t->bol ? "\n" : "", t->text);
        off += n < 0 ? 0 : (size_t)n;
    }
    if (off >= sizeof(sig)) {
        off = sizeof(sig) - 1;
    }
    sig[off] = '\0';
    for (size_t i = 0; i < p->nsingles; i++) {
        cf_single_t *s = &p->singles[i];
        if (strcmp(s->name, d->name->text) != 0) {
            continue;
        }
        if (strcmp(s->sig, sig) == 0) {
            return 1;
        }
        return cf_fail(p->err, d->name,
                       "%s: differs from the one on %s:%d (vmdnsd has one plugin chain for all "
                       "server blocks: give it once, or the same everywhere)",
                       d->name->text, s->at->file, s->at->line);
    }
    if (p->nsingles == CF_MAX_SINGLES) {
        return cf_fail(p->err, d->name, "too many directives");
    }
    cf_single_t *s = &p->singles[p->nsingles++];
    s->name = d->name->text;
    s->at = d->name;
    memcpy(s->sig, sig, off + 1);
    return 0;
}

/* prometheus [ADDR] / ready [ADDR]: {listen: ADDR} under `key`. */
static int cf_http(cf_parser_t *p, const cf_dir_t *d, const char *key)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(p, d) != 0 || cf_max_args(p, d, 1) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(p, p->root, key, d->name, CFG_MAP);
    if (m == NULL) {
        return -1;
    }
    return d->nargs == 1 ? cf_put(p, m, "listen", &d->args[0], d->args[0].text) : 0;
}

/* health [ADDR] { lameduck DURATION } */
static int cf_health(cf_parser_t *p, const cf_dir_t *d)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_max_args(p, d, 1) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(p, p->root, "health", d->name, CFG_MAP);
    if (m == NULL || (d->nargs == 1 && cf_put(p, m, "listen", &d->args[0], d->args[0].text))) {
        return -1;
    }
    for (size_t i = d->bstart, next, n; d->block && i < d->bend; i = next) {
        const cf_token_t *t = &p->toks->t[i];
        next = cf_block_line(p, d, i, &n);
        if (strcmp(t->text, "lameduck") != 0) {
            return cf_fail(p->err, t, "health: unknown option '%s'", t->text);
        }
        if (n != 1) {
            return cf_fail(p->err, t, "health: lameduck takes one duration (e.g. 5s)");
        }
        if (cfg_peek(m, "lameduck") != NULL) {
            return cf_fail(p->err, t, "health: lameduck given twice");
        }
        if (cf_put(p, m, "lameduck", t + 1, t[1].text) != 0) {
            return -1;
        }
    }
    return 0;
}

/* log [.] [{ class CLASS... }] */
static int cf_log(cf_parser_t *p, const cf_dir_t *d)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (d->nargs > 1 || (d->nargs == 1 && strcmp(d->args[0].text, ".") != 0)) {
        return cf_fail(p->err, d->name,
                       "log: names and formats are not supported (vmdnsd logs every query in "
                       "CoreDNS's default format; use `log { class ... }` to filter)");
    }
    if (!d->block) {
        return cf_put(p, p->root, "log", d->name, "true");
    }
    cfg_node_t *m = cf_put_node(p, p->root, "log", d->name, CFG_MAP);
    if (m == NULL) {
        return -1;
    }
    for (size_t i = d->bstart, next, n; i < d->bend; i = next) {
        const cf_token_t *t = &p->toks->t[i];
        next = cf_block_line(p, d, i, &n);
        if (strcmp(t->text, "class") != 0) {
            return cf_fail(p->err, t, "log: unknown option '%s'", t->text);
        }
        if (n == 0) {
            return cf_fail(p->err, t, "log: class needs at least one class");
        }
        if (cfg_peek(m, "class") != NULL) {
            return cf_fail(p->err, t, "log: class given twice");
        }
        cfg_node_t *seq = cf_put_node(p, m, "class", t, CFG_SEQ);
        if (seq == NULL) {
            return -1;
        }
        for (size_t k = 1; k <= n; k++) {
            if (cfg_seq_add(seq, cf_scalar(&t[k], t[k].text)) != 0) {
                return cf_oom(p, t);
            }
        }
    }
    return 0;
}

/* errors [{ consolidate DURATION }] */
static int cf_errors(cf_parser_t *p, const cf_dir_t *d)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_max_args(p, d, 0) != 0) {
        return -1;
    }
    if (!d->block) {
        return cf_put(p, p->root, "errors", d->name, "true");
    }
    cfg_node_t *m = cf_put_node(p, p->root, "errors", d->name, CFG_MAP);
    if (m == NULL) {
        return -1;
    }
    for (size_t i = d->bstart, next, n; i < d->bend; i = next) {
        const cf_token_t *t = &p->toks->t[i];
        next = cf_block_line(p, d, i, &n);
        if (strcmp(t->text, "consolidate") != 0) {
            return cf_fail(p->err, t, "errors: unknown option '%s'", t->text);
        }
        if (n != 1) {
            return cf_fail(p->err, t,
                           "errors: consolidate takes one duration (vmdnsd consolidates every "
                           "repeated error; patterns are not supported)");
        }
        if (cfg_peek(m, "consolidate") != NULL) {
            return cf_fail(p->err, t, "errors: consolidate given twice");
        }
        if (cf_put(p, m, "consolidate", t + 1, t[1].text) != 0) {
            return -1;
        }
    }
    return 0;
}

/* any */
static int cf_any(cf_parser_t *p, const cf_dir_t *d)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(p, d) != 0 || cf_max_args(p, d, 0) != 0) {
        return -1;
    }
    return cf_put(p, p->root, "any", d->name, "true");
}

/* reload [INTERVAL [JITTER]] */
static int cf_reload(cf_parser_t *p, const cf_dir_t *d)
{
    int seen = cf_single(p, d);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(p, d) != 0 || cf_max_args(p, d, 2) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_put_node(p, p->root, "reload", d->name, CFG_MAP);
    if (m == NULL || (d->nargs >= 1 && cf_put(p, m, "interval", &d->args[0], d->args[0].text)) ||
        (d->nargs == 2 && cf_put(p, m, "jitter", &d->args[1], d->args[1].text))) {
        return -1;
    }
    return 0;
}

/* cache ...: accepted and ignored, said once per load. */
static int cf_cache(cf_parser_t *p, const cf_dir_t *d)
{
    if (!p->cache_noted) {
        log_info("%s:%d: cache: ignored; vmdnsd answers from memory already", d->name->file,
                 d->name->line);
        p->cache_noted = true;
    }
    return 0;
}

/* Normalise a zone name to lower-case text with the final dot. */
static int cf_zone_name(cf_parser_t *p, const cf_token_t *at, const char *text,
                        char out[CF_ZONE_TEXT])
{
    uint8_t wire[NAME_MAX_WIRE];
    if (strchr(text, '/') != NULL) {
        return cf_fail(p->err, at,
                       "'%s': zones in CIDR notation are not supported (name the "
                       "in-addr.arpa or ip6.arpa zone)",
                       text);
    }
    size_t len = text[0] != '\0' ? name_from_text(text, wire) : 0;
    if (len == 0 || name_to_text(wire, len, out, CF_ZONE_TEXT) == 0) {
        return cf_fail(p->err, at, "bad zone name '%s'", text);
    }
    return 0;
}

/* file DBFILE [ZONES...]: one `zones` entry per zone (default: the
 * block's zones). The file is resolved by the file plugin relative to the
 * directory of the Corefile that names it. */
static int cf_file(cf_parser_t *p, const cf_block_t *b, const cf_dir_t *d)
{
    if (d->block) {
        return cf_fail(p->err, d->name, "file: options in a block are not supported");
    }
    if (d->nargs == 0) {
        return cf_fail(p->err, d->name, "file: give the zone file (file DBFILE [ZONES...])");
    }
    if (p->zones == NULL &&
        (p->zones = cf_put_node(p, p->root, "zones", d->name, CFG_SEQ)) == NULL) {
        return -1;
    }
    size_t nzones = d->nargs > 1 ? d->nargs - 1 : b->nkeys;
    for (size_t i = 0; i < nzones; i++) {
        char zone[CF_ZONE_TEXT];
        const cf_token_t *at = d->nargs > 1 ? &d->args[1 + i] : d->name;
        if (d->nargs > 1) {
            if (cf_zone_name(p, at, at->text, zone) != 0) {
                return -1;
            }
        } else {
            memcpy(zone, b->keys[i].zone, sizeof(zone));
        }
        cfg_node_t *entry = cfg_new_node(CFG_MAP, at->file, at->line, NULL);
        if (cfg_seq_add(p->zones, entry) != 0 || cf_put(p, entry, "origin", at, zone) != 0 ||
            cf_put(p, entry, "file", &d->args[0], d->args[0].text) != 0) {
            return entry == NULL ? cf_oom(p, at) : -1;
        }
    }
    return 0;
}

/* A bare number of milliseconds (the CoreDNS redis plugins' unit) gets
 * its unit; anything else is left for the duration parser to judge. */
static void cf_ms(const char *text, char *out, size_t cap)
{
    bool digits = text[0] != '\0' && strspn(text, "0123456789") == strlen(text);
    snprintf(out, cap, "%s%s", text, digits ? "ms" : "");
}

/* A redis-wide option given in one redis block: the same in every block. */
static int cf_redis_global(cf_parser_t *p, const char *key, const cf_token_t *opt,
                           const char *value)
{
    const cf_token_t *at = &opt[1];
    cfg_node_t *old = cfg_peek(p->redis, key);
    if (old == NULL) {
        return cf_put(p, p->redis, key, at, value);
    }
    if (strcmp(old->value, value) != 0) {
        return cf_fail(p->err, at, "redis: %s differs from %s:%d (it applies to all redis blocks)",
                       opt->text, old->file, old->line);
    }
    return 0;
}

/* One option line of a redis block. */
static int cf_redis_option(cf_parser_t *p, cfg_node_t *be, cfg_node_t **addrs, const cf_token_t *t,
                           size_t n)
{
    static const char *const single[][2] = {
        {"password", "password"},
        {"username", "username"},
        {"prefix", "prefix"},
        {"suffix", "suffix"},
        {"db", "db"},
        {"name", "name"},
    };
    if (strcmp(t->text, "address") == 0) {
        if (n == 0) {
            return cf_fail(p->err, t, "redis: address needs HOST:PORT");
        }
        if (*addrs == NULL && (*addrs = cf_put_node(p, be, "addresses", t, CFG_SEQ)) == NULL) {
            return -1;
        }
        for (size_t k = 1; k <= n; k++) {
            if (cfg_seq_add(*addrs, cf_scalar(&t[k], t[k].text)) != 0) {
                return cf_oom(p, t);
            }
        }
        return 0;
    }
    if (n != 1) {
        return cf_fail(p->err, t, "redis: %s takes one value", t->text);
    }
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
        if (strcmp(t->text, single[i][0]) != 0) {
            continue;
        }
        if (cfg_peek(be, single[i][1]) != NULL) {
            return cf_fail(p->err, t, "redis: %s given twice", t->text);
        }
        if (t[1].text[0] == '\0' &&
            (strcmp(t->text, "prefix") == 0 || strcmp(t->text, "suffix") == 0)) {
            return 0; /* an empty prefix is the default */
        }
        return cf_put(p, be, single[i][1], &t[1], t[1].text);
    }
    char ms[64];
    if (strcmp(t->text, "connect_timeout") == 0 || strcmp(t->text, "read_timeout") == 0) {
        cf_ms(t[1].text, ms, sizeof(ms));
        return cf_redis_global(p, t->text, t, ms);
    }
    if (strcmp(t->text, "ttl") == 0) {
        return cf_redis_global(p, "default_ttl", t, t[1].text);
    }
    return cf_fail(p->err, t, "redis: unknown option '%s'", t->text);
}

/* redis { address A ... }: one backend per block. */
static int cf_redis(cf_parser_t *p, const cf_dir_t *d)
{
    if (d->nargs > 0) {
        return cf_fail(p->err, d->name,
                       "redis: takes no arguments (the zones are found in Redis); put the "
                       "options in a block");
    }
    if (!d->block) {
        return cf_fail(p->err, d->name, "redis: needs a block with at least one 'address'");
    }
    if (p->redis == NULL) {
        if ((p->redis = cf_put_node(p, p->root, "redis", d->name, CFG_MAP)) == NULL ||
            (p->backends = cf_put_node(p, p->redis, "backends", d->name, CFG_SEQ)) == NULL) {
            return -1;
        }
    }
    cfg_node_t *be = cfg_new_node(CFG_MAP, d->name->file, d->name->line, NULL);
    if (cfg_seq_add(p->backends, be) != 0) {
        return cf_oom(p, d->name);
    }
    cfg_node_t *addrs = NULL;
    for (size_t i = d->bstart, next, n; i < d->bend; i = next) {
        next = cf_block_line(p, d, i, &n);
        if (cf_redis_option(p, be, &addrs, &p->toks->t[i], n) != 0) {
            return -1;
        }
    }
    if (addrs == NULL) {
        return cf_fail(p->err, d->name, "redis: give at least one 'address HOST:PORT'");
    }
    p->nredis++;
    if (cfg_peek(be, "name") == NULL) {
        char name[32];
        snprintf(name, sizeof(name), "redis%u", p->nredis);
        return cf_put(p, be, "name", d->name, name);
    }
    return 0;
}

/* bind ADDR...: remembered for the block's listen addresses. */
static int cf_bind(cf_parser_t *p, cf_block_t *b, const cf_dir_t *d)
{
    if (cf_no_block(p, d) != 0) {
        return -1;
    }
    if (d->nargs == 0) {
        return cf_fail(p->err, d->name, "bind: give at least one address");
    }
    const cf_token_t **grown = realloc(b->binds, (b->nbinds + d->nargs) * sizeof(*grown));
    if (grown == NULL) {
        return cf_oom(p, d->name);
    }
    b->binds = grown;
    for (size_t i = 0; i < d->nargs; i++) {
        const cf_token_t *a = &d->args[i];
        struct in6_addr buf;
        if (inet_pton(AF_INET, a->text, &buf) != 1 && inet_pton(AF_INET6, a->text, &buf) != 1) {
            return cf_fail(p->err, a,
                           "bind: '%s' is not an IP address (interface names are not supported)",
                           a->text);
        }
        b->binds[b->nbinds++] = a;
    }
    return 0;
}

static int cf_directive(cf_parser_t *p, cf_block_t *b, const cf_dir_t *d)
{
    const char *name = d->name->text;
    if (d->name->quoted) {
        return cf_fail(p->err, d->name, "unknown directive '%s'", name);
    }
    if (strcmp(name, "bind") == 0) {
        return cf_bind(p, b, d);
    }
    if (strcmp(name, "file") == 0) {
        return cf_file(p, b, d);
    }
    if (strcmp(name, "redis") == 0) {
        return cf_redis(p, d);
    }
    if (strcmp(name, "prometheus") == 0) {
        return cf_http(p, d, "metrics");
    }
    if (strcmp(name, "ready") == 0) {
        return cf_http(p, d, "ready");
    }
    if (strcmp(name, "health") == 0) {
        return cf_health(p, d);
    }
    if (strcmp(name, "log") == 0) {
        return cf_log(p, d);
    }
    if (strcmp(name, "errors") == 0) {
        return cf_errors(p, d);
    }
    if (strcmp(name, "any") == 0) {
        return cf_any(p, d);
    }
    if (strcmp(name, "reload") == 0) {
        return cf_reload(p, d);
    }
    if (strcmp(name, "cache") == 0) {
        return cf_cache(p, d);
    }
    return cf_fail(p->err, d->name, "unknown directive '%s'", name);
}

/* One server block key, e.g. "dns://vm.example.com:5300" or ".:53". */
static int cf_key(cf_parser_t *p, cf_block_t *b, const cf_token_t *at, const char *text, size_t len)
{
    char buf[CF_ZONE_TEXT + 32];
    if (len >= sizeof(buf)) {
        return cf_fail(p->err, at, "server block key too long");
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *zone = buf;
    char *scheme = strstr(buf, "://");
    if (scheme != NULL) {
        *scheme = '\0';
        if (strcasecmp(buf, "dns") != 0) {
            return cf_fail(p->err, at, "'%s://': only dns:// servers are supported", buf);
        }
        zone = scheme + 3;
    }
    unsigned port = CF_DEFAULT_PORT;
    char *colon = strrchr(zone, ':');
    if (colon != NULL) {
        char *end;
        unsigned long v = strtoul(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || v > 65535) {
            return cf_fail(p->err, at, "bad port in server block key '%s'", text);
        }
        port = (unsigned)v;
        *colon = '\0';
    }
    cf_key_t *grown = realloc(b->keys, (b->nkeys + 1) * sizeof(*grown));
    if (grown == NULL) {
        return cf_oom(p, at);
    }
    b->keys = grown;
    cf_key_t *k = &b->keys[b->nkeys];
    if (cf_zone_name(p, at, zone, k->zone) != 0) {
        return -1;
    }
    k->port = port;
    k->at = at;
    b->nkeys++;
    return 0;
}

/* The keys of a server block: tokens up to `{`, split at commas; a line
 * ending in a comma continues on the next. Returns the index after them. */
static int cf_keys(cf_parser_t *p, cf_block_t *b, size_t *at)
{
    const cf_tokens_t *T = p->toks;
    size_t i = *at;
    bool more = true;
    while (i < T->n && !cf_is_open(&T->t[i])) {
        const cf_token_t *t = &T->t[i];
        if (t->bol && i != *at && !more) {
            break;
        }
        if (cf_is_close(t)) {
            return cf_fail(p->err, t, "unexpected '}'");
        }
        const char *s = t->text;
        while (*s != '\0') {
            size_t len = strcspn(s, ",");
            if (len > 0 && cf_key(p, b, t, s, len) != 0) {
                return -1;
            }
            s += len;
            s += *s == ',';
        }
        more = t->text[0] != '\0' && t->text[strlen(t->text) - 1] == ',';
        i++;
    }
    if (b->nkeys == 0) {
        return cf_fail(p->err, &T->t[*at < T->n ? *at : T->n - 1],
                       "a server block needs at least one zone (e.g. '.' or 'example.com:53')");
    }
    *at = i;
    return 0;
}

/* Append "ADDR:PORT" to `listen` unless it is there already. */
static int cf_listen_add(cf_parser_t *p, const cf_token_t *at, const char *addr, unsigned port)
{
    char text[INET6_ADDRSTRLEN + 16];
    snprintf(text, sizeof(text), strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
    if (p->listen == NULL && (p->listen = cf_put_node(p, p->root, "listen", at, CFG_SEQ)) == NULL) {
        return -1;
    }
    for (size_t i = 0; i < p->listen->n; i++) {
        if (strcmp(p->listen->items[i]->value, text) == 0) {
            return 0;
        }
    }
    return cfg_seq_add(p->listen, cf_scalar(at, text)) == 0 ? 0 : cf_oom(p, at);
}

/* Can this host bind IPv6 at all? (Containers often run with IPv6 off.) */
static bool cf_host_has_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) {
        return false;
    }
    struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    bool ok = bind(fd, (const struct sockaddr *)&any6, sizeof(any6)) == 0;
    close(fd);
    return ok;
}

/* The block's listen addresses: every key's port on every bind address.
 * Without bind: 0.0.0.0, and :: where the host has IPv6 (as CoreDNS's ":53"
 * is dual-stack where it can be). */
static int cf_block_listen(cf_parser_t *p, const cf_block_t *b)
{
    static const char *const any[] = {"0.0.0.0", "::"};
    size_t wildcards = b->nbinds > 0 ? 0 : (cf_host_has_ipv6() ? 2 : 1);
    for (size_t k = 0; k < b->nkeys; k++) {
        size_t n = b->nbinds > 0 ? b->nbinds : wildcards;
        for (size_t i = 0; i < n; i++) {
            const cf_token_t *at = b->nbinds > 0 ? b->binds[i] : b->keys[k].at;
            const char *addr = b->nbinds > 0 ? b->binds[i]->text : any[i];
            if (cf_listen_add(p, at, addr, b->keys[k].port) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* One server block from p->pos. `braceless`: the file's only block may
 * leave out its braces (everything after the keys is its body). */
static int cf_server_block(cf_parser_t *p, bool braceless)
{
    const cf_tokens_t *T = p->toks;
    cf_block_t b = {0};
    size_t i = p->pos;
    int rc = cf_keys(p, &b, &i);
    const cf_token_t *open = i < T->n && cf_is_open(&T->t[i]) ? &T->t[i] : NULL;
    if (rc == 0 && open == NULL && !braceless) {
        rc = cf_fail(p->err, b.keys[b.nkeys - 1].at, "expected '{' after the server block keys");
    }
    p->pos = open != NULL ? i + 1 : i;
    while (rc == 0 && p->pos < T->n && !cf_is_close(&T->t[p->pos])) {
        cf_dir_t d;
        rc = cf_read_dir(p, &d);
        if (rc == 0) {
            rc = cf_directive(p, &b, &d);
        }
    }
    if (rc == 0 && open != NULL) {
        if (p->pos >= T->n) {
            rc = cf_fail(p->err, open, "the server block has no closing '}'");
        } else {
            p->pos++;
        }
    } else if (rc == 0 && p->pos < T->n) {
        rc = cf_fail(p->err, &T->t[p->pos], "unexpected '}'");
    }
    if (rc == 0) {
        rc = cf_block_listen(p, &b);
    }
    free(b.keys);
    free(b.binds);
    return rc;
}

cfg_node_t *cfg_parse_corefile(const char *text, size_t len, const char *name, cfg_error_t *err)
{
    cfg_node_t *root = cfg_new_root(name);
    if (root == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s:0: out of memory", name);
        return NULL;
    }
    cf_tokens_t toks;
    if (cf_lex(root, text, len, root->file, &toks, err) != 0) {
        cfg_free(root);
        return NULL;
    }
    cf_parser_t p = {.toks = &toks, .root = root, .err = err};
    int rc = 0;
    if (toks.n == 0) {
        snprintf(err->msg, sizeof(err->msg), "%s:1: no server blocks (e.g. 'example.com { ... }')",
                 root->file);
        rc = -1;
    }
    for (bool first = true; rc == 0 && p.pos < toks.n; first = false) {
        rc = cf_server_block(&p, first);
    }
    cf_tokens_free(&toks);
    if (rc != 0) {
        cfg_free(root);
        return NULL;
    }
    return root;
}

cfg_node_t *cfg_load_corefile(const char *path, cfg_error_t *err)
{
    size_t len;
    char *text = cfg_read_file(path, &len, err);
    if (text == NULL) {
        return NULL;
    }
    cfg_node_t *root = cfg_parse_corefile(text, len, path, err);
    free(text);
    return root;
}
