/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_stream.h - the zone transfer thread: AXFR (and IXFR answered as a
 * full transfer, RFC 1995 4) streamed from a snapshot of the view.
 *
 * A worker that accepts a transfer hands the connection over (a dup() of
 * its socket and the request, written to a pipe: no lock, no allocation on
 * the worker) and sends nothing itself. The transfer thread takes one
 * snapshot of the zone (view_zone_snapshot: the node pointers of one
 * moment, not a copy of the data), and writes it as messages of at most
 * XFR_MSG_TARGET bytes, the SOA first and last, each message signed when
 * the query was (TSIG). The nodes stay valid because the whole transfer
 * runs inside one RCU read-side section; a peer that reads nothing for
 * XFR_IO_TIMEOUT_MS, or a transfer longer than XFR_MAX_MS, is cut off, so
 * that section stays bounded.
 */
#ifndef VMDNS_XFR_STREAM_H
#define VMDNS_XFR_STREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dns/tsig.h"
#include "view/view.h"

#define XFR_MSG_TARGET    16384 /* bytes of records per message */
#define XFR_IO_TIMEOUT_MS 10000
#define XFR_MAX_MS        120000

/* One accepted transfer, as the worker hands it over. Fits a pipe write
 * (PIPE_BUF), so it arrives whole. */
typedef struct xfr_job {
    int fd;                 /* a dup() of the client's TCP socket: the thread's */
    uint16_t id;            /* the query's */
    uint16_t rd;            /* its RD flag, echoed */
    uint16_t qtype;         /* AXFR or IXFR */
    bool has_client_serial; /* IXFR: the serial the client holds */
    uint32_t client_serial;
    uint8_t question[NAME_MAX_WIRE + 4]; /* as the client wrote it */
    uint16_t question_len;
    uint8_t apex[NAME_MAX_WIRE]; /* lower-cased */
    uint8_t apex_len;
    bool tsig;               /* sign every message with tsig_state */
    tsig_state_t tsig_state; /* its key points at tsig_key below once queued */
    tsig_key_t tsig_key;     /* a copy: a reload may free the tsig config */
} xfr_job_t;

/* The thread and its queue. */
typedef struct xfr_stream {
    const view_t *view;
    int pipe_rd, pipe_wr;
    pthread_t thread;
    bool started;
    atomic_bool stopping;   /* set by xfr_stream_stop: cut the transfer short */
    atomic_ulong transfers; /* completed */
    atomic_ulong failed;    /* cut off or failed */
} xfr_stream_t;

/* Start the thread. 0, or -1 with errno. */
int xfr_stream_start(xfr_stream_t *s, const view_t *view);

/* Queue a job (worker thread: one non-blocking write). False if the queue
 * is full; the caller then still owns job->fd. */
bool xfr_stream_submit(xfr_stream_t *s, const xfr_job_t *job);

/* Stop the thread (after the transfer under way) and close the queue. */
void xfr_stream_stop(xfr_stream_t *s);

#endif
