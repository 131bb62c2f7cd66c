/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmdns/ssh.h - libvmssh: SSH access to a VM from outside its host.
 *
 * A host agent that creates a VM calls vmssh_vm_open(): it reserves a host
 * port from the configured range, forwards it to the VM's SSH port (nft or
 * iptables), publishes the VM's name through libvmdns (A/AAAA = the host's
 * public address, `_ssh._tcp.<name>` SRV = the host port, with a lease) and
 * tells how to connect ("ssh -p 38291 runner@vm-abc123.vm.example.com").
 * If a step fails, the earlier ones are undone in reverse before the call
 * returns: nothing is left behind. vmssh_vm_close() undoes all of it and is
 * idempotent; vmssh_reconcile() removes what belongs to VMs that no longer
 * exist (after an agent crash); vmssh_vm_renew() extends both leases.
 *
 * The kernel's ruleset is the only record of which port belongs to which
 * VM: each forward is tagged with the VM id and its name (nft element
 * comments, iptables rule comments), so a restarted agent finds its VMs
 * again and nothing on disk can drift from what the kernel does. The
 * firewall is driven by running nft(8) / iptables(8) (never by linking
 * GPL libraries), one `nft -f -` transaction per change.
 *
 * Errors: every call that can fail fills a vmssh_error_t (may be NULL)
 * with a code and a one-line message, and returns -1 (or NULL).
 *
 * Threads: a handle may be shared between threads; its calls are
 * serialised by an internal mutex. Processes on one host (several agents,
 * the CLI) serialise their changes with a lock file in state_dir. Calls
 * block while nft/iptables run and while Redis answers.
 */
#ifndef VMDNS_SSH_H
#define VMDNS_SSH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VMSSH_API __attribute__((visibility("default")))
#else
#define VMSSH_API
#endif

typedef enum vmssh_status {
    VMSSH_OK = 0,
    VMSSH_ERR_INVALID,   /* a bad argument: VM id, address, name, port, lease */
    VMSSH_ERR_CONFIG,    /* the config file is unreadable or wrong (FILE:LINE: ...) */
    VMSSH_ERR_NOMEM,     /* out of memory */
    VMSSH_ERR_SYSTEM,    /* a system call failed (lock file, fork, /proc) */
    VMSSH_ERR_FIREWALL,  /* nft or iptables refused a change or could not be run */
    VMSSH_ERR_NO_PORT,   /* every port of port_range is taken */
    VMSSH_ERR_CONFLICT,  /* the VM is open with another address, or the address is taken */
    VMSSH_ERR_NOT_FOUND, /* the VM is not open (renew) */
    VMSSH_ERR_DNS,       /* the DNS step (libvmdns) failed */
    VMSSH_ERR_KEYS,      /* the SSH keys step failed (see the keys calls) */
} vmssh_status_t;

/* A status code plus a human message (always NUL-terminated). */
typedef struct vmssh_error {
    vmssh_status_t code;
    char message[512];
} vmssh_error_t;

/* A short static description of a status code. */
VMSSH_API const char *vmssh_strerror(vmssh_status_t code);

typedef struct vmssh vmssh_t;

/* Read and validate the YAML config at `path` (NULL: /etc/vmdns/vmssh.yaml)
 * and return a handle. Touches nothing outside the process: the firewall,
 * state_dir and Redis are first used by the calls below. Errors in the
 * file read "FILE:LINE: problem" (VMSSH_ERR_CONFIG). */
VMSSH_API vmssh_t *vmssh_new(const char *path, vmssh_error_t *err);

/* Free the handle (NULL is fine). Forwards and names stay as they are. */
VMSSH_API void vmssh_free(vmssh_t *h);

/*
 * What to open. Initialise with vmssh_open_opts_init() (struct_size, as
 * libvmdns's option structs: later versions add fields at the end; the
 * library reads only the first struct_size bytes).
 */
typedef struct vmssh_open_opts {
    size_t struct_size;
    const char *vm_id; /* [A-Za-z0-9][A-Za-z0-9._-]*, at most 63 characters */
    const char *vm_ip; /* the VM's IPv4 address */
    const char *name;  /* the VM's FQDN (LDH), final dot optional */
    const char *user;  /* the login printed in the ssh command (default "runner") */
    uint32_t lease_s;  /* 0: the config's dns.lease; forward and name expire unless renewed */
    /* ---- the keys step (issue 10): runs before any rule is added ---- */
    /* GitHub logins whose keys go to authorized_keys (see
     * vmssh_github_keys); n_github_users 0: no keys step. If it fails,
     * nothing is opened (VMSSH_ERR_KEYS / VMSSH_ERR_INVALID). */
    const char *const *github_users;
    size_t n_github_users;
    const char *authorized_keys; /* the file to write (required with github_users) */
    void (*keys_note)(void *ud, const char *msg); /* notes of the keys step (may be NULL) */
    void *keys_note_ud;
    /* ---- end of the keys step ---- */
} vmssh_open_opts_t;

VMSSH_API void vmssh_open_opts_init_size(vmssh_open_opts_t *o, size_t size);
#define vmssh_open_opts_init(o) vmssh_open_opts_init_size((o), sizeof(*(o)))

/* One open VM, as vmssh_vm_open() and vmssh_list() report it. For
 * vmssh_vm_open's `out`, set struct_size with vmssh_entry_init() (the
 * library writes only that many bytes, so later versions may add fields);
 * the entries vmssh_list() passes are the library's own. */
typedef struct vmssh_entry {
    size_t struct_size;
    char vm_id[64];
    char vm_ip[16];
    char name[254];   /* without the final dot */
    uint16_t port;    /* the host port */
    uint16_t vm_port; /* the VM's SSH port */
    int64_t expires;  /* Unix time the forward expires, 0 = never */
} vmssh_entry_t;

VMSSH_API void vmssh_entry_init_size(vmssh_entry_t *e, size_t size);
#define vmssh_entry_init(e) vmssh_entry_init_size((e), sizeof(*(e)))

/* Open SSH access to a VM (port -> forward -> DNS). Everything is
 * validated before anything is touched. Opening a VM that is already open
 * with the same address keeps its port (and publishes its name again);
 * with another address it is VMSSH_ERR_CONFLICT. On failure every step
 * already taken is undone. out (may be NULL; its struct_size set)
 * receives the result. */
VMSSH_API int vmssh_vm_open(vmssh_t *h, const vmssh_open_opts_t *opts, vmssh_entry_t *out,
                            vmssh_error_t *err);

/* Remove a VM's name and forward. A VM that is not open is not an error;
 * *was_open (may be NULL) says whether there was anything. If the name
 * cannot be removed the forward is still removed (access is revoked) and
 * the call fails with VMSSH_ERR_DNS (the name goes with its lease). */
VMSSH_API int vmssh_vm_close(vmssh_t *h, const char *vm_id, int *was_open, vmssh_error_t *err);

/* Extend a VM's forward and name leases to lease_s seconds from now
 * (0: the config's dns.lease). VMSSH_ERR_NOT_FOUND if it is not open. */
VMSSH_API int vmssh_vm_renew(vmssh_t *h, const char *vm_id, uint32_t lease_s, vmssh_error_t *err);

/* Call cb once per open VM (in port order); a non-zero return stops. */
VMSSH_API int vmssh_list(vmssh_t *h, int (*cb)(const vmssh_entry_t *e, void *ud), void *ud,
                         vmssh_error_t *err);

/* Close every VM of this host that is not in live[0..n_live) (and, with
 * the iptables backend, every forward whose lease has passed). *removed
 * (may be NULL) counts the VMs closed. */
VMSSH_API int vmssh_reconcile(vmssh_t *h, const char *const *live, size_t n_live, size_t *removed,
                              vmssh_error_t *err);

/*
 * Grace period at the end of a job: run in the VM (or in its network
 * namespace), it waits while SSH sessions are active, so a person
 * debugging is not cut off the moment the job ends.
 */

/* The number of ESTABLISHED TCP connections (IPv4 and IPv6) whose local
 * port is `port`, in the caller's network namespace, read through the
 * kernel's NETLINK_SOCK_DIAG (inet_diag) interface. -1 on error. */
VMSSH_API int vmssh_tcp_sessions(uint16_t port, vmssh_error_t *err);

/* What vmssh_grace() saw. */
typedef enum vmssh_grace_outcome {
    VMSSH_GRACE_NONE = 0,  /* no session at the start: returned at once, silently */
    VMSSH_GRACE_ENDED = 1, /* sessions were active, all ended before max */
    VMSSH_GRACE_LIMIT = 2, /* sessions were still active when max had passed */
} vmssh_grace_outcome_t;

/* How long to wait. Initialise with vmssh_grace_opts_init() (struct_size,
 * as vmssh_open_opts_t; it sets max_ms and interval_ms to -1). */
typedef struct vmssh_grace_opts {
    size_t struct_size;
    int64_t max_ms;      /* < 0: the config's grace.max, else 4m50s */
    int64_t interval_ms; /* <= 0: the config's grace.interval, else 10s */
    uint16_t port;       /* the SSH port (0: 22) */
    /* Called with each progress line (no newline); NULL: silent. */
    void (*say)(const char *line, void *ud);
    void *ud;
    const char *max_text; /* max as the user wrote it, for the first line (NULL: "4m50s") */
} vmssh_grace_opts_t;

VMSSH_API void vmssh_grace_opts_init_size(vmssh_grace_opts_t *o, size_t size);
#define vmssh_grace_opts_init(o) vmssh_grace_opts_init_size((o), sizeof(*(o)))

/* Wait while sessions to the port are active: none -> return at once;
 * else say "Job completed. SSH sessions active, waiting up to 4m50s...",
 * check every interval (a line when the count changes), and return when
 * none remain or max has passed. h (may be NULL: built-in defaults) gives
 * the config's grace: defaults. Returns a vmssh_grace_outcome_t, or -1. */
VMSSH_API int vmssh_grace(vmssh_t *h, const vmssh_grace_opts_t *opts, vmssh_error_t *err);

/* Validation, as the calls above do it (1 valid, 0 not). */
VMSSH_API int vmssh_valid_vm_id(const char *id);
VMSSH_API int vmssh_valid_ipv4(const char *addr);
VMSSH_API int vmssh_valid_name(const char *fqdn);

/* ---- SSH keys from GitHub (issue 10, keys part) ---- */
/* Fetch the public keys of the GitHub users logins[0..n_logins) (the
 * config's github: section), keep only allowed, well-formed keys, and give
 * them as an authorized_keys file: written atomically (mode 0600) to
 * out_path when it is not NULL, and/or as malloc'ed text in *text (free()
 * it) when text is not NULL. Notes (dropped keys, retries, a cached copy
 * used because GitHub could not be asked) go to note(ud, msg) (may be
 * NULL). A bad login is VMSSH_ERR_INVALID; a login without a usable key,
 * an unknown user, a rate limit or GitHub unreachable is VMSSH_ERR_KEYS,
 * and then nothing is written. */
VMSSH_API int vmssh_github_keys(vmssh_t *h, const char *const *logins, size_t n_logins,
                                const char *out_path, char **text,
                                void (*note)(void *ud, const char *msg), void *ud,
                                vmssh_error_t *err);
/* ---- end of SSH keys ---- */

#ifdef __cplusplus
}
#endif

#endif
