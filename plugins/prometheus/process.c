/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * process.c - process_* metrics from /proc/self and getrusage.
 *
 * Everything is read when /metrics is scraped, on the control thread; a
 * value that cannot be read is left out rather than reported as zero.
 */
#include "prometheus/process.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Boot time (unix seconds) from /proc/stat, or 0. */
static double process_boot_time(void)
{
    FILE *fp = fopen("/proc/stat", "r");
    char line[256];
    double btime = 0;
    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
        if (strncmp(line, "btime ", 6) == 0) {
            btime = strtod(line + 6, NULL);
            break;
        }
    }
    if (fp != NULL) {
        fclose(fp);
    }
    return btime;
}

void process_init(process_info_t *p)
{
    p->start_time = 0;
    FILE *fp = fopen("/proc/self/stat", "r");
    if (fp == NULL) {
        return;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* Field 22 (starttime, in clock ticks since boot) counts from the ')'
     * that ends the command name, which may itself contain spaces. */
    char *s = strrchr(buf, ')');
    if (s == NULL) {
        return;
    }
    unsigned long long start = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(s + 1, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 22) {
            start = strtoull(tok, NULL, 10);
            break;
        }
    }
    long hz = sysconf(_SC_CLK_TCK);
    double boot = process_boot_time();
    if (start > 0 && hz > 0 && boot > 0) {
        p->start_time = boot + (double)start / (double)hz;
    }
}

static long process_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        return -1;
    }
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n - 1; /* the directory stream's own fd */
}

void process_render(const process_info_t *p, metrics_out_t *out)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        metrics_family(out, "process_cpu_seconds_total", "counter",
                       "Total user and system CPU time spent in seconds.");
        metrics_sample(out, "process_cpu_seconds_total", NULL, cpu);
    }
    long fds = process_open_fds();
    if (fds >= 0) {
        metrics_family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
        metrics_sample(out, "process_open_fds", NULL, (double)fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        metrics_family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        metrics_sample(out, "process_max_fds", NULL,
                       rl.rlim_cur == RLIM_INFINITY ? -1.0 : (double)rl.rlim_cur);
    }
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (fp != NULL) {
        if (fscanf(fp, "%llu %llu", &size, &resident) == 2) {
            double page = (double)sysconf(_SC_PAGESIZE);
            metrics_family(out, "process_resident_memory_bytes", "gauge",
                           "Resident memory size in bytes.");
            metrics_sample(out, "process_resident_memory_bytes", NULL, (double)resident * page);
            metrics_family(out, "process_virtual_memory_bytes", "gauge",
                           "Virtual memory size in bytes.");
            metrics_sample(out, "process_virtual_memory_bytes", NULL, (double)size * page);
        }
        fclose(fp);
    }
    if (p->start_time > 0) {
        metrics_family(out, "process_start_time_seconds", "gauge",
                       "Start time of the process since unix epoch in seconds.");
        metrics_sample(out, "process_start_time_seconds", NULL, p->start_time);
    }
}
