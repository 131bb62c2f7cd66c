/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_registrar.c - libvmdns against real redis-server processes.
 *
 * Each test starts its own redis-server on a free loopback port (no
 * persistence) and stops it, so the tests check what Redis really holds:
 * the hash fields, the change-stream entries, nothing written for bad input,
 * writes following the master through a READONLY reply and through a dead
 * node, and read-your-writes over DNS against a small responder that
 * answers from Redis. Skipped when redis-server is not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "vmdns/registrar.h"

/* ---- redis-server processes ---- */

typedef struct rs {
    pid_t pid;
    int port;
    char addr[32];
} rs_t;

/* Ports for the redis-servers of this test: a block of 100 below the
 * kernel's ephemeral range (where port-0 binds land), chosen from the pid,
 * handed out in turn. Nothing probes them: a port someone else holds makes
 * redis-server exit, and redis_start() takes the next one. */
static int owned_port(void)
{
    static int next;
    int low = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &low) != 1 || low < 11000)
            low = 32768;
        fclose(f);
    }
    int nblocks = (low - 10000) / 100;
    return 10000 + (int)(getpid() % nblocks) * 100 + next++ % 100;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Run a command on a fresh connection to port; NULL if unreachable. */
static redisReply *rcmd(int port, const char *fmt, ...)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        redisFree(c);
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return r;
}

/* Integer result of a command (-1 on anything else). */
static long long rint_(int port, const char *fmt, const char *a1, const char *a2)
{
    redisReply *r = rcmd(port, fmt, a1, a2);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

/* HGET as a malloc'd string, or NULL. */
static char *hget(int port, const char *key, const char *field)
{
    redisReply *r = rcmd(port, "HGET %s %s", key, field);
    char *v = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return v;
}

/* Is the redis-server on s->port the one we started (and not another
 * process's on the same port)? Its INFO names its pid. */
static int redis_is_ours(const rs_t *s)
{
    redisReply *r = rcmd(s->port, "INFO server");
    char want[32];
    snprintf(want, sizeof(want), "process_id:%d\r\n", (int)s->pid);
    int ours = r != NULL && r->type == REDIS_REPLY_STRING && strstr(r->str, want) != NULL;
    freeReplyObject(r);
    return ours;
}

/* Start one redis-server on the next owned port: 0 once it answers, -1
 * if it exited (its port was taken, most likely), -2 if it never came up. */
static int redis_start_once(rs_t *s)
{
    s->port = owned_port();
    snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%d", s->port);
    char port[16];
    snprintf(port, sizeof(port), "%d", s->port);
    s->pid = fork();
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        int dn = open("/dev/null", O_WRONLY);
        dup2(dn, 1);
        dup2(dn, 2);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
               "--repl-diskless-sync-delay", "0", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        if (redis_is_ours(s))
            return 0;
        sleep_ms(25);
    }
    return -2;
}

static int redis_start(rs_t *s)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        int rc = redis_start_once(s);
        if (rc != -1)
            return rc == 0 ? 0 : -1;
    }
    return -1;
}

static void redis_stop(rs_t *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* Per-test fixture: room for two servers, all stopped after the test
 * even when an assertion failed half-way. */
static int servers_setup(void **state)
{
    *state = calloc(2, sizeof(rs_t));
    return *state ? 0 : -1;
}

static int servers_teardown(void **state)
{
    rs_t *rs = *state;
    redis_stop(&rs[0]);
    redis_stop(&rs[1]);
    free(rs);
    return 0;
}

static int have_redis(void)
{
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* Start a server for a test, or skip the test. */
#define START(s)                                                                                   \
    do {                                                                                           \
        if (!have_redis())                                                                         \
            skip();                                                                                \
        assert_int_equal(redis_start(s), 0);                                                       \
    } while (0)

static vmdns_registrar_t *open_nodes_fto(const char *const *nodes, size_t n, const char *prefix,
                                         const char *suffix, uint32_t failover_timeout_ms)
{
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = n;
    o.prefix = prefix;
    o.suffix = suffix;
    o.failover_timeout_ms = failover_timeout_ms;
    vmdns_registrar_t *r = vmdns_registrar_open(&o, &e);
    if (!r)
        fail_msg("open: %s", e.message);
    return r;
}

static vmdns_registrar_t *open_nodes(const char *const *nodes, size_t n, const char *prefix,
                                     const char *suffix)
{
    return open_nodes_fto(nodes, n, prefix, suffix, 3000);
}

static void make_zone(vmdns_registrar_t *r, const char *zone)
{
    const char *ns[] = {"ns1.example.com", "ns2.example.com"};
    vmdns_error_t e;
    if (vmdns_zone_create(r, zone, ns, 2, "hostmaster@example.com", 300, &e) != 0)
        fail_msg("zone_create %s: %s", zone, e.message);
}

/* ---- tests ---- */

static void register_and_deregister(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "", "");
    vmdns_error_t e;
    make_zone(r, "vm.example.com");
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), 1);
    char *apex = hget(s->port, "vm.example.com.", "@");
    assert_string_equal(apex, "{\"ns\":[{\"host\":\"ns1.example.com.\",\"ttl\":300},{\"host\":"
                              "\"ns2.example.com.\",\"ttl\":300}],\"soa\":{\"ttl\":300,\"ns\":"
                              "\"ns1.example.com.\",\"mbox\":\"hostmaster.example.com.\","
                              "\"refresh\":3600,\"retry\":600,\"expire\":86400,\"minttl\":30}}");
    free(apex);

    vmdns_vm_t vm = {VMDNS_VM_INIT,      .name = "VM-abc123.vm.example.com",
                     .ipv4 = "10.1.2.3", .ipv6 = "fd00::3",
                     .ssh_port = 38291,  .ttl = 30};
    assert_int_equal(vmdns_register_vm(r, &vm, &e), 0);
    char *v = hget(s->port, "vm.example.com.", "vm-abc123");
    assert_string_equal(v, "{\"a\":[{\"ip\":\"10.1.2.3\",\"ttl\":30}],\"aaaa\":[{\"ip\":"
                           "\"fd00::3\",\"ttl\":30}]}");
    free(v);
    v = hget(s->port, "vm.example.com.", "_ssh._tcp.vm-abc123");
    assert_string_equal(v, "{\"srv\":[{\"target\":\"vm-abc123.vm.example.com.\",\"port\":38291,"
                           "\"priority\":0,\"weight\":0,\"ttl\":30}]}");
    free(v);
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), 3);
    redisReply *x = rcmd(s->port, "XREVRANGE vmdns:changes + - COUNT 2");
    assert_int_equal(x->elements, 2);
    redisReply *f = x->element[1]->element[1]; /* the older of the two: the name */
    assert_int_equal(f->elements, 8);
    assert_string_equal(f->element[0]->str, "zone");
    assert_string_equal(f->element[1]->str, "vm.example.com.");
    assert_string_equal(f->element[3]->str, "vm-abc123");
    assert_string_equal(f->element[5]->str, "set");
    assert_string_equal(f->element[6]->str, "value");
    freeReplyObject(x);

    /* re-registering without ssh_port removes the SRV field */
    vm.ssh_port = 0;
    vm.ipv6 = NULL;
    assert_int_equal(vmdns_register_vm(r, &vm, &e), 0);
    assert_null(hget(s->port, "vm.example.com.", "_ssh._tcp.vm-abc123"));

    assert_int_equal(vmdns_deregister(r, "vm-abc123.vm.example.com.", &e), 0);
    assert_int_equal(rint_(s->port, "HLEN %s", "vm.example.com.", NULL), 1);
    x = rcmd(s->port, "XREVRANGE vmdns:changes + - COUNT 1");
    assert_string_equal(x->element[0]->element[1]->element[5]->str, "del");
    freeReplyObject(x);
    /* deregistering what is gone is fine (an agent retrying after a crash) */
    assert_int_equal(vmdns_deregister(r, "vm-abc123.vm.example.com.", &e), 0);
    vmdns_registrar_close(r);
    redis_stop(s);
}

/* Number of fields in all zone hashes plus stream length, as a fingerprint. */
static long long fingerprint(int port)
{
    return rint_(port, "HLEN %s", "vm.example.com.", NULL) * 1000000 +
           rint_(port, "XLEN vmdns:changes", NULL, NULL);
}

static void bad_input_writes_nothing(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "", "");
    vmdns_error_t e;
    make_zone(r, "vm.example.com");
    vmdns_vm_t ok = {VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.0.0.1"};
    assert_int_equal(vmdns_register_vm(r, &ok, &e), 0);
    long long before = fingerprint(s->port);
    char *value_before = hget(s->port, "vm.example.com.", "vm-1");

    struct {
        vmdns_vm_t vm;
        vmdns_status_t code;
    } bad[] = {
        {{VMDNS_VM_INIT, .name = "bad_name.vm.example.com", .ipv4 = "10.0.0.1"}, VMDNS_ERR_NAME},
        {{VMDNS_VM_INIT, .name = "a..vm.example.com", .ipv4 = "10.0.0.1"}, VMDNS_ERR_NAME},
        {{VMDNS_VM_INIT, .name = "-a.vm.example.com", .ipv4 = "10.0.0.1"}, VMDNS_ERR_NAME},
        {{VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "300.0.0.1"}, VMDNS_ERR_ADDRESS},
        {{VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.0.0.1", .ipv6 = "fd00::g"},
         VMDNS_ERR_ADDRESS},
        {{VMDNS_VM_INIT, .name = "vm-1.vm.example.com"}, VMDNS_ERR_ADDRESS},
        {{VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.0.0.1", .ttl = 2147483648u},
         VMDNS_ERR_TTL},
        {{VMDNS_VM_INIT, .name = "vm-1.other.org", .ipv4 = "10.0.0.1"}, VMDNS_ERR_NO_ZONE},
        {{VMDNS_VM_INIT, .name = "vm.example.com", .ipv4 = "10.0.0.1"}, VMDNS_ERR_CONFLICT},
        {{VMDNS_VM_INIT, .name = NULL, .ipv4 = "10.0.0.1"}, VMDNS_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e.code = VMDNS_OK;
        assert_int_equal(vmdns_register_vm(r, &bad[i].vm, &e), -1);
        if (e.code != bad[i].code)
            fail_msg("case %zu: code %d (%s), wanted %d", i, e.code, e.message, bad[i].code);
        assert_true(e.message[0] != '\0');
    }
    const char *mx_bad[] = {"mx.example.com."};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 15, 300, mx_bad, 1, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_RDATA);
    const char *cname[] = {"other.example.com."};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 5, 300, cname, 1, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_CONFLICT);
    const char *soa[] = {"a. b. 1 2 3 4 5"};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 6, 300, soa, 1, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_CONFLICT);
    const char *hinfo[] = {"\"a\" \"b\""};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 13, 300, hinfo, 1, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_UNSUPPORTED);
    const char *a_ok[] = {"10.0.0.2"};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 1, 2147483648u, a_ok, 1, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_TTL);
    assert_int_equal(vmdns_renew(r, "nope.vm.example.com", 60, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_NOT_FOUND);
    assert_int_equal(vmdns_renew(r, "vm-1.vm.example.com", 0, &e), -1);
    assert_int_equal(vmdns_deregister(r, "vm.example.com", &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_CONFLICT);
    const char *ns[] = {"ns1.example.com"};
    assert_int_equal(vmdns_zone_create(r, "bad_zone.com", ns, 1, "h@example.com", 0, &e), -1);
    assert_int_equal(vmdns_zone_create(r, "z.com", ns, 1, "", 0, &e), -1);
    assert_int_equal(vmdns_zone_create(r, "z.com", ns, 0, "h@example.com", 0, &e), -1);

    assert_int_equal(fingerprint(s->port), before);
    char *value_after = hget(s->port, "vm.example.com.", "vm-1");
    assert_string_equal(value_after, value_before);
    assert_int_equal(rint_(s->port, "EXISTS %s", "z.com.", NULL), 0);
    free(value_before);
    free(value_after);
    vmdns_registrar_close(r);
    redis_stop(s);
}

static void batch_registration(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "", "");
    make_zone(r, "vm.example.com");
    enum { N = 3000, BAD = 1234 };
    vmdns_vm_t *vms = calloc(N, sizeof(*vms));
    char(*names)[64] = calloc(N, 64);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], 64, "vm-%d.vm.example.com", i);
        vms[i] =
            (vmdns_vm_t){VMDNS_VM_INIT, .name = names[i], .ipv4 = "10.0.0.1", .ssh_port = 2222};
    }
    vms[BAD].ipv4 = "10.0.0.300";
    vmdns_error_t *errs = calloc(N, sizeof(*errs)), e;
    size_t n_ok = 0;
    assert_int_equal(vmdns_register_vms(r, vms, N, errs, &n_ok, &e), -1);
    assert_int_equal(n_ok, N - 1);
    assert_int_equal(errs[BAD].code, VMDNS_ERR_ADDRESS);
    assert_int_equal(errs[0].code, VMDNS_OK);
    assert_int_equal(e.code, VMDNS_ERR_ADDRESS);
    assert_int_equal(rint_(s->port, "HLEN %s", "vm.example.com.", NULL), 1 + 2 * (N - 1));
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), 1 + 2 * (N - 1));
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "vm-1234"), 0);
    vms[BAD].ipv4 = "10.0.0.3";
    assert_int_equal(vmdns_register_vms(r, vms + BAD, 1, NULL, &n_ok, &e), 0);
    assert_int_equal(n_ok, 1);
    free(vms);
    free(names);
    free(errs);
    vmdns_registrar_close(r);
    redis_stop(s);
}

static void longest_zone_and_key_affixes(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "p:", ":s");
    vmdns_error_t e;
    make_zone(r, "example.com");
    make_zone(r, "vm.example.com");
    vmdns_vm_t a = {VMDNS_VM_INIT, .name = "a.vm.example.com", .ipv4 = "10.0.0.1"};
    vmdns_vm_t b = {VMDNS_VM_INIT, .name = "b.example.com", .ipv4 = "10.0.0.2"};
    vmdns_vm_t c = {VMDNS_VM_INIT, .name = "c.d.vm.example.com", .ipv4 = "10.0.0.3"};
    assert_int_equal(vmdns_register_vm(r, &a, &e), 0);
    assert_int_equal(vmdns_register_vm(r, &b, &e), 0);
    assert_int_equal(vmdns_register_vm(r, &c, &e), 0);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "p:vm.example.com.:s", "a"), 1);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "p:example.com.:s", "b"), 1);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "p:vm.example.com.:s", "c.d"), 1);
    /* 2 apexes + 3 names, each with the del of its (absent) _ssh._tcp field */
    assert_int_equal(rint_(s->port, "XLEN %s", "p:vmdns:changes:s", NULL), 2 + 3 * 2);
    assert_int_equal(rint_(s->port, "EXISTS vmdns:changes", NULL, NULL), 0);
    /* a stream key of the wrong type refuses the write before anything lands */
    vmdns_registrar_t *r2 = open_nodes(nodes, 1, "q:", "");
    make_zone(r2, "vm.example.com");
    redisReply *x = rcmd(s->port, "DEL q:vmdns:changes");
    freeReplyObject(x);
    x = rcmd(s->port, "SET q:vmdns:changes oops");
    freeReplyObject(x);
    vmdns_vm_t d = {VMDNS_VM_INIT, .name = "d.vm.example.com", .ipv4 = "10.0.0.4"};
    assert_int_equal(vmdns_register_vm(r2, &d, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_CONFLICT);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "q:vm.example.com.", "d"), 0);
    vmdns_registrar_close(r2);
    vmdns_registrar_close(r);
    redis_stop(s);
}

static void set_renew_and_gc(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "", "");
    vmdns_error_t e;
    make_zone(r, "vm.example.com");
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.0.0.1",
                     .ssh_port = 22, .lease_s = 60};
    assert_int_equal(vmdns_register_vm(r, &vm, &e), 0);
    const char *txt[] = {"\"hello world\""};
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 16, 45, txt, 1, &e), 0);
    char *v = hget(s->port, "vm.example.com.", "vm-1");
    vmdns_rrlist_t l;
    assert_int_equal(vmdns_record_parse_json(v, strlen(v), 300, &l, NULL), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.rrs[1].type, 16);
    assert_int_equal(l.rrs[1].ttl, 45);
    int64_t now = (int64_t)time(NULL);
    assert_true(l.expires >= now + 58 && l.expires <= now + 61); /* lease kept */
    vmdns_rrlist_free(&l);
    free(v);

    assert_int_equal(vmdns_renew(r, "vm-1.vm.example.com", 3600, &e), 0);
    for (int i = 0; i < 2; i++) {
        v = hget(s->port, "vm.example.com.", i ? "_ssh._tcp.vm-1" : "vm-1");
        assert_int_equal(vmdns_record_parse_json(v, strlen(v), 300, &l, NULL), 0);
        assert_true(l.expires >= now + 3598 && l.expires <= now + 3602);
        vmdns_rrlist_free(&l);
        free(v);
    }
    /* removing the TXT leaves the A; removing a type that is not there is a no-op */
    long long xlen = rint_(s->port, "XLEN vmdns:changes", NULL, NULL);
    assert_int_equal(vmdns_set_rrset(r, "vm-1.vm.example.com", 16, 0, NULL, 0, &e), 0);
    assert_int_equal(vmdns_set_rrset(r, "none.vm.example.com", 16, 0, NULL, 0, &e), 0);
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), xlen + 1);
    v = hget(s->port, "vm.example.com.", "vm-1");
    assert_non_null(strstr(v, "\"a\":"));
    assert_null(strstr(v, "txt"));
    free(v);

    /* gc: an expired name written by another tool goes, live ones stay */
    redisReply *x = rcmd(s->port, "HSET vm.example.com. old %s",
                         "{\"A\":[{\"ip\":\"10.9.9.9\"}],\"Expires\":1000}");
    freeReplyObject(x);
    vmdns_vm_t shortlived = {VMDNS_VM_INIT, .name = "short.vm.example.com", .ipv4 = "10.0.0.5",
                             .ssh_port = 22, .lease_s = 1};
    assert_int_equal(vmdns_register_vm(r, &shortlived, &e), 0);
    sleep_ms(2100);
    size_t removed = 0;
    xlen = rint_(s->port, "XLEN vmdns:changes", NULL, NULL);
    assert_int_equal(vmdns_gc(r, &removed, &e), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), xlen + 3);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "old"), 0);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "short"), 0);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "vm-1"), 1);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "@"), 1);
    assert_int_equal(vmdns_gc(r, &removed, &e), 0);
    assert_int_equal(removed, 0);
    vmdns_registrar_close(r);
    redis_stop(s);
}

/* Wait until `port` reports role `role` (and, for a replica, a live link). */
static void wait_role(int port, const char *role)
{
    for (int i = 0; i < 400; i++) {
        redisReply *x = rcmd(port, "ROLE");
        int ok = x && x->type == REDIS_REPLY_ARRAY && strcmp(x->element[0]->str, role) == 0 &&
                 (strcmp(role, "slave") != 0 ||
                  (x->elements >= 4 && strcmp(x->element[3]->str, "connected") == 0));
        freeReplyObject(x);
        if (ok)
            return;
        sleep_ms(25);
    }
    fail_msg("port %d never became %s", port, role);
}

static void failover_on_readonly(void **state)
{
    rs_t *a = &((rs_t *)*state)[0], *b = &((rs_t *)*state)[1];
    START(a);
    START(b);
    char port[16];
    snprintf(port, sizeof(port), "%d", a->port);
    freeReplyObject(rcmd(b->port, "REPLICAOF 127.0.0.1 %s", port));
    wait_role(b->port, "slave");
    const char *nodes[] = {a->addr, b->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 2, "", "");
    vmdns_error_t e;
    make_zone(r, "vm.example.com");
    vmdns_vm_t one = {VMDNS_VM_INIT, .name = "one.vm.example.com", .ipv4 = "10.0.0.1"};
    assert_int_equal(vmdns_register_vm(r, &one, &e), 0);
    /* replication is asynchronous: let both writes reach b first */
    for (int i = 0; i < 200 && rint_(b->port, "HLEN %s", "vm.example.com.", NULL) != 2; i++)
        sleep_ms(10);
    /* swap roles under the open handle: its connection to a now gets READONLY */
    freeReplyObject(rcmd(b->port, "REPLICAOF NO ONE"));
    snprintf(port, sizeof(port), "%d", b->port);
    freeReplyObject(rcmd(a->port, "REPLICAOF 127.0.0.1 %s", port));
    wait_role(a->port, "slave");
    vmdns_vm_t two = {VMDNS_VM_INIT, .name = "two.vm.example.com", .ipv4 = "10.0.0.2"};
    if (vmdns_register_vm(r, &two, &e) != 0)
        fail_msg("register after role swap: %s", e.message);
    assert_int_equal(rint_(b->port, "HEXISTS %s %s", "vm.example.com.", "two"), 1);
    assert_int_equal(rint_(b->port, "HEXISTS %s %s", "vm.example.com.", "one"), 1);
    vmdns_registrar_close(r);
    redis_stop(a);
    redis_stop(b);
}

static void failover_on_dead_master(void **state)
{
    rs_t *a = &((rs_t *)*state)[0], *b = &((rs_t *)*state)[1];
    START(a);
    START(b);
    char port[16];
    snprintf(port, sizeof(port), "%d", a->port);
    freeReplyObject(rcmd(b->port, "REPLICAOF 127.0.0.1 %s", port));
    wait_role(b->port, "slave");
    const char *nodes[] = {a->addr, b->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 2, "", "");
    vmdns_error_t e;
    make_zone(r, "vm.example.com");
    /* replication is asynchronous: let the zone reach the replica first */
    for (int i = 0; i < 200 && rint_(b->port, "HLEN %s", "vm.example.com.", NULL) != 1; i++)
        sleep_ms(10);
    /* a handle on the master alone: must never report success once it is gone */
    const char *only_a[] = {a->addr};
    vmdns_registrar_t *ra = open_nodes_fto(only_a, 1, "", "", 300);
    redis_stop(a);
    freeReplyObject(rcmd(b->port, "REPLICAOF NO ONE"));
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "after.vm.example.com", .ipv4 = "10.0.0.1"};
    if (vmdns_register_vm(r, &vm, &e) != 0)
        fail_msg("register after master death: %s", e.message);
    assert_int_equal(rint_(b->port, "HEXISTS %s %s", "vm.example.com.", "after"), 1);
    vmdns_vm_t lost = {VMDNS_VM_INIT, .name = "lost.vm.example.com", .ipv4 = "10.0.0.1"};
    assert_int_equal(vmdns_register_vm(ra, &lost, &e), -1);
    assert_true(e.code == VMDNS_ERR_CONNECT || e.code == VMDNS_ERR_UNCONFIRMED);
    vmdns_registrar_close(ra);
    vmdns_registrar_close(r);
    redis_stop(b);
}

static void wait_replicas_confirms(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    const char *nodes[] = {s->addr};
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    o.min_replicas = 1;
    o.min_replicas_timeout_ms = 50;
    vmdns_registrar_t *r = vmdns_registrar_open(&o, &e);
    assert_non_null(r);
    const char *ns[] = {"ns1.example.com"};
    /* no replica: the write lands on the master but is not confirmed */
    assert_int_equal(vmdns_zone_create(r, "vm.example.com", ns, 1, "h.example.com", 0, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_UNCONFIRMED);
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "x.vm.example.com", .ipv4 = "10.0.0.1"};
    assert_int_equal(vmdns_register_vm(r, &vm, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_UNCONFIRMED);
    vmdns_registrar_close(r);
    redis_stop(s);
}

/* Two agents, each with its own handle, registering 1000 names at once. */
typedef struct agent {
    const char *addr;
    int id;
    int rc;
} agent_t;

static void *agent_run(void *p)
{
    agent_t *a = p;
    const char *nodes[] = {a->addr};
    vmdns_registrar_opts_t o;
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    vmdns_registrar_t *r = vmdns_registrar_open(&o, NULL);
    a->rc = r ? 0 : -1;
    char names[100][64];
    vmdns_vm_t vms[100];
    for (int base = 0; r && base < 1000 && a->rc == 0; base += 100) {
        for (int i = 0; i < 100; i++) {
            snprintf(names[i], sizeof(names[i]), "a%d-vm%d.vm.example.com", a->id, base + i);
            vms[i] =
                (vmdns_vm_t){VMDNS_VM_INIT, .name = names[i], .ipv4 = "10.0.0.1", .ssh_port = 22};
        }
        a->rc = vmdns_register_vms(r, vms, 100, NULL, NULL, NULL);
    }
    vmdns_registrar_close(r);
    return NULL;
}

static void concurrent_agents(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr};
    vmdns_registrar_t *r = open_nodes(nodes, 1, "", "");
    make_zone(r, "vm.example.com");
    agent_t ag[2] = {{s->addr, 1, -1}, {s->addr, 2, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, agent_run, &ag[i]);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(ag[i].rc, 0);
    }
    assert_int_equal(rint_(s->port, "HLEN %s", "vm.example.com.", NULL), 1 + 2 * 2000);
    assert_int_equal(rint_(s->port, "XLEN vmdns:changes", NULL, NULL), 1 + 2 * 2000);
    vmdns_registrar_close(r);
    redis_stop(s);
}

/* ---- a DNS responder that answers from Redis, after a delay ---- */

typedef struct responder {
    int fd, port, redis_port;
    atomic_bool stop;
    atomic_int lag_ms;  /* a name is answered from Redis only lag_ms after its first query */
    const char *hidden; /* names starting with this are never answered (set before the start) */
    atomic_int queries;
    pthread_t thread;
} responder_t;

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Build the answer to query q (len ql) into out; returns its length. */
static size_t answer(responder_t *rs, const uint8_t *q, size_t ql, uint8_t *out, int visible)
{
    size_t qn = 12;
    char name[300];
    size_t o = 0;
    while (qn < ql && q[qn]) {
        memcpy(name + o, q + qn + 1, q[qn]);
        o += q[qn];
        name[o++] = '.';
        qn += 1 + q[qn];
    }
    name[o] = '\0';
    if (rs->hidden && strncmp(name, rs->hidden, strlen(rs->hidden)) == 0)
        visible = 0;
    unsigned qtype = (unsigned)(q[qn + 1] << 8 | q[qn + 2]);
    size_t qend = qn + 5;
    memcpy(out, q, qend);
    out[2] = 0x84; /* QR AA */
    out[3] = 0x03; /* NXDOMAIN unless found */
    put16(out + 6, 0);
    const char *zone = strstr(name, "vm.example.com.");
    char field[300];
    if (!zone || zone == name)
        return qend;
    snprintf(field, sizeof(field), "%.*s", (int)(zone - name - 1), name);
    char *v = visible ? hget(rs->redis_port, "vm.example.com.", field) : NULL;
    if (!v)
        return qend;
    vmdns_rrlist_t l;
    out[3] = 0x00;
    size_t w = qend, an = 0;
    if (vmdns_record_parse_json(v, strlen(v), 300, &l, NULL) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            if (l.rrs[i].type != qtype)
                continue;
            out[w] = 0xc0;
            out[w + 1] = 12;
            put16(out + w + 2, qtype);
            put16(out + w + 4, 1);
            memset(out + w + 6, 0, 4);
            put16(out + w + 10, l.rrs[i].rdlen);
            memcpy(out + w + 12, l.rrs[i].rdata, l.rrs[i].rdlen);
            w += 12 + l.rrs[i].rdlen;
            an++;
        }
        vmdns_rrlist_free(&l);
    }
    put16(out + 6, (unsigned)an);
    free(v);
    return w;
}

static void *responder_run(void *p)
{
    responder_t *rs = p;
    struct timespec first = {0, 0};
    while (!atomic_load(&rs->stop)) {
        struct pollfd pfd = {.fd = rs->fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        uint8_t q[512], out[2048];
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(rs->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (n < 17)
            continue;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (first.tv_sec == 0)
            first = now;
        long waited = (now.tv_sec - first.tv_sec) * 1000 + (now.tv_nsec - first.tv_nsec) / 1000000;
        atomic_fetch_add(&rs->queries, 1);
        size_t al = answer(rs, q, (size_t)n, out, waited >= atomic_load(&rs->lag_ms));
        sendto(rs->fd, out, al, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static void responder_start(responder_t *rs, int redis_port, int lag_ms, const char *hidden)
{
    memset(rs, 0, sizeof(*rs));
    rs->redis_port = redis_port;
    atomic_init(&rs->stop, false);
    atomic_init(&rs->lag_ms, lag_ms);
    atomic_init(&rs->queries, 0);
    rs->hidden = hidden;
    rs->fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(rs->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(rs->fd, (struct sockaddr *)&a, &al);
    rs->port = ntohs(a.sin_port);
    pthread_create(&rs->thread, NULL, responder_run, rs);
}

static void responder_stop(responder_t *rs)
{
    atomic_store(&rs->stop, true);
    pthread_join(rs->thread, NULL);
    close(rs->fd);
}

static void wait_visible_over_dns(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    responder_t dns;
    responder_start(&dns, s->port, 150, NULL);
    char dns_addr[32];
    snprintf(dns_addr, sizeof(dns_addr), "127.0.0.1:%d", dns.port);
    const char *nodes[] = {s->addr}, *vis[] = {dns_addr};
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    o.wait_visible = vis;
    o.n_wait_visible = 1;
    o.wait_visible_timeout_ms = 3000;
    vmdns_registrar_t *r = vmdns_registrar_open(&o, &e);
    assert_non_null(r);
    make_zone(r, "vm.example.com");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "vm-1.vm.example.com", .ipv4 = "10.0.0.7",
                     .ipv6 = "fd00::7", .ssh_port = 38291};
    if (vmdns_register_vm(r, &vm, &e) != 0)
        fail_msg("register with wait_visible: %s", e.message);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 140);                     /* it waited for the lag ... */
    assert_true(atomic_load(&dns.queries) > 2); /* ... by asking again */
    assert_int_equal(vmdns_deregister(r, "vm-1.vm.example.com", &e), 0);
    vmdns_registrar_close(r);

    /* a server that never shows the name: TIMEOUT, but the write is done */
    o.wait_visible_timeout_ms = 300;
    atomic_store(&dns.lag_ms, 1000000);
    r = vmdns_registrar_open(&o, &e);
    vmdns_vm_t vm2 = {VMDNS_VM_INIT, .name = "vm-2.vm.example.com", .ipv4 = "10.0.0.8"};
    assert_int_equal(vmdns_register_vm(r, &vm2, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_TIMEOUT);
    assert_non_null(strstr(e.message, "vm-2.vm.example.com"));
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "vm-2"), 1);
    vmdns_registrar_close(r);
    responder_stop(&dns);
    redis_stop(s);
}

/* A thread that registers a name the DNS server never shows. */
typedef struct waiter {
    vmdns_registrar_t *r;
    int rc;
    vmdns_error_t e;
    atomic_bool done;
} waiter_t;

static void *waiter_run(void *p)
{
    waiter_t *w = p;
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "never-1.vm.example.com", .ipv4 = "10.0.0.9"};
    w->rc = vmdns_register_vm(w->r, &vm, &w->e);
    atomic_store_explicit(&w->done, true, memory_order_release);
    return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One thread's wait_visible wait must not hold the handle: while it waits
 * (for a name that never shows, with a long timeout) another thread's
 * registration and deregistration on the same handle finish at once. */
static void wait_does_not_block_other_threads(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    responder_t dns;
    responder_start(&dns, s->port, 0, "never-");
    char dns_addr[32];
    snprintf(dns_addr, sizeof(dns_addr), "127.0.0.1:%d", dns.port);
    const char *nodes[] = {s->addr}, *vis[] = {dns_addr};
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    o.wait_visible = vis;
    o.n_wait_visible = 1;
    o.wait_visible_timeout_ms = 4000;
    vmdns_registrar_t *r = vmdns_registrar_open(&o, &e);
    assert_non_null(r);
    make_zone(r, "vm.example.com");

    waiter_t w = {.r = r};
    pthread_t t;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_create(&t, NULL, waiter_run, &w);
    /* the waiter is waiting once its name is written and being asked for */
    while (rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "never-1") != 1 &&
           elapsed_ms(&t0) < 3000)
        sleep_ms(5);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "never-1"), 1);

    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    vmdns_vm_t vm = {VMDNS_VM_INIT, .name = "vm-3.vm.example.com", .ipv4 = "10.0.0.3",
                     .ssh_port = 2222};
    if (vmdns_register_vm(r, &vm, &e) != 0)
        fail_msg("register beside a waiting thread: %s", e.message);
    assert_int_equal(vmdns_deregister(r, "vm-3.vm.example.com", &e), 0);
    long ms = elapsed_ms(&t1);
    assert_false(atomic_load_explicit(&w.done, memory_order_acquire)); /* still waiting ... */
    if (ms > 1000)
        fail_msg("a registration beside a waiting thread took %ld ms", ms);

    pthread_join(t, NULL);
    assert_int_equal(w.rc, -1); /* ... until its own timeout */
    assert_int_equal(w.e.code, VMDNS_ERR_TIMEOUT);
    assert_true(elapsed_ms(&t0) >= 3900);
    vmdns_registrar_close(r);
    responder_stop(&dns);
    redis_stop(s);
}

/* Callers built against another header version: smaller structs work (the
 * missing fields take their defaults), bigger ones work while the unknown
 * fields are zero, struct_size 0 is refused. */
struct old_vm { /* vmdns_vm_t before lease_s */
    size_t struct_size;
    const char *name, *ipv4, *ipv6;
    uint16_t ssh_port;
    uint32_t ttl;
};
struct new_vm { /* vmdns_vm_t with one more field */
    vmdns_vm_t vm;
    uint64_t future;
};

static void struct_size_versions(void **state)
{
    rs_t *s = &((rs_t *)*state)[0];
    START(s);
    const char *nodes[] = {s->addr}, *bad_vis[] = {"no such host name:53"};
    vmdns_error_t e;

    struct {
        vmdns_registrar_opts_t o;
        uint64_t future;
    } big;
    vmdns_registrar_opts_init_size(&big.o, sizeof(big));
    assert_int_equal(big.o.struct_size, sizeof(big));
    assert_int_equal(big.o.connect_timeout_ms, 1000);
    big.o.nodes = nodes;
    big.o.n_nodes = 1;
    big.future = 1;
    assert_null(vmdns_registrar_open(&big.o, &e));
    assert_int_equal(e.code, VMDNS_ERR_INVALID);
    assert_non_null(strstr(e.message, "not known"));
    big.o.struct_size = 0;
    assert_null(vmdns_registrar_open(&big.o, &e));
    assert_int_equal(e.code, VMDNS_ERR_INVALID);
    assert_non_null(strstr(e.message, "struct_size"));
    big.o.struct_size = sizeof(big);
    big.future = 0;
    vmdns_registrar_t *r = vmdns_registrar_open(&big.o, &e);
    assert_non_null(r);
    vmdns_registrar_close(r);

    /* an older caller without the wait_visible fields: what lies past its
     * struct_size is never read */
    vmdns_registrar_opts_t o;
    vmdns_registrar_opts_init(&o);
    o.nodes = nodes;
    o.n_nodes = 1;
    o.wait_visible = bad_vis;
    o.n_wait_visible = 1;
    o.struct_size = offsetof(vmdns_registrar_opts_t, wait_visible);
    r = vmdns_registrar_open(&o, &e);
    if (!r)
        fail_msg("open with an older options struct: %s", e.message);
    make_zone(r, "vm.example.com");

    struct old_vm old[2] = {
        {sizeof(struct old_vm), "old-0.vm.example.com", "10.0.0.1", NULL, 22, 60},
        {sizeof(struct old_vm), "old-1.vm.example.com", "10.0.0.2", NULL, 0, 0},
    };
    size_t n_ok = 0;
    if (vmdns_register_vms(r, (const vmdns_vm_t *)(const void *)old, 2, NULL, &n_ok, &e) != 0)
        fail_msg("register older VMs: %s", e.message);
    assert_int_equal(n_ok, 2);
    char *v = hget(s->port, "vm.example.com.", "old-1");
    assert_non_null(v);
    assert_null(strstr(v, "expires")); /* no lease: the field it lacks */
    free(v);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "_ssh._tcp.old-0"), 1);

    struct new_vm nv[3];
    vmdns_error_t errs[3];
    for (int i = 0; i < 3; i++) {
        vmdns_vm_init_size(&nv[i].vm, sizeof(nv[i]));
        nv[i].vm.ipv4 = "10.0.0.3";
    }
    nv[0].vm.name = "new-0.vm.example.com";
    nv[1].vm.name = "new-1.vm.example.com";
    nv[2].vm.name = "new-2.vm.example.com";
    nv[1].future = 7;
    assert_int_equal(vmdns_register_vms(r, &nv[0].vm, 3, errs, &n_ok, &e), -1);
    assert_int_equal(n_ok, 2);
    assert_int_equal(errs[0].code, VMDNS_OK);
    assert_int_equal(errs[1].code, VMDNS_ERR_INVALID);
    assert_int_equal(errs[2].code, VMDNS_OK);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "new-1"), 0);
    assert_int_equal(rint_(s->port, "HEXISTS %s %s", "vm.example.com.", "new-2"), 1);

    vmdns_vm_t unset = {.name = "unset.vm.example.com", .ipv4 = "10.0.0.4"};
    assert_int_equal(vmdns_register_vm(r, &unset, &e), -1);
    assert_int_equal(e.code, VMDNS_ERR_INVALID);
    vmdns_vm_t mixed[2] = {{VMDNS_VM_INIT, .name = "m-0.vm.example.com", .ipv4 = "10.0.0.5"},
                           {.struct_size = 8, .name = "m-1.vm.example.com", .ipv4 = "10.0.0.5"}};
    assert_int_equal(vmdns_register_vms(r, mixed, 2, errs, &n_ok, &e), -1);
    assert_int_equal(errs[1].code, VMDNS_ERR_INVALID);
    assert_int_equal(n_ok, 1);
    vmdns_registrar_close(r);
    redis_stop(s);
}

static void open_refuses_bad_options(void **state)
{
    vmdns_registrar_opts_t o;
    vmdns_error_t e;
    vmdns_registrar_opts_init(&o);
    assert_null(vmdns_registrar_open(&o, &e));
    assert_int_equal(e.code, VMDNS_ERR_INVALID);
    const char *bad[] = {"127.0.0.1:99999"};
    o.nodes = bad;
    o.n_nodes = 1;
    assert_null(vmdns_registrar_open(&o, &e));
    assert_int_equal(e.code, VMDNS_ERR_INVALID);
    const char *closed[] = {"127.0.0.1:1"};
    o.nodes = closed;
    o.failover_timeout_ms = 100;
    assert_null(vmdns_registrar_open(&o, &e));
    assert_int_equal(e.code, VMDNS_ERR_CONNECT);
    assert_non_null(strstr(e.message, "127.0.0.1:1"));
    const char *sent[] = {"127.0.0.1:26379"};
    o.nodes = NULL;
    o.n_nodes = 0;
    o.sentinels = sent;
    o.n_sentinels = 1;
    assert_null(vmdns_registrar_open(&o, &e));
    assert_int_equal(e.code, VMDNS_ERR_INVALID); /* no master name */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_refuses_bad_options),
        cmocka_unit_test_setup_teardown(register_and_deregister, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(bad_input_writes_nothing, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(batch_registration, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(longest_zone_and_key_affixes, servers_setup,
                                        servers_teardown),
        cmocka_unit_test_setup_teardown(set_renew_and_gc, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(failover_on_readonly, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(failover_on_dead_master, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(wait_replicas_confirms, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(concurrent_agents, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(wait_visible_over_dns, servers_setup, servers_teardown),
        cmocka_unit_test_setup_teardown(wait_does_not_block_other_threads, servers_setup,
                                        servers_teardown),
        cmocka_unit_test_setup_teardown(struct_size_versions, servers_setup, servers_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
