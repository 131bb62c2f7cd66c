/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/redis_info.c - reading a node's INFO text (see redis_info.h).
 *
 * INFO is a list of "key:value" lines grouped under "# Section" headers;
 * replicas appear as "slaveN:ip=...,port=...,state=online,offset=...".
 * Only the few keys that matter for the safety of DNS data are read; a
 * line that does not look like one of them is skipped, so a reply of any
 * Redis version (or garbage) parses into "unknown" rather than failing.
 */
#include "common/redis_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of `key` if line (of len bytes) is "key:value", else NULL;
 * *vlen gets the value's length. */
static const char *value_of(const char *line, size_t len, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    if (len <= kl || memcmp(line, key, kl) != 0 || line[kl] != ':')
        return NULL;
    *vlen = len - kl - 1;
    return line + kl + 1;
}

/* Copy a value into a fixed buffer, NUL-terminated, cut to fit. */
static void copy_val(char *dst, size_t cap, const char *v, size_t vl)
{
    if (vl >= cap)
        vl = cap - 1;
    memcpy(dst, v, vl);
    dst[vl] = '\0';
}

/* A small decimal number of at most 9 digits; -1 if it is not one. */
static long small_number(const char *v, size_t vl)
{
    long n = 0;
    if (vl == 0 || vl > 9)
        return -1;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    return n;
}

/* Is line "slaveN:...state=online..."? */
static int online_replica_line(const char *line, size_t len)
{
    static const char want[] = "state=online";
    size_t i = 5;
    if (len < 6 || memcmp(line, "slave", 5) != 0)
        return 0;
    while (i < len && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == 5 || i >= len || line[i] != ':')
        return 0;
    for (size_t k = i + 1; k + sizeof(want) - 1 <= len; k++)
        if (memcmp(line + k, want, sizeof(want) - 1) == 0 &&
            (k + sizeof(want) - 1 == len || line[k + sizeof(want) - 1] == ','))
            return 1;
    return 0;
}

void vmdns_redis_info_parse(const char *text, size_t len, vmdns_redis_info_t *out)
{
    memset(out, 0, sizeof(*out));
    out->aof_enabled = -1;
    out->rdb_save = -1;
    size_t pos = 0;
    while (text && pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        const char *v;
        size_t vl;
        long n;
        if ((v = value_of(line, ll, "role", &vl)))
            copy_val(out->role, sizeof(out->role), v, vl);
        else if ((v = value_of(line, ll, "maxmemory_policy", &vl)))
            copy_val(out->maxmemory_policy, sizeof(out->maxmemory_policy), v, vl);
        else if ((v = value_of(line, ll, "aof_enabled", &vl)) && (n = small_number(v, vl)) >= 0)
            out->aof_enabled = n != 0;
        else if ((v = value_of(line, ll, "connected_slaves", &vl)) &&
                 (n = small_number(v, vl)) >= 0)
            out->connected_replicas = (unsigned)n;
        else if ((v = value_of(line, ll, "master_replid", &vl)))
            copy_val(out->replid, sizeof(out->replid), v, vl);
        else if ((v = value_of(line, ll, "master_replid2", &vl)))
            copy_val(out->replid2, sizeof(out->replid2), v, vl);
        else if (online_replica_line(line, ll))
            out->online_replicas++;
    }
}

int vmdns_redis_info_risks(const vmdns_redis_info_t *i, int has_replicas, char *out, size_t cap)
{
    int n = 0;
    size_t used = 0;
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (i->maxmemory_policy[0] && strcmp(i->maxmemory_policy, "noeviction") != 0) {
        int w = snprintf(out, cap,
                         "maxmemory-policy is %s: under memory pressure Redis may evict whole zone "
                         "hashes (set maxmemory-policy noeviction)",
                         i->maxmemory_policy);
        used = w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
        n++;
    }
    if (i->aof_enabled == 0 && i->rdb_save == 0 && !has_replicas && !i->connected_replicas) {
        snprintf(out + used, cap - used,
                 "%sno persistence (appendonly no, save \"\") and no replica: a restart empties "
                 "Redis (set appendonly yes)",
                 n ? "; " : "");
        n++;
    }
    return n;
}

bool vmdns_redis_info_get(const char *text, size_t len, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    if (cap == 0) {
        return false;
    }
    out[0] = '\0';
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - text) : len; /* this line is [p, end) */
        if (end - p > klen && memcmp(text + p, key, klen) == 0 && text[p + klen] == ':') {
            size_t v = p + klen + 1, n = 0;
            while (v + n < end && text[v + n] != '\r' && n < cap - 1) {
                n++;
            }
            memcpy(out, text + v, n);
            out[n] = '\0';
            return true;
        }
        p = end + 1;
    }
    return false;
}

long long vmdns_redis_info_num(const char *text, size_t len, const char *key, long long dflt)
{
    char v[32], *end;
    if (!vmdns_redis_info_get(text, len, key, v, sizeof(v)) || v[0] == '\0') {
        return dflt;
    }
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? n : dflt;
}
