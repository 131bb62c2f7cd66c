/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xfr_notify.c - DNS NOTIFY (RFC 1996): tell the secondaries a zone changed.
 *
 * A message with opcode NOTIFY, AA and the zone's SOA as the question, and
 * no answer section (the serial hint of RFC 1996 3.7 is optional; the
 * secondary asks for the SOA anyway), sent over UDP to each `to` address.
 * Secondaries then ask for the SOA and transfer. This file builds and sends
 * one message; retries until a secondary answers, and the rate limit per
 * zone, are xfr_notifier.c's.
 */
#include "transfer/xfr_notify.h"

#include <string.h>
#include <sys/socket.h>

#include "dns/wire.h"

#define WIRE_OPCODE_NOTIFY 4

size_t xfr_notify_message(uint16_t id, const uint8_t *apex, size_t apex_len, uint8_t *out,
                          size_t cap)
{
    size_t need = WIRE_HEADER_SIZE + apex_len + 4;
    if (need > cap) {
        return 0;
    }
    memset(out, 0, WIRE_HEADER_SIZE);
    wire_write_u16(out, id);
    wire_write_u16(out + 2, (uint16_t)((WIRE_OPCODE_NOTIFY << 11) | WIRE_FLAG_AA));
    wire_write_u16(out + 4, 1);
    memcpy(out + WIRE_HEADER_SIZE, apex, apex_len);
    wire_write_u16(out + WIRE_HEADER_SIZE + apex_len, WIRE_TYPE_SOA);
    wire_write_u16(out + WIRE_HEADER_SIZE + apex_len + 2, WIRE_CLASS_IN);
    return need;
}

bool xfr_notify_send(int sock, uint16_t id, const uint8_t *apex, size_t apex_len,
                     const struct sockaddr *to, socklen_t to_len)
{
    uint8_t msg[WIRE_HEADER_SIZE + NAME_MAX_WIRE + 4];
    size_t len = xfr_notify_message(id, apex, apex_len, msg, sizeof(msg));
    return len > 0 &&
           sendto(sock, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, to_len) == (ssize_t)len;
}
