/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_json_lite_diff.c - json_lite, the JSON reader behind the record
 * codec, must read every input exactly as jansson's json_loadb(...,
 * JSON_ALLOW_NUL) does: the same verdict (JSON or not) and the same tree,
 * kind by kind, integer by integer, string byte by byte, members in the
 * same order with repeated keys collapsed the same way. Any difference
 * aborts. The record codec on top (record_parse.c) only ever sees the tree,
 * so this pins its behaviour to what it was on jansson.
 *
 * One deliberate difference: jansson skips raw NUL bytes between tokens
 * (its stream reader takes a NUL for "buffer empty"), json_lite rejects
 * them as RFC 8259 says. Inputs with a raw NUL are not compared.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_lite.h"

static void same(const jl_doc_t *d, uint32_t v, json_t *j)
{
    const jl_value_t *x = jl_at(d, v);
    switch (json_typeof(j)) {
    case JSON_NULL:
        if (x->kind != JL_NULL)
            abort();
        return;
    case JSON_TRUE:
        if (x->kind != JL_TRUE)
            abort();
        return;
    case JSON_FALSE:
        if (x->kind != JL_FALSE)
            abort();
        return;
    case JSON_REAL:
        if (x->kind != JL_REAL)
            abort();
        return;
    case JSON_INTEGER:
        if (x->kind != JL_INT || x->i != json_integer_value(j))
            abort();
        return;
    case JSON_STRING:
        if (x->kind != JL_STRING || x->len != json_string_length(j) ||
            memcmp(jl_str(d, x->str), json_string_value(j), x->len) != 0)
            abort();
        return;
    case JSON_ARRAY: {
        if (x->kind != JL_ARRAY || x->count != json_array_size(j))
            abort();
        size_t i = 0;
        for (uint32_t m = x->first; m != JL_NONE; m = d->members[m].next, i++)
            same(d, d->members[m].value, json_array_get(j, i));
        return;
    }
    case JSON_OBJECT: {
        if (x->kind != JL_OBJECT || x->count != json_object_size(j))
            abort();
        void *it = json_object_iter(j);
        for (uint32_t m = x->first; m != JL_NONE; m = d->members[m].next) {
            const jl_member_t *mm = &d->members[m];
            if (it == NULL || strcmp(json_object_iter_key(it), jl_str(d, mm->key)) != 0)
                abort(); /* a different key, or a different order */
            same(d, mm->value, json_object_iter_value(it));
            it = json_object_iter_next(j, it);
        }
        if (it != NULL)
            abort();
        return;
    }
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jl_doc_t doc; /* reused, as the codec reuses its per-thread one */
    if (memchr(data, 0, size) != NULL)
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
    uint32_t root = vmdns_jl_parse(&doc, (const char *)data, size);
    if ((j == NULL) != (root == JL_NONE))
        abort();
    if (j != NULL) {
        same(&doc, root, j);
        json_decref(j);
    }
    return 0;
}
