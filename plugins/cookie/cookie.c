/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cookie.c - the `cookie` plugin: DNS cookies (RFC 7873), server cookies
 * as RFC 9018 makes them. On by default (plugin_t.default_on).
 *
 * What a query gets (RFC 7873 section 5.2; UDP and TCP alike unless said):
 *  - no COOKIE: answered as always (counted `missing`);
 *  - a malformed COOKIE: FORMERR with an OPT (the query parser, 5.2.2);
 *  - a client cookie alone: answered, with a new server cookie (5.2.3);
 *  - a valid server cookie (made with the current or the previous secret,
 *    at most an hour old): req->server_cookie_ok is set by the query hook,
 *    which runs before every other plugin's (first line of plugin.cfg), so
 *    `rrl` exempts the client; answered with a new server cookie (5.2.5);
 *  - an invalid server cookie over UDP: BADCOOKIE (rcode 23) with a new
 *    server cookie and no records, so the client retries with it at once
 *    (5.2.4; `badcookie: false` answers it as in 5.2.3 instead); over TCP
 *    it is answered (TCP is its own proof of the address, 5.2.3).
 * The respond hook adds the COOKIE (client cookie + fresh server cookie)
 * to every reply to a query that had one, errors and truncated replies
 * included; the answer builder leaves room for it (answer_opt_size).
 *
 * Per query: one SipHash to check a server cookie, one to make the new
 * one; no lock, no allocation. The secret is kept across reloads and
 * rotated on the control thread (cookie_keeper.h).
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/corefile_plugin.h"
#include "cookie_conf.h"
#include "cookie_keeper.h"
#include "core/log.h"
#include "core/plugin.h"
#include "dns/opt.h"

#define COOKIE_KEPT          "cookie"
#define WIRE_RCODE_BADCOOKIE 23

typedef struct cookie {
    const cookie_conf_t *conf;
    cookie_keeper_t *keeper;
    struct event *timer; /* secret rotation, NULL if none */
    bool owns_keeper;    /* not kept (no env->shared) */
} cookie_t;

static uint32_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint32_t)ts.tv_sec;
}

/* Is the query's server cookie ours and fresh? (caller: cookie_len > 8) */
static bool cookie_check(const cookie_t *c, const request_t *req, uint32_t now)
{
    const wire_query_t *q = req->q;
    uint8_t ip[COOKIE_IP_MAX];
    size_t ip_len = cookie_client_ip(req->peer, req->peer_len, ip);
    const uint8_t *server = q->cookie + COOKIE_CLIENT_SIZE;
    size_t server_len = (size_t)q->cookie_len - COOKIE_CLIENT_SIZE;
    if (ip_len == 0 || server_len != COOKIE_SERVER_SIZE ||
        !cookie_fresh(cookie_timestamp(server), now))
        return false;
    const cookie_secrets_t *s = rcu_dereference(c->keeper->secrets);
    return cookie_matches(s->cur, q->cookie, server, server_len, ip, ip_len) ||
           (s->has_prev && cookie_matches(s->prev, q->cookie, server, server_len, ip, ip_len));
}

static plugin_result_t cookie_query(void *state, request_t *req)
{
    const cookie_t *c = state;
    const wire_query_t *q = req->q;
    if (c == NULL || q->cookie == NULL || q->cookie_len <= COOKIE_CLIENT_SIZE)
        return PLUGIN_NEXT;
    if (cookie_check(c, req, now_s())) {
        req->server_cookie_ok = true;
        return PLUGIN_NEXT;
    }
    if (req->proto != REQ_UDP || !c->conf->badcookie)
        return PLUGIN_NEXT;
    req->resp_len =
        answer_error(q, WIRE_RCODE_BADCOOKIE, &c->conf->limits, req->resp, req->resp_cap);
    answer_meta_error(&req->meta, WIRE_RCODE_BADCOOKIE, NULL);
    req->answered_by = "cookie";
    cookie_keeper_count(c->keeper, req->slot, COOKIE_RES_BADCOOKIE);
    return PLUGIN_DONE;
}

static respond_action_t cookie_respond(void *state, request_t *req)
{
    const cookie_t *c = state;
    const wire_query_t *q = req->q;
    if (c == NULL)
        return RESPOND_SEND;
    if (q->cookie == NULL) {
        cookie_keeper_count(c->keeper, req->slot, COOKIE_RES_MISSING);
        return RESPOND_SEND;
    }
    uint32_t now = now_s();
    cookie_result_t r = COOKIE_RES_CLIENT_ONLY;
    if (req->server_cookie_ok) {
        r = COOKIE_RES_VALID;
    } else if (q->cookie_len > COOKIE_CLIENT_SIZE) {
        /* error replies skip the query hooks: check here */
        req->server_cookie_ok = cookie_check(c, req, now);
        r = req->server_cookie_ok ? COOKIE_RES_VALID : COOKIE_RES_INVALID;
    }
    cookie_keeper_count(c->keeper, req->slot, r);

    uint8_t opt[COOKIE_CLIENT_SIZE + COOKIE_SERVER_SIZE], ip[COOKIE_IP_MAX];
    size_t ip_len = cookie_client_ip(req->peer, req->peer_len, ip);
    size_t opt_off = opt_find(req->resp, req->resp_len);
    if (ip_len == 0 || opt_off == 0)
        return RESPOND_SEND;
    memcpy(opt, q->cookie, COOKIE_CLIENT_SIZE);
    const cookie_secrets_t *s = rcu_dereference(c->keeper->secrets);
    cookie_make(s->cur, q->cookie, ip, ip_len, now, opt + COOKIE_CLIENT_SIZE);
    opt_add_option(req->resp, &req->resp_len, req->resp_cap, opt_off, OPT_CODE_COOKIE, opt,
                   sizeof(opt));
    return RESPOND_SEND;
}

static void cookie_collect(void *ctx, metrics_out_t *out)
{
    const cookie_t *c = ctx;
    static const char *const names[COOKIE_RES_BADCOOKIE] = {"valid", "invalid", "client_only",
                                                            "missing"};
    metrics_family(out, "vmdns_cookie_queries_total", "counter",
                   "Queries by their DNS COOKIE: valid or invalid server cookie, client cookie "
                   "only, or missing.");
    for (int r = 0; r < COOKIE_RES_BADCOOKIE; r++) {
        const char *labels[] = {"result", names[r], NULL};
        metrics_sample_u64(out, "vmdns_cookie_queries_total", labels,
                           cookie_keeper_total(c->keeper, (cookie_result_t)r));
    }
    metrics_family(out, "vmdns_cookie_badcookie_total", "counter",
                   "BADCOOKIE replies sent (UDP queries with an invalid server cookie).");
    metrics_sample_u64(out, "vmdns_cookie_badcookie_total", NULL,
                       cookie_keeper_total(c->keeper, COOKIE_RES_BADCOOKIE));
    metrics_family(out, "vmdns_cookie_secret_rotations_total", "counter",
                   "Times the server cookie secret was replaced.");
    metrics_sample_u64(out, "vmdns_cookie_secret_rotations_total", NULL,
                       atomic_load_explicit(&c->keeper->rotations, memory_order_relaxed));
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Arm the rotation timer for the next rotation due. */
static void cookie_arm(cookie_t *c)
{
    int64_t due = c->keeper->rotated_ms + (int64_t)c->conf->rotation_ms - realtime_ms();
    if (due < 0)
        due = 0;
    struct timeval tv = {(time_t)(due / 1000), (suseconds_t)((due % 1000) * 1000)};
    evtimer_add(c->timer, &tv);
}

static void cookie_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cookie_t *c = arg;
    if (cookie_keeper_rotate(c->keeper, NULL) != 0)
        log_error("plugin/cookie: cannot make a new secret; the current one stays");
    cookie_arm(c);
}

static int cookie_setup(const plugin_env_t *env, const void *conf, void **state, cfg_error_t *err)
{
    const cookie_conf_t *cc = conf;
    *state = NULL;
    if (!cc->enabled)
        return 0;
    cookie_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return cfg_fail_pos(err, &cc->at, "cookie: out of memory");
    c->conf = cc;
    c->keeper = env->shared != NULL ? plugin_kept_get(env->shared, COOKIE_KEPT) : NULL;
    if (c->keeper == NULL) {
        /* without a process (unit tests: no env->shared) the instance owns it */
        c->keeper = cookie_keeper_new();
        c->owns_keeper = env->shared == NULL;
        if (c->keeper == NULL ||
            (!c->owns_keeper &&
             plugin_kept_put(env->shared, COOKIE_KEPT, c->keeper, cookie_keeper_free, NULL) != 0)) {
            cookie_keeper_free(c->keeper);
            free(c);
            return cfg_fail_pos(err, &cc->at, "cookie: cannot make the server secret");
        }
    }
    if (cc->has_secret && memcmp(c->keeper->secrets->cur, cc->secret, COOKIE_SECRET_SIZE) != 0 &&
        cookie_keeper_rotate(c->keeper, cc->secret) != 0) {
        if (c->owns_keeper)
            cookie_keeper_free(c->keeper);
        free(c);
        return cfg_fail_pos(err, &cc->at, "cookie: out of memory");
    }
    if (!cc->has_secret && cc->rotation_ms > 0 && env->control != NULL) {
        c->timer = evtimer_new(env->control, cookie_on_timer, c);
        if (c->timer == NULL) {
            if (c->owns_keeper)
                cookie_keeper_free(c->keeper);
            free(c);
            return cfg_fail_pos(err, &cc->at, "cookie: cannot create the rotation timer");
        }
    }
    *state = c;
    return 0;
}

static void cookie_join(void *state, const void *conf, const plugin_env_t *env)
{
    (void)conf;
    if (state != NULL && env->gen != NULL)
        metrics_register_collector(&env->gen->metrics, "cookie", cookie_collect, state);
}

static int cookie_start(void *state)
{
    cookie_t *c = state;
    if (c != NULL && c->timer != NULL)
        cookie_arm(c);
    return 0;
}

static void cookie_teardown(void *state)
{
    cookie_t *c = state;
    if (c == NULL)
        return;
    if (c->timer != NULL)
        event_free(c->timer);
    if (c->owns_keeper) {
        rcu_barrier(); /* a rotation's pending free */
        cookie_keeper_free(c->keeper);
    }
    free(c); /* else the keeper is kept */
}

const plugin_t plugin_cookie = {
    .name = "cookie",
    .config_key = "cookie",
    .default_on = true,
    .corefile = cookie_corefile,
    .view_data = PLUGIN_VIEW_NONE,
    .parse = cookie_conf_parse,
    .conf_equal = cookie_conf_equal,
    .conf_free = free,
    .setup = cookie_setup,
    .join = cookie_join,
    .start = cookie_start,
    .query = cookie_query,
    .respond = cookie_respond,
    .teardown = cookie_teardown,
};
