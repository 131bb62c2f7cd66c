/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_config_yaml.c - libFuzzer harness for the YAML config reader:
 * cfg_parse_yaml() (libyaml, then our own tree: aliases expanded under a
 * node budget, depth limit, duplicate keys, NUL bytes, extra documents).
 *
 * The input is the file's text, named "fuzz.yaml". Either the reader
 * returns a tree, which then goes through cfg_fuzz_check.c (its shape, the
 * typed readers on every scalar, the server-options reader, the
 * unused-key check) and is freed, or it fails with one line
 * "fuzz.yaml:LINE: problem" and returns nothing. ASan/LSan catch what the
 * reader leaks or touches after freeing on either path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfg_fuzz_check.h"
#include "config/cfg.h"

#define WHO "fuzz_config_yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_yaml((const char *)data, size, "fuzz.yaml", &err);
    cfgfz_verbose(WHO, root, &err);
    if (root == NULL) {
        cfgfz_check_error(WHO, &err, "fuzz.yaml");
        return 0;
    }
    cfgfz_check_tree(WHO, root, "fuzz.yaml");
    cfg_free(root);
    return 0;
}
