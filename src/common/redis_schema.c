/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/redis_schema.c - keys, patterns and stream entries of the Redis
 * schema (see redis_schema.h).
 */
#include "common/redis_schema.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <string.h>

static const char *const op_names[] = {
    [VMDNS_SCHEMA_OP_SET] = VMDNS_SCHEMA_SET,
    [VMDNS_SCHEMA_OP_DEL] = VMDNS_SCHEMA_DEL,
    [VMDNS_SCHEMA_OP_DELZONE] = VMDNS_SCHEMA_DELZONE,
    [VMDNS_SCHEMA_OP_CONFIRM] = VMDNS_SCHEMA_CONFIRM,
};

const char *vmdns_schema_op_name(vmdns_schema_op_t op)
{
    return op > VMDNS_SCHEMA_OP_UNKNOWN && op <= VMDNS_SCHEMA_OP_CONFIRM ? op_names[op] : NULL;
}

vmdns_schema_op_t vmdns_schema_op_parse(const char *text, size_t len)
{
    for (int op = VMDNS_SCHEMA_OP_SET; op <= VMDNS_SCHEMA_OP_CONFIRM; op++)
        if (strlen(op_names[op]) == len && memcmp(op_names[op], text, len) == 0)
            return (vmdns_schema_op_t)op;
    return VMDNS_SCHEMA_OP_UNKNOWN;
}

/* Append len bytes of s at out[*pos]; false if that (and a NUL) do not fit. */
static bool put(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    if (*pos + len >= cap)
        return false;
    memcpy(out + *pos, s, len);
    *pos += len;
    out[*pos] = '\0';
    return true;
}

size_t vmdns_schema_zone_key(const char *prefix, const char *zone, size_t zone_len,
                             const char *suffix, char *out, size_t cap)
{
    size_t pos = 0;
    if (!put(out, cap, &pos, prefix, strlen(prefix)) || !put(out, cap, &pos, zone, zone_len) ||
        !put(out, cap, &pos, suffix, strlen(suffix)))
        return 0;
    return pos;
}

size_t vmdns_schema_key_zone(const char *key, size_t key_len, const char *prefix,
                             const char *suffix, const char **zone)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    if (key_len < pl + sl + 1 || memcmp(key, prefix, pl) != 0 ||
        memcmp(key + key_len - sl, suffix, sl) != 0 || key[key_len - sl - 1] != '.')
        return 0;
    *zone = key + pl;
    return key_len - pl - sl;
}

size_t vmdns_schema_stream_key(const char *prefix, const char *suffix, char *out, size_t cap)
{
    size_t pos = 0;
    if (!put(out, cap, &pos, prefix, strlen(prefix)) ||
        !put(out, cap, &pos, VMDNS_SCHEMA_STREAM, sizeof(VMDNS_SCHEMA_STREAM) - 1) ||
        !put(out, cap, &pos, suffix, strlen(suffix)))
        return 0;
    return pos;
}

/* Append s with the glob metacharacters escaped. */
static bool put_glob(char *out, size_t cap, size_t *pos, const char *s)
{
    for (; *s != '\0'; s++)
        if ((strchr("*?[]\\", *s) != NULL && !put(out, cap, pos, "\\", 1)) ||
            !put(out, cap, pos, s, 1))
            return false;
    return true;
}

size_t vmdns_schema_scan_pattern(const char *prefix, const char *suffix, char *out, size_t cap)
{
    size_t pos = 0;
    if (!put_glob(out, cap, &pos, prefix) || !put(out, cap, &pos, "*.", 2) ||
        !put_glob(out, cap, &pos, suffix))
        return 0;
    return pos;
}

/* The string value of `name` in a flat field/value array, or NULL. */
static const redisReply *entry_field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            return fields->element[i + 1];
    }
    return NULL;
}

int vmdns_schema_entry_parse(const redisReply *fields, vmdns_schema_entry_t *e)
{
    memset(e, 0, sizeof(*e));
    if (fields == NULL || fields->type != REDIS_REPLY_ARRAY)
        return -1;
    const redisReply *zone = entry_field(fields, VMDNS_SCHEMA_F_ZONE);
    const redisReply *name = entry_field(fields, VMDNS_SCHEMA_F_NAME);
    const redisReply *op = entry_field(fields, VMDNS_SCHEMA_F_OP);
    const redisReply *value = entry_field(fields, VMDNS_SCHEMA_F_VALUE);
    if (zone != NULL) {
        e->zone = zone->str;
        e->zone_len = zone->len;
    }
    if (name != NULL) {
        e->name = name->str;
        e->name_len = name->len;
    }
    if (value != NULL) {
        e->value = value->str;
        e->value_len = value->len;
    }
    if (op != NULL)
        e->op = vmdns_schema_op_parse(op->str, op->len);
    if (e->zone == NULL || e->zone_len == 0 || e->op == VMDNS_SCHEMA_OP_UNKNOWN)
        return -1;
    if (e->op == VMDNS_SCHEMA_OP_DELZONE)
        return 0;
    if (e->name == NULL || (e->op == VMDNS_SCHEMA_OP_SET && e->value == NULL))
        return -1;
    return 0;
}

void vmdns_schema_entry_argv(const char *zone, const char *name, vmdns_schema_op_t op,
                             const char *value, const char *argv[VMDNS_SCHEMA_ENTRY_ARGC])
{
    argv[0] = VMDNS_SCHEMA_F_ZONE;
    argv[1] = zone;
    argv[2] = VMDNS_SCHEMA_F_NAME;
    argv[3] = name;
    argv[4] = VMDNS_SCHEMA_F_OP;
    argv[5] = vmdns_schema_op_name(op);
    argv[6] = VMDNS_SCHEMA_F_VALUE;
    argv[7] = op == VMDNS_SCHEMA_OP_SET && value ? value : "";
}
