/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * write.c - register and deregister VMs: the agent's hot path.
 *
 * Each VM is validated and encoded first (nothing is sent if it is bad),
 * then a chunk of VMs costs two round trips however large it is: one
 * pipeline of TYPE lookups to find their zones, one pipeline of
 * MULTI/HSET/HDEL/XADD/EXEC transactions (one per VM, so each VM is atomic
 * on its own and one bad VM does not hold back the others).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "registrar_int.h"

#define CHUNK 512 /* VMs per pipeline */

/* One VM, validated and encoded. */
typedef struct prep {
    char name[VMDNS_NAME_MAXTEXT];     /* canonical */
    char srv_name[VMDNS_NAME_MAXTEXT]; /* "_ssh._tcp." + name, "" if too long */
    char *json;                        /* value of the name's field */
    char *srv_json;                    /* value of _ssh._tcp.<name>, or NULL */
    uint8_t a[4], aaaa[16];
    int has_a, has_aaaa;
    uint16_t ssh_port;
    vmdns_error_t e;
} prep_t;

/* The SRV owner "_ssh._tcp.<name>" of a canonical name into out; -1 (out
 * empty) if it would be longer than a DNS name may be. */
static int srv_owner(const char *name, char out[VMDNS_NAME_MAXTEXT])
{
    static const char pre[] = "_ssh._tcp.";
    uint8_t wire[VMDNS_NAME_MAXWIRE];
    size_t wl, nl = strlen(name);
    out[0] = '\0';
    if (vmdns_name_to_wire(name, wire, &wl, NULL) < 0 ||
        wl + sizeof(pre) - 1 > VMDNS_NAME_MAXWIRE || sizeof(pre) + nl > VMDNS_NAME_MAXTEXT)
        return -1;
    memcpy(out, pre, sizeof(pre) - 1);
    memcpy(out + sizeof(pre) - 1, name, nl + 1);
    return 0;
}

/* Validate and encode one VM. */
static int prepare(vmdns_registrar_t *r, const vmdns_vm_t *vm, prep_t *p)
{
    vmdns_error_t *err = &p->e;
    vmdns_rr_t rrs[2];
    size_t n = 0;
    if (!vm || !vm->name)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "VM without a name");
    if (vmdns_hostname_check(vm->name, err) < 0 ||
        vmdns_name_canonical(vm->name, p->name, sizeof(p->name), err) < 0)
        return -1;
    uint32_t ttl = vm->ttl ? vm->ttl : r->default_ttl;
    if (ttl > VMDNS_MAX_TTL)
        return vmdns_fail(err, VMDNS_ERR_TTL, "%s: TTL %u above %u", p->name, ttl, VMDNS_MAX_TTL);
    if (vm->ipv4 && *vm->ipv4) {
        if (inet_pton(AF_INET, vm->ipv4, p->a) != 1)
            return vmdns_fail(err, VMDNS_ERR_ADDRESS, "bad IPv4 address '%.60s'", vm->ipv4);
        rrs[n++] = (vmdns_rr_t){VMDNS_TYPE_A, ttl, 4, p->a};
        p->has_a = 1;
    }
    if (vm->ipv6 && *vm->ipv6) {
        if (inet_pton(AF_INET6, vm->ipv6, p->aaaa) != 1)
            return vmdns_fail(err, VMDNS_ERR_ADDRESS, "bad IPv6 address '%.60s'", vm->ipv6);
        rrs[n++] = (vmdns_rr_t){VMDNS_TYPE_AAAA, ttl, 16, p->aaaa};
        p->has_aaaa = 1;
    }
    if (n == 0)
        return vmdns_fail(err, VMDNS_ERR_ADDRESS, "%s: no IPv4 or IPv6 address given", p->name);
    int64_t expires = vm->lease_s ? vmdns_reg_now() + vm->lease_s : 0;
    if (!(p->json = vmdns_record_to_json(rrs, n, expires, err)))
        return -1;
    p->ssh_port = vm->ssh_port;
    if (srv_owner(p->name, p->srv_name) < 0 && vm->ssh_port)
        return vmdns_fail(err, VMDNS_ERR_NAME, "%s: too long for its _ssh._tcp SRV name", p->name);
    if (vm->ssh_port) {
        uint8_t srv[6 + VMDNS_NAME_MAXWIRE];
        size_t nl;
        codec_put16(srv, 0);
        codec_put16(srv + 2, 0);
        codec_put16(srv + 4, vm->ssh_port);
        if (vmdns_name_to_wire(p->name, srv + 6, &nl, err) < 0)
            return -1;
        vmdns_rr_t rr = {VMDNS_TYPE_SRV, ttl, (uint16_t)(6 + nl), srv};
        if (!(p->srv_json = vmdns_record_to_json(&rr, 1, expires, err)))
            return -1;
    }
    vmdns_ok(err);
    return 0;
}

/* Read VM i of the caller's array (its stride is vms[0].struct_size, the
 * caller's sizeof(vmdns_vm_t)) into the library's layout and prepare it. */
static void prepare_at(vmdns_registrar_t *r, const vmdns_vm_t *vms, size_t i, prep_t *p)
{
    size_t stride = vms[0].struct_size;
    const vmdns_vm_t *given = (const vmdns_vm_t *)(const void *)((const char *)vms + i * stride);
    vmdns_vm_t vm = {0};
    if (stride < sizeof(size_t)) {
        vmdns_fail(&p->e, VMDNS_ERR_INVALID, "VM: struct_size not set (use VMDNS_VM_INIT)");
        return;
    }
    if (given->struct_size != stride) {
        vmdns_fail(&p->e, VMDNS_ERR_INVALID, "VM %zu: struct_size %zu, the array's is %zu", i,
                   given->struct_size, stride);
        return;
    }
    if (vmdns_abi_copy_in(&vm, sizeof(vm), given, stride, "VM", &p->e) == 0)
        prepare(r, &vm, p);
}

/* "_ssh._tcp." + field ("_ssh._tcp" at an apex). */
static void srv_field(const char *field, char *out, size_t cap)
{
    if (strcmp(field, "@") == 0)
        snprintf(out, cap, "_ssh._tcp");
    else
        snprintf(out, cap, "_ssh._tcp.%s", field);
}

/* The DNS checks that show a VM registered (or gone, if !present). */
static size_t vm_checks(const prep_t *p, int present, vis_check_t *c)
{
    size_t n = 0;
    if (!present || p->has_a) {
        snprintf(c[n].name, sizeof(c[n].name), "%s", p->name);
        c[n].qtype = VMDNS_TYPE_A;
        c[n].present = present;
        memcpy(c[n].rdata, p->a, 4);
        c[n++].rdlen = 4;
    }
    if (!present || p->has_aaaa) {
        snprintf(c[n].name, sizeof(c[n].name), "%s", p->name);
        c[n].qtype = VMDNS_TYPE_AAAA;
        c[n].present = present;
        memcpy(c[n].rdata, p->aaaa, 16);
        c[n++].rdlen = 16;
    }
    if ((!present || p->ssh_port) && p->srv_name[0]) { /* no SRV can exist at a too-long name */
        size_t nl;
        memcpy(c[n].name, p->srv_name, sizeof(c[n].name));
        c[n].qtype = VMDNS_TYPE_SRV;
        c[n].present = present;
        memset(c[n].rdata, 0, 4);
        codec_put16(c[n].rdata + 4, p->ssh_port);
        if (vmdns_name_to_wire(p->name, c[n].rdata + 6, &nl, NULL) == 0) {
            c[n].rdlen = 6 + nl;
            n++;
        }
    }
    return n;
}

/* Wait until the servers show the state of the written VMs. */
static int wait_vms(vmdns_registrar_t *r, prep_t *p, size_t n, int present, vmdns_error_t *err)
{
    if (!r->n_visible)
        return 0;
    vis_check_t *c = calloc(3 * n, sizeof(*c));
    size_t nc = 0;
    if (!c)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (p[i].e.code == VMDNS_OK)
            nc += vm_checks(&p[i], present, c + nc);
    int rc = vmdns_visible_wait(r->visible, r->n_visible, c, nc, r->visible_timeout_ms, err);
    free(c);
    return rc;
}

/* Find zones for the prepared VMs of a chunk and write them. */
static void write_chunk(vmdns_registrar_t *r, prep_t *p, size_t n)
{
    const char *names[CHUNK];
    size_t idx[CHUNK], m = 0;
    long zoff[CHUNK];
    vmdns_error_t e;
    for (size_t i = 0; i < n; i++)
        if (p[i].e.code == VMDNS_OK) {
            idx[m] = i;
            names[m++] = p[i].name;
        }
    if (m == 0)
        return;
    if (vmdns_zone_resolve(r, names, m, zoff, &e) < 0) {
        for (size_t k = 0; k < m; k++)
            p[idx[k]].e = e;
        return;
    }
    vmdns_batch_t b = {0};
    size_t exec_at[CHUNK], queued[CHUNK];
    for (size_t k = 0; k < m; k++) {
        prep_t *q = &p[idx[k]];
        exec_at[k] = SIZE_MAX;
        if (zoff[k] < 0) {
            vmdns_fail(&q->e, VMDNS_ERR_NO_ZONE, "%s is in no zone of the backend", q->name);
            continue;
        }
        if (zoff[k] == 0) {
            vmdns_fail(&q->e, VMDNS_ERR_CONFLICT, "%s is a zone apex, not a VM name", q->name);
            continue;
        }
        char field[VMDNS_NAME_MAXTEXT], sfield[VMDNS_NAME_MAXTEXT + 16];
        vmdns_zone_field(q->name, (size_t)zoff[k], field, sizeof(field));
        srv_field(field, sfield, sizeof(sfield));
        char *key = vmdns_reg_zone_key(r, q->name + zoff[k]);
        if (!key) {
            vmdns_fail(&q->e, VMDNS_ERR_NOMEM, "out of memory");
            continue;
        }
        vmdns_change_t ch[2] = {{field, q->json}, {sfield, q->srv_json}};
        size_t before = b.ncmd;
        exec_at[k] = vmdns_txn_append(&r->txn, &b, key, q->name + zoff[k], ch, 2);
        queued[k] = exec_at[k] - before - 1; /* the commands between MULTI and EXEC */
        free(key);
    }
    redisReply **rep = NULL;
    if (b.ncmd > 0 && vmdns_txn_run(&r->txn, &b, &rep, &e) < 0) {
        for (size_t k = 0; k < m; k++)
            if (exec_at[k] != SIZE_MAX)
                p[idx[k]].e = e;
    } else if (rep) {
        for (size_t k = 0; k < m; k++)
            if (exec_at[k] != SIZE_MAX)
                vmdns_txn_queued_ok(rep, exec_at[k] - queued[k], exec_at[k], &p[idx[k]].e);
        vmdns_conn_free_replies(rep, b.ncmd);
    }
    vmdns_batch_free(&b);
}

/* Register n VMs: each chunk is written with the handle's lock held (it
 * guards the connection), and waited for without it, so a slow or never
 * visible name holds back only its own caller. */
static int register_vms(vmdns_registrar_t *r, const vmdns_vm_t *vms, size_t n, vmdns_error_t *errs,
                        size_t *n_ok, vmdns_error_t *err)
{
    prep_t *p = calloc(n < CHUNK ? n : CHUNK, sizeof(*p));
    size_t ok = 0;
    int first_bad = -1, rc = 0;
    if (!p)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    for (size_t base = 0; base < n; base += CHUNK) {
        size_t cn = n - base < CHUNK ? n - base : CHUNK;
        memset(p, 0, cn * sizeof(*p));
        for (size_t i = 0; i < cn; i++)
            prepare_at(r, vms, base + i, &p[i]);
        pthread_mutex_lock(&r->lock);
        write_chunk(r, p, cn);
        pthread_mutex_unlock(&r->lock);
        vmdns_error_t we;
        int vis = wait_vms(r, p, cn, 1, &we);
        for (size_t i = 0; i < cn; i++) {
            if (errs)
                errs[base + i] = p[i].e;
            if (p[i].e.code == VMDNS_OK)
                ok++;
            else if (first_bad < 0) {
                first_bad = (int)(base + i);
                if (err)
                    *err = p[i].e;
            }
            free(p[i].json);
            free(p[i].srv_json);
        }
        if (vis < 0 && rc == 0) {
            rc = -1;
            if (first_bad < 0 && err)
                *err = we;
        }
    }
    free(p);
    if (n_ok)
        *n_ok = ok;
    if (first_bad >= 0)
        return -1;
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}

int vmdns_register_vms(vmdns_registrar_t *r, const vmdns_vm_t *vms, size_t n, vmdns_error_t *errs,
                       size_t *n_ok, vmdns_error_t *err)
{
    if (!r || (!vms && n))
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar or no VMs");
    return register_vms(r, vms, n, errs, n_ok, err);
}

int vmdns_register_vm(vmdns_registrar_t *r, const vmdns_vm_t *vm, vmdns_error_t *err)
{
    if (!vm)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no VM");
    return vmdns_register_vms(r, vm, 1, NULL, NULL, err);
}

/* The write of a deregistration, with the lock held; p gets the name. */
static int deregister_locked(vmdns_registrar_t *r, const char *fqdn, prep_t *p, vmdns_error_t *err)
{
    if (!fqdn)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no name");
    if (vmdns_owner_name_check(fqdn, err) < 0 ||
        vmdns_name_canonical(fqdn, p->name, sizeof(p->name), err) < 0)
        return -1;
    srv_owner(p->name, p->srv_name);
    const char *names[1] = {p->name};
    long zoff;
    if (vmdns_zone_resolve(r, names, 1, &zoff, err) < 0)
        return -1;
    if (zoff < 0)
        return vmdns_fail(err, VMDNS_ERR_NO_ZONE, "%s is in no zone of the backend", p->name);
    if (zoff == 0)
        return vmdns_fail(err, VMDNS_ERR_CONFLICT,
                          "%s is a zone apex; deregistering it would delete the zone's SOA",
                          p->name);
    char field[VMDNS_NAME_MAXTEXT], sfield[VMDNS_NAME_MAXTEXT + 16];
    vmdns_zone_field(p->name, (size_t)zoff, field, sizeof(field));
    srv_field(field, sfield, sizeof(sfield));
    char *key = vmdns_reg_zone_key(r, p->name + zoff);
    if (!key)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    vmdns_change_t ch[2] = {{field, NULL}, {sfield, NULL}};
    vmdns_batch_t b = {0};
    size_t at = vmdns_txn_append(&r->txn, &b, key, p->name + zoff, ch, 2);
    free(key);
    redisReply **rep;
    int rc = vmdns_txn_run(&r->txn, &b, &rep, err);
    if (rc == 0) {
        rc = vmdns_txn_queued_ok(rep, 1, at, err);
        vmdns_conn_free_replies(rep, b.ncmd);
    }
    vmdns_batch_free(&b);
    return rc;
}

int vmdns_deregister(vmdns_registrar_t *r, const char *fqdn, vmdns_error_t *err)
{
    if (!r)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar");
    prep_t p = {0};
    pthread_mutex_lock(&r->lock);
    int rc = deregister_locked(r, fqdn, &p, err);
    pthread_mutex_unlock(&r->lock);
    if (rc == 0) /* without the lock: other threads keep writing meanwhile */
        rc = wait_vms(r, &p, 1, 0, err);
    if (rc == 0)
        vmdns_ok(err);
    return rc;
}
