/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_parse.c - the thread that parses a backend's big values (see
 * redis_parse.h).
 *
 * The queue and each job's `done` are under one mutex; the thread signals
 * a finished job by writing to an eventfd that the backend's event_base
 * watches (so libevent needs no thread support). The thread touches
 * nothing of the backend: only the job, the zone context in it, and the
 * config's defaults, which live as long as the backend.
 */
#include "redis/redis_parse.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"

struct redis_parser {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    parse_job_t *head, *tail; /* queued, not started */
    bool stop;
    bool started;
    pthread_t thread;
    int nice;
    int efd;
    struct event *ev;
    void (*on_done)(void *arg);
    void *arg;
};

parse_job_t *parse_job_new(const redis_zone_ctx_t *ctx, const uint8_t *owner, size_t owner_len,
                           const char *value, size_t value_len)
{
    parse_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        return NULL;
    }
    job->value = malloc(value_len ? value_len : 1);
    if (job->value == NULL) {
        free(job);
        return NULL;
    }
    memcpy(job->value, value, value_len);
    job->value_len = value_len;
    job->ctx = *ctx;
    memcpy(job->apex, ctx->apex, ctx->apex_len);
    job->ctx.apex = job->apex;
    memcpy(job->owner, owner, owner_len);
    job->owner_len = owner_len;
    return job;
}

void parse_job_free(parse_job_t *job)
{
    if (job != NULL) {
        view_node_free(job->node);
        free(job->value);
        free(job);
    }
}

static void *parser_main(void *arg)
{
    redis_parser_t *p = arg;
    if (p->nice > 0) {
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), p->nice);
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->head == NULL) {
            pthread_cond_wait(&p->cv, &p->mu);
        }
        if (p->stop) {
            break;
        }
        parse_job_t *job = p->head;
        p->head = job->next;
        if (p->head == NULL) {
            p->tail = NULL;
        }
        pthread_mutex_unlock(&p->mu);
        job->node = redis_node_from_json(&job->ctx, job->owner, job->owner_len, job->value,
                                         job->value_len, &job->res);
        free(job->value); /* not needed any more: give the memory back early */
        job->value = NULL;
        pthread_mutex_lock(&p->mu);
        job->done = true;
        uint64_t one = 1;
        if (write(p->efd, &one, sizeof(one)) != sizeof(one)) {
            log_warn("redis: parse thread: cannot wake the backend: %s", strerror(errno));
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void on_efd(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    redis_parser_t *p = arg;
    uint64_t v;
    if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
        log_warn("redis: parse thread: %s", strerror(errno));
    }
    p->on_done(p->arg);
}

redis_parser_t *parser_new(struct event_base *base, int nice, void (*on_done)(void *arg), void *arg)
{
    redis_parser_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->nice = nice;
    p->on_done = on_done;
    p->arg = arg;
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0) {
        free(p);
        return NULL;
    }
    p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_efd, p);
    if (p->ev == NULL || event_add(p->ev, NULL) != 0) {
        if (p->ev != NULL) {
            event_free(p->ev);
        }
        close(p->efd);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

int parser_submit(redis_parser_t *p, parse_job_t *job)
{
    if (!p->started) {
        if (pthread_create(&p->thread, NULL, parser_main, p) != 0) {
            return -1;
        }
        p->started = true;
    }
    pthread_mutex_lock(&p->mu);
    job->next = NULL;
    job->done = false;
    if (p->tail != NULL) {
        p->tail->next = job;
    } else {
        p->head = job;
    }
    p->tail = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

bool parser_done(redis_parser_t *p, const parse_job_t *job)
{
    pthread_mutex_lock(&p->mu);
    bool done = job->done;
    pthread_mutex_unlock(&p->mu);
    return done;
}

void parser_free(redis_parser_t *p)
{
    if (p == NULL) {
        return;
    }
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->stop = true;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    event_free(p->ev);
    close(p->efd);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
