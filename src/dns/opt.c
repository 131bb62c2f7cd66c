/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * opt.c - write EDNS(0) OPT records (see opt.h).
 *
 * RFC 6891 6.1.2/6.1.3: owner ".", TYPE 41, CLASS = the sender's UDP
 * payload size, TTL = extended RCODE (the upper 8 of 12 bits), VERSION,
 * DO and Z flags, then RDLENGTH and the options as {code, length, data}.
 */
#include "dns/opt.h"

#include <string.h>

#include "dns/wire.h"

size_t opt_size(const opt_record_t *opt)
{
    size_t n = OPT_RR_HEADER;
    for (size_t i = 0; i < opt->noptions; i++)
        n += 4 + (size_t)opt->options[i].len;
    return n;
}

size_t opt_write(uint8_t *msg, size_t len, size_t cap, const opt_record_t *opt)
{
    size_t need = opt_size(opt);
    if (len < WIRE_HEADER_SIZE || len + need > cap || need - OPT_RR_HEADER > UINT16_MAX)
        return 0;
    uint8_t *p = msg + len;
    p[0] = 0; /* root owner */
    wire_write_u16(p + 1, WIRE_TYPE_OPT);
    wire_write_u16(p + 3, opt->udp_size);
    p[5] = (uint8_t)(opt->rcode >> 4); /* extended rcode */
    p[6] = opt->version;
    p[7] = opt->do_bit ? 0x80 : 0;
    p[8] = 0;
    wire_write_u16(p + 9, (uint16_t)(need - OPT_RR_HEADER));
    p += OPT_RR_HEADER;
    for (size_t i = 0; i < opt->noptions; i++) {
        const opt_option_t *o = &opt->options[i];
        wire_write_u16(p, o->code);
        wire_write_u16(p + 2, o->len);
        if (o->len > 0)
            memcpy(p + 4, o->data, o->len);
        p += 4 + (size_t)o->len;
    }
    wire_write_u16(msg + 10, (uint16_t)(wire_read_u16(msg + 10) + 1));
    return len + need;
}

size_t opt_find(const uint8_t *msg, size_t len)
{
    if (len < WIRE_HEADER_SIZE)
        return 0;
    unsigned qd = wire_read_u16(msg + 4);
    unsigned rrs =
        (unsigned)wire_read_u16(msg + 6) + wire_read_u16(msg + 8) + wire_read_u16(msg + 10);
    size_t pos = WIRE_HEADER_SIZE, last = 0;
    for (unsigned i = 0; i < qd; i++) {
        if (!wire_skip_name(msg, len, &pos) || pos + 4 > len)
            return 0;
        pos += 4;
    }
    for (unsigned i = 0; i < rrs; i++) {
        last = pos;
        if (!wire_skip_name(msg, len, &pos) || pos + 10 > len)
            return 0;
        pos += 10 + (size_t)wire_read_u16(msg + pos + 8);
    }
    if (rrs == 0 || pos != len || msg[last] != 0 || last + OPT_RR_HEADER > len ||
        wire_read_u16(msg + last + 1) != WIRE_TYPE_OPT)
        return 0;
    return last;
}

bool opt_add_option(uint8_t *msg, size_t *len, size_t cap, size_t opt_off, uint16_t code,
                    const uint8_t *data, uint16_t data_len)
{
    size_t end = *len;
    if (opt_off + OPT_RR_HEADER > end || msg[opt_off] != 0 ||
        wire_read_u16(msg + opt_off + 1) != WIRE_TYPE_OPT)
        return false;
    size_t rdlen = wire_read_u16(msg + opt_off + 9);
    if (opt_off + OPT_RR_HEADER + rdlen != end) /* the OPT must end the message */
        return false;
    if (end + 4 + (size_t)data_len > cap || rdlen + 4 + (size_t)data_len > UINT16_MAX)
        return false;
    wire_write_u16(msg + end, code);
    wire_write_u16(msg + end + 2, data_len);
    if (data_len > 0)
        memcpy(msg + end + 4, data, data_len);
    wire_write_u16(msg + opt_off + 9, (uint16_t)(rdlen + 4 + data_len));
    *len = end + 4 + (size_t)data_len;
    return true;
}
