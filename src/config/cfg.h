/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.h - the configuration tree.
 *
 * Both config syntaxes (YAML via libyaml, and the CoreDNS Corefile) are read
 * into this one tree of maps, sequences and scalars, each node remembering
 * its file and line. Consumers (the core, each plugin) read the keys they
 * know; a key nobody read is an "unknown key" error. Every error message has
 * the form "FILE:LINE: problem", one line.
 */
#ifndef VMDNS_CONFIG_CFG_H
#define VMDNS_CONFIG_CFG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CFG_SCALAR, CFG_SEQ, CFG_MAP } cfg_kind_t;

typedef struct cfg_node cfg_node_t;
struct cfg_node {
    cfg_kind_t kind;
    const char *file; /* shared by all nodes of one file; owned by the root */
    int line;         /* 1-based */
    const char *key;  /* the map key naming this node, or the list's key for
                         a list item; NULL for the root. For messages. */
    char *value;      /* CFG_SCALAR: the text */
    size_t n;         /* CFG_SEQ/CFG_MAP: number of items */
    char **keys;      /* CFG_MAP: keys[i] names items[i] */
    int *key_lines;   /* CFG_MAP: line of keys[i] (the value may start later) */
    cfg_node_t **items;
    bool used; /* set by cfg_get on a map entry */
    /* Root only: more file names that nodes point to (files a Corefile
     * imports), owned by the root with `file` (see cfg_own_file). */
    char **files;
    size_t nfiles;
};

/* An error message buffer: "FILE:LINE: problem". */
typedef struct cfg_error {
    char msg[512];
} cfg_error_t;

/* Config files larger than this are refused (a config is a few KiB). */
#define CFG_MAX_FILE_BYTES (16u << 20)

/* Read a whole file into a NUL-terminated buffer (*len without the NUL),
 * for either syntax. NULL with "FILE:0: cannot open/read: why" in err. */
char *cfg_read_file(const char *path, size_t *len, cfg_error_t *err);

/* Read a YAML file into a tree. NULL on error (err says file, line, what). */
cfg_node_t *cfg_load_yaml(const char *path, cfg_error_t *err);

/* The same from a buffer; `name` stands for the file in nodes and errors. */
cfg_node_t *cfg_parse_yaml(const char *text, size_t len, const char *name, cfg_error_t *err);

/* Free a tree from cfg_load_yaml (or built by the Corefile reader). */
void cfg_free(cfg_node_t *root);

/* ---- Building a tree by hand (the Corefile reader, tests) ----
 * Nodes are created empty (map, list) or with a copy of their text
 * (scalar), then attached at once; an attached node is freed with its
 * root. The root of a hand-built tree is a map made with cfg_new_root(). */

/* A new empty root map for `file` (copied; owned by the root), line 1. */
cfg_node_t *cfg_new_root(const char *file);

/* The root's copy of a file name, made on first use: every node from that
 * file points to it, and it lives as long as the root. NULL: out of memory. */
const char *cfg_own_file(cfg_node_t *root, const char *file);

/* A new node: an empty map or list, or a scalar with a copy of `value`.
 * `file` must be owned by the tree (cfg_own_file). NULL: out of memory. */
cfg_node_t *cfg_new_node(cfg_kind_t kind, const char *file, int line, const char *value);

/* Append value under `key` (copied; the line of the key is key_line) to a
 * map, or an item to a list. Ownership of the new node passes to the
 * parent, even on failure (it is then freed). Duplicate keys are not
 * checked. Return 0, or -1 out of memory. */
int cfg_map_add(cfg_node_t *map, const char *key, int key_line, cfg_node_t *value);
int cfg_seq_add(cfg_node_t *seq, cfg_node_t *item);

/* Map lookup that does not mark the entry used (for builders). */
cfg_node_t *cfg_peek(const cfg_node_t *map, const char *key);

/* Map lookup; marks the entry used. NULL if absent or `map` is not a map. */
cfg_node_t *cfg_get(cfg_node_t *map, const char *key);

/* Keep an error one line: control characters that a message quotes from
 * the file (a value with a newline, say) become escapes like "\n" (the
 * message is cut if it no longer fits). Every cfg_/cf_ error formatter
 * calls it; found by fuzz_config_yaml. */
void cfg_error_one_line(cfg_error_t *err);

/* Format an error at FILE:LINE (no prefix if file is NULL), on one line;
 * returns -1. For readers that have positions but no nodes yet. */
int cfg_vfail_at(cfg_error_t *err, const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Format an error at a node ("FILE:LINE: ..."); returns -1 for chaining. */
int cfg_fail(cfg_error_t *err, const cfg_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A node's position, copied out of the tree, for errors found after the
 * tree is gone (a plugin's setup works from its parsed config, which may
 * outlive the tree it came from). */
typedef struct cfg_pos {
    char file[512];
    int line;
    char key[64]; /* the node's key ("" if none), for "KEY: problem" */
} cfg_pos_t;

/* Copy the position of `n` (empty position if n is NULL). */
void cfg_pos_of(const cfg_node_t *n, cfg_pos_t *pos);

/* Format an error at a saved position ("FILE:LINE: ..."); returns -1. */
int cfg_fail_pos(cfg_error_t *err, const cfg_pos_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed readers: on a wrong type or value they fill err and return -1.
 * Their messages name the node's key: "FILE:LINE: key: expected ...". */
int cfg_string(const cfg_node_t *n, const char **out, cfg_error_t *err);
int cfg_uint(const cfg_node_t *n, uint64_t min, uint64_t max, uint64_t *out, cfg_error_t *err);
int cfg_bool(const cfg_node_t *n, bool *out, cfg_error_t *err);
/* Durations: "10s", "500ms", "1m", "2h", or a bare number of seconds. */
int cfg_duration_ms(const cfg_node_t *n, uint64_t *out_ms, cfg_error_t *err);

/* The first map key anywhere under root that no cfg_get() read, as an
 * error "FILE:LINE: unknown key 'k'". Returns 0 if all keys were read. */
int cfg_check_unused(const cfg_node_t *root, cfg_error_t *err);

#endif
