/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_common.c - unit tests of the internal library vmdns_common
 * (src/common): the one host:port parser every address goes through, the
 * parsing of Redis Sentinel answers and the Redis schema (keys, patterns,
 * stream entries), each shared by libvmdns and vmdnsd.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "common/hostport.h"
#include "common/redis_info.h"
#include "common/redis_schema.h"
#include "common/sentinel.h"

/* Parse text that must be accepted; check host, port and brackets. */
static void hp_ok(const char *text, unsigned flags, uint16_t dport, const char *host, uint16_t port,
                  int bracketed)
{
    vmdns_hostport_t a;
    char why[300] = "";
    if (vmdns_hostport_parse(text, flags, dport, &a, why, sizeof(why)) != 0)
        fail_msg("'%s' rejected: %s", text, why);
    assert_string_equal(a.host, host);
    assert_int_equal(a.port, port);
    assert_int_equal(a.bracketed, bracketed);
}

/* Parse text that must be refused with a reason containing `want`. */
static void hp_bad(const char *text, unsigned flags, const char *want)
{
    vmdns_hostport_t a;
    char why[300] = "";
    if (vmdns_hostport_parse(text, flags, 6379, &a, why, sizeof(why)) == 0)
        fail_msg("'%s' accepted", text);
    if (strstr(why, want) == NULL)
        fail_msg("'%s': '%s' does not say '%s'", text, why, want);
}

static void test_hostport_forms(void **state)
{
    /* IPv4, host names, default port */
    hp_ok("10.0.0.1:6380", 0, 6379, "10.0.0.1", 6380, 0);
    hp_ok("10.0.0.1", 0, 6379, "10.0.0.1", 6379, 0);
    hp_ok("redis.example.com:7000", 0, 6379, "redis.example.com", 7000, 0);
    hp_ok("localhost", 0, 26379, "localhost", 26379, 0);
    hp_ok("h:00053", 0, 1, "h", 53, 0);
    /* [IPv6]:port, [IPv6], bare IPv6 (default port) */
    hp_ok("[::1]:6380", 0, 6379, "::1", 6380, 1);
    hp_ok("[fd00::3]", 0, 6379, "fd00::3", 6379, 1);
    hp_ok("fd00::3", 0, 6379, "fd00::3", 6379, 0);
    hp_ok("::1", 0, 6379, "::1", 6379, 0);
    hp_ok("[fe80::1%lo]:53", 0, 1, "fe80::1%lo", 53, 1);
    /* flags */
    hp_ok(":8080", VMDNS_HP_EMPTY_HOST, 1, "", 8080, 0);
    hp_ok("127.0.0.1:0", VMDNS_HP_PORT_ZERO, 1, "127.0.0.1", 0, 0);
    hp_ok("/run/redis.sock", VMDNS_HP_UNIX, 6379, "/run/redis.sock", 0, 0);
}

static void test_hostport_errors(void **state)
{
    hp_bad("", 0, "empty");
    hp_bad(NULL, 0, "empty");
    hp_bad("h:", 0, "bad port");
    hp_bad("h:0", 0, "bad port");
    hp_bad("h:65536", 0, "bad port");
    hp_bad("h:100000", 0, "bad port");
    hp_bad("h:-1", 0, "bad port");
    hp_bad("h:+53", 0, "bad port");
    hp_bad("h: 53", 0, "bad port");
    hp_bad("h:53x", 0, "bad port");
    hp_bad("[::1", 0, "missing ']'");
    hp_bad("[::1]x", 0, "missing ':port'");
    hp_bad("[]:53", 0, "bad IPv6 address");
    hp_bad("[::1]:", 0, "bad port");
    hp_bad(":53", 0, "no host");
    hp_bad("h", VMDNS_HP_PORT_REQUIRED, "missing ':port'");
    hp_bad("[::1]", VMDNS_HP_PORT_REQUIRED, "missing ':port'");
    hp_bad("::1:53", VMDNS_HP_NO_BARE_V6, "[addr]:port");
    hp_bad("/run/redis.sock", 0, "socket path"); /* only with VMDNS_HP_UNIX */
    char longhost[400];
    memset(longhost, 'a', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    hp_bad(longhost, 0, "too long");
}

static void test_hostport_str_and_sockaddr(void **state)
{
    vmdns_hostport_t a;
    char buf[300], why[300];
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(vmdns_hostport_parse("[::1]:53", 0, 1, &a, why, sizeof(why)), 0);
    assert_string_equal(vmdns_hostport_str(&a, buf, sizeof(buf)), "[::1]:53");
    assert_int_equal(vmdns_hostport_sockaddr(&a, &ss, &len, why, sizeof(why)), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 53);
    assert_int_equal(vmdns_hostport_parse("fd00::1", 0, 6379, &a, why, sizeof(why)), 0);
    assert_string_equal(vmdns_hostport_str(&a, buf, sizeof(buf)), "[fd00::1]:6379");
    assert_int_equal(vmdns_hostport_parse("10.1.2.3:80", 0, 1, &a, why, sizeof(why)), 0);
    assert_string_equal(vmdns_hostport_str(&a, buf, sizeof(buf)), "10.1.2.3:80");
    assert_int_equal(vmdns_hostport_sockaddr(&a, &ss, &len, why, sizeof(why)), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(vmdns_hostport_parse("/tmp/s", VMDNS_HP_UNIX, 1, &a, why, sizeof(why)), 0);
    assert_string_equal(vmdns_hostport_str(&a, buf, sizeof(buf)), "/tmp/s");
    /* numeric only: names are not resolved */
    assert_int_equal(vmdns_hostport_parse("localhost:53", 0, 1, &a, why, sizeof(why)), 0);
    assert_int_equal(vmdns_hostport_sockaddr(&a, &ss, &len, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not an IPv4 address"));
    /* ... but an HTTP listener's "localhost" is the loopback, and ":port" every address */
    assert_int_equal(vmdns_hostport_listen_sockaddr(&a, 0, &ss, &len, why, sizeof(why)), -1);
    assert_int_equal(
        vmdns_hostport_listen_sockaddr(&a, VMDNS_HP_LOCALHOST, &ss, &len, why, sizeof(why)), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
    assert_int_equal(vmdns_hostport_parse(":8080", VMDNS_HP_EMPTY_HOST, 1, &a, why, sizeof(why)),
                     0);
    assert_int_equal(vmdns_hostport_listen_sockaddr(&a, 0, &ss, &len, why, sizeof(why)), 0);
    assert_int_equal(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), INADDR_ANY);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(vmdns_hostport_parse("[::1]:53", 0, 1, &a, why, sizeof(why)), 0);
    assert_int_equal(vmdns_hostport_listen_sockaddr(&a, 0, &ss, &len, why, sizeof(why)), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(vmdns_hostport_parse("[127.0.0.1]:53", 0, 1, &a, why, sizeof(why)), 0);
    assert_int_equal(vmdns_hostport_sockaddr(&a, &ss, &len, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not an IPv6 address"));
    assert_int_equal(vmdns_hostport_parse("[fe80::1%nosuchif0]:53", 0, 1, &a, why, sizeof(why)), 0);
    assert_int_equal(vmdns_hostport_sockaddr(&a, &ss, &len, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "unknown interface"));
}

/* A string reply (not owned: the test keeps the storage). */
static redisReply str_reply(const char *s)
{
    redisReply r = {.type = REDIS_REPLY_STRING, .len = strlen(s), .str = (char *)s};
    return r;
}

static void test_sentinel_master(void **state)
{
    vmdns_hostport_t a;
    redisReply items[2] = {str_reply("10.0.0.2"), str_reply("6380")};
    redisReply *ptrs[2] = {&items[0], &items[1]};
    redisReply rep = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = ptrs};
    assert_int_equal(vmdns_sentinel_parse_master(&rep, &a), 0);
    assert_string_equal(a.host, "10.0.0.2");
    assert_int_equal(a.port, 6380);
    items[1] = str_reply("0");
    assert_int_equal(vmdns_sentinel_parse_master(&rep, &a), -1);
    items[1] = str_reply("6380x");
    assert_int_equal(vmdns_sentinel_parse_master(&rep, &a), -1);
    redisReply nil = {.type = REDIS_REPLY_NIL};
    assert_int_equal(vmdns_sentinel_parse_master(&nil, &a), -1); /* unknown master */
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "ERR no such master"};
    assert_int_equal(vmdns_sentinel_parse_master(&err, &a), -1);
    assert_int_equal(vmdns_sentinel_parse_master(NULL, &a), -1);
}

static void test_sentinel_switch_and_replicas(void **state)
{
    vmdns_hostport_t a;
    assert_int_equal(vmdns_sentinel_parse_switch("vmdns 127.0.0.1 6379 10.0.0.2 6380", "vmdns", &a),
                     0);
    assert_string_equal(a.host, "10.0.0.2");
    assert_int_equal(a.port, 6380);
    assert_int_equal(vmdns_sentinel_parse_switch("other 127.0.0.1 6379 10.0.0.2 6380", "vmdns", &a),
                     -1);
    assert_int_equal(vmdns_sentinel_parse_switch("vmdns 127.0.0.1 6379", "vmdns", &a), -1);
    assert_int_equal(vmdns_sentinel_parse_switch("vmdns 1.1.1.1 1 10.0.0.2 70000", "vmdns", &a),
                     -1);
    assert_int_equal(vmdns_sentinel_parse_switch("vmdns 1.1.1.1 1 10.0.0.2 6380 junk", "vmdns", &a),
                     -1);

    const char *kv[] = {"name", "10.0.0.3:6379", "ip",    "10.0.0.3",
                        "port", "6379",          "flags", "slave"};
    redisReply items[8], *ptrs[8];
    for (int i = 0; i < 8; i++) {
        items[i] = str_reply(kv[i]);
        ptrs[i] = &items[i];
    }
    redisReply entry = {.type = REDIS_REPLY_ARRAY, .elements = 8, .element = ptrs};
    assert_int_equal(vmdns_sentinel_parse_replica(&entry, &a), 0);
    assert_string_equal(a.host, "10.0.0.3");
    assert_int_equal(a.port, 6379);
    items[7] = str_reply("slave,s_down");
    assert_int_equal(vmdns_sentinel_parse_replica(&entry, &a), -1); /* down: not a candidate */
    items[7] = str_reply("slave,o_down");
    assert_int_equal(vmdns_sentinel_parse_replica(&entry, &a), -1);
    items[7] = str_reply("slave,disconnected");
    assert_int_equal(vmdns_sentinel_parse_replica(&entry, &a), -1);
    items[7] = str_reply("slave");
    items[5] = str_reply("0");
    assert_int_equal(vmdns_sentinel_parse_replica(&entry, &a), -1);
}

static void test_sentinel_nodes(void **state)
{
    vmdns_hostport_t m = {"10.0.0.1", 6379, false};
    vmdns_hostport_t r[3] = {
        {"10.0.0.2", 6379, false}, {"10.0.0.1", 6379, false}, {"10.0.0.2", 6379, false}};
    vmdns_hostport_t out[4];
    size_t n = vmdns_sentinel_nodes(&m, r, 3, out, 4);
    assert_int_equal(n, 2); /* master first, the replica once, never the master again */
    assert_string_equal(out[0].host, "10.0.0.1");
    assert_string_equal(out[1].host, "10.0.0.2");
    n = vmdns_sentinel_nodes(NULL, r, 3, out, 4); /* no master known: the replicas */
    assert_int_equal(n, 2);
    assert_string_equal(out[0].host, "10.0.0.2");
    assert_int_equal(vmdns_sentinel_nodes(&m, r, 3, out, 1), 1); /* capped */
}

/* The discovery round: sentinels that fail or know nothing are skipped,
 * the first that names nodes wins; a reader asks for replicas too. */
static void test_sentinel_round(void **state)
{
    vmdns_hostport_t sent[3] = {
        {"10.9.0.1", 26379, false}, {"10.9.0.2", 26379, false}, {"10.9.0.3", 26379, false}};
    vmdns_sentinel_round_t r;
    vmdns_hostport_t out[4];
    redisReply items[2] = {str_reply("10.0.0.2"), str_reply("6380")};
    redisReply *ptrs[2] = {&items[0], &items[1]};
    redisReply master = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = ptrs};
    redisReply nil = {.type = REDIS_REPLY_NIL};
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "NOAUTH"};
    redisReply none = {.type = REDIS_REPLY_ARRAY, .elements = 0};

    /* a writer: the master only */
    vmdns_sentinel_round_start(&r, sent, 3, false);
    assert_ptr_equal(vmdns_sentinel_round_next(&r), &sent[0]);
    vmdns_sentinel_round_fail(&r, "connection refused");
    assert_non_null(strstr(r.why, "10.9.0.1:26379"));
    assert_ptr_equal(vmdns_sentinel_round_next(&r), &sent[1]);
    assert_int_equal(vmdns_sentinel_round_master(&r, &nil), -1); /* knows no node */
    assert_non_null(strstr(r.why, "knows no node"));
    assert_ptr_equal(vmdns_sentinel_round_next(&r), &sent[2]);
    assert_int_equal(vmdns_sentinel_round_master(&r, &master), 1);
    assert_int_equal(vmdns_sentinel_round_nodes(&r, out, 4), 1);
    assert_string_equal(out[0].host, "10.0.0.2");
    assert_null(vmdns_sentinel_round_next(&r));
    assert_int_equal(vmdns_sentinel_round_nodes(&r, out, 4), 0);

    /* a reader: master and replicas, from the one sentinel that answers */
    const char *kv[] = {"ip", "10.0.0.3", "port", "6379", "flags", "slave"};
    redisReply kvr[6], *kvp[6];
    for (int i = 0; i < 6; i++) {
        kvr[i] = str_reply(kv[i]);
        kvp[i] = &kvr[i];
    }
    redisReply rep1 = {.type = REDIS_REPLY_ARRAY, .elements = 6, .element = kvp};
    redisReply *rp[1] = {&rep1};
    redisReply replicas = {.type = REDIS_REPLY_ARRAY, .elements = 1, .element = rp};
    vmdns_sentinel_round_start(&r, sent, 2, true);
    assert_ptr_equal(vmdns_sentinel_round_next(&r), &sent[0]);
    assert_int_equal(vmdns_sentinel_round_master(&r, &err), -1);
    assert_non_null(strstr(r.why, "NOAUTH"));
    assert_ptr_equal(vmdns_sentinel_round_next(&r), &sent[1]);
    assert_int_equal(vmdns_sentinel_round_master(&r, &nil), 0); /* wait for the replicas */
    assert_int_equal(vmdns_sentinel_round_replicas(&r, &replicas), 1);
    assert_int_equal(vmdns_sentinel_round_nodes(&r, out, 4), 1);
    assert_string_equal(out[0].host, "10.0.0.3"); /* no master known: a replica */
    vmdns_sentinel_round_start(&r, sent, 1, true);
    vmdns_sentinel_round_next(&r);
    assert_int_equal(vmdns_sentinel_round_master(&r, &master), 0);
    assert_int_equal(vmdns_sentinel_round_replicas(&r, &none), 1);
    assert_int_equal(vmdns_sentinel_round_nodes(&r, out, 4), 1);
    /* nothing answered at all */
    vmdns_sentinel_round_start(&r, sent, 0, false);
    assert_null(vmdns_sentinel_round_next(&r));
    assert_string_equal(r.why, "no sentinel answered");
}

static void test_schema_keys(void **state)
{
    char out[128];
    const char *zone;
    assert_int_equal(vmdns_schema_zone_key("p:", "vm.example.com.", 15, ":s", out, sizeof(out)),
                     strlen("p:vm.example.com.:s"));
    assert_string_equal(out, "p:vm.example.com.:s");
    assert_int_equal(vmdns_schema_key_zone(out, strlen(out), "p:", ":s", &zone), 15);
    assert_memory_equal(zone, "vm.example.com.", 15);
    assert_int_equal(vmdns_schema_zone_key("p:", "vm.example.com.", 15, ":s", out, 19), 0);
    assert_int_equal(vmdns_schema_key_zone(".", 1, "", "", &zone), 1); /* the root */
    /* the stream key has no final dot, other affixes are other data */
    assert_int_equal(vmdns_schema_key_zone("vmdns:changes", 13, "", "", &zone), 0);
    assert_int_equal(vmdns_schema_key_zone("q:vm.example.com.:s", 19, "p:", ":s", &zone), 0);
    assert_int_equal(vmdns_schema_key_zone("p:vm.example.com.:t", 19, "p:", ":s", &zone), 0);
    assert_int_equal(vmdns_schema_key_zone("p::s", 4, "p:", ":s", &zone), 0);

    assert_int_equal(vmdns_schema_scan_pattern("", "", out, sizeof(out)), 2);
    assert_string_equal(out, "*.");
    vmdns_schema_scan_pattern("dns[1]*", "?:\\", out, sizeof(out));
    assert_string_equal(out, "dns\\[1\\]\\**.\\?:\\\\");
    assert_int_equal(vmdns_schema_scan_pattern("abcdef", "", out, 5), 0);
    assert_int_equal(vmdns_schema_stream_key("p:", ":s", out, sizeof(out)), 17);
    assert_string_equal(out, "p:vmdns:changes:s");
    assert_int_equal(vmdns_schema_stream_key("p:", ":s", out, 17), 0);
}

/* A flat field/value array of up to 8 strings. */
typedef struct entry_fixture {
    redisReply items[8], *ptrs[8], array;
} entry_fixture_t;

static const redisReply *entry(entry_fixture_t *f, const char *const *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f->items[i] = str_reply(kv[i]);
        f->ptrs[i] = &f->items[i];
    }
    f->array = (redisReply){.type = REDIS_REPLY_ARRAY, .elements = n, .element = f->ptrs};
    return &f->array;
}

static void test_schema_entries(void **state)
{
    entry_fixture_t f;
    vmdns_schema_entry_t e;
    const char *argv[VMDNS_SCHEMA_ENTRY_ARGC];

    /* what the registrar writes is what the server reads */
    vmdns_schema_entry_argv("vm.example.com.", "vm-1", VMDNS_SCHEMA_OP_SET, "{}", argv);
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, argv, 8), &e), 0);
    assert_int_equal(e.op, VMDNS_SCHEMA_OP_SET);
    assert_memory_equal(e.zone, "vm.example.com.", e.zone_len);
    assert_memory_equal(e.name, "vm-1", e.name_len);
    assert_memory_equal(e.value, "{}", e.value_len);
    vmdns_schema_entry_argv("vm.example.com.", "vm-1", VMDNS_SCHEMA_OP_DEL, "ignored", argv);
    assert_string_equal(argv[5], "del");
    assert_string_equal(argv[7], "");
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, argv, 8), &e), 0);
    assert_int_equal(e.op, VMDNS_SCHEMA_OP_DEL);

    const char *delzone[] = {"zone", "vm.example.com.", "op", "delzone"};
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, delzone, 4), &e), 0);
    assert_int_equal(e.op, VMDNS_SCHEMA_OP_DELZONE);
    const char *no_value[] = {"zone", "z.", "name", "a", "op", "set"};
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, no_value, 6), &e), -1);
    const char *no_name[] = {"zone", "z.", "op", "del"};
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, no_name, 4), &e), -1);
    const char *bad_op[] = {"zone", "z.", "name", "a", "op", "put", "value", "{}"};
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, bad_op, 8), &e), -1);
    assert_memory_equal(e.name, "a", 1); /* filled as far as possible, for messages */
    const char *no_zone[] = {"name", "a", "op", "del"};
    assert_int_equal(vmdns_schema_entry_parse(entry(&f, no_zone, 4), &e), -1);
    assert_null(e.zone);
    assert_int_equal(vmdns_schema_op_parse("delzone", 7), VMDNS_SCHEMA_OP_DELZONE);
    assert_int_equal(vmdns_schema_op_parse("dele", 4), VMDNS_SCHEMA_OP_UNKNOWN);
    assert_null(vmdns_schema_op_name(VMDNS_SCHEMA_OP_UNKNOWN));
}

/* INFO text: the keys that matter, replicas in sync, CRLF, junk. */
static void test_redis_info(void **state)
{
    (void)state;
    static const char info[] =
        "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
        "slave0:ip=127.0.0.1,port=7001,state=online,offset=10,lag=0\r\n"
        "slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0\r\n"
        "master_replid:aaaa\r\nmaster_replid2:bbbb\r\n"
        "# Memory\r\nmaxmemory_policy:allkeys-lru\r\n# Persistence\r\naof_enabled:0\r\n"
        "slaveX:state=online\r\nrole\r\n:::\r\n";
    vmdns_redis_info_t ri;
    vmdns_redis_info_parse(info, sizeof(info) - 1, &ri);
    assert_string_equal(ri.role, "master");
    assert_int_equal(ri.connected_replicas, 2);
    assert_int_equal(ri.online_replicas, 1);
    assert_string_equal(ri.replid, "aaaa");
    assert_string_equal(ri.replid2, "bbbb");
    assert_string_equal(ri.maxmemory_policy, "allkeys-lru");
    assert_int_equal(ri.aof_enabled, 0);
    assert_int_equal(ri.rdb_save, -1);

    char why[400];
    assert_int_equal(vmdns_redis_info_risks(&ri, 0, why, sizeof(why)), 1); /* has replicas */
    assert_non_null(strstr(why, "maxmemory-policy is allkeys-lru"));
    ri.connected_replicas = 0;
    ri.rdb_save = 0;
    assert_int_equal(vmdns_redis_info_risks(&ri, 0, why, sizeof(why)), 2);
    assert_non_null(strstr(why, "; no persistence"));
    assert_int_equal(vmdns_redis_info_risks(&ri, 1, why, sizeof(why)), 1); /* sentinel replicas */
    strcpy(ri.maxmemory_policy, "noeviction");
    ri.aof_enabled = 1;
    assert_int_equal(vmdns_redis_info_risks(&ri, 0, why, sizeof(why)), 0);
    assert_string_equal(why, "");

    vmdns_redis_info_parse(NULL, 0, &ri); /* nothing known: nothing to say */
    assert_int_equal(ri.aof_enabled, -1);
    assert_int_equal(vmdns_redis_info_risks(&ri, 0, why, sizeof(why)), 0);
    vmdns_redis_info_parse("maxmemory_policy:a-policy-name-longer-than-the-buffer-holds\n", 60,
                           &ri);
    assert_int_equal(strlen(ri.maxmemory_policy), sizeof(ri.maxmemory_policy) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostport_forms),  cmocka_unit_test(test_redis_info),
        cmocka_unit_test(test_hostport_errors), cmocka_unit_test(test_hostport_str_and_sockaddr),
        cmocka_unit_test(test_sentinel_master), cmocka_unit_test(test_sentinel_switch_and_replicas),
        cmocka_unit_test(test_sentinel_nodes),  cmocka_unit_test(test_sentinel_round),
        cmocka_unit_test(test_schema_keys),     cmocka_unit_test(test_schema_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
