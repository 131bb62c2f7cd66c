/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_corefile.c - the Corefile reader: each directive becomes the tree a
 * YAML user would have written (compared through a compact dump of the
 * tree), the textual features work ({$ENV}, quotes, comments, snippets with
 * arguments, imported files and globs), and every mistake is one
 * "FILE:LINE: problem" naming the right file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "config/corefile.h"
#include "config/corefile_plugin.h"
#include "config/server_config.h"
#include "core/plugin.h"

/* This executable's socket(): counts every call, and refuses IPv6 while
 * `no_ipv6` is set, so a test can show that reading a Corefile neither
 * asks the host anything nor depends on its answer. */
static bool no_ipv6;
static int sockets_made;

int socket(int domain, int type, int protocol)
{
    sockets_made++;
    if (domain == AF_INET6 && no_ipv6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    return (int)syscall(SYS_socket, domain, type, protocol);
}

/* Dump a tree as {k:v,...}, [a,...] and bare scalars, in tree order. */
static void dump(const cfg_node_t *n, char *out, size_t cap, size_t *off)
{
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(out + *off, cap - *off, __VA_ARGS__);                                    \
        *off += w_ > 0 && (size_t)w_ < cap - *off ? (size_t)w_ : 0;                                \
    } while (0)
    if (n->kind == CFG_SCALAR) {
        PUT("%s", n->value);
        return;
    }
    PUT("%c", n->kind == CFG_MAP ? '{' : '[');
    for (size_t i = 0; i < n->n; i++) {
        if (i > 0) {
            PUT(",");
        }
        if (n->kind == CFG_MAP) {
            PUT("%s:", n->keys[i]);
        }
        dump(n->items[i], out, cap, off);
    }
    PUT("%c", n->kind == CFG_MAP ? '}' : ']');
#undef PUT
}

/* Parse text as "t/Corefile" and compare its dump with `want`. */
static void expect_tree(const char *text, const char *want)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_corefile(text, strlen(text), "t/Corefile", &err);
    if (root == NULL) {
        fail_msg("unexpected error: %s", err.msg);
    }
    char got[4096];
    size_t off = 0;
    dump(root, got, sizeof(got), &off);
    assert_string_equal(got, want);
    cfg_free(root);
}

/* Parse text that must fail; compare the message. */
static void expect_error(const char *text, const char *want)
{
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_corefile(text, strlen(text), "t/Corefile", &err);
    assert_null(root);
    assert_string_equal(err.msg, want);
}

static void test_directives(void **state)
{
    expect_tree("vm.example.com:5300 {\n"
                "    bind 127.0.0.1 ::1\n"
                "    file db.vm vm.example.com\n"
                "    prometheus 127.0.0.1:9153\n"
                "    health 127.0.0.1:8080 {\n"
                "        lameduck 5s\n"
                "    }\n"
                "    ready 127.0.0.1:8181\n"
                "    log\n"
                "    errors\n"
                "    any\n"
                "    reload 10s 2s\n"
                "    cache 30\n"
                "}\n",
                "{servers:[{zones:[vm.example.com.],metrics:{listen:127.0.0.1:9153},health:{liste"
                "n:127.0.0.1:8080,lameduck:5s},ready:{listen:127.0.0.1:8181},log:true,errors:true"
                ",any:true,reload:{interval:10s,jitter:2s},listen:[127.0.0.1:5300,[::1]:5300]}],z"
                "ones:[{origin:vm.example.com.,file:db.vm}]}");
}

static void test_defaults_and_keys(void **state)
{
    /* No bind: every address (":53", whatever the host; the server picks
     * 0.0.0.0 and [::] when it binds); no port: 53; file zones from the keys. */
    expect_tree("Example.COM {\n  file db.example\n}\n",
                "{servers:[{zones:[example.com.],listen:[:53]}],zones:[{origin:example.com.,file:"
                "db.example}]}");
    /* Several keys, commas, a scheme, per-key ports, the root zone. */
    expect_tree("dns://a.test:5300, b.test:5301,\n"
                "  c.test. {\n"
                "  bind 127.0.0.1\n"
                "  file db\n"
                "}\n",
                "{servers:[{zones:[a.test.,b.test.,c.test.],listen:[127.0.0.1:5300,127.0.0.1:5301"
                ",127.0.0.1:53]}],zones:[{origin:a.test.,file:db},{origin:b.test.,file:db},{origi"
                "n:c.test.,file:db}]}");
    /* Two blocks on the same address: one listener. */
    expect_tree(". { bind 127.0.0.1\n}\nx.test { bind 127.0.0.1\n}\n",
                "{servers:[{zones:[.],listen:[127.0.0.1:53]},{zones:[x.test.],listen:[127.0.0.1:5"
                "3]}]}");
    /* log/errors/health/prometheus with blocks and bare. */
    expect_tree(". {\n bind 127.0.0.1\n log . {\n  class denial error\n }\n"
                " errors {\n  consolidate 30s\n }\n health\n prometheus\n}\n",
                "{servers:[{zones:[.],log:{class:[denial,error]},errors:{consolidate:30s},health:"
                "{},metrics:{},listen:[127.0.0.1:53]}]}");
    /* One-line blocks. */
    /* Each block its own options (split horizon); data sources shared. */
    expect_tree("internal.test {\n bind 127.0.0.2\n log\n prometheus :9153\n file db\n}\n"
                "example.test {\n bind 127.0.0.1\n prometheus :9253\n}\n",
                "{servers:[{zones:[internal.test.],log:true,metrics:{listen::9153},"
                "listen:[127.0.0.2:53]},{zones:[example.test.],metrics:{listen::9253},"
                "listen:[127.0.0.1:53]}],zones:[{origin:internal.test.,file:db}]}");
    expect_tree(". {\n bind 127.0.0.1\n health { lameduck 1s }\n}\n",
                "{servers:[{zones:[.],health:{lameduck:1s},listen:[127.0.0.1:53]}]}");
}

static void test_redis(void **state)
{
    expect_tree("vm.example.com {\n"
                "  bind 127.0.0.1\n"
                "  redis {\n"
                "    address 10.0.0.1:6379\n"
                "    address 10.0.0.2:6379\n"
                "    password s3cret\n"
                "    prefix _dns:\n"
                "    suffix \"\"\n"
                "    connect_timeout 100\n"
                "    read_timeout 2s\n"
                "    ttl 60\n"
                "  }\n"
                "  redis {\n"
                "    address 10.1.0.1\n"
                "    db 2\n"
                "    connect_timeout 100\n"
                "  }\n"
                "}\n",
                "{servers:[{zones:[vm.example.com.],listen:[127.0.0.1:53]}],redis:{backends:[{add"
                "resses:[10.0.0.1:6379,10.0.0.2:6379],password:s3cret,prefix:_dns:,name:redis1},{"
                "addresses:[10.1.0.1],db:2,name:redis2}],connect_timeout:100ms,read_timeout:2s,de"
                "fault_ttl:60}}");
    expect_error(". {\n redis {\n  address a:1\n  connect_timeout 100\n }\n"
                 " redis {\n  address b:1\n  connect_timeout 200\n }\n}\n",
                 "t/Corefile:8: redis: connect_timeout differs from t/Corefile:4 (it applies to "
                 "all redis blocks)");
    /* the CoreDNS redis plugin family: bare `redis` is localhost:6379;
     * zones as arguments; database/db; unix sockets; comma lists; empty
     * values unset; fallthrough and fork options accepted */
    expect_tree(". {\n redis\n}\n",
                "{servers:[{zones:[.],listen:[:53]}],redis:{backends:[{addresses:[localhost:6379]"
                ",name:redis1}]}}");
    expect_tree(". {\n redis {\n  password x\n }\n}\n",
                "{servers:[{zones:[.],listen:[:53]}],redis:{backends:[{password:x,addresses:[loca"
                "lhost:6379],name:redis1}]}}");
    expect_tree(". {\n redis Example.org vm.example.com. {\n  address unix:///run/r.sock\n"
                "  database 3\n  password \"\"\n  username \"\"\n  fallthrough\n"
                "  pool_size 10\n  write_timeout 5000\n }\n}\n",
                "{servers:[{zones:[.],listen:[:53]}],redis:{backends:[{zones:[example.org.,vm.exa"
                "mple.com.],addresses:[/run/r.sock],db:3,name:redis1}]}}");
    expect_tree(". {\n redis {\n  address a:6379,b:6380\n  ttl \"\"\n }\n}\n",
                "{servers:[{zones:[.],listen:[:53]}],redis:{backends:[{addresses:[a:6379,b:6380],"
                "name:redis1}]}}");
    expect_error(". {\n redis {\n  address a:1\n  pool_sise 10\n }\n}\n",
                 "t/Corefile:4: redis: unknown option 'pool_sise'");
    /* vmdnsd's own options: the YAML keys, groups as blocks (nested up to
     * 3 deep), a block on one line; sentinel instead of the default address */
    expect_tree(". {\n redis {\n  resync_interval 30s\n  limits { records_per_name 2 }\n"
                "  defaults {\n   soa {\n    mbox h.x.\n    minttl 5\n   }\n   ns a.x. b.x.\n  }\n"
                " }\n redis {\n  sentinel {\n   addresses s1,s2:1\n   master m\n  }\n }\n}\n",
                "{servers:[{zones:[.],listen:[:53]}],redis:{backends:[{addresses:[localhost:6379],"
                "name:redis1},{sentinel:{addresses:[s1,s2:1],master:m},name:redis2}],resync_interv"
                "al:30s,limits:{records_per_name:2},defaults:{soa:{mbox:h.x.,minttl:5},ns:[a.x.,b."
                "x.]}}}");
}

static void test_env_quotes_comments(void **state)
{
    setenv("VMDNS_TEST_PORT", "5399", 1);
    setenv("VMDNS_TEST_ADDR", "127.0.0.2", 1);
    unsetenv("VMDNS_TEST_UNSET");
    expect_tree("# a comment line\n"
                "example.com:{$VMDNS_TEST_PORT} { # after the brace\n"
                "  bind {%VMDNS_TEST_ADDR%} {$VMDNS_TEST_UNSET:127.0.0.3}\n"
                "  file \"my zones/db \\\"x\\\" #1\"  # the file name has a space, quotes, #\n"
                "}\n",
                "{servers:[{zones:[example.com.],listen:[127.0.0.2:5399,127.0.0.3:5399]}],zones:["
                "{origin:example.com.,file:my zones/db \"x\" #1}]}");
    /* An unset variable without a default is empty: a directive whose only
     * argument is empty has none. */
    expect_error(". {\n  bind {$VMDNS_TEST_UNSET}\n}\n",
                 "t/Corefile:2: bind: give at least one address");
    /* An option whose only argument is empty is not set (CoreDNS), whether
     * the variable is unset or the argument is "" (issue 11, point 6). */
    setenv("VMDNS_TEST_EMPTY", "", 1);
    expect_tree("vm.example.com {\n"
                "  bind 127.0.0.1\n"
                "  redis {\n"
                "    address 10.0.0.1:6379\n"
                "    password {$VMDNS_TEST_UNSET}\n"
                "    username \"\"\n"
                "    ttl {$VMDNS_TEST_EMPTY}\n"
                "    read_timeout {$VMDNS_TEST_UNSET:2s}\n"
                "  }\n"
                "  health {$VMDNS_TEST_UNSET}\n"
                "}\n",
                "{servers:[{zones:[vm.example.com.],health:{},listen:[127.0.0.1:53]}],redis:{back"
                "ends:[{addresses:[10.0.0.1:6379],name:redis1}],read_timeout:2s}}");
}

static void test_snippets(void **state)
{
    expect_tree("(common) {\n"
                "  log\n"
                "  errors\n"
                "}\n"
                "(listen) {\n"
                "  bind {args[0]}\n"
                "  prometheus {args[0]}:{args[1]}\n"
                "}\n"
                "a.test {\n"
                "  import common\n"
                "  import listen 127.0.0.1 9153\n"
                "}\n"
                "b.test {\n"
                "  import common\n"
                "  bind 127.0.0.1\n"
                "  import listen 127.0.0.1 9153\n"
                "}\n",
                "{servers:[{zones:[a.test.],log:true,errors:true,metrics:{listen:127.0.0.1:9153},"
                "listen:[127.0.0.1:53]},{zones:[b.test.],log:true,errors:true,metrics:{listen:127"
                ".0.0.1:9153},listen:[127.0.0.1:53]}]}");
    /* A snippet's error points into the snippet. */
    expect_error("(bad) {\n  log\n  whoami\n}\n. {\n  import bad\n}\n",
                 "t/Corefile:3: unknown directive 'whoami'");
    expect_error("(loop) {\n  import loop\n}\n. {\n  import loop\n}\n",
                 "t/Corefile:2: imports nested more than 10 deep (an import cycle?)");
    expect_error("(a) {\n log\n}\n(a) {\n errors\n}\n",
                 "t/Corefile:4: snippet 'a' is defined twice");
}

/* Write `text` to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024]; /* dir (up to 600) + name */
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_import_files(void **state)
{
    char dir[] = "/tmp/vmdns-corefile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600], main_path[600];
    snprintf(sub, sizeof(sub), "%s/conf.d", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file(sub, "10-a.conf", "a.test {\n  bind 127.0.0.1\n  file a.db\n}\n");
    write_file(sub, "20-b.conf", "b.test {\n  bind 127.0.0.1\n  file b.db\n}\n");
    write_file(dir, "common", "log\nerrors\n");
    write_file(dir, "Corefile", "import conf.d/*.conf\nc.test {\n  import common\n}\n");
    snprintf(main_path, sizeof(main_path), "%s/Corefile", dir);

    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_load_corefile(main_path, &err);
    if (root == NULL) {
        fail_msg("unexpected error: %s", err.msg);
    }
    char got[2048];
    size_t off = 0;
    dump(root, got, sizeof(got), &off);
    assert_string_equal(
        got, "{servers:[{zones:[a.test.],listen:[127.0.0.1:53]},{zones:[b.test.],listen:[127.0"
             ".0.1:53]},{zones:[c.test.],log:true,errors:true,listen:[:53]}],zones:[{origin:a."
             "test.,file:a.db},{origin:b.test.,file:b.db}]}");
    /* Nodes remember the file they came from (zone files resolve against it). */
    const cfg_node_t *zones = cfg_peek(root, "zones");
    char want[700];
    snprintf(want, sizeof(want), "%s/conf.d/20-b.conf", dir);
    assert_string_equal(zones->items[1]->file, want);
    assert_int_equal(zones->items[1]->line, 3);
    cfg_server_t s;
    assert_int_equal(cfg_server_read(root, &s, &err), 0);
    assert_int_equal(s.opts.nlisten, 2);
    cfg_server_free(&s);
    cfg_free(root);

    /* An error in an imported file names that file and line. */
    write_file(sub, "30-c.conf", "c.test {\n  bind 127.0.0.1\n  hosts /etc/hosts\n}\n");
    assert_null(cfg_load_corefile(main_path, &err));
    snprintf(want, sizeof(want), "%s/conf.d/30-c.conf:3: unknown directive 'hosts'", dir);
    assert_string_equal(err.msg, want);

    /* A missing file (no wildcard) is an error at the import line. */
    write_file(dir, "Corefile", "\n. {\n  import nothere\n}\n");
    assert_null(cfg_load_corefile(main_path, &err));
    snprintf(want, sizeof(want), "%s/Corefile:3: import: %s/nothere:0: cannot open: ", dir, dir);
    assert_memory_equal(err.msg, want, strlen(want));

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* CoreDNS forms of issue 11: reverse zones in CIDR notation (keys and
 * `file` zones), `bind` with an interface name and `except`, the accepted
 * blocks of ready, prometheus and errors. */
static void test_coredns_forms(void **state)
{
    expect_tree("10.0.0.0/8:5300 192.168.1.0/24:5300 fd00::/8:5300 {\n"
                "  bind 127.0.0.1\n"
                "  file db\n"
                "  file db2 2001:db8::/32\n"
                "}\n",
                "{servers:[{zones:[10.in-addr.arpa.,1.168.192.in-addr.arpa.,d.f.ip6.arpa.],listen"
                ":[127.0.0.1:5300]}],zones:[{origin:10.in-addr.arpa.,file:db},{origin:1.168.192.i"
                "n-addr.arpa.,file:db},{origin:d.f.ip6.arpa.,file:db},{origin:8.b.d.0.1.0.0.2.ip6"
                ".arpa.,file:db2}]}");
    expect_tree("example.com {\n  bind lo {\n    except ::1\n  }\n}\n",
                "{servers:[{zones:[example.com.],listen:[127.0.0.1:53]}]}");
    expect_tree("example.com {\n  bind 127.0.0.1\n  ready :8181 {\n    monitor until-ready\n"
                "  }\n  prometheus :9153 {\n    runtime_metrics\n  }\n"
                "  errors stdout {\n    stacktrace\n    consolidate 5m \".* timeout$\" warning "
                "show_first\n    consolidate 30s \"^other\"\n  }\n}\n",
                "{servers:[{zones:[example.com.],ready:{listen::8181},metrics:{listen::9153},erro"
                "rs:{consolidate:5m},listen:[127.0.0.1:53]}]}");
    /* log: names, stdout, formats, several class lines. */
    expect_tree("example.com {\n  bind 127.0.0.1\n  log example.com 10.0.0.0/8 stdout "
                "\"{remote} {name} {rcode}\" {\n    class denial\n    class error\n  }\n}\n",
                "{servers:[{zones:[example.com.],log:{names:[example.com.,10.in-addr.arpa.],forma"
                "t:{remote} {name} {rcode},class:[denial,error]},listen:[127.0.0.1:53]}]}");
    expect_tree("example.com {\n  bind 127.0.0.1\n  log . {combined}\n}\n",
                "{servers:[{zones:[example.com.],log:{format:{combined}},listen:[127.0.0.1:53]}]}");
    expect_tree("example.com {\n  bind 127.0.0.1\n  log stdout\n}\n",
                "{servers:[{zones:[example.com.],log:true,listen:[127.0.0.1:53]}]}");
    expect_error("example.com {\n  ready {\n    monitor sometimes\n  }\n}\n",
                 "t/Corefile:3: ready: monitor until-ready|continuously");
    expect_error("example.com {\n  errors {\n    consolidate 5m \"(\" warning\n  }\n}\n",
                 "t/Corefile:3: errors: consolidate: bad regular expression '('");
}

static void test_braceless(void **state)
{
    expect_tree("example.com:5301\nbind 127.0.0.1\nfile db\n",
                "{servers:[{zones:[example.com.],listen:[127.0.0.1:5301]}],zones:[{origin:example"
                ".com.,file:db}]}");
}

static void test_errors(void **state)
{
    expect_error(".:53 {\n  log\n  forward . 1.1.1.1\n}\n",
                 "t/Corefile:3: forward: not supported (vmdnsd is an authoritative server: it "
                 "neither recurses nor forwards, and names outside its zones are REFUSED; remove "
                 "it and leave other names to a resolver)");
    expect_error(". {\n  file \"db\n}\n", "t/Corefile:2: unterminated quoted string");
    expect_error(". {\n  log\n", "t/Corefile:1: the server block has no closing '}'");
    expect_error("# nothing\n", "t/Corefile:1: no server blocks (e.g. 'example.com { ... }')");
    expect_error(". {\n bind nosuch-if0\n}\n",
                 "t/Corefile:2: bind: 'nosuch-if0' is neither an IP address nor a network "
                 "interface with an address");
    expect_error(". {\n bind 127.0.0.1 {\n  except 127.0.0.1\n }\n}\n",
                 "t/Corefile:2: bind: no address left after except");
    expect_error(". {\n bind lo {\n  only 127.0.0.1\n }\n}\n",
                 "t/Corefile:3: bind: unknown option 'only' (only except)");
    expect_error("tls://example.com {\n  tls cert.pem key.pem\n}\n",
                 "t/Corefile:1: 'tls://example.com': tls:// server blocks (DNS over TLS) are "
                 "not supported: vmdnsd serves dns:// (UDP and TCP); put a proxy in front for "
                 "tls");
    expect_error("example.com {\n  tls cert.pem key.pem\n}\n",
                 "t/Corefile:2: tls: not supported (vmdnsd serves DNS over UDP and TCP only; put "
                 "a TLS proxy in front)");
    expect_error("example.com:99999 {\n}\n",
                 "t/Corefile:1: bad port in server block key 'example.com:99999'");
    expect_error("10.0.0.0/17 {\n}\n",
                 "t/Corefile:1: '10.0.0.0/17': an IPv4 prefix length must be 0, 8, 16, 24 or 32 "
                 "to name one reverse zone (list the in-addr.arpa zones it covers instead)");
    expect_error("a.test {\n prometheus :9153\n prometheus :9253\n}\n",
                 "t/Corefile:3: prometheus: given twice in this server block (first on "
                 "t/Corefile:2)");
    expect_error(". {\n health :8080 {\n  lameduck 1s\n  bogus 2\n }\n}\n",
                 "t/Corefile:4: health: unknown option 'bogus'");
    expect_error(". {\n ready :1 :2\n}\n", "t/Corefile:2: ready: too many arguments (at most 1)");
    expect_error(". {\n any {\n }\n}\n", "t/Corefile:2: any: takes no block");
    expect_error(". {\n log {\n  class a {\n  }\n }\n}\n",
                 "t/Corefile:3: log: nested blocks are not supported");
    expect_error(". {\n bind 127.0.0.1 {\n  except {\n  }\n }\n}\n",
                 "t/Corefile:3: bind: nested blocks are not supported");
    expect_error(". {\n file\n}\n",
                 "t/Corefile:2: file: give the zone file (file DBFILE [ZONES...])");
    expect_error(". {\n file db bad..name\n}\n", "t/Corefile:2: bad zone name 'bad..name'");
    expect_error(". {\n log\n}\n}\n", "t/Corefile:4: unexpected '}'");
    expect_error("a.test\nb.test {\n}\n", "t/Corefile:2: unknown directive 'b.test'");
    expect_error(". {\n  import\n}\n",
                 "t/Corefile:2: import: give a snippet name or a file pattern");
}

/* The tree is the same whether or not the host has IPv6, and reading it
 * opens no socket: which wildcards ":53" binds is the server's business,
 * when it starts. */
static void test_host_independent(void **state)
{
    const char *text = ".:5300 example.com {\n  file db\n  prometheus :9153\n}\n"
                       "b.test {\n  bind ::1 127.0.0.1\n  health\n}\n";
    const char *want =
        "{servers:[{zones:[.,example.com.],metrics:{listen::9153},listen:[:5300,:53]},{zo"
        "nes:[b.test.],health:{},listen:[[::1]:53,127.0.0.1:53]}],zones:[{origin:.,file:d"
        "b},{origin:example.com.,file:db}]}";
    sockets_made = 0;
    no_ipv6 = false;
    expect_tree(text, want);
    no_ipv6 = true;
    expect_tree(text, want);
    no_ipv6 = false;
    assert_int_equal(sockets_made, 0);
}

/* A plugin the build does not have, with a directive of its own (two
 * names) read by its own hook: what adding a plugin takes (the real `rrl`
 * plugin started as this demo; plugins/rrl is the grown-up form). */
static int demo_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    int seen = cf_once(ctx, d, err);
    if (seen != 0) {
        return seen < 0 ? -1 : 0;
    }
    if (cf_max_args(d, 1, err) != 0) {
        return -1;
    }
    cfg_node_t *m = cf_section(ctx, "throttle", d->name, CFG_MAP, err);
    if (m == NULL || (d->nargs == 1 && cf_put(m, "rate", &d->args[0], d->args[0].text, err))) {
        return -1;
    }
    cf_line_t l;
    for (size_t pos = 0; cf_next_line(d, &pos, &l);) {
        if (strcmp(l.opt->text, "slip") != 0 || l.nargs != 1) {
            return cf_fail(err, l.opt, "throttle: unknown option '%s'", l.opt->text);
        }
        if (cf_put(m, "slip", &l.args[0], l.args[0].text, err) != 0) {
            return -1;
        }
    }
    /* The hook sees the server block it is in. */
    const cf_token_t *at;
    cfg_node_t *zones = cf_put_node(m, "zones", d->name, CFG_SEQ, err);
    for (size_t i = 0; zones != NULL && i < cf_block_nzones(ctx); i++) {
        const char *zone = cf_block_zone(ctx, i, &at);
        if (cf_add(zones, at, zone, err) != 0) {
            return -1;
        }
    }
    return zones != NULL ? 0 : -1;
}

static const char *const demo_directives[] = {"throttle", "slowdown", NULL};
static const plugin_t test_plugin_demo = {
    .name = "throttle",
    .config_key = "throttle",
    .directives = demo_directives,
    .corefile = demo_corefile,
};
/* A plugin without a Corefile hook owns no directive, not even its name. */
static const plugin_t test_plugin_quiet = {.name = "quiet", .config_key = "quiet"};

static void test_plugin_hook(void **state)
{
    const plugin_t *const plugins[] = {&test_plugin_quiet, &test_plugin_demo};
    const char *text = "A.test b.test:5300 {\n"
                       "  bind 127.0.0.1\n"
                       "  slowdown 100 {\n"
                       "    slip 2\n"
                       "  }\n"
                       "}\n"
                       "c.test {\n"
                       "  bind 127.0.0.1\n"
                       "  throttle 100 {\n"
                       "    slip 2\n"
                       "  }\n"
                       "}\n";
    cfg_error_t err = {{0}};
    cfg_node_t *root = cfg_parse_corefile_with(text, strlen(text), "t/Corefile", plugins, 2, &err);
    if (root == NULL) {
        fail_msg("unexpected error: %s", err.msg);
    }
    char got[1024];
    size_t off = 0;
    dump(root, got, sizeof(got), &off);
    assert_string_equal(
        got, "{servers:[{zones:[a.test.,b.test.],throttle:{rate:100,slip:2,zones:[a.test.,b.te"
             "st.]},listen:[127.0.0.1:53,127.0.0.1:5300]},{zones:[c.test.],throttle:{rate:100,"
             "slip:2,zones:[c.test.]},listen:[127.0.0.1:53]}]}");
    /* Nodes carry the Corefile's positions. */
    const cfg_node_t *slip =
        cfg_peek(cfg_peek(cfg_peek(root, "servers")->items[0], "throttle"), "slip");
    assert_string_equal(slip->file, "t/Corefile");
    assert_int_equal(slip->line, 4);
    cfg_free(root);

    /* The hook's own errors, and cf_once in one server block (blocks
     * have options of their own). */
    const char *bad = ". {\n  throttle {\n    burst 3\n  }\n}\n";
    assert_null(cfg_parse_corefile_with(bad, strlen(bad), "t/Corefile", plugins, 2, &err));
    assert_string_equal(err.msg, "t/Corefile:3: throttle: unknown option 'burst'");
    const char *twice = "a.test {\n  throttle 1\n  slowdown 2\n}\n";
    assert_null(cfg_parse_corefile_with(twice, strlen(twice), "t/Corefile", plugins, 2, &err));
    assert_string_equal(err.msg, "t/Corefile:3: slowdown: given twice in this server block "
                                 "(first on t/Corefile:2)");
    const char *quiet = ". {\n  quiet\n}\n";
    assert_null(cfg_parse_corefile_with(quiet, strlen(quiet), "t/Corefile", plugins, 2, &err));
    assert_string_equal(err.msg, "t/Corefile:2: unknown directive 'quiet'");

    /* The compiled-in plugins do not know it: one folder and one line in
     * plugin.cfg is what makes a directive known. */
    expect_error(". {\n  throttle 100\n}\n", "t/Corefile:2: unknown directive 'throttle'");
    /* ... as plugins/rrl and its plugin.cfg line made `rrl` known, read by
     * its own hook (plugins/rrl/rrl_config.c). */
    expect_tree("a.test b.test {\n  rrl {\n    responses-per-second 5\n    report-only\n  }\n}\n",
                "{servers:[{zones:[a.test.,b.test.],rrl:{responses-per-second:5,report-only:true,"
                "zones:[a.test.,b.test.]},listen:[:53]}]}");
    expect_error(". {\n  rrl {\n    burst 3\n  }\n}\n",
                 "t/Corefile:3: rrl: unknown option 'burst'");
    /* The same `rrl` in two blocks limits both blocks' zones. */
    expect_tree("a.test {\n  rrl\n}\nb.test {\n  rrl\n}\n",
                "{servers:[{zones:[a.test.],rrl:{zones:[a.test.]},listen:[:53]},{zones:[b.test.],"
                "rrl:{zones:[b.test.]},listen:[:53]}]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_defaults_and_keys),
        cmocka_unit_test(test_redis),
        cmocka_unit_test(test_env_quotes_comments),
        cmocka_unit_test(test_snippets),
        cmocka_unit_test(test_import_files),
        cmocka_unit_test(test_coredns_forms),
        cmocka_unit_test(test_braceless),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_plugin_hook),
        cmocka_unit_test(test_host_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
