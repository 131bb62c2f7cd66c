/*
 * plugin_kept.c - state that outlives one configuration.
 *
 * A reload sets every plugin up again, next to the running ones, and tears
 * the old ones down after the swap. Most plugin state should start afresh;
 * a few things must not (the counters behind /metrics: Prometheus treats a
 * counter that goes back to zero as a restart). Those are kept here, in
 * main's plugin_shared_t, by name.
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
                    void (*free_fn)(void *ptr))
{
    if (shared->nkept >= PLUGIN_MAX_KEPT || plugin_kept_get(shared, name) != NULL)
        return -1;
    shared->kept[shared->nkept++] = (plugin_kept_t){name, ptr, free_fn};
    return 0;
}

void plugin_kept_free_all(plugin_shared_t *shared)
{
    for (size_t i = shared->nkept; i-- > 0;)
        if (shared->kept[i].free_fn != NULL)
            shared->kept[i].free_fn(shared->kept[i].ptr);
    shared->nkept = 0;
}
