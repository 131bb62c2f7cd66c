/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmdns/registrar.h - publish VM names into the Redis backends vmdnsd serves.
 *
 * A host agent opens one registrar handle, calls vmdns_register_vm() when a
 * VM starts and vmdns_deregister() when it is purged. Every write is one
 * atomic Redis transaction (MULTI/EXEC, or for read-modify-write operations
 * one Lua compare-and-set script) that changes the zone hash AND appends to
 * the change stream `<prefix>vmdns:changes<suffix>` as
 *   XADD ... MAXLEN ~ <stream_maxlen> * zone <z> name <n> op set|del value <json|"">
 * so vmdnsd sees all of a change or none of it, in order.
 *
 * The zone of a name is the longest zone hash present in the backend
 * (`<prefix><zone with final dot><suffix>` of type hash) that is a suffix of
 * the name; a name outside every zone is an error. Fields are owner names
 * relative to the zone, lower-cased ("vm-1", "_ssh._tcp.vm-1", "@").
 * Input is validated completely before anything is written; a call that
 * fails validation writes nothing.
 *
 * Failover: writes go to the current master. On a connection error, a
 * timeout, or a READONLY/MASTERDOWN/LOADING reply, the handle moves to the
 * next node (or asks the sentinels for the master, checking ROLE), and
 * retries the write once; writes are idempotent, so a retry of a write that
 * did land is harmless. A write is reported successful only after its EXEC
 * reply was read and, when the master has replicas, WAIT confirmed it on
 * them (min_replicas); otherwise the call fails with VMDNS_ERR_UNCONFIRMED
 * or VMDNS_ERR_CONNECT. A Redis that refuses a write for lack of memory
 * gives VMDNS_ERR_BACKEND, "Redis is out of memory ...".
 *
 * Leases: a VM registered with `lease_s` carries "expires" = now + lease_s
 * (the caller's clock). vmdnsd hides expired names; vmdns_gc() deletes them.
 *
 * Threads: a handle may be shared between threads; the Redis round trips of
 * calls on one handle are serialised by an internal mutex. The wait_visible
 * wait runs without it: one thread waiting for DNS never holds back another
 * thread's writes.
 * For throughput use vmdns_register_vms() (pipelined) or one handle per
 * thread. Blocking I/O: every call may block up to the configured timeouts.
 */
#ifndef VMDNS_REGISTRAR_H
#define VMDNS_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

#include "vmdns/error.h"
#include "vmdns/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vmdns_registrar vmdns_registrar_t;

/*
 * Growing structs: the two structs a caller allocates (the options and a VM)
 * start with `struct_size`, the sizeof the caller was compiled with, so
 * later versions can add fields at the end without breaking programs built
 * against an older header. Set it with vmdns_registrar_opts_init() /
 * vmdns_vm_init() (macros passing sizeof) or VMDNS_VM_INIT, or by hand from
 * a language without the header. The library reads only the first
 * struct_size bytes: fields an older caller does not have take their
 * defaults; a caller newer than the library may pass a bigger struct only
 * if every field this library does not know is zero (else
 * VMDNS_ERR_INVALID). struct_size 0 is refused.
 */

/* How to reach the backend. Fill with vmdns_registrar_opts_init() first,
 * then set what you need. Strings are copied by vmdns_registrar_open(). */
typedef struct vmdns_registrar_opts {
    size_t struct_size; /* sizeof(vmdns_registrar_opts_t): set by vmdns_registrar_opts_init() */
    const char *const *nodes; /* "host:port", "[v6]:port" or "/unix/socket"; tried in order */
    size_t n_nodes;
    const char *const *sentinels; /* instead of nodes: sentinel "host:port"s ... */
    size_t n_sentinels;
    const char *master_name;       /* ... and the master name they watch */
    const char *sentinel_password; /* AUTH for the sentinels (NULL = none) */
    const char *username;          /* Redis ACL user (NULL = default) */
    const char *password;          /* NULL = no AUTH */
    int db;                        /* SELECT db (default 0) */
    const char *prefix;            /* key = prefix + zone + suffix (default "") */
    const char *suffix;
    uint32_t connect_timeout_ms;  /* per connection attempt (default 1000) */
    uint32_t command_timeout_ms;  /* per reply (default 2000) */
    uint32_t failover_timeout_ms; /* how long to look for a master (default 2000) */
    uint64_t stream_maxlen;       /* XADD MAXLEN ~ (default 1000000) */
    uint32_t default_ttl;         /* TTL when a VM gives none (default 30) */
    /* Durability: a write is reported done only once this many replicas
     * hold it (WAIT). VMDNS_MIN_REPLICAS_AUTO (the default): every replica
     * in sync with the master, at least one when the sentinels list a
     * healthy replica; none on a master without replicas. 0: never wait.
     * A WAIT that comes back short is retried until failover_timeout_ms;
     * if the master changed meanwhile (a failover began), the write is
     * sent again to the new master. See the README, "Durability". */
    unsigned min_replicas;
    uint32_t min_replicas_timeout_ms; /* one WAIT's timeout (default 100) */
    /* Read-your-writes: if set, register/deregister return only once every
     * vmdnsd at these "host:port"s answers the new state over DNS. */
    const char *const *wait_visible;
    size_t n_wait_visible;
    uint32_t wait_visible_timeout_ms; /* default 5000 */
    /* Called (from the calling thread, at most once per handle) with one
     * line about a dangerous setting of the master: an eviction policy
     * other than noeviction, or no persistence on a node without replicas.
     * NULL (the default): not reported. */
    void (*warn)(const char *message, void *ud);
    void *warn_ud;
} vmdns_registrar_opts_t;

#define VMDNS_MIN_REPLICAS_AUTO ((unsigned)-1)

/* Fill opts (of `size` bytes) with the defaults above (no nodes) and set
 * its struct_size. Call it through the macro, which passes the size. */
VMDNS_API void vmdns_registrar_opts_init_size(vmdns_registrar_opts_t *opts, size_t size);
#define vmdns_registrar_opts_init(opts) vmdns_registrar_opts_init_size((opts), sizeof(*(opts)))

/* Validate options and connect to the master. NULL with err on failure. */
VMDNS_API vmdns_registrar_t *vmdns_registrar_open(const vmdns_registrar_opts_t *opts,
                                                  vmdns_error_t *err);

/* Close the connection and free the handle (NULL is fine). */
VMDNS_API void vmdns_registrar_close(vmdns_registrar_t *r);

/* A VM to publish. Initialise with VMDNS_VM_INIT or vmdns_vm_init():
 *   vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.1.2.3"}; */
typedef struct vmdns_vm {
    size_t struct_size; /* sizeof(vmdns_vm_t); in an array, the same in every element */
    const char *name;   /* FQDN, LDH host name, final dot optional */
    const char *ipv4;   /* A record, or NULL */
    const char *ipv6;   /* AAAA record, or NULL (at least one of the two) */
    uint16_t ssh_port;  /* > 0: also _ssh._tcp.<name> SRV 0 0 <port> <name> */
    uint32_t ttl;       /* 0 = the handle's default_ttl */
    uint32_t lease_s;   /* > 0: the name expires lease_s seconds from now */
} vmdns_vm_t;

#define VMDNS_VM_INIT .struct_size = sizeof(vmdns_vm_t)

/* Zero vm (of `size` bytes) and set its struct_size. Call it through the
 * macro, which passes the size. */
VMDNS_API void vmdns_vm_init_size(vmdns_vm_t *vm, size_t size);
#define vmdns_vm_init(vm) vmdns_vm_init_size((vm), sizeof(*(vm)))

/* Publish a VM: sets the name's field to its A/AAAA (replacing whatever the
 * name held) and `_ssh._tcp.<name>` to the SRV record, or removes that SRV
 * field when ssh_port is 0. One transaction. Not allowed at a zone apex.
 * Returns 0, or -1 with err. */
VMDNS_API int vmdns_register_vm(vmdns_registrar_t *r, const vmdns_vm_t *vm, vmdns_error_t *err);

/* Publish n VMs in pipelined batches (one transaction per VM, many per
 * round trip); vms[0].struct_size is the array's stride. errs, if not NULL, has n entries:
 * errs[i].code is VMDNS_OK for each VM written. *n_ok (if not NULL) counts them. Returns 0 if all
 * were written, else -1 with err describing the first failure. With
 * wait_visible, -1 and VMDNS_ERR_TIMEOUT (errs all VMDNS_OK) means every
 * VM was written but not every server showed them in time. */
VMDNS_API int vmdns_register_vms(vmdns_registrar_t *r, const vmdns_vm_t *vms, size_t n,
                                 vmdns_error_t *errs, size_t *n_ok, vmdns_error_t *err);

/* Remove a name and its `_ssh._tcp.` SRV field (whatever they held).
 * Removing a name that does not exist succeeds. Refused at a zone apex. */
VMDNS_API int vmdns_deregister(vmdns_registrar_t *r, const char *fqdn, vmdns_error_t *err);

/* Replace the records of one type at `fqdn` with n records given in
 * presentation format (e.g. "10 mx.example.com."; names without a final dot
 * are absolute), leaving its other types alone; n == 0 removes the type.
 * Any supported type (A, AAAA, CNAME, NS, TXT, MX, SRV, PTR, CAA, SOA; SOA
 * only at an apex, CNAME only alone). Keeps the name's lease. */
VMDNS_API int vmdns_set_rrset(vmdns_registrar_t *r, const char *fqdn, uint16_t type, uint32_t ttl,
                              const char *const *rdata, size_t n, vmdns_error_t *err);

/* Set the lease of an existing name (and its `_ssh._tcp.` field) to expire
 * lease_s seconds from now. VMDNS_ERR_NOT_FOUND if the name does not exist. */
VMDNS_API int vmdns_renew(vmdns_registrar_t *r, const char *fqdn, uint32_t lease_s,
                          vmdns_error_t *err);

/* Renew a VM's lease, and heal it: the caller holds the VM (what it gave
 * vmdns_register_vm), so if the backend has lost its name (a Redis that
 * restarted empty, a write lost in a failover) or its `_ssh._tcp.` SRV
 * field, the VM is written again from vm, exactly as vmdns_register_vm
 * would, with the new lease; otherwise only the lease of what is stored
 * changes, as vmdns_renew. vm->lease_s (> 0) is the new lease. A VM that
 * another writer deregistered is written again too: call it only for VMs
 * that are live. *healed (if not NULL) is 1 if the VM was written again. */
VMDNS_API int vmdns_renew_vm(vmdns_registrar_t *r, const vmdns_vm_t *vm, int *healed,
                             vmdns_error_t *err);

/* Delete every name whose lease has expired, in every zone, each with its
 * change-stream entry; a name renewed meanwhile is kept. *removed (if not
 * NULL) counts the fields deleted. */
VMDNS_API int vmdns_gc(vmdns_registrar_t *r, size_t *removed, vmdns_error_t *err);

/* Confirm a drop of names that vmdnsd's redis backend `backend` (its name
 * in vmdnsd's config; "*": every backend reading this Redis) holds back
 * because Redis lost more than max_drop of its names, or a zone hash: one
 * change-stream entry (op confirm-drop), applied by every vmdnsd following
 * the stream. Harmless when nothing is held back. */
VMDNS_API int vmdns_confirm_drop(vmdns_registrar_t *r, const char *backend, vmdns_error_t *err);

/* Create a zone (or update its apex): sets SOA (mname = ns[0], the given
 * mbox, refresh 3600, retry 600, expire 86400, minimum 30) and the NS
 * records at "@" with `ttl` (0 = 300), keeping other apex records. `mbox`
 * may be given as an e-mail address (hostmaster@example.com). */
VMDNS_API int vmdns_zone_create(vmdns_registrar_t *r, const char *zone, const char *const *ns,
                                size_t n_ns, const char *mbox, uint32_t ttl, vmdns_error_t *err);

/* One stored name, as vmdns_list() reports it. */
typedef struct vmdns_entry {
    const char *zone;              /* "vm.example.com." */
    const char *field;             /* "vm-1", "@" */
    const char *owner;             /* "vm-1.vm.example.com." */
    const char *json;              /* the raw value */
    const vmdns_rrlist_t *records; /* parsed; NULL if the value is not a JSON object */
} vmdns_entry_t;

/* Called once per stored name; return non-zero to stop the listing. */
typedef int (*vmdns_list_cb)(const vmdns_entry_t *e, void *ud);

/* Walk the names of one zone (or of every zone if zone is NULL), zone by
 * zone in no particular order. Returns 0, or -1 with err
 * (VMDNS_ERR_NOT_FOUND for a zone that does not exist). */
VMDNS_API int vmdns_list(vmdns_registrar_t *r, const char *zone, vmdns_list_cb cb, void *ud,
                         vmdns_error_t *err);

/* Every zone present in the backend, through cb(zone, ud). */
VMDNS_API int vmdns_list_zones(vmdns_registrar_t *r, int (*cb)(const char *zone, void *ud),
                               void *ud, vmdns_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
