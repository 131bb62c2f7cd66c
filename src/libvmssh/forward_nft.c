/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forward_nft.c - the nft backend: one table of vmssh's own, `table ip
 * vmssh`, and nothing outside it is ever read or changed.
 *
 *   map ports     { host port : VM address . VM port }   one DNAT rule
 *   set vm_addrs  { VM address . VM port }                the forward accept
 *                                                         and masquerade rules
 *   map vm_ids    { hash(VM id) : host port . VM address } no rule: the index
 *                                                         by VM id
 *
 * Three rules in total, whatever the number of VMs: a packet costs one
 * hash lookup per chain. Each map element carries the comment "ID NAME"
 * (the VM id and its DNS name), so the ruleset alone says which port
 * belongs to which VM, and which name to remove on close. Both have
 * `flags timeout`: a forward opened with a lease is removed by the kernel
 * when its agent stops renewing it.
 *
 * Every change is one `nft -f -` batch, which the kernel applies as one
 * transaction (all or nothing): a VM's three elements come and go
 * together. Elements are added with `create`, which fails if the key
 * exists, so the kernel itself refuses a port, an address or a VM id that
 * is already taken, whatever a caller believed.
 *
 * Speed with thousands of VMs: listing a map of 5,000 elements costs far
 * more than the change itself (and so does `nft get element`, which
 * loads the whole set), so the common cases read nothing: vm_ids (keyed by
 * a 64-bit FNV-1a hash of the VM id, as two marks) makes the kernel refuse
 * a second open of a VM, and the caller names the elements to delete from
 * its own notes, which the kernel checks: a batch naming an element that
 * is not there fails as a whole (see vmssh.c for the fallback). The table's definition (`add` of
 * the table, maps, set and chains, which is a no-op when they exist; the
 * three rules flushed and written again in the same transaction) goes into
 * the batches of that slow path and of reconcile, so a first run creates
 * the table and a config change (another external_interface) takes effect
 * without a separate step.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmssh_int.h"

int vmssh_nft_comment(const vmssh_entry_t *e, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s %s", e->vm_id, e->name);
    return n < 0 || (size_t)n >= cap || n > VMSSH_COMMENT_MAX ? -1 : 0;
}

int vmssh_nft_parse_comment(const char *s, vmssh_entry_t *e)
{
    const char *sp = strchr(s, ' ');
    if (!sp || (size_t)(sp - s) >= sizeof(e->vm_id) || strlen(sp + 1) >= sizeof(e->name))
        return -1;
    memcpy(e->vm_id, s, (size_t)(sp - s));
    e->vm_id[sp - s] = '\0';
    strcpy(e->name, sp + 1);
    return vmssh_valid_vm_id(e->vm_id) ? 0 : -1;
}

/* A growing text buffer; on no memory it stays NULL. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (n >= 0 && b->p && (size_t)n < b->cap - b->n) {
            b->n += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 2048;
        while (n >= 0 && cap < b->n + (size_t)n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (n < 0 || !np) {
            b->oom = 1;
            free(b->p);
            b->p = NULL;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static char *sb_take(sbuf_t *b)
{
    return b->oom ? NULL : b->p;
}

/* The table, its map, set, chains and three rules (idempotent). */
static void nft_setup(sbuf_t *b, const vmssh_config_t *c)
{
    const char *t = "ip " VMSSH_NFT_TABLE;
    sb_printf(b, "add table %s\n", t);
    sb_printf(b,
              "add map %s ports { type inet_service : ipv4_addr . inet_service ; "
              "flags timeout ; }\n",
              t);
    sb_printf(b, "add set %s vm_addrs { type ipv4_addr . inet_service ; flags timeout ; }\n", t);
    sb_printf(b,
              "add map %s vm_ids { type mark . mark : inet_service . ipv4_addr ; "
              "flags timeout ; }\n",
              t);
    sb_printf(b,
              "add chain %s prerouting { type nat hook prerouting priority dstnat ; "
              "policy accept ; }\n",
              t);
    sb_printf(b,
              "add chain %s forward { type filter hook forward priority filter ; "
              "policy accept ; }\n",
              t);
    sb_printf(b,
              "add chain %s postrouting { type nat hook postrouting priority srcnat ; "
              "policy accept ; }\n",
              t);
    sb_printf(b, "flush chain %s prerouting\nflush chain %s forward\nflush chain %s postrouting\n",
              t, t, t);
    sb_printf(b, "add rule %s prerouting iifname \"%s\" dnat ip to tcp dport map @ports\n", t,
              c->external_interface);
    sb_printf(b, "add rule %s forward iifname \"%s\" ip daddr . tcp dport @vm_addrs accept\n", t,
              c->external_interface);
    sb_printf(b, "add rule %s postrouting ip saddr . tcp sport @vm_addrs masquerade\n", t);
}

/* The two elements of a forward; expires 0 = no timeout. */
static void nft_elements(sbuf_t *b, const vmssh_entry_t *e, int64_t expires, int64_t now)
{
    char comment[VMSSH_COMMENT_MAX + 1];
    char timeout[32] = "";
    if (vmssh_nft_comment(e, comment, sizeof(comment)) < 0) {
        b->oom = 1; /* validated before: cannot happen */
        return;
    }
    if (expires > 0)
        snprintf(timeout, sizeof(timeout), " timeout %llds",
                 (long long)(expires > now ? expires - now : 1));
    sb_printf(b, "create element ip %s ports { %u%s comment \"%s\" : %s . %u }\n", VMSSH_NFT_TABLE,
              e->port, timeout, comment, e->vm_ip, e->vm_port);
    sb_printf(b, "create element ip %s vm_addrs { %s . %u%s comment \"%s\" }\n", VMSSH_NFT_TABLE,
              e->vm_ip, e->vm_port, timeout, e->vm_id);
    uint64_t h = vmssh_id_hash(e->vm_id);
    sb_printf(b, "create element ip %s vm_ids { 0x%08x . 0x%08x%s comment \"%s\" : %u . %s }\n",
              VMSSH_NFT_TABLE, (unsigned)(h >> 32), (unsigned)(h & 0xffffffffu), timeout, comment,
              e->port, e->vm_ip);
}

uint64_t vmssh_id_hash(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void nft_delete(sbuf_t *b, const vmssh_entry_t *e)
{
    sb_printf(b, "delete element ip %s ports { %u }\n", VMSSH_NFT_TABLE, e->port);
    sb_printf(b, "delete element ip %s vm_addrs { %s . %u }\n", VMSSH_NFT_TABLE, e->vm_ip,
              e->vm_port);
    uint64_t h = vmssh_id_hash(e->vm_id);
    sb_printf(b, "delete element ip %s vm_ids { 0x%08x . 0x%08x }\n", VMSSH_NFT_TABLE,
              (unsigned)(h >> 32), (unsigned)(h & 0xffffffffu));
}

char *vmssh_nft_batch_add(const vmssh_config_t *c, const vmssh_entry_t *e, int64_t now, bool setup)
{
    sbuf_t b = {0};
    if (setup)
        nft_setup(&b, c);
    nft_elements(&b, e, e->expires, now);
    return sb_take(&b);
}

char *vmssh_nft_batch_del(const vmssh_config_t *c, const vmssh_entry_t *e)
{
    (void)c;
    sbuf_t b = {0};
    nft_delete(&b, e);
    return sb_take(&b);
}

char *vmssh_nft_batch_renew(const vmssh_config_t *c, const vmssh_entry_t *old, int64_t expires,
                            int64_t now)
{
    /* nft 1.0.6 cannot change an element's timeout in place: delete and
     * create again, in one transaction (established connections keep their
     * conntrack NAT binding meanwhile). */
    sbuf_t b = {0};
    nft_delete(&b, old);
    nft_elements(&b, old, expires, now);
    (void)c;
    return sb_take(&b);
}

/* One element of `nft -j list map`: [key-or-{"elem":{...}}, {"concat":[addr, port]}]. */
static int nft_parse_elem(json_t *pair, int64_t now, vmssh_entry_t *e)
{
    memset(e, 0, sizeof(*e));
    if (!json_is_array(pair) || json_array_size(pair) != 2)
        return -1;
    json_t *k = json_array_get(pair, 0), *v = json_array_get(pair, 1);
    json_t *elem = json_object_get(k, "elem");
    json_t *val = elem ? json_object_get(elem, "val") : k;
    if (!json_is_integer(val) || json_integer_value(val) < 1 || json_integer_value(val) > 65535)
        return -1;
    e->port = (uint16_t)json_integer_value(val);
    const char *comment = elem ? json_string_value(json_object_get(elem, "comment")) : NULL;
    if (!comment || vmssh_nft_parse_comment(comment, e) < 0)
        return 1; /* not ours to interpret: an element without our tag */
    json_t *exp = elem ? json_object_get(elem, "expires") : NULL;
    if (json_is_integer(exp))
        e->expires = now + json_integer_value(exp);
    json_t *cc = json_object_get(v, "concat");
    if (!json_is_array(cc) || json_array_size(cc) != 2)
        return -1;
    const char *addr = json_string_value(json_array_get(cc, 0));
    json_t *vp = json_array_get(cc, 1);
    if (!addr || !vmssh_valid_ipv4(addr) || !json_is_integer(vp))
        return -1;
    strcpy(e->vm_ip, addr);
    e->vm_port = (uint16_t)json_integer_value(vp);
    return 0;
}

int vmssh_nft_parse_list(const char *text, int64_t now, vmssh_fwd_list_t *out, vmssh_error_t *err)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root)
        return vmssh_fail(err, VMSSH_ERR_FIREWALL, "nft -j list: unreadable JSON: %s", je.text);
    json_t *items = json_object_get(root, "nftables");
    size_t i;
    json_t *it;
    int rc = 0;
    json_array_foreach(items, i, it)
    {
        json_t *map = json_object_get(it, "map");
        if (!map)
            continue;
        size_t j;
        json_t *pair;
        json_array_foreach(json_object_get(map, "elem"), j, pair)
        {
            vmssh_entry_t e;
            int r = nft_parse_elem(pair, now, &e);
            if (r < 0) {
                rc = vmssh_fail(err, VMSSH_ERR_FIREWALL,
                                "nft -j list: an element of map ports is not port : addr . port");
                break;
            }
            if (r == 0 && vmssh_fwd_list_add(out, &e) < 0) {
                rc = vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
                break;
            }
        }
    }
    json_decref(root);
    return rc;
}

static int nft_apply(const vmssh_config_t *c, const char *batch, const char *what,
                     vmssh_error_t *err)
{
    if (!batch)
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    const char *argv[] = {c->nft_path, "-f", "-", NULL};
    char why[300];
    int rc = vmssh_run(argv, batch, NULL, why, sizeof(why));
    if (rc != 0)
        return vmssh_fail(err, VMSSH_ERR_FIREWALL, "nft: %s failed: %s", what,
                          why[0] ? why : "exit status not 0");
    return 0;
}

static int nft_list(const vmssh_config_t *c, vmssh_fwd_list_t *out, vmssh_error_t *err)
{
    const char *argv[] = {c->nft_path, "-j", "list", "map", "ip", VMSSH_NFT_TABLE, "ports", NULL};
    char why[300], *text = NULL;
    int rc = vmssh_run(argv, NULL, &text, why, sizeof(why));
    if (rc != 0) {
        free(text);
        if (rc > 0 && strstr(why, "No such file or directory"))
            return 0; /* no table yet: nothing is open */
        return vmssh_fail(err, VMSSH_ERR_FIREWALL, "nft list map ip %s ports: %s", VMSSH_NFT_TABLE,
                          why[0] ? why : "failed");
    }
    rc = vmssh_nft_parse_list(text, (int64_t)time(NULL), out, err);
    free(text);
    return rc;
}

static int nft_add(const vmssh_config_t *c, const vmssh_entry_t *e, int flags, vmssh_error_t *err)
{
    if (vmssh_fault("forward"))
        return vmssh_fail(err, VMSSH_ERR_FIREWALL, "nft: adding the forward failed (test fault)");
    char *batch = vmssh_nft_batch_add(c, e, (int64_t)time(NULL), flags & VMSSH_FWD_SETUP);
    int rc = nft_apply(c, batch, "adding the forward", err);
    free(batch);
    /* Tell the caller when the kernel found a key taken or the table
     * missing: it then looks at the whole ruleset and tries again. */
    if (rc < 0 && err && strstr(err->message, "File exists"))
        err->code = VMSSH_ERR_CONFLICT;
    else if (rc < 0 && err && strstr(err->message, "No such file or directory"))
        err->code = VMSSH_ERR_NOT_FOUND;
    return rc;
}

static int nft_ensure(const vmssh_config_t *c, vmssh_error_t *err)
{
    sbuf_t b = {0};
    nft_setup(&b, c);
    char *batch = sb_take(&b);
    int rc = nft_apply(c, batch, "creating table ip " VMSSH_NFT_TABLE, err);
    free(batch);
    return rc;
}

static int nft_del(const vmssh_config_t *c, const vmssh_entry_t *e, vmssh_error_t *err)
{
    char *batch = vmssh_nft_batch_del(c, e);
    int rc = nft_apply(c, batch, "removing the forward", err);
    free(batch);
    if (rc < 0 && err && strstr(err->message, "No such file or directory"))
        err->code = VMSSH_ERR_NOT_FOUND; /* not (or no longer) these elements */
    return rc;
}

static int nft_renew(const vmssh_config_t *c, const vmssh_entry_t *old, int64_t expires,
                     vmssh_error_t *err)
{
    char *batch = vmssh_nft_batch_renew(c, old, expires, (int64_t)time(NULL));
    int rc = nft_apply(c, batch, "renewing the forward", err);
    free(batch);
    if (rc < 0 && err && strstr(err->message, "No such file or directory"))
        err->code = VMSSH_ERR_NOT_FOUND;
    return rc;
}

const vmssh_fwd_ops_t vmssh_fwd_nft = {.name = "nft",
                                       .list = nft_list,
                                       .fast = true,
                                       .ensure = nft_ensure,
                                       .add = nft_add,
                                       .del = nft_del,
                                       .renew = nft_renew};
