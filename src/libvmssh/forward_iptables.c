/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forward_iptables.c - the iptables backend, for hosts whose firewall is
 * managed with iptables: exactly the three rules of the design per VM
 * (host port P, VM address V, VM port S):
 *
 *   -t nat    -A PREROUTING  -i IF -p tcp --dport P -j DNAT --to-destination V:S
 *   -t filter -I FORWARD 1   -p tcp -m conntrack --ctstate DNAT --ctreplsrc V/32
 *                            --ctreplsrcport S --ctorigdstport P -j ACCEPT
 *   -t nat    -A POSTROUTING -s V/32 -p tcp --sport S -j MASQUERADE
 *
 * The FORWARD rule differs from the seed's `-i IF -d V -p tcp --dport S`:
 * that one accepts only the packets towards the VM, so on a host whose
 * FORWARD policy is DROP (and that has no ESTABLISHED rule) the VM's
 * answers were dropped. Matching the connection through conntrack (DNATed
 * by our rule: original port P, answered by V:S) accepts both directions
 * of exactly these connections, and nothing sent to V:S directly.
 *
 * each with `-m comment --comment "vmssh:ID:P:NAME:EXPIRES"` (EXPIRES is a
 * Unix time, 0 = no lease): the ruleset names the VM, its port, its DNS
 * name and when the forward lapses (reconcile removes it then; iptables
 * has no timeouts of its own). The ACCEPT goes first in FORWARD, so a host
 * whose FORWARD policy or last rule is DROP still forwards.
 *
 * Three commands cannot be one transaction: if one fails, the ones already
 * added are deleted again before the call returns. Removal reads
 * iptables-save and deletes every rule tagged with the VM, whatever its
 * comment's other fields say, so a half-added forward (a crash between
 * two commands) is cleaned up too.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmssh_int.h"

int vmssh_ipt_comment(const vmssh_entry_t *e, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "vmssh:%s:%u:%s:%lld", e->vm_id, e->port, e->name,
                     (long long)e->expires);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int vmssh_ipt_parse_comment(const char *s, vmssh_entry_t *e)
{
    char id[64], name[254];
    unsigned port;
    long long exp;
    int used = 0;
    if (strncmp(s, "vmssh:", 6) != 0)
        return -1;
    if (sscanf(s + 6, "%63[A-Za-z0-9._-]:%5u:%253[A-Za-z0-9.-]:%lld%n", id, &port, name, &exp,
               &used) != 4 ||
        s[6 + used] != '\0' || port < 1 || port > 65535)
        return -1;
    strcpy(e->vm_id, id);
    strcpy(e->name, name);
    e->port = (uint16_t)port;
    e->expires = exp;
    return 0;
}

int vmssh_ipt_rule_argv(const vmssh_config_t *c, const vmssh_entry_t *e, int which, char op,
                        char *buf, size_t cap, const char **argv)
{
    char comment[300], dport[8], sport[8], addr[24], dest[32];
    if (vmssh_ipt_comment(e, comment, sizeof(comment)) < 0)
        return -1;
    snprintf(dport, sizeof(dport), "%u", e->port);
    snprintf(sport, sizeof(sport), "%u", e->vm_port);
    snprintf(addr, sizeof(addr), "%s/32", e->vm_ip);
    snprintf(dest, sizeof(dest), "%s:%u", e->vm_ip, e->vm_port);
    const char *words[VMSSH_IPT_MAX_ARGS];
    int n = 0;
    words[n++] = "-w";
    if (which == 0) {
        const char *w[] = {"-t",
                           "nat",
                           op == 'A' ? "-A" : "-D",
                           "PREROUTING",
                           "-i",
                           c->external_interface,
                           "-p",
                           "tcp",
                           "--dport",
                           dport,
                           "-m",
                           "comment",
                           "--comment",
                           comment,
                           "-j",
                           "DNAT",
                           "--to-destination",
                           dest};
        for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
            words[n++] = w[i];
    } else if (which == 1) {
        words[n++] = "-t";
        words[n++] = "filter";
        words[n++] = op == 'A' ? "-I" : "-D";
        words[n++] = "FORWARD";
        if (op == 'A')
            words[n++] = "1";
        const char *w[] = {"-p",
                           "tcp",
                           "-m",
                           "conntrack",
                           "--ctstate",
                           "DNAT",
                           "--ctreplsrc",
                           addr,
                           "--ctreplsrcport",
                           sport,
                           "--ctorigdstport",
                           dport,
                           "-m",
                           "comment",
                           "--comment",
                           comment,
                           "-j",
                           "ACCEPT"};
        for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
            words[n++] = w[i];
    } else if (which == 2) {
        const char *w[] = {"-t",          "nat",   op == 'A' ? "-A" : "-D",
                           "POSTROUTING", "-s",    addr,
                           "-p",          "tcp",   "--sport",
                           sport,         "-m",    "comment",
                           "--comment",   comment, "-j",
                           "MASQUERADE"};
        for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
            words[n++] = w[i];
    } else {
        return -1;
    }
    /* Copy the words into buf so argv outlives the locals. */
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(words[i]) + 1;
        if (off + l > cap)
            return -1;
        memcpy(buf + off, words[i], l);
        argv[i] = buf + off;
        off += l;
    }
    argv[n] = NULL;
    return n;
}

/* Split an iptables-save rule line into words (double quotes group, as
 * iptables-save writes comments; backslash escapes the next character).
 * Writes into buf; returns the word count or -1. */
static int split_words(const char *line, char *buf, size_t cap, char **words, int max)
{
    int n = 0;
    size_t off = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n')
            break;
        if (n == max)
            return -1;
        words[n++] = buf + off;
        int quoted = 0;
        while (*p && *p != '\n' && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
                continue;
            }
            if (*p == '\\' && p[1])
                p++;
            if (off + 2 > cap)
                return -1;
            buf[off++] = *p++;
        }
        buf[off++] = '\0';
    }
    return n;
}

/* Merge what one tagged rule says about its VM into the list. */
static int merge_rule(vmssh_fwd_list_t *l, const vmssh_entry_t *from_comment, const char *addr)
{
    vmssh_entry_t *e = (vmssh_entry_t *)vmssh_fwd_find(l, from_comment->vm_id);
    if (!e) {
        if (vmssh_fwd_list_add(l, from_comment) < 0)
            return -1;
        e = &l->v[l->n - 1];
    }
    if (addr && !e->vm_ip[0]) {
        size_t n = strcspn(addr, "/:");
        if (n < sizeof(e->vm_ip)) {
            memcpy(e->vm_ip, addr, n);
            e->vm_ip[n] = '\0';
            if (!vmssh_valid_ipv4(e->vm_ip))
                e->vm_ip[0] = '\0';
        }
        const char *colon = strchr(addr, ':');
        if (colon)
            e->vm_port = (uint16_t)atoi(colon + 1);
    }
    if (from_comment->expires && (!e->expires || from_comment->expires > e->expires))
        e->expires = from_comment->expires; /* a renew in progress: the later one */
    return 0;
}

int vmssh_ipt_parse_save(const char *text, vmssh_fwd_list_t *out, vmssh_error_t *err)
{
    char buf[4096];
    char *w[VMSSH_IPT_MAX_ARGS * 2];
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > 6 && len < 2000 && strncmp(line, "-A ", 3) == 0 &&
            memmem(line, len, "vmssh:", 6)) {
            char one[2048];
            memcpy(one, line, len);
            one[len] = '\0';
            int n = split_words(one, buf, sizeof(buf), w, (int)(sizeof(w) / sizeof(*w)));
            vmssh_entry_t e;
            memset(&e, 0, sizeof(e));
            const char *addr = NULL;
            int tagged = 0;
            for (int i = 0; i + 1 < n; i++) {
                if (strcmp(w[i], "--comment") == 0 && vmssh_ipt_parse_comment(w[i + 1], &e) == 0)
                    tagged = 1;
                else if (strcmp(w[i], "--to-destination") == 0 || strcmp(w[i], "-d") == 0 ||
                         strcmp(w[i], "-s") == 0 || strcmp(w[i], "--ctreplsrc") == 0)
                    addr = w[i + 1];
            }
            if (tagged && merge_rule(out, &e, addr) < 0)
                return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* iptables-save of one table (malloc'ed text) or NULL with err. */
static char *ipt_save(const vmssh_config_t *c, const char *table, vmssh_error_t *err)
{
    const char *argv[] = {c->iptables_save_path, "-t", table, NULL};
    char why[300], *text = NULL;
    int rc = vmssh_run(argv, NULL, &text, why, sizeof(why));
    if (rc != 0) {
        free(text);
        vmssh_fail(err, VMSSH_ERR_FIREWALL, "iptables-save -t %s: %s", table,
                   why[0] ? why : "failed");
        return NULL;
    }
    return text;
}

static int ipt_list(const vmssh_config_t *c, vmssh_fwd_list_t *out, vmssh_error_t *err)
{
    static const char *const tables[] = {"nat", "filter"};
    for (size_t t = 0; t < 2; t++) {
        char *text = ipt_save(c, tables[t], err);
        if (!text)
            return -1;
        int rc = vmssh_ipt_parse_save(text, out, err);
        free(text);
        if (rc < 0)
            return -1;
    }
    /* A VM whose DNAT rule is gone still lists (its other rules remain to
     * be removed); its port is then what its comment says. */
    return 0;
}

/* Run iptables with the words after the program name. */
static int ipt_exec(const vmssh_config_t *c, const char *const *words, char *why, size_t wl)
{
    const char *argv[VMSSH_IPT_MAX_ARGS * 2 + 2];
    int n = 0;
    argv[n++] = c->iptables_path;
    for (int i = 0; words[i] && n < (int)(sizeof(argv) / sizeof(*argv)) - 1; i++)
        argv[n++] = words[i];
    argv[n] = NULL;
    return vmssh_run(argv, NULL, NULL, why, wl);
}

static const char *const ipt_rule_names[] = {"DNAT in nat PREROUTING", "ACCEPT in filter FORWARD",
                                             "MASQUERADE in nat POSTROUTING"};

static int ipt_add(const vmssh_config_t *c, const vmssh_entry_t *e, int flags, vmssh_error_t *err)
{
    (void)flags;
    char buf[1024];
    const char *argv[VMSSH_IPT_MAX_ARGS + 1];
    char why[300];
    for (int which = 0; which < 3; which++) {
        char step[16];
        snprintf(step, sizeof(step), "forward:%d", which + 1);
        int rc;
        if (vmssh_fault(step) || (which == 0 && vmssh_fault("forward"))) {
            rc = 1;
            snprintf(why, sizeof(why), "test fault");
        } else if (vmssh_ipt_rule_argv(c, e, which, 'A', buf, sizeof(buf), argv) < 0) {
            rc = 1;
            snprintf(why, sizeof(why), "rule too long");
        } else {
            rc = ipt_exec(c, argv, why, sizeof(why));
        }
        if (rc != 0) {
            /* Remove the rules already added, newest first. */
            for (int undo = which - 1; undo >= 0; undo--) {
                char ub[1024], uwhy[300];
                const char *uargv[VMSSH_IPT_MAX_ARGS + 1];
                if (vmssh_ipt_rule_argv(c, e, undo, 'D', ub, sizeof(ub), uargv) >= 0)
                    ipt_exec(c, uargv, uwhy, sizeof(uwhy));
            }
            return vmssh_fail(err, VMSSH_ERR_FIREWALL, "iptables: adding the %s rule failed: %s",
                              ipt_rule_names[which], why[0] ? why : "exit status not 0");
        }
    }
    return 0;
}

/* Delete every rule of table whose comment names vm_id (and, if only is
 * not NULL, whose comment is exactly *only's). */
static int ipt_del_tagged(const vmssh_config_t *c, const char *table, const char *vm_id,
                          const char *only, vmssh_error_t *err)
{
    char *text = ipt_save(c, table, err);
    if (!text)
        return -1;
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "vmssh:%s:", vm_id);
    int rc = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, "-A ", 3) == 0 && strstr(line, prefix)) {
            char buf[4096];
            char *w[VMSSH_IPT_MAX_ARGS * 2];
            int n = split_words(line, buf, sizeof(buf), w, (int)(sizeof(w) / sizeof(*w)) - 4);
            int mine = 0;
            for (int i = 0; i + 1 < n; i++) {
                if (strcmp(w[i], "--comment") == 0 &&
                    strncmp(w[i + 1], prefix, strlen(prefix)) == 0)
                    mine = !only || strcmp(w[i + 1], only) == 0;
            }
            if (mine && n >= 2) {
                /* "-A CHAIN spec..." -> "-w -t TABLE -D CHAIN spec..." */
                const char *argv[VMSSH_IPT_MAX_ARGS * 2 + 4];
                int k = 0;
                argv[k++] = "-w";
                argv[k++] = "-t";
                argv[k++] = table;
                argv[k++] = "-D";
                char masked[40];
                for (int i = 1; i < n; i++) {
                    argv[k++] = w[i];
                    /* iptables-save drops the /32 of --ctreplsrc, and -D
                     * does not match the rule without it. */
                    if (i + 1 < n && strcmp(w[i], "--ctreplsrc") == 0 && !strchr(w[i + 1], '/') &&
                        strlen(w[i + 1]) < 16) {
                        snprintf(masked, sizeof(masked), "%s/32", w[i + 1]);
                        argv[k++] = masked;
                        i++;
                    }
                }
                argv[k] = NULL;
                char why[300];
                if (ipt_exec(c, argv, why, sizeof(why)) != 0 && rc == 0)
                    rc = vmssh_fail(err, VMSSH_ERR_FIREWALL, "iptables -t %s -D %s: %s", table,
                                    w[1], why[0] ? why : "failed");
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

static int ipt_del(const vmssh_config_t *c, const vmssh_entry_t *e, vmssh_error_t *err)
{
    /* The three rules as they were added (each iptables run reads the
     * whole ruleset, so two iptables-save runs fewer matter with
     * thousands of VMs); if one is not there as expected, every rule
     * still tagged with the VM is found in iptables-save and deleted. */
    int missed = !e->vm_ip[0] || !e->vm_port;
    for (int which = 0; which < 3 && !missed; which++) {
        char buf[1024], why[300];
        const char *argv[VMSSH_IPT_MAX_ARGS + 1];
        if (vmssh_ipt_rule_argv(c, e, which, 'D', buf, sizeof(buf), argv) < 0 ||
            ipt_exec(c, argv, why, sizeof(why)) != 0)
            missed = 1;
    }
    if (!missed)
        return 0;
    int rc = ipt_del_tagged(c, "nat", e->vm_id, NULL, err);
    if (ipt_del_tagged(c, "filter", e->vm_id, NULL, rc < 0 ? NULL : err) < 0)
        rc = -1;
    return rc;
}

static int ipt_renew(const vmssh_config_t *c, const vmssh_entry_t *old, int64_t expires,
                     vmssh_error_t *err)
{
    /* The new rules first (all or nothing), then the old ones by their
     * exact comment: the VM is forwarded at every moment. */
    vmssh_entry_t now = *old;
    now.expires = expires;
    if (now.expires == old->expires)
        return 0;
    if (ipt_add(c, &now, 0, err) < 0)
        return -1;
    char comment[300];
    if (vmssh_ipt_comment(old, comment, sizeof(comment)) < 0)
        return vmssh_fail(err, VMSSH_ERR_INVALID, "comment too long");
    int rc = ipt_del_tagged(c, "nat", old->vm_id, comment, err);
    if (ipt_del_tagged(c, "filter", old->vm_id, comment, rc < 0 ? NULL : err) < 0)
        rc = -1;
    return rc;
}

const vmssh_fwd_ops_t vmssh_fwd_iptables = {
    .name = "iptables", .list = ipt_list, .add = ipt_add, .del = ipt_del, .renew = ipt_renew};
