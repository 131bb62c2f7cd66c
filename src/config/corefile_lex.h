/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_lex.h - the Corefile as a flat list of tokens (for the Corefile
 * reader; plugins' Corefile hooks see the tokens of their directive, see
 * corefile_plugin.h).
 *
 * The Corefile syntax is Caddy's: whitespace-separated tokens, "quoted
 * strings", `#` comments, `{` and `}` as tokens of their own, and lines
 * that matter (a directive and its arguments are one line). The lexer
 * turns a file into tokens that remember their file, line and whether
 * they start a line, and does everything that is textual before the
 * parser sees a token:
 *
 *   - {$NAME} and {%NAME%} become the environment variable's value
 *     ({$NAME:default} when it is unset or empty), inside any token;
 *   - `(name) { ... }` at the top level defines a snippet, which is taken
 *     out of the stream;
 *   - `import NAME [ARGS...]` (a snippet; {args[N]} in it become ARGS) or
 *     `import GLOB` (files, relative to the importing file's directory) is
 *     replaced by the tokens it names, recursively, with a depth limit
 *     that also catches cycles.
 */
#ifndef VMDNS_CONFIG_COREFILE_LEX_H
#define VMDNS_CONFIG_COREFILE_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

/* One token. `file` is owned by the tree root the lexer was given. */
typedef struct cf_token {
    char *text;
    const char *file;
    int line;
    bool bol;    /* first token of its line: starts a directive */
    bool quoted; /* was "quoted": never a brace */
} cf_token_t;

typedef struct cf_tokens {
    cf_token_t *t;
    size_t n;
    size_t cap;
} cf_tokens_t;

/* True if the token is an unquoted `{` / `}`. */
bool cf_is_open(const cf_token_t *t);
bool cf_is_close(const cf_token_t *t);

/* Read `text` (named `file` in messages) and everything it imports into
 * `out`, expanded as described above. File names are owned by `root`.
 * Returns 0, or -1 with "FILE:LINE: problem" in err (out is then empty). */
int cf_lex(cfg_node_t *root, const char *text, size_t len, const char *file, cf_tokens_t *out,
           cfg_error_t *err);

/* Free the tokens (not the file names). */
void cf_tokens_free(cf_tokens_t *toks);

#endif
