/*
 * corefile.h - read a CoreDNS Corefile into the config tree.
 *
 * `vmdnsd --corefile FILE` accepts the Corefile of a CoreDNS + redis
 * deployment and turns it into the very tree the YAML reader produces
 * (cfg.h), so the core and every plugin read one format and report
 * errors the same way ("FILE:LINE: problem", with the Corefile's line).
 *
 *   Corefile                              tree (as YAML)
 *   ZONE[:PORT] ... { ... }               listen: [ADDR:PORT, ...]  (53 by default)
 *   bind ADDR...                          ... ADDR is each bind address, else 0.0.0.0 and [::]
 *   file DBFILE [ZONES...]                zones: [{origin: ZONE, file: DBFILE}, ...]
 *                                         (ZONES default to the server block's zones)
 *   redis { address A; password P;        redis: {backends: [{name: redisN, addresses: [A, ...],
 *           prefix P; suffix S; db N;              password, prefix, suffix, db}, ...],
 *           connect_timeout MS;                   connect_timeout: MSms, read_timeout: MSms,
 *           read_timeout MS; ttl N }              default_ttl: N}
 *                                         (several address lines: nodes of one backend;
 *                                          several redis blocks: several backends)
 *   prometheus [ADDR]                     metrics: {listen: ADDR}
 *   health [ADDR] { lameduck DUR }        health: {listen: ADDR, lameduck: DUR}
 *   ready [ADDR]                          ready: {listen: ADDR}
 *   log [{ class C... }]                  log: true | {class: [C, ...]}
 *   errors [{ consolidate DUR }]          errors: true | {consolidate: DUR}
 *   any                                   any: true
 *   reload [INTERVAL [JITTER]]            reload: {interval: INTERVAL, jitter: JITTER}
 *   cache ...                             (ignored, with one log line: answers are
 *                                          served from memory already)
 *
 * vmdnsd has one plugin chain and one view for all server blocks: every
 * block's listen addresses get every zone. A directive that configures the
 * whole chain (prometheus, health, log, ...) may appear in several blocks
 * only with the same arguments. Anything else is "unknown directive".
 */
#ifndef VMDNS_CONFIG_COREFILE_H
#define VMDNS_CONFIG_COREFILE_H

#include <stddef.h>

#include "config/cfg.h"

/* Read a Corefile (and what it imports) into a tree. NULL on error, with
 * "FILE:LINE: problem" in err. Free with cfg_free(). */
cfg_node_t *cfg_load_corefile(const char *path, cfg_error_t *err);

/* The same from a buffer; `name` stands for the file (imports are
 * relative to its directory). */
cfg_node_t *cfg_parse_corefile(const char *text, size_t len, const char *name, cfg_error_t *err);

#endif
