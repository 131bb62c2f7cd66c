/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_lex.c - Corefile text to tokens: quoting, comments, {$ENV},
 * snippets and imports.
 *
 * Why a separate pass: everything here is about text (which characters
 * make a token, which file a token came from, what an import stands for),
 * and none of it needs to know what a directive means. The parser
 * (corefile.c) then works on one flat, fully expanded list in which every
 * token still carries its own file and line, so an error in an imported
 * file or a snippet points at that file and line.
 *
 * Lines matter in this syntax (a directive ends at the end of its line),
 * so each token records whether it is the first of its line. Tokens
 * spliced in by an import start a line, exactly where the import line was.
 *
 * Bounds: a file may not exceed 16 MiB, imports nest at most 10 deep
 * (which also ends an import cycle with a clear message), and at most
 * 1,000,000 tokens are made in total.
 */
#include "config/corefile_lex.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define CF_MAX_IMPORT_DEPTH 10
#define CF_MAX_TOKENS       1000000

/* A `(name) { ... }` definition. */
typedef struct cf_snippet {
    char *name;
    cf_tokens_t body;
} cf_snippet_t;

/* State of one cf_lex() call. */
typedef struct cf_lexer {
    cfg_node_t *root; /* owns the file names */
    cfg_error_t *err;
    cf_snippet_t *snips;
    size_t nsnips;
    size_t made; /* tokens made so far (the budget) */
} cf_lexer_t;

static int cf_lex_fail(cfg_error_t *err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cf_lex_fail(cfg_error_t *err, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_at(err, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

bool cf_is_open(const cf_token_t *t)
{
    return !t->quoted && strcmp(t->text, "{") == 0;
}

bool cf_is_close(const cf_token_t *t)
{
    return !t->quoted && strcmp(t->text, "}") == 0;
}

void cf_tokens_free(cf_tokens_t *toks)
{
    for (size_t i = 0; i < toks->n; i++) {
        free(toks->t[i].text);
    }
    free(toks->t);
    memset(toks, 0, sizeof(*toks));
}

/* Append a token; takes `text` (freed on failure). */
static int cf_push(cf_lexer_t *lx, cf_tokens_t *out, char *text, const char *file, int line,
                   bool bol, bool quoted)
{
    if (text == NULL) {
        return cf_lex_fail(lx->err, file, line, "out of memory");
    }
    if (++lx->made > CF_MAX_TOKENS) {
        free(text);
        return cf_lex_fail(lx->err, file, line, "more than %d tokens (after imports)",
                           CF_MAX_TOKENS);
    }
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        cf_token_t *grown = realloc(out->t, cap * sizeof(*grown));
        if (grown == NULL) {
            free(text);
            return cf_lex_fail(lx->err, file, line, "out of memory");
        }
        out->t = grown;
        out->cap = cap;
    }
    out->t[out->n++] = (cf_token_t){text, file, line, bol, quoted};
    return 0;
}

/* A growable string. */
typedef struct cf_buf {
    char *s;
    size_t len, cap;
} cf_buf_t;

static int cf_buf_add(cf_buf_t *b, const char *s, size_t n)
{
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap - b->len < n + 1) {
            cap *= 2;
        }
        char *grown = realloc(b->s, cap);
        if (grown == NULL) {
            return -1;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

/* The length of an environment variable reference at s ("{$NAME}",
 * "{$NAME:default}", "{%NAME%}"), or 0 if there is none; name and
 * default are returned as spans of s. */
static size_t cf_env_ref(const char *s, const char **name, size_t *name_len, const char **def,
                         size_t *def_len)
{
    if (s[0] != '{' || (s[1] != '$' && s[1] != '%')) {
        return 0;
    }
    bool windows = s[1] == '%';
    const char *p = s + 2;
    *name = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           *p == '_') {
        p++;
    }
    *name_len = (size_t)(p - *name);
    *def = NULL;
    *def_len = 0;
    if (*name_len == 0) {
        return 0;
    }
    if (windows) {
        return p[0] == '%' && p[1] == '}' ? (size_t)(p + 2 - s) : 0;
    }
    if (*p == ':') {
        *def = ++p;
        while (*p != '\0' && *p != '}') {
            p++;
        }
        *def_len = (size_t)(p - *def);
    }
    return *p == '}' ? (size_t)(p + 1 - s) : 0;
}

/* A copy of `text` with environment references replaced. NULL: no memory. */
static char *cf_env_subst(const char *text)
{
    cf_buf_t b = {0};
    const char *p = text;
    if (cf_buf_add(&b, "", 0) != 0) {
        return NULL;
    }
    while (*p != '\0') {
        const char *name, *def;
        size_t name_len, def_len;
        size_t ref = cf_env_ref(p, &name, &name_len, &def, &def_len);
        if (ref == 0) {
            if (cf_buf_add(&b, p, 1) != 0) {
                goto oom;
            }
            p++;
            continue;
        }
        char var[256];
        const char *value = NULL;
        if (name_len < sizeof(var)) {
            memcpy(var, name, name_len);
            var[name_len] = '\0';
            value = getenv(var);
        }
        if ((value == NULL || value[0] == '\0') && def != NULL) {
            if (cf_buf_add(&b, def, def_len) != 0) {
                goto oom;
            }
        } else if (value != NULL && cf_buf_add(&b, value, strlen(value)) != 0) {
            goto oom;
        }
        p += ref;
    }
    return b.s;
oom:
    free(b.s);
    return NULL;
}

/* Split text into raw tokens (environment substituted, nothing expanded). */
static int cf_tokenize(cf_lexer_t *lx, const char *text, size_t len, const char *file,
                       cf_tokens_t *out)
{
    int line = 1;
    bool bol = true;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '\0') {
            return cf_lex_fail(lx->err, file, line, "NUL byte in the file");
        }
        if (c == '\n') {
            line++;
            bol = true;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '#') { /* a comment, to the end of the line */
            while (i < len && text[i] != '\n') {
                i++;
            }
            continue;
        }
        cf_buf_t b = {0};
        int start = line;
        bool quoted = c == '"';
        if (cf_buf_add(&b, "", 0) != 0) {
            return cf_lex_fail(lx->err, file, line, "out of memory");
        }
        if (quoted) {
            i++;
            while (i < len && text[i] != '"') {
                size_t n = 1;
                if (text[i] == '\\' && i + 1 < len && text[i + 1] == '"') {
                    i++; /* \" is a quote; any other backslash stays */
                } else if (text[i] == '\n') {
                    line++;
                } else if (text[i] == '\0') {
                    free(b.s);
                    return cf_lex_fail(lx->err, file, line, "NUL byte in the file");
                }
                if (cf_buf_add(&b, text + i, n) != 0) {
                    free(b.s);
                    return cf_lex_fail(lx->err, file, line, "out of memory");
                }
                i += n;
            }
            if (i >= len) {
                free(b.s);
                return cf_lex_fail(lx->err, file, start, "unterminated quoted string");
            }
            i++; /* the closing quote */
        } else {
            size_t from = i;
            while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
                   text[i] != '\n' && text[i] != '\f' && text[i] != '\v' && text[i] != '#' &&
                   text[i] != '\0') {
                i++;
            }
            if (cf_buf_add(&b, text + from, i - from) != 0) {
                free(b.s);
                return cf_lex_fail(lx->err, file, line, "out of memory");
            }
        }
        char *subst = cf_env_subst(b.s);
        free(b.s);
        if (cf_push(lx, out, subst, file, start, bol, quoted) != 0) {
            return -1;
        }
        bol = false;
    }
    return 0;
}

static int cf_expand(cf_lexer_t *lx, cf_tokens_t *in, cf_tokens_t *out, int depth);

/* Tokenize and expand one file (an import), appending to out. */
static int cf_import_file(cf_lexer_t *lx, const char *path, const cf_token_t *at, cf_tokens_t *out,
                          int depth)
{
    size_t len;
    cfg_error_t ferr;
    char *text = cfg_read_file(path, &len, &ferr);
    if (text == NULL) {
        return cf_lex_fail(lx->err, at->file, at->line, "import: %s", ferr.msg);
    }
    const char *file = cfg_own_file(lx->root, path);
    cf_tokens_t raw = {0};
    int rc = file != NULL ? cf_tokenize(lx, text, len, file, &raw)
                          : cf_lex_fail(lx->err, at->file, at->line, "out of memory");
    free(text);
    size_t first = out->n;
    if (rc == 0) {
        rc = cf_expand(lx, &raw, out, depth + 1);
    }
    if (rc == 0 && out->n > first) {
        out->t[first].bol = true;
    }
    cf_tokens_free(&raw);
    return rc;
}

/* `import PATTERN`: every file the glob names, relative to the importing
 * file's directory, in sorted order. A pattern with no wildcard must name
 * an existing file; a wildcard that matches nothing is only a warning. */
static int cf_import_glob(cf_lexer_t *lx, const cf_token_t *at, const char *pattern,
                          cf_tokens_t *out, int depth)
{
    char full[4096];
    int n;
    if (pattern[0] == '/' || strchr(at->file, '/') == NULL) {
        n = snprintf(full, sizeof(full), "%s", pattern);
    } else {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at->file);
        n = snprintf(full, sizeof(full), "%s/%s", dirname(dir), pattern);
    }
    if (n < 0 || (size_t)n >= sizeof(full)) {
        return cf_lex_fail(lx->err, at->file, at->line, "import: path too long");
    }
    bool wildcard = strpbrk(pattern, "*?[") != NULL;
    if (!wildcard) {
        return cf_import_file(lx, full, at, out, depth);
    }
    glob_t g;
    int rc = glob(full, 0, NULL, &g); /* a directory that is not there: no match */
    if (rc == GLOB_NOMATCH) {
        log_warn("%s:%d: import: no files match '%s'", at->file, at->line, full);
        return 0;
    }
    if (rc != 0) {
        return cf_lex_fail(lx->err, at->file, at->line, "import: cannot read '%s'", full);
    }
    int result = 0;
    for (size_t i = 0; i < g.gl_pathc && result == 0; i++) {
        result = cf_import_file(lx, g.gl_pathv[i], at, out, depth);
    }
    globfree(&g);
    return result;
}

/* A copy of text with "{args[N]}" replaced by args[N] ("" past the end). */
static char *cf_args_subst(const char *text, const cf_token_t *args, size_t nargs)
{
    cf_buf_t b = {0};
    const char *p = text;
    if (cf_buf_add(&b, "", 0) != 0) {
        return NULL;
    }
    while (*p != '\0') {
        unsigned long idx;
        char *end;
        if (strncmp(p, "{args[", 6) == 0 && p[6] >= '0' && p[6] <= '9' &&
            (idx = strtoul(p + 6, &end, 10), strncmp(end, "]}", 2) == 0)) {
            const char *v = idx < nargs ? args[idx].text : "";
            if (cf_buf_add(&b, v, strlen(v)) != 0) {
                goto oom;
            }
            p = end + 2;
            continue;
        }
        if (cf_buf_add(&b, p, 1) != 0) {
            goto oom;
        }
        p++;
    }
    return b.s;
oom:
    free(b.s);
    return NULL;
}

/* `import NAME ARGS...` of a snippet: its body, arguments substituted,
 * expanded in turn. */
static int cf_import_snippet(cf_lexer_t *lx, const cf_snippet_t *s, const cf_token_t *args,
                             size_t nargs, cf_tokens_t *out, int depth)
{
    cf_tokens_t copy = {0};
    for (size_t i = 0; i < s->body.n; i++) {
        const cf_token_t *t = &s->body.t[i];
        if (cf_push(lx, &copy, cf_args_subst(t->text, args, nargs), t->file, t->line,
                    i == 0 || t->bol, t->quoted) != 0) {
            cf_tokens_free(&copy);
            return -1;
        }
    }
    int rc = cf_expand(lx, &copy, out, depth + 1);
    cf_tokens_free(&copy);
    return rc;
}

static const cf_snippet_t *cf_find_snippet(const cf_lexer_t *lx, const char *name)
{
    for (size_t i = 0; i < lx->nsnips; i++) {
        if (strcmp(lx->snips[i].name, name) == 0) {
            return &lx->snips[i];
        }
    }
    return NULL;
}

/* At in->t[*i] (a top-level "(name)" followed by "{"): take the snippet
 * definition out of the stream and remember it. */
static int cf_define_snippet(cf_lexer_t *lx, cf_tokens_t *in, size_t *i)
{
    const cf_token_t *head = &in->t[*i];
    size_t namelen = strlen(head->text) - 2;
    char *name = strndup(head->text + 1, namelen);
    if (name == NULL) {
        return cf_lex_fail(lx->err, head->file, head->line, "out of memory");
    }
    if (cf_find_snippet(lx, name) != NULL) {
        cf_lex_fail(lx->err, head->file, head->line, "snippet '%s' is defined twice", name);
        free(name);
        return -1;
    }
    size_t j = *i + 2, nest = 1;
    for (; j < in->n; j++) {
        nest += cf_is_open(&in->t[j]);
        nest -= cf_is_close(&in->t[j]);
        if (nest == 0) {
            break;
        }
    }
    if (j >= in->n) {
        cf_lex_fail(lx->err, head->file, head->line, "snippet '%s' has no closing '}'", name);
        free(name);
        return -1;
    }
    cf_snippet_t *grown = realloc(lx->snips, (lx->nsnips + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(name);
        return cf_lex_fail(lx->err, head->file, head->line, "out of memory");
    }
    lx->snips = grown;
    cf_snippet_t *s = &lx->snips[lx->nsnips++];
    s->name = name;
    memset(&s->body, 0, sizeof(s->body));
    for (size_t k = *i + 2; k < j; k++) { /* move the body's tokens */
        cf_token_t *t = &in->t[k];
        if (cf_push(lx, &s->body, t->text, t->file, t->line, t->bol, t->quoted) != 0) {
            t->text = NULL;
            return -1;
        }
        lx->made--; /* moved, not made */
        t->text = NULL;
    }
    *i = j; /* at the closing brace */
    return 0;
}

/* Is in->t[i] the start of a snippet definition ("(name)" then "{")? */
static bool cf_is_snippet_head(const cf_tokens_t *in, size_t i)
{
    const cf_token_t *t = &in->t[i];
    size_t len = strlen(t->text);
    return t->bol && !t->quoted && len > 2 && t->text[0] == '(' && t->text[len - 1] == ')' &&
           i + 1 < in->n && !in->t[i + 1].bol && cf_is_open(&in->t[i + 1]);
}

/* Copy `in` to `out`, defining snippets and replacing imports. The texts
 * of `in` are moved (in->t[i].text becomes NULL). */
static int cf_expand(cf_lexer_t *lx, cf_tokens_t *in, cf_tokens_t *out, int depth)
{
    size_t nest = 0;
    if (depth > CF_MAX_IMPORT_DEPTH) {
        const cf_token_t *t = in->n > 0 ? &in->t[0] : NULL;
        return cf_lex_fail(lx->err, t ? t->file : lx->root->file, t ? t->line : 1,
                           "imports nested more than %d deep (an import cycle?)",
                           CF_MAX_IMPORT_DEPTH);
    }
    for (size_t i = 0; i < in->n; i++) {
        cf_token_t *t = &in->t[i];
        if (nest == 0 && cf_is_snippet_head(in, i)) {
            if (cf_define_snippet(lx, in, &i) != 0) {
                return -1;
            }
            continue;
        }
        if (t->bol && !t->quoted && strcmp(t->text, "import") == 0) {
            size_t a = i + 1;
            while (a < in->n && !in->t[a].bol && !cf_is_open(&in->t[a]) &&
                   !cf_is_close(&in->t[a])) {
                a++;
            }
            if (a == i + 1) {
                return cf_lex_fail(lx->err, t->file, t->line,
                                   "import: give a snippet name or a file pattern");
            }
            const cf_token_t *arg = &in->t[i + 1];
            const cf_snippet_t *s = cf_find_snippet(lx, arg->text);
            size_t first = out->n;
            int rc = s != NULL ? cf_import_snippet(lx, s, arg + 1, a - i - 2, out, depth)
                               : cf_import_glob(lx, t, arg->text, out, depth);
            if (rc != 0) {
                return -1;
            }
            if (out->n > first) {
                out->t[first].bol = true;
            }
            i = a - 1;
            continue;
        }
        if (cf_is_open(t)) {
            nest++;
        } else if (cf_is_close(t) && nest > 0) {
            nest--;
        }
        if (cf_push(lx, out, t->text, t->file, t->line, t->bol, t->quoted) != 0) {
            t->text = NULL;
            return -1;
        }
        lx->made--; /* moved, not made */
        t->text = NULL;
    }
    return 0;
}

int cf_lex(cfg_node_t *root, const char *text, size_t len, const char *file, cf_tokens_t *out,
           cfg_error_t *err)
{
    cf_lexer_t lx = {.root = root, .err = err};
    cf_tokens_t raw = {0};
    memset(out, 0, sizeof(*out));
    int rc = cf_tokenize(&lx, text, len, file, &raw);
    if (rc == 0) {
        rc = cf_expand(&lx, &raw, out, 0);
    }
    cf_tokens_free(&raw);
    for (size_t i = 0; i < lx.nsnips; i++) {
        free(lx.snips[i].name);
        cf_tokens_free(&lx.snips[i].body);
    }
    free(lx.snips);
    if (rc != 0) {
        cf_tokens_free(out);
    }
    return rc;
}
