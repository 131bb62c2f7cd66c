/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zonefile.h - read an RFC 1035 master file into an unpublished view zone.
 *
 * The `file` plugin's one real job, kept apart from its config handling so
 * tests (and later, a reload) can call it directly. ldns parses the text
 * ($ORIGIN, $TTL, relative names, parentheses, every record type it knows);
 * this code checks the zone makes sense as a whole and turns every record
 * into the view's wire form.
 */
#ifndef VMDNS_PLUGINS_FILE_ZONEFILE_H
#define VMDNS_PLUGINS_FILE_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/cfg.h"
#include "view/view.h"

/* What was loaded, for the startup log. */
typedef struct zone_file_stats {
    size_t records; /* resource records read */
    size_t names;   /* owner names in the zone, empty non-terminals included */
    uint32_t serial;
} zone_file_stats_t;

/* Load the master file at `path` for the zone `origin` (lower-cased wire
 * name) into a new, unpublished zone. The file must have exactly one SOA,
 * at the apex, only class IN, no names outside the origin, and no CNAME
 * next to other data. On error returns NULL and err reads
 * "PATH:LINE: problem" (the line in the zone file). `stats` may be NULL. */
view_zone_t *zone_file_load(const char *path, const uint8_t *origin, size_t origin_len,
                            zone_file_stats_t *stats, cfg_error_t *err);

/* The same from an open file; `name` is used in messages in place of the
 * path. The caller closes fp. */
view_zone_t *zone_file_read(FILE *fp, const char *name, const uint8_t *origin, size_t origin_len,
                            zone_file_stats_t *stats, cfg_error_t *err);

/* The SOA serial of the zone file at `path`, read from its first records
 * only (at most ZONE_PEEK_MAX_LINES; the SOA comes first in a zone file),
 * so it is cheap enough for the control thread. 0, or -1 if no SOA was
 * found there (the caller then treats the serial as unknown). */
#define ZONE_PEEK_MAX_LINES 64
int zone_file_peek_serial(const char *path, const uint8_t *origin, size_t origin_len,
                          uint32_t *serial);

#endif
