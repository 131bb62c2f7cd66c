/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_redis_info.c - libFuzzer harness for the reader of a Redis node's
 * INFO text (common/redis_info.c), which the registrar parses from every
 * master it connects to. Beyond "no crash": the strings it keeps are
 * NUL-terminated within their buffers, in-sync replicas never outnumber
 * the "slaveN:" lines of the input, and the warning it writes fits its
 * buffer and is empty exactly when no problem is reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis_info.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_redis_info: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmdns_redis_info_t ri;
    vmdns_redis_info_parse((const char *)data, size, &ri);
    FUZZ_CHECK(memchr(ri.role, 0, sizeof(ri.role)) != NULL);
    FUZZ_CHECK(memchr(ri.maxmemory_policy, 0, sizeof(ri.maxmemory_policy)) != NULL);
    FUZZ_CHECK(memchr(ri.replid, 0, sizeof(ri.replid)) != NULL);
    FUZZ_CHECK(memchr(ri.replid2, 0, sizeof(ri.replid2)) != NULL);
    unsigned slave_lines = 0;
    for (size_t i = 0; i + 5 <= size; i++)
        if (memcmp(data + i, "slave", 5) == 0 && (i == 0 || data[i - 1] == '\n'))
            slave_lines++;
    FUZZ_CHECK(ri.online_replicas <= slave_lines);
    FUZZ_CHECK(ri.aof_enabled >= -1 && ri.aof_enabled <= 1);
    char why[64];
    for (int has = 0; has < 2; has++) {
        int n = vmdns_redis_info_risks(&ri, has, why, sizeof(why));
        FUZZ_CHECK(memchr(why, 0, sizeof(why)) != NULL);
        FUZZ_CHECK((n == 0) == (why[0] == '\0'));
    }
    return 0;
}
