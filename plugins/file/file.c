/*
 * file.c - the `file` plugin: serve RFC 1035 zone files.
 *
 *   zones:
 *     - origin: example.com.
 *       file: example.com.zone   # relative to the config file's directory
 *
 *   Corefile: file DBFILE [ZONES...]    one entry per zone; ZONES default to
 *                                       the server block's zones
 *
 * A pure data source: at setup it loads every listed zone file into the
 * view and then has no per-query hook, so it costs nothing while serving.
 * All files are read and checked before any zone is published, so a broken
 * file stops startup without leaving half a configuration in the view.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/corefile_plugin.h"
#include "core/log.h"
#include "core/plugin.h"
#include "dns/name.h"
#include "file/zonefile.h"

/* One configured zone while loading. */
typedef struct file_zone {
    uint8_t origin[NAME_MAX_WIRE];
    size_t origin_len;
    char path[4096];
    const cfg_node_t *at; /* its config entry, for messages */
    view_zone_t *zone;
    zone_file_stats_t stats;
} file_zone_t;

/* Resolve `file` against the directory of the config file it came from. */
static int file_resolve(const cfg_node_t *at, const char *file, char *out, size_t cap,
                        cfg_error_t *err)
{
    int n;
    if (file[0] == '/' || at->file == NULL || strchr(at->file, '/') == NULL) {
        n = snprintf(out, cap, "%s", file);
    } else {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", at->file);
        n = snprintf(out, cap, "%s/%s", dirname(dir), file);
    }
    if (n < 0 || (size_t)n >= cap) {
        return cfg_fail(err, at, "zone file path too long");
    }
    return 0;
}

/* Read one `- origin: ..., file: ...` entry. */
static int file_read_entry(cfg_node_t *item, file_zone_t *fz, cfg_error_t *err)
{
    if (item->kind != CFG_MAP) {
        return cfg_fail(err, item, "zones: each entry needs 'origin' and 'file'");
    }
    cfg_node_t *origin = cfg_get(item, "origin");
    cfg_node_t *file = cfg_get(item, "file");
    const char *origin_text, *file_text;
    if (origin == NULL) {
        return cfg_fail(err, item, "zones: entry without 'origin'");
    }
    if (file == NULL) {
        return cfg_fail(err, item, "zones: entry without 'file'");
    }
    if (cfg_string(origin, &origin_text, err) != 0 || cfg_string(file, &file_text, err) != 0) {
        return -1;
    }
    fz->origin_len = name_from_text(origin_text, fz->origin);
    if (fz->origin_len == 0) {
        return cfg_fail(err, origin, "bad zone origin '%s'", origin_text);
    }
    fz->at = file;
    return file_resolve(file, file_text, fz->path, sizeof(fz->path), err);
}

/* Load one zone file (not published yet). */
static int file_load(file_zone_t *fz, cfg_error_t *err)
{
    FILE *fp = fopen(fz->path, "r");
    if (fp == NULL) {
        return cfg_fail(err, fz->at, "cannot open zone file '%s': %s", fz->path, strerror(errno));
    }
    fz->zone = zone_file_read(fp, fz->path, fz->origin, fz->origin_len, &fz->stats, err);
    fclose(fp);
    return fz->zone != NULL ? 0 : -1;
}

/* What is kept after setup: one line per zone for the startup log. */
typedef struct file_loaded {
    char name[NAME_MAX_WIRE * 4 + 2];
    char path[4096];
    zone_file_stats_t stats;
} file_loaded_t;

typedef struct file_state {
    size_t n;
    file_loaded_t *zones;
} file_state_t;

static int file_setup(const plugin_env_t *env, cfg_node_t *cfg, void **state, cfg_error_t *err)
{
    *state = NULL;
    if (cfg->kind != CFG_SEQ) {
        return cfg_fail(err, cfg, "zones: expected a list of {origin, file}");
    }
    file_zone_t *zones = calloc(cfg->n > 0 ? cfg->n : 1, sizeof(*zones));
    file_state_t *st = calloc(1, sizeof(*st));
    if (zones == NULL || st == NULL ||
        (st->zones = calloc(cfg->n > 0 ? cfg->n : 1, sizeof(*st->zones))) == NULL) {
        free(zones);
        free(st);
        return cfg_fail(err, cfg, "out of memory");
    }
    int rc = 0;
    size_t loaded = 0;
    for (size_t i = 0; i < cfg->n && rc == 0; i++) {
        file_zone_t *fz = &zones[i];
        rc = file_read_entry(cfg->items[i], fz, err);
        for (size_t j = 0; j < i && rc == 0; j++) {
            if (zones[j].origin_len == fz->origin_len &&
                memcmp(zones[j].origin, fz->origin, fz->origin_len) == 0) {
                rc = cfg_fail(err, cfg->items[i], "zone listed twice (also on line %d)",
                              cfg->items[j]->line);
            }
        }
        if (rc == 0) {
            rc = file_load(fz, err);
            loaded += rc == 0;
        }
    }
    /* Publish only when every file loaded. */
    for (size_t i = 0; i < loaded; i++) {
        file_zone_t *fz = &zones[i];
        if (rc != 0) {
            view_zone_free(fz->zone);
            continue;
        }
        file_loaded_t *done = &st->zones[st->n++];
        if (name_to_text(fz->origin, fz->origin_len, done->name, sizeof(done->name)) == 0) {
            snprintf(done->name, sizeof(done->name), "?");
        }
        memcpy(done->path, fz->path, sizeof(done->path));
        done->stats = fz->stats;
        view_publish_zone(env->view, fz->zone);
    }
    free(zones);
    if (rc != 0) {
        free(st->zones);
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

/* Say what is served, once the server runs (not in --check-config, whose
 * output is only the verdict). */
static int file_start(void *state)
{
    const file_state_t *st = state;
    for (size_t i = 0; i < st->n; i++) {
        const file_loaded_t *z = &st->zones[i];
        log_info("file: zone %s from %s: %zu records, %zu names, serial %u", z->name, z->path,
                 z->stats.records, z->stats.names, z->stats.serial);
    }
    return 0;
}

/* The zones stay in the view, which owns them; only the summary goes. */
static void file_teardown(void *state)
{
    file_state_t *st = state;
    if (st != NULL) {
        free(st->zones);
        free(st);
    }
}

/* file DBFILE [ZONES...]: one `zones` entry per zone (default: the
 * block's zones). The file is resolved at setup relative to the directory
 * of the Corefile that names it (file_resolve). */
static int file_corefile(cf_plugin_ctx_t *ctx, const cf_directive_t *d, cfg_error_t *err)
{
    if (d->block) {
        return cf_fail(err, d->name, "file: options in a block are not supported");
    }
    if (d->nargs == 0) {
        return cf_fail(err, d->name, "file: give the zone file (file DBFILE [ZONES...])");
    }
    cfg_node_t *zones = cf_section(ctx, "zones", d->name, CFG_SEQ, err);
    if (zones == NULL) {
        return -1;
    }
    size_t nzones = d->nargs > 1 ? d->nargs - 1 : cf_block_nzones(ctx);
    for (size_t i = 0; i < nzones; i++) {
        char zone[CF_ZONE_TEXT];
        const cf_token_t *at = d->nargs > 1 ? &d->args[1 + i] : d->name;
        if (d->nargs > 1) {
            if (cf_zone_name(at, at->text, zone, err) != 0) {
                return -1;
            }
        } else {
            snprintf(zone, sizeof(zone), "%s", cf_block_zone(ctx, i, NULL));
        }
        cfg_node_t *entry = cf_add_node(zones, at, CFG_MAP, err);
        if (entry == NULL || cf_put(entry, "origin", at, zone, err) != 0 ||
            cf_put(entry, "file", &d->args[0], d->args[0].text, err) != 0) {
            return -1;
        }
    }
    return 0;
}

const plugin_t plugin_file = {
    .name = "file",
    .config_key = "zones",
    .setup = file_setup,
    .corefile = file_corefile,
    .start = file_start,
    .teardown = file_teardown,
};
