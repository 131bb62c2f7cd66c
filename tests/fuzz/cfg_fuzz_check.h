/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_fuzz_check.h - checks shared by the two config fuzz harnesses
 * (fuzz_config_yaml.c, fuzz_corefile.c): both readers produce the same
 * tree (src/config/cfg.h) and promise the same error format, so the same
 * code holds both to it. Every failed check aborts.
 */
#ifndef VMDNS_FUZZ_CFG_FUZZ_CHECK_H
#define VMDNS_FUZZ_CFG_FUZZ_CHECK_H

#include "config/cfg.h"

/* Abort unless msg is one line that starts with `prefix` (a file name or
 * the directory all files are in), then "NAME:LINE: " with LINE >= 1. */
void cfgfz_check_error(const char *who, const cfg_error_t *err, const char *prefix);

/* Check the shape of a tree a reader returned (a map at the root; lines,
 * file names, keys, values all set; no duplicate map keys), then run every
 * typed reader on every scalar, the server-options reader on the root and
 * the unused-key check, holding each error to cfgfz_check_error. */
void cfgfz_check_tree(const char *who, cfg_node_t *root, const char *prefix);

/* With VMDNS_FUZZ_VERBOSE set in the environment, print what the reader
 * said ("ok" or the error), to see what a corpus file exercises. */
void cfgfz_verbose(const char *who, const cfg_node_t *root, const cfg_error_t *err);

#endif
