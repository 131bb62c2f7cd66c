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
    if (options) {
        for (const char *p = options; *p; p++) {
            if ((unsigned char)*p < ' ' || *p == 0x7f)
                return vmssh_fail(err, VMSSH_ERR_INVALID, "key options: control characters");
        }
        if (!*options)
            options = NULL;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "%s: cannot create a temp file beside it: %s",
                          path, strerror(e));
    }
    int rc = fchmod(fd, 0600);
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        if (options && (write_all(fd, options, strlen(options)) < 0 || write_all(fd, " ", 1) < 0))
            rc = -1;
        else if (write_all(fd, set->v[i].key, strlen(set->v[i].key)) < 0 ||
                 write_all(fd, " github:", 8) < 0 ||
                 write_all(fd, set->v[i].login, strlen(set->v[i].login)) < 0 ||
                 write_all(fd, "\n", 1) < 0)
            rc = -1;
    }
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
    if (rc < 0) {
        unlink(tmp);
        free(tmp);
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "%s: cannot write: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}
