/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logfmt.h - one query log line in CoreDNS's default format.
 *
 *   [INFO] 127.0.0.1:54321 - 1234 "A IN vm-abc.vm.example.com. udp 42 false 1232" NOERROR qr,aa 89
 * 0.000123s
 *
 * i.e. CoreDNS's `{remote}:{port} - {>id} "{type} {class} {name} {proto}
 * {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}`, with the
 * same rules: IPv6 peers in brackets, the name lower-cased with its final
 * dot, bufsize = the EDNS UDP size (at least 512, 65535 over TCP), flags of
 * the response in the order qr,aa,tc,rd,ra,z,ad,cd, duration in seconds in
 * the shortest exact form. A reply the respond stage dropped is logged as
 * CoreDNS logs a request nothing was written for: rcode and flags "-",
 * size 0. Formatting never allocates (hot path).
 */
#ifndef VMDNS_LOG_LOGFMT_H
#define VMDNS_LOG_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "core/plugin.h"

/* Response classes for the `class` option (CoreDNS's response.Class). */
enum {
    LOGFMT_CLASS_SUCCESS = 1u, /* NOERROR with data, or a referral */
    LOGFMT_CLASS_DENIAL = 2u,  /* NXDOMAIN, or NODATA */
    LOGFMT_CLASS_ERROR = 4u,   /* every other rcode */
    LOGFMT_CLASS_ALL = 7u,
};

/* Room for the longest line (a 255-byte name with every byte escaped). */
#define LOGFMT_LINE_MAX 1536

/* The class of the response in req->resp. */
unsigned logfmt_classify(const request_t *req);

/* Format the line for an answered request, `now_ns` being CLOCK_MONOTONIC
 * when it was answered; ends with '\n'. Returns the length (0 if cap is too
 * small). */
size_t logfmt_line(const request_t *req, uint64_t now_ns, char *buf, size_t cap);

/* "qr,aa,rd": the response flags word as CoreDNS's {>rflags} writes it. */
void logfmt_flags(uint16_t flags, char *buf, size_t cap);

/* Seconds as CoreDNS prints a duration: "0.000123456s", "1.5s", "0s". */
size_t logfmt_duration(uint64_t ns, char *buf, size_t cap);

#endif
