/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_notify_config.c - make the server publish the keyspace events that
 * let vmdnsd see writers bypassing the change stream (`redis-cli HSET zone.
 * name json`) within a second.
 *
 * A stock Redis publishes none (notify-keyspace-events ""), so without
 * this such a write waits for resync_interval. At the start of every
 * session (a restarted node has lost the setting) we read the setting and,
 * if K (keyspace channel), h (hash commands) or g (DEL, RENAME, EXPIRE of a
 * zone key) is missing, add them with CONFIG SET, keeping whatever else is
 * set. Where CONFIG is refused (a managed Redis, an ACL without +config, a
 * renamed command), one log line says so and resync_interval is what
 * catches such writes.
 */
#include <stdio.h>
#include <string.h>

#include "redis/redis_backend_int.h"

static void refused(redis_backend_t *b, const char *what, const char *why)
{
    if (b->ks_config_refused) {
        return;
    }
    b->ks_config_refused = true;
    log_warn("redis: backend %s: cannot enable keyspace notifications on %s (%s refused: %.120s); "
             "writes that bypass the change stream are seen at the next resync "
             "(resync_interval %llu ms)",
             b->cfg->name, b->cmd ? redis_conn_peer(b->cmd) : "?", what, why,
             (unsigned long long)b->gcfg->resync_interval_ms);
}

static void on_set(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        refused(b, "CONFIG SET", r->str);
    }
}

static void on_get(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        refused(b, "CONFIG GET", r->str);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_STRING) {
        refused(b, "CONFIG GET", "no notify-keyspace-events in the reply");
        return;
    }
    const char *have = r->element[1]->str;
    bool all = strchr(have, 'A') != NULL;
    char want[64];
    snprintf(want, sizeof(want), "%.40s%s%s%s", have, strchr(have, 'K') ? "" : "K",
             all || strchr(have, 'g') ? "" : "g", all || strchr(have, 'h') ? "" : "h");
    if (strcmp(want, have) == 0) {
        return;
    }
    log_info("redis: backend %s: enabling keyspace notifications on %s "
             "(notify-keyspace-events '%s' -> '%s')",
             b->cfg->name, redis_conn_peer(c), have, want);
    if (redis_conn_cmd(c, on_set, b, "CONFIG SET notify-keyspace-events %s", want) != 0) {
        backend_session_failed(b, "cannot send CONFIG SET");
    }
}

void notify_config(redis_backend_t *b)
{
    if (b->cmd == NULL) {
        return;
    }
    if (redis_conn_cmd(b->cmd, on_get, b, "CONFIG GET notify-keyspace-events") != 0) {
        backend_session_failed(b, "cannot send CONFIG GET");
    }
}
