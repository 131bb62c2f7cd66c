/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie_conf.c - read the `cookie` config (see cookie_conf.h).
 */
#include "cookie_conf.h"

#include <stdlib.h>
#include <string.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_secret(cfg_node_t *n, uint8_t out[COOKIE_SECRET_SIZE], cfg_error_t *err)
{
    const char *s;
    if (cfg_string(n, &s, err) != 0)
        return -1;
    if (strlen(s) != 2 * COOKIE_SECRET_SIZE)
        return cfg_fail(err, n,
                        "cookie: secret must be 32 hex digits (16 bytes), got %zu characters",
                        strlen(s));
    for (size_t i = 0; i < COOKIE_SECRET_SIZE; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return cfg_fail(err, n, "cookie: secret must be 32 hex digits, got '%c'",
                            hi < 0 ? s[2 * i] : s[2 * i + 1]);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int parse_map(cfg_node_t *m, cookie_conf_t *c, cfg_error_t *err)
{
    cfg_node_t *n;
    if ((n = cfg_get(m, "enabled")) != NULL && cfg_bool(n, &c->enabled, err) != 0)
        return -1;
    if ((n = cfg_get(m, "badcookie")) != NULL && cfg_bool(n, &c->badcookie, err) != 0)
        return -1;
    if ((n = cfg_get(m, "secret_rotation")) != NULL) {
        if (cfg_duration_ms(n, &c->rotation_ms, err) != 0)
            return -1;
        if (c->rotation_ms != 0 && c->rotation_ms < 1000)
            return cfg_fail(err, n, "cookie: secret_rotation must be 0 (never) or at least 1s");
    }
    if ((n = cfg_get(m, "secret")) != NULL) {
        if (parse_secret(n, c->secret, err) != 0)
            return -1;
        c->has_secret = true;
    }
    return 0;
}

int cookie_conf_parse(const plugin_parse_env_t *penv, cfg_node_t *section, void **conf,
                      cfg_error_t *err)
{
    cookie_conf_t c = {
        .enabled = true, .badcookie = true, .rotation_ms = COOKIE_DEFAULT_ROTATION_MS};
    if (section != NULL) {
        if (section->kind == CFG_MAP) {
            if (parse_map(section, &c, err) != 0)
                return -1;
        } else if (section->kind != CFG_SCALAR || cfg_bool(section, &c.enabled, err) != 0) {
            return cfg_fail(err, section,
                            "cookie: expected true/false or a map (enabled, secret_rotation, "
                            "secret, badcookie)");
        }
        cfg_pos_of(section, &c.at);
    }
    if (penv != NULL && penv->limits != NULL)
        c.limits = *penv->limits;
    cookie_conf_t *out = malloc(sizeof(*out));
    if (out == NULL)
        return cfg_fail(err, section, "cookie: out of memory");
    *out = c;
    *conf = out;
    return 0;
}

bool cookie_conf_equal(const void *a, const void *b)
{
    const cookie_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->badcookie == y->badcookie &&
           x->rotation_ms == y->rotation_ms && x->has_secret == y->has_secret &&
           memcmp(x->secret, y->secret, sizeof(x->secret)) == 0 &&
           x->limits.edns_udp_size == y->limits.edns_udp_size;
}

int cookie_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0)
        return seen < 0 ? -1 : 0;
    if (cf_max_args(d, 1, err) != 0)
        return -1;
    cfg_node_t *m = cf_put_node(cf_root(ctx), "cookie", d->name, CFG_MAP, err);
    if (m == NULL)
        return -1;
    const char *on = "true";
    if (d->nargs == 1) {
        const char *a = d->args[0].text;
        if (strcmp(a, "off") == 0)
            on = "false";
        else if (strcmp(a, "on") != 0)
            return cf_fail(err, &d->args[0], "cookie: expected on or off, got '%s'", a);
    }
    if (cf_put(m, "enabled", d->name, on, err) != 0)
        return -1;
    cf_line_t l;
    for (size_t pos = 0; d->block && cf_next_line(d, &pos, &l);) {
        const char *opt = l.opt->text;
        if (strcmp(opt, "secret_rotation") != 0 && strcmp(opt, "secret") != 0 &&
            strcmp(opt, "badcookie") != 0)
            return cf_fail(err, l.opt, "cookie: unknown option '%s'", opt);
        if (l.nargs != 1)
            return cf_fail(err, l.opt, "cookie: %s takes one argument", opt);
        if (cfg_peek(m, opt) != NULL)
            return cf_fail(err, l.opt, "cookie: %s given twice", opt);
        if (cf_put(m, opt, &l.args[0], l.args[0].text, err) != 0)
            return -1;
    }
    return 0;
}
