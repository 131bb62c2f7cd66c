/* SPDX-License-Identifier: BSD-2-Clause */
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
 * The server block itself is the core's: its keys and `bind` become the
 * `listen` list. Every other directive belongs to a plugin (see
 * corefile_plugin.h): the reader finds the plugin that declares it and its
 * `corefile` hook writes the node a YAML user would have written, using
 * the helpers below; this file knows no plugin by name. Directives of
 * CoreDNS plugins that vmdnsd does without are accepted with a note
 * (cf_ignored); anything else is "unknown directive".
 *
 * An option line inside a directive's block may have a block of its own
 * (`redis { limits { ... } }`, up to CF_MAX_BLOCK_DEPTH levels), for a
 * plugin whose hook reads them (plugin_t.corefile_blocks); for the others
 * such a block is "nested blocks are not supported".
 *
 * Each server block becomes one item of the tree's `servers` list, as a
 * YAML user would write it: `zones` (the block's keys), `listen` (its
 * keys' ports on its `bind` addresses) and the sections of its per-query
 * plugins (log, errors, prometheus, health...), so each block gets its
 * own instances with its own options (core/chain.c). Data sources (file,
 * redis: plugins whose data lives in the view) fill the one shared view:
 * their directives, in whatever block, write the top-level section, and a
 * data directive repeated in several blocks must say the same thing each
 * time where it cannot be merged (cf_once). A directive given twice in one
 * block must say the same thing twice.
 */
#include "config/corefile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/corefile_bind.h"
#include "config/corefile_cidr.h"
#include "config/corefile_lex.h"
#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/plugin.h"
#include "dns/name.h"

#define CF_DEFAULT_PORT 53
#define CF_MAX_ONCE     64

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
    cf_bind_addr_t *binds; /* the addresses of every `bind` line */
    size_t nbinds;
} cf_block_t;

/* A directive seen already (in which block: -1 for a data source's,
 * which is global), and what it said. */
typedef struct cf_seen {
    const char *name;
    long block;
    char sig[1024];
    const cf_token_t *at;
} cf_seen_t;

/* The reader's state; plugins see it as cf_plugin_ctx_t. */
struct cf_plugin_ctx {
    const cf_tokens_t *toks;
    size_t pos;
    cfg_node_t *root;
    cfg_error_t *err;
    const plugin_t *const *plugins; /* who owns which directive */
    size_t nplugins;
    const cf_block_t *block; /* the server block being read */
    const plugin_t *owner;   /* the plugin whose hook runs */
    cfg_node_t *servers;     /* the `servers` list */
    cfg_node_t *bnode;       /* the block's item in it */
    long nblock;             /* its number */
    cfg_node_t *listen;      /* the block's `listen` list, made on first use */
    unsigned default_port;   /* of keys without one: 53, or -dns.port */
    cf_seen_t once[CF_MAX_ONCE];
    size_t nonce;
    unsigned ignored_noted; /* bit i: cf_ignored[i] was logged */
};

typedef struct cf_plugin_ctx cf_parser_t;

int cf_fail(cfg_error_t *err, const cf_token_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, at->file, at->line, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- tree helpers (corefile_plugin.h) ---- */

/* Does the plugin running its hook feed the shared view (one top-level
 * section for every block) rather than configure its block? */
static bool cf_owner_global(const cf_plugin_ctx_t *ctx)
{
    return ctx->owner != NULL && (ctx->owner->view_data == PLUGIN_VIEW_HANDOVER ||
                                  ctx->owner->view_data == PLUGIN_VIEW_BOUND);
}

cfg_node_t *cf_root(cf_plugin_ctx_t *ctx)
{
    return cf_owner_global(ctx) || ctx->bnode == NULL ? ctx->root : ctx->bnode;
}

static cfg_node_t *cf_scalar(const cf_token_t *at, const char *text)
{
    return cfg_new_node(CFG_SCALAR, at->file, at->line, text);
}

int cf_put(cfg_node_t *map, const char *key, const cf_token_t *at, const char *text,
           cfg_error_t *err)
{
    if (cfg_map_add(map, key, at->line, cf_scalar(at, text)) != 0) {
        return cf_fail(err, at, "out of memory");
    }
    return 0;
}

int cf_add(cfg_node_t *seq, const cf_token_t *at, const char *text, cfg_error_t *err)
{
    if (cfg_seq_add(seq, cf_scalar(at, text)) != 0) {
        return cf_fail(err, at, "out of memory");
    }
    return 0;
}

cfg_node_t *cf_put_node(cfg_node_t *map, const char *key, const cf_token_t *at, cfg_kind_t kind,
                        cfg_error_t *err)
{
    cfg_node_t *n = cfg_new_node(kind, at->file, at->line, NULL);
    if (cfg_map_add(map, key, at->line, n) != 0) {
        cf_fail(err, at, "out of memory");
        return NULL;
    }
    return n;
}

cfg_node_t *cf_add_node(cfg_node_t *seq, const cf_token_t *at, cfg_kind_t kind, cfg_error_t *err)
{
    cfg_node_t *n = cfg_new_node(kind, at->file, at->line, NULL);
    if (cfg_seq_add(seq, n) != 0) {
        cf_fail(err, at, "out of memory");
        return NULL;
    }
    return n;
}

cfg_node_t *cf_section(cf_plugin_ctx_t *ctx, const char *key, const cf_token_t *at, cfg_kind_t kind,
                       cfg_error_t *err)
{
    cfg_node_t *root = cf_root(ctx);
    cfg_node_t *n = cfg_peek(root, key);
    if (n == NULL) {
        return cf_put_node(root, key, at, kind, err);
    }
    if (n->kind != kind) {
        cf_fail(err, at, "%s: given twice in different forms", key);
        return NULL;
    }
    return n;
}

/* ---- reading directives ---- */

/* Read the directive at p->pos (name, arguments on its line, optional
 * block) and move past it. */
static int cf_read_dir(cf_parser_t *p, cf_directive_t *d)
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
        d->body = &T->t[++i];
        for (int depth = 1; i < T->n && !(depth == 1 && cf_is_close(&T->t[i])); i++) {
            if (cf_is_close(&T->t[i])) {
                depth--;
                continue;
            }
            if (!cf_is_open(&T->t[i])) {
                continue;
            }
            if (d->nested == NULL) {
                d->nested = &T->t[i];
            }
            depth++;
        }
        if (i >= T->n) {
            return cf_fail(p->err, d->name, "%s: the block has no closing '}'", d->name->text);
        }
        d->nbody = (size_t)(&T->t[i] - d->body);
        i++;
    }
    p->pos = i;
    if (d->nargs == 1 && d->args[0].text[0] == '\0') {
        d->nargs = 0; /* `health {$UNSET}`: no argument, as CoreDNS reads it */
    }
    return 0;
}

/* An option whose only argument is empty (`password ""`, `ttl {$UNSET}`
 * with the variable unset or empty) is not set: CoreDNS's plugins read
 * the empty string as "nothing given", and so their defaults apply. */
static bool cf_line_empty(const cf_line_t *l)
{
    return !l->block && l->nargs == 1 && l->args[0].text[0] == '\0';
}

bool cf_next_line(const cf_directive_t *d, size_t *pos, cf_line_t *line)
{
    do {
        size_t i = *pos;
        if (!d->block || i >= d->nbody) {
            return false;
        }
        size_t j = i + 1;
        while (j < d->nbody && !d->body[j].bol && !cf_is_open(&d->body[j])) {
            j++;
        }
        line->opt = &d->body[i];
        line->args = &d->body[i + 1];
        line->nargs = j - i - 1;
        line->block = j < d->nbody && cf_is_open(&d->body[j]);
        line->body = line->block ? &d->body[j + 1] : NULL;
        line->nbody = 0;
        if (line->block) { /* to the matching `}` (cf_read_dir checked they pair up) */
            int depth = 1;
            for (j++; j < d->nbody; j++) {
                depth += cf_is_open(&d->body[j]) ? 1 : cf_is_close(&d->body[j]) ? -1 : 0;
                if (depth == 0) {
                    break;
                }
            }
            line->nbody = (size_t)(&d->body[j] - line->body);
            j = j < d->nbody ? j + 1 : j;
        }
        *pos = j;
    } while (cf_line_empty(line));
    return true;
}

void cf_line_block(const cf_line_t *line, cf_directive_t *d)
{
    *d = (cf_directive_t){.name = line->opt,
                          .args = line->args,
                          .nargs = line->nargs,
                          .block = line->block,
                          .body = line->body,
                          .nbody = line->nbody};
}

int cf_no_block(const cf_directive_t *d, cfg_error_t *err)
{
    return d->block ? cf_fail(err, d->name, "%s: takes no block", d->name->text) : 0;
}

int cf_max_args(const cf_directive_t *d, size_t max, cfg_error_t *err)
{
    if (d->nargs > max) {
        return cf_fail(err, &d->args[max], "%s: too many arguments (at most %zu)", d->name->text,
                       max);
    }
    return 0;
}

int cf_once(cf_plugin_ctx_t *p, const cf_directive_t *d, cfg_error_t *err)
{
    /* Keyed by plugin: a directive may have several names. */
    const char *who = p->owner != NULL ? p->owner->name : d->name->text;
    long block = cf_owner_global(p) ? -1 : p->nblock;
    char sig[1024];
    size_t off = 0;
    const cf_token_t *end = d->block ? d->body + d->nbody : d->args + d->nargs;
    for (const cf_token_t *t = d->args; t < end && off < sizeof(sig); t++) {
        int n = snprintf(sig + off, sizeof(sig) - off, "%s%s\x1f", t->bol ? "\n" : "", t->text);
        off += n < 0 ? 0 : (size_t)n;
    }
    if (off >= sizeof(sig)) {
        off = sizeof(sig) - 1;
    }
    sig[off] = '\0';
    for (size_t i = 0; i < p->nonce; i++) {
        cf_seen_t *s = &p->once[i];
        if (strcmp(s->name, who) != 0 || s->block != block) {
            continue;
        }
        if (strcmp(s->sig, sig) == 0) {
            return 1;
        }
        if (block >= 0) {
            return cf_fail(err, d->name, "%s: given twice in this server block (first on %s:%d)",
                           d->name->text, s->at->file, s->at->line);
        }
        return cf_fail(err, d->name,
                       "%s: differs from the one on %s:%d (data sources fill one view shared by "
                       "every server block: give it once, or the same everywhere)",
                       d->name->text, s->at->file, s->at->line);
    }
    if (p->nonce == CF_MAX_ONCE) {
        return cf_fail(err, d->name, "too many directives");
    }
    cf_seen_t *s = &p->once[p->nonce++];
    s->name = who;
    s->block = block;
    s->at = d->name;
    memcpy(s->sig, sig, off + 1);
    return 0;
}

/* ---- zones ---- */

int cf_zone_name(const cf_token_t *at, const char *text, char out[CF_ZONE_TEXT], cfg_error_t *err)
{
    uint8_t wire[NAME_MAX_WIRE];
    char rev[CF_ZONE_TEXT], why[300];
    int cidr = cf_cidr_zone(text, rev, sizeof(rev), why, sizeof(why));
    if (cidr < 0) {
        return cf_fail(err, at, "%s", why);
    }
    if (cidr > 0) {
        text = rev; /* `10.0.0.0/8` is 10.in-addr.arpa., as in CoreDNS */
    }
    size_t len = text[0] != '\0' ? name_from_text(text, wire) : 0;
    if (len == 0 || name_to_text(wire, len, out, CF_ZONE_TEXT) == 0) {
        return cf_fail(err, at, "bad zone name '%s'", text);
    }
    return 0;
}

size_t cf_nimports(const cf_plugin_ctx_t *ctx)
{
    return ctx->root->nfiles;
}

const char *cf_import(const cf_plugin_ctx_t *ctx, size_t i)
{
    return ctx->root->files[i];
}

size_t cf_block_nzones(const cf_plugin_ctx_t *ctx)
{
    return ctx->block != NULL ? ctx->block->nkeys : 0;
}

const char *cf_block_zone(const cf_plugin_ctx_t *ctx, size_t i, const cf_token_t **at)
{
    const cf_key_t *k = &ctx->block->keys[i];
    if (at != NULL) {
        *at = k->at;
    }
    return k->zone;
}

/* ---- the core's directives ---- */

/* bind ADDR|IFACE... [{ except ADDR... }]: remembered for the block's
 * listen addresses (corefile_bind.c). */
static int cf_bind(cf_parser_t *p, cf_block_t *b, const cf_directive_t *d)
{
    return cf_bind_expand(d, &b->binds, &b->nbinds, p->err);
}

/* Directives of CoreDNS plugins that vmdnsd has no use for: accepted, and
 * said once per load why they do nothing. */
static const char *const cf_ignored[][2] = {
    {"cache", "vmdnsd answers from memory already"},
    {"loop", "vmdnsd forwards nothing, so there is no forwarding loop to find"},
    {"loadbalance", "answers keep the order of their records"},
};

/* Directives of CoreDNS plugins a Corefile may rely on that vmdnsd cannot
 * stand in for: refused at their line, saying why and what to do. */
static const char *const cf_unsupported[][2] = {
    {"forward", "vmdnsd is an authoritative server: it neither recurses nor forwards, and "
                "names outside its zones are REFUSED; remove it and leave other names to a "
                "resolver"},
    {"grpc", "vmdnsd is an authoritative server: it neither recurses nor forwards"},
    {"kubernetes", "vmdnsd serves zones from files and Redis, not from a cluster's API"},
};

/* The plugin that owns directive `name`, or NULL. */
static const plugin_t *cf_owner(const cf_parser_t *p, const char *name)
{
    for (size_t i = 0; i < p->nplugins; i++) {
        const plugin_t *pl = p->plugins[i];
        if (pl->corefile == NULL) {
            continue;
        }
        if (pl->directives == NULL) {
            if (strcmp(pl->name, name) == 0) {
                return pl;
            }
            continue;
        }
        for (const char *const *dn = pl->directives; *dn != NULL; dn++) {
            if (strcmp(*dn, name) == 0) {
                return pl;
            }
        }
    }
    return NULL;
}

/* The blocks inside a directive's block, for a plugin that reads them:
 * each `{` on the line of its option, and not too deep. */
static int cf_check_nesting(cf_parser_t *p, const cf_directive_t *d)
{
    int depth = 1;
    for (size_t i = 0; i < d->nbody; i++) {
        const cf_token_t *t = &d->body[i];
        if (cf_is_close(t)) {
            depth--;
            continue;
        }
        if (!cf_is_open(t)) {
            continue;
        }
        if (t->bol) {
            return cf_fail(p->err, t, "'{' must be on the line of its option");
        }
        if (++depth > CF_MAX_BLOCK_DEPTH) {
            return cf_fail(p->err, t, "%s: blocks nest at most %d deep", d->name->text,
                           CF_MAX_BLOCK_DEPTH);
        }
    }
    return 0;
}

static int cf_directive(cf_parser_t *p, cf_block_t *b, const cf_directive_t *d)
{
    const char *name = d->name->text;
    if (d->name->quoted) {
        return cf_fail(p->err, d->name, "unknown directive '%s'", name);
    }
    const plugin_t *owner = cf_owner(p, name);
    if (d->nested != NULL &&
        (owner != NULL ? !owner->corefile_blocks : strcmp(name, "bind") == 0)) {
        return cf_fail(p->err, d->nested, "%s: nested blocks are not supported", name);
    }
    if (d->nested != NULL && owner != NULL && cf_check_nesting(p, d) != 0) {
        return -1;
    }
    if (strcmp(name, "bind") == 0) {
        return cf_bind(p, b, d);
    }
    if (strcmp(name, "tls") == 0) {
        return cf_fail(p->err, d->name,
                       "tls: not supported (vmdnsd serves DNS over UDP and TCP only; put a "
                       "TLS proxy in front)");
    }
    if (owner != NULL) {
        p->block = b;
        p->owner = owner;
        int rc = owner->corefile(p, d, p->err);
        p->block = NULL;
        p->owner = NULL;
        return rc;
    }
    for (size_t i = 0; i < sizeof(cf_ignored) / sizeof(cf_ignored[0]); i++) {
        if (strcmp(name, cf_ignored[i][0]) == 0) {
            if (!(p->ignored_noted & (1u << i))) {
                log_info("%s:%d: %s: ignored; %s", d->name->file, d->name->line, name,
                         cf_ignored[i][1]);
                p->ignored_noted |= 1u << i;
            }
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(cf_unsupported) / sizeof(cf_unsupported[0]); i++) {
        if (strcmp(name, cf_unsupported[i][0]) == 0) {
            return cf_fail(p->err, d->name, "%s: not supported (%s)", name, cf_unsupported[i][1]);
        }
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
            return cf_fail(p->err, at,
                           "'%s': %s:// server blocks (DNS over %s) are not supported: vmdnsd "
                           "serves dns:// (UDP and TCP); put a proxy in front for %s",
                           at->text, buf,
                           strcasecmp(buf, "tls") == 0     ? "TLS"
                           : strcasecmp(buf, "https") == 0 ? "HTTPS"
                           : strcasecmp(buf, "quic") == 0  ? "QUIC"
                           : strcasecmp(buf, "grpc") == 0  ? "gRPC"
                                                           : buf,
                           buf);
        }
        zone = scheme + 3;
    }
    unsigned port = p->default_port;
    char *slash = strchr(zone, '/'); /* an IPv6 prefix: its port is after the length */
    char *colon = strrchr(slash != NULL ? slash : zone, ':');
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
        return cf_fail(p->err, at, "out of memory");
    }
    b->keys = grown;
    cf_key_t *k = &b->keys[b->nkeys];
    if (cf_zone_name(at, zone, k->zone, p->err) != 0) {
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
    if (p->listen == NULL &&
        (p->listen = cf_put_node(p->bnode, "listen", at, CFG_SEQ, p->err)) == NULL) {
        return -1;
    }
    for (size_t i = 0; i < p->listen->n; i++) {
        if (strcmp(p->listen->items[i]->value, text) == 0) {
            return 0;
        }
    }
    return cf_add(p->listen, at, text, p->err);
}

/* The block's listen addresses: every key's port on every bind address.
 * Without bind: ":PORT", every address (0.0.0.0, and :: where the host has
 * IPv6, as CoreDNS's ":53" is dual-stack where it can be); the server
 * decides which when it binds, so the tree is the same on every host. */
static int cf_block_listen(cf_parser_t *p, const cf_block_t *b)
{
    for (size_t k = 0; k < b->nkeys; k++) {
        size_t n = b->nbinds > 0 ? b->nbinds : 1;
        for (size_t i = 0; i < n; i++) {
            const cf_token_t *at = b->nbinds > 0 ? b->binds[i].at : b->keys[k].at;
            const char *addr = b->nbinds > 0 ? b->binds[i].addr : "";
            if (cf_listen_add(p, at, addr, b->keys[k].port) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* The block's item in `servers`, with its `zones`. */
static int cf_block_node(cf_parser_t *p, const cf_block_t *b)
{
    const cf_token_t *at = b->keys[0].at;
    if (p->servers == NULL &&
        (p->servers = cf_put_node(p->root, "servers", at, CFG_SEQ, p->err)) == NULL) {
        return -1;
    }
    p->bnode = cf_add_node(p->servers, at, CFG_MAP, p->err);
    cfg_node_t *zones =
        p->bnode != NULL ? cf_put_node(p->bnode, "zones", at, CFG_SEQ, p->err) : NULL;
    if (zones == NULL) {
        return -1;
    }
    for (size_t k = 0; k < b->nkeys; k++) {
        if (cf_add(zones, b->keys[k].at, b->keys[k].zone, p->err) != 0) {
            return -1;
        }
    }
    p->listen = NULL;
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
    if (rc == 0) {
        rc = cf_block_node(p, &b);
    }
    const cf_token_t *open = i < T->n && cf_is_open(&T->t[i]) ? &T->t[i] : NULL;
    if (rc == 0 && open == NULL && !braceless) {
        rc = cf_fail(p->err, b.keys[b.nkeys - 1].at, "expected '{' after the server block keys");
    }
    p->pos = open != NULL ? i + 1 : i;
    while (rc == 0 && p->pos < T->n && !cf_is_close(&T->t[p->pos])) {
        cf_directive_t d;
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
    p->bnode = NULL;
    p->nblock++;
    free(b.keys);
    free(b.binds);
    return rc;
}

/* The parser behind the public entry points. */
static cfg_node_t *cf_parse(const char *text, size_t len, const char *name,
                            const plugin_t *const *plugins, size_t nplugins, unsigned default_port,
                            cfg_error_t *err)
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
    cf_parser_t p = {.toks = &toks,
                     .root = root,
                     .err = err,
                     .plugins = plugins,
                     .nplugins = nplugins,
                     .default_port = default_port != 0 ? default_port : CF_DEFAULT_PORT};
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

cfg_node_t *cfg_parse_corefile_with(const char *text, size_t len, const char *name,
                                    const plugin_t *const *plugins, size_t nplugins,
                                    cfg_error_t *err)
{
    return cf_parse(text, len, name, plugins, nplugins, 0, err);
}

cfg_node_t *cfg_parse_corefile(const char *text, size_t len, const char *name, cfg_error_t *err)
{
    return cf_parse(text, len, name, plugin_registry, plugin_registry_count, 0, err);
}

cfg_node_t *cfg_load_corefile_port(const char *path, unsigned default_port, cfg_error_t *err)
{
    size_t len;
    char *text = cfg_read_file(path, &len, err);
    if (text == NULL) {
        return NULL;
    }
    cfg_node_t *root =
        cf_parse(text, len, path, plugin_registry, plugin_registry_count, default_port, err);
    free(text);
    return root;
}

cfg_node_t *cfg_load_corefile(const char *path, cfg_error_t *err)
{
    return cfg_load_corefile_port(path, 0, err);
}
