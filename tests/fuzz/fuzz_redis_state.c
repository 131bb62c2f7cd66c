/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_redis_state.c - libFuzzer harness for the redis plugin's state file
 * reader (redis_pending_parse): the file vmdnsd wrote in its last run, read
 * at startup, possibly damaged. Beyond "no crash": every line handed on has
 * a non-empty backend name without blanks and a valid lower-case wire zone
 * name, and no more lines are taken than the input has.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"
#include "redis/redis_pending.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_redis_state: check failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void on_line(void *arg, const char *backend, const uint8_t *zone, size_t zone_len)
{
    size_t *seen = arg;
    (*seen)++;
    FUZZ_CHECK(backend[0] != '\0' && strpbrk(backend, " \t\n") == NULL);
    FUZZ_CHECK(zone_len > 0 && zone_len <= NAME_MAX_WIRE && name_is_valid_wire(zone, zone_len));
    for (size_t i = 0; i < zone_len; i++) /* lower-cased (length bytes are < 64) */
        FUZZ_CHECK(!(zone[i] >= 'A' && zone[i] <= 'Z'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t seen = 0, lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    size_t taken = redis_pending_parse((const char *)data, size, on_line, &seen);
    FUZZ_CHECK(taken == seen);
    FUZZ_CHECK(taken <= lines);
    return 0;
}
