/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * error.c - the status strings of the public API.
 *
 * Kept apart so the codec, the registrar and the CLI all describe failures
 * the same way (the filling helpers are in common/err.c).
 */
#include "vmdns/error.h"

const char *vmdns_strerror(vmdns_status_t code)
{
    switch (code) {
    case VMDNS_OK:
        return "success";
    case VMDNS_ERR_INVALID:
        return "invalid argument";
    case VMDNS_ERR_NAME:
        return "bad domain name";
    case VMDNS_ERR_ADDRESS:
        return "bad address";
    case VMDNS_ERR_RDATA:
        return "bad record data";
    case VMDNS_ERR_TTL:
        return "TTL or lease out of range";
    case VMDNS_ERR_UNSUPPORTED:
        return "record type not supported";
    case VMDNS_ERR_JSON:
        return "value is not a JSON object";
    case VMDNS_ERR_CONFLICT:
        return "conflicting records";
    case VMDNS_ERR_NO_ZONE:
        return "name is in no zone";
    case VMDNS_ERR_NOT_FOUND:
        return "not found";
    case VMDNS_ERR_NOMEM:
        return "out of memory";
    case VMDNS_ERR_SPACE:
        return "buffer too small";
    case VMDNS_ERR_CONNECT:
        return "cannot reach a Redis master";
    case VMDNS_ERR_BACKEND:
        return "Redis error";
    case VMDNS_ERR_UNCONFIRMED:
        return "write not confirmed";
    case VMDNS_ERR_TIMEOUT:
        return "not visible in time";
    case VMDNS_ERR_BUSY:
        return "too many concurrent changes";
    }
    return "unknown error";
}
