/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_plugin.h - what a plugin uses to read its own Corefile directive.
 *
 * The Corefile reader (corefile.c) knows the language: server blocks and
 * their zones, `bind`, imports and snippets, tokens and lines. It knows no
 * plugin. A directive names a plugin (plugin_t.directives, or the plugin's
 * name), and the reader hands it to that plugin's `corefile` hook, which
 * writes the plugin's section of the config tree: the very section a YAML
 * user would have written under the plugin's config_key, so setup reads
 * one format whatever the file was. Nodes carry the Corefile's file and
 * line, so a value setup rejects is reported at the right place, and the
 * hook itself reports what only the Corefile can get wrong (an unknown
 * option, a wrong number of arguments) with cf_fail: "FILE:LINE: problem".
 *
 * A hook is called once per occurrence of its directive, in file order, in
 * any server block. Each block is a server of its own (core/chain.c): the
 * hook of a per-query plugin writes the block's section (cf_root() is the
 * block's item of `servers`) and starts with cf_once() (the same directive
 * twice in one block must say the same thing). A data source (file,
 * redis: view_data HANDOVER/BOUND) fills the one shared view: cf_root() is
 * the top level for it, and it adds to its section (cf_section() finds
 * what an earlier block made).
 */
#ifndef VMDNS_CONFIG_COREFILE_PLUGIN_H
#define VMDNS_CONFIG_COREFILE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"
#include "config/corefile_lex.h"
#include "dns/name.h"

/* Longest zone name as text (cf_block_zone, cf_zone_name). */
#define CF_ZONE_TEXT (NAME_MAX_WIRE * 4 + 2)

/* The reader's state while it reads one file: opaque to plugins. */
typedef struct cf_plugin_ctx cf_plugin_ctx_t;

/* Deepest nesting of blocks in a directive: the directive's own block is
 * level 1 (`redis { defaults { soa { ... } } }` is 3). */
#define CF_MAX_BLOCK_DEPTH 3

/* One directive: its name token, the arguments on its line and, when it
 * has a `{ ... }` block, the tokens inside the braces. `nested` is the
 * first `{` inside that block (an option with a block of its own), NULL
 * if none: only a plugin with corefile_blocks (core/plugin.h) gets one,
 * the reader refuses it for the others. */
typedef struct cf_directive {
    const cf_token_t *name;
    const cf_token_t *args;
    size_t nargs;
    bool block;
    const cf_token_t *body;
    size_t nbody;
    const cf_token_t *nested;
} cf_directive_t;

/* One line of a directive's block: the option and its arguments
 * (args[i] is opt[1 + i]) and, for `opt ARGS... { ... }`, the tokens of
 * its own block (block, body, nbody; the braces are not included). */
typedef struct cf_line {
    const cf_token_t *opt;
    const cf_token_t *args;
    size_t nargs;
    bool block;
    const cf_token_t *body;
    size_t nbody;
} cf_line_t;

/* The next line of d's block: start with *pos = 0; false after the last.
 * A line whose only argument is empty (`password ""`, `ttl {$UNSET}`) and
 * has no block is skipped: as in CoreDNS, the option is then not set.
 * (Likewise a directive whose only argument is empty has no arguments.)
 *   for (size_t pos = 0; cf_next_line(d, &pos, &l);) ... */
bool cf_next_line(const cf_directive_t *d, size_t *pos, cf_line_t *line);

/* A line with a block as a directive of its own (name = the option), so
 * cf_next_line reads the lines of that block. */
void cf_line_block(const cf_line_t *line, cf_directive_t *d);

/* "FILE:LINE: problem" at the token; returns -1. */
int cf_fail(cfg_error_t *err, const cf_token_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "NAME: takes no block" if d has one; else 0. */
int cf_no_block(const cf_directive_t *d, cfg_error_t *err);

/* "NAME: too many arguments (at most MAX)" if d has more; else 0. */
int cf_max_args(const cf_directive_t *d, size_t max, cfg_error_t *err);

/* A chain-wide directive: 0 the first time (write the section), 1 if it
 * was seen before with the same arguments and block (skip it), -1 with an
 * error if it was seen with different ones. */
int cf_once(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err);

/* Where the running hook's plugin writes its section: the current server
 * block's map (its item of `servers`), or for a data source (file, redis)
 * the root map of the tree being built. */
cfg_node_t *cf_root(cf_plugin_ctx_t *ctx);

/* The section `key` under cf_root(): the existing one (which must be of `kind`),
 * else a new empty map or list at the token's line. NULL with an error. */
cfg_node_t *cf_section(cf_plugin_ctx_t *ctx, const char *key, const cf_token_t *at, cfg_kind_t kind,
                       cfg_error_t *err);

/* Add a scalar `key: text` to a map, or the scalar text to a list, at the
 * token's file and line. 0, or -1 with an error. */
int cf_put(cfg_node_t *map, const char *key, const cf_token_t *at, const char *text,
           cfg_error_t *err);
int cf_add(cfg_node_t *seq, const cf_token_t *at, const char *text, cfg_error_t *err);

/* Add an empty map or list under `key` of a map (cf_put_node) or to a list
 * (cf_add_node), at the token. Returns it, or NULL with an error. */
cfg_node_t *cf_put_node(cfg_node_t *map, const char *key, const cf_token_t *at, cfg_kind_t kind,
                        cfg_error_t *err);
cfg_node_t *cf_add_node(cfg_node_t *seq, const cf_token_t *at, cfg_kind_t kind, cfg_error_t *err);

/* The zones of the server block the directive is in ("example.com.",
 * lower case, with the final dot) and the token each came from. */
size_t cf_block_nzones(const cf_plugin_ctx_t *ctx);
const char *cf_block_zone(const cf_plugin_ctx_t *ctx, size_t i, const cf_token_t **at);

/* The files the Corefile imported (not the Corefile itself): i < n. For
 * a plugin that watches them (reload). */
size_t cf_nimports(const cf_plugin_ctx_t *ctx);
const char *cf_import(const cf_plugin_ctx_t *ctx, size_t i);

/* Normalise a zone name as the server block keys are (lower case, final
 * dot; CIDR notation refused). 0, or -1 with an error at the token. */
int cf_zone_name(const cf_token_t *at, const char *text, char out[CF_ZONE_TEXT], cfg_error_t *err);

#endif
