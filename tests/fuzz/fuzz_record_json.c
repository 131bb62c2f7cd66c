/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_record_json.c - libFuzzer harness for the record codec's JSON side:
 * vmdns_record_parse_json (what vmdnsd runs on every value it loads from
 * Redis, i.e. on bytes anyone with write access to Redis controls) and
 * vmdns_record_to_json (what the registrar writes).
 *
 * The codec promises that what one side writes the other reads back
 * identically (include/vmdns/record.h), so beyond "no crash" every input
 * is held to a round trip:
 *   - a value that is not a JSON object fails with VMDNS_ERR_JSON and an
 *     empty list; anything else succeeds, with a reason iff it skipped;
 *   - every record returned passes vmdns_rdata_check, has a TTL within
 *     RFC 2181, and renders as zone-file text (vmdns_rr_to_text);
 *   - the writer accepts the records (the reader must not return what the
 *     registrar could not write back), and reading its output gives the
 *     same records, lease and order, with nothing skipped;
 *   - writing those again gives the very same bytes (a canonical writer).
 * A violated check aborts, so libFuzzer and the replay test report it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvmdns/record_limit.h"
#include "vmdns/record.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_record_json: check failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The two lists hold the same records in the same order. */
static int same_records(const vmdns_rrlist_t *a, const vmdns_rrlist_t *b)
{
    if (a->n != b->n || a->expires != b->expires)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const vmdns_rr_t *x = &a->rrs[i], *y = &b->rrs[i];
        if (x->type != y->type || x->ttl != y->ttl || x->rdlen != y->rdlen ||
            memcmp(x->rdata, y->rdata, x->rdlen) != 0)
            return 0;
    }
    return 1;
}

/* Checks on every list the reader returns, first or second pass. */
static void check_list(const vmdns_rrlist_t *l)
{
    static char text[300000]; /* a TXT of 65535 bytes, every byte as \DDD */
    FUZZ_CHECK((l->n == 0) == (l->rrs == NULL));
    FUZZ_CHECK(l->expires >= 0);
    FUZZ_CHECK((l->skipped == 0) == (l->first_error[0] == '\0'));
    FUZZ_CHECK(memchr(l->first_error, '\0', sizeof(l->first_error)) != NULL);
    for (size_t i = 0; i < l->n; i++) {
        vmdns_error_t e;
        const vmdns_rr_t *rr = &l->rrs[i];
        FUZZ_CHECK(vmdns_type_name(rr->type) != NULL);
        FUZZ_CHECK(rr->ttl <= VMDNS_MAX_TTL);
        if (vmdns_rdata_check(rr->type, rr->rdata, rr->rdlen, &e) != 0) {
            fprintf(stderr, "record %zu: %s\n", i, e.message);
            FUZZ_CHECK(!"a returned record fails vmdns_rdata_check");
        }
        /* grouped by type in the writer's order: types never go back */
        if (i > 0 && rr->type != l->rrs[i - 1].type) {
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(l->rrs[j].type != rr->type);
        }
        int tl = vmdns_rr_to_text("fuzz.example.", rr, text, sizeof(text));
        FUZZ_CHECK(tl > 0 && (size_t)tl == strlen(text));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmdns_rrlist_t first, again;
    vmdns_error_t err;

    if (vmdns_record_parse_json((const char *)data, size, VMDNS_DEFAULT_TTL, &first, &err) != 0) {
        FUZZ_CHECK(err.code == VMDNS_ERR_JSON);
        FUZZ_CHECK(first.n == 0 && first.rrs == NULL && first.expires == 0);
        vmdns_rrlist_free(&first);
        return 0;
    }
    FUZZ_CHECK(err.code == VMDNS_OK);
    check_list(&first);

    /* The limited reader (vmdnsd's records_per_name) gives the same result,
     * or refuses a value that holds more records than the limit. */
    vmdns_rrlist_t lim;
    if (vmdns_record_parse_json_max((const char *)data, size, VMDNS_DEFAULT_TTL, NULL, 3, &lim,
                                    &err) == 0) {
        FUZZ_CHECK(same_records(&first, &lim) && lim.skipped == first.skipped);
    } else {
        FUZZ_CHECK(err.code == VMDNS_ERR_SPACE && lim.n == 0 && lim.rrs == NULL);
        FUZZ_CHECK(first.n + first.skipped > 3);
    }
    vmdns_rrlist_free(&lim);

    char *json = vmdns_record_to_json(first.rrs, first.n, first.expires, &err);
    if (json == NULL) {
        fprintf(stderr, "writer refused what the reader returned: %s\n", err.message);
        FUZZ_CHECK(!"vmdns_record_to_json failed on parsed records");
    }
    FUZZ_CHECK(err.code == VMDNS_OK);

    if (vmdns_record_parse_json(json, strlen(json), VMDNS_DEFAULT_TTL, &again, &err) != 0) {
        fprintf(stderr, "writer output does not parse: %s\n%s\n", err.message, json);
        FUZZ_CHECK(!"re-parse failed");
    }
    check_list(&again);
    if (again.skipped != 0 || !same_records(&first, &again)) {
        fprintf(stderr, "round trip changed the records (skipped %zu: %s)\n%s\n", again.skipped,
                again.first_error, json);
        FUZZ_CHECK(!"round trip");
    }

    char *json2 = vmdns_record_to_json(again.rrs, again.n, again.expires, &err);
    FUZZ_CHECK(json2 != NULL && strcmp(json, json2) == 0);

    free(json2);
    free(json);
    vmdns_rrlist_free(&again);
    vmdns_rrlist_free(&first);
    return 0;
}
