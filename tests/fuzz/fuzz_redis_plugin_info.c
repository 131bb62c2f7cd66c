/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_redis_plugin_info.c - the one-field INFO reader the redis plugin
 * follows node identity with (vmdns_redis_info_get in common/redis_info.c)
 * on any bytes.
 *
 * Input: a key (up to the first NUL byte, at most 64 bytes) then the INFO
 * text (the whole-reply parser of the same file has fuzz_redis_info). Checked: nothing is read
 * past the text (ASan), the value is NUL-ended within its buffer, and it is found at a "key:" line
 * start.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size < 65 ? size : 65);
    if (nul == NULL) {
        return 0;
    }
    char key[65];
    size_t klen = (size_t)(nul - data);
    memcpy(key, data, klen);
    key[klen] = '\0';
    size_t len = size - klen - 1;
    char *text = len ? (char *)malloc(len) : NULL; /* exactly len bytes: no NUL after */
    if (len && text == NULL) {
        return 0;
    }
    if (len) {
        memcpy(text, nul + 1, len);
    }
    char out[16];
    if (vmdns_redis_info_get(text, len, key, out, sizeof(out))) {
        size_t n = strlen(out);
        assert(n < sizeof(out));
        /* the line "key:" + value is in the text */
        int found = 0;
        for (size_t p = 0; p + klen + 1 + n <= len && !found; p++) {
            found = (p == 0 || text[p - 1] == '\n') && memcmp(text + p, key, klen) == 0 &&
                    text[p + klen] == ':' && memcmp(text + p + klen + 1, out, n) == 0;
        }
        assert(found);
    } else {
        assert(out[0] == '\0');
    }
    (void)vmdns_redis_info_num(text, len, key, -1);
    free(text);
    return 0;
}
