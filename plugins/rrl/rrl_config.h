/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl_config.h - the `rrl:` section (YAML) and the `rrl` directive
 * (Corefile), read into one config object.
 *
 * Apart from rrl.c so that the syntax, its defaults and its FILE:LINE
 * errors are unit-tested without a server (tests/unit/test_rrl.c). The keys
 * are CoreDNS's rrl plugin's, in both syntaxes:
 *
 *   rrl:
 *     zones: [vm.example.com]       # default: every zone (Corefile: the block's)
 *     window: 15                    # seconds
 *     ipv4-prefix-length: 24
 *     ipv6-prefix-length: 56
 *     responses-per-second: 10      # 0: not limited (default)
 *     nodata-per-second: 10         # default: responses-per-second
 *     nxdomains-per-second: 10      #   "
 *     referrals-per-second: 10      #   "
 *     errors-per-second: 10         #   "
 *     requests-per-second: 0        # 0: not limited (default)
 *     slip-ratio: 2                 # default 2 (CoreDNS: 0)
 *     max-table-size: 100000
 *     report-only: false
 */
#ifndef VMDNS_PLUGINS_RRL_CONFIG_H
#define VMDNS_PLUGINS_RRL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "dns/name.h"
#include "rrl/rrl_table.h"

struct cf_plugin_ctx;
struct cf_directive;

#define RRL_DEFAULT_WINDOW_S   15u
#define RRL_DEFAULT_V4_PREFIX  24u
#define RRL_DEFAULT_V6_PREFIX  56u
#define RRL_DEFAULT_SLIP       2u
#define RRL_MAX_SLIP           100u
#define RRL_DEFAULT_TABLE_SIZE 100000u

/* One zone whose queries are limited (lower-cased wire form). */
typedef struct rrl_zone {
    uint8_t wire[NAME_MAX_WIRE];
    uint8_t len;
} rrl_zone_t;

typedef struct rrl_conf {
    uint32_t window_s;
    unsigned v4_prefix, v6_prefix;
    uint32_t rate_milli[RRL_NKINDS]; /* per second, in thousandths; 0: not limited */
    unsigned slip;                   /* every Nth limited response slips (0: none) */
    uint64_t table_size;
    bool report_only;
    bool all_zones; /* "." is among the zones (or none given) */
    size_t nzones;
    rrl_zone_t *zones;
    cfg_pos_t at;
} rrl_conf_t;

/* plugin_t.parse: read the section (a map, or true/false) into a new
 * rrl_conf_t (*conf stays NULL for `rrl: false`). -1 with "FILE:LINE: ...". */
int rrl_conf_parse(cfg_node_t *section, void **conf, cfg_error_t *err);

/* plugin_t.conf_equal / conf_free. */
bool rrl_conf_equal(const void *a, const void *b);
void rrl_conf_free(void *conf);

/* plugin_t.corefile: `rrl [ZONES...] { OPTION VALUE ... report-only }`. */
int rrl_corefile(struct cf_plugin_ctx *ctx, const struct cf_directive *d, cfg_error_t *err);

#endif
