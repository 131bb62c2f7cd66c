/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * file_watch.c - check zone files for changes on the control thread and
 * ask main for a reload (CoreDNS's `file DB { reload 1m }`).
 *
 * A stat(2) per file per interval: the control thread never reads a whole
 * zone. When a file's size, modification time or inode differ from what
 * was seen last, its SOA serial is read from its first records
 * (zone_file_peek_serial) and, as CoreDNS does, only a serial greater
 * than the one served starts a reload (one that is not is logged once
 * and left until the next change, SIGHUP or SIGUSR1; a file whose SOA
 * cannot be found there is reloaded, and the reload says what is wrong
 * with it). The reload is the one SIGHUP starts: main reads the config
 * again, the new `file` instance reads only the changed files on its
 * loader thread and swaps them in when they parse (a broken file fails
 * that reload and the running zone stays).
 */
#include "file/file_watch.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/rcu.h"
#include "dns/name.h"
#include "file/zonefile.h"

typedef struct file_watched {
    uint8_t origin[NAME_MAX_WIRE];
    size_t origin_len;
    char zone[256];
    char *path;
    off_t size;
    struct timespec mtime;
    ino_t ino;
} file_watched_t;

struct file_watch {
    struct event *timer;
    plugin_shared_t *shared;
    const view_t *view;
    uint64_t interval_ms; /* the shortest asked for */
    size_t n;
    file_watched_t *files;
    bool asked; /* a reload was asked for: the next configuration takes over */
};

/* The serial the view answers for f's zone (false: not served). */
static bool file_watch_served(const file_watch_t *w, const file_watched_t *f, uint32_t *serial)
{
    uint8_t offs[NAME_MAX_LABELS];
    unsigned labels = name_label_offsets(f->origin, f->origin_len, offs);
    bool found = false;
    rcu_read_lock();
    const view_zone_t *z = view_find_zone(w->view, f->origin, f->origin_len, offs, labels);
    size_t len = 0;
    const uint8_t *apex = z != NULL ? view_zone_apex(z, &len) : NULL;
    if (apex != NULL && len == f->origin_len && memcmp(apex, f->origin, len) == 0) {
        *serial = view_zone_serial(z);
        found = true;
    }
    rcu_read_unlock();
    return found;
}

static void file_watch_tick(evutil_socket_t fd, short what, void *arg)
{
    file_watch_t *w = arg;
    for (size_t i = 0; i < w->n && !w->asked; i++) {
        file_watched_t *f = &w->files[i];
        struct stat st;
        if (stat(f->path, &st) != 0) {
            continue; /* gone for now (an editor's rename): look again later */
        }
        if (st.st_size == f->size && st.st_ino == f->ino && st.st_mtim.tv_sec == f->mtime.tv_sec &&
            st.st_mtim.tv_nsec == f->mtime.tv_nsec) {
            continue;
        }
        f->size = st.st_size;
        f->ino = st.st_ino;
        f->mtime = st.st_mtim;
        uint32_t served, serial;
        if (file_watch_served(w, f, &served) &&
            zone_file_peek_serial(f->path, f->origin, f->origin_len, &serial) == 0 &&
            serial <= served) {
            log_info("plugin/file: %s changed, but its serial %u is not greater than the %u "
                     "served (zone %s): not reloaded",
                     f->path, serial, served, f->zone);
            continue;
        }
        if (w->shared != NULL && w->shared->reload != NULL) {
            log_info("plugin/file: %s changed (zone %s), reloading", f->path, f->zone);
            w->shared->reload(w->shared->reload_ctx); /* runs later, from main's loop */
            w->asked = true;
        }
    }
    if (!w->asked) {
        file_watch_start(w);
    }
}

file_watch_t *file_watch_new(struct event_base *control, plugin_shared_t *shared,
                             const view_t *view)
{
    file_watch_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->shared = shared;
    w->view = view;
    w->timer = evtimer_new(control, file_watch_tick, w);
    if (w->timer == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

int file_watch_add(file_watch_t *w, const uint8_t *origin, size_t origin_len, const char *zone,
                   const char *path, off_t size, struct timespec mtime, ino_t ino,
                   uint64_t interval_ms)
{
    file_watched_t *grown = realloc(w->files, (w->n + 1) * sizeof(*grown));
    if (grown == NULL) {
        return -1;
    }
    w->files = grown;
    file_watched_t *f = &grown[w->n];
    memset(f, 0, sizeof(*f));
    if ((f->path = strdup(path)) == NULL) {
        return -1;
    }
    snprintf(f->zone, sizeof(f->zone), "%s", zone);
    memcpy(f->origin, origin, origin_len);
    f->origin_len = origin_len;
    f->size = size;
    f->mtime = mtime;
    f->ino = ino;
    w->n++;
    if (w->interval_ms == 0 || interval_ms < w->interval_ms) {
        w->interval_ms = interval_ms;
    }
    return 0;
}

void file_watch_start(file_watch_t *w)
{
    if (w == NULL || w->n == 0 || w->interval_ms == 0) {
        return;
    }
    struct timeval tv = {.tv_sec = (time_t)(w->interval_ms / 1000),
                         .tv_usec = (suseconds_t)(w->interval_ms % 1000) * 1000};
    evtimer_add(w->timer, &tv);
}

void file_watch_free(file_watch_t *w)
{
    if (w == NULL) {
        return;
    }
    event_free(w->timer);
    for (size_t i = 0; i < w->n; i++) {
        free(w->files[i].path);
    }
    free(w->files);
    free(w);
}
