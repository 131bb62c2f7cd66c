/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_limit.h - the record reader with a bound on the records of one
 * value, for vmdnsd (not part of the installed API).
 *
 * A value holding more records than a server will load should cost only
 * its JSON tokenising, not the building of 100,000 records that are then
 * thrown away.
 */
#ifndef VMDNS_LIB_RECORD_LIMIT_H
#define VMDNS_LIB_RECORD_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "vmdns/record.h"

/* vmdns_record_parse_json_zone, but a value with more than max_records
 * records (0: no limit), good or bad, is refused before any is built: -1
 * with err VMDNS_ERR_SPACE, out empty. */
int vmdns_record_parse_json_max(const char *json, size_t len, uint32_t default_ttl,
                                const char *zone, size_t max_records, vmdns_rrlist_t *out,
                                vmdns_error_t *err);

#endif
