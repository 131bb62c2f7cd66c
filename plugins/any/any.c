/*
 * any.c - the `any` plugin: answer every ANY query with HINFO "RFC8482" "".
 *
 *   any: true
 *
 * CoreDNS's `any` plugin, for operators who had it: instead of one RRset
 * of the name (what vmdnsd does by default, RFC 8482 section 4.1), every
 * qtype ANY for a name inside a served zone gets the synthesised
 * `name 8482 IN HINFO "RFC8482" ""` (section 4.2), whether the name exists
 * or not. Names outside every zone, other classes and EDNS versions we do
 * not speak are left to the core (REFUSED, BADVERS...).
 *
 * The response is built here from answer_error() (header, the question as
 * the client wrote it, OPT if the query had one) with the HINFO inserted
 * before the OPT; nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "core/plugin.h"

#define ANY_TTL 8482

/* owner (pointer to the question), type, class, ttl, rdlength, rdata:
 * <7>"RFC8482" <0>"" */
static const uint8_t any_hinfo_rdata[] = {7, 'R', 'F', 'C', '8', '4', '8', '2', 0};
#define ANY_RR_SIZE (2 + 10 + sizeof(any_hinfo_rdata))

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
    wire_write_u16(p + 10, sizeof(any_hinfo_rdata));
    memcpy(p + 12, any_hinfo_rdata, sizeof(any_hinfo_rdata));
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
    if (zone == NULL || req->resp_cap < ANY_RR_SIZE + WIRE_HEADER_SIZE) {
        return PLUGIN_NEXT;
    }
    size_t len =
        answer_error(q, WIRE_RCODE_NOERROR, a->limits, req->resp, req->resp_cap - ANY_RR_SIZE);
    if (len < q->question_end) {
        return PLUGIN_NEXT; /* no room for the question: let the core say so */
    }
    /* Everything after the question is the OPT (if any): move it up. */
    uint8_t *at = req->resp + q->question_end;
    memmove(at + ANY_RR_SIZE, at, len - q->question_end);
    any_write_rr(at);
    wire_write_u16(req->resp + 6, 1);
    wire_write_u16(req->resp + 2, (uint16_t)(wire_read_u16(req->resp + 2) | WIRE_FLAG_AA));
    req->resp_len = len + ANY_RR_SIZE;
    req->meta = (answer_meta_t){
        .rcode = WIRE_RCODE_NOERROR, .authoritative = true, .truncated = false, .zone = zone};
    req->answered_by = "any";
    return PLUGIN_DONE;
}

static int any_setup(const plugin_env_t *env, cfg_node_t *cfg, void **state, cfg_error_t *err)
{
    bool enabled;
    *state = NULL;
    if (cfg_bool(cfg, &enabled, err) != 0) {
        return -1;
    }
    if (!enabled) {
        return 0;
    }
    any_t *a = malloc(sizeof(*a));
    if (a == NULL) {
        return cfg_fail(err, cfg, "any: out of memory");
    }
    a->view = env->view;
    a->limits = env->limits;
    *state = a;
    return 0;
}

static void any_teardown(void *state)
{
    free(state);
}

const plugin_t plugin_any = {
    .name = "any",
    .config_key = "any",
    .setup = any_setup,
    .query = any_query,
    .teardown = any_teardown,
};
