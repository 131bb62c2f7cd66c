/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli_args.h - vmdnsd's command line: its own long options and CoreDNS's
 * flags, so a CoreDNS unit file or container `args:` work unchanged.
 *
 * Both spellings are read the way Go's flag package reads CoreDNS's: one
 * or two dashes, `-flag=value` or `-flag value`, a bool flag alone or as
 * `-flag=true|false`, `--` ends the flags. Without a config file, vmdnsd
 * reads ./Corefile as CoreDNS does.
 */
#ifndef VMDNS_CLI_ARGS_H
#define VMDNS_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What the command line asks for. */
typedef enum {
    CLI_RUN,     /* serve (or check, with check_only) */
    CLI_VERSION, /* -version / --version / -V */
    CLI_HELP,    /* -help / --help / -h */
    CLI_PLUGINS, /* -plugins: list the compiled-in plugins */
} cli_action_t;

/* The parsed command line; strings point into argv. */
typedef struct cli_args {
    cli_action_t action;
    const char *path;    /* the config file (./Corefile when none was given) */
    bool corefile;       /* path is a Corefile (else YAML) */
    bool path_defaulted; /* no file was named: path is "Corefile" */
    bool check_only;     /* --check / --check-config */
    bool quiet;          /* -quiet: no "ready" banner */
    const char *pidfile; /* -pidfile FILE, or NULL */
    unsigned dns_port;   /* -dns.port PORT; 0 when not given (53) */
} cli_args_t;

/* Parse argv. 0, or -1 with a one-line reason in err (a usage error). */
int cli_args_parse(int argc, char *const argv[], cli_args_t *out, char *err, size_t errlen);

/* The usage text (vmdnsd's options and the CoreDNS flags). */
void cli_usage(FILE *out);

#endif
