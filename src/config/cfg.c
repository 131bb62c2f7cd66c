/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.c - the configuration tree and its YAML reader.
 *
 * libyaml's document loader gives us a graph of nodes with their positions;
 * we copy it into our own small tree (maps, sequences, scalars, each with
 * file and line) and throw libyaml's away, so consumers never see libyaml
 * and the Corefile reader can produce the very same tree.
 *
 * The tree records which map entries were read (cfg_get). After the core
 * and every plugin have read their part, cfg_check_unused() reports the
 * first entry in file order that nobody read: that is how a misspelt key
 * becomes an error instead of a silently ignored line.
 *
 * YAML aliases are expanded by copying; a depth and node budget keeps a
 * hostile file ("billion laughs", recursive aliases) from exhausting memory.
 */
#include "config/cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 100000

/* State of one conversion from a libyaml document. */
typedef struct cfg_builder {
    yaml_document_t *doc;
    const char *file;
    size_t nodes; /* nodes made so far (the budget) */
    cfg_error_t *err;
} cfg_builder_t;

void cfg_error_one_line(cfg_error_t *err)
{
    char out[sizeof(err->msg)];
    size_t o = 0;
    for (const char *p = err->msg; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[5] = {(char)c, '\0'};
        if (c == '\n' || c == '\r') {
            snprintf(esc, sizeof(esc), "\\%c", c == '\n' ? 'n' : 'r');
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
        }
        size_t n = strlen(esc);
        if (o + n >= sizeof(out)) {
            break;
        }
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
    memcpy(err->msg, out, o + 1);
}

int cfg_vfail_at(cfg_error_t *err, const char *file, int line, const char *fmt, va_list ap)
{
    if (err == NULL) {
        return -1;
    }
    size_t off = 0;
    if (file != NULL) {
        int n = snprintf(err->msg, sizeof(err->msg), "%s:%d: ", file, line);
        off = n < 0 ? 0 : (size_t)n < sizeof(err->msg) ? (size_t)n : sizeof(err->msg) - 1;
    }
    vsnprintf(err->msg + off, sizeof(err->msg) - off, fmt, ap);
    cfg_error_one_line(err); /* quoted text may hold newlines */
    return -1;
}

int cfg_fail(cfg_error_t *err, const cfg_node_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, at != NULL ? at->file : NULL, at != NULL ? at->line : 0, fmt, ap);
    va_end(ap);
    return -1;
}

void cfg_pos_of(const cfg_node_t *n, cfg_pos_t *pos)
{
    pos->file[0] = '\0';
    pos->line = 0;
    pos->key[0] = '\0';
    if (n != NULL && n->file != NULL) {
        snprintf(pos->file, sizeof(pos->file), "%s", n->file);
        pos->line = n->line;
    }
    if (n != NULL && n->key != NULL) {
        snprintf(pos->key, sizeof(pos->key), "%s", n->key);
    }
}

int cfg_fail_pos(cfg_error_t *err, const cfg_pos_t *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, pos != NULL && pos->file[0] ? pos->file : NULL, pos != NULL ? pos->line : 0,
                 fmt, ap);
    va_end(ap);
    return -1;
}

/* Error at a position that has no node (yet): "FILE:LINE: ...". */
static void cfg_fail_at(cfg_error_t *err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cfg_fail_at(cfg_error_t *err, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, file, line, fmt, ap);
    va_end(ap);
}

static void cfg_free_node(cfg_node_t *n)
{
    if (n == NULL) {
        return;
    }
    free(n->value);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys != NULL) {
            free(n->keys[i]);
        }
        cfg_free_node(n->items[i]);
    }
    free(n->keys);
    free(n->key_lines);
    free(n->items);
    free(n);
}

void cfg_free(cfg_node_t *root)
{
    if (root == NULL) {
        return;
    }
    char *file = (char *)root->file; /* the root owns the shared file names */
    char **files = root->files;
    size_t nfiles = root->nfiles;
    cfg_free_node(root);
    free(file);
    for (size_t i = 0; i < nfiles; i++) {
        free(files[i]);
    }
    free(files);
}

cfg_node_t *cfg_new_root(const char *file)
{
    char *copy = strdup(file);
    cfg_node_t *root = copy != NULL ? cfg_new_node(CFG_MAP, copy, 1, NULL) : NULL;
    if (root == NULL) {
        free(copy);
    }
    return root;
}

const char *cfg_own_file(cfg_node_t *root, const char *file)
{
    if (strcmp(root->file, file) == 0) {
        return root->file;
    }
    for (size_t i = 0; i < root->nfiles; i++) {
        if (strcmp(root->files[i], file) == 0) {
            return root->files[i];
        }
    }
    char **grown = realloc(root->files, (root->nfiles + 1) * sizeof(*grown));
    if (grown == NULL) {
        return NULL;
    }
    root->files = grown;
    if ((grown[root->nfiles] = strdup(file)) == NULL) {
        return NULL;
    }
    return grown[root->nfiles++];
}

cfg_node_t *cfg_new_node(cfg_kind_t kind, const char *file, int line, const char *value)
{
    cfg_node_t *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        return NULL;
    }
    n->kind = kind;
    n->file = file;
    n->line = line;
    if (kind == CFG_SCALAR && (n->value = strdup(value != NULL ? value : "")) == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

/* Make room for one more item (and key, for a map). */
static int cfg_grow(cfg_node_t *parent)
{
    size_t cap = parent->n + 1;
    cfg_node_t **items = realloc(parent->items, cap * sizeof(*items));
    if (items == NULL) {
        return -1;
    }
    parent->items = items;
    if (parent->kind == CFG_MAP) {
        char **keys = realloc(parent->keys, cap * sizeof(*keys));
        if (keys == NULL) {
            return -1;
        }
        parent->keys = keys;
        int *lines = realloc(parent->key_lines, cap * sizeof(*lines));
        if (lines == NULL) {
            return -1;
        }
        parent->key_lines = lines;
    }
    return 0;
}

static void cfg_set_key(cfg_node_t *n, const char *key);

int cfg_map_add(cfg_node_t *map, const char *key, int key_line, cfg_node_t *value)
{
    char *copy = strdup(key);
    if (value == NULL || copy == NULL || map->kind != CFG_MAP || cfg_grow(map) != 0) {
        free(copy);
        cfg_free_node(value);
        return -1;
    }
    map->keys[map->n] = copy;
    map->key_lines[map->n] = key_line;
    map->items[map->n++] = value;
    cfg_set_key(value, copy);
    return 0;
}

int cfg_seq_add(cfg_node_t *seq, cfg_node_t *item)
{
    if (item == NULL || seq->kind != CFG_SEQ || cfg_grow(seq) != 0) {
        cfg_free_node(item);
        return -1;
    }
    seq->items[seq->n++] = item;
    if (seq->key != NULL) {
        cfg_set_key(item, seq->key);
    }
    return 0;
}

cfg_node_t *cfg_peek(const cfg_node_t *map, const char *key)
{
    if (map == NULL || map->kind != CFG_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            return map->items[i];
        }
    }
    return NULL;
}

static cfg_node_t *cfg_node_alloc(cfg_builder_t *b, cfg_kind_t kind, const yaml_node_t *y)
{
    if (++b->nodes > CFG_MAX_NODES) {
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1,
                    "too many nodes (more than %d, after expanding aliases)", CFG_MAX_NODES);
        return NULL;
    }
    cfg_node_t *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->file = b->file;
    n->line = (int)y->start_mark.line + 1;
    return n;
}

/* Copy a libyaml scalar's text, refusing embedded NUL bytes. */
static char *cfg_scalar_text(cfg_builder_t *b, const yaml_node_t *y)
{
    const char *v = (const char *)y->data.scalar.value;
    size_t len = y->data.scalar.length;
    if (memchr(v, '\0', len) != NULL) {
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1, "NUL byte in a value");
        return NULL;
    }
    char *s = malloc(len + 1);
    if (s == NULL) {
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1, "out of memory");
        return NULL;
    }
    memcpy(s, v, len);
    s[len] = '\0';
    return s;
}

static cfg_node_t *cfg_convert(cfg_builder_t *b, int index, int depth);

/* Name a node by its key; list items below it (converted before their
 * parent's key was known) take the same name. */
static void cfg_set_key(cfg_node_t *n, const char *key)
{
    n->key = key;
    if (n->kind == CFG_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            cfg_set_key(n->items[i], key);
        }
    }
}

static cfg_node_t *cfg_convert_seq(cfg_builder_t *b, const yaml_node_t *y, int depth)
{
    cfg_node_t *n = cfg_node_alloc(b, CFG_SEQ, y);
    if (n == NULL) {
        return NULL;
    }
    size_t count = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
    if (count > 0) {
        n->items = calloc(count, sizeof(*n->items));
        if (n->items == NULL) {
            cfg_fail_at(b->err, b->file, n->line, "out of memory");
            cfg_free_node(n);
            return NULL;
        }
    }
    for (size_t i = 0; i < count; i++) {
        cfg_node_t *item = cfg_convert(b, y->data.sequence.items.start[i], depth + 1);
        if (item == NULL) {
            cfg_free_node(n);
            return NULL;
        }
        n->items[n->n++] = item;
    }
    return n;
}

static cfg_node_t *cfg_convert_map(cfg_builder_t *b, const yaml_node_t *y, int depth)
{
    cfg_node_t *n = cfg_node_alloc(b, CFG_MAP, y);
    if (n == NULL) {
        return NULL;
    }
    size_t count = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    if (count > 0) {
        n->items = calloc(count, sizeof(*n->items));
        n->keys = calloc(count, sizeof(*n->keys));
        n->key_lines = calloc(count, sizeof(*n->key_lines));
        if (n->items == NULL || n->keys == NULL || n->key_lines == NULL) {
            cfg_fail_at(b->err, b->file, n->line, "out of memory");
            cfg_free_node(n);
            return NULL;
        }
    }
    for (size_t i = 0; i < count; i++) {
        const yaml_node_pair_t *pair = &y->data.mapping.pairs.start[i];
        const yaml_node_t *ky = yaml_document_get_node(b->doc, pair->key);
        if (ky == NULL || ky->type != YAML_SCALAR_NODE) {
            cfg_fail_at(b->err, b->file, ky ? (int)ky->start_mark.line + 1 : n->line,
                        "a map key must be a plain string");
            cfg_free_node(n);
            return NULL;
        }
        int key_line = (int)ky->start_mark.line + 1;
        char *key = cfg_scalar_text(b, ky);
        if (key == NULL) {
            cfg_free_node(n);
            return NULL;
        }
        for (size_t j = 0; j < n->n; j++) {
            if (strcmp(n->keys[j], key) == 0) {
                cfg_fail_at(b->err, b->file, key_line, "duplicate key '%s' (first on line %d)", key,
                            n->key_lines[j]);
                free(key);
                cfg_free_node(n);
                return NULL;
            }
        }
        cfg_node_t *value = cfg_convert(b, pair->value, depth + 1);
        if (value == NULL) {
            free(key);
            cfg_free_node(n);
            return NULL;
        }
        n->keys[n->n] = key;
        n->key_lines[n->n] = key_line;
        n->items[n->n++] = value;
        cfg_set_key(value, key);
    }
    return n;
}

/* Convert libyaml node `index` (1-based) and everything below it. */
static cfg_node_t *cfg_convert(cfg_builder_t *b, int index, int depth)
{
    const yaml_node_t *y = yaml_document_get_node(b->doc, index);
    if (y == NULL) {
        cfg_fail_at(b->err, b->file, 1, "broken YAML document");
        return NULL;
    }
    if (depth > CFG_MAX_DEPTH) {
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1, "nested too deeply (over %d)",
                    CFG_MAX_DEPTH);
        return NULL;
    }
    switch (y->type) {
    case YAML_SCALAR_NODE: {
        cfg_node_t *n = cfg_node_alloc(b, CFG_SCALAR, y);
        if (n == NULL) {
            return NULL;
        }
        n->value = cfg_scalar_text(b, y);
        if (n->value == NULL) {
            cfg_free_node(n);
            return NULL;
        }
        return n;
    }
    case YAML_SEQUENCE_NODE:
        return cfg_convert_seq(b, y, depth);
    case YAML_MAPPING_NODE:
        return cfg_convert_map(b, y, depth);
    case YAML_NO_NODE:
    default:
        cfg_fail_at(b->err, b->file, (int)y->start_mark.line + 1, "unexpected YAML node");
        return NULL;
    }
}

/* Format libyaml's parser error as "FILE:LINE: YAML: problem (context)". */
static void cfg_yaml_error(const yaml_parser_t *p, const char *file, cfg_error_t *err)
{
    int line = (int)p->problem_mark.line + 1;
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR) {
        problem = "out of memory";
    }
    if (p->context != NULL) {
        cfg_fail_at(err, file, line, "YAML: %s %s", problem, p->context);
    } else {
        cfg_fail_at(err, file, line, "YAML: %s", problem);
    }
}

cfg_node_t *cfg_parse_yaml(const char *text, size_t len, const char *name, cfg_error_t *err)
{
    char *file = strdup(name);
    if (file == NULL) {
        cfg_fail_at(err, name, 1, "out of memory");
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cfg_fail_at(err, file, 1, "out of memory");
        free(file);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    yaml_document_t doc;
    cfg_node_t *root = NULL;
    if (!yaml_parser_load(&parser, &doc)) {
        cfg_yaml_error(&parser, file, err);
        goto out;
    }
    if (yaml_document_get_root_node(&doc) == NULL) {
        /* An empty file: a config with every default. */
        yaml_node_t fake = {.type = YAML_MAPPING_NODE};
        cfg_builder_t b = {.doc = &doc, .file = file, .err = err};
        root = cfg_node_alloc(&b, CFG_MAP, &fake);
    } else {
        cfg_builder_t b = {.doc = &doc, .file = file, .err = err};
        root = cfg_convert(&b, 1, 0);
    }
    yaml_document_delete(&doc);
    if (root == NULL) {
        goto out;
    }
    if (root->kind != CFG_MAP) {
        cfg_fail(err, root, "the config must be a map of keys (like 'listen:')");
        goto fail;
    }
    /* A second document would be ignored silently; refuse it. */
    yaml_document_t more;
    if (!yaml_parser_load(&parser, &more)) {
        cfg_yaml_error(&parser, file, err);
        goto fail;
    }
    bool extra = yaml_document_get_root_node(&more) != NULL;
    int extra_line = extra ? (int)yaml_document_get_root_node(&more)->start_mark.line + 1 : 0;
    yaml_document_delete(&more);
    if (extra) {
        cfg_fail_at(err, file, extra_line, "only one YAML document is allowed");
        goto fail;
    }
    yaml_parser_delete(&parser);
    return root; /* root->file is `file`: the root owns it */

fail:
    cfg_free_node(root);
    root = NULL;
out:
    yaml_parser_delete(&parser);
    free(file);
    return NULL;
}

char *cfg_read_file(const char *path, size_t *len, cfg_error_t *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s:0: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t have = 0, cap = 0;
    for (;;) {
        if (cap - have < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *grown = cap <= CFG_MAX_FILE_BYTES + 8192 ? realloc(text, cap) : NULL;
            if (grown == NULL) {
                free(text);
                fclose(fp);
                snprintf(err->msg, sizeof(err->msg), "%s:0: too big or out of memory", path);
                return NULL;
            }
            text = grown;
        }
        size_t got = fread(text + have, 1, cap - have - 1, fp);
        have += got;
        if (got == 0) {
            break;
        }
    }
    bool bad = ferror(fp) != 0;
    int saved = errno;
    fclose(fp);
    if (bad) {
        free(text);
        snprintf(err->msg, sizeof(err->msg), "%s:0: cannot read: %s", path, strerror(saved));
        return NULL;
    }
    text[have] = '\0';
    *len = have;
    return text;
}

cfg_node_t *cfg_load_yaml(const char *path, cfg_error_t *err)
{
    size_t len;
    char *text = cfg_read_file(path, &len, err);
    if (text == NULL) {
        return NULL;
    }
    cfg_node_t *root = cfg_parse_yaml(text, len, path, err);
    free(text);
    return root;
}

cfg_node_t *cfg_get(cfg_node_t *map, const char *key)
{
    if (map == NULL || map->kind != CFG_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            map->items[i]->used = true;
            return map->items[i];
        }
    }
    return NULL;
}

static const char *cfg_kind_name(cfg_kind_t k)
{
    return k == CFG_MAP ? "a map" : k == CFG_SEQ ? "a list" : "a value";
}

/* A typed reader's error: "FILE:LINE: key: problem". */
static int cfg_fail_value(cfg_error_t *err, const cfg_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfg_fail_value(cfg_error_t *err, const cfg_node_t *n, const char *fmt, ...)
{
    char problem[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    if (n != NULL && n->key != NULL) {
        return cfg_fail(err, n, "%s: %s", n->key, problem);
    }
    return cfg_fail(err, n, "%s", problem);
}

int cfg_string(const cfg_node_t *n, const char **out, cfg_error_t *err)
{
    if (n == NULL || n->kind != CFG_SCALAR) {
        return cfg_fail_value(err, n, "expected a string, got %s",
                              n ? cfg_kind_name(n->kind) : "nothing");
    }
    if (n->value[0] == '\0') {
        return cfg_fail_value(err, n, "expected a string, got an empty value");
    }
    *out = n->value;
    return 0;
}

/* Parse decimal digits only (no sign, no spaces, no hex) into *out. */
static bool cfg_parse_decimal(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9') {
        return false;
    }
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    if (*s != '\0') {
        return false;
    }
    *out = v;
    return true;
}

int cfg_uint(const cfg_node_t *n, uint64_t min, uint64_t max, uint64_t *out, cfg_error_t *err)
{
    uint64_t v;
    if (n == NULL || n->kind != CFG_SCALAR || !cfg_parse_decimal(n->value, &v) || v < min ||
        v > max) {
        return cfg_fail_value(
            err, n, "expected a whole number from %llu to %llu, got %s%s%s",
            (unsigned long long)min, (unsigned long long)max, n && n->kind == CFG_SCALAR ? "'" : "",
            n && n->kind == CFG_SCALAR ? n->value : (n ? cfg_kind_name(n->kind) : "nothing"),
            n && n->kind == CFG_SCALAR ? "'" : "");
    }
    *out = v;
    return 0;
}

int cfg_bool(const cfg_node_t *n, bool *out, cfg_error_t *err)
{
    static const char *const yes[] = {"true", "yes",  "on",  "True", "Yes",
                                      "On",   "TRUE", "YES", "ON"};
    static const char *const no[] = {"false", "no",    "off", "False", "No",
                                     "Off",   "FALSE", "NO",  "OFF"};
    if (n != NULL && n->kind == CFG_SCALAR) {
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(n->value, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcmp(n->value, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return cfg_fail_value(
        err, n, "expected true or false, got %s%s%s", n && n->kind == CFG_SCALAR ? "'" : "",
        n && n->kind == CFG_SCALAR ? n->value : (n ? cfg_kind_name(n->kind) : "nothing"),
        n && n->kind == CFG_SCALAR ? "'" : "");
}

/* Milliseconds in one unit of a duration suffix, or 0 if unknown. */
static uint64_t cfg_unit_ms(const char *unit, size_t len)
{
    if (len == 2 && memcmp(unit, "ms", 2) == 0) {
        return 1;
    }
    if (len == 1) {
        switch (unit[0]) {
        case 's':
            return 1000;
        case 'm':
            return 60 * 1000;
        case 'h':
            return 3600 * 1000;
        case 'd':
            return 86400 * 1000;
        default:
            return 0;
        }
    }
    return 0;
}

int cfg_duration_ms(const cfg_node_t *n, uint64_t *out_ms, cfg_error_t *err)
{
    if (n == NULL || n->kind != CFG_SCALAR) {
        return cfg_fail_value(err, n, "expected a duration like 10s, 500ms, 1m or 2h, got %s",
                              n ? cfg_kind_name(n->kind) : "nothing");
    }
    const char *s = n->value;
    uint64_t bare;
    if (cfg_parse_decimal(s, &bare)) { /* a bare number: seconds */
        if (bare > UINT64_MAX / 1000) {
            goto bad;
        }
        *out_ms = bare * 1000;
        return 0;
    }
    /* One or more <number><unit> parts: "1m30s", "1h", "250ms". */
    uint64_t total = 0;
    if (*s == '\0') {
        goto bad;
    }
    while (*s != '\0') {
        if (*s < '0' || *s > '9') {
            goto bad;
        }
        uint64_t v = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            unsigned d = (unsigned)(*s - '0');
            if (v > (UINT64_MAX - d) / 10) {
                goto bad;
            }
            v = v * 10 + d;
        }
        const char *unit = s;
        while (*s >= 'a' && *s <= 'z') {
            s++;
        }
        uint64_t ms = cfg_unit_ms(unit, (size_t)(s - unit));
        if (ms == 0 || v > (UINT64_MAX - total) / ms) {
            goto bad;
        }
        total += v * ms;
    }
    *out_ms = total;
    return 0;
bad:
    return cfg_fail_value(err, n, "bad duration '%s' (use e.g. 10s, 500ms, 1m, 2h)", n->value);
}

/* Depth-first in file order: the first map entry nobody read. */
static const cfg_node_t *cfg_find_unused(const cfg_node_t *n, const char **key, int *line)
{
    if (n->kind == CFG_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            if (!n->items[i]->used) {
                *key = n->keys[i];
                *line = n->key_lines != NULL ? n->key_lines[i] : n->items[i]->line;
                return n;
            }
            const cfg_node_t *hit = cfg_find_unused(n->items[i], key, line);
            if (hit != NULL) {
                return hit;
            }
        }
    } else if (n->kind == CFG_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            const cfg_node_t *hit = cfg_find_unused(n->items[i], key, line);
            if (hit != NULL) {
                return hit;
            }
        }
    }
    return NULL;
}

int cfg_check_unused(const cfg_node_t *root, cfg_error_t *err)
{
    if (root == NULL) {
        return 0;
    }
    const char *key = NULL;
    int line = 0;
    const cfg_node_t *map = cfg_find_unused(root, &key, &line);
    if (map == NULL) {
        return 0;
    }
    cfg_fail_at(err, map->file, line, "unknown key '%s'", key);
    return -1;
}
