/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain_block.c - a server block's zones and listeners, and name matching
 * against them (see chain_block.h for the rules).
 */
#include "core/chain_block.h"

#include <stdlib.h>
#include <string.h>

/* Add one zone named by n. */
static int scope_add(chain_scope_t *scope, const cfg_node_t *n, cfg_error_t *err)
{
    const char *text;
    if (cfg_string(n, &text, err) != 0) {
        return -1;
    }
    chain_zone_t z = {0};
    size_t len = text[0] != '\0' ? name_from_text(text, z.wire) : 0;
    char buf[NAME_MAX_WIRE * 4 + 2];
    if (len == 0 || name_to_text(z.wire, len, buf, sizeof(buf)) == 0) {
        return cfg_fail(err, n, "zones: bad zone name '%s'", text);
    }
    name_lower(z.wire, len);
    z.len = (uint8_t)len;
    z.labels = (uint8_t)name_label_count(z.wire, len);
    for (size_t i = 0; i < scope->nzones; i++) {
        if (scope->zones[i].len == z.len && memcmp(scope->zones[i].wire, z.wire, z.len) == 0) {
            return 0; /* given twice (two ports of one block) */
        }
    }
    chain_zone_t *grown = realloc(scope->zones, (scope->nzones + 1) * sizeof(*grown));
    if (grown == NULL || (z.text = strdup(buf)) == NULL) {
        if (grown != NULL) {
            scope->zones = grown;
        }
        return cfg_fail(err, n, "out of memory");
    }
    scope->zones = grown;
    scope->zones[scope->nzones++] = z;
    return 0;
}

int chain_scope_zones(chain_scope_t *scope, cfg_node_t *zones, const cfg_node_t *at,
                      cfg_error_t *err)
{
    if (zones == NULL) {
        cfg_node_t root = {.kind = CFG_SCALAR,
                           .file = at != NULL ? at->file : "",
                           .line = at != NULL ? at->line : 0,
                           .value = "."};
        return scope_add(scope, &root, err);
    }
    if (zones->kind == CFG_MAP) {
        return cfg_fail(err, zones, "zones: expected a zone name or a list of them");
    }
    if (zones->kind == CFG_SCALAR) {
        return scope_add(scope, zones, err);
    }
    if (zones->n == 0) {
        return cfg_fail(err, zones, "zones: the list is empty");
    }
    for (size_t i = 0; i < zones->n; i++) {
        if (scope_add(scope, zones->items[i], err) != 0) {
            return -1;
        }
    }
    return 0;
}

void chain_scope_free(chain_scope_t *scope)
{
    for (size_t i = 0; i < scope->nzones; i++) {
        free(scope->zones[i].text);
    }
    free(scope->zones);
    free(scope->listen);
    memset(scope, 0, sizeof(*scope));
}

bool chain_scope_on(const chain_scope_t *scope, unsigned l)
{
    if (scope->every_listener) {
        return true;
    }
    for (size_t i = 0; i < scope->nlisten; i++) {
        if (scope->listen[i] == l) {
            return true;
        }
    }
    return false;
}

int chain_scope_match(const chain_scope_t *scope, const wire_query_t *q, size_t *zone)
{
    int best = -1;
    for (size_t i = 0; i < scope->nzones; i++) {
        const chain_zone_t *z = &scope->zones[i];
        if ((int)z->labels <= best || z->labels > q->qname_labels) {
            continue;
        }
        if (z->labels > 0) {
            size_t off = q->label_off[q->qname_labels - z->labels];
            if ((size_t)q->qname_len - off != z->len ||
                memcmp(q->qname + off, z->wire, z->len) != 0) {
                continue;
            }
        }
        best = z->labels;
        *zone = i;
    }
    return best;
}
