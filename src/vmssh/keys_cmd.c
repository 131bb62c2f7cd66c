/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys_cmd.c - `vmssh [--config FILE] keys LOGIN... [--out FILE]`: the
 * GitHub users' checked SSH keys as an authorized_keys file (atomically,
 * mode 0600) or on stdout. Notes (dropped keys, retries, a cached copy
 * used) go to stderr; the token never appears anywhere.
 * Exit 0 ok, 1 failure (one line: what), 2 bad command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys_cmd.h"
#include "vmdns/ssh.h"

static void note(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "vmssh: %s\n", msg);
}

int vmssh_cli_keys(int argc, char **argv, const char *config, int first)
{
    const char *out = NULL;
    const char **logins = calloc((size_t)argc, sizeof *logins);
    size_t n = 0;
    if (!logins)
        return 1;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc || out) {
                fprintf(stderr, "vmssh: keys: --out needs one FILE\n(vmssh --help for usage)\n");
                free(logins);
                return 2;
            }
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "vmssh: keys: unknown option %s\n(vmssh --help for usage)\n", argv[i]);
            free(logins);
            return 2;
        } else {
            logins[n++] = argv[i];
        }
    }
    if (n == 0) {
        fprintf(stderr, "vmssh: keys needs LOGIN...\n(vmssh --help for usage)\n");
        free(logins);
        return 2;
    }
    vmssh_error_t err;
    vmssh_t *h = vmssh_new(config, &err);
    if (!h) {
        fprintf(stderr, "vmssh: keys: %s; nothing was written\n", err.message);
        free(logins);
        return 1;
    }
    char *text = NULL;
    int rc = vmssh_github_keys(h, logins, n, out, out ? NULL : &text, note, NULL, &err);
    if (rc < 0)
        fprintf(stderr, "vmssh: keys: %s; nothing was written\n", err.message);
    else if (text)
        fputs(text, stdout);
    free(text);
    vmssh_free(h);
    free(logins);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "vmssh: writing the output failed\n");
        return 1;
    }
    return rc < 0 ? 1 : 0;
}
