/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_tsig.c - TSIG (dns/tsig.c) against a query signed by another
 * implementation (dnspython, hmac-sha256, time 1800000000, fudge 300):
 * it verifies at its time and within the fudge, not outside (BADTIME),
 * not with a changed byte (BADSIG), not under an unknown key or another
 * algorithm (BADKEY); a signed response carries a MAC over the request's
 * MAC; the error response to a BADKEY query is NOTAUTH with an unsigned
 * TSIG naming the error; a TSIG that is not the last record is FORMERR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/tsig.h"
#include "dns/wire.h"

static const char signed_hex[] =
    "10920100000100000000000102766d076578616d706c6503636f6d0000060001077866722d6b65790000fa"
    "00ff00000000003d0b686d61632d7368613235360000006b49d200012c00206b794461f48e8709412bdb0a"
    "26452d62d9c60e3e6e989386fd9ffc98ff04e4a0109200000000";

#define SIGNED_TIME 1800000000

static size_t from_hex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static tsig_key_t key;
static tsig_keyring_t ring = {&key, 1};

static int setup(void **state)
{
    (void)state;
    memset(&key, 0, sizeof(key));
    key.name_len = name_from_text("xfr-key.", key.name);
    assert_true(tsig_secret_from_base64("dm1kbnMtdHJhbnNmZXIta2V5LWZvci10aGUtdGVzdHM=", &key));
    assert_int_equal(key.secret_len, 32);
    return 0;
}

static void test_verifies_at_its_time(void **state)
{
    (void)state;
    uint8_t pkt[512];
    size_t len = from_hex(signed_hex, pkt);
    wire_query_t q;
    assert_int_equal(wire_parse_query(pkt, len, &q), WIRE_ANSWER);
    assert_true(q.tsig.present);
    assert_int_equal(q.tsig.time_signed, SIGNED_TIME);
    assert_int_equal(q.tsig.fudge, 300);
    assert_int_equal(q.tsig.mac_len, 32);
    tsig_state_t st;
    assert_int_equal(tsig_verify_query(&ring, &q, SIGNED_TIME, &st), TSIG_OK);
    assert_ptr_equal(st.key, &key);
    assert_int_equal(tsig_verify_query(&ring, &q, SIGNED_TIME + 299, &st), TSIG_OK);
    assert_int_equal(tsig_verify_query(&ring, &q, SIGNED_TIME - 301, &st), TSIG_BADTIME);
    assert_non_null(st.key); /* BADTIME is answered signed */
}

static void test_bad_mac_key_and_algorithm(void **state)
{
    (void)state;
    uint8_t pkt[512];
    size_t len = from_hex(signed_hex, pkt);
    wire_query_t q;
    tsig_state_t st;
    pkt[14] ^= 1; /* a letter of the question */
    assert_int_equal(wire_parse_query(pkt, len, &q), WIRE_ANSWER);
    assert_int_equal(tsig_verify_query(&ring, &q, SIGNED_TIME, &st), TSIG_BADSIG);
    assert_null(st.key);
    pkt[14] ^= 1;

    tsig_key_t other = key;
    other.secret[0] ^= 0x55;
    tsig_keyring_t wrong = {&other, 1};
    assert_int_equal(wire_parse_query(pkt, len, &q), WIRE_ANSWER);
    assert_int_equal(tsig_verify_query(&wrong, &q, SIGNED_TIME, &st), TSIG_BADSIG);

    tsig_key_t sha1 = key;
    assert_true(tsig_algorithm_from_text("hmac-sha1", sha1.alg, &sha1.alg_len));
    tsig_keyring_t restricted = {&sha1, 1};
    assert_int_equal(tsig_verify_query(&restricted, &q, SIGNED_TIME, &st), TSIG_BADKEY);

    tsig_keyring_t none = {NULL, 0};
    assert_int_equal(tsig_verify_query(&none, &q, SIGNED_TIME, &st), TSIG_BADKEY);
}

static void test_error_response_and_signing(void **state)
{
    (void)state;
    uint8_t pkt[512], out[512];
    size_t len = from_hex(signed_hex, pkt);
    wire_query_t q;
    assert_int_equal(wire_parse_query(pkt, len, &q), WIRE_ANSWER);
    memcpy(out, pkt, q.question_end); /* a NOTAUTH reply with the question */
    wire_write_u16(out + 2, 0x8000 | WIRE_RCODE_NOTAUTH);
    memset(out + 6, 0, 6);
    size_t n = tsig_append_error(&q, TSIG_BADKEY, out, q.question_end, sizeof(out));
    assert_true(n > q.question_end);
    assert_int_equal(tsig_append_error(&q, TSIG_BADKEY, out, q.question_end, n - 1), 0);
    assert_int_equal(out[3] & 0xF, WIRE_RCODE_NOTAUTH);
    assert_int_equal(wire_read_u16(out + 6), 0);  /* no answer */
    assert_int_equal(wire_read_u16(out + 10), 1); /* the TSIG */
    assert_int_equal(wire_read_u16(out + n - 4), TSIG_BADKEY);
    assert_int_equal(wire_read_u16(out + n - 8), 0); /* MAC size 0: unsigned */

    /* a response signed under the verified request: a 32-byte MAC that
     * changes with the request's MAC */
    tsig_state_t st;
    assert_int_equal(tsig_verify_query(&ring, &q, SIGNED_TIME, &st), TSIG_OK);
    uint8_t resp[512];
    memcpy(resp, pkt, q.tsig.rr_off);
    wire_write_u16(resp + 2, 0x8400);
    wire_write_u16(resp + 10, 0);
    size_t signed_len = tsig_sign(&st, resp, q.tsig.rr_off, sizeof(resp), SIGNED_TIME);
    assert_true(signed_len > q.tsig.rr_off);
    assert_int_equal(wire_read_u16(resp + 10), 1);
    uint8_t first_mac[TSIG_MAX_MAC];
    memcpy(first_mac, st.mac, st.mac_len);
    assert_int_equal(st.mac_len, 32);
    /* the next message of the same response chains on that MAC */
    size_t second = tsig_sign(&st, resp, q.tsig.rr_off, sizeof(resp), SIGNED_TIME);
    assert_true(second > 0);
    assert_memory_not_equal(first_mac, st.mac, 32);
    assert_int_equal(tsig_sign(&st, resp, q.tsig.rr_off, q.tsig.rr_off + 20, SIGNED_TIME), 0);
}

static void test_tsig_must_be_last(void **state)
{
    (void)state;
    uint8_t pkt[600];
    size_t len = from_hex(signed_hex, pkt);
    /* append an OPT after the TSIG: ARCOUNT 2, the TSIG no longer last */
    static const uint8_t opt[] = {0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0};
    memcpy(pkt + len, opt, sizeof(opt));
    wire_write_u16(pkt + 10, 2);
    wire_query_t q;
    assert_int_equal(wire_parse_query(pkt, len + sizeof(opt), &q), WIRE_FORMERR);
    assert_false(q.tsig.present);
}

static void test_secrets_and_algorithms(void **state)
{
    (void)state;
    tsig_key_t k;
    uint8_t alg[NAME_MAX_WIRE];
    size_t alg_len;
    assert_false(tsig_secret_from_base64("not base64!", &k));
    assert_false(tsig_secret_from_base64("", &k));
    assert_true(tsig_secret_from_base64("YWJj", &k));
    assert_int_equal(k.secret_len, 3);
    assert_true(tsig_algorithm_from_text("hmac-md5", alg, &alg_len));
    assert_true(tsig_algorithm_from_text("HMAC-SHA512.", alg, &alg_len));
    assert_false(tsig_algorithm_from_text("gss-tsig", alg, &alg_len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_verifies_at_its_time, setup),
        cmocka_unit_test_setup(test_bad_mac_key_and_algorithm, setup),
        cmocka_unit_test_setup(test_error_response_and_signing, setup),
        cmocka_unit_test_setup(test_tsig_must_be_last, setup),
        cmocka_unit_test_setup(test_secrets_and_algorithms, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
