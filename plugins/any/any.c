/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * any.c - the `any` plugin: answer every ANY query with CoreDNS's HINFO,
 * "ANY obsoleted" "See RFC 8482".
 *
 *   any: true
 *   Corefile: any
 *
 * CoreDNS's `any` plugin, for operators who had it: instead of one RRset
 * of the name (what vmdnsd does by default, RFC 8482 section 4.1), every
 * qtype ANY for a name inside a served zone gets the synthesised
 * `name 8482 IN HINFO "ANY obsoleted" "See RFC 8482"` (section 4.2: the
 * strings CoreDNS's plugin writes, byte for byte), whether the name exists
 * or not. Names outside every zone, other classes and EDNS versions we do
 * not speak are left to the core (REFUSED, BADVERS...).
 *
 * The response is built with the core's frame (answer_write_header: the
 * header and the question as the client wrote it; answer_finish: the rcode
 * and the one OPT writer), the HINFO written in between; nothing is
 * allocated. The metadata says what the view would: a positive answer from
 * the zone, charged to the QNAME.
 */
#include <stdlib.h>
#include <string.h>

#include "config/corefile_plugin.h"
#include "core/plugin.h"

#define ANY_TTL 8482

/* owner (pointer to the question), type, class, ttl, rdlength, rdata:
 * <13>"ANY obsoleted" <12>"See RFC 8482" (CoreDNS's text) */
static const uint8_t any_hinfo_rdata[] = "\x0d"
                                         "ANY obsoleted"
                                         "\x0c"
                                         "See RFC 8482";
#define ANY_HINFO_LEN (sizeof(any_hinfo_rdata) - 1) /* without the C string's NUL */
#define ANY_RR_SIZE   (2 + 10 + ANY_HINFO_LEN)

typedef struct any {
    const view_t *view;
    const answer_limits_t *limits;
} any_t;

/* Write the HINFO RR at p (ANY_RR_SIZE bytes). */
static void any_write_rr(uint8_t *p)
{
    wire_write_u16(p, 0xC000 | WIRE_HEADER_SIZE); /* the question's name */
    wire_write_u16(p + 2, WIRE_TYPE_HINFO);
    wire_write_u16(p + 4, WIRE_CLASS_IN);
    wire_write_u32(p + 6, ANY_TTL);
    wire_write_u16(p + 10, ANY_HINFO_LEN);
    memcpy(p + 12, any_hinfo_rdata, ANY_HINFO_LEN);
}

static plugin_result_t any_query(void *state, request_t *req)
{
    const any_t *a = state;
    const wire_query_t *q = req->q;
    if (a == NULL || q->qtype != WIRE_TYPE_ANY || q->qclass != WIRE_CLASS_IN || !q->has_question ||
        (q->has_edns && q->edns_version > 0)) {
        return PLUGIN_NEXT;
    }
    const view_zone_t *zone =
        view_find_zone(a->view, q->qname, q->qname_len, q->label_off, q->qname_labels);
    size_t reserve = ANY_RR_SIZE + answer_opt_size(q);
    if (zone == NULL || req->resp_cap < reserve + WIRE_HEADER_SIZE) {
        return PLUGIN_NEXT;
    }
    size_t len = answer_write_header(q, req->resp, req->resp_cap - reserve);
    if (len < q->question_end) {
        return PLUGIN_NEXT; /* no room for the question: let the core say so */
    }
    any_write_rr(req->resp + len);
    len += ANY_RR_SIZE;
    wire_write_u16(req->resp + 6, 1);
    wire_write_u16(req->resp + 2, (uint16_t)(wire_read_u16(req->resp + 2) | WIRE_FLAG_AA));
    req->resp_len = answer_finish(q, a->limits, req->resp, len, req->resp_cap, WIRE_RCODE_NOERROR);
    answer_meta_answer(&req->meta, q, zone);
    req->answered_by = "any";
    return PLUGIN_DONE;
}

/* The parsed `any:` section, with a copy of the answer limits. */
typedef struct any_conf {
    bool enabled;
    answer_limits_t limits;
    cfg_pos_t at;
} any_conf_t;

static int any_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf, cfg_error_t *err)
{
    any_conf_t c = {0};
    if (cfg_bool(cfg, &c.enabled, err) != 0) {
        return -1;
    }
    if (penv->limits != NULL) {
        c.limits = *penv->limits;
    }
    cfg_pos_of(cfg, &c.at);
    any_conf_t *out = malloc(sizeof(*out));
    if (out == NULL) {
        return cfg_fail(err, cfg, "any: out of memory");
    }
    *out = c;
    *conf = out;
    return 0;
}

static bool any_conf_equal(const void *a, const void *b)
{
    const any_conf_t *x = a, *y = b;
    return x->enabled == y->enabled && x->limits.edns_udp_size == y->limits.edns_udp_size;
}

static int any_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const any_conf_t *c = conf;
    *state = NULL;
    if (!c->enabled) {
        return 0;
    }
    any_t *a = malloc(sizeof(*a));
    if (a == NULL) {
        return cfg_fail_pos(err, &c->at, "any: out of memory");
    }
    a->view = env->view;
    a->limits = &c->limits; /* the config lives as long as the state */
    *state = a;
    return 0;
}

static void any_teardown(void *state)
{
    free(state);
}

/* `any` in a Corefile: `any: true`. */
static int any_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_no_block(d, err) != 0 || cf_max_args(d, 0, err) != 0) {
        return -1;
    }
    return cf_put(cf_root(ctx), "any", d->name, "true", err);
}

const plugin_t plugin_any = {
    .name = "any",
    .config_key = "any",
    .view_data = PLUGIN_VIEW_READS,
    .parse = any_parse,
    .conf_equal = any_conf_equal,
    .conf_free = free,
    .setup = any_setup,
    .corefile = any_corefile,
    .query = any_query,
    .teardown = any_teardown,
};
