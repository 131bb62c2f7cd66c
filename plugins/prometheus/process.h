/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * process.h - the standard process_* metrics of Prometheus clients.
 *
 * CoreDNS exports them through the Go client, and the usual CoreDNS
 * dashboards graph CPU, memory and open files from them, so vmdnsd exports
 * the same names, read from /proc and getrusage at scrape time.
 */
#ifndef VMDNS_PROMETHEUS_PROCESS_H
#define VMDNS_PROMETHEUS_PROCESS_H

#include "core/metrics.h"

typedef struct process_info {
    double start_time; /* unix seconds the process started (0: unknown) */
} process_info_t;

/* Read what does not change (the start time). */
void process_init(process_info_t *p);

/* Write process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds and
 * process_start_time_seconds. */
void process_render(const process_info_t *p, metrics_out_t *out);

#endif
