/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plugin_kept.c - state that outlives one configuration.
 *
 * A reload sets every plugin up again, next to the running ones, and tears
 * the old ones down after the swap. Most plugin state should start afresh;
 * a few things must not (the counters behind /metrics: Prometheus treats a
 * counter that goes back to zero as a restart). Those are kept here, in
 * main's plugin_shared_t, by name.
 *
 * Kept state outlives the servers too: a reload with new listeners runs a
 * new server next to the old one while it drains. So that every piece of
 * per-worker kept state has one writer, main hands each server a range of
 * worker slots of its own (request_t.slot) from the table here, and takes it
 * back when the server is gone; see core/plugin.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/plugin.h"

void *plugin_kept_get(plugin_shared_t *shared, const char *name)
{
    for (size_t i = 0; i < shared->nkept; i++)
        if (strcmp(shared->kept[i].name, name) == 0)
            return shared->kept[i].ptr;
    return NULL;
}

int plugin_kept_put(plugin_shared_t *shared, const char *name, void *ptr,
                    void (*free_fn)(void *ptr), int (*reserve_fn)(void *ptr, unsigned nslots))
{
    if (shared->nkept >= PLUGIN_MAX_KEPT || plugin_kept_get(shared, name) != NULL)
        return -1;
    if (reserve_fn != NULL && reserve_fn(ptr, shared->nslots) != 0)
        return -1;
    shared->kept[shared->nkept++] = (plugin_kept_t){name, ptr, free_fn, reserve_fn};
    return 0;
}

int plugin_slots_claim(plugin_shared_t *shared, unsigned n, unsigned *base)
{
    unsigned run = 0, first = 0;
    for (unsigned i = 0; i < PLUGIN_MAX_SLOTS && run < n; i++) {
        if (shared->slot_busy[i]) {
            run = 0;
            continue;
        }
        if (run++ == 0)
            first = i;
    }
    if (n == 0 || run < n)
        return -1;
    if (first + n > shared->nslots) {
        for (size_t k = 0; k < shared->nkept; k++) {
            plugin_kept_t *e = &shared->kept[k];
            if (e->reserve_fn != NULL && e->reserve_fn(e->ptr, first + n) != 0)
                return -1;
        }
        shared->nslots = first + n;
    }
    for (unsigned i = first; i < first + n; i++)
        shared->slot_busy[i] = true;
    *base = first;
    return 0;
}

void plugin_slots_release(plugin_shared_t *shared, unsigned base, unsigned n)
{
    for (unsigned i = base; i < base + n && i < PLUGIN_MAX_SLOTS; i++)
        shared->slot_busy[i] = false;
}

void plugin_kept_free_all(plugin_shared_t *shared)
{
    for (size_t i = shared->nkept; i-- > 0;)
        if (shared->kept[i].free_fn != NULL)
            shared->kept[i].free_fn(shared->kept[i].ptr);
    shared->nkept = 0;
}
