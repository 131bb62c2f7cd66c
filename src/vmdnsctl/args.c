/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * args.c - parsing vmdnsctl's command line (see args.h and --help).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "common/duration.h"
#include "vmdns/record.h"
#include "vmdns/registrar.h"

/* Fill why and return ARGS_BAD. */
static int bad(char *why, size_t wl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t wl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, wl, fmt, ap);
    va_end(ap);
    return ARGS_BAD;
}

/* Append s to a NULL-free growing list. */
static int push(char ***list, size_t *n, char *s)
{
    char **nl = realloc(*list, (*n + 1) * sizeof(*nl));
    if (!nl)
        return -1;
    nl[(*n)++] = s;
    *list = nl;
    return 0;
}

/* Whole-string unsigned number in [min, max]. */
static int number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Value of an option at argv[*i]; NULL (and why) if missing. */
static const char *value(int argc, char **argv, int *i, char *why, size_t wl)
{
    if (*i + 1 >= argc) {
        bad(why, wl, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* Global options; returns 1 if argv[*i] was one, 0 if not, -1 on error. */
static int global_opt(int argc, char **argv, int *i, ctl_args_t *a, char *why, size_t wl)
{
    const char *o = argv[*i], *v;
    uint64_t n;
#define VAL()                                                                                      \
    do {                                                                                           \
        if (!(v = value(argc, argv, i, why, wl)))                                                  \
            return -1;                                                                             \
    } while (0)
    if (strcmp(o, "--redis") == 0) {
        VAL();
        return push(&a->redis, &a->n_redis, (char *)v) < 0 ? -1 : 1;
    } else if (strcmp(o, "--sentinel") == 0) {
        VAL();
        return push(&a->sentinels, &a->n_sentinels, (char *)v) < 0 ? -1 : 1;
    } else if (strcmp(o, "--master") == 0) {
        VAL();
        a->master = v;
    } else if (strcmp(o, "--username") == 0) {
        VAL();
        a->username = v;
    } else if (strcmp(o, "--password") == 0) {
        VAL();
        a->password = v;
    } else if (strcmp(o, "--prefix") == 0) {
        VAL();
        a->prefix = v;
    } else if (strcmp(o, "--suffix") == 0) {
        VAL();
        a->suffix = v;
    } else if (strcmp(o, "--db") == 0) {
        VAL();
        if (number(v, 0, 1 << 20, &n) < 0)
            return bad(why, wl, "bad --db '%s'", v), -1;
        a->db = (int)n;
    } else if (strcmp(o, "--timeout") == 0) {
        VAL();
        int64_t ms = vmdns_duration_ms(v);
        if (ms <= 0 || ms > 3600000)
            return bad(why, wl, "bad --timeout '%s' (e.g. 2s, 500ms)", v), -1;
        a->timeout_ms = (uint32_t)ms;
    } else if (strcmp(o, "--min-replicas") == 0) {
        VAL();
        a->min_replicas_set = 1;
        if (strcmp(v, "auto") == 0)
            a->min_replicas = VMDNS_MIN_REPLICAS_AUTO;
        else if (number(v, 0, 64, &n) < 0)
            return bad(why, wl, "bad --min-replicas '%s' (auto, or 0 to 64)", v), -1;
        else
            a->min_replicas = (unsigned)n;
    } else if (strcmp(o, "--min-replicas-timeout") == 0) {
        VAL();
        int64_t ms = vmdns_duration_ms(v);
        if (ms <= 0 || ms > 60000)
            return bad(why, wl, "bad --min-replicas-timeout '%s' (e.g. 100ms, 1s)", v), -1;
        a->replicas_timeout_ms = (uint32_t)ms;
    } else {
        return 0;
    }
    return 1;
#undef VAL
}

/* A TTL option value. */
static int ttl_value(const char *v, uint32_t *out, char *why, size_t wl)
{
    uint64_t n;
    if (number(v, 0, VMDNS_MAX_TTL, &n) < 0)
        return bad(why, wl, "bad TTL '%s' (0 to %u seconds)", v, VMDNS_MAX_TTL);
    *out = (uint32_t)n;
    return ARGS_OK;
}

/* A lease option value: a duration of whole seconds, at least one. */
static int lease_value(const char *v, uint32_t *out, char *why, size_t wl)
{
    int64_t ms = vmdns_duration_ms(v);
    if (ms < 1000 || ms % 1000 != 0 || ms / 1000 > UINT32_MAX)
        return bad(why, wl, "bad lease '%s' (e.g. 90s, 30m, 12h)", v);
    *out = (uint32_t)(ms / 1000);
    return ARGS_OK;
}

/* Options of the command words in w[0..nw). */
static int command_opts(char **w, int nw, ctl_args_t *a, char *why, size_t wl)
{
    int positional = 0;
    for (int i = 1; i < nw; i++) {
        const char *o = w[i];
        const char *v = i + 1 < nw ? w[i + 1] : NULL;
        int takes = 1, rc = ARGS_OK;
        if (strncmp(o, "--", 2) != 0 || a->cmd == CMD_SET) {
            /* positional words */
            if (a->cmd == CMD_SET && positional >= 3) {
                if (push(&a->rdata, &a->n_rdata, w[i]) < 0)
                    return bad(why, wl, "out of memory");
            } else if (positional == 0 && a->cmd != CMD_GC) {
                a->name = o;
            } else if (a->cmd == CMD_SET && positional == 1) {
                if (!(a->type = vmdns_type_from_name(o)))
                    return bad(why, wl,
                               "unsupported record type '%s' (A, AAAA, CNAME, NS, TXT, MX, SRV, "
                               "PTR, CAA, SOA)",
                               o);
            } else if (a->cmd == CMD_SET && positional == 2) {
                if (ttl_value(o, &a->ttl, why, wl) != ARGS_OK)
                    return ARGS_BAD;
            } else {
                return bad(why, wl, "unexpected argument '%s'", o);
            }
            positional++;
            continue;
        }
        if (!v && strcmp(o, "--ns") != 0)
            return bad(why, wl, "%s needs a value", o);
        if (strcmp(o, "--ttl") == 0 &&
            (a->cmd == CMD_REGISTER || a->cmd == CMD_ZONE_CREATE || a->cmd == CMD_RENEW)) {
            rc = ttl_value(v, &a->ttl, why, wl);
        } else if (strcmp(o, "--ns") == 0 && a->cmd == CMD_ZONE_CREATE) {
            takes = 0;
            while (i + 1 < nw && strncmp(w[i + 1], "--", 2) != 0) {
                if (push(&a->ns, &a->n_ns, w[++i]) < 0)
                    return bad(why, wl, "out of memory");
                takes++;
            }
            if (takes == 0)
                return bad(why, wl, "--ns needs at least one name server");
            continue;
        } else if (strcmp(o, "--mbox") == 0 && a->cmd == CMD_ZONE_CREATE) {
            a->mbox = v;
        } else if (strcmp(o, "--ipv4") == 0 && (a->cmd == CMD_REGISTER || a->cmd == CMD_RENEW)) {
            a->ipv4 = v;
        } else if (strcmp(o, "--ipv6") == 0 && (a->cmd == CMD_REGISTER || a->cmd == CMD_RENEW)) {
            a->ipv6 = v;
        } else if (strcmp(o, "--ssh-port") == 0 &&
                   (a->cmd == CMD_REGISTER || a->cmd == CMD_RENEW)) {
            uint64_t n;
            if (number(v, 1, 65535, &n) < 0)
                return bad(why, wl, "bad --ssh-port '%s' (1 to 65535)", v);
            a->ssh_port = (uint16_t)n;
        } else if (strcmp(o, "--lease") == 0 && (a->cmd == CMD_REGISTER || a->cmd == CMD_RENEW)) {
            rc = lease_value(v, &a->lease_s, why, wl);
        } else if (strcmp(o, "--wait-visible") == 0 &&
                   (a->cmd == CMD_REGISTER || a->cmd == CMD_DEREGISTER)) {
            if (push(&a->wait_visible, &a->n_wait_visible, (char *)v) < 0)
                return bad(why, wl, "out of memory");
        } else if (strcmp(o, "--wait-timeout") == 0 &&
                   (a->cmd == CMD_REGISTER || a->cmd == CMD_DEREGISTER)) {
            int64_t ms = vmdns_duration_ms(v);
            if (ms <= 0 || ms > 3600000)
                return bad(why, wl, "bad --wait-timeout '%s' (e.g. 5s)", v);
            a->wait_timeout_ms = (uint32_t)ms;
        } else {
            return bad(why, wl, "unknown option '%s' for %s", o, w[0]);
        }
        if (rc != ARGS_OK)
            return rc;
        i += takes;
    }
    return ARGS_OK;
}

/* Check that a command got what it needs. */
static int required(ctl_args_t *a, const char *cmd, char *why, size_t wl)
{
    switch (a->cmd) {
    case CMD_ZONE_CREATE:
        if (!a->name || !a->n_ns || !a->mbox)
            return bad(why, wl, "zone-create needs ZONE, --ns and --mbox");
        break;
    case CMD_REGISTER:
        if (!a->name)
            return bad(why, wl, "register needs FQDN");
        if (!a->ipv4 && !a->ipv6)
            return bad(why, wl, "register needs --ipv4 or --ipv6");
        break;
    case CMD_DEREGISTER:
        if (!a->name)
            return bad(why, wl, "deregister needs FQDN");
        break;
    case CMD_RENEW:
        if (!a->name || !a->lease_s)
            return bad(why, wl, "renew needs FQDN and --lease");
        if ((a->ssh_port || a->ttl) && !a->ipv4 && !a->ipv6)
            return bad(why, wl, "renew: --ssh-port and --ttl go with --ipv4/--ipv6 (the VM)");
        break;
    case CMD_SET:
        if (!a->name || !a->type)
            return bad(why, wl, "set needs FQDN TYPE TTL [RDATA...]");
        break;
    case CMD_LIST:
    case CMD_GC:
        break;
    case CMD_CONFIRM_DROP:
        if (!a->name)
            return bad(why, wl, "confirm-drop needs the backend's name (vmdnsd's config), or *");
        break;
    }
    (void)cmd;
    return ARGS_OK;
}

int args_parse(int argc, char **argv, ctl_args_t *a, char *why, size_t wl)
{
    static const struct {
        const char *word;
        ctl_cmd_t cmd;
    } cmds[] = {{"zone-create", CMD_ZONE_CREATE},
                {"register", CMD_REGISTER},
                {"deregister", CMD_DEREGISTER},
                {"renew", CMD_RENEW},
                {"set", CMD_SET},
                {"list", CMD_LIST},
                {"gc", CMD_GC},
                {"confirm-drop", CMD_CONFIRM_DROP}};
    memset(a, 0, sizeof(*a));
    char **w = calloc((size_t)argc + 1, sizeof(*w));
    int nw = 0, rc = ARGS_OK;
    if (!w)
        return bad(why, wl, "out of memory");
    for (int i = 1; i < argc && rc == ARGS_OK; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            rc = ARGS_HELP;
            break;
        }
        /* After "set FQDN TYPE TTL", every word is rdata, even "--x". */
        int in_rdata = nw >= 4 && strcmp(w[0], "set") == 0;
        int g = in_rdata ? 0 : global_opt(argc, argv, &i, a, why, wl);
        if (g < 0)
            rc = ARGS_BAD;
        else if (g == 0)
            w[nw++] = argv[i];
    }
    if (rc == ARGS_OK && nw == 0)
        rc = bad(why, wl, "no command given");
    if (rc == ARGS_OK) {
        size_t k;
        for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
            if (strcmp(w[0], cmds[k].word) == 0)
                break;
        if (k == sizeof(cmds) / sizeof(cmds[0]))
            rc = bad(why, wl, "unknown command '%s'", w[0]);
        else
            a->cmd = cmds[k].cmd;
    }
    if (rc == ARGS_OK)
        rc = command_opts(w, nw, a, why, wl);
    if (rc == ARGS_OK)
        rc = required(a, w[0], why, wl);
    if (rc == ARGS_OK && a->n_sentinels && !a->master)
        rc = bad(why, wl, "--sentinel needs --master NAME");
    if (rc == ARGS_OK && a->master && !a->n_sentinels)
        rc = bad(why, wl, "--master needs --sentinel HOST:PORT");
    if (rc == ARGS_OK && a->n_sentinels && a->n_redis)
        rc = bad(why, wl, "give either --redis or --sentinel, not both");
    free(w);
    return rc;
}

void args_free(ctl_args_t *a)
{
    free(a->redis);
    free(a->sentinels);
    free(a->ns);
    free(a->wait_visible);
    free(a->rdata);
    memset(a, 0, sizeof(*a));
}
