/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dns.c - the DNS step of open/close/renew, through libvmdns: the VM's
 * name gets A (and AAAA) = the host's public address and `_ssh._tcp.<name>`
 * SRV = its host port, with the lease of the forward. The registrar handle
 * is opened at the first DNS step and kept in the vmssh handle (an agent
 * keeps one connection); without a dns: section the step does nothing.
 * A renew also heals: a name the backend lost is written again from what
 * the host knows (vmdns_renew_vm).
 */
#include <string.h>

#include "vmssh_int.h"

static int dns_connect(vmdns_registrar_t **r, const vmssh_config_t *c, vmssh_error_t *err)
{
    if (*r)
        return 0;
    const vmssh_dns_config_t *d = &c->dns;
    vmdns_registrar_opts_t o;
    vmdns_registrar_opts_init(&o);
    o.nodes = (const char *const *)d->nodes;
    o.n_nodes = d->n_nodes;
    o.sentinels = (const char *const *)d->sentinels;
    o.n_sentinels = d->n_sentinels;
    o.master_name = d->master;
    o.sentinel_password = d->sentinel_password;
    o.username = d->username;
    o.password = d->password;
    o.db = d->db;
    o.prefix = d->prefix;
    o.suffix = d->suffix;
    if (d->ttl)
        o.default_ttl = d->ttl;
    if (d->timeout_ms) {
        o.connect_timeout_ms = d->timeout_ms;
        o.command_timeout_ms = d->timeout_ms;
        o.failover_timeout_ms = d->timeout_ms;
    }
    if (d->min_replicas_set)
        o.min_replicas = d->min_replicas;
    if (d->min_replicas_timeout_ms)
        o.min_replicas_timeout_ms = d->min_replicas_timeout_ms;
    o.wait_visible = (const char *const *)d->wait_visible;
    o.n_wait_visible = d->n_wait_visible;
    vmdns_error_t e;
    *r = vmdns_registrar_open(&o, &e);
    if (!*r)
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: %s", e.message);
    return 0;
}

/* The VM as libvmdns sees it: the host's public addresses, the host port
 * as the SSH port, the lease. */
static void vm_of(const vmssh_config_t *c, const vmssh_entry_t *e, uint32_t lease_s, vmdns_vm_t *vm)
{
    vmdns_vm_init(vm);
    vm->name = e->name;
    vm->ipv4 = c->public_ipv4;
    vm->ipv6 = c->public_ipv6[0] ? c->public_ipv6 : NULL;
    vm->ssh_port = e->port;
    vm->ttl = c->dns.ttl;
    vm->lease_s = lease_s;
}

int vmssh_dns_register(vmdns_registrar_t **r, const vmssh_config_t *c, const vmssh_entry_t *e,
                       uint32_t lease_s, vmssh_error_t *err)
{
    if (!c->dns.enabled)
        return 0;
    if (vmssh_fault("dns"))
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: registering %s failed (test fault)", e->name);
    if (dns_connect(r, c, err) < 0)
        return -1;
    vmdns_vm_t vm;
    vm_of(c, e, lease_s, &vm);
    vmdns_error_t de;
    if (vmdns_register_vm(*r, &vm, &de) < 0)
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: registering %s failed: %s", e->name,
                          de.message);
    return 0;
}

int vmssh_dns_deregister(vmdns_registrar_t **r, const vmssh_config_t *c, const char *name,
                         vmssh_error_t *err)
{
    if (!c->dns.enabled)
        return 0;
    if (vmssh_fault("close-dns"))
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: removing %s failed (test fault)", name);
    if (dns_connect(r, c, err) < 0)
        return -1;
    vmdns_error_t de;
    if (vmdns_deregister(*r, name, &de) < 0)
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: removing %s failed: %s", name, de.message);
    return 0;
}

int vmssh_dns_renew(vmdns_registrar_t **r, const vmssh_config_t *c, const vmssh_entry_t *e,
                    uint32_t lease_s, vmssh_error_t *err)
{
    if (!c->dns.enabled || lease_s == 0)
        return 0;
    if (dns_connect(r, c, err) < 0)
        return -1;
    vmdns_vm_t vm;
    vm_of(c, e, lease_s, &vm);
    vmdns_error_t de;
    if (vmdns_renew_vm(*r, &vm, NULL, &de) < 0)
        return vmssh_fail(err, VMSSH_ERR_DNS, "DNS: renewing %s failed: %s", e->name, de.message);
    return 0;
}
