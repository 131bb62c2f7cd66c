/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl_config.c - read the `rrl` section and directive (see rrl_config.h
 * for the keys and defaults).
 */
#include "rrl/rrl_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/corefile_plugin.h"

/* The per-second keys, in rrl_kind_t order. */
static const char *const rrl_rate_keys[RRL_NKINDS] = {
    [RRL_ANSWER] = "responses-per-second",   [RRL_NODATA] = "nodata-per-second",
    [RRL_NXDOMAIN] = "nxdomains-per-second", [RRL_REFERRAL] = "referrals-per-second",
    [RRL_ERROR] = "errors-per-second",       [RRL_REQUEST] = "requests-per-second",
};

/* Options of the directive that take one value (report-only takes none). */
static const char *const rrl_value_keys[] = {
    "window",
    "ipv4-prefix-length",
    "ipv6-prefix-length",
    "responses-per-second",
    "nodata-per-second",
    "nxdomains-per-second",
    "referrals-per-second",
    "errors-per-second",
    "requests-per-second",
    "slip-ratio",
    "max-table-size",
    NULL,
};

/* An allowance: a decimal number of responses per second, at most three
 * decimals ("10", "0.5"), into thousandths. */
static int rrl_parse_rate(const cfg_node_t *n, uint32_t *out, cfg_error_t *err)
{
    const char *s = n->kind == CFG_SCALAR ? n->value : "";
    uint64_t v = 0;
    unsigned frac = 0;
    bool digits = false, dot = false;
    for (; *s != '\0'; s++) {
        if (*s == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*s < '0' || *s > '9' || (dot && frac == 3)) {
            digits = false;
            break;
        }
        v = v * 10 + (uint64_t)(*s - '0');
        frac += dot;
        digits = true;
        if (v > (uint64_t)RRL_MAX_RATE_MILLI * 1000) {
            break;
        }
    }
    for (; frac < 3; frac++) {
        v *= 10;
    }
    if (n->kind != CFG_SCALAR || !digits || *s != '\0' || v > RRL_MAX_RATE_MILLI) {
        return cfg_fail(err, n,
                        "rrl: %s: expected a number of responses per second from 0 to %u "
                        "(at most 3 decimals), got '%s'",
                        n->key, RRL_MAX_RATE_MILLI / 1000, n->kind == CFG_SCALAR ? n->value : "");
    }
    *out = (uint32_t)v;
    return 0;
}

static int rrl_parse_zones(cfg_node_t *zones, rrl_conf_t *c, cfg_error_t *err)
{
    if (zones->kind == CFG_SCALAR) {
        return cfg_fail(err, zones, "rrl: zones: expected a list of zone names");
    }
    if (zones->kind != CFG_SEQ) {
        return cfg_fail(err, zones, "rrl: zones: expected a list of zone names, got a map");
    }
    c->zones = calloc(zones->n > 0 ? zones->n : 1, sizeof(*c->zones));
    if (c->zones == NULL) {
        return cfg_fail(err, zones, "rrl: out of memory");
    }
    for (size_t i = 0; i < zones->n; i++) {
        const cfg_node_t *z = zones->items[i];
        uint8_t wire[NAME_MAX_WIRE];
        size_t len = z->kind == CFG_SCALAR ? name_from_text(z->value, wire) : 0;
        if (len == 0) {
            return cfg_fail(err, z, "rrl: zones: '%s' is not a domain name",
                            z->kind == CFG_SCALAR ? z->value : "");
        }
        name_lower(wire, len);
        c->all_zones = c->all_zones || len == 1;
        memcpy(c->zones[c->nzones].wire, wire, len);
        c->zones[c->nzones++].len = (uint8_t)len;
    }
    if (c->nzones == 0) {
        c->all_zones = true;
    }
    return 0;
}

static int rrl_parse_map(cfg_node_t *cfg, rrl_conf_t *c, cfg_error_t *err)
{
    cfg_node_t *n;
    uint64_t v;
    if ((n = cfg_get(cfg, "window")) != NULL) {
        uint64_t ms;
        if (cfg_duration_ms(n, &ms, err) != 0) {
            return -1;
        }
        if (ms % 1000 != 0 || ms < 1000 || ms > RRL_MAX_WINDOW_S * 1000u) {
            return cfg_fail(err, n, "rrl: window: expected whole seconds from 1 to %u",
                            RRL_MAX_WINDOW_S);
        }
        c->window_s = (uint32_t)(ms / 1000);
    }
    if ((n = cfg_get(cfg, "ipv4-prefix-length")) != NULL) {
        if (cfg_uint(n, 1, 32, &v, err) != 0) {
            return -1;
        }
        c->v4_prefix = (unsigned)v;
    }
    if ((n = cfg_get(cfg, "ipv6-prefix-length")) != NULL) {
        if (cfg_uint(n, 1, 128, &v, err) != 0) {
            return -1;
        }
        c->v6_prefix = (unsigned)v;
    }
    bool set[RRL_NKINDS] = {false};
    for (int k = 0; k < RRL_NKINDS; k++) {
        if ((n = cfg_get(cfg, rrl_rate_keys[k])) != NULL) {
            if (rrl_parse_rate(n, &c->rate_milli[k], err) != 0) {
                return -1;
            }
            set[k] = true;
        }
    }
    /* As CoreDNS: the per-kind allowances default to responses-per-second. */
    for (int k = RRL_NODATA; k <= RRL_ERROR; k++) {
        if (!set[k]) {
            c->rate_milli[k] = c->rate_milli[RRL_ANSWER];
        }
    }
    for (int k = 0; k < RRL_NKINDS; k++) {
        if ((uint64_t)c->rate_milli[k] * c->window_s > (uint64_t)RRL_MAX_DEBT_TOKENS * 1000) {
            return cfg_fail(err, cfg,
                            "rrl: %s times window must be at most %u (a flood's debt); "
                            "lower the rate or the window",
                            rrl_rate_keys[k], RRL_MAX_DEBT_TOKENS);
        }
    }
    if ((n = cfg_get(cfg, "slip-ratio")) != NULL) {
        if (cfg_uint(n, 0, RRL_MAX_SLIP, &v, err) != 0) {
            return -1;
        }
        c->slip = (unsigned)v;
    }
    if ((n = cfg_get(cfg, "max-table-size")) != NULL) {
        if (cfg_uint(n, RRL_LINE, RRL_MAX_TABLE, &v, err) != 0) {
            return -1;
        }
        c->table_size = v;
    }
    if ((n = cfg_get(cfg, "report-only")) != NULL && cfg_bool(n, &c->report_only, err) != 0) {
        return -1;
    }
    if ((n = cfg_get(cfg, "zones")) != NULL) {
        return rrl_parse_zones(n, c, err);
    }
    c->all_zones = true;
    return 0;
}

int rrl_conf_parse(cfg_node_t *cfg, void **conf, cfg_error_t *err)
{
    *conf = NULL;
    bool enabled = true;
    if (cfg->kind == CFG_SCALAR) {
        if (cfg_bool(cfg, &enabled, err) != 0) {
            return -1;
        }
        if (!enabled) {
            return 0;
        }
    } else if (cfg->kind != CFG_MAP) {
        return cfg_fail(err, cfg, "rrl: expected a map of options (or true/false)");
    }
    rrl_conf_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return cfg_fail(err, cfg, "rrl: out of memory");
    }
    c->window_s = RRL_DEFAULT_WINDOW_S;
    c->v4_prefix = RRL_DEFAULT_V4_PREFIX;
    c->v6_prefix = RRL_DEFAULT_V6_PREFIX;
    c->slip = RRL_DEFAULT_SLIP;
    c->table_size = RRL_DEFAULT_TABLE_SIZE;
    cfg_pos_of(cfg, &c->at);
    if (cfg->kind == CFG_MAP && rrl_parse_map(cfg, c, err) != 0) {
        rrl_conf_free(c);
        return -1;
    }
    if (cfg->kind == CFG_SCALAR) {
        c->all_zones = true;
    }
    *conf = c;
    return 0;
}

bool rrl_conf_equal(const void *a, const void *b)
{
    const rrl_conf_t *x = a, *y = b;
    if (x->window_s != y->window_s || x->v4_prefix != y->v4_prefix ||
        x->v6_prefix != y->v6_prefix || x->slip != y->slip || x->table_size != y->table_size ||
        x->report_only != y->report_only || x->all_zones != y->all_zones ||
        x->nzones != y->nzones || memcmp(x->rate_milli, y->rate_milli, sizeof(x->rate_milli))) {
        return false;
    }
    for (size_t i = 0; i < x->nzones; i++) {
        if (x->zones[i].len != y->zones[i].len ||
            memcmp(x->zones[i].wire, y->zones[i].wire, x->zones[i].len) != 0) {
            return false;
        }
    }
    return true;
}

void rrl_conf_free(void *conf)
{
    rrl_conf_t *c = conf;
    if (c != NULL) {
        free(c->zones);
        free(c);
    }
}

/* ---- Corefile ---- */

static bool rrl_is_value_key(const char *opt)
{
    for (size_t i = 0; rrl_value_keys[i] != NULL; i++) {
        if (strcmp(opt, rrl_value_keys[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Add the zones of the directive's server block. */
static int rrl_add_block_zones(cf_plugin_ctx_t *ctx, cfg_node_t *zones, cfg_error_t *err)
{
    for (size_t i = 0; i < cf_block_nzones(ctx); i++) {
        const cf_token_t *at;
        const char *zone = cf_block_zone(ctx, i, &at);
        bool have = false;
        for (size_t j = 0; j < zones->n && !have; j++) {
            have = strcmp(zones->items[j]->value, zone) == 0;
        }
        if (!have && cf_add(zones, at, zone, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int rrl_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    /* Each server block has its own `rrl` (core/server blocks): once per block. */
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    cfg_node_t *m = cf_section(ctx, "rrl", d->name, CFG_MAP, err);
    if (m == NULL) {
        return -1;
    }
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        const char *opt = l.opt->text;
        if (cfg_peek(m, opt) != NULL) {
            return cf_fail(err, l.opt, "rrl: %s given twice", opt);
        }
        if (strcmp(opt, "report-only") == 0) {
            if (l.nargs != 0) {
                return cf_fail(err, l.opt, "rrl: report-only takes no value");
            }
            if (cf_put(m, opt, l.opt, "true", err) != 0) {
                return -1;
            }
            continue;
        }
        if (!rrl_is_value_key(opt)) {
            return cf_fail(err, l.opt, "rrl: unknown option '%s'", opt);
        }
        if (l.nargs != 1) {
            return cf_fail(err, l.opt, "rrl: %s takes one value", opt);
        }
        if (cf_put(m, opt, &l.args[0], l.args[0].text, err) != 0) {
            return -1;
        }
    }
    cfg_node_t *zones = cf_put_node(m, "zones", d->name, CFG_SEQ, err);
    if (zones == NULL) {
        return -1;
    }
    if (d->nargs == 0) {
        return rrl_add_block_zones(ctx, zones, err);
    }
    for (size_t i = 0; i < d->nargs; i++) {
        char zone[CF_ZONE_TEXT];
        if (cf_zone_name(&d->args[i], d->args[i].text, zone, err) != 0 ||
            cf_add(zones, &d->args[i], zone, err) != 0) {
            return -1;
        }
    }
    return 0;
}
