/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys.c - the public keys call: the GitHub keys of several logins,
 * fetched and checked (keys_fetch.c), as one authorized_keys file or text.
 * Any login without a usable key fails the whole call: nothing is written.
 */
#include <stdlib.h>

#include "vmssh_int.h"

int vmssh_github_keys(vmssh_t *h, const char *const *logins, size_t n_logins, const char *out_path,
                      char **text, void (*note)(void *ud, const char *msg), void *ud,
                      vmssh_error_t *err)
{
    if (text)
        *text = NULL;
    if (!h || !logins || n_logins == 0 || (!out_path && !text))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "keys: no login given");
    for (size_t i = 0; i < n_logins; i++) {
        if (!vmssh_valid_github_login(logins[i]))
            return vmssh_fail(err, VMSSH_ERR_INVALID,
                              "bad GitHub login '%s' (letters, digits, single inner hyphens, at "
                              "most 39 characters)",
                              logins[i] ? logins[i] : "");
    }
    const vmssh_github_config_t *g = &h->cfg.github;
    vmssh_keyset_t set = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_logins; i++)
        rc = vmssh_keys_fetch(g, logins[i], &set, note, ud, err);
    if (rc == 0 && out_path)
        rc = vmssh_keys_write(out_path, &set, g->options, err);
    if (rc == 0 && text && !(*text = vmssh_keys_render(&set, g->options)))
        rc = vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    vmssh_keyset_free(&set);
    if (rc == 0)
        vmssh_ok(err);
    return rc;
}
