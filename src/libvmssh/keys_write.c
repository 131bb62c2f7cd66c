/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys_write.c - writes the authorized_keys file a VM's sshd reads: all or
 * nothing (a temp file in the same directory, fsync'ed, renamed over the
 * target), mode 0600, one checked key a line with the login in its comment
 * so an operator sees whose key it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmssh_int.h"

static bool options_ok(const char *options)
{
    for (const char *p = options; p && *p; p++) {
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return false;
    }
    return true;
}

char *vmssh_keys_render(const vmssh_keyset_t *set, const char *options)
{
    if (options && !*options)
        options = NULL;
    size_t total = 1;
    for (size_t i = 0; i < set->n; i++)
        total += (options ? strlen(options) + 1 : 0) + strlen(set->v[i].key) + 8 +
                 strlen(set->v[i].login) + 1;
    char *out = malloc(total), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        p += sprintf(p, "%s%s%s github:%s\n", options ? options : "", options ? " " : "",
                     set->v[i].key, set->v[i].login);
    *p = '\0';
    return out;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int vmssh_keys_write(const char *path, const vmssh_keyset_t *set, const char *options,
                     vmssh_error_t *err)
{
    if (!options_ok(options))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "key options: control characters");
    char *text = vmssh_keys_render(set, options);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp || !text) {
        free(text);
        free(tmp);
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(text);
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "%s: cannot create a temp file beside it: %s",
                          path, strerror(e));
    }
    int rc = fchmod(fd, 0600);
    if (rc == 0)
        rc = write_all(fd, text, strlen(text));
    if (rc == 0)
        rc = fsync(fd);
    int e = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        e = errno;
    }
    free(text);
    if (rc < 0) {
        unlink(tmp);
        free(tmp);
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "%s: cannot write: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}
