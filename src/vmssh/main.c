/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmssh - SSH access to a VM from outside its host, on the command line:
 * libvmssh for shell-script agents and operators.
 *
 *   vmssh [--config FILE] open VM_ID --vm-ip ADDR --name FQDN [--user U] [--lease 2h]
 *         [--github-user LOGIN]... [--authorized-keys FILE]
 *   vmssh [--config FILE] keys LOGIN... [--out FILE]
 *   vmssh [--config FILE] close VM_ID
 *   vmssh [--config FILE] renew VM_ID [--lease 2h]
 *   vmssh [--config FILE] list
 *   vmssh [--config FILE] reconcile (--live VM,... | --live-file FILE)
 *   vmssh [--config FILE] grace [--max 4m50s] [--interval 10s] [--port 22]
 *
 * Exit 0 on success; 1 when the work failed (one line on stderr saying
 * what, and whether anything was left behind), which includes a bad VM
 * id, address, name or lease: those are refused before the config is read
 * or anything touched; 2 for a command line that does not parse (unknown
 * command or option, a missing argument). grace: 0 no session, 3 all
 * sessions ended, 4 the limit was reached with sessions still active.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/duration.h"
#include "keys_cmd.h" /* keys (issue 10) */
#include "vmdns/ssh.h"

#define EXIT_BAD_USAGE   2
#define EXIT_GRACE_ENDED 3
#define EXIT_GRACE_LIMIT 4

static const char usage[] =
    "usage: vmssh [--config FILE] COMMAND [ARGS]\n"
    "  open VM_ID --vm-ip ADDR --name FQDN [--user runner] [--lease 2h]\n"
    "        [--github-user LOGIN]... [--authorized-keys FILE]\n"
    "        reserve a host port, forward it to the VM's SSH port, publish the name;\n"
    "        prints how to connect (\"ssh -p PORT USER@NAME\"); with --github-user, first\n"
    "        writes those GitHub users' keys to --authorized-keys FILE (no keys: no forward)\n"
    "  close VM_ID                        remove the VM's name and forward (idempotent)\n"
    "  renew VM_ID [--lease 2h]           extend the forward's and the name's lease\n"
    "  list                               open VMs: VM PORT VM_ADDRESS NAME, one a line\n"
    "  reconcile (--live VM,... | --live-file FILE)\n"
    "        close every VM of this host that is not listed (after an agent crash)\n"
    "  keys LOGIN... [--out FILE]\n"
    "        the GitHub users' allowed SSH keys (github: in the config) as an authorized_keys\n"
    "        file (written atomically, mode 0600) or on stdout\n"
    "  grace [--max 4m50s] [--interval 10s] [--port 22]\n"
    "        at the end of a job (in the VM or its network namespace): wait while SSH\n"
    "        sessions (established TCP connections to --port) are active, up to --max;\n"
    "        defaults from grace: in the config (read only when --config is given or the\n"
    "        default file exists), else 4m50s and 10s\n"
    "options: --config FILE (default /etc/vmdns/vmssh.yaml), --help, --version\n"
    "exit status: 0 success; 1 failure, or a bad VM id, address, name or lease (one line on\n"
    "             stderr; nothing left behind unless it says so); 2 bad command line\n"
    "             grace: 0 no session (at once, silently), 3 all sessions ended,\n"
    "             4 --max passed with sessions still active\n";

typedef struct cli {
    const char *config, *cmd, *vm_id, *vm_ip, *name, *user, *live, *live_file;
    const char *max, *interval, *port; /* grace */
    const char **github_users;         /* open: keys (issue 10) */
    size_t n_github_users;
    const char *authorized_keys;
    uint32_t lease_s;
} cli_t;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vmssh: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(vmssh --help for usage)\n");
    return EXIT_BAD_USAGE;
}

/* A bad value (VM id, address, name, lease): one line, exit 1. */
static int value_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vmssh: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; nothing was changed\n");
    return 1;
}

static int parse_lease(const char *v, uint32_t *out)
{
    int64_t ms = vmdns_duration_ms(v);
    if (ms < 1000 || ms % 1000 || ms / 1000 > 366 * 86400)
        return -1;
    *out = (uint32_t)(ms / 1000);
    return 0;
}

/* Parse argv; 0 ok, -1 help/version printed, 1 bad value, EXIT_BAD_USAGE. */
static int parse(int argc, char **argv, cli_t *c)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(a, "--version") == 0) {
            puts("vmssh 0.1.0");
            return -1;
        }
        int takes = strcmp(a, "--config") == 0 || strcmp(a, "--vm-ip") == 0 ||
                    strcmp(a, "--name") == 0 || strcmp(a, "--user") == 0 ||
                    strcmp(a, "--lease") == 0 || strcmp(a, "--live") == 0 ||
                    strcmp(a, "--live-file") == 0 || strcmp(a, "--max") == 0 ||
                    strcmp(a, "--interval") == 0 || strcmp(a, "--port") == 0 ||
                    strcmp(a, "--github-user") == 0 || strcmp(a, "--authorized-keys") == 0;
        if (takes && !v)
            return usage_error("%s needs a value", a);
        if (strcmp(a, "--config") == 0)
            c->config = v;
        else if (strcmp(a, "--vm-ip") == 0)
            c->vm_ip = v;
        else if (strcmp(a, "--name") == 0)
            c->name = v;
        else if (strcmp(a, "--user") == 0)
            c->user = v;
        else if (strcmp(a, "--live") == 0)
            c->live = v;
        else if (strcmp(a, "--live-file") == 0)
            c->live_file = v;
        else if (strcmp(a, "--max") == 0)
            c->max = v;
        else if (strcmp(a, "--interval") == 0)
            c->interval = v;
        else if (strcmp(a, "--port") == 0)
            c->port = v;
        else if (strcmp(a, "--github-user") == 0) { /* keys (issue 10); argv outlives c */
            if (!c->github_users && !(c->github_users = calloc((size_t)argc, sizeof(char *))))
                return 1;
            c->github_users[c->n_github_users++] = v;
        } else if (strcmp(a, "--authorized-keys") == 0)
            c->authorized_keys = v;
        else if (strcmp(a, "--lease") == 0) {
            if (parse_lease(v, &c->lease_s) < 0)
                return value_error("bad lease '%s' (whole seconds, 1s to 366d: e.g. 90s, 2h)", v);
        } else if (a[0] == '-' && a[1])
            return usage_error("unknown option %s", a);
        else if (!c->cmd)
            c->cmd = a;
        else if (!c->vm_id)
            c->vm_id = a;
        else
            return usage_error("unexpected argument '%s'", a);
        if (takes)
            i++;
    }
    if (!c->cmd)
        return usage_error("%s", "no command");
    int is_open = strcmp(c->cmd, "open") == 0, is_close = strcmp(c->cmd, "close") == 0,
        is_renew = strcmp(c->cmd, "renew") == 0, is_list = strcmp(c->cmd, "list") == 0,
        is_rec = strcmp(c->cmd, "reconcile") == 0, is_grace = strcmp(c->cmd, "grace") == 0;
    if (!is_open && !is_close && !is_renew && !is_list && !is_rec && !is_grace)
        return usage_error("unknown command '%s'", c->cmd);
    if ((is_open || is_close || is_renew) && !c->vm_id)
        return usage_error("%s needs VM_ID", c->cmd);
    if ((is_list || is_rec || is_grace) && c->vm_id)
        return usage_error("unexpected argument '%s'", c->vm_id);
    if (c->vm_id && !vmssh_valid_vm_id(c->vm_id))
        return value_error("bad VM id '%s' (letters, digits, '.', '_', '-'; at most 63)", c->vm_id);
    if (!is_open && (c->n_github_users || c->authorized_keys))
        return usage_error("%s", "--github-user and --authorized-keys belong to open");
    if (!c->n_github_users != !c->authorized_keys)
        return usage_error("%s", "--github-user LOGIN and --authorized-keys FILE go together");
    if (!is_open && (c->vm_ip || c->name || c->user))
        return usage_error("%s", "--vm-ip, --name and --user belong to open");
    if (!is_open && !is_renew && c->lease_s)
        return usage_error("%s", "--lease belongs to open and renew");
    if (!is_grace && (c->max || c->interval || c->port))
        return usage_error("%s", "--max, --interval and --port belong to grace");
    if (!is_rec && (c->live || c->live_file))
        return usage_error("%s", "--live and --live-file belong to reconcile");
    if (is_open) {
        if (!c->vm_ip || !c->name)
            return usage_error("%s", "open needs --vm-ip ADDR and --name FQDN");
        if (!vmssh_valid_ipv4(c->vm_ip))
            return value_error("bad VM address '%s' (an IPv4 address)", c->vm_ip);
        if (!vmssh_valid_name(c->name))
            return value_error("bad name '%s' (a fully qualified host name)", c->name);
    }
    if (is_rec && !c->live == !c->live_file)
        return usage_error("%s", "reconcile needs --live VM,... or --live-file FILE (one)");
    return 0;
}

/* A growing list of VM ids (owned strings). */
typedef struct idlist {
    char **v;
    size_t n;
} idlist_t;

static int idlist_add(idlist_t *l, const char *s, size_t len)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    l->v = nv;
    if (!(l->v[l->n] = strndup(s, len)))
        return -1;
    l->n++;
    return 0;
}

static void idlist_free(idlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* --live "a,b,c" or --live-file (one id a line, blank and # lines skipped). */
static int read_live(const cli_t *c, idlist_t *l)
{
    if (c->live) {
        for (const char *p = c->live; *p;) {
            size_t n = strcspn(p, ",");
            if (n && idlist_add(l, p, n) < 0)
                return -1;
            p += n;
            if (*p == ',')
                p++;
        }
        return 0;
    }
    FILE *f = strcmp(c->live_file, "-") == 0 ? stdin : fopen(c->live_file, "r");
    if (!f) {
        fprintf(stderr, "vmssh: reconcile: %s: %s; nothing was changed\n", c->live_file,
                strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t n = strcspn(s, " \t\r\n");
        if (n == 0 || s[0] == '#')
            continue;
        if (idlist_add(l, s, n) < 0) {
            rc = -1;
            break;
        }
    }
    int bad = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "vmssh: reconcile: reading %s failed; nothing was changed\n", c->live_file);
        return -1;
    }
    return rc;
}

/* Notes of open's keys step (dropped keys, a cached copy used). */
static void keys_note(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "vmssh: %s\n", msg);
}

static int fail(const char *what, const vmssh_error_t *err)
{
    fprintf(stderr, "vmssh: %s: %s\n", what, err->message);
    return 1;
}

static void say_line(const char *line, void *ud)
{
    (void)ud;
    printf("%s\n", line);
    fflush(stdout);
}

/* A bad grace value: one line, exit 1 (as the other commands' bad values). */
static int grace_value_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vmssh: grace: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 1;
}

/* vmssh grace: the config only for its grace: defaults, and only when one
 * is given or the default file exists (a VM usually has none). */
static int grace(const cli_t *c)
{
    vmssh_grace_opts_t o;
    vmssh_grace_opts_init(&o);
    if (c->max && (o.max_ms = vmdns_duration_ms(c->max)) < 0)
        return grace_value_error("bad --max '%s' (a duration: e.g. 4m50s, 90s)", c->max);
    if (c->interval && (o.interval_ms = vmdns_duration_ms(c->interval)) <= 0)
        return grace_value_error("bad --interval '%s' (a duration above 0: e.g. 10s, 500ms)",
                                 c->interval);
    if (c->port) {
        char *end;
        errno = 0;
        unsigned long p = strtoul(c->port, &end, 10);
        if (!*c->port || *end || errno || p < 1 || p > 65535 || c->port[0] == '-')
            return grace_value_error("bad --port '%s' (1 to 65535)", c->port);
        o.port = (uint16_t)p;
    }
    o.max_text = c->max;
    o.say = say_line;
    vmssh_error_t err;
    vmssh_t *h = NULL;
    if (c->config || access("/etc/vmdns/vmssh.yaml", F_OK) == 0) {
        if (!(h = vmssh_new(c->config, &err))) {
            fprintf(stderr, "vmssh: grace: %s\n", err.message);
            return 1;
        }
    }
    int r = vmssh_grace(h, &o, &err);
    vmssh_free(h);
    if (r < 0)
        return fail("grace", &err);
    return r == VMSSH_GRACE_NONE ? 0 : r == VMSSH_GRACE_ENDED ? EXIT_GRACE_ENDED : EXIT_GRACE_LIMIT;
}

static int print_entry(const vmssh_entry_t *e, void *ud)
{
    (void)ud;
    printf("%s %u %s %s\n", e->vm_id, e->port, e->vm_ip, e->name);
    return 0;
}

static int run(int argc, char **argv, cli_t *cp)
{
    cli_t c = {0};
    /* keys (issue 10): its own arguments (LOGIN... --out FILE). */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            c.config = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "keys") == 0)
            return vmssh_cli_keys(argc, argv, c.config, i + 1);
        break;
    }
    int rc = parse(argc, argv, &c);
    cp->github_users = c.github_users; /* freed by main */
    if (rc)
        return rc < 0 ? 0 : rc;
    if (strcmp(c.cmd, "grace") == 0)
        return grace(&c);
    idlist_t live = {0};
    if (strcmp(c.cmd, "reconcile") == 0) {
        if (read_live(&c, &live) < 0) {
            idlist_free(&live);
            return 1;
        }
        for (size_t i = 0; i < live.n; i++) {
            if (!vmssh_valid_vm_id(live.v[i])) {
                rc = value_error("bad VM id '%s' in the live list", live.v[i]);
                idlist_free(&live);
                return rc;
            }
        }
    }
    vmssh_error_t err;
    vmssh_t *h = vmssh_new(c.config, &err);
    if (!h) {
        idlist_free(&live);
        fprintf(stderr, "vmssh: %s; nothing was changed\n", err.message);
        return 1;
    }
    char what[128];
    snprintf(what, sizeof(what), "%s%s%s", c.cmd, c.vm_id ? " " : "", c.vm_id ? c.vm_id : "");
    if (strcmp(c.cmd, "open") == 0) {
        vmssh_open_opts_t o;
        vmssh_open_opts_init(&o);
        o.vm_id = c.vm_id;
        o.vm_ip = c.vm_ip;
        o.name = c.name;
        o.user = c.user ? c.user : "runner";
        o.lease_s = c.lease_s;
        o.github_users = c.github_users; /* keys (issue 10) */
        o.n_github_users = c.n_github_users;
        o.authorized_keys = c.authorized_keys;
        o.keys_note = keys_note;
        vmssh_entry_t e;
        vmssh_entry_init(&e);
        if (vmssh_vm_open(h, &o, &e, &err) < 0) {
            rc = fail(what, &err);
        } else {
            printf("SSH access available:\nssh -p %u %s@%s\n", e.port, o.user, e.name);
        }
    } else if (strcmp(c.cmd, "close") == 0) {
        if (vmssh_vm_close(h, c.vm_id, NULL, &err) < 0)
            rc = fail(what, &err);
    } else if (strcmp(c.cmd, "renew") == 0) {
        if (vmssh_vm_renew(h, c.vm_id, c.lease_s, &err) < 0)
            rc = fail(what, &err);
    } else if (strcmp(c.cmd, "list") == 0) {
        if (vmssh_list(h, print_entry, NULL, &err) < 0)
            rc = fail(what, &err);
    } else {
        size_t removed = 0;
        if (vmssh_reconcile(h, (const char *const *)live.v, live.n, &removed, &err) < 0)
            rc = fail(what, &err);
        else if (removed)
            fprintf(stderr, "vmssh: reconcile: closed %zu VM%s\n", removed,
                    removed == 1 ? "" : "s");
    }
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "vmssh: writing the output failed\n");
        rc = 1;
    }
    vmssh_free(h);
    idlist_free(&live);
    return rc;
}

int main(int argc, char **argv)
{
    cli_t c = {0};
    int rc = run(argc, argv, &c);
    free(c.github_users);
    return rc;
}
