/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.c - vmssh.yaml, read with libyaml into a vmssh_config_t.
 *
 * The file is small and read once, so it is loaded as a libyaml document
 * and walked key by key. Every problem is reported as "FILE:LINE: problem"
 * (the line of the offending key or value), like vmdnsd's config errors;
 * an unknown key is an error, so a typo never silently means a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/duration.h"
#include "common/hostport.h"
#include "vmssh_int.h"

typedef struct cfg_reader {
    yaml_document_t doc;
    const char *file;
    vmssh_error_t *err;
} cfg_reader_t;

static int cfg_bad(cfg_reader_t *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfg_bad(cfg_reader_t *r, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vmssh_fail(r->err, VMSSH_ERR_CONFIG, "%s:%lu: %s", r->file,
                      n ? (unsigned long)n->start_mark.line + 1 : 0ul, msg);
}

/* The text of a scalar node, or NULL (and an error) if it is not one. */
static const char *scalar(cfg_reader_t *r, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_SCALAR_NODE) {
        cfg_bad(r, n, "%s: expected a single value", key);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static int copy_str(cfg_reader_t *r, const yaml_node_t *n, const char *key, char **out)
{
    const char *s = scalar(r, n, key);
    if (!s)
        return -1;
    free(*out);
    *out = strdup(s);
    return *out ? 0 : vmssh_fail(r->err, VMSSH_ERR_NOMEM, "out of memory");
}

static int uint_value(cfg_reader_t *r, const yaml_node_t *n, const char *key, unsigned long max,
                      unsigned long *out)
{
    const char *s = scalar(r, n, key);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v > max)
        return cfg_bad(r, n, "%s: '%s' is not a number from 0 to %lu", key, s, max);
    *out = v;
    return 0;
}

static int duration_s(cfg_reader_t *r, const yaml_node_t *n, const char *key, uint32_t *out)
{
    const char *s = scalar(r, n, key);
    if (!s)
        return -1;
    int64_t ms = vmdns_duration_ms(s);
    if (ms < 0 || ms % 1000 || ms / 1000 > UINT32_MAX)
        return cfg_bad(r, n, "%s: bad duration '%s' (e.g. 90s, 30m, 2h)", key, s);
    *out = (uint32_t)(ms / 1000);
    return 0;
}

/* A list of host:port strings: a sequence, or one scalar. */
static int addr_list(cfg_reader_t *r, const yaml_node_t *n, const char *key, char ***out,
                     size_t *count)
{
    size_t total;
    if (n->type == YAML_SCALAR_NODE) {
        total = 1;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        total = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    } else {
        return cfg_bad(r, n, "%s: expected a list of host:port", key);
    }
    if (total == 0)
        return cfg_bad(r, n, "%s: empty list", key);
    char **v = calloc(total, sizeof(*v));
    if (!v)
        return vmssh_fail(r->err, VMSSH_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < *count; i++)
        free((*out)[i]);
    free(*out);
    *out = v;
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        const yaml_node_t *item = n;
        if (n->type == YAML_SEQUENCE_NODE)
            item = yaml_document_get_node(&r->doc, n->data.sequence.items.start[i]);
        const char *s = scalar(r, item, key);
        if (!s)
            return -1;
        vmdns_hostport_t hp;
        char why[300];
        if (vmdns_hostport_parse(s, VMDNS_HP_UNIX, 6379, &hp, why, sizeof(why)) < 0)
            return cfg_bad(r, item, "%s: %s", key, why);
        if (!(v[(*count)++] = strdup(s)))
            return vmssh_fail(r->err, VMSSH_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Walk a mapping: for each pair call fn(r, keynode, key, value, ud). */
typedef int (*pair_fn)(cfg_reader_t *r, const yaml_node_t *k, const char *key, const yaml_node_t *v,
                       void *ud);

static int each_pair(cfg_reader_t *r, const yaml_node_t *map, const char *what, pair_fn fn,
                     void *ud)
{
    if (map->type != YAML_MAPPING_NODE)
        return cfg_bad(r, map, "%s: expected a mapping of keys", what);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(&r->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(&r->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return cfg_bad(r, k, "%s: keys must be plain words", what);
        if (fn(r, k, (const char *)k->data.scalar.value, v, ud) < 0)
            return -1;
    }
    return 0;
}

static int sentinel_pair(cfg_reader_t *r, const yaml_node_t *k, const char *key,
                         const yaml_node_t *v, void *ud)
{
    vmssh_dns_config_t *d = ud;
    if (strcmp(key, "addresses") == 0)
        return addr_list(r, v, "sentinel.addresses", &d->sentinels, &d->n_sentinels);
    if (strcmp(key, "master") == 0)
        return copy_str(r, v, "sentinel.master", &d->master);
    if (strcmp(key, "password") == 0)
        return copy_str(r, v, "sentinel.password", &d->sentinel_password);
    return cfg_bad(r, k, "dns.sentinel: unknown key '%s' (addresses, master, password)", key);
}

static int dns_pair(cfg_reader_t *r, const yaml_node_t *k, const char *key, const yaml_node_t *v,
                    void *ud)
{
    vmssh_dns_config_t *d = ud;
    unsigned long n;
    if (strcmp(key, "redis") == 0)
        return addr_list(r, v, "dns.redis", &d->nodes, &d->n_nodes);
    if (strcmp(key, "sentinel") == 0) {
        if (each_pair(r, v, "dns.sentinel", sentinel_pair, d) < 0)
            return -1;
        if (!d->n_sentinels || !d->master)
            return cfg_bad(r, k, "dns.sentinel needs addresses and master");
        return 0;
    }
    if (strcmp(key, "username") == 0)
        return copy_str(r, v, "dns.username", &d->username);
    if (strcmp(key, "password") == 0)
        return copy_str(r, v, "dns.password", &d->password);
    if (strcmp(key, "prefix") == 0)
        return copy_str(r, v, "dns.prefix", &d->prefix);
    if (strcmp(key, "suffix") == 0)
        return copy_str(r, v, "dns.suffix", &d->suffix);
    if (strcmp(key, "db") == 0) {
        if (uint_value(r, v, "dns.db", 65535, &n) < 0)
            return -1;
        d->db = (int)n;
        return 0;
    }
    if (strcmp(key, "ttl") == 0) {
        if (uint_value(r, v, "dns.ttl", 86400, &n) < 0)
            return -1;
        d->ttl = (uint32_t)n;
        return 0;
    }
    if (strcmp(key, "lease") == 0)
        return duration_s(r, v, "dns.lease", &d->lease_s);
    if (strcmp(key, "timeout") == 0) {
        uint32_t s;
        if (duration_s(r, v, "dns.timeout", &s) < 0)
            return -1;
        if (s == 0 || s > 3600)
            return cfg_bad(r, v, "dns.timeout: from 1s to 1h");
        d->timeout_ms = s * 1000;
        return 0;
    }
    if (strcmp(key, "wait_visible") == 0)
        return addr_list(r, v, "dns.wait_visible", &d->wait_visible, &d->n_wait_visible);
    if (strcmp(key, "min_replicas") == 0) {
        const char *s = scalar(r, v, "dns.min_replicas");
        if (!s)
            return -1;
        d->min_replicas_set = true;
        if (strcmp(s, "auto") == 0) {
            d->min_replicas = VMDNS_MIN_REPLICAS_AUTO;
            return 0;
        }
        if (uint_value(r, v, "dns.min_replicas (or auto)", 64, &n) < 0)
            return -1;
        d->min_replicas = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "min_replicas_timeout") == 0) {
        const char *s = scalar(r, v, "dns.min_replicas_timeout");
        int64_t ms = s ? vmdns_duration_ms(s) : -1;
        if (!s)
            return -1;
        if (ms <= 0 || ms > 60000)
            return cfg_bad(
                r, v, "dns.min_replicas_timeout: bad duration '%s' (1ms to 1m, e.g. 100ms)", s);
        d->min_replicas_timeout_ms = (uint32_t)ms;
        return 0;
    }
    return cfg_bad(r, k,
                   "dns: unknown key '%s' (redis, sentinel, username, password, db, prefix, "
                   "suffix, ttl, lease, timeout, wait_visible, min_replicas, "
                   "min_replicas_timeout)",
                   key);
}

/* Keys seen at the top, for "required" messages. */
/* A duration in milliseconds (grace:). */
static int duration_ms(cfg_reader_t *r, const yaml_node_t *n, const char *key, int64_t min,
                       int64_t *out)
{
    const char *s = scalar(r, n, key);
    if (!s)
        return -1;
    int64_t ms = vmdns_duration_ms(s);
    if (ms < min)
        return cfg_bad(r, n, "%s: bad duration '%s' (e.g. 10s, 4m50s)", key, s);
    *out = ms;
    return 0;
}

static int grace_pair(cfg_reader_t *r, const yaml_node_t *k, const char *key, const yaml_node_t *v,
                      void *ud)
{
    vmssh_config_t *c = ud;
    if (strcmp(key, "max") == 0)
        return duration_ms(r, v, "grace.max", 0, &c->grace_max_ms);
    if (strcmp(key, "interval") == 0)
        return duration_ms(r, v, "grace.interval", 1, &c->grace_interval_ms);
    return cfg_bad(r, k, "grace: unknown key '%s' (max, interval)", key);
}

/* ---- github: (issue 10, keys part) ---- */
static int github_pair(cfg_reader_t *r, const yaml_node_t *k, const char *key, const yaml_node_t *v,
                       void *ud)
{
    vmssh_github_config_t *g = ud;
    const char *s;
    if (strcmp(key, "api_url") == 0) {
        if (!(s = scalar(r, v, "github.api_url")))
            return -1;
        if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
            return cfg_bad(r, v, "github.api_url: '%s' is not an http(s):// URL", s);
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p <= ' ' || *p == 0x7f)
                return cfg_bad(r, v, "github.api_url: blanks or control characters in '%s'", s);
        }
        if (copy_str(r, v, "github.api_url", &g->api_url) < 0)
            return -1;
        size_t n = strlen(g->api_url);
        while (n > 8 && g->api_url[n - 1] == '/')
            g->api_url[--n] = '\0';
        return 0;
    }
    if (strcmp(key, "token_file") == 0)
        return copy_str(r, v, "github.token_file", &g->token_file);
    if (strcmp(key, "cache_dir") == 0)
        return copy_str(r, v, "github.cache_dir", &g->cache_dir);
    if (strcmp(key, "ca_file") == 0)
        return copy_str(r, v, "github.ca_file", &g->ca_file);
    if (strcmp(key, "options") == 0) {
        if (!(s = scalar(r, v, "github.options")))
            return -1;
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p < ' ' || *p == 0x7f)
                return cfg_bad(r, v, "github.options: control characters");
        }
        if (strchr(s, ' ') && !strchr(s, '"'))
            return cfg_bad(r, v, "github.options: blanks outside quotes in '%s'", s);
        return copy_str(r, v, "github.options", &g->options);
    }
    if (strcmp(key, "timeout") == 0) {
        int64_t ms;
        if (duration_ms(r, v, "github.timeout", 1, &ms) < 0)
            return -1;
        if (ms > 600000)
            return cfg_bad(r, v, "github.timeout: at most 10m");
        g->timeout_ms = (uint32_t)ms;
        return 0;
    }
    if (strcmp(key, "retries") == 0) {
        unsigned long n;
        if (uint_value(r, v, "github.retries", 10, &n) < 0)
            return -1;
        g->retries = (uint32_t)n;
        return 0;
    }
    if (strcmp(key, "max_stale") == 0)
        return duration_s(r, v, "github.max_stale", &g->max_stale_s);
    return cfg_bad(r, k,
                   "github: unknown key '%s' (api_url, token_file, timeout, retries, cache_dir, "
                   "ca_file, max_stale, options)",
                   key);
}
/* ---- end of github: ---- */

typedef struct top_seen {
    vmssh_config_t *c;
    bool iface, range, ipv4;
} top_seen_t;

static int top_pair(cfg_reader_t *r, const yaml_node_t *k, const char *key, const yaml_node_t *v,
                    void *ud)
{
    top_seen_t *t = ud;
    vmssh_config_t *c = t->c;
    const char *s;
    unsigned long n;
    if (strcmp(key, "backend") == 0) {
        if (!(s = scalar(r, v, key)))
            return -1;
        if (strcmp(s, "nft") == 0)
            c->backend = VMSSH_BACKEND_NFT;
        else if (strcmp(s, "iptables") == 0)
            c->backend = VMSSH_BACKEND_IPTABLES;
        else
            return cfg_bad(r, v, "backend: '%s' is neither nft nor iptables", s);
        return 0;
    }
    if (strcmp(key, "external_interface") == 0) {
        if (!(s = scalar(r, v, key)))
            return -1;
        if (!vmssh_valid_ifname(s))
            return cfg_bad(r, v, "external_interface: '%s' is not an interface name", s);
        strcpy(c->external_interface, s);
        t->iface = true;
        return 0;
    }
    if (strcmp(key, "port_range") == 0) {
        if (!(s = scalar(r, v, key)))
            return -1;
        if (vmssh_parse_range(s, &c->port_lo, &c->port_hi) < 0)
            return cfg_bad(r, v, "port_range: '%s' is not LOW-HIGH with 1 <= LOW <= HIGH <= 65535",
                           s);
        t->range = true;
        return 0;
    }
    if (strcmp(key, "vm_ssh_port") == 0) {
        if (uint_value(r, v, key, 65535, &n) < 0)
            return -1;
        if (n == 0)
            return cfg_bad(r, v, "vm_ssh_port: 0 is not a port");
        c->vm_ssh_port = (uint16_t)n;
        return 0;
    }
    if (strcmp(key, "public_ipv4") == 0) {
        if (!(s = scalar(r, v, key)))
            return -1;
        if (!vmssh_valid_ipv4(s))
            return cfg_bad(r, v, "public_ipv4: '%s' is not an IPv4 address", s);
        strcpy(c->public_ipv4, s);
        t->ipv4 = true;
        return 0;
    }
    if (strcmp(key, "public_ipv6") == 0) {
        struct in6_addr a6;
        if (!(s = scalar(r, v, key)))
            return -1;
        if (strlen(s) >= sizeof(c->public_ipv6) || inet_pton(AF_INET6, s, &a6) != 1)
            return cfg_bad(r, v, "public_ipv6: '%s' is not an IPv6 address", s);
        strcpy(c->public_ipv6, s);
        return 0;
    }
    if (strcmp(key, "state_dir") == 0) {
        if (copy_str(r, v, key, &c->state_dir) < 0)
            return -1;
        if (c->state_dir[0] != '/')
            return cfg_bad(r, v, "state_dir: '%s' is not an absolute path", c->state_dir);
        return 0;
    }
    if (strcmp(key, "nft") == 0)
        return copy_str(r, v, key, &c->nft_path);
    if (strcmp(key, "iptables") == 0)
        return copy_str(r, v, key, &c->iptables_path);
    if (strcmp(key, "iptables_save") == 0)
        return copy_str(r, v, key, &c->iptables_save_path);
    if (strcmp(key, "dns") == 0) {
        if (each_pair(r, v, "dns", dns_pair, &c->dns) < 0)
            return -1;
        if (c->dns.n_nodes && c->dns.n_sentinels)
            return cfg_bad(r, k, "dns: give redis or sentinel, not both");
        c->dns.enabled = c->dns.n_nodes || c->dns.n_sentinels;
        return 0;
    }
    if (strcmp(key, "grace") == 0)
        return each_pair(r, v, "grace", grace_pair, c);
    if (strcmp(key, "github") == 0) /* issue 10, keys part */
        return each_pair(r, v, "github", github_pair, &c->github);
    return cfg_bad(r, k,
                   "unknown key '%s' (backend, external_interface, port_range, vm_ssh_port, "
                   "public_ipv4, public_ipv6, state_dir, nft, iptables, iptables_save, dns, "
                   "grace, github)",
                   key);
}

static int set_default_str(char **p, const char *s, vmssh_error_t *err)
{
    if (!*p && !(*p = strdup(s)))
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    return 0;
}

int vmssh_config_parse(const char *text, size_t len, const char *name, vmssh_config_t *c,
                       vmssh_error_t *err)
{
    memset(c, 0, sizeof(*c));
    c->backend = VMSSH_BACKEND_NFT;
    c->vm_ssh_port = 22;
    c->dns.ttl = 30;
    c->grace_max_ms = VMSSH_GRACE_MAX_MS;
    c->grace_interval_ms = VMSSH_GRACE_INTERVAL_MS;
    c->github.timeout_ms = 5000; /* github: defaults (keys) */
    c->github.retries = 2;
    c->github.max_stale_s = 3600;
    cfg_reader_t r = {.file = name, .err = err};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &r.doc)) {
        vmssh_fail(err, VMSSH_ERR_CONFIG, "%s:%lu: %s", name,
                   (unsigned long)p.problem_mark.line + 1,
                   p.problem ? p.problem : "YAML syntax error");
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    int rc = -1;
    const yaml_node_t *root = yaml_document_get_root_node(&r.doc);
    top_seen_t seen = {.c = c};
    if (!root) {
        vmssh_fail(err, VMSSH_ERR_CONFIG,
                   "%s:1: empty file (needs external_interface, "
                   "port_range, public_ipv4)",
                   name);
        goto out;
    }
    if (each_pair(&r, root, "top level", top_pair, &seen) < 0)
        goto out;
    if (!seen.iface || !seen.range || !seen.ipv4) {
        cfg_bad(&r, root, "missing %s",
                !seen.iface   ? "external_interface"
                : !seen.range ? "port_range"
                              : "public_ipv4");
        goto out;
    }
    if (set_default_str(&c->state_dir, "/run/vmssh", err) < 0 ||
        set_default_str(&c->nft_path, "nft", err) < 0 ||
        set_default_str(&c->iptables_path, "iptables", err) < 0 ||
        set_default_str(&c->iptables_save_path, "iptables-save", err) < 0 ||
        set_default_str(&c->github.api_url, "https://api.github.com", err) < 0)
        goto out;
    rc = 0;
out:
    yaml_document_delete(&r.doc);
    if (rc < 0)
        vmssh_config_free(c);
    return rc;
}

int vmssh_config_load(const char *path, vmssh_config_t *c, vmssh_error_t *err)
{
    if (!path)
        path = VMSSH_DEFAULT_CONFIG;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vmssh_fail(err, VMSSH_ERR_CONFIG, "%s:0: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            if (cap >= (1u << 20)) {
                free(buf);
                fclose(f);
                return vmssh_fail(err, VMSSH_ERR_CONFIG, "%s:0: larger than 1 MiB", path);
            }
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return vmssh_fail(err, VMSSH_ERR_CONFIG, "%s:0: cannot read", path);
    }
    int rc = vmssh_config_parse(buf, len, path, c, err);
    free(buf);
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void vmssh_config_free(vmssh_config_t *c)
{
    vmssh_dns_config_t *d = &c->dns;
    free_list(d->nodes, d->n_nodes);
    free_list(d->sentinels, d->n_sentinels);
    free_list(d->wait_visible, d->n_wait_visible);
    free(d->master);
    free(d->sentinel_password);
    free(d->username);
    free(d->password);
    free(d->prefix);
    free(d->suffix);
    free(c->state_dir);
    free(c->nft_path);
    free(c->iptables_path);
    free(c->iptables_save_path);
    free(c->github.api_url); /* github: (keys) */
    free(c->github.token_file);
    free(c->github.cache_dir);
    free(c->github.ca_file);
    free(c->github.options);
    memset(c, 0, sizeof(*c));
}
