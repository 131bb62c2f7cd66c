/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn_io.h - hiredis async I/O on libevent, with bounded replies.
 *
 * Replaces hiredis' libevent adapter for redis_conn.c: the same four
 * add/del hooks, plus a check before every read that the reply being
 * received stays under the reply cap (common/reply_cap.h). Over it, reading
 * stops and `overflow` is called (from the event loop, not from inside
 * hiredis), which closes the connection.
 */
#ifndef VMDNS_REDIS_CONN_IO_H
#define VMDNS_REDIS_CONN_IO_H

#include <hiredis/async.h>

#include "common/reply_cap.h"

struct event_base;

/* Attach ac to base; `cap` (installed on ac's reader) and `arg` must stay
 * valid until ac is freed or detached from its owner. `wrote(arg)` is
 * called as each write to the socket begins (the read timeout counts from
 * the write). REDIS_OK/REDIS_ERR. */
int redis_conn_io_attach(redisAsyncContext *ac, struct event_base *base, vmdns_reply_cap_t *cap,
                         void (*overflow)(void *arg), void (*wrote)(void *arg), void *arg);

#endif
