/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrar_int.h - the inside of a registrar handle, shared by the files
 * that implement its operations (one job each): zone lookup, writes,
 * compare-and-set edits, listing, gc and the DNS visibility wait. Command
 * batches, the failover connection and the transactions are in the
 * internal library (src/common: batch.h, conn.h, txn.h).
 */
#ifndef VMDNS_LIB_REGISTRAR_INT_H
#define VMDNS_LIB_REGISTRAR_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/batch.h"
#include "common/conn.h"
#include "common/err.h"
#include "common/hostport.h"
#include "common/redis_schema.h"
#include "common/txn.h"
#include "vmdns/registrar.h"

/* ---- the handle ---- */

/* An address: port 0 is a unix socket path (common/hostport.h). */
typedef vmdns_hostport_t vmdns_addr_t;

struct vmdns_registrar {
    pthread_mutex_t lock; /* guards conn: held for Redis round trips, never across a DNS wait */
    vmdns_conn_t conn;
    vmdns_txn_ctx_t txn; /* writes through conn to stream_key */
    char *prefix, *suffix;
    char *stream_key;
    char maxlen[24]; /* stream_maxlen as text */
    uint32_t default_ttl;
    vmdns_addr_t *visible;
    size_t n_visible;
    uint32_t visible_timeout_ms;
};

/* Key of a zone hash: prefix + zone + suffix (malloc'd, or NULL). */
char *vmdns_reg_zone_key(const vmdns_registrar_t *r, const char *zone);

/* ---- zone.c: which zone a name is in ---- */

/* For each canonical name (lower case, final dot), the offset in it where
 * its zone starts (the longest existing zone hash that is a suffix of it),
 * or -1. Also checks that the change stream key is a stream or absent. */
int vmdns_zone_resolve(vmdns_registrar_t *r, const char *const *names, size_t n, long *zoff,
                       vmdns_error_t *err);

/* The Redis type of a key ("hash", "none", ...) into type[cap]. */
int vmdns_zone_key_type(vmdns_registrar_t *r, const char *key, char *type, size_t cap,
                        vmdns_error_t *err);

/* The field of `name` in zone `zone` ("@" at the apex) into out. */
void vmdns_zone_field(const char *name, size_t zoff, char *out, size_t cap);

/* ---- scan.c: walking zones and their fields ---- */

/* Called per zone (zone text and its key); non-zero stops the walk. */
typedef int (*zone_cb)(const char *zone, const char *key, void *ud);

/* Called per field of a zone hash; non-zero stops the walk. */
typedef int (*field_cb)(const char *field, const char *value, size_t vlen, void *ud);

/* SCAN for zone hashes. 0 = done, 1 = stopped by cb, -1 = error. */
int vmdns_scan_zones(vmdns_registrar_t *r, zone_cb cb, void *ud, vmdns_error_t *err);

/* HSCAN one zone hash. 0 = done, 1 = stopped by cb, -1 = error. */
int vmdns_scan_fields(vmdns_registrar_t *r, const char *key, field_cb cb, void *ud,
                      vmdns_error_t *err);

/* ---- visible.c: read-your-writes over DNS ---- */

/* What one query must show. */
typedef struct vis_check {
    char name[VMDNS_NAME_MAXTEXT];
    uint16_t qtype;
    int present;        /* 1: an answer with this rdata; 0: no answer of qtype */
    uint8_t rdata[300]; /* for present checks */
    size_t rdlen;
} vis_check_t;

/* Poll every server until all checks hold or timeout_ms passes. */
int vmdns_visible_wait(const vmdns_addr_t *servers, size_t n_servers, const vis_check_t *checks,
                       size_t n_checks, uint32_t timeout_ms, vmdns_error_t *err);

/* ---- abi.c: caller-allocated structs of any version ---- */

/* Read a caller's struct of src_size bytes (its struct_size) into dst
 * (dst_size bytes, already holding the defaults): the common prefix is
 * copied, a bigger src must be zero beyond dst_size. dst's struct_size
 * becomes dst_size. 0, or -1 with err (`what` names the struct). */
int vmdns_abi_copy_in(void *dst, size_t dst_size, const void *src, size_t src_size,
                      const char *what, vmdns_error_t *err);

/* ---- misc ---- */

/* Current unix time in seconds. */
int64_t vmdns_reg_now(void);

#endif
