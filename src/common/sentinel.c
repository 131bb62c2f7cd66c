/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/sentinel.c - parsing Sentinel replies, choosing the nodes to try
 * and the discovery round both clients drive (see sentinel.h).
 */
#include "common/sentinel.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address from sentinel text: an IP (or name) and a decimal port. */
static int set_addr(const char *host, const char *port, vmdns_hostport_t *out)
{
    char *end;
    unsigned long p;
    if (host[0] == '\0' || strlen(host) >= sizeof(out->host) || port[0] < '0' || port[0] > '9')
        return -1;
    p = strtoul(port, &end, 10);
    if (*end != '\0' || p == 0 || p > 65535)
        return -1;
    memset(out, 0, sizeof(*out));
    memcpy(out->host, host, strlen(host) + 1);
    out->port = (uint16_t)p;
    return 0;
}

int vmdns_sentinel_parse_master(const redisReply *r, vmdns_hostport_t *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return -1;
    return set_addr(r->element[0]->str, r->element[1]->str, out);
}

/* The string value of key in a flat key/value array, or NULL. */
static const char *field(const redisReply *r, const char *key)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            strcmp(k->str, key) == 0)
            return v->str;
    }
    return NULL;
}

int vmdns_sentinel_parse_replica(const redisReply *r, vmdns_hostport_t *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    const char *ip = field(r, "ip"), *port = field(r, "port"), *flags = field(r, "flags");
    if (ip == NULL || port == NULL)
        return -1;
    if (flags != NULL &&
        (strstr(flags, "s_down") || strstr(flags, "o_down") || strstr(flags, "disconnected")))
        return -1;
    return set_addr(ip, port, out);
}

int vmdns_sentinel_parse_switch(const char *msg, const char *master, vmdns_hostport_t *out)
{
    char name[256], old_ip[256], new_ip[256], old_port[16], new_port[16], extra;
    if (sscanf(msg, "%255s %255s %15s %255s %15s %c", name, old_ip, old_port, new_ip, new_port,
               &extra) != 5 ||
        strcmp(name, master) != 0)
        return -1;
    return set_addr(new_ip, new_port, out);
}

static bool same(const vmdns_hostport_t *a, const vmdns_hostport_t *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

size_t vmdns_sentinel_nodes(const vmdns_hostport_t *master, const vmdns_hostport_t *replicas,
                            size_t n_replicas, vmdns_hostport_t *out, size_t cap)
{
    size_t n = 0;
    if (master != NULL && n < cap)
        out[n++] = *master;
    for (size_t i = 0; i < n_replicas && n < cap; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = same(&out[j], &replicas[i]);
        if (!dup)
            out[n++] = replicas[i];
    }
    return n;
}

void vmdns_sentinel_round_start(vmdns_sentinel_round_t *r, const vmdns_hostport_t *sentinels,
                                size_t n, bool want_replicas)
{
    memset(r, 0, sizeof(*r));
    r->sentinels = sentinels;
    r->n_sentinels = n;
    r->want_replicas = want_replicas;
    snprintf(r->why, sizeof(r->why), "no sentinel answered");
}

const vmdns_hostport_t *vmdns_sentinel_round_next(vmdns_sentinel_round_t *r)
{
    r->answers = 0;
    r->have_master = false;
    r->n_replicas = 0;
    r->cur = r->next < r->n_sentinels ? &r->sentinels[r->next++] : NULL;
    return r->cur;
}

void vmdns_sentinel_round_fail(vmdns_sentinel_round_t *r, const char *why)
{
    char as[300];
    if (r->cur != NULL) /* the address is short; a long reason is cut */
        snprintf(r->why, sizeof(r->why), "sentinel %.100s: %.180s",
                 vmdns_hostport_str(r->cur, as, sizeof(as)), why);
    r->have_master = false;
    r->n_replicas = 0;
}

/* One more answer in: done, waiting, or skip this sentinel. */
static int answered(vmdns_sentinel_round_t *r)
{
    if (++r->answers < (r->want_replicas ? 2 : 1))
        return 0;
    if (!r->have_master && r->n_replicas == 0) {
        vmdns_sentinel_round_fail(r, "knows no node of this master");
        return -1;
    }
    return 1;
}

int vmdns_sentinel_round_master(vmdns_sentinel_round_t *r, const redisReply *rep)
{
    if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
        vmdns_sentinel_round_fail(r, rep ? rep->str : "no reply");
        return -1;
    }
    r->have_master = vmdns_sentinel_parse_master(rep, &r->master) == 0; /* nil: unknown */
    return answered(r);
}

int vmdns_sentinel_round_replicas(vmdns_sentinel_round_t *r, const redisReply *rep)
{
    if (rep != NULL && rep->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < rep->elements && r->n_replicas < VMDNS_SENTINEL_MAX_NODES; i++)
            if (vmdns_sentinel_parse_replica(rep->element[i], &r->replicas[r->n_replicas]) == 0)
                r->n_replicas++;
    return answered(r);
}

size_t vmdns_sentinel_round_nodes(const vmdns_sentinel_round_t *r, vmdns_hostport_t *out,
                                  size_t cap)
{
    return vmdns_sentinel_nodes(r->have_master ? &r->master : NULL, r->replicas, r->n_replicas, out,
                                cap);
}
