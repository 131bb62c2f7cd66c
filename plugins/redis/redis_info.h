/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_info.h - read fields of a Redis INFO reply.
 *
 * INFO answers text: "# Section" lines and "key:value" lines, CRLF ended.
 * The backend reads a few of them (run_id, master_replid,
 * master_repl_offset, role, connected_slaves, maxmemory_policy,
 * aof_enabled) to know which data it is looking at (redis_identity.c).
 * The text comes from the network: it is read within its length, never
 * past it, whatever it holds.
 */
#ifndef VMDNS_REDIS_INFO_H
#define VMDNS_REDIS_INFO_H

#include <stdbool.h>
#include <stddef.h>

/* The value of `key` (the first "key:value" line) into out (NUL-ended,
 * cut to cap - 1 bytes); false (out "") if there is none or cap is 0. */
bool redis_info_get(const char *text, size_t len, const char *key, char *out, size_t cap);

/* The value of `key` as a number, or dflt if absent or not a number. */
long long redis_info_num(const char *text, size_t len, const char *key, long long dflt);

#endif
