/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bgjob.h - slow work off the control thread, its end back on it.
 *
 * The control thread serves /health, /ready and /metrics and catches the
 * signals: it must never wait for seconds. What can take that long on a
 * reload (draining the old server's TCP clients, freeing a view of a
 * million names) runs as a job on a thread of its own; when it is done,
 * its `done` step runs on the control loop (for what must happen there:
 * plugin teardown, the worker slots). Jobs are owned by a bgjob_list_t on
 * the control thread.
 */
#ifndef VMDNS_CORE_BGJOB_H
#define VMDNS_CORE_BGJOB_H

struct event_base;
struct bgjob;

/* The jobs not finished yet (control thread only). Zeroed, then `base` set. */
typedef struct bgjob_list {
    struct event_base *base;
    struct bgjob *head;
} bgjob_list_t;

/* Run work(arg) on a new thread (registered with RCU, signals blocked),
 * then done(arg) on the control loop. work or done may be NULL. If no
 * thread can be started, both run now, here. */
void bgjob_run(bgjob_list_t *list, void (*work)(void *arg), void (*done)(void *arg), void *arg);

/* Wait for every job and run its done step (at exit; also the jobs that
 * those done steps start). */
void bgjob_wait_all(bgjob_list_t *list);

#endif
