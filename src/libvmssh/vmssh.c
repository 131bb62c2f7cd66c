/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmssh.c - the handle and the transactions across subsystems:
 *
 *   open:  validate -> keys (issue 10) -> lock -> port -> forward -> DNS
 *          (port and forward: first without reading the ruleset, trusting
 *          the kernel to refuse a taken port; then, if refused, from it)
 *   close: lock -> DNS -> forward               (idempotent)
 *   renew: lock -> forward lease -> DNS lease
 *   reconcile: close every VM of the ruleset that is not live
 *
 * If a step of open fails, the steps before it are undone in reverse, so
 * the call leaves the host as it found it; the error message says so
 * ("nothing was left behind") or says what could not be undone. Close
 * removes the name before the forward: a crash in between leaves a
 * forward, which the ruleset still lists and reconcile removes, never a
 * name without a record of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmssh_int.h"

/* Leases longer than a year are refused (a typo, not a VM). */
#define VMSSH_MAX_LEASE_S (366u * 86400u)

vmssh_t *vmssh_new(const char *path, vmssh_error_t *err)
{
    vmssh_t *h = calloc(1, sizeof(*h));
    if (!h) {
        vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (vmssh_config_load(path, &h->cfg, err) < 0) {
        free(h);
        return NULL;
    }
    h->fwd = h->cfg.backend == VMSSH_BACKEND_IPTABLES ? &vmssh_fwd_iptables : &vmssh_fwd_nft;
    pthread_mutex_init(&h->mu, NULL);
    vmssh_ok(err);
    return h;
}

void vmssh_free(vmssh_t *h)
{
    if (!h)
        return;
    vmdns_registrar_close(h->reg);
    vmssh_config_free(&h->cfg);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void vmssh_entry_init_size(vmssh_entry_t *e, size_t size)
{
    memset(e, 0, size);
    e->struct_size = size;
}

void vmssh_open_opts_init_size(vmssh_open_opts_t *o, size_t size)
{
    memset(o, 0, size);
    o->struct_size = size;
}

/* The caller's options, copied into the library's layout (fields an older
 * caller does not have stay zero). */
static int opts_copy(const vmssh_open_opts_t *in, vmssh_open_opts_t *o, vmssh_error_t *err)
{
    if (!in || in->struct_size < offsetof(vmssh_open_opts_t, lease_s) + sizeof(uint32_t))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "open options: struct_size not set");
    memset(o, 0, sizeof(*o));
    size_t n = in->struct_size < sizeof(*o) ? in->struct_size : sizeof(*o);
    memcpy(o, in, n);
    for (size_t i = sizeof(*o); i < in->struct_size; i++) {
        if (((const unsigned char *)in)[i])
            return vmssh_fail(err, VMSSH_ERR_INVALID,
                              "open options: fields this library does not know are set");
    }
    return 0;
}

/* Validate everything open needs and fill e; touches nothing. */
static int open_validate(const vmssh_t *h, const vmssh_open_opts_t *o, vmssh_entry_t *e,
                         uint32_t *lease, vmssh_error_t *err)
{
    memset(e, 0, sizeof(*e));
    if (!vmssh_valid_vm_id(o->vm_id))
        return vmssh_fail(err, VMSSH_ERR_INVALID,
                          "bad VM id '%s' (letters, digits, '.', '_', '-'; at most 63)",
                          o->vm_id ? o->vm_id : "");
    if (!vmssh_valid_ipv4(o->vm_ip))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "bad VM address '%s' (an IPv4 address)",
                          o->vm_ip ? o->vm_ip : "");
    if (vmssh_normalize_name(o->name, e->name, sizeof(e->name)) < 0)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "bad name '%s' (a fully qualified host name)",
                          o->name ? o->name : "");
    if (o->user && !vmssh_valid_user(o->user))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "bad user '%s'", o->user);
    strcpy(e->vm_id, o->vm_id);
    strcpy(e->vm_ip, o->vm_ip);
    e->vm_port = h->cfg.vm_ssh_port;
    char comment[VMSSH_COMMENT_MAX + 1];
    if (vmssh_nft_comment(e, comment, sizeof(comment)) < 0)
        return vmssh_fail(err, VMSSH_ERR_INVALID,
                          "VM id and name too long: together at most %d characters (they are "
                          "kept in the ruleset's comment)",
                          VMSSH_COMMENT_MAX - 1);
    *lease = o->lease_s ? o->lease_s : h->cfg.dns.lease_s;
    if (*lease > VMSSH_MAX_LEASE_S)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "lease of %u s is longer than a year", *lease);
    return 0;
}

/* The keys step (issue 10): fetch the users' keys and write the
 * authorized_keys file before any rule exists. *created: the file did not
 * exist before (so a later failure removes it again). */
static int open_keys(vmssh_t *h, const vmssh_open_opts_t *o, bool *created, vmssh_error_t *err)
{
    *created = false;
    if (o->n_github_users == 0)
        return 0;
    if (!o->github_users || !o->authorized_keys || !*o->authorized_keys)
        return vmssh_fail(err, VMSSH_ERR_INVALID,
                          "GitHub users given without an authorized_keys file; nothing was "
                          "left behind");
    *created = access(o->authorized_keys, F_OK) != 0;
    if (vmssh_github_keys(h, o->github_users, o->n_github_users, o->authorized_keys, NULL,
                          o->keys_note, o->keys_note_ud, err) < 0) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n, "; nothing was left behind");
        return -1;
    }
    return 0;
}

/* Mark the ports the forwards of l hold. */
static void mark_list(const vmssh_fwd_list_t *l, uint8_t *used)
{
    for (size_t i = 0; i < l->n; i++)
        used[l->v[i].port >> 3] |= (uint8_t)(1u << (l->v[i].port & 7));
}

/* Pick a port not set in used and not held by a local socket. */
static int open_port(const vmssh_t *h, uint8_t *used, vmssh_entry_t *e, vmssh_error_t *err)
{
    /* Start at a random place: a port just freed is not handed out again
     * at once (a stale DNS answer would lead to the wrong VM). */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint32_t span = (uint32_t)h->cfg.port_hi - h->cfg.port_lo + 1;
    uint32_t rnd = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() * 2654435761u);
    uint16_t start = (uint16_t)(h->cfg.port_lo + rnd % span);
    for (;;) {
        e->port = vmssh_port_choose(h->cfg.port_lo, h->cfg.port_hi, used, start);
        if (!e->port)
            return vmssh_fail(err, VMSSH_ERR_NO_PORT, "no free port in %u-%u", h->cfg.port_lo,
                              h->cfg.port_hi);
        int bound = vmssh_port_bound(e->port);
        if (bound < 0)
            return vmssh_fail(err, VMSSH_ERR_SYSTEM, "probing port %u: %s", e->port,
                              strerror(errno));
        if (!bound)
            return 0;
        used[e->port >> 3] |= (uint8_t)(1u << (e->port & 7)); /* a local listener's */
        start = e->port;
    }
}

/* open of a VM the ruleset already has (old): the same address and name
 * keep its port and forward (an agent retrying); anything else is a
 * conflict. The lease, if given, is renewed; if not, the name gets what
 * is left of the forward's. */
static int open_again(vmssh_t *h, vmssh_entry_t *e, const vmssh_entry_t *old, uint32_t *lease,
                      vmssh_error_t *err)
{
    if (strcmp(old->vm_ip, e->vm_ip) != 0)
        return vmssh_fail(err, VMSSH_ERR_CONFLICT,
                          "VM %s is already open with address %s (port %u): close it first",
                          e->vm_id, old->vm_ip, old->port);
    if (strcmp(old->name, e->name) != 0)
        return vmssh_fail(err, VMSSH_ERR_CONFLICT,
                          "VM %s is already open as %s (port %u): close it first", e->vm_id,
                          old->name, old->port);
    int64_t expires = e->expires, now = (int64_t)time(NULL);
    *e = *old;
    if (*lease && h->fwd->renew(&h->cfg, old, expires, err) < 0)
        return -1;
    e->expires = *lease ? expires : old->expires;
    if (!*lease && old->expires) /* the name keeps the forward's lease */
        *lease = old->expires > now ? (uint32_t)(old->expires - now) : 1;
    return 0;
}

/* The forward step without reading the ruleset (nft): a port the hint
 * believes free, in a batch the kernel refuses if the port, the address
 * or the VM id is taken. *slow = 1 when the ruleset must be read. */
static int forward_fast(vmssh_t *h, vmssh_entry_t *e, int *slow, vmssh_error_t *err)
{
    *slow = 1;
    if (!h->fwd->fast)
        return 0;
    uint8_t *used = calloc(65536 / 8, 1);
    if (!used)
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    vmssh_hint_load(h->cfg.state_dir, used);
    int rc = open_port(h, used, e, err);
    free(used);
    if (rc < 0)
        return err->code == VMSSH_ERR_NO_PORT ? 0 : -1; /* the hint may be stale */
    if (h->fwd->add(&h->cfg, e, 0, err) == 0) {
        *slow = 0;
        vmssh_hint_update(h->cfg.state_dir, e->port, true);
        vmssh_note_store(h->cfg.state_dir, e);
        return 0;
    }
    return err->code == VMSSH_ERR_CONFLICT || err->code == VMSSH_ERR_NOT_FOUND ? 0 : -1;
}

/* The forward step from the whole ruleset (always for iptables). */
static int forward_slow(vmssh_t *h, vmssh_entry_t *e, uint32_t *lease, int *existed,
                        vmssh_error_t *err)
{
    vmssh_fwd_list_t l = {0};
    uint8_t *used = calloc(65536 / 8, 1);
    int rc = -1;
    if (!used)
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    if (h->fwd->list(&h->cfg, &l, err) < 0)
        goto out;
    mark_list(&l, used);
    vmssh_hint_store(h->cfg.state_dir, used); /* exact again (notes: reconcile) */
    const vmssh_entry_t *old = vmssh_fwd_find(&l, e->vm_id);
    if (old) {
        *existed = 1;
        rc = open_again(h, e, old, lease, err);
        if (rc == 0 && h->fwd->fast)
            vmssh_note_store(h->cfg.state_dir, e);
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.v[i].vm_ip, e->vm_ip) == 0) {
            vmssh_fail(err, VMSSH_ERR_CONFLICT, "address %s is already forwarded to VM %s",
                       e->vm_ip, l.v[i].vm_id);
            goto out;
        }
    }
    if (open_port(h, used, e, err) < 0 || h->fwd->add(&h->cfg, e, VMSSH_FWD_SETUP, err) < 0)
        goto out;
    vmssh_hint_update(h->cfg.state_dir, e->port, true);
    if (h->fwd->fast)
        vmssh_note_store(h->cfg.state_dir, e);
    rc = 0;
out:
    free(used);
    vmssh_fwd_list_free(&l);
    return rc;
}

static int open_locked(vmssh_t *h, vmssh_entry_t *e, uint32_t lease, vmssh_error_t *err)
{
    int existed = 0, slow = 1;
    e->expires = lease ? (int64_t)time(NULL) + lease : 0;
    if (vmssh_fault("port")) {
        vmssh_fail(err, VMSSH_ERR_NO_PORT, "no free port (test fault)");
        goto fail;
    }
    if (forward_fast(h, e, &slow, err) < 0)
        goto fail;
    if (slow && forward_slow(h, e, &lease, &existed, err) < 0)
        goto fail;
    if (vmssh_dns_register(&h->reg, &h->cfg, e, lease, err) < 0) {
        size_t n = strlen(err->message);
        if (existed) {
            snprintf(err->message + n, sizeof(err->message) - n,
                     "; the VM's existing forward (port %u) was kept", e->port);
            return -1;
        }
        vmssh_error_t undo;
        if (h->fwd->del(&h->cfg, e, &undo) < 0) {
            snprintf(err->message + n, sizeof(err->message) - n,
                     "; removing the forward again failed too (%s): run close or reconcile",
                     undo.message);
            return -1;
        }
        vmssh_hint_update(h->cfg.state_dir, e->port, false);
        vmssh_note_drop(h->cfg.state_dir, e->vm_id);
        goto fail;
    }
    return 0;
fail:
    if (!existed) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n, "; nothing was left behind");
    }
    return -1;
}

int vmssh_vm_open(vmssh_t *h, const vmssh_open_opts_t *opts, vmssh_entry_t *out, vmssh_error_t *err)
{
    vmssh_open_opts_t o;
    vmssh_entry_t e;
    uint32_t lease = 0;
    vmssh_error_t local;
    if (!err)
        err = &local;
    if (!h)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no handle");
    if (out && out->struct_size < sizeof(size_t))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "out: struct_size not set (vmssh_entry_init)");
    if (opts_copy(opts, &o, err) < 0 || open_validate(h, &o, &e, &lease, err) < 0)
        return -1;
    bool keys_created = false;
    if (open_keys(h, &o, &keys_created, err) < 0)
        return -1;
    pthread_mutex_lock(&h->mu);
    int fd = vmssh_lock(h->cfg.state_dir, err);
    int rc = -1;
    if (fd >= 0) {
        rc = open_locked(h, &e, lease, err);
        vmssh_unlock(fd);
    } else {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n, "; nothing was left behind");
    }
    pthread_mutex_unlock(&h->mu);
    if (rc < 0 && keys_created)
        unlink(o.authorized_keys); /* no forward: no keys file left behind */
    if (rc == 0) {
        if (out && out->struct_size >= sizeof(size_t)) {
            size_t n = out->struct_size < sizeof(e) ? out->struct_size : sizeof(e);
            e.struct_size = out->struct_size;
            memcpy(out, &e, n);
        }
        vmssh_ok(err);
    }
    return rc;
}

/* Remove one VM's name and forward (the lock is held). */
static int close_entry(vmssh_t *h, const vmssh_entry_t *e, vmssh_error_t *err)
{
    vmssh_error_t dns_err = {0};
    int dns_rc = e->name[0] ? vmssh_dns_deregister(&h->reg, &h->cfg, e->name, &dns_err) : 0;
    if (h->fwd->del(&h->cfg, e, err) < 0) {
        if (dns_rc < 0) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof(err->message) - n, "; and %s", dns_err.message);
        }
        return -1;
    }
    vmssh_hint_update(h->cfg.state_dir, e->port, false);
    vmssh_note_drop(h->cfg.state_dir, e->vm_id);
    if (dns_rc < 0)
        return vmssh_fail(err, VMSSH_ERR_DNS,
                          "%s; the forward was removed, the name goes when its lease ends",
                          dns_err.message);
    return 0;
}

/* One VM's forward from the ruleset. */
static int lookup(vmssh_t *h, const char *vm_id, vmssh_entry_t *e, int *found, vmssh_error_t *err)
{
    vmssh_fwd_list_t l = {0};
    int rc = h->fwd->list(&h->cfg, &l, err);
    const vmssh_entry_t *f = rc == 0 ? vmssh_fwd_find(&l, vm_id) : NULL;
    *found = f != NULL;
    if (f)
        *e = *f;
    if (rc == 0 && f && h->fwd->fast)
        vmssh_note_store(h->cfg.state_dir, f);
    vmssh_fwd_list_free(&l);
    return rc;
}

/* The VM as this host's note has it (nft only), else 0. */
static int noted(const vmssh_t *h, const char *vm_id, vmssh_entry_t *e)
{
    if (!h->fwd->fast || vmssh_note_load(h->cfg.state_dir, vm_id, e) < 0)
        return 0;
    e->vm_port = h->cfg.vm_ssh_port;
    return 1;
}

int vmssh_vm_close(vmssh_t *h, const char *vm_id, int *was_open, vmssh_error_t *err)
{
    vmssh_error_t local;
    if (!err)
        err = &local;
    if (was_open)
        *was_open = 0;
    if (!h)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no handle");
    if (!vmssh_valid_vm_id(vm_id))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "bad VM id '%s'", vm_id ? vm_id : "");
    pthread_mutex_lock(&h->mu);
    int rc = -1, fd = vmssh_lock(h->cfg.state_dir, err);
    if (fd >= 0) {
        vmssh_entry_t e;
        int found = 0;
        /* By the note; if the kernel says its elements are not there, by
         * the ruleset. */
        if (noted(h, vm_id, &e)) {
            rc = close_entry(h, &e, err);
            found = 1;
            if (rc < 0 && err->code == VMSSH_ERR_NOT_FOUND) {
                vmssh_note_drop(h->cfg.state_dir, vm_id);
                found = 0;
                rc = -2;
            }
        }
        if (rc != 0 && !found && lookup(h, vm_id, &e, &found, err) == 0) {
            rc = found ? close_entry(h, &e, err) : 0;
        }
        if (found && was_open)
            *was_open = 1;
        vmssh_unlock(fd);
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == 0)
        vmssh_ok(err);
    return rc;
}

int vmssh_vm_renew(vmssh_t *h, const char *vm_id, uint32_t lease_s, vmssh_error_t *err)
{
    vmssh_error_t local;
    if (!err)
        err = &local;
    if (!h)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no handle");
    if (!vmssh_valid_vm_id(vm_id))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "bad VM id '%s'", vm_id ? vm_id : "");
    if (!lease_s)
        lease_s = h->cfg.dns.lease_s;
    if (!lease_s)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no lease to renew (give one, or dns.lease)");
    if (lease_s > VMSSH_MAX_LEASE_S)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "lease of %u s is longer than a year", lease_s);
    pthread_mutex_lock(&h->mu);
    int rc = -1, fd = vmssh_lock(h->cfg.state_dir, err);
    if (fd >= 0) {
        vmssh_entry_t e;
        int found = 0, done = 0;
        int64_t expires = (int64_t)time(NULL) + lease_s;
        if (noted(h, vm_id, &e)) {
            if (h->fwd->renew(&h->cfg, &e, expires, err) == 0)
                done = 1;
            else if (err->code != VMSSH_ERR_NOT_FOUND)
                done = -1;
        }
        if (!done && lookup(h, vm_id, &e, &found, err) == 0) {
            if (!found)
                rc = vmssh_fail(err, VMSSH_ERR_NOT_FOUND, "VM %s is not open (or its lease ended)",
                                vm_id);
            else if (h->fwd->renew(&h->cfg, &e, expires, err) == 0)
                done = 1;
        }
        if (done == 1) {
            e.expires = expires;
            if (h->fwd->fast)
                vmssh_note_store(h->cfg.state_dir, &e);
            rc = vmssh_dns_renew(&h->reg, &h->cfg, &e, lease_s, err);
        }
        vmssh_unlock(fd);
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == 0)
        vmssh_ok(err);
    return rc;
}

static int by_port(const void *a, const void *b)
{
    return (int)((const vmssh_entry_t *)a)->port - (int)((const vmssh_entry_t *)b)->port;
}

int vmssh_list(vmssh_t *h, int (*cb)(const vmssh_entry_t *e, void *ud), void *ud,
               vmssh_error_t *err)
{
    if (!h || !cb)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no handle or callback");
    vmssh_fwd_list_t l = {0};
    pthread_mutex_lock(&h->mu);
    int rc = h->fwd->list(&h->cfg, &l, err);
    pthread_mutex_unlock(&h->mu);
    if (rc == 0) {
        if (l.n > 1) /* qsort must not see the NULL of an empty list */
            qsort(l.v, l.n, sizeof(*l.v), by_port);
        for (size_t i = 0; i < l.n; i++) {
            l.v[i].struct_size = sizeof(l.v[i]);
            if (cb(&l.v[i], ud))
                break;
        }
        vmssh_ok(err);
    }
    vmssh_fwd_list_free(&l);
    return rc;
}

int vmssh_reconcile(vmssh_t *h, const char *const *live, size_t n_live, size_t *removed,
                    vmssh_error_t *err)
{
    vmssh_error_t local;
    if (!err)
        err = &local;
    if (removed)
        *removed = 0;
    if (!h || (n_live && !live))
        return vmssh_fail(err, VMSSH_ERR_INVALID, "no handle or live list");
    for (size_t i = 0; i < n_live; i++) {
        if (!vmssh_valid_vm_id(live[i]))
            return vmssh_fail(err, VMSSH_ERR_INVALID, "bad VM id '%s' in the live list",
                              live[i] ? live[i] : "");
    }
    pthread_mutex_lock(&h->mu);
    int rc = -1, fd = vmssh_lock(h->cfg.state_dir, err);
    if (fd >= 0) {
        vmssh_fwd_list_t l = {0};
        /* The table as the config says (a changed external_interface). */
        if ((!h->fwd->ensure || h->fwd->ensure(&h->cfg, err) == 0) &&
            h->fwd->list(&h->cfg, &l, err) == 0) {
            rc = 0;
            int64_t now = (int64_t)time(NULL);
            for (size_t i = 0; i < l.n; i++) {
                const vmssh_entry_t *e = &l.v[i];
                int alive = 0;
                for (size_t j = 0; j < n_live && !alive; j++)
                    alive = strcmp(live[j], e->vm_id) == 0;
                if (alive && !(e->expires && e->expires <= now))
                    continue;
                vmssh_error_t one;
                if (close_entry(h, e, &one) < 0) {
                    if (rc == 0)
                        *err = one;
                    rc = -1;
                } else if (removed) {
                    (*removed)++;
                }
            }
        }
        vmssh_fwd_list_t now_open = {0};
        vmssh_error_t ignored;
        if (h->fwd->fast && h->fwd->list(&h->cfg, &now_open, &ignored) == 0)
            vmssh_notes_sync(h->cfg.state_dir, &now_open); /* exact again */
        vmssh_fwd_list_free(&now_open);
        vmssh_fwd_list_free(&l);
        vmssh_unlock(fd);
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == 0)
        vmssh_ok(err);
    return rc;
}
