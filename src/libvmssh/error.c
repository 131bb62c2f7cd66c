/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * error.c - libvmssh's error vocabulary: the code strings and the helpers
 * every failure path ends in (`return vmssh_fail(err, CODE, "...")`).
 */
#include <stdarg.h>
#include <stdio.h>

#include "vmssh_int.h"

const char *vmssh_strerror(vmssh_status_t code)
{
    switch (code) {
    case VMSSH_OK:
        return "success";
    case VMSSH_ERR_INVALID:
        return "invalid argument";
    case VMSSH_ERR_CONFIG:
        return "bad configuration";
    case VMSSH_ERR_NOMEM:
        return "out of memory";
    case VMSSH_ERR_SYSTEM:
        return "system error";
    case VMSSH_ERR_FIREWALL:
        return "firewall change failed";
    case VMSSH_ERR_NO_PORT:
        return "no free port";
    case VMSSH_ERR_CONFLICT:
        return "conflict";
    case VMSSH_ERR_NOT_FOUND:
        return "VM not open";
    case VMSSH_ERR_DNS:
        return "DNS step failed";
    case VMSSH_ERR_KEYS:
        return "SSH keys step failed";
    }
    return "unknown error";
}

int vmssh_fail(vmssh_error_t *err, vmssh_status_t code, const char *fmt, ...)
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

void vmssh_ok(vmssh_error_t *err)
{
    if (err) {
        err->code = VMSSH_OK;
        err->message[0] = '\0';
    }
}
