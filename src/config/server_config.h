/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_config.h - the core's own config keys: listen, workers, limits.
 *
 * Plugins read their own sections; these three top-level keys belong to
 * the server itself. They are read into the server_opts_t that
 * server_new() takes, with every value checked here so that a bad address
 * or number is reported as "FILE:LINE: problem" at the offending line.
 */
#ifndef VMDNS_CONFIG_SERVER_CONFIG_H
#define VMDNS_CONFIG_SERVER_CONFIG_H

#include "config/cfg.h"
#include "server/server.h"

/* Defaults used when a key is absent. */
#define CFG_DEFAULT_LISTEN              "0.0.0.0:53"
#define CFG_DEFAULT_EDNS_UDP_SIZE       1232
#define CFG_DEFAULT_TCP_MAX_CONNECTIONS 1024
#define CFG_DEFAULT_TCP_IDLE_TIMEOUT_MS 10000
#define CFG_DEFAULT_TCP_MAX_PER_CLIENT  32  /* RFC 7766 6.2.2: a client keeps one or a few */
#define CFG_DEFAULT_TCP_IO_TIMEOUT_MS   500 /* Knot's tcp-io-timeout */

/* The server's options and the strings they point to. */
typedef struct cfg_server {
    server_opts_t opts; /* opts.listen points at `listen` */
    char **listen;      /* owned copies of the addresses */
    unsigned *alias;    /* server_listen_alias() of them */
} cfg_server_t;

/* Read `listen`, `workers` and `limits` from the root map (marking them
 * used). With `servers` (server blocks), the addresses are every server's
 * `listen` (default CFG_DEFAULT_LISTEN), each once. `workers: auto` becomes the number of online
 * CPUs. Returns 0, or -1 with "FILE:LINE: problem" in err; *out is then empty. */
int cfg_server_read(cfg_node_t *root, cfg_server_t *out, cfg_error_t *err);

/* Free what cfg_server_read() allocated. */
void cfg_server_free(cfg_server_t *s);

#endif
