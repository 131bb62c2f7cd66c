/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/registrar.c - how fast one libvmdns handle registers VMs.
 *
 * Issue 4's targets: at least 20,000 registrations per second through one
 * handle with batching, and a p99 under 1 ms from vmdns_register_vm() being
 * called to the name being answered by vmdnsd. This program measures:
 *
 *   batched   vmdns_register_vms() with --batch VMs per call (pipelined);
 *   single    vmdns_register_vm() one VM per call (a round trip each);
 *   visible   (with --visible HOST:PORT) per-VM time from the call to the
 *             first DNS answer from vmdnsd showing the A and the SRV,
 *             using the handle's wait_visible option; p50/p99/max.
 *
 * Every VM is a full registration: A record, _ssh._tcp SRV, lease, one
 * MULTI/EXEC with HSET + XADD each. bench/registrar.sh starts Redis (and
 * vmdnsd), builds this file and runs it.
 *
 * Usage: registrar --redis HOST:PORT [--zone Z] [-n N] [--batch B]
 *                  [--single N] [--visible HOST:PORT] [--visible-n N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmdns/registrar.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Open a handle on one node, optionally waiting for visibility. */
static vmdns_registrar_t *open_handle(const char *redis, const char *visible)
{
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    const char *nodes[1] = {redis}, *vis[1] = {visible};
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    if (visible) {
        o.wait_visible = vis;
        o.n_wait_visible = 1;
        o.wait_visible_timeout_ms = 2000;
    }
    vmdns_registrar_t *r = vmdns_registrar_open(&o, &e);
    if (!r)
        fprintf(stderr, "registrar: open %s: %s\n", redis, e.message);
    return r;
}

/* Fill vms[0..n) with names "<tag>-<i>.<zone>". */
static void make_vms(vmdns_vm_t *vms, char (*names)[96], size_t n, const char *tag,
                     const char *zone)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "%s-%zu.%s", tag, i, zone);
        vms[i] = (vmdns_vm_t){VMDNS_VM_INIT,
                              .name = names[i],
                              .ipv4 = "10.20.30.40",
                              .ssh_port = (uint16_t)(20000 + i % 40000),
                              .ttl = 30,
                              .lease_s = 3600};
    }
}

int main(int argc, char **argv)
{
    const char *redis = NULL, *zone = "bench.vm.example.com", *visible = NULL;
    size_t n = 200000, batch = 1000, single = 5000, visible_n = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--redis") == 0)
            redis = argv[i + 1];
        else if (strcmp(argv[i], "--zone") == 0)
            zone = argv[i + 1];
        else if (strcmp(argv[i], "-n") == 0)
            n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--single") == 0)
            single = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--visible") == 0)
            visible = argv[i + 1];
        else if (strcmp(argv[i], "--visible-n") == 0)
            visible_n = strtoul(argv[i + 1], NULL, 10);
        else
            redis = NULL, i = argc;
    }
    if (!redis || batch == 0) {
        fprintf(stderr, "usage: registrar --redis HOST:PORT [--zone Z] [-n N] [--batch B] "
                        "[--single N] [--visible HOST:PORT] [--visible-n N]\n");
        return 2;
    }
    vmdns_registrar_t *r = open_handle(redis, NULL);
    if (!r)
        return 1;
    vmdns_error_t e;
    const char *ns[] = {"ns1.example.com"};
    if (vmdns_zone_create(r, zone, ns, 1, "hostmaster@example.com", 300, &e) < 0) {
        fprintf(stderr, "registrar: zone-create: %s\n", e.message);
        return 1;
    }
    size_t most = n > single ? n : single;
    most = most > visible_n ? most : visible_n;
    vmdns_vm_t *vms = calloc(most, sizeof(*vms));
    char(*names)[96] = calloc(most, sizeof(*names));
    if (!vms || !names)
        return 1;

    double t0, dt;

    /* register -> answered by vmdnsd, first, while the server is idle; one
     * warm-up VM first so that connection setup is not counted */
    if (visible) {
        vmdns_registrar_t *rv = open_handle(redis, visible);
        double *lat = calloc(visible_n, sizeof(*lat));
        if (!rv || !lat)
            return 1;
        make_vms(vms, names, visible_n, "v", zone);
        vmdns_vm_t warm = {VMDNS_VM_INIT, .name = "warm-up.bench.vm.example.com",
                           .ipv4 = "10.0.0.1"};
        if (vmdns_register_vm(rv, &warm, &e) < 0) {
            fprintf(stderr, "registrar: warm-up: %s\n", e.message);
            return 1;
        }
        for (size_t i = 0; i < visible_n; i++) {
            t0 = now_s();
            if (vmdns_register_vm(rv, &vms[i], &e) < 0) {
                fprintf(stderr, "registrar: visible %zu: %s\n", i, e.message);
                return 1;
            }
            lat[i] = (now_s() - t0) * 1e6;
        }
        qsort(lat, visible_n, sizeof(*lat), cmp_double);
        printf("visible: register call -> answered by %s (A, SRV): p50 %.0f us, p99 %.0f us, "
               "max %.0f us over %zu VMs\n",
               visible, lat[visible_n / 2], lat[(visible_n * 99) / 100], lat[visible_n - 1],
               visible_n);
        free(lat);
        vmdns_registrar_close(rv);
    }
    /* batched */
    make_vms(vms, names, n, "b", zone);
    t0 = now_s();
    for (size_t base = 0; base < n; base += batch) {
        size_t m = n - base < batch ? n - base : batch, ok = 0;
        if (vmdns_register_vms(r, vms + base, m, NULL, &ok, &e) < 0) {
            fprintf(stderr, "registrar: batch at %zu: %s\n", base, e.message);
            return 1;
        }
    }
    dt = now_s() - t0;
    printf("batched: %zu registrations in %.2f s = %.0f registrations/s (batch %zu, one handle)\n",
           n, dt, (double)n / dt, batch);

    /* one call per VM */
    make_vms(vms, names, single, "s", zone);
    t0 = now_s();
    for (size_t i = 0; i < single; i++)
        if (vmdns_register_vm(r, &vms[i], &e) < 0) {
            fprintf(stderr, "registrar: single %zu: %s\n", i, e.message);
            return 1;
        }
    dt = now_s() - t0;
    printf("single:  %zu registrations in %.2f s = %.0f registrations/s (one call per VM)\n",
           single, dt, (double)single / dt);
    vmdns_registrar_close(r);

    free(vms);
    free(names);
    return 0;
}
