/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * renew.c - renewing a VM's lease from what the agent holds, so that an
 * agent's periodic renew also repairs the data (issue 13, point 3).
 *
 * Redis is not the only copy of a registration: the agent that created the
 * VM knows its name, addresses and SSH port for as long as the VM lives.
 * When the backend has lost a name (a node restarted without persistence,
 * a write acknowledged by a master that then lost a failover), a plain
 * lease renewal could only fail with "not found" and the VM would stay
 * nameless. vmdns_renew_vm instead looks at both fields of the VM (the
 * name and its `_ssh._tcp.` SRV) and, if either one the VM should have is
 * missing, writes the VM again through the normal registration path; if
 * both are there it changes only the lease, leaving the stored records as
 * they are (another writer may have set more types on the name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar_int.h"

/* Which of the VM's fields exist: bit 0 the name, bit 1 the SRV. */
static int present_fields(vmdns_registrar_t *r, const char *name, vmdns_error_t *err)
{
    const char *names[1] = {name};
    long zoff;
    char field[VMDNS_NAME_MAXTEXT], sfield[VMDNS_NAME_MAXTEXT + 16];
    if (vmdns_zone_resolve(r, names, 1, &zoff, err) < 0)
        return -1;
    if (zoff < 0)
        return vmdns_fail(err, VMDNS_ERR_NO_ZONE, "%s is in no zone of the backend", name);
    if (zoff == 0)
        return vmdns_fail(err, VMDNS_ERR_CONFLICT, "%s is a zone apex, not a VM name", name);
    vmdns_zone_field(name, (size_t)zoff, field, sizeof(field));
    snprintf(sfield, sizeof(sfield), "_ssh._tcp.%s", field);
    char *key = vmdns_reg_zone_key(r, name + zoff);
    if (!key)
        return vmdns_fail(err, VMDNS_ERR_NOMEM, "out of memory");
    vmdns_batch_t b = {0};
    vmdns_batch_cmd(&b, "HEXISTS", key, field, NULL);
    vmdns_batch_cmd(&b, "HEXISTS", key, sfield, NULL);
    free(key);
    redisReply **rep;
    int rc = vmdns_conn_run(&r->conn, &b, 0, &rep, err);
    vmdns_batch_free(&b);
    if (rc < 0)
        return -1;
    if (rep[0]->type != REDIS_REPLY_INTEGER || rep[1]->type != REDIS_REPLY_INTEGER)
        rc = vmdns_fail(err, VMDNS_ERR_BACKEND, "HEXISTS: %s",
                        rep[0]->type == REDIS_REPLY_ERROR ? rep[0]->str : "odd reply");
    else
        rc = (rep[0]->integer ? 1 : 0) | (rep[1]->integer ? 2 : 0);
    vmdns_conn_free_replies(rep, 2);
    return rc;
}

int vmdns_renew_vm(vmdns_registrar_t *r, const vmdns_vm_t *given, int *healed, vmdns_error_t *err)
{
    vmdns_vm_t vm = {0};
    char name[VMDNS_NAME_MAXTEXT];
    if (healed)
        *healed = 0;
    if (!r || !given)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "no registrar or no VM");
    if (vmdns_abi_copy_in(&vm, sizeof(vm), given, given->struct_size, "VM", err) < 0)
        return -1;
    if (vm.lease_s == 0)
        return vmdns_fail(err, VMDNS_ERR_TTL, "a lease must be at least one second");
    if (!vm.name || vmdns_owner_name_check(vm.name, err) < 0 ||
        vmdns_name_canonical(vm.name, name, sizeof(name), err) < 0)
        return vm.name ? -1 : vmdns_fail(err, VMDNS_ERR_INVALID, "VM without a name");
    pthread_mutex_lock(&r->lock);
    int have = present_fields(r, name, err);
    pthread_mutex_unlock(&r->lock);
    if (have < 0)
        return -1;
    int want = 1 | (vm.ssh_port ? 2 : 0);
    if ((have & want) == want) {
        vmdns_error_t e;
        int rc = vmdns_renew(r, name, vm.lease_s, &e);
        if (err)
            *err = e;
        if (rc == 0 || e.code != VMDNS_ERR_NOT_FOUND)
            return rc;
        /* deleted between the look and the renew: write it again */
    }
    if (vmdns_register_vm(r, &vm, err) < 0)
        return -1;
    if (healed)
        *healed = 1;
    return 0;
}
