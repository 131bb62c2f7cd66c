/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmssh_int.h - what the files of libvmssh share: the parsed config, the
 * handle, the forward backends' interface and the small helpers.
 *
 * Every global here is named vmssh_* (libvmssh.a cannot hide its internals,
 * and an agent links it beside its own code; see check_symbols.py).
 */
#ifndef VMSSH_INT_H
#define VMSSH_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdns/registrar.h"
#include "vmdns/ssh.h"

#define VMSSH_DEFAULT_CONFIG "/etc/vmdns/vmssh.yaml"
#define VMSSH_NFT_TABLE      "vmssh"
/* nftables keeps element comments up to 128 bytes with the NUL: the VM id
 * and its name share them ("ID NAME"). */
#define VMSSH_COMMENT_MAX 127

typedef enum { VMSSH_BACKEND_NFT, VMSSH_BACKEND_IPTABLES } vmssh_backend_t;

/* The dns: section, ready for vmdns_registrar_open(). */
typedef struct vmssh_dns_config {
    bool enabled; /* a dns: section with redis or sentinel */
    char **nodes, **sentinels, **wait_visible;
    size_t n_nodes, n_sentinels, n_wait_visible;
    char *master, *sentinel_password, *username, *password, *prefix, *suffix;
    int db;
    uint32_t ttl;
    uint32_t lease_s; /* default lease of both name and forward; 0 = none */
    uint32_t timeout_ms;
    bool min_replicas_set;            /* min_replicas: given */
    unsigned min_replicas;            /* a number, or VMDNS_MIN_REPLICAS_AUTO ("auto") */
    uint32_t min_replicas_timeout_ms; /* min_replicas_timeout (0: libvmdns's default) */
} vmssh_dns_config_t;

/* The github: section (issue 10, keys part). */
typedef struct vmssh_github_config {
    char *api_url;        /* default https://api.github.com (no final '/') */
    char *token_file;     /* NULL: no token */
    char *cache_dir;      /* NULL: no cache */
    char *ca_file;        /* NULL: the system's CAs */
    char *options;        /* authorized_keys options prefix, NULL: none */
    uint32_t timeout_ms;  /* default 5s */
    uint32_t retries;     /* retries after the first try on 5xx/timeouts; default 2 */
    uint32_t max_stale_s; /* default 3600 */
} vmssh_github_config_t;

typedef struct vmssh_config {
    vmssh_backend_t backend;
    char external_interface[16]; /* IFNAMSIZ */
    uint16_t port_lo, port_hi;
    uint16_t vm_ssh_port;
    char public_ipv4[16];
    char public_ipv6[46]; /* "" = none */
    char *state_dir;
    char *nft_path, *iptables_path, *iptables_save_path; /* programs (defaults: PATH) */
    vmssh_dns_config_t dns;
    int64_t grace_max_ms, grace_interval_ms; /* grace: (defaults 4m50s, 10s) */
    vmssh_github_config_t github;            /* github: (keys) */
} vmssh_config_t;

#define VMSSH_GRACE_MAX_MS      290000
#define VMSSH_GRACE_INTERVAL_MS 10000

/* Parse YAML text (name stands for the file in messages) into cfg.
 * Returns 0, or -1 with "FILE:LINE: problem" (VMSSH_ERR_CONFIG). */
int vmssh_config_parse(const char *text, size_t len, const char *name, vmssh_config_t *cfg,
                       vmssh_error_t *err);
int vmssh_config_load(const char *path, vmssh_config_t *cfg, vmssh_error_t *err);
void vmssh_config_free(vmssh_config_t *cfg);

/* ---- errors ---- */
int vmssh_fail(vmssh_error_t *err, vmssh_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vmssh_ok(vmssh_error_t *err);

/* ---- validation ---- */
/* "30000-39999" -> lo, hi (1 <= lo <= hi <= 65535). */
int vmssh_parse_range(const char *s, uint16_t *lo, uint16_t *hi);
/* Lower-case fqdn without its final dot into out (cap >= 254). 0 or -1. */
int vmssh_normalize_name(const char *fqdn, char *out, size_t cap);
/* A Linux interface name (1-15 characters, no '/', space or ':'). */
int vmssh_valid_ifname(const char *s);
/* A login for the printed ssh command ([a-z_][a-z0-9_.-]*, <= 32). */
int vmssh_valid_user(const char *s);

/* ---- SSH keys (issue 10, keys part; keys_validate.c) ---- */
typedef enum {
    VMSSH_KEY_OK = 0,
    VMSSH_KEY_EMPTY,         /* blank line */
    VMSSH_KEY_BAD_FORMAT,    /* not "TYPE BASE64 [COMMENT]", or control characters */
    VMSSH_KEY_BAD_TYPE,      /* a type that is not allowed (ssh-dss, ...) */
    VMSSH_KEY_BAD_BASE64,    /* the key data does not decode (or is too long) */
    VMSSH_KEY_BAD_BLOB,      /* the decoded key is malformed for its type */
    VMSSH_KEY_TYPE_MISMATCH, /* type (or curve) inside the blob != type outside */
    VMSSH_KEY_RSA_TOO_SHORT, /* ssh-rsa modulus under 2048 bits */
} vmssh_key_status_t;

/* A parsed key: type (a static string), the base64 text inside the line
 * given to vmssh_key_parse (not NUL-terminated), its strength in bits. */
typedef struct vmssh_key {
    const char *type;
    const char *b64;
    size_t b64_len;
    unsigned bits;
} vmssh_key_t;

/* Check one key line of len bytes (no NUL needed). VMSSH_KEY_OK only for an
 * allowed, well-formed key; out is filled when the type was recognised. */
vmssh_key_status_t vmssh_key_parse(const char *line, size_t len, vmssh_key_t *out);
/* Why a key was refused, for messages. */
const char *vmssh_key_strerror(vmssh_key_status_t st);
/* GitHub's login rules: 1-39 ASCII letters/digits and single inner hyphens. */
int vmssh_valid_github_login(const char *s);

/* The valid keys of one or more logins, as "TYPE BASE64" lines. */
typedef struct vmssh_keyset {
    struct vmssh_keyset_item {
        char *login;
        char *key; /* "TYPE BASE64" */
    } * v;
    size_t n, cap;
    size_t dropped; /* keys refused by vmssh_key_parse (reported on the way) */
} vmssh_keyset_t;
void vmssh_keyset_free(vmssh_keyset_t *s);

/* Add the keys of a GitHub API answer (a JSON list of {id, key}) for login
 * to set. Each refused key is reported through warn(ud, message) (may be
 * NULL) and counted in set->dropped. -1 (VMSSH_ERR_KEYS) if the body is
 * not such a list; a list with no valid key is not an error here. */
int vmssh_keys_from_json(const char *body, size_t len, const char *login, vmssh_keyset_t *set,
                         void (*warn)(void *ud, const char *msg), void *ud, vmssh_error_t *err);

/* Write set to path atomically (a temp file beside it, fsync, rename),
 * mode 0600: one key a line, "[OPTIONS ]TYPE BASE64 github:LOGIN".
 * options (may be NULL) must be one line without control characters. */
int vmssh_keys_write(const char *path, const vmssh_keyset_t *set, const char *options,
                     vmssh_error_t *err);
/* The authorized_keys text of set (malloc'ed), or NULL (out of memory). */
char *vmssh_keys_render(const vmssh_keyset_t *set, const char *options);

/* Add login's valid keys from GitHub (the github: section g) to set; see
 * keys_fetch.c. Notes (dropped keys, retries, a stale cache used) go to
 * note(ud, msg). No usable key is an error (VMSSH_ERR_KEYS). */
int vmssh_keys_fetch(const vmssh_github_config_t *g, const char *login, vmssh_keyset_t *set,
                     void (*note)(void *ud, const char *msg), void *ud, vmssh_error_t *err);
/* ---- end of SSH keys ---- */

/* ---- running programs ---- */
/* Run argv[0] (searched in PATH) with argv, no shell, `input` on its stdin
 * (NULL: /dev/null). *out (may be NULL) receives its stdout (malloc'ed,
 * NUL-terminated), errbuf the first line of its stderr. Returns the exit
 * status (0..255), or -1 if it could not be run (errbuf says why). */
int vmssh_run(const char *const *argv, const char *input, char **out, char *errbuf, size_t errcap);

/* ---- the forwards ---- */
/* A list of forwards read from the ruleset. */
typedef struct vmssh_fwd_list {
    vmssh_entry_t *v;
    size_t n, cap;
} vmssh_fwd_list_t;

int vmssh_fwd_list_add(vmssh_fwd_list_t *l, const vmssh_entry_t *e);
void vmssh_fwd_list_free(vmssh_fwd_list_t *l);
const vmssh_entry_t *vmssh_fwd_find(const vmssh_fwd_list_t *l, const char *vm_id);

/* add's flags: also (re)create the backend's table, chains and rules. */
#define VMSSH_FWD_SETUP 1

/* One backend: read the forwards, add one (all or nothing), remove one,
 * replace one's lease; ensure (optional) creates the backend's own table.
 * fast: the kernel checks every add and delete (nft): an add whose key is
 * taken fails with VMSSH_ERR_CONFLICT (VMSSH_ERR_NOT_FOUND: no table), a
 * delete or renew naming a missing element with VMSSH_ERR_NOT_FOUND, and
 * nothing changes; so callers may act on what they believe without
 * reading the ruleset first. */
typedef struct vmssh_fwd_ops {
    const char *name;
    bool fast;
    int (*list)(const vmssh_config_t *c, vmssh_fwd_list_t *out, vmssh_error_t *err);
    int (*ensure)(const vmssh_config_t *c, vmssh_error_t *err);
    int (*add)(const vmssh_config_t *c, const vmssh_entry_t *e, int flags, vmssh_error_t *err);
    int (*del)(const vmssh_config_t *c, const vmssh_entry_t *e, vmssh_error_t *err);
    int (*renew)(const vmssh_config_t *c, const vmssh_entry_t *old, int64_t expires,
                 vmssh_error_t *err);
} vmssh_fwd_ops_t;

extern const vmssh_fwd_ops_t vmssh_fwd_nft;
extern const vmssh_fwd_ops_t vmssh_fwd_iptables;

/* nft: the comment of a map element, "ID NAME", and its parse. */
int vmssh_nft_comment(const vmssh_entry_t *e, char *buf, size_t cap);
int vmssh_nft_parse_comment(const char *s, vmssh_entry_t *e);
/* nft: the batch text for `nft -f -` (malloc'ed; NULL on no memory).
 * now: the current Unix time (timeouts are relative). */
char *vmssh_nft_batch_add(const vmssh_config_t *c, const vmssh_entry_t *e, int64_t now, bool setup);
char *vmssh_nft_batch_del(const vmssh_config_t *c, const vmssh_entry_t *e);
char *vmssh_nft_batch_renew(const vmssh_config_t *c, const vmssh_entry_t *old, int64_t expires,
                            int64_t now);
/* nft: the key of a VM in map vm_ids (FNV-1a 64 of the id). */
uint64_t vmssh_id_hash(const char *id);
/* nft: parse `nft -j list map ip vmssh ports` output into out. */
int vmssh_nft_parse_list(const char *json, int64_t now, vmssh_fwd_list_t *out, vmssh_error_t *err);

/* iptables: the three rules of a forward, as argv for iptables (after the
 * program name). which: 0 DNAT, 1 FORWARD ACCEPT, 2 MASQUERADE; op 'A'
 * (add: -A, or -I ... 1 for FORWARD) or 'D' (delete). Strings are written
 * into buf; argv points into it. Returns argc or -1. */
#define VMSSH_IPT_MAX_ARGS 32
int vmssh_ipt_rule_argv(const vmssh_config_t *c, const vmssh_entry_t *e, int which, char op,
                        char *buf, size_t cap, const char **argv);
/* iptables: the comment of a forward's rules, "vmssh:ID:PORT:NAME:EXPIRES". */
int vmssh_ipt_comment(const vmssh_entry_t *e, char *buf, size_t cap);
int vmssh_ipt_parse_comment(const char *s, vmssh_entry_t *e);
/* iptables: forwards found in iptables-save output (the DNAT rules). */
int vmssh_ipt_parse_save(const char *text, vmssh_fwd_list_t *out, vmssh_error_t *err);

/* ---- ports ---- */
/* Pick a port in [lo, hi] not set in used (a 65536-bit map), scanning up
 * from start (wrapping). Returns the port, or 0 if none is free. */
uint16_t vmssh_port_choose(uint16_t lo, uint16_t hi, const uint8_t *used, uint16_t start);
/* Is the TCP port held by a local socket (IPv4 or IPv6)? 1 yes, 0 no,
 * -1 the probe itself failed (no sockets left). */
int vmssh_port_bound(uint16_t port);

/* The used-ports hint (state_dir/ports.hint, a 65536-bit map): ports
 * this host believes mapped, so open need not list the ruleset. Only a
 * hint: the kernel refuses a port that is taken, and then the ruleset is
 * read and the hint rebuilt. Read and written under the lock. */
void vmssh_hint_load(const char *state_dir, uint8_t *used);
void vmssh_hint_store(const char *state_dir, const uint8_t *used);
void vmssh_hint_update(const char *state_dir, uint16_t port, bool used);

/* Per-VM notes (state_dir/vms/ID: "PORT ADDR EXPIRES NAME"): what this
 * host believes about an open VM, so close and renew can name its
 * elements without reading the ruleset. Written after the kernel took a
 * forward, removed before one is replaced or after it is gone; the kernel
 * refuses a batch that names elements it does not hold, and then the
 * ruleset is read. Under the lock. */
int vmssh_note_load(const char *state_dir, const char *vm_id, vmssh_entry_t *e);
void vmssh_note_store(const char *state_dir, const vmssh_entry_t *e);
void vmssh_note_drop(const char *state_dir, const char *vm_id);
/* Make the notes and the port hint match a listing of the ruleset. */
void vmssh_notes_sync(const char *state_dir, const vmssh_fwd_list_t *l);

/* ---- state_dir lock ---- */
int vmssh_lock(const char *state_dir, vmssh_error_t *err); /* returns an fd */
void vmssh_unlock(int fd);

/* ---- DNS ---- */
int vmssh_dns_register(vmdns_registrar_t **r, const vmssh_config_t *c, const vmssh_entry_t *e,
                       uint32_t lease_s, vmssh_error_t *err);
int vmssh_dns_deregister(vmdns_registrar_t **r, const vmssh_config_t *c, const char *name,
                         vmssh_error_t *err);
int vmssh_dns_renew(vmdns_registrar_t **r, const vmssh_config_t *c, const vmssh_entry_t *e,
                    uint32_t lease_s, vmssh_error_t *err);

/* ---- fault injection (tests only) ---- */
/* True if the test hook asks step ("port", "forward", "forward:2", "dns",
 * "close-dns") to fail: VMSSH_FAIL_AT names it and VMSSH_TEST=1 is set. */
bool vmssh_fault(const char *step);

/* The handle. */
struct vmssh {
    pthread_mutex_t mu;
    vmssh_config_t cfg;
    const vmssh_fwd_ops_t *fwd;
    vmdns_registrar_t *reg; /* opened at the first DNS step */
};

#endif
