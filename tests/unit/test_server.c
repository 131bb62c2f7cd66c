/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_server.c - the listeners and workers, over real loopback sockets.
 *
 * One server (1 worker) is started on 127.0.0.1 and [::1] with port 0, with
 * the real plugin chain and the `file` plugin serving a small zone written
 * to a temporary directory. The tests talk to it as clients do: UDP, and
 * TCP with several messages per segment, a message split byte by byte,
 * pipelining, a client that does not read (backpressure), the idle timeout
 * and the connection limit. The last test checks that server_stop()
 * returns promptly with connections still open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "core/chain.h"
#include "server/server.h"
#include "view/view.h"

#define IDLE_MS  400
#define MAX_CONN 4
#define BIG_N    40 /* A records at big.example.com: too many for 512 bytes */

typedef struct fixture {
    char dir[64];
    char zone[128];
    cfg_node_t *cfg;
    view_t *view;
    chain_t *chain;
    server_t *srv;
    uint16_t port; /* same port for UDP and TCP, v4 and v6 */
    bool v6;
} fixture_t;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Is ::1 usable here (some containers have no IPv6)? */
static bool have_ipv6(void)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char yaml[512], err[256];
    cfg_error_t cerr;
    FILE *z;

    assert_non_null(f);
    *state = f;
    snprintf(f->dir, sizeof(f->dir), "/tmp/vmdns-test-server-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->zone, sizeof(f->zone), "%s/example.com.zone", f->dir);
    z = fopen(f->zone, "w");
    assert_non_null(z);
    fprintf(z, "$ORIGIN example.com.\n$TTL 300\n"
               "@ IN SOA ns1 hostmaster 1 3600 600 86400 30\n"
               "@ IN NS ns1\nns1 IN A 192.0.2.53\nwww IN A 192.0.2.1\n");
    for (int i = 1; i <= BIG_N; i++)
        fprintf(z, "big IN A 10.0.0.%d\n", i);
    fclose(z);

    snprintf(yaml, sizeof(yaml), "zones: [{origin: example.com., file: %s}]\n", f->zone);
    f->cfg = cfg_parse_yaml(yaml, strlen(yaml), "test.yaml", &cerr);
    if (f->cfg == NULL)
        fail_msg("config: %s", cerr.msg);
    f->view = view_new();
    assert_non_null(f->view);
    answer_limits_t lim = {.edns_udp_size = 1232};
    plugin_env_t env = {.view = f->view, .workers = 1, .limits = &lim};
    f->chain = chain_new(&env, f->cfg, &cerr);
    if (f->chain == NULL)
        fail_msg("chain: %s", cerr.msg);
    assert_int_equal(chain_start(f->chain, &cerr), 0);

    f->v6 = have_ipv6();
    const char *listen[] = {"127.0.0.1:0", "[::1]:0"};
    server_opts_t o = {
        .listen = listen,
        .nlisten = f->v6 ? 2 : 1,
        .workers = 1,
        .tcp_max_connections = MAX_CONN,
        .tcp_idle_timeout_ms = IDLE_MS,
        .limits = lim,
    };
    f->srv = server_new(&o, f->view, f->chain, err, sizeof(err));
    if (f->srv == NULL)
        fail_msg("server_new: %s", err);
    assert_int_equal(server_start(f->srv), 0);
    f->port = server_bound_port(f->srv, 0);
    assert_int_not_equal(f->port, 0);
    if (f->v6)
        assert_int_not_equal(server_bound_port(f->srv, 1), 0);
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f == NULL)
        return 0;
    server_free(f->srv);
    chain_free(f->chain);
    view_free(f->view);
    cfg_free(f->cfg);
    unlink(f->zone);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- packets ---- */

/* A query for name (dotted, no trailing dot) type A; with an OPT record of
 * payload 4096 and `pad` bytes of EDNS padding if edns. Returns its length. */
static size_t make_query(uint8_t *out, uint16_t id, const char *name, bool edns, size_t pad)
{
    size_t n = 0;
    out[n++] = (uint8_t)(id >> 8);
    out[n++] = (uint8_t)id;
    out[n++] = 0x00; /* QUERY, RD=0 */
    out[n++] = 0x00;
    const uint8_t counts[8] = {0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0};
    memcpy(out + n, counts, 8);
    n += 8;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    out[n++] = 0;
    const uint8_t q[4] = {0, 1, 0, 1}; /* A IN */
    memcpy(out + n, q, 4);
    n += 4;
    if (edns) {
        const uint8_t opt[11] = {0, 0, 41, 0x10, 0x00, 0, 0, 0, 0};
        memcpy(out + n, opt, 11);
        size_t rdlen = pad ? 4 + pad : 0;
        out[n + 9] = (uint8_t)(rdlen >> 8);
        out[n + 10] = (uint8_t)rdlen;
        n += 11;
        if (pad) {
            const uint8_t ohdr[4] = {0, 12, (uint8_t)(pad >> 8), (uint8_t)pad};
            memcpy(out + n, ohdr, 4);
            memset(out + n + 4, 0, pad);
            n += 4 + pad;
        }
    }
    return n;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* A response to query id: QR set, the given rcode and answer count. */
static void check_response(const uint8_t *r, size_t len, uint16_t id, int rcode, int ancount)
{
    assert_true(len >= 12);
    assert_int_equal(rd16(r), id);
    assert_true(r[2] & 0x80);
    assert_int_equal(r[3] & 0x0f, rcode);
    assert_int_equal(rd16(r + 6), ancount);
}

/* The answer to www.example.com A ends with the address 192.0.2.1. */
static void check_www(const uint8_t *r, size_t len, uint16_t id)
{
    static const uint8_t addr[4] = {192, 0, 2, 1};
    check_response(r, len, id, 0, 1);
    assert_true(r[2] & 0x04); /* AA */
    assert_memory_equal(r + len - 4, addr, 4);
}

/* ---- client helpers ---- */

static socklen_t loopback(const fixture_t *f, int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(server_bound_port(f->srv, 1));
        return sizeof(*a);
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(f->port);
    return sizeof(*a);
}

static void set_timeout(int fd, unsigned ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Send one datagram, return the reply length (0 if none within ms). */
static size_t udp_ask(const fixture_t *f, int family, const uint8_t *q, size_t qlen, uint8_t *r,
                      size_t cap, unsigned ms)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback(f, family, &ss);
    int fd = socket(family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    set_timeout(fd, ms);
    assert_int_equal(sendto(fd, q, qlen, 0, (struct sockaddr *)&ss, len), (ssize_t)qlen);
    ssize_t n = recv(fd, r, cap, 0);
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

static int tcp_connect(const fixture_t *f, int family)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback(f, family, &ss);
    int fd = socket(family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    set_timeout(fd, 2000);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Read exactly n bytes; false on EOF, error or timeout. */
static bool recv_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Read one length-prefixed message; returns its length (0 on failure). */
static size_t tcp_read_msg(int fd, uint8_t *buf, size_t cap)
{
    uint8_t lp[2];
    if (!recv_all(fd, lp, 2))
        return 0;
    size_t len = rd16(lp);
    assert_true(len <= cap);
    return recv_all(fd, buf, len) ? len : 0;
}

/* Append a length-prefixed query to buf; returns the new length. */
static size_t frame_query(uint8_t *buf, size_t at, uint16_t id, const char *name)
{
    size_t n = make_query(buf + at + 2, id, name, false, 0);
    buf[at] = (uint8_t)(n >> 8);
    buf[at + 1] = (uint8_t)n;
    return at + 2 + n;
}

/* True if the peer closes fd (EOF or reset) within ms. */
static bool closed_within(int fd, unsigned ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t b[512];
    if (poll(&p, 1, (int)ms) <= 0)
        return false;
    ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* ---- tests ---- */

static void test_udp_v4_v6(void **state)
{
    fixture_t *f = *state;
    uint8_t q[512], r[2048];
    size_t qlen = make_query(q, 0x1234, "www.example.com", false, 0);

    size_t n = udp_ask(f, AF_INET, q, qlen, r, sizeof(r), 2000);
    check_www(r, n, 0x1234);
    if (f->v6) {
        n = udp_ask(f, AF_INET6, q, qlen, r, sizeof(r), 2000);
        check_www(r, n, 0x1234);
    }
    qlen = make_query(q, 0x4321, "www.example.org", false, 0);
    n = udp_ask(f, AF_INET, q, qlen, r, sizeof(r), 2000);
    check_response(r, n, 0x4321, 5 /* REFUSED */, 0);
}

static void test_udp_garbage_then_answer(void **state)
{
    fixture_t *f = *state;
    uint8_t q[512], r[2048];
    const uint8_t junk[5] = {1, 2, 3, 4, 5};

    assert_int_equal(udp_ask(f, AF_INET, junk, sizeof(junk), r, sizeof(r), 300), 0);
    size_t qlen = make_query(q, 7, "www.example.com", false, 0);
    check_www(r, udp_ask(f, AF_INET, q, qlen, r, sizeof(r), 2000), 7);
}

/* A burst of several batches (the backend takes 64 datagrams at a time),
 * with dropped packets (QR=1) in between: every query gets its own answer,
 * sent to the right peer with the right ID, none for the dropped ones. */
static void test_udp_burst(void **state)
{
    enum { N = 200 };
    fixture_t *f = *state;
    struct sockaddr_storage ss;
    socklen_t sslen = loopback(f, AF_INET, &ss);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    set_timeout(fd, 2000);
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    uint8_t q[512], r[2048];
    static bool want[N], got[N];
    for (unsigned i = 0; i < N; i++) {
        size_t qlen = make_query(q, (uint16_t)i, "www.example.com", false, 0);
        want[i] = i % 10 != 3;
        got[i] = false;
        if (!want[i]) {
            q[2] |= 0x80; /* a response: dropped */
        }
        assert_int_equal(sendto(fd, q, qlen, 0, (struct sockaddr *)&ss, sslen), (ssize_t)qlen);
    }
    unsigned answers = 0;
    for (;;) {
        ssize_t n = recv(fd, r, sizeof(r), 0);
        if (n <= 0) {
            break;
        }
        uint16_t id = wire_read_u16(r);
        assert_true(id < N && want[id] && !got[id]);
        check_www(r, (size_t)n, id);
        got[id] = true;
        if (++answers == N - N / 10) {
            break;
        }
    }
    close(fd);
    assert_int_equal(answers, N - N / 10);
}

/* The UDP output slot must hold the configured EDNS size, not just 512. */
static void test_udp_sizes(void **state)
{
    fixture_t *f = *state;
    uint8_t q[512], r[4096];

    size_t qlen = make_query(q, 1, "big.example.com", false, 0);
    size_t n = udp_ask(f, AF_INET, q, qlen, r, sizeof(r), 2000);
    assert_true(n > 0 && n <= 512);
    assert_true(r[2] & 0x02); /* TC */

    qlen = make_query(q, 2, "big.example.com", true, 0);
    n = udp_ask(f, AF_INET, q, qlen, r, sizeof(r), 2000);
    assert_true(n > 512 && n <= 1232);
    check_response(r, n, 2, 0, BIG_N);
    assert_false(r[2] & 0x02);
}

static void test_tcp_two_in_one_segment(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[1024], r[4096];
    size_t n = frame_query(buf, 0, 100, "www.example.com");
    n = frame_query(buf, n, 101, "big.example.com");

    int fd = tcp_connect(f, AF_INET);
    send_all(fd, buf, n);
    size_t len = tcp_read_msg(fd, r, sizeof(r));
    check_www(r, len, 100);
    len = tcp_read_msg(fd, r, sizeof(r));
    check_response(r, len, 101, 0, BIG_N); /* full answer over TCP, no TC */
    assert_false(r[2] & 0x02);
    close(fd);
}

static void test_tcp_split_bytes(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[1024], r[4096];
    size_t n = frame_query(buf, 0, 200, "www.example.com");
    n = frame_query(buf, n, 201, "www.example.com");
    int one = 1;

    int fd = tcp_connect(f, AF_INET);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (size_t i = 0; i < n; i++) {
        send_all(fd, buf + i, 1);
        sleep_ms(3);
    }
    check_www(r, tcp_read_msg(fd, r, sizeof(r)), 200);
    check_www(r, tcp_read_msg(fd, r, sizeof(r)), 201);
    close(fd);
}

static void test_tcp_pipelined(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[8192], r[4096];
    size_t n = 0;
    int family = f->v6 ? AF_INET6 : AF_INET;

    for (uint16_t i = 0; i < 50; i++)
        n = frame_query(buf, n, (uint16_t)(1000 + i), "www.example.com");
    int fd = tcp_connect(f, family);
    /* In pieces that do not line up with messages. */
    for (size_t off = 0; off < n; off += 97) {
        send_all(fd, buf + off, n - off < 97 ? n - off : 97);
    }
    for (uint16_t i = 0; i < 50; i++)
        check_www(r, tcp_read_msg(fd, r, sizeof(r)), (uint16_t)(1000 + i));
    close(fd);
}

/* A client that sends a flood of queries and reads nothing: the server must
 * stop reading (the client's sends block) rather than buffer answers
 * without bound, and then answer everything, in order, once it reads. */
static void test_tcp_backpressure(void **state)
{
    fixture_t *f = *state;
    /* 5,000 queries of 1 KiB are far more than the server's socket buffers
     * and its TCP_OUT_HIGH of answers hold. */
    enum { NQ = 5000, PAD = 1000 };
    uint8_t q[2048], r[4096];
    size_t qlen = make_query(q + 2, 0, "big.example.com", true, PAD);
    q[0] = (uint8_t)(qlen >> 8);
    q[1] = (uint8_t)qlen;
    qlen += 2;

    int fd = tcp_connect(f, AF_INET);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t sent_q = 0, sent_off = 0, got = 0;
    bool stuck = false;
    uint8_t rbuf[65536];
    size_t rlen = 0;

    while (got < NQ) {
        struct pollfd p = {.fd = fd, .events = (short)(sent_q < NQ ? POLLOUT : 0)};
        if (stuck || sent_q == NQ)
            p.events |= POLLIN;
        /* Wait less than the idle timeout: a client that takes nothing for
         * that long is closed, and rightly so. */
        int pr = poll(&p, 1, stuck ? 2000 : IDLE_MS / 4);
        if (pr == 0) {
            if (!stuck && sent_q < NQ) {
                stuck = true; /* nothing moved for a while: the server stopped reading */
                continue;
            }
            fail_msg("no progress: sent %zu, got %zu", sent_q, got);
        }
        if (p.revents & POLLOUT) {
            q[2] = (uint8_t)(sent_q >> 8);
            q[3] = (uint8_t)sent_q;
            ssize_t w = send(fd, q + sent_off, qlen - sent_off, MSG_NOSIGNAL);
            if (w > 0) {
                sent_off += (size_t)w;
                if (sent_off == qlen) {
                    sent_off = 0;
                    sent_q++;
                }
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, 0);
            if (n <= 0)
                fail_msg("recv %zd (%s) after %zu answers", n, strerror(errno), got);
            /* ACK at once: the server's send buffer is small on purpose, and
             * a delayed ACK (up to 200 ms) would stall it each time it fills,
             * which is the client's choice, not what this test is about. */
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
            rlen += (size_t)n;
            size_t off = 0;
            while (rlen - off >= 2 && rlen - off - 2 >= rd16(rbuf + off)) {
                size_t mlen = rd16(rbuf + off);
                memcpy(r, rbuf + off + 2, mlen);
                check_response(r, mlen, (uint16_t)got, 0, BIG_N);
                got++;
                off += 2 + mlen;
            }
            memmove(rbuf, rbuf + off, rlen - off);
            rlen -= off;
        }
    }
    assert_true(stuck);
    close(fd);
}

static void test_tcp_idle_timeout(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[512], r[4096];

    int idle = tcp_connect(f, AF_INET);
    int busy = tcp_connect(f, AF_INET);
    assert_false(closed_within(idle, IDLE_MS / 2)); /* not before its time */
    /* Keep one connection busy for longer than the idle timeout. */
    for (uint16_t i = 0; i < 6; i++) {
        size_t n = frame_query(buf, 0, i, "www.example.com");
        send_all(busy, buf, n);
        check_www(r, tcp_read_msg(busy, r, sizeof(r)), i);
        sleep_ms(IDLE_MS / 4);
    }
    assert_true(closed_within(idle, IDLE_MS)); /* 800+ ms after it went quiet */
    assert_false(closed_within(busy, 0));      /* the busy one is still open */
    size_t n = frame_query(buf, 0, 9, "www.example.com");
    send_all(busy, buf, n);
    check_www(r, tcp_read_msg(busy, r, sizeof(r)), 9);
    close(idle);
    close(busy);
}

/* A new connection whose query `id` was answered, or -1 if the server
 * closed it instead (it is at its connection limit). */
static int tcp_answered(const fixture_t *f, uint16_t id)
{
    uint8_t buf[512], r[4096];
    size_t n = frame_query(buf, 0, id, "www.example.com");
    int fd = tcp_connect(f, AF_INET);
    size_t len = 0;
    if (send(fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n)
        len = tcp_read_msg(fd, r, sizeof(r));
    if (len == 0) {
        close(fd);
        return -1;
    }
    check_www(r, len, id);
    return fd;
}

/* Fill keep[0..n) with answered connections. Those of the tests before may
 * still count until the server has seen them close: start over until all
 * n are taken (a retry on what the server does, bounded, not a sleep
 * before). */
static void tcp_fill(const fixture_t *f, int *keep, int n, uint16_t id)
{
    uint64_t deadline = now_ms() + 5000;
    for (;;) {
        int i = 0;
        while (i < n && (keep[i] = tcp_answered(f, id)) >= 0)
            i++;
        if (i == n)
            return;
        while (i-- > 0)
            close(keep[i]);
        assert_true(now_ms() < deadline);
        sleep_ms(10);
    }
}

static void test_tcp_connection_limit(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[512], r[4096];
    int keep[MAX_CONN], extra[5];
    size_t n = frame_query(buf, 0, 77, "www.example.com");

    tcp_fill(f, keep, MAX_CONN, 77);
    for (int i = 0; i < 5; i++) {
        extra[i] = tcp_connect(f, AF_INET);
        assert_true(closed_within(extra[i], 1000));
    }
    for (int i = 0; i < MAX_CONN; i++) { /* the first ones still work */
        send_all(keep[i], buf, n);
        check_www(r, tcp_read_msg(keep[i], r, sizeof(r)), 77);
    }
    for (int i = 0; i < 5; i++)
        close(extra[i]);
    close(keep[0]);
    /* a slot is free once the server has seen that close */
    int again;
    tcp_fill(f, &again, 1, 77);
    close(again);
    for (int i = 1; i < MAX_CONN; i++)
        close(keep[i]);
}

static void test_stop_is_prompt(void **state)
{
    fixture_t *f = *state;
    int fd = tcp_connect(f, AF_INET);
    uint64_t t0 = now_ms();
    server_stop(f->srv);
    assert_true(now_ms() - t0 < 1000);
    assert_true(closed_within(fd, 1000)); /* its connections were closed */
    close(fd);
    server_stop(f->srv); /* twice is fine */
}

static void test_bind_conflict(void **state)
{
    fixture_t *f = *state;
    char err[256];
    /* Not SO_REUSEPORT: a port some other socket holds makes start fail. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(a.sin_port));
    const char *listen[] = {addr};
    server_opts_t o = {.listen = listen, .nlisten = 1, .workers = 2};
    server_t *s = server_new(&o, f->view, f->chain, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(server_start(s), -1);
    server_free(s);
    close(fd);

    const char *bad[] = {"127.0.0.1:53", "localhost:53"};
    o.listen = bad;
    o.nlisten = 2;
    assert_null(server_new(&o, f->view, f->chain, err, sizeof(err)));
    assert_non_null(strstr(err, "localhost:53"));
}

/* Bound to a wildcard, the server answers from the address it was asked
 * on: a connected client socket only accepts replies from that address. */
static void test_wildcard_reply_source(void **state)
{
    fixture_t *f = *state;
    char err[256];
    const char *listen[] = {"0.0.0.0:0", "[::]:0"};
    server_opts_t o = {.listen = listen, .nlisten = f->v6 ? 2 : 1, .workers = 1};
    o.limits.edns_udp_size = 1232;
    server_t *s = server_new(&o, f->view, f->chain, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(server_start(s), 0);

    const char *dests[] = {"127.0.0.1", "127.0.0.2", "::1"};
    for (size_t i = 0; i < (f->v6 ? 3u : 2u); i++) {
        struct sockaddr_storage ss = {0};
        socklen_t len;
        int family = strchr(dests[i], ':') ? AF_INET6 : AF_INET;
        if (family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(server_bound_port(s, 1));
            inet_pton(AF_INET6, dests[i], &a->sin6_addr);
            len = sizeof(*a);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            a->sin_port = htons(server_bound_port(s, 0));
            inet_pton(AF_INET, dests[i], &a->sin_addr);
            len = sizeof(*a);
        }
        uint8_t q[512], r[2048];
        size_t qlen = make_query(q, (uint16_t)(50 + i), "www.example.com", false, 0);
        int fd = socket(family, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        set_timeout(fd, 2000);
        assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
        assert_int_equal(send(fd, q, qlen, 0), (ssize_t)qlen);
        ssize_t n = recv(fd, r, sizeof(r), 0);
        if (n <= 0)
            fail_msg("no reply from %s (%s)", dests[i], strerror(errno));
        check_www(r, (size_t)n, (uint16_t)(50 + i));
        close(fd);
    }
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_v4_v6),
        cmocka_unit_test(test_udp_garbage_then_answer),
        cmocka_unit_test(test_udp_burst),
        cmocka_unit_test(test_udp_sizes),
        cmocka_unit_test(test_tcp_two_in_one_segment),
        cmocka_unit_test(test_tcp_split_bytes),
        cmocka_unit_test(test_tcp_pipelined),
        cmocka_unit_test(test_tcp_backpressure),
        cmocka_unit_test(test_tcp_idle_timeout),
        cmocka_unit_test(test_tcp_connection_limit),
        cmocka_unit_test(test_bind_conflict),
        cmocka_unit_test(test_wildcard_reply_source),
        cmocka_unit_test(test_stop_is_prompt), /* last: stops the server */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
