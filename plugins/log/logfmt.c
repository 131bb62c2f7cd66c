/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logfmt.c - format query log lines (see logfmt.h for the format).
 *
 * Everything comes from the parsed query, the response bytes and the
 * request's meta; the line is assembled with snprintf into the caller's
 * buffer.
 */
#include "log/logfmt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/mnemonic.h"

unsigned logfmt_classify(const request_t *req)
{
    unsigned rcode = req->meta.rcode;
    if (rcode == WIRE_RCODE_NXDOMAIN) {
        return LOGFMT_CLASS_DENIAL;
    }
    if (rcode != WIRE_RCODE_NOERROR) {
        return LOGFMT_CLASS_ERROR;
    }
    if (req->resp_len < WIRE_HEADER_SIZE) {
        return LOGFMT_CLASS_SUCCESS;
    }
    uint16_t flags = wire_read_u16(req->resp + 2);
    uint16_t ancount = wire_read_u16(req->resp + 6);
    uint16_t nscount = wire_read_u16(req->resp + 8);
    /* No answer but an authority section: an authoritative one is the SOA
     * of NODATA (denial), a non-authoritative one is a referral (success). */
    if (ancount == 0 && nscount > 0 && (flags & WIRE_FLAG_AA)) {
        return LOGFMT_CLASS_DENIAL;
    }
    return LOGFMT_CLASS_SUCCESS;
}

size_t logfmt_duration(uint64_t ns, char *buf, size_t cap)
{
    uint64_t sec = ns / 1000000000u, frac = ns % 1000000000u;
    int n;
    if (frac == 0) {
        n = snprintf(buf, cap, "%llus", (unsigned long long)sec);
    } else {
        char digits[10];
        snprintf(digits, sizeof(digits), "%09llu", (unsigned long long)frac);
        size_t d = 9;
        while (digits[d - 1] == '0') {
            d--;
        }
        n = snprintf(buf, cap, "%llu.%.*ss", (unsigned long long)sec, (int)d, digits);
    }
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* "1.2.3.4:53" or "[::1]:53". */
static void logfmt_peer(const struct sockaddr *sa, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
        snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(v4->sin_port));
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
        snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(v6->sin6_port));
    } else {
        snprintf(buf, cap, "-:0");
    }
}

void logfmt_flags(uint16_t flags, char *buf, size_t cap)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } names[] = {
        {WIRE_FLAG_QR, "qr"}, {WIRE_FLAG_AA, "aa"}, {WIRE_FLAG_TC, "tc"}, {WIRE_FLAG_RD, "rd"},
        {WIRE_FLAG_RA, "ra"}, {0x0040, "z"},        {WIRE_FLAG_AD, "ad"}, {WIRE_FLAG_CD, "cd"},
    };
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((flags & names[i].bit) && off < cap) {
            int n = snprintf(buf + off, cap - off, "%s%s", off ? "," : "", names[i].name);
            off += n < 0 ? 0 : (size_t)n;
        }
    }
}

size_t logfmt_line(const request_t *req, uint64_t now_ns, char *buf, size_t cap)
{
    const wire_query_t *q = req->q;
    char peer[INET6_ADDRSTRLEN + 16], name[NAME_MAX_WIRE * 4 + 2], flags[32], dur[32];
    char tbuf[MNEMONIC_BUF], cbuf[MNEMONIC_BUF], rbuf[8];

    logfmt_peer(req->peer, peer, sizeof(peer));
    if (!q->has_question || name_to_text(q->qname, q->qname_len, name, sizeof(name)) == 0) {
        snprintf(name, sizeof(name), ".");
    }
    unsigned bufsize;
    if (req->proto == REQ_TCP) {
        bufsize = WIRE_MAX_UDP;
    } else {
        bufsize = q->has_edns && q->edns_udp > WIRE_MIN_UDP ? q->edns_udp : WIRE_MIN_UDP;
    }
    bool dropped = req->action == RESPOND_DROP;
    const char *rcode = dropped ? "-" : mnemonic_rcode(req->meta.rcode);
    if (rcode == NULL) {
        snprintf(rbuf, sizeof(rbuf), "%u", (unsigned)req->meta.rcode);
        rcode = rbuf;
    }
    if (dropped) {
        snprintf(flags, sizeof(flags), "-");
    } else {
        logfmt_flags(req->resp_len >= 4 ? wire_read_u16(req->resp + 2) : 0, flags, sizeof(flags));
    }
    logfmt_duration(now_ns > req->start_ns ? now_ns - req->start_ns : 0, dur, sizeof(dur));

    int n = snprintf(buf, cap, "[INFO] %s - %u \"%s %s %s %s %zu %s %u\" %s %s %zu %s\n", peer,
                     (unsigned)q->id, mnemonic_type(q->qtype, tbuf),
                     mnemonic_class(q->qclass, cbuf), name, req->proto == REQ_TCP ? "tcp" : "udp",
                     q->len, q->has_edns && q->edns_do ? "true" : "false", bufsize, rcode, flags,
                     dropped ? (size_t)0 : req->resp_len, dur);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
