/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_parse.h - a thread that parses big field values for one backend.
 *
 * A value of 100,000 records takes 30 ms to parse on a quiet machine and
 * more than a second on a busy one; parsed on the backend's thread, it
 * would hold the change stream that long. Values bigger than
 * REDIS_PARSE_OFF_BYTES are handed to this thread instead (as jobs, in
 * order), and the backend is woken through an eventfd in its event_base
 * when one is done; redis_defer.c keeps the order of what is applied.
 *
 * One thread per backend, started when the backend meets its first big
 * value: a backend's jobs are then independent of every other backend's
 * (a backend fed huge values delays only its own big values), the thread
 * stops and is joined with its backend (no state shared between backends,
 * nothing to hand over on reload), and backends that never see a big value
 * (the default limits make them rare) never start one.
 */
#ifndef VMDNS_REDIS_PARSE_H
#define VMDNS_REDIS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "redis/redis_records.h"

/* Values of more bytes than this are parsed off the backend thread: about
 * 1 ms of parsing on a quiet machine (100 to 140 MB/s for A records,
 * measured with redis_node_from_json), 2 ms or more on a busy one. */
#define REDIS_PARSE_OFF_BYTES (128 * 1024)

struct event_base;
typedef struct redis_parser redis_parser_t;

/* One value to parse. The caller fills the inputs, submits it, and reads
 * the outputs once parser_done says so; the job stays the caller's. */
typedef struct parse_job {
    struct parse_job *next; /* the parser's queue */
    bool done;              /* under the parser's mutex */
    /* in */
    redis_zone_ctx_t ctx; /* ctx.apex points to apex below */
    uint8_t apex[NAME_MAX_WIRE];
    uint8_t owner[NAME_MAX_WIRE];
    size_t owner_len;
    char *value; /* malloc'd copy; freed by parse_job_free */
    size_t value_len;
    /* out */
    view_node_t *node;
    redis_parse_t res;
} parse_job_t;

/* A job for value (copied) in zone ctx for owner; NULL on allocation
 * failure. */
parse_job_t *parse_job_new(const redis_zone_ctx_t *ctx, const uint8_t *owner, size_t owner_len,
                           const char *value, size_t value_len);

/* Free a job that is done or was never submitted (and its node, if not
 * taken). */
void parse_job_free(parse_job_t *job);

/* A parser whose finished jobs call on_done(arg) on base's thread. The
 * thread itself starts with the first job, at priority `nice` (as the
 * backend's: queries come first). NULL on failure. */
redis_parser_t *parser_new(struct event_base *base, int nice, void (*on_done)(void *arg),
                           void *arg);

/* Queue a job (it must stay allocated until done or parser_free). 0, or
 * -1 if the thread cannot be started. */
int parser_submit(redis_parser_t *p, parse_job_t *job);

/* True once the job's outputs may be read. */
bool parser_done(redis_parser_t *p, const parse_job_t *job);

/* Stop and join the thread (a job being parsed is finished first; queued
 * ones are left undone), free the parser. The jobs stay the caller's. */
void parser_free(redis_parser_t *p);

#endif
