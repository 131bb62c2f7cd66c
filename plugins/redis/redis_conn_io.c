/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn_io.c - the libevent glue of redis_conn.c, with the reply cap
 * checked before each read (see redis_conn_io.h).
 *
 * hiredis reads at most 16 KiB per redisAsyncHandleRead, and after it the
 * reader holds only what is left of an incomplete reply; checking that
 * before every read bounds what one reply can make us buffer to the cap
 * plus one read.
 *
 * One readiness event reads on while the socket has data (up to 1 MiB):
 * a 2 MB reply in 16 KiB reads is 130 trips through the event loop, and a
 * backend thread runs niced, so on a busy machine each trip may wait for
 * the scheduler; the change stream waits behind them.
 */
#include "redis/redis_conn_io.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>

typedef struct conn_io {
    redisAsyncContext *ac;
    struct event *rev, *wev;
    vmdns_reply_cap_t *cap;
    void (*overflow)(void *arg);
    void (*wrote)(void *arg);
    void *arg;
    bool stopped; /* over the cap: never read again */
    bool *alive;  /* set false by cleanup (hiredis freed the context) */
} conn_io_t;

#define READS_PER_EVENT 64 /* x 16 KiB */

static void on_read(evutil_socket_t fd, short what, void *p)
{
    (void)fd;
    (void)what;
    conn_io_t *io = p;
    if (io->stopped) {
        return;
    }
    bool alive = true;
    io->alive = &alive;
    for (int i = 0; i < READS_PER_EVENT; i++) {
        if (!vmdns_reply_cap_buffer_ok(io->ac->c.reader, io->cap)) {
            io->stopped = true;
            io->alive = NULL;
            io->overflow(io->arg); /* may free ac, and io with it */
            return;
        }
        redisAsyncHandleRead(io->ac); /* may free ac and io (a disconnect) */
        if (!alive) {
            return;
        }
        int avail = 0;
        if (io->stopped || ioctl(io->ac->c.fd, FIONREAD, &avail) != 0 || avail <= 0) {
            break;
        }
    }
    io->alive = NULL;
}

static void on_write(evutil_socket_t fd, short what, void *p)
{
    (void)fd;
    (void)what;
    conn_io_t *io = p;
    io->wrote(io->arg); /* before: the write may free io (a failed write) */
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
    if (io->alive != NULL) {
        *io->alive = false;
    }
    event_free(io->rev);
    event_free(io->wev);
    free(io);
}

int redis_conn_io_attach(redisAsyncContext *ac, struct event_base *base, vmdns_reply_cap_t *cap,
                         void (*overflow)(void *arg), void (*wrote)(void *arg), void *arg)
{
    if (ac->ev.data != NULL) {
        return REDIS_ERR;
    }
    conn_io_t *io = calloc(1, sizeof(*io));
    if (io == NULL) {
        return REDIS_ERR;
    }
    *io = (conn_io_t){.ac = ac, .cap = cap, .overflow = overflow, .wrote = wrote, .arg = arg};
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
    /* replies built in an arena (hiredis frees them after each callback:
     * with its own objects, a big load was a tenth malloc and free);
     * out of memory for it: hiredis' objects, capped all the same */
    (void)vmdns_reply_cap_install_arena(ac->c.reader, cap);
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
