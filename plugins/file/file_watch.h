/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * file_watch.h - the `file` plugin's `reload` option: look at the zone
 * files every interval, and reload when one changed on disk.
 */
#ifndef VMDNS_FILE_WATCH_H
#define VMDNS_FILE_WATCH_H

#include <stdint.h>
#include <sys/stat.h>

#include "core/plugin.h"
#include "view/view.h"

typedef struct file_watch file_watch_t;

/* A watcher on the control loop that asks `shared` for a reload, and
 * reads the serials served from `view`. NULL: no memory. */
file_watch_t *file_watch_new(struct event_base *control, plugin_shared_t *shared,
                             const view_t *view);

/* Watch `path`, the file of zone `origin` (`zone` as text, for the log),
 * every interval_ms, starting from what parse saw of it (size, mtime,
 * inode). 0, or -1 (no memory). */
int file_watch_add(file_watch_t *w, const uint8_t *origin, size_t origin_len, const char *zone,
                   const char *path, off_t size, struct timespec mtime, ino_t ino,
                   uint64_t interval_ms);

/* Arm the timer (the shortest interval of the files added). */
void file_watch_start(file_watch_t *w);

/* Stop and free (safe on NULL). */
void file_watch_free(file_watch_t *w);

#endif
