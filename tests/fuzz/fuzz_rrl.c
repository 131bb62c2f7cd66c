/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_rrl.c - libFuzzer harness for response rate limiting (plugins/rrl):
 * the respond hook and the token-bucket table, driven by any sequence of
 * clients, kinds, names, transports and clock steps.
 *
 * The input's first 8 bytes choose the config (allowances, window, slip,
 * a tiny table so accounts evict each other, prefix lengths, report-only,
 * requests-per-second); every further 24 bytes are one response: source
 * address (IPv4, IPv6 or IPv4-mapped), kind, wildcard, transport, cookie,
 * the clock step, and a name; it goes through the query hook (which only
 * prefetches) and the respond hook. Checked on every response:
 *   - TCP, a valid server cookie and report-only are always SEND;
 *   - slip-ratio 0 never truncates, 1 never drops;
 *   - the account's balance stays within [-window * rate, max(rate, 1)];
 *   - the table never changes size.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plugin.h"
#include "rrl/rrl.h"
#include "rrl/rrl_config.h"
#include "rrl/rrl_table.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_rrl: check failed: %s (line %d)\n", #cond, __LINE__);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define STEP 24

static const char *const names[] = {"a.vm.test", "b.vm.test", "*.w.vm.test",
                                    "vm.test",   "x.other",   "."};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) {
        return 0;
    }
    rrl_conf_t conf = {
        .window_s = 1u + data[0] % 20u,
        .v4_prefix = 1u + data[1] % 32u,
        .v6_prefix = 1u + data[2] % 128u,
        .slip = data[3] % 4u,
        .table_size = 4u + data[4] % 29u,
        .report_only = (data[5] & 1) != 0,
        .all_zones = (data[5] & 2) != 0,
    };
    static rrl_zone_t zone = {.wire = "\2vm\4test", .len = 9};
    conf.zones = &zone;
    conf.nzones = 1;
    for (int k = 0; k < RRL_NKINDS; k++) {
        /* 0 (off), or 0.5 .. 20 per second */
        unsigned v = (data[6] >> (k % 4)) & 1 ? 0 : 500u * (1u + (data[7] + k) % 40u);
        conf.rate_milli[k] = k == RRL_REQUEST && !(data[5] & 4) ? 0 : v;
    }
    plugin_env_t env = {0};
    void *state = NULL;
    cfg_error_t err;
    FUZZ_CHECK(plugin_rrl.setup(&env, &conf, &state, &err) == 0);
    rrl_table_t *table = rrl_instance_table(state);
    size_t table_size = rrl_table_size(table);
    rrl_limit_t lim[RRL_NKINDS];
    for (int k = 0; k < RRL_NKINDS; k++) {
        rrl_limit_init(&lim[k], conf.rate_milli[k], conf.window_s);
    }

    uint64_t now = 1000ull * 1000000000ull;
    for (size_t off = 8; off + STEP <= size; off += STEP) {
        const uint8_t *s = data + off;
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        socklen_t len;
        if ((s[0] & 3) == 0) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            sin->sin_family = AF_INET;
            memcpy(&sin->sin_addr, s + 1, 4);
            len = sizeof(*sin);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            sin6->sin6_family = AF_INET6;
            memcpy(&sin6->sin6_addr, s + 1, 16);
            if ((s[0] & 3) == 2) {
                memset(&sin6->sin6_addr, 0, 10);
                sin6->sin6_addr.s6_addr[10] = sin6->sin6_addr.s6_addr[11] = 0xff;
            }
            len = sizeof(*sin6);
        }
        wire_query_t q;
        memset(&q, 0, sizeof(q));
        q.has_question = true;
        q.qtype = s[17] % 3 == 0 ? 16 : 1;
        q.qname_len = (uint8_t)name_from_text(names[s[18] % 6], q.qname);
        request_t req = {
            .q = &q,
            .proto = (s[0] & 4) ? REQ_TCP : REQ_UDP,
            .peer = (struct sockaddr *)&ss,
            .peer_len = len,
            .slot = s[19] % 4,
            .server_cookie_ok = (s[0] & 8) != 0,
        };
        now += (uint64_t)(s[20] | s[21] << 8) * (s[0] & 16 ? 1000000ull : 10000ull);
        req.start_ns = now;
        req.meta.kind = (answer_kind_t)(s[22] % 5);
        req.meta.wildcard = (s[22] & 0x80) != 0;
        static const uint8_t charged[] = "\2vm\4test";
        static const uint8_t wild[] = "\1*\1w\2vm\4test";
        req.meta.charged = req.meta.wildcard ? wild : charged;
        req.meta.charged_len = req.meta.wildcard ? sizeof(wild) : sizeof(charged);

        FUZZ_CHECK(plugin_rrl.query(state, &req) == PLUGIN_NEXT); /* prefetch only */
        respond_action_t a = plugin_rrl.respond(state, &req);
        FUZZ_CHECK(a == RESPOND_SEND || a == RESPOND_DROP || a == RESPOND_TRUNCATE);
        if (req.proto == REQ_TCP || req.server_cookie_ok || conf.report_only) {
            FUZZ_CHECK(a == RESPOND_SEND);
        }
        if (conf.slip == 0) {
            FUZZ_CHECK(a != RESPOND_TRUNCATE);
        }
        if (conf.slip == 1) {
            FUZZ_CHECK(a != RESPOND_DROP);
        }
        /* The per-client accounts (errors, requests) are easy to name:
         * their balance stays within its bounds. */
        rrl_client_t cl;
        if (rrl_client_of(req.peer, req.peer_len, conf.v4_prefix, conf.v6_prefix, &cl)) {
            for (int k = RRL_ERROR; k <= RRL_REQUEST; k++) {
                int64_t bal = rrl_table_balance(table, rrl_key(table, &cl, k, 0, NULL, 0));
                if (bal != INT64_MAX && lim[k].on) {
                    FUZZ_CHECK(bal * RRL_UNITS_PER_TOKEN >= lim[k].min - RRL_UNITS_PER_TOKEN);
                    FUZZ_CHECK(bal * RRL_UNITS_PER_TOKEN <= lim[k].max);
                }
            }
        }
        FUZZ_CHECK(rrl_table_size(table) == table_size);
    }
    plugin_rrl.teardown(state);
    return 0;
}
