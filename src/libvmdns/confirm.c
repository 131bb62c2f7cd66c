/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confirm.c - an operator confirms a drop that vmdnsd held back.
 *
 * vmdnsd does not apply a reload that would remove more than max_drop of a
 * backend's names (or a whole zone) without change-stream entries saying
 * so: it keeps serving the old names, degraded (plugins/redis/README.md).
 * The operator's way to say "yes, those names are really gone" travels the
 * same road as every change: one entry in the change stream, which every
 * vmdnsd following that Redis reads at once.
 */
#include <string.h>

#include "registrar_int.h"

int vmdns_confirm_drop(vmdns_registrar_t *r, const char *backend, vmdns_error_t *err)
{
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    if (!backend || !backend[0] || strlen(backend) >= 128)
        return vmdns_fail(err, VMDNS_ERR_INVALID,
                          "confirm-drop needs the backend's name as vmdnsd's config gives it "
                          "(or * for every backend reading this Redis)");
    const char *entry[VMDNS_SCHEMA_ENTRY_ARGC];
    vmdns_schema_entry_argv(".", backend, VMDNS_SCHEMA_OP_CONFIRM, "", entry);
    const char *argv[6 + VMDNS_SCHEMA_ENTRY_ARGC] = {"XADD", r->stream_key, "MAXLEN",
                                                     "~",    r->maxlen,     "*"};
    size_t lens[6 + VMDNS_SCHEMA_ENTRY_ARGC];
    for (int i = 0; i < VMDNS_SCHEMA_ENTRY_ARGC; i++)
        argv[6 + i] = entry[i];
    for (int i = 0; i < 6 + VMDNS_SCHEMA_ENTRY_ARGC; i++)
        lens[i] = strlen(argv[i]);
    vmdns_batch_t b = {0};
    redisReply **rep;
    pthread_mutex_lock(&r->lock);
    vmdns_batch_argv(&b, 6 + VMDNS_SCHEMA_ENTRY_ARGC, argv, lens);
    int rc = vmdns_conn_run(&r->conn, &b, 1, &rep, err);
    vmdns_batch_free(&b);
    if (rc == 0) {
        if (rep[0]->type == REDIS_REPLY_ERROR)
            rc = vmdns_fail(err, VMDNS_ERR_BACKEND, "confirm-drop: %s", rep[0]->str);
        vmdns_conn_free_replies(rep, 1);
    }
    pthread_mutex_unlock(&r->lock);
    return rc < 0 ? -1 : 0;
}
