/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_fuzz_check.c - what the config fuzz harnesses check on every tree and
 * every error (see cfg_fuzz_check.h).
 *
 * The config readers run on files an operator writes, so a crash is not a
 * remote hole; but vmdnsd promises that whatever the file holds, the answer
 * is either a config or one "FILE:LINE: problem" line, and every consumer
 * (the core, each plugin) relies on the tree's shape without re-checking
 * it. Both promises are checked here, and the consumers' readers (typed
 * values, server options, unused keys) run on whatever the fuzzer builds.
 */
#include "cfg_fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/server_config.h"

#define CFGFZ_CHECK(who, cond)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s: check failed: %s (line %d)\n", who, #cond, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

void cfgfz_check_error(const char *who, const cfg_error_t *err, const char *prefix)
{
    const char *msg = err->msg;
    int ok = memchr(msg, '\0', sizeof(err->msg)) != NULL && strpbrk(msg, "\r\n") == NULL &&
             strncmp(msg, prefix, strlen(prefix)) == 0;
    /* the first ":DIGITS: " after the prefix ends the file name */
    const char *p = ok ? msg + strlen(prefix) : NULL;
    while (ok && (p = strchr(p, ':')) != NULL) {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits > 0 && p[1 + digits] == ':' && p[2 + digits] == ' ') {
            ok = atol(p + 1) >= 1;
            break;
        }
        p++;
    }
    if (!ok || p == NULL) {
        fprintf(stderr, "%s: bad error message (want one line \"%s...:LINE: problem\"): [%s]\n",
                who, prefix, msg);
        abort();
    }
}

/* Is `file` the root's file or one of the files it owns? */
static int owned_file(const cfg_node_t *root, const char *file)
{
    if (file == root->file)
        return 1;
    for (size_t i = 0; i < root->nfiles; i++)
        if (file == root->files[i])
            return 1;
    return 0;
}

/* Shape of one node and everything below it; typed readers on scalars. */
static void check_node(const char *who, const cfg_node_t *root, const cfg_node_t *n,
                       const char *prefix, int depth)
{
    cfg_error_t err;
    CFGFZ_CHECK(who, depth <= 1000);
    CFGFZ_CHECK(who, owned_file(root, n->file));
    CFGFZ_CHECK(who, n->line >= 1);
    switch (n->kind) {
    case CFG_SCALAR: {
        CFGFZ_CHECK(who, n->value != NULL && n->n == 0);
        const char *s;
        uint64_t u;
        bool b;
        if (cfg_string(n, &s, &err) == 0)
            CFGFZ_CHECK(who, s == n->value && s[0] != '\0');
        else
            cfgfz_check_error(who, &err, prefix);
        if (cfg_uint(n, 0, UINT64_MAX, &u, &err) != 0)
            cfgfz_check_error(who, &err, prefix);
        if (cfg_uint(n, 1, 1024, &u, &err) == 0)
            CFGFZ_CHECK(who, u >= 1 && u <= 1024);
        else
            cfgfz_check_error(who, &err, prefix);
        if (cfg_bool(n, &b, &err) != 0)
            cfgfz_check_error(who, &err, prefix);
        if (cfg_duration_ms(n, &u, &err) != 0)
            cfgfz_check_error(who, &err, prefix);
        break;
    }
    case CFG_SEQ:
    case CFG_MAP:
        CFGFZ_CHECK(who, n->value == NULL);
        CFGFZ_CHECK(who, n->n == 0 || n->items != NULL);
        if (n->kind == CFG_MAP)
            CFGFZ_CHECK(who, n->n == 0 || (n->keys != NULL && n->key_lines != NULL));
        else
            CFGFZ_CHECK(who, n->keys == NULL);
        for (size_t i = 0; i < n->n; i++) {
            const cfg_node_t *item = n->items[i];
            CFGFZ_CHECK(who, item != NULL);
            if (n->kind == CFG_MAP) {
                CFGFZ_CHECK(who, n->keys[i] != NULL && n->key_lines[i] >= 1);
                CFGFZ_CHECK(who, item->key == n->keys[i]);
                for (size_t j = 0; j < i; j++)
                    CFGFZ_CHECK(who, strcmp(n->keys[j], n->keys[i]) != 0);
                CFGFZ_CHECK(who, cfg_peek(n, n->keys[i]) == item);
            } else {
                CFGFZ_CHECK(who, item->key == n->key);
            }
            check_node(who, root, item, prefix, depth + 1);
        }
        break;
    default:
        CFGFZ_CHECK(who, !"bad node kind");
    }
}

void cfgfz_check_tree(const char *who, cfg_node_t *root, const char *prefix)
{
    cfg_error_t err;
    CFGFZ_CHECK(who, root->kind == CFG_MAP && root->key == NULL && root->file != NULL);
    check_node(who, root, root, prefix, 0);

    cfg_server_t s;
    if (cfg_server_read(root, &s, &err) == 0) {
        CFGFZ_CHECK(who, s.opts.nlisten >= 1 && s.opts.listen != NULL);
        for (size_t i = 0; i < s.opts.nlisten; i++)
            CFGFZ_CHECK(who, s.opts.listen[i] == s.listen[i] && s.listen[i][0] != '\0');
        CFGFZ_CHECK(who, s.opts.workers >= 1 && s.opts.workers <= 1024);
        CFGFZ_CHECK(who, s.opts.limits.edns_udp_size >= 512 && s.opts.limits.edns_udp_size <= 4096);
        CFGFZ_CHECK(who, s.opts.tcp_max_connections >= 1);
        CFGFZ_CHECK(who, s.opts.tcp_idle_timeout_ms >= 1);
        CFGFZ_CHECK(who, s.opts.tcp_max_per_client >= 1);
        CFGFZ_CHECK(who, s.opts.tcp_io_timeout_ms >= 10 && s.opts.tcp_io_timeout_ms <= 60000);
        cfg_server_free(&s);
    } else {
        cfgfz_check_error(who, &err, prefix);
        CFGFZ_CHECK(who, s.listen == NULL && s.opts.nlisten == 0);
    }
    if (cfg_check_unused(root, &err) != 0)
        cfgfz_check_error(who, &err, prefix);
}

void cfgfz_verbose(const char *who, const cfg_node_t *root, const cfg_error_t *err)
{
    if (getenv("VMDNS_FUZZ_VERBOSE") != NULL)
        fprintf(stderr, "%s: %s\n", who, root != NULL ? "ok" : err->msg);
}
