/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fdlimit.h - the open-files limit (RLIMIT_NOFILE) and what it leaves for TCP.
 *
 * Every TCP connection is a file descriptor. The soft limit is often 1024
 * while the hard limit is far higher, so vmdnsd raises the soft limit to
 * the hard one at startup; and a tcp_max_connections the limit cannot hold
 * is lowered, with a warning, to what it can (server_start), rather than
 * letting accept() fail with EMFILE at some later, busier moment.
 */
#ifndef VMDNS_SERVER_FDLIMIT_H
#define VMDNS_SERVER_FDLIMIT_H

#include <stdint.h>

/* Raise the soft RLIMIT_NOFILE to the hard limit (logged when it changes,
 * warned when it cannot be). Call once at startup, before any thread. */
void fdlimit_raise(void);

/* How many TCP connections the current soft limit leaves room for, once
 * `own` descriptors of the server (its sockets, event loops, eventfds) and
 * a reserve for everything else of the process (Redis connections, HTTP
 * endpoints and their clients, zone and log files, a second server during
 * a reload) are counted: the soft limit less `own` less a quarter of the
 * limit, at most FDLIMIT_RESERVE. UINT64_MAX when there is no limit. */
uint64_t fdlimit_tcp_room(uint64_t own);

#define FDLIMIT_RESERVE 256

#endif
