/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_notify.h - DNS NOTIFY messages to secondaries (RFC 1996).
 */
#ifndef VMDNS_XFR_NOTIFY_H
#define VMDNS_XFR_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Build a NOTIFY for the zone at apex (wire) into out; returns its length,
 * or 0 if cap is too small. */
size_t xfr_notify_message(uint16_t id, const uint8_t *apex, size_t apex_len, uint8_t *out,
                          size_t cap);

/* Send one NOTIFY from sock (UDP, non-blocking) to `to`. */
bool xfr_notify_send(int sock, uint16_t id, const uint8_t *apex, size_t apex_len,
                     const struct sockaddr *to, socklen_t to_len);

#endif
