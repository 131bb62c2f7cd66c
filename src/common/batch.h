/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/batch.h - a pipeline of Redis commands in RESP form.
 *
 * A batch is built once and can be sent twice (to the old master and,
 * after a failover, to the new one) without being rebuilt, and many
 * commands go out in one write: that is what makes pipelined registration
 * fast. Used with the blocking connection of conn.h.
 */
#ifndef VMDNS_COMMON_BATCH_H
#define VMDNS_COMMON_BATCH_H

#include <stddef.h>

typedef struct vmdns_batch {
    char *buf;
    size_t len, cap;
    size_t ncmd;
    int oom; /* an allocation failed: the batch must not be sent */
} vmdns_batch_t;

/* Append one command of argc binary-safe arguments (lens NULL: strlen). */
void vmdns_batch_argv(vmdns_batch_t *b, int argc, const char *const *argv, const size_t *lens);

/* Append one command of NUL-terminated arguments, the list ending in NULL. */
void vmdns_batch_cmd(vmdns_batch_t *b, const char *arg0, ...) __attribute__((sentinel));

/* Forget the commands, keep the memory. */
void vmdns_batch_reset(vmdns_batch_t *b);

/* Free the memory. */
void vmdns_batch_free(vmdns_batch_t *b);

#endif
