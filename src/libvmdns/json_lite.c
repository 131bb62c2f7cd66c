/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_lite.c - the strict JSON reader of record values (see json_lite.h).
 *
 * Recursive descent over the text, one pass. Values and members go into
 * arrays indexed by number (so growing them never invalidates a link), and
 * decoded strings into one pool. Error texts are short and say what and
 * where; callers only show them.
 */
#include "json_lite.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048 /* as jansson's JSON_PARSER_MAX_DEPTH */

typedef struct parser {
    jl_doc_t *d;
    const unsigned char *p, *end, *start;
    int depth;
    int failed;
} parser_t;

static uint32_t fail(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint32_t fail(parser_t *ps, const char *fmt, ...)
{
    if (!ps->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->d->error, sizeof(ps->d->error), fmt, ap);
        va_end(ap);
        ps->d->error_pos = (size_t)(ps->p - ps->start);
        ps->failed = 1;
    }
    return JL_NONE;
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    if (nc > UINT32_MAX - 1)
        return -1;
    void *nb = realloc(*buf, nc * elem);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

static uint32_t new_value(parser_t *ps, jl_kind_t kind)
{
    jl_doc_t *d = ps->d;
    if (grow((void **)&d->values, &d->capvalues, d->nvalues + 1, sizeof(jl_value_t)) < 0)
        return fail(ps, "out of memory");
    jl_value_t *v = &d->values[d->nvalues];
    memset(v, 0, sizeof(*v));
    v->kind = kind;
    return (uint32_t)d->nvalues++;
}

static uint32_t new_member(parser_t *ps)
{
    jl_doc_t *d = ps->d;
    if (grow((void **)&d->members, &d->capmembers, d->nmembers + 1, sizeof(jl_member_t)) < 0)
        return fail(ps, "out of memory");
    jl_member_t *m = &d->members[d->nmembers];
    memset(m, 0, sizeof(*m));
    m->next = JL_NONE;
    return (uint32_t)d->nmembers++;
}

static int pool_put(parser_t *ps, const void *bytes, size_t n)
{
    jl_doc_t *d = ps->d;
    if (grow((void **)&d->pool, &d->cappool, d->npool + n, 1) < 0)
        return -1;
    memcpy(d->pool + d->npool, bytes, n);
    d->npool += n;
    return 0;
}

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

static void put_utf8(unsigned cp, unsigned char *out, size_t *n)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp, *n = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6)), out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        *n = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        *n = 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        *n = 4;
    }
}

/* Parse a string at ps->p (the opening quote) into the pool; sets *off and
 * *len. `key`: a NUL inside is an error (as jansson). */
static int parse_string(parser_t *ps, uint32_t *off, uint32_t *len, int key)
{
    jl_doc_t *d = ps->d;
    ps->p++; /* opening quote */
    size_t start = d->npool;
    for (;;) {
        /* copy a run of plain characters at once */
        const unsigned char *run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 &&
               *ps->p < 0x80)
            ps->p++;
        if (ps->p > run && pool_put(ps, run, (size_t)(ps->p - run)) < 0)
            return fail(ps, "out of memory"), -1;
        if (ps->p >= ps->end)
            return fail(ps, "premature end of input in a string"), -1;
        unsigned c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20)
            return fail(ps, "control character in a string"), -1;
        if (c >= 0x80) {
            size_t n = utf8_len(ps->p, ps->end);
            if (n == 0)
                return fail(ps, "invalid UTF-8 in a string"), -1;
            if (pool_put(ps, ps->p, n) < 0)
                return fail(ps, "out of memory"), -1;
            ps->p += n;
            continue;
        }
        /* escape */
        if (ps->end - ps->p < 2)
            return fail(ps, "premature end of input in a string"), -1;
        unsigned char e = ps->p[1], out[4];
        size_t n = 1;
        ps->p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            out[0] = e;
            break;
        case 'b':
            out[0] = '\b';
            break;
        case 'f':
            out[0] = '\f';
            break;
        case 'n':
            out[0] = '\n';
            break;
        case 'r':
            out[0] = '\r';
            break;
        case 't':
            out[0] = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
                return fail(ps, "invalid \\u escape"), -1;
            ps->p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(ps, "invalid Unicode (lone low surrogate)"), -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                    hex4(ps->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(ps, "invalid Unicode (unpaired surrogate)"), -1;
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0 && key)
                return fail(ps, "NUL byte in object key not supported"), -1;
            put_utf8(cp, out, &n);
            break;
        }
        default:
            return fail(ps, "invalid escape"), -1;
        }
        if (pool_put(ps, out, n) < 0)
            return fail(ps, "out of memory"), -1;
    }
    if (d->npool - start > UINT32_MAX - 1)
        return fail(ps, "string too long"), -1;
    *off = (uint32_t)start;
    *len = (uint32_t)(d->npool - start);
    if (pool_put(ps, "", 1) < 0) /* NUL-terminate for C string users */
        return fail(ps, "out of memory"), -1;
    return 0;
}

static uint32_t parse_value(parser_t *ps);

static uint32_t parse_number(parser_t *ps)
{
    const unsigned char *s = ps->p;
    int real = 0;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "invalid token");
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        real = 1;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "invalid number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        real = 1;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "invalid number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    char buf[64];
    size_t n = (size_t)(ps->p - s);
    uint32_t v;
    if (!real) {
        if (n >= sizeof(buf))
            return fail(ps, "too big integer");
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        long long x = strtoll(buf, NULL, 10);
        if (errno == ERANGE)
            return fail(ps, "too big integer");
        if ((v = new_value(ps, JL_INT)) != JL_NONE)
            ps->d->values[v].i = x;
        return v;
    }
    /* A real: only its kind matters here, but overflow is an error. */
    char *tmp = n < sizeof(buf) ? buf : malloc(n + 1);
    if (!tmp)
        return fail(ps, "out of memory");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double x = strtod(tmp, NULL);
    if (tmp != buf)
        free(tmp);
    if ((errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL)) || isinf(x))
        return fail(ps, "real number overflow");
    return new_value(ps, JL_REAL);
}

typedef struct member_ref {
    uint32_t idx; /* member index */
    uint32_t pos; /* position in the object */
} member_ref_t;

static int compare_keys(const void *a, const void *b, void *ctx)
{
    const jl_doc_t *d = ctx;
    const member_ref_t *x = a, *y = b;
    const jl_member_t *mx = &d->members[x->idx], *my = &d->members[y->idx];
    size_t n = mx->key_len < my->key_len ? mx->key_len : my->key_len;
    int c = memcmp(d->pool + mx->key, d->pool + my->key, n);
    if (c == 0 && mx->key_len != my->key_len)
        c = mx->key_len < my->key_len ? -1 : 1;
    if (c == 0)
        c = x->pos < y->pos ? -1 : 1;
    return c;
}

/* dedupe_object for large objects: sort by key, O(n log n). */
static void dedupe_large(jl_doc_t *d, jl_value_t *obj, member_ref_t *refs)
{
    uint32_t n = 0;
    for (uint32_t i = obj->first; i != JL_NONE; i = d->members[i].next, n++)
        refs[n] = (member_ref_t){i, n};
    qsort_r(refs, n, sizeof(*refs), compare_keys, d);
    uint8_t *gone = calloc(n, 1);
    if (!gone)
        return; /* out of memory: duplicates stay (first match wins on lookup) */
    for (uint32_t g = 0; g < n;) {
        uint32_t e = g + 1;
        while (e < n && d->members[refs[e].idx].key_len == d->members[refs[g].idx].key_len &&
               memcmp(d->pool + d->members[refs[e].idx].key, d->pool + d->members[refs[g].idx].key,
                      d->members[refs[g].idx].key_len) == 0)
            e++;
        if (e - g > 1) {
            d->members[refs[g].idx].value = d->members[refs[e - 1].idx].value;
            for (uint32_t k = g + 1; k < e; k++)
                gone[refs[k].pos] = 1;
        }
        g = e;
    }
    uint32_t prev = JL_NONE, pos = 0, kept = 0;
    for (uint32_t i = obj->first; i != JL_NONE; pos++) {
        uint32_t next = d->members[i].next;
        if (gone[pos]) {
            d->members[prev].next = next;
        } else {
            prev = i;
            kept++;
        }
        i = next;
    }
    obj->count = kept;
    free(gone);
}

/* jansson keeps one member per key: a repeated key replaces the value of
 * the first occurrence, in its place. Applied when an object is complete. */
static void dedupe_object(jl_doc_t *d, jl_value_t *obj)
{
    if (obj->count < 2)
        return;
    if (obj->count > 32) {
        member_ref_t *refs = malloc(obj->count * sizeof(*refs));
        if (refs) {
            dedupe_large(d, obj, refs);
            free(refs);
            return;
        }
    }
    uint32_t prev = JL_NONE;
    for (uint32_t i = obj->first; i != JL_NONE;) {
        jl_member_t *m = &d->members[i];
        uint32_t next = m->next, j;
        for (j = obj->first; j != i; j = d->members[j].next) {
            const jl_member_t *o = &d->members[j];
            if (o->key_len == m->key_len &&
                memcmp(d->pool + o->key, d->pool + m->key, m->key_len) == 0)
                break;
        }
        if (j != i) {
            d->members[j].value = m->value;
            d->members[prev].next = next;
            obj->count--;
        } else {
            prev = i;
        }
        i = next;
    }
}

static uint32_t parse_container(parser_t *ps, int object)
{
    uint32_t v = new_value(ps, object ? JL_OBJECT : JL_ARRAY);
    if (v == JL_NONE)
        return v;
    if (++ps->depth > MAX_DEPTH)
        return fail(ps, "maximum parsing depth reached");
    ps->p++; /* { or [ */
    skip_ws(ps);
    uint32_t last = JL_NONE, count = 0, first = JL_NONE;
    unsigned char close = object ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
    } else {
        for (;;) {
            uint32_t m = new_member(ps);
            if (m == JL_NONE)
                return m;
            if (object) {
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"')
                    return fail(ps, "string or '}' expected");
                uint32_t koff, klen;
                if (parse_string(ps, &koff, &klen, 1) < 0)
                    return JL_NONE;
                ps->d->members[m].key = koff;
                ps->d->members[m].key_len = klen;
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                    return fail(ps, "':' expected");
                ps->p++;
            }
            uint32_t item = parse_value(ps);
            if (item == JL_NONE)
                return JL_NONE;
            ps->d->members[m].value = item;
            if (last == JL_NONE)
                first = m;
            else
                ps->d->members[last].next = m;
            last = m;
            count++;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                break;
            }
            return fail(ps, object ? "'}' expected" : "']' expected");
        }
    }
    ps->depth--;
    jl_value_t *val = &ps->d->values[v];
    val->first = first;
    val->count = count;
    if (object)
        dedupe_object(ps->d, val);
    return v;
}

static int literal(parser_t *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return 0;
    ps->p += n;
    return 1;
}

static uint32_t parse_value(parser_t *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "premature end of input");
    switch (*ps->p) {
    case '{':
        return parse_container(ps, 1);
    case '[':
        return parse_container(ps, 0);
    case '"': {
        uint32_t off, len;
        if (parse_string(ps, &off, &len, 0) < 0)
            return JL_NONE;
        uint32_t v = new_value(ps, JL_STRING);
        if (v != JL_NONE) {
            ps->d->values[v].str = off;
            ps->d->values[v].len = len;
        }
        return v;
    }
    case 't':
        return literal(ps, "true") ? new_value(ps, JL_TRUE) : fail(ps, "invalid token");
    case 'f':
        return literal(ps, "false") ? new_value(ps, JL_FALSE) : fail(ps, "invalid token");
    case 'n':
        return literal(ps, "null") ? new_value(ps, JL_NULL) : fail(ps, "invalid token");
    default:
        return parse_number(ps);
    }
}

uint32_t vmdns_jl_parse(jl_doc_t *doc, const char *text, size_t len)
{
    doc->nvalues = doc->nmembers = doc->npool = 0;
    doc->error[0] = '\0';
    doc->error_pos = 0;
    parser_t ps = {.d = doc,
                   .p = (const unsigned char *)text,
                   .end = (const unsigned char *)text + len,
                   .start = (const unsigned char *)text};
    skip_ws(&ps);
    if (ps.p < ps.end && *ps.p != '{' && *ps.p != '[')
        return fail(&ps, "'[' or '{' expected");
    uint32_t root = parse_value(&ps);
    if (root == JL_NONE)
        return JL_NONE;
    skip_ws(&ps);
    if (ps.p != ps.end)
        return fail(&ps, "end of file expected");
    return root;
}

void vmdns_jl_doc_free(jl_doc_t *doc)
{
    free(doc->values);
    free(doc->members);
    free(doc->pool);
    memset(doc, 0, sizeof(*doc));
}
