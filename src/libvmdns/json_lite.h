/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_lite.h - a small, strict JSON reader for record values.
 *
 * vmdnsd parses one JSON value per name it loads (a million at startup for a
 * large backend), and a general DOM library spends most of that time in
 * malloc: one allocation per value, key and string. This reader builds the
 * whole tree of one document in three growing arrays that are reused from
 * one document to the next, so a parse costs no allocation once warm.
 *
 * It accepts exactly what jansson's json_loadb(..., JSON_ALLOW_NUL) does
 * (RFC 8259, UTF-8 checked, \u0000 allowed in string values but not in
 * keys, integers must fit int64, depth <= 2048, nothing after the value)
 * and keeps jansson's object semantics: a repeated key replaces the value
 * of the first occurrence, in its place. tests/fuzz/fuzz_json_lite_diff.c
 * checks the two against each other, tree by tree.
 */
#ifndef VMDNS_JSON_LITE_H
#define VMDNS_JSON_LITE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    JL_NULL,
    JL_FALSE,
    JL_TRUE,
    JL_INT,
    JL_REAL,
    JL_STRING,
    JL_ARRAY,
    JL_OBJECT,
} jl_kind_t;

/* A value. Children (array items, object members) are linked by index. */
typedef struct jl_value {
    jl_kind_t kind;
    uint32_t count; /* array/object: number of children */
    uint32_t first; /* array/object: index of the first member (jl_member_t) */
    uint32_t str;   /* string: offset in the string pool */
    uint32_t len;   /* string: length in bytes (may contain NUL) */
    int64_t i;      /* integer */
} jl_value_t;

/* One array item or object member (key unused in arrays). */
typedef struct jl_member {
    uint32_t key, key_len; /* offset/length in the string pool */
    uint32_t value;        /* index of the value */
    uint32_t next;         /* next member, or UINT32_MAX */
} jl_member_t;

/* A parsed document and the buffers it reuses. */
typedef struct jl_doc {
    jl_value_t *values;
    size_t nvalues, capvalues;
    jl_member_t *members;
    size_t nmembers, capmembers;
    char *pool; /* decoded strings, each NUL-terminated */
    size_t npool, cappool;
    char error[96];
    size_t error_pos;
} jl_doc_t;

#define JL_NONE UINT32_MAX

/* Parse text[len] into doc (previous contents dropped, buffers kept).
 * Returns the root value's index, or JL_NONE with doc->error set. */
uint32_t vmdns_jl_parse(jl_doc_t *doc, const char *text, size_t len);

/* Free the buffers. */
void vmdns_jl_doc_free(jl_doc_t *doc);

static inline const jl_value_t *jl_at(const jl_doc_t *d, uint32_t v)
{
    return &d->values[v];
}

static inline const char *jl_str(const jl_doc_t *d, uint32_t off)
{
    return d->pool + off;
}

#endif
