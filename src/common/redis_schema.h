/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/redis_schema.h - the one description of how vmdns data lives in
 * Redis, for the writer (libvmdns) and the reader (vmdnsd's redis plugin).
 *
 *   zone    one HASH, key = prefix + zone FQDN with its final dot + suffix
 *           ("vm.example.com."); found by SCAN MATCH glob(prefix) "*." glob(suffix)
 *   field   the owner name relative to the zone: "@" (apex), "vm-1",
 *           "_ssh._tcp.vm-1", "*"; value: the JSON record set (the codec)
 *   stream  prefix + "vmdns:changes" + suffix (no final dot, so zone
 *           discovery never takes it for a zone); each entry is
 *           zone <zone> name <field> op set|del|delzone value <json|"">
 *           and, from an operator (vmdnsctl confirm-drop BACKEND):
 *           zone . name <backend name, or *> op confirm-drop value ""
 *           (vmdnsd then applies a drop of names it held back, see
 *           plugins/redis/README.md, "Empty or shrunken source")
 *
 * Names here are text as stored; turning them into DNS names is the
 * caller's business.
 */
#ifndef VMDNS_COMMON_REDIS_SCHEMA_H
#define VMDNS_COMMON_REDIS_SCHEMA_H

#include <stddef.h>

#define VMDNS_SCHEMA_STREAM  "vmdns:changes" /* between prefix and suffix */
#define VMDNS_SCHEMA_APEX    "@"             /* the field of the zone apex */
#define VMDNS_SCHEMA_F_ZONE  "zone"          /* the entry fields */
#define VMDNS_SCHEMA_F_NAME  "name"
#define VMDNS_SCHEMA_F_OP    "op"
#define VMDNS_SCHEMA_F_VALUE "value"
#define VMDNS_SCHEMA_SET     "set" /* the ops */
#define VMDNS_SCHEMA_DEL     "del"
#define VMDNS_SCHEMA_DELZONE "delzone"
#define VMDNS_SCHEMA_CONFIRM "confirm-drop"

/* What a stream entry does. */
typedef enum vmdns_schema_op {
    VMDNS_SCHEMA_OP_UNKNOWN = 0,
    VMDNS_SCHEMA_OP_SET,     /* name's field now holds value */
    VMDNS_SCHEMA_OP_DEL,     /* name's field is gone */
    VMDNS_SCHEMA_OP_DELZONE, /* the whole zone hash is gone */
    VMDNS_SCHEMA_OP_CONFIRM, /* an operator confirms a held drop of backend `name` */
} vmdns_schema_op_t;

/* "set", "del", "delzone", "confirm-drop" (NULL for UNKNOWN). */
const char *vmdns_schema_op_name(vmdns_schema_op_t op);

/* The op named by len bytes of text, or VMDNS_SCHEMA_OP_UNKNOWN. */
vmdns_schema_op_t vmdns_schema_op_parse(const char *text, size_t len);

/* The key of a zone: prefix + zone (zone_len bytes, with its final dot) +
 * suffix, NUL-terminated in out. Returns its length, or 0 if cap is too
 * small. */
size_t vmdns_schema_zone_key(const char *prefix, const char *zone, size_t zone_len,
                             const char *suffix, char *out, size_t cap);

/* The zone text inside a key (*zone points into key): its length, or 0 if
 * key is not prefix + "<something>." + suffix. */
size_t vmdns_schema_key_zone(const char *key, size_t key_len, const char *prefix,
                             const char *suffix, const char **zone);

/* The change stream's key into out; its length, or 0 if cap is too small. */
size_t vmdns_schema_stream_key(const char *prefix, const char *suffix, char *out, size_t cap);

/* The SCAN MATCH pattern of the zone keys, glob(prefix) "*." glob(suffix)
 * (the glob characters *?[]\ of prefix and suffix escaped); its length, or
 * 0 if cap is too small. */
size_t vmdns_schema_scan_pattern(const char *prefix, const char *suffix, char *out, size_t cap);

/* One change-stream entry, pointing into the reply it was read from. */
typedef struct vmdns_schema_entry {
    const char *zone, *name, *value; /* name and value may be NULL */
    size_t zone_len, name_len, value_len;
    vmdns_schema_op_t op;
} vmdns_schema_entry_t;

/* Read an entry's field/value array (as XREAD returns it). 0 if it names a
 * zone and a known op, and for set a name and a value, for del a name;
 * else -1 (e is still filled as far as it could be, for messages). */
struct redisReply;
int vmdns_schema_entry_parse(const struct redisReply *fields, vmdns_schema_entry_t *e);

/* The 8 field/value arguments of an entry's XADD (after "XADD key MAXLEN ~
 * n *"): zone, name, op, value (value "" for del and delzone). */
#define VMDNS_SCHEMA_ENTRY_ARGC 8
void vmdns_schema_entry_argv(const char *zone, const char *name, vmdns_schema_op_t op,
                             const char *value, const char *argv[VMDNS_SCHEMA_ENTRY_ARGC]);

#endif
