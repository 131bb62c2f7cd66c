/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_info.c - fields of an INFO reply (see redis_info.h).
 */
#include "redis/redis_info.h"

#include <stdlib.h>
#include <string.h>

bool redis_info_get(const char *text, size_t len, const char *key, char *out, size_t cap)
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

long long redis_info_num(const char *text, size_t len, const char *key, long long dflt)
{
    char v[32], *end;
    if (!redis_info_get(text, len, key, v, sizeof(v)) || v[0] == '\0') {
        return dflt;
    }
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? n : dflt;
}
