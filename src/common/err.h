/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/err.h - filling a vmdns_error_t inside libvmdns, vmdns_common and
 * the libraries beside them.
 *
 * Every failure path ends in one call that records the code and a formatted
 * message and returns -1, so callers can write `return vmdns_fail(...)`.
 */
#ifndef VMDNS_COMMON_ERR_H
#define VMDNS_COMMON_ERR_H

#include "vmdns/error.h"

/* Set err (if not NULL) to code and a printf-style message; returns -1. */
int vmdns_fail(vmdns_error_t *err, vmdns_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err (if not NULL) to VMDNS_OK with an empty message. */
void vmdns_ok(vmdns_error_t *err);

#endif
