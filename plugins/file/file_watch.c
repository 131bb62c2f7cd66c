/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * file_watch.c - check zone files for changes on the control thread and
 * ask main for a reload (CoreDNS's `file DB { reload 1m }`).
 *
 * A stat(2) per file per interval, nothing more: the control thread never
 * reads a zone. When a file's size, modification time or inode differ
 * from what this configuration read, the watcher asks for a reload, the
 * same one SIGHUP starts: main reads the config again, the new `file`
 * instance reads only the changed files on its loader thread and swaps
 * them in when they parse (a broken file fails that reload and the
 * running zone stays). CoreDNS compares the SOA serial and loads only a
 * greater one; vmdnsd reloads a changed file (a changed serial is a
 * changed file; an edit that keeps the serial is served too, where
 * CoreDNS would keep the old data).
 */
#include "file/file_watch.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

typedef struct file_watched {
    char zone[256];
    char *path;
    off_t size;
    struct timespec mtime;
    ino_t ino;
} file_watched_t;

struct file_watch {
    struct event *timer;
    plugin_shared_t *shared;
    uint64_t interval_ms; /* the shortest asked for */
    size_t n;
    file_watched_t *files;
    bool asked; /* a reload was asked for: the next configuration takes over */
};

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

file_watch_t *file_watch_new(struct event_base *control, plugin_shared_t *shared)
{
    file_watch_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->shared = shared;
    w->timer = evtimer_new(control, file_watch_tick, w);
    if (w->timer == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

int file_watch_add(file_watch_t *w, const char *zone, const char *path, off_t size,
                   struct timespec mtime, ino_t ino, uint64_t interval_ms)
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
