/*
 * fuzz_json_lite_diff.c - the production record reader (json_lite) must
 * read every input exactly as the jansson-based reference does: same
 * verdict (JSON or not), same records in the same order, same lease, same
 * number of skipped records. Any difference aborts.
 *
 * One deliberate difference: jansson skips raw NUL bytes between tokens
 * (its stream reader takes a NUL for "buffer empty"), json_lite rejects
 * them as RFC 8259 says. Inputs with a raw NUL are not compared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ref_record_parse.h"
#include "vmdns/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmdns_rrlist_t a, b;
    vmdns_error_t ea, eb;
    if (memchr(data, 0, size) != NULL)
        return 0;
    int ra = vmdns_record_parse_json((const char *)data, size, 300, &a, &ea);
    int rb = ref_record_parse_json((const char *)data, size, 300, &b, &eb);
    if (ra != rb)
        abort();
    if (ra == 0) {
        if (a.n != b.n || a.expires != b.expires || a.skipped != b.skipped)
            abort();
        for (size_t i = 0; i < a.n; i++) {
            if (a.rrs[i].type != b.rrs[i].type || a.rrs[i].ttl != b.rrs[i].ttl ||
                a.rrs[i].rdlen != b.rrs[i].rdlen ||
                memcmp(a.rrs[i].rdata, b.rrs[i].rdata, a.rrs[i].rdlen) != 0)
                abort();
        }
    } else if (ea.code != eb.code) {
        abort();
    }
    vmdns_rrlist_free(&a);
    vmdns_rrlist_free(&b);
    return 0;
}
