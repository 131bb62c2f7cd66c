/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile.h - read a CoreDNS Corefile into the config tree.
 *
 * `vmdnsd --corefile FILE` accepts the Corefile of a CoreDNS + redis
 * deployment and turns it into the very tree the YAML reader produces
 * (cfg.h), so the core and every plugin read one format and report
 * errors the same way ("FILE:LINE: problem", with the Corefile's line).
 *
 * The language is the core's: server blocks, their keys (zones, with a
 * port: `listen`), `bind`, imports and snippets. Each other directive is
 * read by the plugin that declares it (plugin_t.corefile, see
 * corefile_plugin.h), into the section its YAML users write; each plugin's
 * file shows its directive next to that section.
 *
 *   Corefile                              tree (as YAML)
 *   ZONE[:PORT] ... { ... }               listen: [ADDR:PORT, ...]  (53 by default)
 *   bind ADDR...                          ... ADDR is each bind address; without bind
 *                                         ":PORT", every address (server.h: 0.0.0.0,
 *                                         and [::] where the host can bind IPv6)
 *
 * vmdnsd has one plugin chain and one view for all server blocks: every
 * block's listen addresses get every zone. A directive that configures the
 * whole chain (an HTTP endpoint, query logging, ...) may appear in several
 * blocks only with the same arguments. A directive no plugin declares is
 * "unknown directive" (a few CoreDNS ones vmdnsd needs not are ignored
 * with a note).
 */
#ifndef VMDNS_CONFIG_COREFILE_H
#define VMDNS_CONFIG_COREFILE_H

#include <stddef.h>

#include "config/cfg.h"

struct plugin;

/* Read a Corefile (and what it imports) into a tree. NULL on error, with
 * "FILE:LINE: problem" in err. Free with cfg_free(). */
cfg_node_t *cfg_load_corefile(const char *path, cfg_error_t *err);

/* The same, with the port of server block keys that name none
 * (`-dns.port`; 0: 53). */
cfg_node_t *cfg_load_corefile_port(const char *path, unsigned default_port, cfg_error_t *err);

/* The same from a buffer; `name` stands for the file (imports are
 * relative to its directory). */
cfg_node_t *cfg_parse_corefile(const char *text, size_t len, const char *name, cfg_error_t *err);

/* The same with an explicit plugin list instead of plugin_registry[]
 * (tests, tools that embed the server with their own plugins): only these
 * plugins' directives are known. */
cfg_node_t *cfg_parse_corefile_with(const char *text, size_t len, const char *name,
                                    const struct plugin *const *plugins, size_t nplugins,
                                    cfg_error_t *err);

#endif
