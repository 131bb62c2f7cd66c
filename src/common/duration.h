/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/duration.h - durations as people type them, parsed once for every
 * tool (vmdnsctl, vmssh): "90" (seconds), "500ms", "30s", "4m50s", "2h",
 * "1d", units summed in any order.
 *
 * Part of the internal library vmdns_common (never installed).
 */
#ifndef VMDNS_COMMON_DURATION_H
#define VMDNS_COMMON_DURATION_H

#include <stdint.h>

/* "30m", "1h30m", "90", "500ms" -> milliseconds; -1 if malformed. */
int64_t vmdns_duration_ms(const char *s);

#endif
