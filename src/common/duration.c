/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/duration.c - the one parser of durations people type ("2h",
 * "4m50s", "500ms"): vmdnsctl's --lease and --timeout, vmssh's leases and
 * config, and (next) vmssh grace's --max and --interval (see duration.h).
 */
#include "common/duration.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int64_t vmdns_duration_ms(const char *s)
{
    int64_t total = 0;
    if (!s || !*s)
        return -1;
    while (*s) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return -1;
        unsigned long long v = strtoull(s, &end, 10);
        int64_t unit;
        if (strncmp(end, "ms", 2) == 0) {
            unit = 1;
            end += 2;
        } else if (*end == 's' || *end == '\0') {
            unit = 1000;
            end += *end ? 1 : 0;
        } else if (*end == 'm') {
            unit = 60000;
            end++;
        } else if (*end == 'h') {
            unit = 3600000;
            end++;
        } else if (*end == 'd') {
            unit = 86400000;
            end++;
        } else {
            return -1;
        }
        if (v > (unsigned long long)(INT64_MAX / 2) / (unsigned long long)unit)
            return -1;
        total += (int64_t)v * unit;
        if (total > INT64_MAX / 2)
            return -1;
        s = end;
    }
    return total;
}
