/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn_io.c - the libevent glue of redis_conn.c, with the reply cap
 * checked before each read (see redis_conn_io.h).
 *
 * hiredis reads at most 16 KiB per redisAsyncHandleRead, and after it the
 * reader holds only what is left of an incomplete reply; checking that
 * before every read bounds what one reply can make us buffer to the cap
 * plus one read.
 */
#include "redis/redis_conn_io.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct conn_io {
    redisAsyncContext *ac;
    struct event *rev, *wev;
    vmdns_reply_cap_t *cap;
    void (*overflow)(void *arg);
    void *arg;
    bool stopped; /* over the cap: never read again */
} conn_io_t;

static void on_read(evutil_socket_t fd, short what, void *p)
{
    (void)fd;
    (void)what;
    conn_io_t *io = p;
    if (io->stopped) {
        return;
    }
    if (!vmdns_reply_cap_buffer_ok(io->ac->c.reader, io->cap)) {
        io->stopped = true;
        io->overflow(io->arg); /* may free ac, and io with it */
        return;
    }
    redisAsyncHandleRead(io->ac);
}

static void on_write(evutil_socket_t fd, short what, void *p)
{
    (void)fd;
    (void)what;
    conn_io_t *io = p;
    redisAsyncHandleWrite(io->ac);
}

static void add_read(void *p)
{
    conn_io_t *io = p;
    if (!io->stopped) {
        event_add(io->rev, NULL);
    }
}

static void del_read(void *p)
{
    event_del(((conn_io_t *)p)->rev);
}

static void add_write(void *p)
{
    event_add(((conn_io_t *)p)->wev, NULL);
}

static void del_write(void *p)
{
    event_del(((conn_io_t *)p)->wev);
}

static void cleanup(void *p)
{
    conn_io_t *io = p;
    event_free(io->rev);
    event_free(io->wev);
    free(io);
}

int redis_conn_io_attach(redisAsyncContext *ac, struct event_base *base, vmdns_reply_cap_t *cap,
                         void (*overflow)(void *arg), void *arg)
{
    if (ac->ev.data != NULL) {
        return REDIS_ERR;
    }
    conn_io_t *io = calloc(1, sizeof(*io));
    if (io == NULL) {
        return REDIS_ERR;
    }
    *io = (conn_io_t){.ac = ac, .cap = cap, .overflow = overflow, .arg = arg};
    io->rev = event_new(base, ac->c.fd, EV_READ, on_read, io);
    io->wev = event_new(base, ac->c.fd, EV_WRITE, on_write, io);
    if (io->rev == NULL || io->wev == NULL) {
        if (io->rev) {
            event_free(io->rev);
        }
        if (io->wev) {
            event_free(io->wev);
        }
        free(io);
        return REDIS_ERR;
    }
    vmdns_reply_cap_install(ac->c.reader, cap);
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = io;
    event_add(io->rev, NULL);
    event_add(io->wev, NULL);
    return REDIS_OK;
}
