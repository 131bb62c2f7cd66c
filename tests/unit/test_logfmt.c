/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_logfmt.c - the query log: CoreDNS's default line format (peer,
 * id, type/class/name/proto/size/do/bufsize, rcode, response flags, size,
 * duration), the success/denial/error classes, the per-worker ring that
 * never blocks (wrap-around, drops when full), and the consolidation of
 * repeated errors of the `errors` plugin.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/plugin.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "errors/errwin.h"
#include "log/logfmt.h"
#include "log/ring.h"

/* A query packet: id, name, type, class, and an OPT record if udp > 0. */
static size_t make_query(uint8_t *pkt, uint16_t id, const char *name, uint16_t type,
                         uint16_t qclass, uint16_t udp, bool do_bit)
{
    memset(pkt, 0, WIRE_HEADER_SIZE);
    wire_write_u16(pkt, id);
    wire_write_u16(pkt + 4, 1);
    size_t len = WIRE_HEADER_SIZE;
    size_t nlen = name_from_text(name, pkt + len);
    assert_true(nlen > 0);
    len += nlen;
    wire_write_u16(pkt + len, type);
    wire_write_u16(pkt + len + 2, qclass);
    len += 4;
    if (udp > 0) {
        wire_write_u16(pkt + 10, 1);
        pkt[len] = 0;
        wire_write_u16(pkt + len + 1, WIRE_TYPE_OPT);
        wire_write_u16(pkt + len + 3, udp);
        pkt[len + 5] = 0;
        pkt[len + 6] = 0;
        wire_write_u16(pkt + len + 7, do_bit ? 0x8000 : 0);
        wire_write_u16(pkt + len + 9, 0);
        len += 11;
    }
    return len;
}

/* A response header: flags, rcode, counts (the body is not looked at). */
static void make_resp(uint8_t *resp, uint16_t flags, uint8_t rcode, uint16_t an, uint16_t ns)
{
    memset(resp, 0, 64);
    wire_write_u16(resp + 2, (uint16_t)(flags | rcode));
    wire_write_u16(resp + 4, 1);
    wire_write_u16(resp + 6, an);
    wire_write_u16(resp + 8, ns);
}

typedef struct fixture {
    uint8_t pkt[512];
    uint8_t resp[512];
    wire_query_t q;
    struct sockaddr_storage peer;
    request_t req;
} fixture_t;

static void setup_req(fixture_t *f, const char *name, uint16_t type, uint16_t qclass, uint16_t udp,
                      bool do_bit, req_proto_t proto, const char *ip, uint16_t port)
{
    size_t len = make_query(f->pkt, 1234, name, type, qclass, udp, do_bit);
    assert_int_equal(wire_parse_query(f->pkt, len, &f->q), WIRE_ANSWER);
    memset(&f->peer, 0, sizeof(f->peer));
    if (strchr(ip, ':') != NULL) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&f->peer;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &v6->sin6_addr), 1);
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&f->peer;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &v4->sin_addr), 1);
    }
    f->req = (request_t){
        .q = &f->q,
        .proto = proto,
        .peer = (const struct sockaddr *)&f->peer,
        .peer_len = sizeof(f->peer),
        .start_ns = 5000000000ull,
        .resp = f->resp,
        .resp_cap = sizeof(f->resp),
    };
}

static void test_line_udp_edns(void **st)
{
    fixture_t f;
    setup_req(&f, "VM-abc.vm.Example.com", WIRE_TYPE_A, WIRE_CLASS_IN, 1232, false, REQ_UDP,
              "127.0.0.1", 54321);
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA, 0, 1, 0);
    f.req.resp_len = 89;
    char line[LOGFMT_LINE_MAX];
    size_t n = logfmt_line(&f.req, f.req.start_ns + 123000, line, sizeof(line));
    char want[256];
    snprintf(want, sizeof(want),
             "[INFO] 127.0.0.1:54321 - 1234 \"A IN vm-abc.vm.example.com. udp %zu false 1232\" "
             "NOERROR qr,aa 89 0.000123s\n",
             f.q.len);
    assert_string_equal(line, want);
    assert_int_equal(n, strlen(want));
    assert_int_equal(f.q.len, 50); /* 12 + 23 + 4 + 11 */
}

static void test_line_v6_tcp_do(void **st)
{
    fixture_t f;
    setup_req(&f, "example.com.", WIRE_TYPE_AAAA, WIRE_CLASS_IN, 4096, true, REQ_TCP, "::1", 853);
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA | WIRE_FLAG_RD | WIRE_FLAG_CD, 3, 0, 1);
    f.req.meta.rcode = 3;
    f.req.resp_len = 100;
    char line[LOGFMT_LINE_MAX];
    logfmt_line(&f.req, f.req.start_ns + 1500000000ull, line, sizeof(line));
    assert_string_equal(line, "[INFO] [::1]:853 - 1234 \"AAAA IN example.com. tcp 40 true 65535\" "
                              "NXDOMAIN qr,aa,rd,cd 100 1.5s\n");
}

static void test_line_dropped(void **st)
{
    /* The respond stage dropped the reply: logged as CoreDNS logs a request
     * nothing was written for (rcode and flags "-", size 0). */
    fixture_t f;
    setup_req(&f, "example.com.", WIRE_TYPE_A, WIRE_CLASS_IN, 1232, false, REQ_UDP, "127.0.0.1",
              53);
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA, 0, 1, 0);
    f.req.resp_len = 89;
    f.req.action = RESPOND_DROP;
    char line[LOGFMT_LINE_MAX];
    logfmt_line(&f.req, f.req.start_ns + 1000, line, sizeof(line));
    assert_string_equal(line, "[INFO] 127.0.0.1:53 - 1234 \"A IN example.com. udp 40 false 1232\" "
                              "- - 0 0.000001s\n");
    /* a slip was sent: its flags and size */
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA | WIRE_FLAG_TC, 0, 0, 0);
    f.req.resp_len = 40;
    f.req.action = RESPOND_TRUNCATE;
    logfmt_line(&f.req, f.req.start_ns + 1000, line, sizeof(line));
    assert_string_equal(line, "[INFO] 127.0.0.1:53 - 1234 \"A IN example.com. udp 40 false 1232\" "
                              "NOERROR qr,aa,tc 40 0.000001s\n");
}

static void test_line_no_edns_odd_types(void **st)
{
    fixture_t f;
    setup_req(&f, "version.bind.", 65280, 3, 0, false, REQ_UDP, "192.0.2.1", 1);
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_TC | WIRE_FLAG_RA | 0x0040 | WIRE_FLAG_AD, 5, 0, 0);
    f.req.meta.rcode = 5;
    f.req.resp_len = 30;
    char line[LOGFMT_LINE_MAX];
    logfmt_line(&f.req, f.req.start_ns, line, sizeof(line));
    assert_string_equal(line, "[INFO] 192.0.2.1:1 - 1234 \"TYPE65280 CH version.bind. udp 30 "
                              "false 512\" REFUSED qr,tc,ra,z,ad 30 0s\n");
    /* A small EDNS size is reported as 512; an unknown rcode as a number. */
    setup_req(&f, "a.", 16, WIRE_CLASS_IN, 100, false, REQ_UDP, "192.0.2.1", 1);
    f.req.meta.rcode = 12;
    f.req.resp_len = 0;
    logfmt_line(&f.req, f.req.start_ns + 1, line, sizeof(line));
    assert_string_equal(line, "[INFO] 192.0.2.1:1 - 1234 \"TXT IN a. udp 30 false 512\" 12  0 "
                              "0.000000001s\n");
    /* Too small a buffer: nothing, not a cut line. */
    assert_int_equal(logfmt_line(&f.req, f.req.start_ns, line, 20), 0);
}

static void test_duration(void **st)
{
    char buf[32];
    logfmt_duration(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    logfmt_duration(123000, buf, sizeof(buf));
    assert_string_equal(buf, "0.000123s");
    logfmt_duration(123456789, buf, sizeof(buf));
    assert_string_equal(buf, "0.123456789s");
    logfmt_duration(2000000000ull, buf, sizeof(buf));
    assert_string_equal(buf, "2s");
    logfmt_duration(61100000000ull, buf, sizeof(buf));
    assert_string_equal(buf, "61.1s");
}

static void test_classify(void **st)
{
    fixture_t f;
    setup_req(&f, "x.example.com.", WIRE_TYPE_A, WIRE_CLASS_IN, 0, false, REQ_UDP, "127.0.0.1", 1);
    f.req.resp_len = 64;
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA, 0, 1, 0);
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_SUCCESS);
    /* NODATA: no answer, SOA in authority, authoritative. */
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA, 0, 0, 1);
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_DENIAL);
    /* A referral: no answer, NS in authority, not authoritative. */
    make_resp(f.resp, WIRE_FLAG_QR, 0, 0, 2);
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_SUCCESS);
    f.req.meta.rcode = 3;
    make_resp(f.resp, WIRE_FLAG_QR | WIRE_FLAG_AA, 3, 0, 1);
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_DENIAL);
    f.req.meta.rcode = 2;
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_ERROR);
    f.req.meta.rcode = 5;
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_ERROR);
    f.req.meta.rcode = 16;
    assert_int_equal(logfmt_classify(&f.req), LOGFMT_CLASS_ERROR);
}

/* Everything the ring holds, as a string; consumes it. */
static size_t ring_take(log_ring_t *r, char *out, size_t cap)
{
    struct iovec iov[2];
    size_t len = log_ring_peek(r, iov);
    assert_true(len < cap);
    memcpy(out, iov[0].iov_base, iov[0].iov_len);
    memcpy(out + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
    out[len] = '\0';
    log_ring_consume(r, len);
    return len;
}

static void test_ring(void **st)
{
    log_ring_t r;
    assert_int_equal(log_ring_init(&r, 100), 0);
    assert_int_equal(r.cap, 4096); /* rounded up to the minimum */
    char line[1000], out[8192];
    memset(line, 'x', sizeof(line));
    line[sizeof(line) - 1] = '\n';

    assert_true(log_ring_put(&r, "one\n", 4));
    assert_true(log_ring_put(&r, "two\n", 4));
    assert_int_equal(ring_take(&r, out, sizeof(out)), 8);
    assert_string_equal(out, "one\ntwo\n");
    assert_int_equal(ring_take(&r, out, sizeof(out)), 0);

    /* Fill: 4 lines of 1000 fit in 4096 bytes, the 5th does not. */
    for (int i = 0; i < 4; i++) {
        assert_true(log_ring_put(&r, line, sizeof(line)));
    }
    assert_false(log_ring_put(&r, line, sizeof(line)));
    assert_int_equal(log_ring_dropped(&r), 1);
    assert_true(log_ring_put(&r, "end\n", 4)); /* a short one still fits */
    size_t got = ring_take(&r, out, sizeof(out));
    assert_int_equal(got, 4 * sizeof(line) + 4);
    assert_int_equal(memcmp(out + 3 * sizeof(line), line, sizeof(line)), 0);
    assert_string_equal(out + 4 * sizeof(line), "end\n");
    /* Now writes wrap around the end of the buffer. */
    for (int i = 0; i < 3; i++) {
        assert_true(log_ring_put(&r, line, sizeof(line)));
    }
    struct iovec iov[2];
    assert_int_equal(log_ring_peek(&r, iov), 3 * sizeof(line));
    assert_true(iov[1].iov_len > 0);
    got = ring_take(&r, out, sizeof(out));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(memcmp(out + i * sizeof(line), line, sizeof(line)), 0);
    }
    assert_int_equal(log_ring_dropped(&r), 1);
    log_ring_free(&r);
}

/* errwin's output, collected. */
typedef struct emitted {
    int n;
    char lines[8][1200];
} emitted_t;

static void collect(void *ctx, const char *line)
{
    emitted_t *e = ctx;
    assert_true(e->n < 8);
    snprintf(e->lines[e->n++], sizeof(e->lines[0]), "%s", line);
}

static void test_errwin(void **st)
{
    errwin_t w;
    emitted_t e = {0};
    errwin_init(&w, 10000);
    errwin_add(&w, 1000, 0, "", collect, &e);
    assert_int_equal(e.n, 0);
    /* The first error is logged at once... */
    errwin_add(&w, 2000, 3, "2 a.example. A: SERVFAIL", collect, &e);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.lines[0], "2 a.example. A: SERVFAIL");
    /* ...the rest of the window only counted... */
    errwin_add(&w, 3000, 5, "2 b.example. A: SERVFAIL", collect, &e);
    errwin_add(&w, 11999, 0, "", collect, &e);
    assert_int_equal(e.n, 1);
    /* ...and summed up when it closes (2 + 5 after the first). */
    errwin_add(&w, 12000, 0, "", collect, &e);
    assert_int_equal(e.n, 2);
    assert_string_equal(e.lines[1],
                        "7 errors like '2 a.example. A: SERVFAIL' occurred in the last 10s");
    /* A lone error: one line, no summary. */
    errwin_add(&w, 20000, 1, "2 c.example. TXT: SERVFAIL", collect, &e);
    errwin_add(&w, 40000, 0, "", collect, &e);
    assert_int_equal(e.n, 3);
    assert_string_equal(e.lines[2], "2 c.example. TXT: SERVFAIL");
    /* Shutdown reports a window still running. */
    errwin_add(&w, 50000, 2, "2 d.example. A: SERVFAIL", collect, &e);
    errwin_flush(&w, collect, &e);
    assert_int_equal(e.n, 5);
    assert_string_equal(e.lines[4],
                        "1 errors like '2 d.example. A: SERVFAIL' occurred in the last 10s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_udp_edns), cmocka_unit_test(test_line_v6_tcp_do),
        cmocka_unit_test(test_line_dropped),  cmocka_unit_test(test_line_no_edns_odd_types),
        cmocka_unit_test(test_duration),      cmocka_unit_test(test_classify),
        cmocka_unit_test(test_ring),          cmocka_unit_test(test_errwin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
