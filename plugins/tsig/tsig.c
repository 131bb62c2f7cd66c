/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsig.c - the `tsig` plugin: shared keys for signed queries (RFC 8945).
 *
 *   tsig:                                  Corefile (CoreDNS's tsig plugin):
 *     keys:                                  tsig [ZONE...] {
 *       - name: xfr-key.                         secret NAME BASE64
 *         secret: "base64..."                    require [QTYPE...] | all | none
 *         algorithm: hmac-sha256  # optional  }
 *     require: [AXFR, IXFR]       # or all / none (default)
 *     zones: [vm.example.com.]    # optional: where `require` applies
 *
 * A signed query is verified here (query hook): a good MAC marks the
 * request (req->tsig) and the core signs its response after every respond
 * hook (core/chain.c; a zone transfer signs each of its messages); an
 * unknown key or a bad MAC is answered NOTAUTH with an unsigned TSIG
 * saying BADKEY / BADSIG, a clock too far off gets a signed BADTIME. An unsigned query of a type in
 * `require` (for a name in `zones`, if given) is REFUSED, as CoreDNS does.
 * Without this plugin every signed query gets BADKEY (core/chain.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/corefile_plugin.h"
#include "core/plugin.h"
#include "dns/tsig.h"

#define TSIG_MAX_KEYS    64
#define TSIG_MAX_REQUIRE 16
#define TSIG_MAX_ZONES   64

typedef struct tsig_conf {
    tsig_key_t keys[TSIG_MAX_KEYS];
    size_t nkeys;
    bool require_all;
    uint16_t require[TSIG_MAX_REQUIRE];
    size_t nrequire;
    uint8_t zones[TSIG_MAX_ZONES][NAME_MAX_WIRE];
    size_t zone_lens[TSIG_MAX_ZONES];
    size_t nzones;
    answer_limits_t limits;
    cfg_pos_t at;
} tsig_conf_t;

typedef struct tsig_plugin {
    const tsig_conf_t *conf;
    tsig_keyring_t ring;
} tsig_plugin_t;

/* A query type by mnemonic (the ones worth requiring), 0 if unknown. */
static uint16_t tsig_qtype(const char *s)
{
    static const struct {
        const char *name;
        uint16_t type;
    } types[] = {{"A", 1},      {"NS", 2},     {"CNAME", 5}, {"SOA", 6},   {"PTR", 12},
                 {"MX", 15},    {"TXT", 16},   {"AAAA", 28}, {"SRV", 33},  {"CAA", 257},
                 {"IXFR", 251}, {"AXFR", 252}, {"ANY", 255}, {"HINFO", 13}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(s, types[i].name) == 0) {
            return types[i].type;
        }
    }
    return 0;
}

static int tsig_read_key(cfg_node_t *n, tsig_key_t *k, cfg_error_t *err)
{
    cfg_node_t *name = cfg_get(n, "name"), *secret = cfg_get(n, "secret");
    cfg_node_t *alg = cfg_get(n, "algorithm");
    const char *s;
    if (n->kind != CFG_MAP || name == NULL || secret == NULL) {
        return cfg_fail(err, n, "tsig: each key needs 'name' and 'secret'");
    }
    if (cfg_string(name, &s, err) != 0) {
        return -1;
    }
    if ((k->name_len = name_from_text(s, k->name)) == 0) {
        return cfg_fail(err, name, "tsig: bad key name '%s'", s);
    }
    if (cfg_string(secret, &s, err) != 0) {
        return -1;
    }
    if (!tsig_secret_from_base64(s, k)) {
        return cfg_fail(err, secret, "tsig: the secret of key '%s' is not base64", name->value);
    }
    if (alg != NULL) {
        if (cfg_string(alg, &s, err) != 0) {
            return -1;
        }
        if (!tsig_algorithm_from_text(s, k->alg, &k->alg_len)) {
            return cfg_fail(err, alg,
                            "tsig: unknown algorithm '%s' (hmac-md5, hmac-sha1, hmac-sha224, "
                            "hmac-sha256, hmac-sha384, hmac-sha512)",
                            s);
        }
    }
    return 0;
}

static int tsig_read_require(cfg_node_t *n, tsig_conf_t *c, cfg_error_t *err)
{
    size_t total = n->kind == CFG_SEQ ? n->n : 1;
    for (size_t i = 0; i < total; i++) {
        cfg_node_t *item = n->kind == CFG_SEQ ? n->items[i] : n;
        const char *s;
        if (cfg_string(item, &s, err) != 0) {
            return -1;
        }
        if (strcasecmp(s, "all") == 0) {
            c->require_all = true;
        } else if (strcasecmp(s, "none") == 0) {
            continue;
        } else if (c->nrequire == TSIG_MAX_REQUIRE) {
            return cfg_fail(err, item, "tsig: require: at most %d types", TSIG_MAX_REQUIRE);
        } else if ((c->require[c->nrequire++] = tsig_qtype(s)) == 0) {
            return cfg_fail(err, item, "tsig: require: unknown query type '%s'", s);
        }
    }
    return 0;
}

static int tsig_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                      cfg_error_t *err)
{
    if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg, "tsig: expected a map with 'keys'");
    }
    tsig_conf_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cfg_fail(err, cfg, "tsig: out of memory");
    }
    if (penv->limits != NULL) {
        c->limits = *penv->limits;
    }
    cfg_pos_of(cfg, &c->at);
    cfg_node_t *keys = cfg_get(cfg, "keys"), *require = cfg_get(cfg, "require");
    cfg_node_t *zones = cfg_get(cfg, "zones");
    int rc = -1;
    if (keys == NULL || keys->kind != CFG_SEQ || keys->n == 0 || keys->n > TSIG_MAX_KEYS) {
        cfg_fail(err, keys ? keys : cfg, "tsig: 'keys' must be a list of 1 to %d keys",
                 TSIG_MAX_KEYS);
        goto out;
    }
    for (size_t i = 0; i < keys->n; i++) {
        if (tsig_read_key(keys->items[i], &c->keys[i], err) != 0) {
            goto out;
        }
        c->nkeys = i + 1;
        for (size_t j = 0; j < i; j++) {
            if (c->keys[j].name_len == c->keys[i].name_len &&
                memcmp(c->keys[j].name, c->keys[i].name, c->keys[i].name_len) == 0) {
                cfg_fail(err, keys->items[i], "tsig: key '%s' given twice",
                         cfg_get(keys->items[i], "name")->value);
                goto out;
            }
        }
    }
    if (require != NULL && tsig_read_require(require, c, err) != 0) {
        goto out;
    }
    if (zones != NULL) {
        size_t total = zones->kind == CFG_SEQ ? zones->n : 1;
        if (total > TSIG_MAX_ZONES) {
            cfg_fail(err, zones, "tsig: at most %d zones", TSIG_MAX_ZONES);
            goto out;
        }
        for (size_t i = 0; i < total; i++) {
            cfg_node_t *item = zones->kind == CFG_SEQ ? zones->items[i] : zones;
            const char *s;
            if (cfg_string(item, &s, err) != 0) {
                goto out;
            }
            if ((c->zone_lens[i] = name_from_text(s, c->zones[i])) == 0) {
                cfg_fail(err, item, "tsig: bad zone '%s'", s);
                goto out;
            }
            c->nzones = i + 1;
        }
    }
    rc = 0;
out:
    if (rc != 0) {
        free(c);
        return -1;
    }
    *conf = c;
    return 0;
}

static bool tsig_conf_equal(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(tsig_conf_t)) == 0; /* calloc'd: padding is zero */
}

static void tsig_conf_free(void *conf)
{
    free(conf);
}

static int tsig_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    (void)env;
    const tsig_conf_t *c = conf;
    tsig_plugin_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return cfg_fail_pos(err, &c->at, "tsig: out of memory");
    }
    t->conf = c;
    t->ring = (tsig_keyring_t){c->keys, c->nkeys};
    *state = t;
    return 0;
}

static void tsig_teardown(void *state)
{
    free(state);
}

/* Does `require` apply to this unsigned query? */
static bool tsig_required(const tsig_conf_t *c, const wire_query_t *q)
{
    bool type = c->require_all;
    for (size_t i = 0; !type && i < c->nrequire; i++) {
        type = c->require[i] == q->qtype;
    }
    if (!type || c->nzones == 0) {
        return type;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        if (name_is_below_or_equal(q->qname, q->qname_len, c->zones[i], c->zone_lens[i])) {
            return true;
        }
    }
    return false;
}

static plugin_result_t tsig_query(void *state, request_t *req)
{
    tsig_plugin_t *t = state;
    const wire_query_t *q = req->q;
    if (!q->tsig.present) {
        if (!tsig_required(t->conf, q)) {
            return PLUGIN_NEXT;
        }
        req->resp_len =
            answer_error(q, WIRE_RCODE_REFUSED, &t->conf->limits, req->resp, req->resp_cap);
        answer_meta_error(&req->meta, WIRE_RCODE_REFUSED, NULL);
        return PLUGIN_DONE;
    }
    req->tsig_checked = true;
    uint16_t e = tsig_verify_query(&t->ring, q, (int64_t)time(NULL), &req->tsig);
    if (e == TSIG_OK) {
        return PLUGIN_NEXT;
    }
    /* NOTAUTH; the core adds the TSIG last: signed for BADTIME (with the
     * server's time), unsigned naming the error for BADKEY/BADSIG */
    req->resp_len = answer_error(q, WIRE_RCODE_NOTAUTH, &t->conf->limits, req->resp, req->resp_cap);
    answer_meta_error(&req->meta, WIRE_RCODE_NOTAUTH, NULL);
    return PLUGIN_DONE;
}

/* `tsig [ZONE...] { secret NAME KEY; require [QTYPE...] }` into `tsig:`. */
static int tsig_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    cfg_node_t *sec = cf_section(ctx, "tsig", d->name, CFG_MAP, err);
    cfg_node_t *keys = sec ? cf_put_node(sec, "keys", d->name, CFG_SEQ, err) : NULL;
    if (keys == NULL) {
        return -1;
    }
    if (d->nargs > 0) {
        cfg_node_t *zones = cf_put_node(sec, "zones", d->name, CFG_SEQ, err);
        for (size_t i = 0; zones && i < d->nargs; i++) {
            char zone[CF_ZONE_TEXT];
            if (cf_zone_name(&d->args[i], d->args[i].text, zone, err) != 0 ||
                cf_add(zones, &d->args[i], zone, err) != 0) {
                return -1;
            }
        }
        if (zones == NULL) {
            return -1;
        }
    }
    cfg_node_t *require = NULL;
    cf_line_t l;
    for (size_t pos = 0; d->block && cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "secret") == 0) {
            if (l.nargs != 2) {
                return cf_fail(err, l.opt, "tsig: secret needs NAME and BASE64-KEY");
            }
            cfg_node_t *k = cf_add_node(keys, l.opt, CFG_MAP, err);
            if (k == NULL || cf_put(k, "name", &l.args[0], l.args[0].text, err) != 0 ||
                cf_put(k, "secret", &l.args[1], l.args[1].text, err) != 0) {
                return -1;
            }
        } else if (strcmp(l.opt->text, "require") == 0) {
            if (require == NULL &&
                (require = cf_put_node(sec, "require", l.opt, CFG_SEQ, err)) == NULL) {
                return -1;
            }
            for (size_t i = 0; i < l.nargs; i++) {
                if (cf_add(require, &l.args[i], l.args[i].text, err) != 0) {
                    return -1;
                }
            }
        } else if (strcmp(l.opt->text, "secrets") == 0) {
            return cf_fail(err, l.opt,
                           "tsig: 'secrets FILE' is not supported; give each key as "
                           "'secret NAME KEY'");
        } else {
            return cf_fail(err, l.opt, "tsig: unknown option '%s'", l.opt->text);
        }
    }
    if (keys->n == 0) {
        return cf_fail(err, d->name, "tsig: give at least one 'secret NAME KEY'");
    }
    return 0;
}

const plugin_t plugin_tsig = {
    .name = "tsig",
    .config_key = "tsig",
    .view_data = PLUGIN_VIEW_NONE,
    .corefile = tsig_corefile,
    .parse = tsig_parse,
    .conf_equal = tsig_conf_equal,
    .conf_free = tsig_conf_free,
    .setup = tsig_setup,
    .query = tsig_query,
    .teardown = tsig_teardown,
};
