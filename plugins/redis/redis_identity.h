/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_identity.h - know which data a backend is looking at (issue 13).
 *
 * Stream ids say nothing about whose stream it is: a node restarted empty,
 * a replica taken over, a replica that resynced from its master, a stream
 * deleted and created again all keep handing out plausible ids. So the
 * backend tracks identities:
 *
 *  - the node's: INFO server run_id (a restart or another node changes
 *    it), INFO replication master_replid and master_repl_offset (a
 *    failover or a full resync changes the id; the offset never goes back
 *    under one id). Read at every connection and polled every second;
 *  - the change stream's: present or absent, entries-added (Redis 7) and
 *    last-generated-id, from the XINFO STREAM the backend sends anyway;
 *    present -> absent, absent -> present (when it was seen absent after
 *    entries had been read: not the first write creating it), or either
 *    number going back is a new stream.
 *
 * Any change is a discontinuity: whatever the stream ids look like and
 * whatever resync_interval says (0 included), the backend reloads in full
 * at once (a diff, under the guard of redis_guard.h) and follows the
 * stream from its newest id.
 *
 * At every connection the node's settings are judged too (INFO memory,
 * INFO persistence, CONFIG GET save): an eviction policy other than
 * noeviction, or a master without persistence and without replicas, is
 * logged once (per backend and setting) and shown as a metric.
 */
#ifndef VMDNS_REDIS_IDENTITY_H
#define VMDNS_REDIS_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct redis_backend redis_backend_t;

#define REDIS_IDENT_ID_MAX 64

typedef struct redis_ident {
    bool known; /* node identity read at least once */
    char run_id[REDIS_IDENT_ID_MAX];
    char replid[REDIS_IDENT_ID_MAX];
    long long offset;
    bool probing;      /* the connection's INFO/CONFIG are in flight */
    bool poll_pending; /* INFO replication in flight */
    bool info_refused; /* the server refuses INFO: identity not tracked */
    bool save_known, save_on;
    /* the stream's */
    bool stream_known, stream_exists;
    bool absent_after_entries; /* seen absent after entries had been read */
    long long stream_added;
    char stream_last[REDIS_IDENT_ID_MAX];
    /* bumped at each discontinuity: replies to commands sent before are
     * of the old data and dropped */
    unsigned epoch;
    /* what was warned about (logged once per value) */
    char warned_policy[32];
    bool warned_persistence;
} redis_ident_t;

/* The session is up: read the node's identity and settings, then call
 * backend_session_ready(). */
void ident_probe(redis_backend_t *b);

/* Once a second: compare the replication id and offset (INFO replication). */
void ident_poll(redis_backend_t *b);

/* What an XINFO STREAM said about the stream (exists false: no such key;
 * entries_added -1 if unknown). */
void ident_stream_seen(redis_backend_t *b, bool exists, long long entries_added,
                       const char *last_generated);

/* The data is not what it was: reload in full now, following the stream
 * from its newest id. */
void ident_discontinuity(redis_backend_t *b, const char *why);

#endif
