/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_metrics.c - the Prometheus text writer (core/metrics.c) and the
 * per-worker DNS counters of the prometheus plugin (dnsstats.c): number
 * formatting as the Go client does it, label escaping, histogram
 * bucketing with CoreDNS's buckets, the collector registry, summing
 * several workers' slots, and the zone numbers (pointer reuse, a zone
 * replaced by a new object, overflow into "other"). Kept state: worker
 * slots handed to servers (plugin_slots_*) and given back with their
 * totals, writers on different slots counting while a scraper reads, and
 * new zones and plugins numbered from several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"
#include "core/plugin.h"
#include "dns/name.h"
#include "prometheus/dnsstats.h"

static const char *fmt(double v)
{
    static char buf[64];
    return metrics_format_double(v, buf, sizeof(buf));
}

static void test_format_double(void **st)
{
    assert_string_equal(fmt(0), "0");
    assert_string_equal(fmt(1), "1");
    assert_string_equal(fmt(100), "100");
    assert_string_equal(fmt(511), "511");
    assert_string_equal(fmt(16000), "16000");
    assert_string_equal(fmt(64000), "64000");
    assert_string_equal(fmt(0.00025), "0.00025");
    assert_string_equal(fmt(0.0005), "0.0005");
    assert_string_equal(fmt(8.192), "8.192");
    assert_string_equal(fmt(0.1), "0.1");
    assert_string_equal(fmt(1e6), "1e+06");
    assert_string_equal(fmt(1234567), "1.234567e+06");
    assert_string_equal(fmt(5.0495e-05), "5.0495e-05");
    assert_string_equal(fmt(-2.5), "-2.5");
    assert_string_equal(fmt(1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(fmt(1.0 / 0.0), "+Inf");
    assert_string_equal(fmt(-1.0 / 0.0), "-Inf");
    assert_string_equal(fmt(0.0 / 0.0), "NaN");
}

static void test_sample_and_escaping(void **st)
{
    metrics_out_t out = {0};
    metrics_family(&out, "x_total", "counter", "Things.");
    const char *labels[] = {"a", "plain", "b", "q\"uo\\te\nnl", NULL};
    metrics_sample(&out, "x_total", labels, 2.5);
    metrics_sample_u64(&out, "x_total", NULL, 18446744073709551615ull);
    assert_false(out.failed);
    assert_string_equal(out.buf, "# HELP x_total Things.\n"
                                 "# TYPE x_total counter\n"
                                 "x_total{a=\"plain\",b=\"q\\\"uo\\\\te\\nnl\"} 2.5\n"
                                 "x_total 18446744073709551615\n");
    /* Growing past the first allocation keeps everything. */
    metrics_out_reset(&out);
    for (int i = 0; i < 2000; i++) {
        metrics_printf(&out, "line %d\n", i);
    }
    assert_non_null(strstr(out.buf, "line 0\nline 1\n"));
    assert_non_null(strstr(out.buf, "line 1999\n"));
    metrics_out_free(&out);
}

static void test_histogram_cumulative(void **st)
{
    metrics_out_t out = {0};
    const double bounds[] = {1, 2.5};
    const uint64_t counts[] = {3, 0, 2}; /* 3 <= 1, 0 in (1, 2.5], 2 above */
    const char *labels[] = {"k", "v", NULL};
    metrics_histogram(&out, "h", labels, bounds, 2, counts, 12.5);
    assert_string_equal(out.buf, "h_bucket{k=\"v\",le=\"1\"} 3\n"
                                 "h_bucket{k=\"v\",le=\"2.5\"} 3\n"
                                 "h_bucket{k=\"v\",le=\"+Inf\"} 5\n"
                                 "h_sum{k=\"v\"} 12.5\n"
                                 "h_count{k=\"v\"} 5\n");
    metrics_out_free(&out);
}

static void collect_a(void *ctx, metrics_out_t *out)
{
    metrics_printf(out, "a %d\n", *(int *)ctx);
}

static void collect_b(void *ctx, metrics_out_t *out)
{
    metrics_printf(out, "b %d\n", *(int *)ctx);
}

static void test_registry(void **st)
{
    metrics_registry_t reg = {0};
    int one = 1, two = 2;
    assert_int_equal(metrics_register_collector(&reg, "a", collect_a, &one), 0);
    assert_int_equal(metrics_register_collector(&reg, "b", collect_b, &two), 0);
    metrics_out_t out = {0};
    metrics_collect_all(&reg, &out);
    assert_string_equal(out.buf, "a 1\nb 2\n");
    metrics_unregister_collector(&reg, &one);
    metrics_out_reset(&out);
    metrics_collect_all(&reg, &out);
    assert_string_equal(out.buf, "b 2\n");
    for (int i = 1; i < METRICS_MAX_COLLECTORS; i++) {
        assert_int_equal(metrics_register_collector(&reg, "x", collect_a, &one), 0);
    }
    assert_int_equal(metrics_register_collector(&reg, "full", collect_a, &one), -1);
    metrics_out_free(&out);
}

static void test_buckets(void **st)
{
    /* Prometheus buckets are "less than or equal": a value on a bound
     * belongs to that bound's bucket. */
    assert_int_equal(dnsstats_duration_bucket(0), 0);
    assert_int_equal(dnsstats_duration_bucket(250000), 0);
    assert_int_equal(dnsstats_duration_bucket(250001), 1);
    assert_int_equal(dnsstats_duration_bucket(1000000), 2);
    assert_int_equal(dnsstats_duration_bucket(1000001), 3);
    assert_int_equal(dnsstats_duration_bucket(8192000000ull), 15);
    assert_int_equal(dnsstats_duration_bucket(8192000001ull), 16);
    for (int i = 0; i < DNSSTATS_DUR_BOUNDS; i++) {
        uint64_t ns = (uint64_t)(dnsstats_duration_bounds[i] * 1e9 + 0.5);
        assert_int_equal(dnsstats_duration_bucket(ns), i);
    }
    assert_int_equal(dnsstats_size_bucket(0), 0);
    assert_int_equal(dnsstats_size_bucket(1), 1);
    assert_int_equal(dnsstats_size_bucket(100), 1);
    assert_int_equal(dnsstats_size_bucket(101), 2);
    assert_int_equal(dnsstats_size_bucket(511), 5);
    assert_int_equal(dnsstats_size_bucket(512), 6);
    assert_int_equal(dnsstats_size_bucket(8291), 9);
    assert_int_equal(dnsstats_size_bucket(64000), 13);
    assert_int_equal(dnsstats_size_bucket(65535), 14);
}

static void test_type_labels(void **st)
{
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(1)), "A");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(28)), "AAAA");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(33)), "SRV");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(65)), "HTTPS");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(255)), "ANY");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(252)), "AXFR");
    /* Not monitored by CoreDNS: "other". */
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(13)), "other");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(257)), "other");
    assert_string_equal(dnsstats_type_label(dnsstats_type_index(65280)), "other");
}

/* The rendered text, for substring checks. */
static char *render(dnsstats_t *s)
{
    metrics_out_t out = {0};
    dnsstats_render(s, "dns://127.0.0.1:53", &out);
    assert_false(out.failed);
    return out.buf != NULL ? out.buf : strdup("");
}

static void obs_for(dnsstats_obs_t *o, const void *zone, const uint8_t *apex, size_t apex_len)
{
    static _Thread_local char label[DNSSTATS_LABEL_MAX]; /* read by the next record call */
    label[0] = '\0';
    if (apex != NULL) {
        assert_true(name_to_text(apex, apex_len, label, sizeof(label)) > 0);
    }
    *o = (dnsstats_obs_t){.zone = zone, .label = apex != NULL ? label : NULL, .qtype = 1};
}

static void test_sum_over_workers(void **st)
{
    dnsstats_t *s = dnsstats_new(2);
    assert_non_null(s);
    dnsstats_slot_t *w[2] = {dnsstats_slot(s, 0), dnsstats_slot(s, 1)};
    assert_null(dnsstats_slot(s, 2));
    assert_int_equal((uintptr_t)w[0] % 64, 0);
    assert_int_equal((uintptr_t)w[1] % 64, 0);
    uint8_t apex[NAME_MAX_WIRE];
    size_t apex_len = name_from_text("vm.example.com.", apex);
    int zone_obj; /* stands for a view_zone_t: only its address matters */

    char *empty = render(s);
    assert_null(strstr(empty, "coredns_dns_requests_total"));
    free(empty);

    dnsstats_obs_t o;
    for (int i = 0; i < 20; i++) {
        obs_for(&o, &zone_obj, apex, apex_len);
        o.rcode = 0;
        o.req_size = 40;
        o.resp_size = 120;
        o.duration_ns = 100000; /* 0.1 ms */
        dnsstats_record(s, w[i % 2], &o);
    }
    for (int i = 0; i < 20; i++) {
        obs_for(&o, &zone_obj, apex, apex_len);
        o.rcode = 3;
        o.proto = 1;
        o.family = 1;
        o.qtype = 28;
        o.do_bit = true;
        o.req_size = 60;
        o.resp_size = 600;
        o.duration_ns = 3000000; /* 3 ms */
        dnsstats_record(s, w[1], &o);
    }
    /* Answered by a plugin, and from no zone at all. */
    obs_for(&o, &zone_obj, apex, apex_len);
    o.qtype = 255;
    o.plugin = "any";
    dnsstats_record(s, w[0], &o);
    obs_for(&o, NULL, NULL, 0);
    o.rcode = 5;
    dnsstats_record(s, w[1], &o);
    /* Dropped by the respond stage (rate limiting): a request, with its
     * size and duration, but no response (not in responses_total nor in
     * response_size_bytes). */
    obs_for(&o, &zone_obj, apex, apex_len);
    o.rcode = 0;
    o.req_size = 40;
    o.resp_size = 120;
    o.dropped = true;
    dnsstats_record(s, w[0], &o);

    char *text = render(s);
#define SRV  "server=\"dns://127.0.0.1:53\""
#define ZONE SRV ",zone=\"vm.example.com.\",view=\"\""
    assert_non_null(
        strstr(text, "coredns_dns_responses_total{" ZONE ",rcode=\"NOERROR\",plugin=\"\"} 20\n"));
    assert_non_null(
        strstr(text, "coredns_dns_responses_total{" ZONE ",rcode=\"NXDOMAIN\",plugin=\"\"} 20\n"));
    assert_non_null(
        strstr(text, "coredns_dns_responses_total{" ZONE ",rcode=\"NOERROR\",plugin=\"any\"} 1\n"));
    assert_non_null(strstr(text, "coredns_dns_responses_total{" SRV
                                 ",zone=\".\",view=\"\",rcode=\"REFUSED\",plugin=\"\"} 1\n"));
    assert_non_null(strstr(text, "coredns_dns_requests_total{" ZONE
                                 ",proto=\"udp\",family=\"1\",type=\"A\"} 21\n"));
    assert_non_null(strstr(text, "coredns_dns_requests_total{" ZONE
                                 ",proto=\"tcp\",family=\"2\",type=\"AAAA\"} 20\n"));
    assert_non_null(strstr(text, "coredns_dns_do_requests_total{" ZONE "} 20\n"));
    /* No `type` label: 20 A at 0.1 ms, the ANY and the dropped A at 0 are
     * in the first bucket; the 20 AAAA at 3 ms are not <= 0.002, all
     * <= 0.004; sum 2 ms + 60 ms. */
    assert_non_null(
        strstr(text, "coredns_dns_request_duration_seconds_bucket{" ZONE ",le=\"0.00025\"} 22\n"));
    assert_non_null(
        strstr(text, "coredns_dns_request_duration_seconds_bucket{" ZONE ",le=\"0.002\"} 22\n"));
    assert_non_null(
        strstr(text, "coredns_dns_request_duration_seconds_bucket{" ZONE ",le=\"0.004\"} 42\n"));
    assert_non_null(strstr(text, "coredns_dns_request_duration_seconds_sum{" ZONE "} 0.062\n"));
    assert_non_null(strstr(text, "coredns_dns_request_duration_seconds_count{" ZONE "} 42\n"));
    assert_null(strstr(text, "coredns_dns_request_duration_seconds_count{" ZONE ",type="));
    /* Response sizes over TCP: 600 bytes is in (511, 1023]. */
    assert_non_null(strstr(text, "coredns_dns_response_size_bytes_bucket{" ZONE
                                 ",proto=\"tcp\",le=\"511\"} 0\n"));
    assert_non_null(strstr(text, "coredns_dns_response_size_bytes_bucket{" ZONE
                                 ",proto=\"tcp\",le=\"1023\"} 20\n"));
    assert_non_null(
        strstr(text, "coredns_dns_response_size_bytes_sum{" ZONE ",proto=\"tcp\"} 12000\n"));
    assert_non_null(
        strstr(text, "coredns_dns_request_size_bytes_count{" ZONE ",proto=\"udp\"} 22\n"));
    assert_non_null(
        strstr(text, "coredns_dns_response_size_bytes_count{" ZONE ",proto=\"udp\"} 21\n"));
    /* One family header each, even with two workers' samples merged. */
    char *first = strstr(text, "# TYPE coredns_dns_responses_total counter");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# TYPE coredns_dns_responses_total counter"));
    /* Families in name order, as the Go client writes them. */
    assert_true(strstr(text, "coredns_dns_do_requests_total") <
                strstr(text, "coredns_dns_request_duration_seconds"));
    assert_true(strstr(text, "coredns_dns_requests_total") <
                strstr(text, "coredns_dns_response_size_bytes"));
    assert_true(strstr(text, "coredns_dns_response_size_bytes") <
                strstr(text, "coredns_dns_responses_total"));
    free(text);
#undef ZONE
#undef SRV
    dnsstats_free(s);
}

static void test_zone_slots(void **st)
{
    dnsstats_t *s = dnsstats_new(1);
    assert_non_null(s);
    dnsstats_slot_t *w = dnsstats_slot(s, 0);
    uint8_t a[NAME_MAX_WIRE], b[NAME_MAX_WIRE];
    size_t alen = name_from_text("a.test.", a), blen = name_from_text("b.test.", b);
    int objs[64];
    dnsstats_obs_t o;

    /* Zone a, then a replaced by a new object: still zone a. */
    obs_for(&o, &objs[0], a, alen);
    dnsstats_record(s, w, &o);
    obs_for(&o, &objs[1], a, alen);
    dnsstats_record(s, w, &o);
    /* The first object's address reused for zone b: counted as b. */
    obs_for(&o, &objs[0], b, blen);
    dnsstats_record(s, w, &o);
    char *text = render(s);
    assert_non_null(strstr(text, "zone=\"a.test.\",view=\"\",rcode=\"NOERROR\",plugin=\"\"} 2\n"));
    assert_non_null(strstr(text, "zone=\"b.test.\",view=\"\",rcode=\"NOERROR\",plugin=\"\"} 1\n"));
    free(text);

    /* Many zones: past the table they are counted as "other"; many
     * pointers: the cache is refilled and nothing is lost. */
    char name[32];
    uint8_t wire[NAME_MAX_WIRE];
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof(name), "z%02d.test.", i);
        size_t len = name_from_text(name, wire);
        obs_for(&o, &objs[i + 2 < 64 ? i + 2 : 63], wire, len);
        dnsstats_record(s, w, &o);
    }
    text = render(s);
    assert_non_null(
        strstr(text, "zone=\"z00.test.\",view=\"\",rcode=\"NOERROR\",plugin=\"\"} 1\n"));
    /* 32 numbers: ".", "other", a, b, z00..z27; z28..z59 are "other". */
    assert_non_null(
        strstr(text, "zone=\"z27.test.\",view=\"\",rcode=\"NOERROR\",plugin=\"\"} 1\n"));
    assert_null(strstr(text, "zone=\"z28.test.\""));
    assert_non_null(strstr(text, "zone=\"other\",view=\"\",rcode=\"NOERROR\",plugin=\"\"} 32\n"));
    free(text);
    dnsstats_free(s);
}

/* Sum of every sample of one family in a rendered text (-1: none). */
static long long family_total(const char *text, const char *family)
{
    long long total = -1;
    size_t flen = strlen(family);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, family, flen) == 0 && line[flen] == '{') {
            const char *sp = strstr(line, "} ");
            if (sp != NULL && (end == NULL || sp < end)) {
                total = (total < 0 ? 0 : total) + strtoll(sp + 2, NULL, 10);
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return total;
}

/* The count of one zone in coredns_dns_requests_total (UDP, IPv4, A). */
static long long zone_total(const char *text, const char *zone)
{
    char key[160];
    snprintf(key, sizeof(key), "zone=\"%s\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"} ",
             zone);
    const char *at = strstr(text, key);
    return at != NULL ? strtoll(at + strlen(key), NULL, 10) : 0;
}

#define WRITER_QUERIES 200000
#define WRITER_ZONES   40

/* One worker: counts queries into its own slot, over many zones (each
 * thread with zone objects of its own, in its own order), so new zones are
 * numbered by several threads at once. */
typedef struct writer_arg {
    dnsstats_t *s;
    dnsstats_slot_t *slot;
    unsigned seed;
    int zone_objs[WRITER_ZONES];
    uint8_t apex[WRITER_ZONES][NAME_MAX_WIRE];
    size_t apex_len[WRITER_ZONES];
    const char *plugin;
} writer_arg_t;

static void *writer_main(void *p)
{
    writer_arg_t *a = p;
    for (unsigned i = 0; i < WRITER_QUERIES; i++) {
        unsigned z = (i * 7u + a->seed) % WRITER_ZONES;
        dnsstats_obs_t o;
        obs_for(&o, &a->zone_objs[z], a->apex[z], a->apex_len[z]);
        o.plugin = (i % 1000 == 0) ? a->plugin : NULL;
        dnsstats_record(a->s, a->slot, &o);
    }
    return NULL;
}

static void writer_init(writer_arg_t *a, dnsstats_t *s, dnsstats_slot_t *slot, unsigned seed)
{
    memset(a, 0, sizeof(*a));
    a->s = s;
    a->slot = slot;
    a->seed = seed;
    a->plugin = "any";
    for (int z = 0; z < WRITER_ZONES; z++) {
        char name[32];
        snprintf(name, sizeof(name), "z%02d.test.", z);
        a->apex_len[z] = name_from_text(name, a->apex[z]);
    }
}

/* Two queries per zone, every zone: mostly the claim path. */
static void *writer_claims(void *p)
{
    writer_arg_t *a = p;
    for (unsigned i = 0; i < 2 * WRITER_ZONES; i++) {
        unsigned z = (i + a->seed) % WRITER_ZONES;
        dnsstats_obs_t o;
        obs_for(&o, &a->zone_objs[z], a->apex[z], a->apex_len[z]);
        dnsstats_record(a->s, a->slot, &o);
    }
    return NULL;
}

/* Writers on different slots, a scraper reading all along: no sample ever
 * goes down, and the final totals are exact. */
static void test_writers_on_slots(void **st)
{
    enum { NW = 4 };
    dnsstats_t *s = dnsstats_new(NW);
    assert_non_null(s);
    static writer_arg_t args[NW];
    pthread_t th[NW];
    for (unsigned i = 0; i < NW; i++) {
        writer_init(&args[i], s, dnsstats_slot(s, i), i * 13u);
        if (i % 2 == 1) {
            /* The same name at another address: numbered by text. */
            static char any_copy[] = "any";
            args[i].plugin = any_copy;
        }
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &args[i]), 0);
    }
    long long last = 0;
    for (int scrapes = 0; scrapes < 200; scrapes++) {
        char *text = render(s);
        long long now = family_total(text, "coredns_dns_requests_total");
        now = now < 0 ? 0 : now; /* nothing counted yet */
        assert_true(now >= last);
        last = now;
        free(text);
    }
    for (unsigned i = 0; i < NW; i++) {
        pthread_join(th[i], NULL);
    }
    char *text = render(s);
    assert_int_equal(family_total(text, "coredns_dns_requests_total"),
                     (long long)NW * WRITER_QUERIES);
    assert_int_equal(family_total(text, "coredns_dns_responses_total"),
                     (long long)NW * WRITER_QUERIES);
    /* 30 zones got a number (32 minus "." and "other"), each the same for
     * every writer; the other 10 are "other". Each zone's queries: all of
     * its writers'. */
    long long per_zone = (long long)NW * WRITER_QUERIES / WRITER_ZONES, numbered = 0;
    for (int z = 0; z < WRITER_ZONES; z++) {
        char name[32];
        snprintf(name, sizeof(name), "z%02d.test.", z);
        long long n = zone_total(text, name);
        if (n != 0) {
            assert_int_equal(n, per_zone);
            numbered++;
        }
    }
    assert_int_equal(numbered, DNSSTATS_ZONES - 2);
    /* One `any` plugin label, not one per string address. */
    const char *any = strstr(text, "plugin=\"any\"");
    assert_non_null(any);
    assert_int_equal(atomic_load(&s->nplugins), 2);
    free(text);
    dnsstats_free(s);
}

/* Zone numbers claimed by many threads at once: every apex gets at most
 * one number, and every number one apex. */
static void test_zone_claims_from_threads(void **st)
{
    enum { NW = 8 };
    for (int round = 0; round < 20; round++) {
        dnsstats_t *s = dnsstats_new(NW);
        assert_non_null(s);
        static writer_arg_t args[NW];
        pthread_t th[NW];
        for (unsigned i = 0; i < NW; i++) {
            writer_init(&args[i], s, dnsstats_slot(s, i), i * 5u + (unsigned)round);
        }
        /* Each thread records just a few queries: the claims overlap. */
        for (unsigned i = 0; i < NW; i++) {
            assert_int_equal(pthread_create(&th[i], NULL, writer_claims, &args[i]), 0);
        }
        for (unsigned i = 0; i < NW; i++) {
            pthread_join(th[i], NULL);
        }
        uint32_t n = atomic_load(&s->nzones);
        assert_int_equal(n, DNSSTATS_ZONES);
        for (uint32_t a = 2; a < n; a++) {
            for (uint32_t b = a + 1; b < n; b++) {
                assert_false(strcmp(s->zone_label[a], s->zone_label[b]) == 0);
            }
            assert_true(s->zone_label[a][0] != '\0');
        }
        char *out = render(s);
        assert_int_equal(family_total(out, "coredns_dns_requests_total"),
                         (long long)NW * 2 * WRITER_ZONES);
        free(out);
        dnsstats_free(s);
    }
}

static int test_reserve_calls;

static int test_reserve(void *ptr, unsigned nslots)
{
    test_reserve_calls++;
    return dnsstats_reserve(ptr, nslots);
}

/* Worker slots handed to servers: two servers side by side get disjoint
 * ranges; the store grows before a slot is used; a retired server's slots
 * keep their totals and the next server continues them. */
static void test_kept_slots(void **st)
{
    static plugin_shared_t shared; /* zeroed, as main's */
    memset(&shared, 0, sizeof(shared));
    dnsstats_t *s = dnsstats_new(0);
    assert_non_null(s);
    assert_null(dnsstats_slot(s, 0));
    assert_int_equal(plugin_kept_put(&shared, "t", s, NULL, test_reserve), 0);
    assert_int_equal(plugin_kept_put(&shared, "t", s, NULL, NULL), -1); /* name taken */

    unsigned a, b, c;
    assert_int_equal(plugin_slots_claim(&shared, 2, &a), 0); /* the first server */
    assert_int_equal(a, 0);
    assert_int_equal(plugin_slots_claim(&shared, 3, &b), 0); /* a second, new listeners */
    assert_int_equal(b, 2);
    assert_int_equal(shared.nslots, 5);
    assert_non_null(dnsstats_slot(s, 4));
    assert_null(dnsstats_slot(s, 5));

    uint8_t apex[NAME_MAX_WIRE];
    size_t len = name_from_text("vm.test.", apex);
    int zone_obj;
    dnsstats_obs_t o;
    obs_for(&o, &zone_obj, apex, len);
    for (unsigned i = 0; i < 5; i++) {
        for (unsigned k = 0; k <= i; k++) {
            dnsstats_record(s, dnsstats_slot(s, i), &o); /* 1+2+3+4+5 = 15 */
        }
    }
    /* The first server is freed: its slots are free, their counts stay. */
    plugin_slots_release(&shared, a, 2);
    char *text = render(s);
    assert_int_equal(family_total(text, "coredns_dns_requests_total"), 15);
    free(text);
    /* A third server (one worker more than fits the freed range) gets
     * fresh slots past the second; a one-worker one reuses slot 0. */
    int calls = test_reserve_calls;
    assert_int_equal(plugin_slots_claim(&shared, 3, &c), 0);
    assert_int_equal(c, 5);
    assert_int_equal(test_reserve_calls, calls + 1);
    plugin_slots_release(&shared, c, 3);
    assert_int_equal(plugin_slots_claim(&shared, 1, &c), 0);
    assert_int_equal(c, 0);
    assert_int_equal(test_reserve_calls, calls + 1); /* no growth needed */
    dnsstats_record(s, dnsstats_slot(s, c), &o);
    text = render(s);
    assert_int_equal(family_total(text, "coredns_dns_requests_total"), 16);
    assert_int_equal(zone_total(text, "vm.test."), 16);
    free(text);
    /* No room: nothing is taken. */
    unsigned d;
    assert_int_equal(plugin_slots_claim(&shared, PLUGIN_MAX_SLOTS, &d), -1);
    assert_int_equal(plugin_slots_claim(&shared, 0, &d), -1);
    plugin_slots_release(&shared, c, 1);
    plugin_slots_release(&shared, b, 3);
    dnsstats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_sample_and_escaping),
        cmocka_unit_test(test_histogram_cumulative),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_type_labels),
        cmocka_unit_test(test_sum_over_workers),
        cmocka_unit_test(test_zone_slots),
        cmocka_unit_test(test_writers_on_slots),
        cmocka_unit_test(test_zone_claims_from_threads),
        cmocka_unit_test(test_kept_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
