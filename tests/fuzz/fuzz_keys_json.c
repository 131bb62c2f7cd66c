/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_keys_json.c - libFuzzer harness for libvmssh's reader of GitHub's
 * keys answer (vmssh_keys_from_json): bytes from the network, up to 1 MiB.
 * Beyond "no crash": an error leaves the set empty; on success every kept
 * key is a valid key line by vmssh_key_parse, and kept + dropped never
 * exceeds the number of list entries in the input (at most one per '{' or
 * value); rendering the set gives one line per key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmssh_int.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_keys_json: check failed: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmssh_keyset_t set = {0};
    vmssh_error_t err;
    int rc = vmssh_keys_from_json((const char *)data, size, "octocat", &set, NULL, NULL, &err);
    if (rc < 0) {
        FUZZ_CHECK(set.n == 0 && set.dropped == 0);
        FUZZ_CHECK(err.code == VMSSH_ERR_KEYS || err.code == VMSSH_ERR_NOMEM);
    } else {
        FUZZ_CHECK(set.n + set.dropped <= size);
        for (size_t i = 0; i < set.n; i++) {
            vmssh_key_t k;
            FUZZ_CHECK(strcmp(set.v[i].login, "octocat") == 0);
            FUZZ_CHECK(vmssh_key_parse(set.v[i].key, strlen(set.v[i].key), &k) == VMSSH_KEY_OK);
        }
        char *text = vmssh_keys_render(&set, "restrict");
        FUZZ_CHECK(text != NULL);
        size_t lines = 0;
        for (const char *p = text; *p; p++)
            lines += *p == '\n';
        FUZZ_CHECK(lines == set.n);
        free(text);
    }
    vmssh_keyset_free(&set);
    return 0;
}
