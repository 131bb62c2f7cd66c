/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmdnsctl - the registrar library on the command line.
 *
 * For operators and scripts: create a zone, register or deregister a VM,
 * renew a lease, set any record, list a zone as zone-file text, collect
 * expired names. Each command is one libvmdns call; this file only parses
 * arguments and prints. Success is exit 0 and (except list and gc) no
 * output; a failure is one line on stderr naming what was wrong, and exit
 * status 1 (2 for a command line that does not parse).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "listing.h"
#include "vmdns/registrar.h"

static const char USAGE[] =
    "usage: vmdnsctl [--redis HOST:PORT]... [--sentinel HOST:PORT... --master NAME]\n"
    "                [--username U] [--password P] [--db N] [--prefix P] [--suffix S]\n"
    "                [--timeout DURATION] [--min-replicas auto|N]\n"
    "                [--min-replicas-timeout DURATION] COMMAND\n"
    "commands:\n"
    "  zone-create ZONE --ns NS... --mbox MBOX [--ttl N]\n"
    "  register FQDN [--ipv4 A] [--ipv6 AAAA] [--ssh-port PORT] [--ttl N] [--lease 30m]\n"
    "               [--wait-visible HOST:PORT]... [--wait-timeout DURATION]\n"
    "  deregister FQDN [--wait-visible HOST:PORT]... [--wait-timeout DURATION]\n"
    "  renew FQDN --lease 30m [--ipv4 A] [--ipv6 AAAA] [--ssh-port PORT] [--ttl N]\n"
    "                 (with the VM's addresses: written again if the backend lost it)\n"
    "  set FQDN TYPE TTL RDATA...     (no RDATA: remove the type; names are absolute)\n"
    "  list [ZONE]                    (presentation format, like a zone file)\n"
    "  gc                             (delete names whose lease has expired)\n"
    "  confirm-drop BACKEND           (let vmdnsd's redis backend BACKEND drop the names\n"
    "                                  it holds back, degraded; * for every backend)\n"
    "Redis defaults to 127.0.0.1:6379. Durations: 90s, 30m, 2h, 1d, 1h30m, 500ms.\n"
    "--min-replicas: a write succeeds once that many replicas hold it (WAIT); auto\n"
    "(default): every replica in sync, none on a master without replicas.\n"
    "Exit status: 0 success, 1 failure, 2 bad command line.\n";

/* Print "vmdnsctl: <message>" and return status 1. */
static int fail(const vmdns_error_t *e)
{
    fprintf(stderr, "vmdnsctl: %s\n", e->message[0] ? e->message : vmdns_strerror(e->code));
    return 1;
}

/* The library's warning about a dangerous Redis setting: one line on stderr. */
static void warn_stderr(const char *msg, void *ud)
{
    (void)ud;
    fprintf(stderr, "vmdnsctl: warning: %s\n", msg);
}

/* Open the handle from the global options. */
static vmdns_registrar_t *open_registrar(const ctl_args_t *a, vmdns_error_t *err)
{
    vmdns_registrar_opts_t o;
    static const char *const local[] = {"127.0.0.1:6379"};
    vmdns_registrar_opts_init(&o);
    o.nodes = a->n_redis ? (const char *const *)a->redis : local;
    o.n_nodes = a->n_redis || a->n_sentinels ? a->n_redis : 1;
    o.sentinels = (const char *const *)a->sentinels;
    o.n_sentinels = a->n_sentinels;
    o.master_name = a->master;
    o.username = a->username;
    o.password = a->password;
    o.db = a->db;
    o.prefix = a->prefix ? a->prefix : "";
    o.suffix = a->suffix ? a->suffix : "";
    if (a->timeout_ms) {
        o.connect_timeout_ms = a->timeout_ms;
        o.command_timeout_ms = a->timeout_ms;
        o.failover_timeout_ms = a->timeout_ms;
    }
    if (a->min_replicas_set)
        o.min_replicas = a->min_replicas;
    if (a->replicas_timeout_ms)
        o.min_replicas_timeout_ms = a->replicas_timeout_ms;
    o.warn = warn_stderr;
    o.wait_visible = (const char *const *)a->wait_visible;
    o.n_wait_visible = a->n_wait_visible;
    if (a->wait_timeout_ms)
        o.wait_visible_timeout_ms = a->wait_timeout_ms;
    return vmdns_registrar_open(&o, err);
}

/* Run the parsed command on an open handle. */
static int run(vmdns_registrar_t *r, const ctl_args_t *a, vmdns_error_t *e)
{
    switch (a->cmd) {
    case CMD_ZONE_CREATE:
        return vmdns_zone_create(r, a->name, (const char *const *)a->ns, a->n_ns, a->mbox, a->ttl,
                                 e);
    case CMD_REGISTER: {
        vmdns_vm_t vm = {VMDNS_VM_INIT,        .name = a->name,         .ipv4 = a->ipv4,
                         .ipv6 = a->ipv6,      .ssh_port = a->ssh_port, .ttl = a->ttl,
                         .lease_s = a->lease_s};
        return vmdns_register_vm(r, &vm, e);
    }
    case CMD_DEREGISTER:
        return vmdns_deregister(r, a->name, e);
    case CMD_RENEW:
        if (a->ipv4 || a->ipv6) {
            vmdns_vm_t vm = {VMDNS_VM_INIT,        .name = a->name,         .ipv4 = a->ipv4,
                             .ipv6 = a->ipv6,      .ssh_port = a->ssh_port, .ttl = a->ttl,
                             .lease_s = a->lease_s};
            return vmdns_renew_vm(r, &vm, NULL, e);
        }
        return vmdns_renew(r, a->name, a->lease_s, e);
    case CMD_SET:
        return vmdns_set_rrset(r, a->name, a->type, a->ttl, (const char *const *)a->rdata,
                               a->n_rdata, e);
    case CMD_LIST:
        return listing_print(r, a->name, stdout, e);
    case CMD_GC: {
        size_t removed = 0;
        if (vmdns_gc(r, &removed, e) < 0)
            return -1;
        printf("removed %zu expired name%s\n", removed, removed == 1 ? "" : "s");
        return 0;
    }
    case CMD_CONFIRM_DROP:
        return vmdns_confirm_drop(r, a->name, e);
    }
    return -1;
}

int main(int argc, char **argv)
{
    ctl_args_t a;
    char why[256];
    int prc = args_parse(argc, argv, &a, why, sizeof(why));
    if (prc == ARGS_HELP) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (prc != ARGS_OK) {
        fprintf(stderr, "vmdnsctl: %s (see vmdnsctl --help)\n", why);
        args_free(&a);
        return 2;
    }
    vmdns_error_t e = {0};
    vmdns_registrar_t *r = open_registrar(&a, &e);
    int rc = 1;
    if (!r) {
        fail(&e);
    } else if (run(r, &a, &e) < 0) {
        fail(&e);
    } else if (fflush(stdout) != 0) {
        fprintf(stderr, "vmdnsctl: writing output: %s\n", strerror(errno));
    } else {
        rc = 0;
    }
    vmdns_registrar_close(r);
    args_free(&a);
    return rc;
}
