/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie_conf.h - the `cookie` section (YAML) and directive (Corefile).
 *
 *   cookie: true | false
 *   cookie:
 *     enabled: true            # default: on
 *     secret_rotation: 24h     # a new random secret this often (0: never)
 *     secret: 0123...ef        # 32 hex digits: a fixed secret (anycast
 *                              # servers sharing cookies); no rotation
 *     badcookie: true          # UDP + invalid server cookie -> BADCOOKIE
 *
 *   Corefile:  cookie [on|off] [{ secret_rotation D; secret HEX; badcookie on|off }]
 */
#ifndef VMDNS_PLUGIN_COOKIE_CONF_H
#define VMDNS_PLUGIN_COOKIE_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "config/corefile_plugin.h"
#include "core/plugin.h"
#include "dns/cookie.h"

#define COOKIE_DEFAULT_ROTATION_MS (24ull * 3600 * 1000)

typedef struct cookie_conf {
    bool enabled;
    bool badcookie;
    uint64_t rotation_ms; /* 0: never */
    bool has_secret;
    uint8_t secret[COOKIE_SECRET_SIZE];
    answer_limits_t limits; /* for the BADCOOKIE frame */
    cfg_pos_t at;
} cookie_conf_t;

/* plugin_t.parse: section may be NULL (absent: the defaults, on). */
int cookie_conf_parse(const plugin_parse_env_t *penv, cfg_node_t *section, void **conf,
                      cfg_error_t *err);

/* plugin_t.conf_equal. */
bool cookie_conf_equal(const void *a, const void *b);

/* plugin_t.corefile: `cookie` into the root's `cookie` section. */
int cookie_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err);

#endif
