/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_tsig.c - libFuzzer harness for TSIG: the TSIG record parser
 * (wire_parse_query) and the verifier/signer (dns/tsig.c).
 *
 * Every input is parsed as a query; one with a TSIG is verified against a
 * fixed key at a fixed time, and a verified one gets its question signed
 * as a response, twice (a transfer's chained MACs). Checked: a verified
 * query names the ring's key; the signer never writes past the buffer it
 * was given and its output grows ARCOUNT by one; an unsigned error TSIG
 * carries the error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/tsig.h"
#include "dns/wire.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_tsig: check failed: %s (line %d)\n", #cond, __LINE__);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define FUZZ_TIME 1800000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tsig_key_t key;
    static int ready;
    if (!ready) {
        key.name_len = name_from_text("xfr-key.", key.name);
        (void)tsig_secret_from_base64("dm1kbnMtdHJhbnNmZXIta2V5LWZvci10aGUtdGVzdHM=", &key);
        ready = 1;
    }
    tsig_keyring_t ring = {&key, 1};
    wire_query_t q;
    if (wire_parse_query(data, size, &q) != WIRE_ANSWER || !q.tsig.present) {
        return 0;
    }
    FUZZ_CHECK(q.tsig.rr_off < size && q.tsig.mac_off + q.tsig.mac_len <= size);
    tsig_state_t st;
    uint16_t e = tsig_verify_query(&ring, &q, FUZZ_TIME, &st);
    uint8_t out[70000];
    if (e == TSIG_BADKEY || e == TSIG_BADSIG) {
        FUZZ_CHECK(st.key == NULL);
        memcpy(out, data, q.question_end);
        memset(out + 6, 0, 6);
        size_t n = tsig_append_error(&q, e, out, q.question_end, sizeof(out));
        FUZZ_CHECK(n > q.question_end && wire_read_u16(out + 10) == 1);
        FUZZ_CHECK(wire_read_u16(out + n - 4) == e);
        return 0;
    }
    FUZZ_CHECK(st.key == &key);
    size_t len = q.question_end;
    memcpy(out, data, len);
    wire_write_u16(out + 2, 0x8400);
    memset(out + 6, 0, 6);
    for (int round = 0; round < 2; round++) {
        size_t cap = len + 40 + (size_t)(data[size - 1] % 512); /* sometimes too small */
        uint8_t guard = 0xA5;
        out[cap] = guard;
        size_t n = tsig_sign(&st, out, len, cap, FUZZ_TIME);
        FUZZ_CHECK(out[cap] == guard);
        FUZZ_CHECK(n == 0 || (n > len && n <= cap && wire_read_u16(out + 10) == 1));
        if (n > 0) {
            wire_write_u16(out + 10, 0); /* the next message: the same body again */
        }
    }
    return 0;
}
