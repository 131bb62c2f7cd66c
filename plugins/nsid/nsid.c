/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nsid.c - the `nsid` plugin: say which server answered (RFC 5001), as
 * CoreDNS's `nsid` plugin.
 *
 *   nsid: TEXT          # YAML; "" (or nsid: {}) = this host's name
 *   nsid: {data: TEXT}
 *   Corefile: nsid [DATA...]   (no DATA: the host name)
 *
 * With it configured:
 *  - a query with an (empty) NSID EDNS option gets NSID = TEXT in its
 *    reply's OPT, whatever the reply (answers, errors, truncated);
 *  - CHAOS TXT (or ANY) for `id.server.` and `hostname.bind.` is answered
 *    with TEXT (AA, TTL 0), as BIND, Knot and NSD do.
 * `version.bind.` and `version.server.` stay REFUSED, like every other
 * CHAOS name: the server's identity helps an operator find which anycast
 * node answered, its software version only helps an attacker pick an
 * exploit. Without `nsid`, every CHAOS query is REFUSED (the core).
 *
 * Per query: a look for the option in the parsed query, one memcpy; no
 * allocation.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/corefile_plugin.h"
#include "core/plugin.h"
#include "dns/opt.h"

#define WIRE_CLASS_CH 3
#define NSID_MAX      255 /* one TXT character-string */

typedef struct nsid_conf {
    uint8_t data[NSID_MAX];
    size_t len;
    answer_limits_t limits;
    cfg_pos_t at;
} nsid_conf_t;

static const uint8_t id_server[] = {2, 'i', 'd', 6, 's', 'e', 'r', 'v', 'e', 'r', 0};
static const uint8_t hostname_bind[] = {8,   'h', 'o', 's', 't', 'n', 'a', 'm',
                                        'e', 4,   'b', 'i', 'n', 'd', 0};

static bool qname_is(const wire_query_t *q, const uint8_t *name, size_t len)
{
    return q->qname_len == len && memcmp(q->qname, name, len) == 0;
}

static plugin_result_t nsid_query(void *state, request_t *req)
{
    const nsid_conf_t *c = state;
    const wire_query_t *q = req->q;
    if (c == NULL || q->qclass != WIRE_CLASS_CH ||
        (q->qtype != WIRE_TYPE_TXT && q->qtype != WIRE_TYPE_ANY) ||
        (q->has_edns && q->edns_version > 0) ||
        !(qname_is(q, id_server, sizeof(id_server)) ||
          qname_is(q, hostname_bind, sizeof(hostname_bind))))
        return PLUGIN_NEXT;
    size_t rr = 2 + 10 + 1 + c->len;
    size_t reserve = rr + answer_opt_size(q);
    if (req->resp_cap < reserve + WIRE_HEADER_SIZE)
        return PLUGIN_NEXT;
    size_t len = answer_write_header(q, req->resp, req->resp_cap - reserve);
    if (len < q->question_end)
        return PLUGIN_NEXT;
    uint8_t *p = req->resp + len;
    wire_write_u16(p, 0xC000 | WIRE_HEADER_SIZE);
    wire_write_u16(p + 2, WIRE_TYPE_TXT);
    wire_write_u16(p + 4, WIRE_CLASS_CH);
    wire_write_u32(p + 6, 0);
    wire_write_u16(p + 10, (uint16_t)(1 + c->len));
    p[12] = (uint8_t)c->len;
    memcpy(p + 13, c->data, c->len);
    len += rr;
    wire_write_u16(req->resp + 6, 1);
    wire_write_u16(req->resp + 2, (uint16_t)(wire_read_u16(req->resp + 2) | WIRE_FLAG_AA));
    req->resp_len = answer_finish(q, &c->limits, req->resp, len, req->resp_cap, WIRE_RCODE_NOERROR);
    answer_meta_answer(&req->meta, q, NULL);
    req->answered_by = "nsid";
    return PLUGIN_DONE;
}

static respond_action_t nsid_respond(void *state, request_t *req)
{
    const nsid_conf_t *c = state;
    const uint8_t *data;
    uint16_t len;
    if (c == NULL || !req->q->has_edns ||
        !wire_edns_option_find(req->q, OPT_CODE_NSID, &data, &len))
        return RESPOND_SEND;
    size_t off = opt_find(req->resp, req->resp_len);
    if (off > 0) /* no room: the reply goes without it */
        opt_add_option(req->resp, &req->resp_len, req->resp_cap, off, OPT_CODE_NSID, c->data,
                       (uint16_t)c->len);
    return RESPOND_SEND;
}

static int nsid_set(nsid_conf_t *c, const cfg_node_t *at, const char *text, cfg_error_t *err)
{
    char host[NSID_MAX + 1];
    if (text[0] == '\0') {
        if (gethostname(host, sizeof(host)) != 0)
            return cfg_fail(err, at, "nsid: cannot read the host name; give the data");
        host[NSID_MAX] = '\0';
        text = host;
    }
    size_t n = strlen(text);
    if (n > NSID_MAX)
        return cfg_fail(err, at, "nsid: data longer than %d bytes", NSID_MAX);
    memcpy(c->data, text, n);
    c->len = n;
    return 0;
}

static int nsid_parse(const plugin_parse_env_t *penv, cfg_node_t *cfg, void **conf,
                      cfg_error_t *err)
{
    nsid_conf_t c = {0};
    const char *text = "";
    if (cfg->kind == CFG_MAP) {
        cfg_node_t *d = cfg_get(cfg, "data");
        if (d != NULL && cfg_string(d, &text, err) != 0)
            return -1;
    } else if (cfg->kind == CFG_SCALAR) {
        text = cfg->value != NULL ? cfg->value : "";
    } else {
        return cfg_fail(err, cfg, "nsid: expected the data as text, or {data: TEXT}");
    }
    if (nsid_set(&c, cfg, text, err) != 0)
        return -1;
    if (penv != NULL && penv->limits != NULL)
        c.limits = *penv->limits;
    cfg_pos_of(cfg, &c.at);
    nsid_conf_t *out = malloc(sizeof(*out));
    if (out == NULL)
        return cfg_fail(err, cfg, "nsid: out of memory");
    *out = c;
    *conf = out;
    return 0;
}

static bool nsid_conf_equal(const void *a, const void *b)
{
    const nsid_conf_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->data, y->data, x->len) == 0 &&
           x->limits.edns_udp_size == y->limits.edns_udp_size;
}

static int nsid_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    (void)env;
    (void)err;
    *state = (void *)conf; /* read-only, lives as long as the state */
    return 0;
}

/* `nsid [DATA...]`: the words joined by spaces, as CoreDNS. */
static int nsid_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0)
        return seen < 0 ? -1 : 0;
    if (cf_no_block(d, err) != 0)
        return -1;
    char text[NSID_MAX + 1] = "";
    size_t off = 0;
    for (size_t i = 0; i < d->nargs; i++) {
        size_t n = strlen(d->args[i].text);
        if (off + (i > 0) + n > NSID_MAX)
            return cf_fail(err, &d->args[i], "nsid: data longer than %d bytes", NSID_MAX);
        if (i > 0)
            text[off++] = ' ';
        memcpy(text + off, d->args[i].text, n);
        off += n;
        text[off] = '\0';
    }
    return cf_put(cf_root(ctx), "nsid", d->name, text, err);
}

const plugin_t plugin_nsid = {
    .name = "nsid",
    .config_key = "nsid",
    .corefile = nsid_corefile,
    .view_data = PLUGIN_VIEW_NONE,
    .parse = nsid_parse,
    .conf_equal = nsid_conf_equal,
    .conf_free = free,
    .setup = nsid_setup,
    .query = nsid_query,
    .respond = nsid_respond,
};
