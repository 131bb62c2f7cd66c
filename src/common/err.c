/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/err.c - the error-filling helpers (see err.h).
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

int vmdns_fail(vmdns_error_t *err, vmdns_status_t code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return -1;
}

void vmdns_ok(vmdns_error_t *err)
{
    if (err) {
        err->code = VMDNS_OK;
        err->message[0] = '\0';
    }
}
