/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_identity.c - node and stream identities, discontinuities, and the
 * node's dangerous settings (see redis_identity.h).
 */
#include "redis/redis_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_backend_int.h"
#include "common/redis_info.h"

/* INFO fields of a reply (NUL-terminated by hiredis). */
static bool info_get(const char *text, const char *key, char *out, size_t cap)
{
    return vmdns_redis_info_get(text, strlen(text), key, out, cap);
}

static long long info_num(const char *text, const char *key, long long dflt)
{
    return vmdns_redis_info_num(text, strlen(text), key, dflt);
}

void ident_discontinuity(redis_backend_t *b, const char *why)
{
    log_warn("redis: backend %s: %s; the data may not be what is served: reloading in full now "
             "and following the change stream from its newest entry",
             b->cfg->name, why);
    redis_stat_add(&b->stats->discontinuities, 1);
    b->ident.epoch++;
    b->ident.stream_known = false;
    b->have_last_id = false; /* noted again when the reload begins */
    b->unverified = false;
    loader_abort(b);
    b->want_full = true;
}

/* Compare the replication id and offset in INFO text with the last ones. */
static void compare_replication(redis_backend_t *b, const char *text, bool session)
{
    redis_ident_t *id = &b->ident;
    char replid[REDIS_IDENT_ID_MAX] = "", why[300];
    info_get(text, "master_replid", replid, sizeof(replid));
    long long offset = info_num(text, "master_repl_offset", -1);
    why[0] = '\0';
    if (id->known && replid[0] != '\0' && id->replid[0] != '\0' && strcmp(replid, id->replid)) {
        snprintf(why, sizeof(why),
                 "the replication id of %s changed (%.40s -> %.40s: a failover "
                 "or a full resync)",
                 b->cmd ? redis_conn_peer(b->cmd) : "?", id->replid, replid);
    } else if (id->known && replid[0] != '\0' && offset >= 0 && offset < id->offset) {
        snprintf(why, sizeof(why), "the replication offset of %s went back (%lld -> %lld)",
                 b->cmd ? redis_conn_peer(b->cmd) : "?", id->offset, offset);
    }
    if (replid[0] != '\0') {
        snprintf(id->replid, sizeof(id->replid), "%s", replid);
        id->offset = offset;
    }
    if (why[0] != '\0' && !(session && b->load == NULL && !b->loaded_once)) {
        ident_discontinuity(b, why);
    }
}

/* The node's settings: eviction and persistence. */
static void judge_settings(redis_backend_t *b, const char *text)
{
    redis_ident_t *id = &b->ident;
    const char *peer = b->cmd ? redis_conn_peer(b->cmd) : "?";
    char policy[32] = "", role[16] = "";
    if (info_get(text, "maxmemory_policy", policy, sizeof(policy))) {
        bool unsafe = strcmp(policy, "noeviction") != 0;
        atomic_store(&b->stats->unsafe_eviction, unsafe);
        if (unsafe && strcmp(policy, id->warned_policy) != 0) {
            log_warn("redis: backend %s: %s has maxmemory-policy %s: Redis may evict zone hashes "
                     "(vmdnsd keeps serving them, degraded); set maxmemory-policy noeviction",
                     b->cfg->name, peer, policy);
            snprintf(id->warned_policy, sizeof(id->warned_policy), "%s", policy);
        }
    }
    info_get(text, "role", role, sizeof(role));
    bool aof = info_num(text, "aof_enabled", 0) != 0;
    long long replicas = info_num(text, "connected_slaves", 0);
    bool persistent = aof || (id->save_known ? id->save_on : false);
    bool unsafe = strcmp(role, "master") == 0 && replicas == 0 && !persistent;
    atomic_store(&b->stats->unsafe_persistence, unsafe);
    if (unsafe && !id->warned_persistence) {
        log_warn("redis: backend %s: %s has no persistence (appendonly no, %s) and no replica: a "
                 "restart loses every zone (vmdnsd keeps serving them, degraded); turn on "
                 "appendonly yes",
                 b->cfg->name, peer,
                 id->save_known ? "no save points" : "CONFIG refused, RDB snapshots unknown");
        id->warned_persistence = true;
    }
}

static void on_info(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    redis_ident_t *id = &b->ident;
    id->probing = false;
    if (r->type != REDIS_REPLY_STRING) {
        if (!id->info_refused) {
            log_warn("redis: backend %s: INFO refused (%s): the node's identity is not tracked; "
                     "restarts and failovers are caught by the change stream only",
                     b->cfg->name, r->type == REDIS_REPLY_ERROR ? r->str : "odd reply");
        }
        id->info_refused = true;
        backend_session_ready(b);
        return;
    }
    id->info_refused = false;
    char run_id[REDIS_IDENT_ID_MAX] = "";
    info_get(r->str, "run_id", run_id, sizeof(run_id));
    if (id->known && run_id[0] != '\0' && strcmp(run_id, id->run_id) != 0) {
        char why[300];
        snprintf(why, sizeof(why),
                 "%s is another node, or the same one restarted (run_id %.40s "
                 "-> %.40s)",
                 redis_conn_peer(b->cmd), id->run_id, run_id);
        snprintf(id->run_id, sizeof(id->run_id), "%s", run_id);
        info_get(r->str, "master_replid", id->replid, sizeof(id->replid));
        id->offset = info_num(r->str, "master_repl_offset", -1);
        if (b->loaded_once || b->load != NULL) {
            ident_discontinuity(b, why);
        }
    } else {
        snprintf(id->run_id, sizeof(id->run_id), "%s", run_id);
        compare_replication(b, r->str, true);
    }
    id->known = run_id[0] != '\0';
    judge_settings(b, r->str);
    backend_session_ready(b);
}

static void on_config_save(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    /* ["save", "3600 1 300 100"] or ["save", ""] */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING) {
        b->ident.save_known = true;
        b->ident.save_on = r->element[1]->len > 0;
    } else {
        b->ident.save_known = false; /* CONFIG refused (ACL, renamed): INFO only */
    }
}

void ident_probe(redis_backend_t *b)
{
    b->ident.stream_known = false; /* judged again on this node */
    b->ident.probing = true;
    /* CONFIG first: its answer is in when INFO's arrives */
    if (redis_conn_cmd(b->cmd, on_config_save, b, "CONFIG GET save") != 0 ||
        redis_conn_cmd(b->cmd, on_info, b, "INFO") != 0) {
        b->ident.probing = false;
        backend_session_failed(b, "cannot send INFO");
    }
}

static void on_poll(redis_conn_t *c, redisReply *r, void *privdata)
{
    redis_backend_t *b = privdata;
    if (c == NULL) {
        return;
    }
    b->ident.poll_pending = false;
    if (r->type == REDIS_REPLY_STRING) {
        compare_replication(b, r->str, false);
        backend_next_load(b);
    }
}

void ident_poll(redis_backend_t *b)
{
    redis_ident_t *id = &b->ident;
    if (!b->up || id->probing || id->poll_pending || id->info_refused || !id->known ||
        b->cmd == NULL || !redis_conn_ready(b->cmd)) {
        return;
    }
    if (redis_conn_cmd(b->cmd, on_poll, b, "INFO replication") == 0) {
        id->poll_pending = true;
    }
}

void ident_stream_seen(redis_backend_t *b, bool exists, long long entries_added,
                       const char *last_generated)
{
    redis_ident_t *id = &b->ident;
    char why[200];
    why[0] = '\0';
    if (id->stream_known) {
        /* a stream appearing where none was followed (we were at 0-0 when
         * it was seen absent) is just the first write */
        if (exists != id->stream_exists && (!exists || id->absent_after_entries)) {
            snprintf(why, sizeof(why), "the change stream %s", exists ? "appeared" : "is gone");
        } else if (exists && entries_added >= 0 && id->stream_added >= 0 &&
                   entries_added < id->stream_added) {
            snprintf(why, sizeof(why),
                     "the change stream is a new one (entries-added %lld -> "
                     "%lld)",
                     id->stream_added, entries_added);
        } else if (exists && last_generated != NULL && id->stream_last[0] != '\0' &&
                   stream_id_cmp(last_generated, id->stream_last) < 0) {
            snprintf(why, sizeof(why), "the change stream is a new one (last id %s -> %s)",
                     id->stream_last, last_generated);
        }
    }
    id->stream_known = true;
    id->absent_after_entries = !exists && strcmp(b->last_id, "0-0") != 0;
    id->stream_exists = exists;
    id->stream_added = exists ? entries_added : -1;
    snprintf(id->stream_last, sizeof(id->stream_last), "%s",
             exists && last_generated ? last_generated : "");
    if (why[0] != '\0' && b->loaded_once) {
        ident_discontinuity(b, why);
        backend_next_load(b);
    }
}
