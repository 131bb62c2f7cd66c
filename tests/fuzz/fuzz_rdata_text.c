/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_rdata_text.c - libFuzzer harness for the record codec's text side:
 * vmdns_rdata_from_text (rdata as people and scripts type it, parsed with
 * ldns), vmdns_name_to_wire / vmdns_name_to_text, and vmdns_rr_to_text
 * (what vmdnsctl list prints).
 *
 * Input: the first byte picks a supported type (low bits) and the origin
 * for relative names (high bit: "example.com.", else the root); the rest
 * is the presentation text (cut at a NUL byte, as a C caller would pass
 * it). Checked on every input:
 *   - a rejected text gives an error code and a non-empty reason;
 *   - accepted rdata passes vmdns_rdata_check, fits the buffer, renders as
 *     "owner TAB ttl TAB IN TAB TYPE TAB rdata", and that rdata text parses
 *     back to the same bytes (what vmdnsctl prints, it accepts);
 *   - the text as a name: if vmdns_name_to_wire takes it, the wire name is
 *     well-formed, vmdns_name_to_text prints it, the printed text gives the
 *     same wire name again, and the canonical form prints too; a name the
 *     owner/host-name checks accept is one vmdns_name_to_wire accepts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmdns/record.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_rdata_text: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const uint16_t types[] = {
    VMDNS_TYPE_A,  VMDNS_TYPE_AAAA, VMDNS_TYPE_CNAME, VMDNS_TYPE_NS,  VMDNS_TYPE_TXT,
    VMDNS_TYPE_MX, VMDNS_TYPE_SRV,  VMDNS_TYPE_PTR,   VMDNS_TYPE_CAA, VMDNS_TYPE_SOA,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

#define RDATA_CAP 65535
#define TEXT_CAP  (RDATA_CAP * 4 + 1024) /* every rdata byte as \DDD, and more */

/* An error: a code and a non-empty message. (Messages quote the input,
 * control characters included: callers that log them must escape.) */
static void check_error(const vmdns_error_t *e)
{
    FUZZ_CHECK(e->code != VMDNS_OK);
    FUZZ_CHECK(memchr(e->message, '\0', sizeof(e->message)) != NULL);
    FUZZ_CHECK(e->message[0] != '\0');
}

/* The rdata part of a vmdns_rr_to_text line: after the fourth tab. */
static const char *rdata_part(const char *line)
{
    for (int tabs = 0; tabs < 4; tabs++) {
        line = strchr(line, '\t');
        if (line == NULL)
            return NULL;
        line++;
    }
    return line;
}

static void check_rdata(uint16_t type, const char *text, const char *origin)
{
    static uint8_t rd[RDATA_CAP], again[RDATA_CAP];
    static char line[TEXT_CAP];
    size_t len = 0, len2 = 0;
    vmdns_error_t err;

    if (vmdns_rdata_from_text(type, text, origin, rd, sizeof(rd), &len, &err) != 0) {
        check_error(&err);
        return;
    }
    FUZZ_CHECK(err.code == VMDNS_OK);
    FUZZ_CHECK(len > 0 && len <= sizeof(rd));
    FUZZ_CHECK(vmdns_rdata_check(type, rd, len, &err) == 0);

    vmdns_rr_t rr = {.type = type, .ttl = 30, .rdlen = (uint16_t)len, .rdata = rd};
    int tl = vmdns_rr_to_text("Owner.example.", &rr, line, sizeof(line));
    if (tl < 0) {
        fprintf(stderr, "type %u rdata '%s' does not render\n", type, text);
        FUZZ_CHECK(!"vmdns_rr_to_text failed on accepted rdata");
    }
    FUZZ_CHECK((size_t)tl == strlen(line) && strchr(line, '\n') == NULL);
    const char *printed = rdata_part(line);
    FUZZ_CHECK(printed != NULL);
    FUZZ_CHECK(strncmp(line, "Owner.example.\t30\tIN\t", 21) == 0);
    if (vmdns_rdata_from_text(type, printed, NULL, again, sizeof(again), &len2, &err) != 0) {
        fprintf(stderr, "'%s' printed as '%s', which does not parse: %s\n", text, printed,
                err.message);
        FUZZ_CHECK(!"printed rdata does not parse back");
    }
    if (len2 != len || memcmp(rd, again, len) != 0) {
        fprintf(stderr, "'%s' printed as '%s', which parses to other bytes\n", text, printed);
        FUZZ_CHECK(!"printed rdata parses to other bytes");
    }
}

static void check_name(const char *text)
{
    uint8_t wire[VMDNS_NAME_MAXWIRE], wire2[VMDNS_NAME_MAXWIRE];
    char out[VMDNS_NAME_MAXTEXT], canon[VMDNS_NAME_MAXTEXT];
    size_t len = 0, len2 = 0;
    vmdns_error_t err;

    int host_ok = vmdns_hostname_check(text, &err) == 0;
    if (!host_ok)
        check_error(&err);
    int owner_ok = vmdns_owner_name_check(text, &err) == 0;
    if (!owner_ok)
        check_error(&err);
    FUZZ_CHECK(!host_ok || owner_ok); /* a host name is an owner name */

    if (vmdns_name_to_wire(text, wire, &len, &err) != 0) {
        check_error(&err);
        FUZZ_CHECK(!owner_ok); /* the checks accept only names that convert */
        FUZZ_CHECK(vmdns_name_canonical(text, canon, sizeof(canon), &err) != 0);
        return;
    }
    /* well-formed: labels of 1..63 bytes ending at the root label */
    FUZZ_CHECK(len >= 1 && len <= VMDNS_NAME_MAXWIRE);
    size_t pos = 0;
    while (wire[pos] != 0) {
        FUZZ_CHECK(wire[pos] <= 63);
        pos += 1 + wire[pos];
        FUZZ_CHECK(pos < len);
    }
    FUZZ_CHECK(pos + 1 == len);

    int tl = vmdns_name_to_text(wire, len, out, sizeof(out));
    FUZZ_CHECK(tl > 0 && (size_t)tl == strlen(out) && out[tl - 1] == '.');
    FUZZ_CHECK(vmdns_name_to_wire(out, wire2, &len2, &err) == 0);
    FUZZ_CHECK(len2 == len && memcmp(wire, wire2, len) == 0);
    FUZZ_CHECK(vmdns_name_canonical(text, canon, sizeof(canon), &err) == 0);
    FUZZ_CHECK(strlen(canon) == (size_t)tl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint16_t type = types[data[0] % NTYPES];
    const char *origin = (data[0] & 0x80) ? "example.com." : NULL;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    check_rdata(type, text, origin);
    check_name(text);
    free(text);
    return 0;
}
