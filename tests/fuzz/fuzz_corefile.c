/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_corefile.c - libFuzzer harness for the Corefile reader:
 * cfg_parse_corefile() (lexer: quotes, comments, {$ENV}, snippets with
 * arguments, imports; parser: server blocks, keys, directives).
 *
 * The input is the text of "<sandbox>/Corefile". Either the reader returns
 * a tree, which goes through cfg_fuzz_check.c (shape, typed readers,
 * server options, unused keys) and is freed, or it fails with one line
 * "<sandbox>/FILE:LINE: problem".
 *
 * Imports read files, and a fuzzer must not read the real file system
 * (`import /dev/stdin` would hang it, `import /proc/...` makes runs depend
 * on the machine). The reader resolves `import PATTERN` relative to the
 * importing file's directory, so the Corefile is named inside a temporary
 * sandbox directory holding a few small files to import (a plain file, a
 * glob directory, a snippet file, a file that imports itself). Absolute
 * patterns and `..` are still possible, so while the reader runs, its
 * fopen/glob calls go through wrappers (the test links with
 * -Wl,--wrap=fopen64,... see CMakeLists.txt) that refuse any path outside
 * the sandbox, any hidden component (".", "..") and glob escapes or
 * brackets; a refused path looks to the reader like an unreadable file.
 *
 * Environment variables for {$ENV} tests: VMDNS_FUZZ_PORT=5300,
 * VMDNS_FUZZ_ADDR=127.0.0.1, VMDNS_FUZZ_EMPTY="" (VMDNS_FUZZ_UNSET unset).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_fuzz_check.h"
#include "config/corefile.h"

#define WHO "fuzz_corefile"

/* The sandbox: set up on the first call (libFuzzer has no per-process
 * setup hook that the replay main also calls), removed at exit. */
static char sandbox[64];
static bool confined; /* true while the reader runs */

/* Files in the sandbox, for seeds to import. */
static const char *const sandbox_files[][2] = {
    {"Corefile", ". {\n  import Corefile\n}\n"}, /* importing the main file: a cycle */
    {"common", "log\nerrors\n"},
    {"snippets", "(listen) {\n  bind {args[0]}\n  prometheus {args[0]}:{args[1]}\n}\n"},
    {"loop", "import loop\n"},
    {"bad", "x.test {\n  forward . 192.0.2.1\n}\n"},
    {"conf.d/10-a.conf", "a.test {\n  bind 127.0.0.1\n  file a.db\n}\n"},
    {"conf.d/20-b.conf", "b.test:5301 {\n  bind ::1\n  import common\n}\n"},
    {"conf.d/common", "any\n"},
};

/* May the reader touch this path (or glob pattern)? Only inside the
 * sandbox, no component starting with '.', no glob escapes or brackets. */
static bool allowed(const char *path, bool pattern)
{
    size_t n = strlen(sandbox);
    if (strncmp(path, sandbox, n) != 0 || path[n] != '/')
        return false;
    for (const char *p = path + n; *p != '\0'; p++) {
        if (p[0] == '/' && p[1] == '.')
            return false;
        if (pattern && (*p == '\\' || *p == '['))
            return false;
    }
    return true;
}

FILE *__real_fopen64(const char *path, const char *mode);
FILE *__real_fopen(const char *path, const char *mode);
int __real_glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), void *g);
int __real_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), void *g);

/* The wrappers the reader's calls are linked to (--wrap). */
FILE *__wrap_fopen64(const char *path, const char *mode)
{
    if (confined && !allowed(path, false)) {
        errno = EACCES;
        return NULL;
    }
    return __real_fopen64(path, mode);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    if (confined && !allowed(path, false)) {
        errno = EACCES;
        return NULL;
    }
    return __real_fopen(path, mode);
}

int __wrap_glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), void *g)
{
    if (confined && !allowed(pattern, true))
        return GLOB_ABORTED;
    return __real_glob64(pattern, flags, errfunc, g);
}

int __wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int), void *g)
{
    if (confined && !allowed(pattern, true))
        return GLOB_ABORTED;
    return __real_glob(pattern, flags, errfunc, g);
}

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", sandbox, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        perror(path);
        abort();
    }
    close(fd);
}

static void remove_sandbox(void)
{
    char path[256];
    for (size_t i = 0; i < sizeof(sandbox_files) / sizeof(sandbox_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", sandbox, sandbox_files[i][0]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/conf.d", sandbox);
    rmdir(path);
    rmdir(sandbox);
}

static void setup(void)
{
    char sub[128];
    snprintf(sandbox, sizeof(sandbox), "/tmp/vmdns-fuzz-corefile-XXXXXX");
    snprintf(sub, sizeof(sub), "%s/conf.d", mkdtemp(sandbox) ? sandbox : "");
    if (sandbox[0] == '\0' || mkdir(sub, 0700) != 0) {
        perror("fuzz_corefile: sandbox");
        abort();
    }
    for (size_t i = 0; i < sizeof(sandbox_files) / sizeof(sandbox_files[0]); i++)
        write_file(sandbox_files[i][0], sandbox_files[i][1]);
    atexit(remove_sandbox);
    setenv("VMDNS_FUZZ_PORT", "5300", 1);
    setenv("VMDNS_FUZZ_ADDR", "127.0.0.1", 1);
    setenv("VMDNS_FUZZ_EMPTY", "", 1);
    unsetenv("VMDNS_FUZZ_UNSET");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char name[128], prefix[128];
    if (name[0] == '\0') {
        setup();
        snprintf(name, sizeof(name), "%s/Corefile", sandbox);
        snprintf(prefix, sizeof(prefix), "%s/", sandbox);
    }
    cfg_error_t err = {{0}};
    confined = true;
    cfg_node_t *root = cfg_parse_corefile((const char *)data, size, name, &err);
    confined = false;
    cfgfz_verbose(WHO, root, &err);
    if (root == NULL) {
        cfgfz_check_error(WHO, &err, prefix);
        return 0;
    }
    /* every server block is an item of `servers` with its listen addresses */
    cfg_node_t *servers = cfg_peek(root, "servers");
    if (servers == NULL || servers->kind != CFG_SEQ || servers->n == 0) {
        fprintf(stderr, WHO ": a Corefile without 'servers' in its tree\n");
        abort();
    }
    for (size_t i = 0; i < servers->n; i++) {
        if (servers->items[i]->kind != CFG_MAP || cfg_peek(servers->items[i], "listen") == NULL) {
            fprintf(stderr, WHO ": server block %zu without 'listen' in its tree\n", i + 1);
            abort();
        }
    }
    cfgfz_check_tree(WHO, root, prefix);
    cfg_free(root);
    return 0;
}
