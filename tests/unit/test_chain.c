/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_chain.c - the plugin chain: which plugins are set up, in what order
 * their hooks run, who answers, and what chain_process() does with drops,
 * FORMERR, NOTIMP and the UDP/TCP size limits.
 *
 * The chain is built both from the real registry (plugins/plugin.cfg, so
 * the `file` plugin loads data/test.zone) and from test plugins defined
 * here: one that answers TXT queries itself, one that only watches, one
 * that is never configured, one whose setup fails, and two with a respond
 * hook that send, drop or truncate what was built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "core/chain.h"
#include "dns/name.h"
#include "dns/opt.h"
#include "dns/wire.h"
#include "view/view.h"

/* What the test plugins saw (test-only shared state). */
typedef struct seen {
    int setups, teardowns, starts;
    int answer_queries, watch_queries, watch_dones, absent_calls;
    char order[16]; /* teardown order, one letter per plugin */
    const char *answered_by;
    uint8_t rcode;
    bool aa, tc, zone;
    size_t resp_len, resp_cap;
    req_proto_t proto;
    respond_action_t action;
    const char *action_by;
    int respond_calls[2];
    answer_kind_t kind; /* as the respond hook saw it */
    uint8_t charged[NAME_MAX_WIRE];
    size_t charged_len;
} seen_t;

static seen_t seen;

static void note_teardown(char who)
{
    size_t n = strlen(seen.order);
    if (n + 1 < sizeof(seen.order)) {
        seen.order[n] = who;
    }
    seen.teardowns++;
}

/* "answer": configured by `answer: <rcode>`; answers TXT queries itself
 * with that rcode (the question echoed), passes everything else on. */
typedef struct answer_state {
    uint8_t rcode;
} answer_state_t;

static int answer_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    uint64_t rcode;
    if (cfg_uint(cfg, 0, 15, &rcode, err) != 0) {
        return -1;
    }
    answer_state_t *c = malloc(sizeof(*c));
    c->rcode = (uint8_t)rcode;
    *conf = c;
    return 0;
}

static bool answer_conf_equal(const void *a, const void *b)
{
    return ((const answer_state_t *)a)->rcode == ((const answer_state_t *)b)->rcode;
}

static int answer_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    answer_state_t *st = malloc(sizeof(*st));
    *st = *(const answer_state_t *)conf;
    *state = st;
    seen.setups++;
    return 0;
}

static plugin_result_t answerer_query(void *state, request_t *req)
{
    const answer_state_t *st = state;
    seen.answer_queries++;
    if (req->q->qtype != WIRE_TYPE_TXT) {
        return PLUGIN_NEXT;
    }
    size_t len = req->q->question_end;
    memcpy(req->resp, req->q->pkt, len);
    wire_write_u16(req->resp + 2, (uint16_t)(WIRE_FLAG_QR | st->rcode));
    memset(req->resp + 6, 0, 6); /* no answer, authority, additional */
    req->resp_len = len;
    req->meta.rcode = st->rcode;
    return PLUGIN_DONE;
}

static void answer_teardown(void *state)
{
    free(state);
    note_teardown('a');
}

static const plugin_t plugin_answer = {
    .name = "answer",
    .config_key = "answer",
    .parse = answer_parse,
    .conf_equal = answer_conf_equal,
    .conf_free = free,
    .setup = answer_setup,
    .query = answerer_query,
    .teardown = answer_teardown,
};

/* "watch": no config key (always set up); counts queries, records the
 * finished response; not ready until started. */
static int watch_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    assert_null(conf);
    *state = &seen;
    seen.setups++;
    return 0;
}

static bool watch_conf_equal(const void *a, const void *b)
{
    return true; /* nothing to configure: an instance always fits */
}

static int watch_start(void *state)
{
    seen.starts++;
    return 0;
}

static plugin_result_t watch_query(void *state, request_t *req)
{
    seen.watch_queries++;
    return PLUGIN_NEXT;
}

static void watch_done(void *state, request_t *req)
{
    assert_ptr_equal(state, &seen);
    seen.watch_dones++;
    seen.answered_by = req->answered_by;
    seen.rcode = req->meta.rcode;
    seen.aa = req->meta.authoritative;
    seen.tc = req->meta.truncated;
    seen.zone = req->meta.zone != NULL;
    seen.resp_len = req->resp_len;
    seen.resp_cap = req->resp_cap;
    seen.proto = req->proto;
    seen.action = req->action;
    seen.action_by = req->action_by;
}

static bool watch_ready(void *state, char *why, size_t len)
{
    if (seen.starts > 0) {
        return true;
    }
    snprintf(why, len, "not started");
    return false;
}

static void watch_teardown(void *state)
{
    note_teardown('w');
}

static const plugin_t plugin_watch = {
    .name = "watch",
    .conf_equal = watch_conf_equal,
    .setup = watch_setup,
    .start = watch_start,
    .query = watch_query,
    .done = watch_done,
    .ready = watch_ready,
    .teardown = watch_teardown,
};

/* "absent": its key is never in the config, so nothing of it may run. */
static int absent_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    seen.absent_calls++;
    return 0;
}

static int absent_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    seen.absent_calls++;
    return 0;
}

static plugin_result_t absent_query(void *state, request_t *req)
{
    seen.absent_calls++;
    return PLUGIN_DONE;
}

static void absent_done(void *state, request_t *req)
{
    seen.absent_calls++;
}

static const plugin_t plugin_absent = {
    .name = "absent",
    .config_key = "absent",
    .parse = absent_parse,
    .setup = absent_setup,
    .query = absent_query,
    .done = absent_done,
};

/* "broken": parses, but setup fails with a config error at its line. */
static int broken_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                        cfg_error_t *err)
{
    cfg_pos_t *at = malloc(sizeof(*at));
    cfg_pos_of(cfg, at);
    *conf = at;
    return 0;
}

static int broken_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    return cfg_fail_pos(err, conf, "broken: cannot set up");
}

static const plugin_t plugin_broken = {
    .name = "broken",
    .config_key = "broken",
    .parse = broken_parse,
    .conf_free = free,
    .setup = broken_setup,
    .teardown = answer_teardown, /* must never run: setup failed */
};

/* "limit" and "limit2": `limit: send|drop|truncate`; their respond hook
 * returns that for every response and notes what it saw. */
typedef struct limit_state {
    int index;
    respond_action_t action;
} limit_state_t;

static int limit_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                       cfg_error_t *err)
{
    const char *v;
    if (cfg_string(cfg, &v, err) != 0) {
        return -1;
    }
    respond_action_t *a = malloc(sizeof(*a));
    *a = strcmp(v, "drop") == 0       ? RESPOND_DROP
         : strcmp(v, "truncate") == 0 ? RESPOND_TRUNCATE
                                      : RESPOND_SEND;
    *conf = a;
    return 0;
}

static int limit_setup_n(const void *conf, void **state, int index)
{
    limit_state_t *st = malloc(sizeof(*st));
    st->index = index;
    st->action = *(const respond_action_t *)conf;
    *state = st;
    return 0;
}

static int limit_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    return limit_setup_n(conf, state, 0);
}

static int limit2_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    return limit_setup_n(conf, state, 1);
}

static respond_action_t limit_respond(void *state, request_t *req)
{
    const limit_state_t *st = state;
    seen.respond_calls[st->index]++;
    seen.kind = req->meta.kind;
    seen.charged_len = req->meta.charged_len;
    if (req->meta.charged != NULL) {
        memcpy(seen.charged, req->meta.charged, req->meta.charged_len);
    }
    assert_int_equal(req->action, RESPOND_SEND); /* nobody decided yet */
    return st->action;
}

static void limit_teardown(void *state)
{
    free(state);
}

static const plugin_t plugin_limit = {
    .name = "limit",
    .config_key = "limit",
    .parse = limit_parse,
    .conf_free = free,
    .setup = limit_setup,
    .respond = limit_respond,
    .teardown = limit_teardown,
};

static const plugin_t plugin_limit2 = {
    .name = "limit2",
    .config_key = "limit2",
    .parse = limit_parse,
    .conf_free = free,
    .setup = limit2_setup,
    .respond = limit_respond,
    .teardown = limit_teardown,
};

/* "cookie": a respond hook that adds to the reply, as a DNS cookies plugin
 * would: the client cookie and an 8-byte server cookie of 0xAA. */
static int cookie_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    *state = NULL;
    return 0;
}

static respond_action_t cookie_respond(void *state, request_t *req)
{
    const wire_query_t *q = req->q;
    if (q->cookie == NULL) {
        return RESPOND_SEND;
    }
    uint8_t c[16];
    memcpy(c, q->cookie, 8);
    memset(c + 8, 0xAA, 8);
    size_t at = opt_find(req->resp, req->resp_len);
    assert_true(at > 0);
    assert_true(opt_add_option(req->resp, &req->resp_len, req->resp_cap, at, OPT_CODE_COOKIE, c,
                               sizeof(c)));
    return RESPOND_SEND;
}

static const plugin_t plugin_cookie = {
    .name = "cookie", /* no config key: always in the chain */
    .setup = cookie_setup,
    .respond = cookie_respond,
};

extern const plugin_t plugin_file;

/* ---- harness ---- */

typedef struct fixture {
    view_t *view;
    cfg_node_t *cfg;
    chain_t *chain;
    answer_limits_t lim;
} fixture_t;

/* Build a chain of `plugins` over the config text; the zones of
 * data/test.zone are served when the list contains the file plugin. */
static void fixture_init(fixture_t *f, const plugin_t *const *plugins, size_t n, const char *yaml)
{
    memset(&seen, 0, sizeof(seen));
    memset(f, 0, sizeof(*f));
    f->view = view_new();
    f->lim.edns_udp_size = 1232;
    cfg_error_t err = {{0}};
    f->cfg = cfg_parse_yaml(yaml, strlen(yaml), VMDNS_TEST_DATA "/chain.yaml", &err);
    assert_non_null(f->cfg);
    plugin_env_t env = {.view = f->view, .workers = 1, .limits = &f->lim};
    f->chain = chain_new_from(plugins, n, &env, f->cfg, &err);
    if (f->chain == NULL) {
        fail_msg("chain_new_from: %s", err.msg);
    }
    if (cfg_check_unused(f->cfg, &err) != 0) {
        fail_msg("cfg_check_unused: %s", err.msg);
    }
}

static void fixture_free(fixture_t *f)
{
    chain_free(f->chain);
    view_free(f->view);
    cfg_free(f->cfg);
}

/* A query: header with `flags` and `qdcount`, one question, optional OPT. */
static size_t make_query(uint8_t *out, uint16_t flags, uint16_t qdcount, const char *name,
                         uint16_t type, uint16_t edns_udp)
{
    uint8_t qname[NAME_MAX_WIRE];
    size_t qlen = name_from_text(name, qname);
    assert_true(qlen > 0);
    memset(out, 0, 12);
    wire_write_u16(out, 0x1234);
    wire_write_u16(out + 2, flags);
    wire_write_u16(out + 4, qdcount);
    size_t len = 12;
    memcpy(out + len, qname, qlen);
    len += qlen;
    wire_write_u16(out + len, type);
    wire_write_u16(out + len + 2, WIRE_CLASS_IN);
    len += 4;
    if (edns_udp > 0) {
        wire_write_u16(out + 10, 1);
        out[len] = 0; /* root owner */
        wire_write_u16(out + len + 1, WIRE_TYPE_OPT);
        wire_write_u16(out + len + 3, edns_udp);
        memset(out + len + 5, 0, 6); /* ext rcode, version, flags, rdlen */
        len += 11;
    }
    return len;
}

/* Run one query through the chain; returns the response length. */
static size_t run(const fixture_t *f, const uint8_t *pkt, size_t len, req_proto_t proto,
                  uint8_t *out, size_t cap)
{
    chain_packet_t p = {.pkt = pkt, .len = len, .proto = proto};
    return chain_process(f->chain, f->view, &f->lim, &p, out, cap);
}

#define RCODE(r)   (wire_read_u16((r) + 2) & 0xF)
#define FLAGS(r)   wire_read_u16((r) + 2)
#define ANCOUNT(r) wire_read_u16((r) + 6)

/* ---- tests ---- */

static const plugin_t *const all[] = {&plugin_answer, &plugin_absent, &plugin_watch, &plugin_file};

static void test_view_answers(void **state)
{
    fixture_t f;
    fixture_init(&f, all, 4, "answer: 5\nzones:\n  - origin: test.example.\n    file: test.zone\n");
    uint8_t q[512], r[65535];
    size_t len = make_query(q, WIRE_FLAG_RD, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_true(rlen > len);
    assert_int_equal(wire_read_u16(r), 0x1234);
    assert_true(FLAGS(r) & WIRE_FLAG_QR);
    assert_true(FLAGS(r) & WIRE_FLAG_AA);
    assert_int_equal(RCODE(r), WIRE_RCODE_NOERROR);
    assert_int_equal(ANCOUNT(r), 1);
    assert_memory_equal(r + rlen - 4, "\xc0\x00\x02\x35", 4); /* 192.0.2.53 */

    /* Every configured query hook ran (answer passed it on), then the view
     * answered, then the done hook saw the result. */
    assert_int_equal(seen.answer_queries, 1);
    assert_int_equal(seen.watch_queries, 1);
    assert_int_equal(seen.watch_dones, 1);
    assert_null(seen.answered_by);
    assert_true(seen.aa);
    assert_true(seen.zone);
    assert_int_equal(seen.resp_len, rlen);
    assert_int_equal(seen.resp_cap, 512);
    assert_int_equal(seen.absent_calls, 0);

    /* Outside every zone: REFUSED from the view. */
    len = make_query(q, 0, 1, "www.elsewhere.", WIRE_TYPE_A, 0);
    rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(RCODE(r), WIRE_RCODE_REFUSED);
    assert_false(seen.zone);
    fixture_free(&f);
}

static void test_plugin_answers(void **state)
{
    fixture_t f;
    fixture_init(&f, all, 4, "answer: 3\nzones:\n  - origin: test.example.\n    file: test.zone\n");
    uint8_t q[512], r[65535];
    size_t len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_TXT, 0);
    size_t rlen = run(&f, q, len, REQ_TCP, r, sizeof(r));
    assert_int_equal(rlen, len);
    assert_int_equal(RCODE(r), 3);
    assert_int_equal(ANCOUNT(r), 0);
    /* The first PLUGIN_DONE wins: the later query hook is skipped, the done
     * hook still runs and knows who answered. */
    assert_int_equal(seen.answer_queries, 1);
    assert_int_equal(seen.watch_queries, 0);
    assert_int_equal(seen.watch_dones, 1);
    assert_string_equal(seen.answered_by, "answer");
    assert_int_equal(seen.rcode, 3);
    assert_int_equal(seen.proto, REQ_TCP);
    assert_int_equal(seen.resp_cap, 65535);
    fixture_free(&f);
}

static void test_unconfigured_plugins(void **state)
{
    /* Without `answer:` and `zones:` only `watch` is in the chain. */
    fixture_t f;
    fixture_init(&f, all, 4, "{}\n");
    assert_int_equal(seen.setups, 1);
    uint8_t q[512], r[65535];
    size_t len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_TXT, 0);
    run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(RCODE(r), WIRE_RCODE_REFUSED); /* no zones */
    assert_int_equal(seen.answer_queries, 0);
    assert_int_equal(seen.watch_queries, 1);
    assert_int_equal(seen.absent_calls, 0);
    fixture_free(&f);
    assert_string_equal(seen.order, "w");
}

static void test_drop_formerr_notimp(void **state)
{
    fixture_t f;
    fixture_init(&f, all, 4, "answer: 5\nzones:\n  - origin: test.example.\n    file: test.zone\n");
    uint8_t q[512], r[65535];
    size_t len = make_query(q, WIRE_FLAG_QR, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    assert_int_equal(run(&f, q, len, REQ_UDP, r, sizeof(r)), 0); /* a response: dropped */
    assert_int_equal(run(&f, q, 11, REQ_UDP, r, sizeof(r)), 0);  /* shorter than a header */

    len = make_query(q, 0, 2, "ns1.test.example.", WIRE_TYPE_A, 0);
    size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_true(rlen >= 12);
    assert_int_equal(RCODE(r), WIRE_RCODE_FORMERR);

    len = make_query(q, 2 << 11 /* opcode STATUS */, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    rlen = run(&f, q, len, REQ_TCP, r, sizeof(r));
    assert_true(rlen >= 12);
    assert_int_equal(RCODE(r), WIRE_RCODE_NOTIMP);

    /* No query hook saw these; the done hooks (logs, metrics) saw the one
     * error reply that had a question (the NOTIMP), as CoreDNS counts it. */
    assert_int_equal(seen.answer_queries + seen.watch_queries, 0);
    assert_int_equal(seen.watch_dones, 1);
    fixture_free(&f);
}

static void test_size_limits(void **state)
{
    fixture_t f;
    fixture_init(&f, all, 4, "zones:\n  - origin: test.example.\n    file: test.zone\n");
    uint8_t q[512], r[65535];

    /* 40 A records: about 660 bytes. Plain UDP: 512 and TC. */
    size_t len = make_query(q, 0, 1, "many.test.example.", WIRE_TYPE_A, 0);
    size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_true(rlen <= 512);
    assert_true(FLAGS(r) & WIRE_FLAG_TC);
    assert_true(seen.tc);

    /* TCP: everything. */
    rlen = run(&f, q, len, REQ_TCP, r, sizeof(r));
    assert_true(rlen > 512);
    assert_false(FLAGS(r) & WIRE_FLAG_TC);
    assert_int_equal(ANCOUNT(r), 40);

    /* EDNS 4096 from the client, 1232 configured: fits in 1232. */
    len = make_query(q, 0, 1, "many.test.example.", WIRE_TYPE_A, 4096);
    rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_true(rlen > 512 && rlen <= 1232);
    assert_false(FLAGS(r) & WIRE_FLAG_TC);
    assert_int_equal(seen.resp_cap, 1232);

    /* The caller's buffer is a hard limit too. */
    rlen = run(&f, q, len, REQ_TCP, r, 600);
    assert_true(rlen <= 600);
    assert_true(FLAGS(r) & WIRE_FLAG_TC);
    fixture_free(&f);
}

static void test_setup_failure(void **state)
{
    static const plugin_t *const list[] = {&plugin_answer, &plugin_watch, &plugin_broken,
                                           &plugin_file};
    memset(&seen, 0, sizeof(seen));
    view_t *view = view_new();
    const char *yaml = "answer: 1\nbroken: yes\nzones: []\n";
    cfg_error_t err = {{0}};
    cfg_node_t *cfg = cfg_parse_yaml(yaml, strlen(yaml), "c.yaml", &err);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim};
    assert_null(chain_new_from(list, 4, &env, cfg, &err));
    assert_string_equal(err.msg, "c.yaml:2: broken: cannot set up");
    /* What was set up is torn down, in reverse order; nothing else is. */
    assert_int_equal(seen.setups, 2);
    assert_string_equal(seen.order, "wa");
    cfg_free(cfg);

    /* A bad value in a plugin's section: its own message and line. */
    yaml = "\nanswer: many\n";
    cfg = cfg_parse_yaml(yaml, strlen(yaml), "c.yaml", &err);
    assert_null(chain_new_from(list, 4, &env, cfg, &err));
    assert_string_equal(err.msg,
                        "c.yaml:2: answer: expected a whole number from 0 to 15, got 'many'");
    cfg_free(cfg);
    view_free(view);
}

/* A reload's chain shares the running instance of a plugin whose config
 * did not change (no second setup, no second start), sets up the ones that
 * changed, and an instance is torn down when the last chain drops it. */
static void test_reuse_unchanged(void **state)
{
    static const plugin_t *const list[] = {&plugin_answer, &plugin_watch};
    memset(&seen, 0, sizeof(seen));
    view_t *view = view_new();
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim};
    plugin_parse_env_t penv = {.workers = 1, .limits = &lim};
    cfg_error_t err = {{0}};
    const char *y1 = "answer: 1\n", *y2 = "answer: 2\n";
    cfg_node_t *c1 = cfg_parse_yaml(y1, strlen(y1), "c.yaml", &err);
    cfg_node_t *c2 = cfg_parse_yaml(y2, strlen(y2), "c.yaml", &err);

    chain_t *a = chain_build(&env, chain_parse_from(list, 2, &penv, c1, &err), NULL, true, &err);
    assert_non_null(a);
    assert_int_equal(chain_start(a, &err), 0);
    assert_int_equal(seen.setups, 2);
    assert_int_equal(seen.starts, 1);

    /* Same config: everything shared, nothing set up or started again. */
    chain_t *b = chain_build(&env, chain_parse_from(list, 2, &penv, c1, &err), a, true, &err);
    assert_non_null(b);
    assert_int_equal(chain_start(b, &err), 0);
    assert_int_equal(seen.setups, 2);
    assert_int_equal(seen.starts, 1);
    assert_true(chain_shares(b, a, "answer"));
    assert_true(chain_shares(b, a, "watch"));
    chain_free(a);
    assert_string_equal(seen.order, ""); /* b still holds both */

    /* answer changed: set up again; watch still shared. */
    chain_conf_t *cc = chain_parse_from(list, 2, &penv, c2, &err);
    assert_false(chain_conf_keeps(cc, b, "answer"));
    chain_t *c = chain_build(&env, cc, b, true, &err);
    assert_non_null(c);
    assert_false(chain_shares(c, b, "answer"));
    assert_true(chain_shares(c, b, "watch"));
    assert_int_equal(seen.setups, 3);
    /* A new server next to the running one: watch has per-query hooks
     * (per-worker state), so it is not shared even with an equal config. */
    plugin_env_t fresh_server = env;
    fresh_server.new_server = true;
    chain_t *d =
        chain_build(&fresh_server, chain_parse_from(list, 2, &penv, c2, &err), c, true, &err);
    assert_non_null(d);
    assert_false(chain_shares(d, c, "watch"));
    assert_int_equal(seen.setups, 5);
    chain_free(d);
    memset(seen.order, 0, sizeof(seen.order));
    chain_free(b);
    assert_string_equal(seen.order, "a");
    chain_free(c);
    assert_string_equal(seen.order, "awa");
    cfg_free(c1);
    cfg_free(c2);
    view_free(view);
}

static void test_start_ready_teardown(void **state)
{
    fixture_t f;
    fixture_init(&f, all, 4, "answer: 0\n");
    char why[128];
    assert_false(chain_ready(f.chain, why, sizeof(why)));
    assert_string_equal(why, "watch: not started");
    cfg_error_t err = {{0}};
    assert_int_equal(chain_start(f.chain, &err), 0);
    assert_int_equal(seen.starts, 1);
    assert_true(chain_ready(f.chain, why, sizeof(why)));
    assert_string_equal(why, "");
    fixture_free(&f);
    assert_string_equal(seen.order, "wa");
}

static void test_registry_chain(void **state)
{
    /* The generated registry has the file plugin: chain_new() with a
     * `zones:` section serves the zone. */
    memset(&seen, 0, sizeof(seen));
    view_t *view = view_new();
    cfg_error_t err = {{0}};
    cfg_node_t *cfg = cfg_load_yaml(VMDNS_TEST_DATA "/zones.yaml", &err);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim};
    chain_t *chain = chain_new(&env, cfg, &err);
    assert_non_null(chain);
    assert_int_equal(cfg_check_unused(cfg, &err), 0);
    uint8_t q[512], r[65535];
    size_t len = make_query(q, 0, 1, "Mixed.Test.Example.", WIRE_TYPE_A, 0);
    chain_packet_t p = {.pkt = q, .len = len, .proto = REQ_UDP};
    size_t rlen = chain_process(chain, view, &lim, &p, r, sizeof(r));
    assert_true(rlen > len);
    assert_int_equal(RCODE(r), WIRE_RCODE_NOERROR);
    assert_int_equal(ANCOUNT(r), 2);
    chain_free(chain);
    cfg_free(cfg);
    view_free(view);
}

static const plugin_t *const limited[] = {&plugin_answer, &plugin_limit, &plugin_watch,
                                          &plugin_limit2, &plugin_file};
#define ZONES "zones:\n  - origin: test.example.\n    file: test.zone\n"

static void test_respond_send(void **state)
{
    /* SEND everywhere: the bytes are those of a chain without respond hooks. */
    fixture_t plain, f;
    fixture_init(&plain, all, 4, ZONES);
    uint8_t q[512], want[65535], r[65535];
    size_t len = make_query(q, 0, 1, "many.test.example.", WIRE_TYPE_A, 1232);
    size_t wlen = run(&plain, q, len, REQ_UDP, want, sizeof(want));
    fixture_free(&plain);

    fixture_init(&f, limited, 5, "limit: send\nlimit2: send\n" ZONES);
    size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(rlen, wlen);
    assert_memory_equal(r, want, wlen);
    assert_int_equal(seen.respond_calls[0], 1);
    assert_int_equal(seen.respond_calls[1], 1);
    assert_int_equal(seen.action, RESPOND_SEND);
    assert_null(seen.action_by);
    assert_int_equal(seen.resp_len, rlen);
    /* the respond hook saw what the view built */
    assert_int_equal(seen.kind, ANSWER_KIND_ANSWER);
    uint8_t name[NAME_MAX_WIRE];
    size_t nlen = name_from_text("many.test.example.", name);
    assert_int_equal(seen.charged_len, nlen);
    assert_memory_equal(seen.charged, name, nlen);

    /* NXDOMAIN is charged to the apex */
    len = make_query(q, 0, 1, "nothere.test.example.", WIRE_TYPE_A, 0);
    run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(seen.kind, ANSWER_KIND_NXDOMAIN);
    nlen = name_from_text("test.example.", name);
    assert_int_equal(seen.charged_len, nlen);
    assert_memory_equal(seen.charged, name, nlen);
    fixture_free(&f);
}

static void test_respond_drop(void **state)
{
    fixture_t f;
    fixture_init(&f, limited, 5, "limit: drop\nlimit2: truncate\nanswer: 3\n" ZONES);
    uint8_t q[512], r[65535];
    size_t len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    assert_int_equal(run(&f, q, len, REQ_UDP, r, sizeof(r)), 0);
    /* The first non-SEND wins: limit2 never ran; the done hook saw the
     * drop, who decided it, and the response that was not sent. */
    assert_int_equal(seen.respond_calls[0], 1);
    assert_int_equal(seen.respond_calls[1], 0);
    assert_int_equal(seen.watch_dones, 1);
    assert_int_equal(seen.action, RESPOND_DROP);
    assert_string_equal(seen.action_by, "limit");
    assert_int_equal(seen.rcode, WIRE_RCODE_NOERROR);
    assert_true(seen.resp_len > len);

    /* over TCP too, and for an answer a query hook wrote */
    len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_TXT, 0);
    assert_int_equal(run(&f, q, len, REQ_TCP, r, sizeof(r)), 0);
    assert_string_equal(seen.answered_by, "answer");
    assert_int_equal(seen.action, RESPOND_DROP);

    /* Error replies with a question go through the respond stage too
     * (FORMERR: trailing garbage; NOTIMP: opcode STATUS)... */
    len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    q[len++] = 0;
    assert_int_equal(run(&f, q, len, REQ_UDP, r, sizeof(r)), 0);
    assert_int_equal(seen.rcode, WIRE_RCODE_FORMERR);
    assert_int_equal(seen.kind, ANSWER_KIND_ERROR);
    assert_int_equal(seen.charged_len, 1); /* no zone: the root */
    assert_int_equal(seen.charged[0], 0);
    len = make_query(q, 2 << 11, 1, "ns1.test.example.", WIRE_TYPE_A, 0);
    assert_int_equal(run(&f, q, len, REQ_UDP, r, sizeof(r)), 0);
    assert_int_equal(seen.rcode, WIRE_RCODE_NOTIMP);
    assert_int_equal(seen.respond_calls[0], 4);
    /* ... those without one (a header alone) do not. */
    len = make_query(q, 0, 0, "ns1.test.example.", WIRE_TYPE_A, 0);
    assert_int_equal(run(&f, q, 12, REQ_UDP, r, sizeof(r)), 12);
    assert_int_equal(seen.respond_calls[0], 4);
    fixture_free(&f);
}

static void test_respond_truncate(void **state)
{
    fixture_t f;
    fixture_init(&f, limited, 5, "limit: send\nlimit2: truncate\n" ZONES);
    uint8_t q[512], r[65535];
    /* 40 A records fit in the client's 4096 (and our 1232): a full answer
     * is built, and the slip replaces it: TC, question and OPT only. */
    size_t len = make_query(q, WIRE_FLAG_RD, 1, "many.test.example.", WIRE_TYPE_A, 4096);
    size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(rlen, len); /* header + question + an 11-byte OPT, like the query */
    assert_int_equal(wire_read_u16(r), 0x1234);
    assert_int_equal(FLAGS(r),
                     WIRE_FLAG_QR | WIRE_FLAG_AA | WIRE_FLAG_TC | WIRE_FLAG_RD); /* NOERROR */
    assert_int_equal(wire_read_u16(r + 4), 1);
    assert_int_equal(ANCOUNT(r), 0);
    assert_int_equal(wire_read_u16(r + 8), 0);
    assert_int_equal(wire_read_u16(r + 10), 1);
    assert_memory_equal(r + 12, q + 12, len - 12 - 11);
    assert_int_equal(r[rlen - 11], 0);
    assert_int_equal(wire_read_u16(r + rlen - 10), WIRE_TYPE_OPT);
    assert_int_equal(wire_read_u16(r + rlen - 8), 1232);
    assert_int_equal(seen.respond_calls[0], 1);
    assert_int_equal(seen.respond_calls[1], 1);
    assert_int_equal(seen.action, RESPOND_TRUNCATE);
    assert_string_equal(seen.action_by, "limit2");
    assert_true(seen.tc);
    assert_int_equal(seen.resp_len, rlen);

    /* NXDOMAIN keeps its rcode in the slip; without EDNS there is no OPT */
    len = make_query(q, 0, 1, "nothere.test.example.", WIRE_TYPE_A, 0);
    rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
    assert_int_equal(rlen, len);
    assert_int_equal(FLAGS(r), WIRE_FLAG_QR | WIRE_FLAG_AA | WIRE_FLAG_TC | WIRE_RCODE_NXDOMAIN);
    assert_int_equal(wire_read_u16(r + 8), 0);
    assert_int_equal(wire_read_u16(r + 10), 0);
    fixture_free(&f);
}

static void test_respond_adds_option(void **state)
{
    static const plugin_t *const list[] = {&plugin_cookie, &plugin_limit2, &plugin_watch,
                                           &plugin_file};
    fixture_t f;
    uint8_t q[512], r[65535];
    /* ns1.test.example A with an OPT holding a client cookie */
    size_t len = make_query(q, 0, 1, "ns1.test.example.", WIRE_TYPE_A, 1232);
    static const uint8_t opt_rdata[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    wire_write_u16(q + len - 2, sizeof(opt_rdata));
    memcpy(q + len, opt_rdata, sizeof(opt_rdata));
    len += sizeof(opt_rdata);

    for (int slip = 0; slip < 2; slip++) {
        fixture_init(&f, list, 4, slip ? "limit2: truncate\n" ZONES : "limit2: send\n" ZONES);
        size_t rlen = run(&f, q, len, REQ_UDP, r, sizeof(r));
        /* the reply ends with an OPT carrying the cookie, also in a slip,
         * and the done hooks saw the final length */
        size_t at = opt_find(r, rlen);
        assert_true(at > 0);
        assert_int_equal(wire_read_u16(r + at + 9), 20);
        assert_int_equal(wire_read_u16(r + at + 11), OPT_CODE_COOKIE);
        assert_int_equal(wire_read_u16(r + at + 13), 16);
        assert_memory_equal(r + at + 15, opt_rdata + 4, 8);
        assert_int_equal(r[at + 15 + 8], 0xAA);
        assert_int_equal(rlen, at + 11 + 20);
        assert_int_equal(seen.resp_len, rlen);
        if (slip) {
            assert_true(FLAGS(r) & WIRE_FLAG_TC);
            assert_int_equal(ANCOUNT(r), 0);
            assert_int_equal(wire_read_u16(r + 10), 1);
        } else {
            assert_int_equal(ANCOUNT(r), 1);
        }
        fixture_free(&f);
    }
}

static int group_setup(void **state)
{
    rcu_register_thread();
    return 0;
}

static int group_teardown(void **state)
{
    rcu_unregister_thread();
    return 0;
}

/* Server blocks (chain_block.h): the block on the packet's listener with
 * the longest zone runs its own instances; no block, or a longer zone of
 * a block on another listener: REFUSED with no hook run; blocks with equal
 * sections share one instance. */
static void test_server_blocks(void **state)
{
    static const char *const listen[] = {"127.0.0.1:53", "127.0.0.2:53"};
    static const plugin_t *const list[] = {&plugin_answer, &plugin_file};
    memset(&seen, 0, sizeof(seen));
    view_t *view = view_new();
    answer_limits_t lim = {.edns_udp_size = 1232};
    const char *yaml = "zones:\n  - origin: test.example.\n    file: test.zone\n"
                       "servers:\n"
                       "  - {zones: [test.example.], listen: [\"127.0.0.2:53\"], answer: 5}\n"
                       "  - {zones: [\".\"], listen: [\"127.0.0.1:53\"], answer: 3}\n";
    cfg_error_t err = {{0}};
    cfg_node_t *cfg = cfg_parse_yaml(yaml, strlen(yaml), VMDNS_TEST_DATA "/chain.yaml", &err);
    assert_non_null(cfg);
    plugin_env_t env = {.view = view, .workers = 1, .limits = &lim, .listen = listen, .nlisten = 2};
    chain_t *chain = chain_new_from(list, 2, &env, cfg, &err);
    if (chain == NULL) {
        fail_msg("chain_new_from: %s", err.msg);
    }
    assert_int_equal(cfg_check_unused(cfg, &err), 0);
    assert_int_equal(seen.setups, 2); /* different configs: two instances */
    assert_int_equal(chain_blocks(chain), 2);
    assert_string_equal(chain_block_zone(chain, 0, 0), "test.example.");
    assert_string_equal(chain_block_server(chain, 0, 0), "dns://127.0.0.2:53");
    assert_string_equal(chain_block_server(chain, 1, 0), "dns://127.0.0.1:53");
    assert_null(chain_block_server(chain, 1, 1));

    uint8_t q[512], r[65535];
    struct {
        const char *name;
        uint16_t type;
        unsigned listener;
        int rcode;
        int hooks; /* query hooks that ran */
    } cases[] = {
        {"x.test.example.", WIRE_TYPE_TXT, 1, 5, 1}, /* block 0's instance */
        {"x.other.", WIRE_TYPE_TXT, 0, 3, 1},        /* block 1's */
        {"ns1.test.example.", WIRE_TYPE_A, 1, WIRE_RCODE_NOERROR, 1},
        {"ns1.test.example.", WIRE_TYPE_A, 0, WIRE_RCODE_REFUSED, 0}, /* claimed elsewhere */
        {"NS1.Test.Example.", WIRE_TYPE_TXT, 0, WIRE_RCODE_REFUSED, 0},
        {"www.other.", WIRE_TYPE_A, 1, WIRE_RCODE_REFUSED, 0}, /* no block on 127.0.0.2 */
        {"www.other.", WIRE_TYPE_A, 0, WIRE_RCODE_REFUSED, 1}, /* "." block: not in the view */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int before = seen.answer_queries;
        size_t len = make_query(q, 0, 1, cases[i].name, cases[i].type, 0);
        chain_packet_t p = {.pkt = q, .len = len, .proto = REQ_UDP, .listener = cases[i].listener};
        size_t rlen = chain_process(chain, view, &lim, &p, r, sizeof(r));
        assert_true(rlen >= 12);
        if (RCODE(r) != cases[i].rcode || seen.answer_queries - before != cases[i].hooks) {
            fail_msg("case %zu (%s on %u): rcode %d, %d hooks", i, cases[i].name, cases[i].listener,
                     RCODE(r), seen.answer_queries - before);
        }
    }
    chain_free(chain);
    cfg_free(cfg);

    /* Equal sections: one instance for both blocks. */
    memset(&seen, 0, sizeof(seen));
    const char *same = "servers:\n"
                       "  - {zones: [a.example.], listen: [\"127.0.0.2:53\"], answer: 5}\n"
                       "  - {zones: [b.example.], listen: [\"127.0.0.1:53\"], answer: 5}\n";
    cfg = cfg_parse_yaml(same, strlen(same), "c.yaml", &err);
    chain = chain_new_from(list, 2, &env, cfg, &err);
    assert_non_null(chain);
    assert_int_equal(seen.setups, 1);
    chain_free(chain);
    cfg_free(cfg);

    /* One zone twice on one listener: an error with the line. */
    const char *dup = "servers:\n"
                      "  - {zones: [a.example.], listen: [\"127.0.0.1:53\"]}\n"
                      "  - {zones: [A.example], listen: [\"127.0.0.1:53\"]}\n";
    cfg = cfg_parse_yaml(dup, strlen(dup), "c.yaml", &err);
    assert_null(chain_new_from(list, 2, &env, cfg, &err));
    assert_string_equal(err.msg, "c.yaml:3: zone a.example. on 127.0.0.1:53 is in two server "
                                 "blocks (the other starts on line 2)");
    cfg_free(cfg);
    view_free(view);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_answers),         cmocka_unit_test(test_plugin_answers),
        cmocka_unit_test(test_unconfigured_plugins), cmocka_unit_test(test_drop_formerr_notimp),
        cmocka_unit_test(test_size_limits),          cmocka_unit_test(test_setup_failure),
        cmocka_unit_test(test_start_ready_teardown), cmocka_unit_test(test_registry_chain),
        cmocka_unit_test(test_respond_send),         cmocka_unit_test(test_respond_drop),
        cmocka_unit_test(test_respond_truncate),     cmocka_unit_test(test_respond_adds_option),
        cmocka_unit_test(test_reuse_unchanged),      cmocka_unit_test(test_start_ready_teardown),
        cmocka_unit_test(test_registry_chain),       cmocka_unit_test(test_server_blocks),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
