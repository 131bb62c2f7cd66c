/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli_args.c - read vmdnsd's command line (see cli_args.h).
 *
 * Why not getopt_long: CoreDNS's flags are Go flags. `-conf` or
 * `-version` with one dash would be read by getopt as a cluster of short
 * options, and `-dns.port=1053` not at all. Every option here is looked up
 * by its whole name whether it came with one dash or two, which reads both
 * vmdnsd's long options and CoreDNS's flags, and keeps `-c FILE`, `-h`,
 * `-V` working as before.
 */
#include "cli_args.h"

#include <stdlib.h>
#include <string.h>

/* What an option sets. */
typedef enum {
    OPT_CONFIG,       /* --config FILE, -c FILE: YAML */
    OPT_COREFILE,     /* --corefile FILE, -conf FILE: Corefile */
    OPT_CHECK_CONFIG, /* --check-config FILE: YAML, check only */
    OPT_CHECK,        /* --check */
    OPT_VERSION,
    OPT_HELP,
    OPT_PLUGINS,
    OPT_QUIET,
    OPT_PIDFILE,
    OPT_DNS_PORT,
} opt_id_t;

typedef struct opt_def {
    const char *name;
    opt_id_t id;
    bool value; /* takes a value (else a bool flag) */
} opt_def_t;

static const opt_def_t opt_defs[] = {
    {"config", OPT_CONFIG, true},
    {"c", OPT_CONFIG, true},
    {"corefile", OPT_COREFILE, true},
    {"conf", OPT_COREFILE, true},
    {"check-config", OPT_CHECK_CONFIG, true},
    {"check", OPT_CHECK, false},
    {"version", OPT_VERSION, false},
    {"V", OPT_VERSION, false},
    {"help", OPT_HELP, false},
    {"h", OPT_HELP, false},
    {"plugins", OPT_PLUGINS, false},
    {"quiet", OPT_QUIET, false},
    {"pidfile", OPT_PIDFILE, true},
    {"dns.port", OPT_DNS_PORT, true},
};

static const opt_def_t *opt_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
        if (strlen(opt_defs[i].name) == len && strncmp(opt_defs[i].name, name, len) == 0) {
            return &opt_defs[i];
        }
    }
    return NULL;
}

/* Go's strconv.ParseBool. 0, or -1 if text is none of its spellings. */
static int parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Set the config file; a second one is an error. */
static int set_path(cli_args_t *out, const char *flag, const char *path, bool corefile, char *err,
                    size_t errlen)
{
    if (out->path != NULL) {
        snprintf(err, errlen, "give one config file (%s '%s' after '%s')", flag, path, out->path);
        return -1;
    }
    if (path[0] == '\0') {
        snprintf(err, errlen, "%s: empty file name", flag);
        return -1;
    }
    out->path = path;
    out->corefile = corefile;
    return 0;
}

/* Apply one option (value: its value, or "true"/"false" for a bool). */
static int apply(cli_args_t *out, const opt_def_t *o, const char *flag, const char *value, bool on,
                 char *err, size_t errlen)
{
    switch (o->id) {
    case OPT_CONFIG:
        return set_path(out, flag, value, false, err, errlen);
    case OPT_COREFILE:
        return set_path(out, flag, value, true, err, errlen);
    case OPT_CHECK_CONFIG:
        out->check_only = true;
        return set_path(out, flag, value, false, err, errlen);
    case OPT_CHECK:
        out->check_only = on;
        return 0;
    case OPT_VERSION:
    case OPT_HELP:
    case OPT_PLUGINS:
        if (on && out->action == CLI_RUN) {
            out->action = o->id == OPT_VERSION ? CLI_VERSION
                          : o->id == OPT_HELP  ? CLI_HELP
                                               : CLI_PLUGINS;
        }
        return 0;
    case OPT_QUIET:
        out->quiet = on;
        return 0;
    case OPT_PIDFILE:
        out->pidfile = value[0] != '\0' ? value : NULL; /* CoreDNS: "" writes none */
        return 0;
    case OPT_DNS_PORT: {
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || *end != '\0' || v == 0 || v > 65535) {
            snprintf(err, errlen, "%s: '%s' is not a port (1-65535)", flag, value);
            return -1;
        }
        out->dns_port = (unsigned)v;
        return 0;
    }
    }
    return 0;
}

int cli_args_parse(int argc, char *const argv[], cli_args_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->action = CLI_RUN;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            break; /* the first non-flag ends the flags, as in Go */
        }
        const char *name = a + 1 + (a[1] == '-');
        if (a[1] == '-' && a[2] == '\0') {
            i++; /* "--" */
            break;
        }
        if (name[0] == '-' || name[0] == '=' || name[0] == '\0') {
            snprintf(err, errlen, "bad flag syntax: %s", a);
            return -1;
        }
        const char *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const opt_def_t *o = opt_find(name, len);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option: %.*s", (int)(name - a + len), a);
            return -1;
        }
        const char *value = eq != NULL ? eq + 1 : NULL;
        bool on = true;
        if (o->value && value == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "%s needs a value", a);
                return -1;
            }
            value = argv[++i];
        } else if (!o->value && value != NULL && parse_bool(value, &on) != 0) {
            snprintf(err, errlen, "%s: invalid boolean value '%s'", a, value);
            return -1;
        }
        if (apply(out, o, a, value != NULL ? value : "true", on, err, errlen) != 0) {
            return -1;
        }
    }
    if (i < argc) {
        snprintf(err, errlen,
                 "unexpected argument '%s' (the config file goes after -conf or "
                 "--config)",
                 argv[i]);
        return -1;
    }
    if (out->path == NULL) {
        out->path = "Corefile"; /* CoreDNS's default: ./Corefile */
        out->corefile = true;
        out->path_defaulted = true;
    }
    if (out->dns_port != 0 && !out->corefile) {
        snprintf(err, errlen, "-dns.port is for a Corefile (a YAML config names its ports)");
        return -1;
    }
    return 0;
}

void cli_usage(FILE *out)
{
    fprintf(out,
            "usage: vmdnsd --config FILE         serve a YAML config (also -c FILE)\n"
            "       vmdnsd --corefile FILE       serve a CoreDNS Corefile (also -conf FILE)\n"
            "       vmdnsd                       serve ./Corefile, as CoreDNS does\n"
            "       vmdnsd --check-config FILE   check a YAML config and its zone files, exit\n"
            "       vmdnsd --check -conf FILE    the same for a Corefile\n"
            "       vmdnsd --version | --help | -plugins\n"
            "\n"
            "CoreDNS's flags are read too, with one or two dashes, as -flag=value or\n"
            "-flag value: -conf FILE, -dns.port PORT (default port of the server blocks),\n"
            "-pidfile FILE, -plugins, -quiet (no startup banner), -version.\n"
            "\n"
            "Signals: SIGHUP and SIGUSR1 reload the config (a bad one is logged and the\n"
            "running one kept); SIGUSR2 reloads too (CoreDNS's binary upgrade is not done);\n"
            "SIGTERM/SIGINT stop gracefully (lameduck, drain; a second one stops at once);\n"
            "SIGQUIT stops at once. See vmdnsd(8) and vmdns.yaml(5).\n");
}
