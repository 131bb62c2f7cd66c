/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmdns/error.h - the one error vocabulary of libvmdns.
 *
 * Every public function that can fail takes a `vmdns_error_t *err` (which may
 * be NULL) and fills it with a status code, for programs, and a one-line
 * human message naming what was wrong, for people ("bad IPv4 address
 * '300.1.2.3'"). The codes are stable; the messages are not.
 */
#ifndef VMDNS_ERROR_H
#define VMDNS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VMDNS_API __attribute__((visibility("default")))
#else
#define VMDNS_API
#endif

typedef enum vmdns_status {
    VMDNS_OK = 0,
    VMDNS_ERR_INVALID,     /* a bad argument or option */
    VMDNS_ERR_NAME,        /* a domain name that is not valid here */
    VMDNS_ERR_ADDRESS,     /* an IPv4/IPv6 address that does not parse */
    VMDNS_ERR_RDATA,       /* record data that does not parse or is malformed */
    VMDNS_ERR_TTL,         /* a TTL or lease out of range */
    VMDNS_ERR_UNSUPPORTED, /* a record type the schema cannot hold */
    VMDNS_ERR_JSON,        /* a stored value that is not a JSON object */
    VMDNS_ERR_CONFLICT,    /* e.g. CNAME beside other data, SOA outside an apex */
    VMDNS_ERR_NO_ZONE,     /* the name lies in no zone present in the backend */
    VMDNS_ERR_NOT_FOUND,   /* the name (or zone) does not exist */
    VMDNS_ERR_NOMEM,       /* out of memory */
    VMDNS_ERR_SPACE,       /* an output buffer is too small */
    VMDNS_ERR_CONNECT,     /* no node could be reached, or none is a master */
    VMDNS_ERR_BACKEND,     /* Redis answered with an error */
    VMDNS_ERR_UNCONFIRMED, /* a write was sent but its success is unknown */
    VMDNS_ERR_TIMEOUT,     /* written, but not visible on the servers in time */
    VMDNS_ERR_BUSY,        /* concurrent writers kept changing the same name */
} vmdns_status_t;

/* A status code plus a human message (always NUL-terminated). */
typedef struct vmdns_error {
    vmdns_status_t code;
    char message[256];
} vmdns_error_t;

/* A short static description of a status code ("bad domain name"). */
VMDNS_API const char *vmdns_strerror(vmdns_status_t code);

#ifdef __cplusplus
}
#endif

#endif
