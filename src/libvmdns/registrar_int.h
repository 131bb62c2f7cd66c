/*
 * registrar_int.h - the inside of a registrar handle, shared by the files
 * that implement its operations (one job each): addresses, command batches,
 * the failover connection, zone lookup, writes, compare-and-set edits,
 * listing, gc and the DNS visibility wait.
 */
#ifndef VMDNS_LIB_REGISTRAR_INT_H
#define VMDNS_LIB_REGISTRAR_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/hostport.h"
#include "common/redis_schema.h"
#include "vmdns/registrar.h"

/* ---- addresses: common/hostport.h; port 0 = a unix socket path ---- */

typedef vmdns_hostport_t vmdns_addr_t;

/* Parse a Redis node, sentinel or DNS server address ("host:port",
 * "[v6]:port", bare IPv6, "host", or "/unix/path" if unix is set); a
 * missing port is default_port. VMDNS_ERR_INVALID on failure. */
int vmdns_addr_parse(const char *text, int unix_ok, uint16_t default_port, vmdns_addr_t *out,
                     vmdns_error_t *err);

/* ---- batch.c: a pipeline of commands in RESP form ---- */

typedef struct batch {
    char *buf;
    size_t len, cap;
    size_t ncmd;
    int oom;
} batch_t;

/* Append one command of argc binary-safe arguments. */
void vmdns_batch_argv(batch_t *b, int argc, const char *const *argv, const size_t *lens);

/* Append one command of NUL-terminated arguments, the list ending in NULL. */
void vmdns_batch_cmd(batch_t *b, const char *arg0, ...) __attribute__((sentinel));

/* Forget the commands, keep the memory. */
void vmdns_batch_reset(batch_t *b);

/* Free the memory. */
void vmdns_batch_free(batch_t *b);

/* ---- conn.c: the connection to the current master, with failover ---- */

typedef struct conn {
    vmdns_addr_t *nodes;
    size_t n_nodes, cur;
    vmdns_addr_t *sentinels;
    size_t n_sentinels;
    char *master_name, *sentinel_password, *username, *password;
    int db;
    uint32_t connect_timeout_ms, command_timeout_ms, failover_timeout_ms;
    redisContext *ctx;
    char where[300]; /* the master we talk to, for messages */
} conn_t;

/* Copy the connection options (no I/O). */
int vmdns_conn_init(conn_t *c, const vmdns_registrar_opts_t *o, vmdns_error_t *err);

/* Connect to a master now (looking for one up to failover_timeout_ms). */
int vmdns_conn_ensure(conn_t *c, vmdns_error_t *err);

/* Close the connection and free the options. */
void vmdns_conn_destroy(conn_t *c);

/* Send the batch and read one reply per command into *replies (an array of
 * b->ncmd replies, free with vmdns_conn_free_replies). On an I/O error, a timeout
 * or a READONLY/MASTERDOWN/LOADING reply it fails over and sends the whole
 * batch again, once. `writes` says whether the batch changes data (a lost
 * batch is then VMDNS_ERR_UNCONFIRMED rather than VMDNS_ERR_CONNECT). */
int vmdns_conn_run(conn_t *c, const batch_t *b, int writes, redisReply ***replies,
                   vmdns_error_t *err);

/* Free what vmdns_conn_run returned. */
void vmdns_conn_free_replies(redisReply **replies, size_t n);

/* ---- the handle ---- */

struct vmdns_registrar {
    pthread_mutex_t lock; /* guards conn: held for Redis round trips, never across a DNS wait */
    conn_t conn;
    char *prefix, *suffix;
    char *stream_key;
    char maxlen[24]; /* stream_maxlen as text */
    uint32_t default_ttl;
    unsigned min_replicas;
    uint32_t min_replicas_timeout_ms;
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

/* ---- txn.c: one atomic change of several fields of one zone ---- */

typedef struct change {
    const char *field;
    const char *value; /* NULL = delete the field */
} change_t;

/* Append MULTI, HSET/HDEL, one XADD per change, EXEC to b; returns the
 * index of the EXEC reply. */
size_t vmdns_txn_append(vmdns_registrar_t *r, batch_t *b, const char *zone_key, const char *zone,
                        const change_t *ch, size_t n);

/* True if an EXEC reply says every queued command succeeded; else fills err. */
int vmdns_txn_exec_ok(const redisReply *exec, vmdns_error_t *err);

/* Append WAIT if min_replicas is set; returns 1 if appended. */
int vmdns_txn_append_wait(vmdns_registrar_t *r, batch_t *b);

/* Check the WAIT reply. */
int vmdns_txn_wait_ok(vmdns_registrar_t *r, const redisReply *rep, vmdns_error_t *err);

/* Compare-and-set: if every field still holds `expect` (NULL = absent),
 * apply its `value` (NULL = delete, or unchanged if keep is set) with
 * change-stream entries, atomically (Lua). 1 = applied, 0 = something
 * changed meanwhile, -1 = error. */
typedef struct cas_item {
    const char *field;
    const char *expect;
    const char *value;
    int keep;
} cas_item_t;
int vmdns_txn_cas(vmdns_registrar_t *r, const char *zone_key, const char *zone,
                  const cas_item_t *items, size_t n, vmdns_error_t *err);

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
