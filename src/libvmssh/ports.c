/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ports.c - choosing a host port for a VM, and the lock that makes the
 * choice safe between processes.
 *
 * A port is free when no forward maps it (the ruleset, read under the
 * lock, or the hint the kernel checks; see notes.c) and no local socket
 * holds it (a bind probe, IPv4 and IPv6). The lock is flock() on state_dir/lock, held from reading
 * the ruleset until the new forward is in it, so two agents never pick the same port; the kernel
 * drops it if the process dies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmssh_int.h"

#define BIT_SET(m, p) ((m)[(p) >> 3] |= (uint8_t)(1u << ((p)&7)))
#define BIT_GET(m, p) (((m)[(p) >> 3] >> ((p)&7)) & 1u)

uint16_t vmssh_port_choose(uint16_t lo, uint16_t hi, const uint8_t *used, uint16_t start)
{
    if (lo == 0 || lo > hi)
        return 0;
    uint32_t span = (uint32_t)hi - lo + 1;
    uint32_t first = (start >= lo && start <= hi) ? (uint32_t)start - lo : 0;
    for (uint32_t i = 0; i < span; i++) {
        uint32_t p = lo + (first + i) % span;
        if (!BIT_GET(used, p))
            return (uint16_t)p;
    }
    return 0;
}

/* Can a socket of this family bind the port on every address? */
static int bind_probe(int family, uint16_t port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno == EAFNOSUPPORT ? 1 : -1; /* no IPv6 here: nothing to hold it */
    int rc;
    if (family == AF_INET6) {
        int on = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
        struct sockaddr_in6 a = {
            .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT};
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a = {
            .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    }
    int e = errno;
    close(fd);
    if (rc == 0)
        return 1;
    return e == EADDRINUSE || e == EACCES ? 0 : -1;
}

int vmssh_port_bound(uint16_t port)
{
    /* Without SO_REUSEADDR a wildcard bind conflicts with any socket bound
     * to the port, on any address, listening or not: what a forward would
     * shadow. (Reading /proc/net/tcp instead walks the kernel's whole
     * socket hash, tens of milliseconds on a busy host.) */
    int v4 = bind_probe(AF_INET, port), v6 = bind_probe(AF_INET6, port);
    if (v4 < 0 || v6 < 0)
        return -1;
    return !(v4 && v6);
}

int vmssh_lock(const char *state_dir, vmssh_error_t *err)
{
    if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "state_dir %s: %s", state_dir, strerror(errno));
    char path[4096];
    snprintf(path, sizeof(path), "%s/lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return vmssh_fail(err, VMSSH_ERR_SYSTEM, "%s: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return vmssh_fail(err, VMSSH_ERR_SYSTEM, "lock %s: %s", path, strerror(e));
        }
    }
    return fd;
}

void vmssh_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

int vmssh_fwd_list_add(vmssh_fwd_list_t *l, const vmssh_entry_t *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        vmssh_entry_t *nv = realloc(l->v, cap * sizeof(*nv));
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *e;
    return 0;
}

void vmssh_fwd_list_free(vmssh_fwd_list_t *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

const vmssh_entry_t *vmssh_fwd_find(const vmssh_fwd_list_t *l, const char *vm_id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].vm_id, vm_id) == 0)
            return &l->v[i];
    }
    return NULL;
}

bool vmssh_fault(const char *step)
{
    const char *test = getenv("VMSSH_TEST");
    const char *at = getenv("VMSSH_FAIL_AT");
    if (!test || strcmp(test, "1") != 0 || !at)
        return false;
    /* A comma-separated list of steps. */
    size_t n = strlen(step);
    for (const char *p = at; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && strncmp(p, step, n) == 0)
            return true;
        p += l;
        if (*p == ',')
            p++;
    }
    return false;
}

/* state_dir/ports.hint, or "" if the path does not fit. */
static void hint_path(const char *state_dir, char *buf, size_t cap)
{
    if ((size_t)snprintf(buf, cap, "%s/ports.hint", state_dir) >= cap)
        buf[0] = '\0';
}

void vmssh_hint_load(const char *state_dir, uint8_t *used)
{
    char path[4096];
    hint_path(state_dir, path, sizeof(path));
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return; /* no hint: every port looks free; the kernel will say */
    uint8_t buf[65536 / 8];
    if (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf)) {
        for (size_t i = 0; i < sizeof(buf); i++)
            used[i] |= buf[i];
    }
    close(fd);
}

void vmssh_hint_store(const char *state_dir, const uint8_t *used)
{
    char path[4096], tmp[4200];
    hint_path(state_dir, path, sizeof(path));
    if (!path[0])
        return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    int ok = write(fd, used, 65536 / 8) == 65536 / 8;
    close(fd);
    if (!ok || rename(tmp, path) < 0)
        unlink(tmp);
}

void vmssh_hint_update(const char *state_dir, uint16_t port, bool set)
{
    uint8_t *m = calloc(65536 / 8, 1);
    if (!m)
        return;
    vmssh_hint_load(state_dir, m);
    if (set)
        BIT_SET(m, port);
    else
        m[port >> 3] &= (uint8_t) ~(1u << (port & 7));
    vmssh_hint_store(state_dir, m);
    free(m);
}
