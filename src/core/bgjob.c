/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bgjob.c - one thread per job, its end announced to the control loop by a
 * libevent event made active from the job's thread (libevent is set up
 * for threads: evthread_use_pthreads).
 */
#include "core/bgjob.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <urcu.h>

typedef struct bgjob {
    struct bgjob *next;
    bgjob_list_t *list;
    void (*work)(void *arg);
    void (*done)(void *arg);
    void *arg;
    pthread_t thread;
    struct event *ended; /* made active by the thread when work returned */
} bgjob_t;

static void *bgjob_thread(void *p)
{
    bgjob_t *j = p;
    rcu_register_thread();
    if (j->work != NULL) {
        j->work(j->arg);
    }
    rcu_unregister_thread();
    event_active(j->ended, 0, 0);
    return NULL;
}

/* Unlink, join and finish one job (control thread). */
static void bgjob_finish(bgjob_t *j)
{
    bgjob_t **at = &j->list->head;
    while (*at != j) {
        at = &(*at)->next;
    }
    *at = j->next;
    pthread_join(j->thread, NULL);
    event_free(j->ended);
    if (j->done != NULL) {
        j->done(j->arg);
    }
    free(j);
}

static void bgjob_ended(evutil_socket_t fd, short what, void *arg)
{
    bgjob_finish(arg);
}

void bgjob_run(bgjob_list_t *list, void (*work)(void *arg), void (*done)(void *arg), void *arg)
{
    bgjob_t *j = calloc(1, sizeof(*j));
    if (j != NULL) {
        *j = (bgjob_t){.list = list, .work = work, .done = done, .arg = arg};
        j->ended = event_new(list->base, -1, 0, bgjob_ended, j);
    }
    if (j == NULL || j->ended == NULL) {
        goto inline_run;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* signals belong to the control thread */
    int rc = pthread_create(&j->thread, NULL, bgjob_thread, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        event_free(j->ended);
        goto inline_run;
    }
    j->next = list->head;
    list->head = j;
    return;
inline_run:
    free(j);
    if (work != NULL) {
        work(arg);
    }
    if (done != NULL) {
        done(arg);
    }
}

void bgjob_wait_all(bgjob_list_t *list)
{
    while (list->head != NULL) {
        bgjob_t *j = list->head;
        pthread_join(j->thread, NULL);
        /* The thread has made `ended` active; finish here instead. */
        event_del(j->ended);
        list->head = j->next;
        event_free(j->ended);
        if (j->done != NULL) {
            j->done(j->arg);
        }
        free(j);
    }
}
