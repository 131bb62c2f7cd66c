/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logformat.c - compile and render a user's query log format
 * (logformat.h). The default line keeps its own fast formatter (logfmt.c);
 * this one is used only when the Corefile or YAML gives a format.
 */
#include "log/logformat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mnemonic.h"
#include "log/logfmt.h"

enum {
    LF_LIT = 0,
    LF_TYPE,
    LF_NAME,
    LF_CLASS,
    LF_PROTO,
    LF_SIZE,
    LF_REMOTE,
    LF_PORT,
    LF_EMPTY, /* {local}, {/metadata}: "-" */
    LF_ID,
    LF_OPCODE,
    LF_DO,
    LF_BUFSIZE,
    LF_RCODE,
    LF_RSIZE,
    LF_DURATION,
    LF_RFLAGS,
};

static const struct {
    const char *text;
    uint8_t field;
    bool header; /* "{>...}": matched without case */
} lf_names[] = {
    {"{type}", LF_TYPE, false},         {"{name}", LF_NAME, false},
    {"{class}", LF_CLASS, false},       {"{proto}", LF_PROTO, false},
    {"{size}", LF_SIZE, false},         {"{remote}", LF_REMOTE, false},
    {"{port}", LF_PORT, false},         {"{local}", LF_EMPTY, false},
    {"{rcode}", LF_RCODE, false},       {"{rsize}", LF_RSIZE, false},
    {"{duration}", LF_DURATION, false}, {"{>id}", LF_ID, true},
    {"{>opcode}", LF_OPCODE, true},     {"{>do}", LF_DO, true},
    {"{>bufsize}", LF_BUFSIZE, true},   {"{>rflags}", LF_RFLAGS, true},
};

static int lf_add(logformat_t *f, uint8_t field, const char *lit, size_t len, char *why,
                  size_t whylen)
{
    if (field == LF_LIT && f->nops > 0 && f->ops[f->nops - 1].field == LF_LIT &&
        f->ops[f->nops - 1].off + f->ops[f->nops - 1].len == f->litlen) {
        if (f->litlen + len > sizeof(f->lit)) {
            goto long_format;
        }
        memcpy(f->lit + f->litlen, lit, len); /* extend the previous literal */
        f->litlen += len;
        f->ops[f->nops - 1].len += (uint16_t)len;
        return 0;
    }
    if (f->nops == LOGFORMAT_MAX_OPS || f->litlen + len > sizeof(f->lit)) {
        goto long_format;
    }
    f->ops[f->nops++] = (logformat_op_t){field, (uint16_t)f->litlen, (uint16_t)len};
    memcpy(f->lit + f->litlen, lit, len);
    f->litlen += len;
    return 0;
long_format:
    snprintf(why, whylen, "log: format too long (at most %d placeholders and %d characters)",
             LOGFORMAT_MAX_OPS, LOGFORMAT_MAX_LIT);
    return -1;
}

static int lf_compile(const char *text, logformat_t *f, int depth, char *why, size_t whylen)
{
    const char *p = text;
    while (*p != '\0') {
        if (*p != '{') {
            size_t n = strcspn(p, "{");
            if (lf_add(f, LF_LIT, p, n, why, whylen) != 0) {
                return -1;
            }
            p += n;
            continue;
        }
        const char *close = strchr(p, '}');
        size_t n = close != NULL ? (size_t)(close - p) + 1 : strlen(p);
        int field = -1;
        for (size_t i = 0; close != NULL && i < sizeof(lf_names) / sizeof(lf_names[0]); i++) {
            if (strlen(lf_names[i].text) == n &&
                (lf_names[i].header ? strncasecmp(p, lf_names[i].text, n)
                                    : strncmp(p, lf_names[i].text, n)) == 0) {
                field = lf_names[i].field;
            }
        }
        if (field < 0 && close != NULL && depth == 0 &&
            (strncmp(p, "{common}", n) == 0 || strncmp(p, "{combined}", n) == 0)) {
            if (lf_compile(n == 8 ? LOGFORMAT_COMMON : LOGFORMAT_COMBINED, f, 1, why, whylen) !=
                0) {
                return -1;
            }
            p += n;
            continue;
        }
        if (field < 0 && close != NULL && p[1] == '/') {
            field = LF_EMPTY;
        }
        if (lf_add(f, field < 0 ? LF_LIT : (uint8_t)field, field < 0 ? p : "", field < 0 ? n : 0,
                   why, whylen) != 0) {
            return -1;
        }
        p += n;
    }
    return 0;
}

int logformat_compile(const char *text, logformat_t *f, char *why, size_t whylen)
{
    memset(f, 0, sizeof(*f));
    return lf_compile(text, f, 0, why, whylen);
}

/* Append text to buf at *off; false when it does not fit. */
static bool lf_put(char *buf, size_t cap, size_t *off, const char *s, size_t n)
{
    if (*off + n >= cap) {
        return false;
    }
    memcpy(buf + *off, s, n);
    *off += n;
    return true;
}

static bool lf_putf(char *buf, size_t cap, size_t *off, const char *fmt, unsigned long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), fmt, v);
    return n > 0 && lf_put(buf, cap, off, tmp, (size_t)n);
}

/* The client's address: "1.2.3.4" or "[::1]" (CoreDNS's RFC 3986 form). */
static size_t lf_remote(const request_t *req, char *out, size_t cap, unsigned *port)
{
    char ip[INET6_ADDRSTRLEN];
    const struct sockaddr *sa = req->peer;
    *port = 0;
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
        *port = ntohs(v4->sin_port);
        return (size_t)snprintf(out, cap, "%s", ip);
    }
    if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
        *port = ntohs(v6->sin6_port);
        return (size_t)snprintf(out, cap, "[%s]", ip);
    }
    return (size_t)snprintf(out, cap, "-");
}

size_t logformat_render(const logformat_t *f, const request_t *req, uint64_t now_ns, char *buf,
                        size_t cap)
{
    const wire_query_t *q = req->q;
    bool dropped = req->action == RESPOND_DROP;
    size_t off = 0;
    bool ok = lf_put(buf, cap, &off, "[INFO] ", 7);
    for (size_t i = 0; ok && i < f->nops; i++) {
        const logformat_op_t *op = &f->ops[i];
        char tmp[NAME_MAX_WIRE * 4 + 2];
        const char *s = NULL;
        unsigned port;
        switch (op->field) {
        case LF_LIT:
            ok = lf_put(buf, cap, &off, f->lit + op->off, op->len);
            break;
        case LF_TYPE:
            s = mnemonic_type(q->qtype, tmp);
            break;
        case LF_CLASS:
            s = mnemonic_class(q->qclass, tmp);
            break;
        case LF_NAME:
            if (!q->has_question || name_to_text(q->qname, q->qname_len, tmp, sizeof(tmp)) == 0) {
                snprintf(tmp, sizeof(tmp), ".");
            }
            s = tmp;
            break;
        case LF_PROTO:
            s = req->proto == REQ_TCP ? "tcp" : "udp";
            break;
        case LF_SIZE:
            ok = lf_putf(buf, cap, &off, "%llu", (unsigned long long)q->len);
            break;
        case LF_REMOTE:
            lf_remote(req, tmp, sizeof(tmp), &port);
            s = tmp;
            break;
        case LF_PORT:
            lf_remote(req, tmp, sizeof(tmp), &port);
            ok = lf_putf(buf, cap, &off, "%llu", port);
            break;
        case LF_EMPTY:
            s = "-";
            break;
        case LF_ID:
            ok = lf_putf(buf, cap, &off, "%llu", q->id);
            break;
        case LF_OPCODE:
            ok = lf_putf(buf, cap, &off, "%llu", (unsigned)(q->flags >> 11) & 15u);
            break;
        case LF_DO:
            s = q->has_edns && q->edns_do ? "true" : "false";
            break;
        case LF_BUFSIZE: {
            unsigned b = req->proto == REQ_TCP                       ? WIRE_MAX_UDP
                         : q->has_edns && q->edns_udp > WIRE_MIN_UDP ? q->edns_udp
                                                                     : WIRE_MIN_UDP;
            ok = lf_putf(buf, cap, &off, "%llu", b);
            break;
        }
        case LF_RCODE:
            s = dropped ? "-" : mnemonic_rcode(req->meta.rcode);
            if (s == NULL) {
                snprintf(tmp, sizeof(tmp), "%u", (unsigned)req->meta.rcode);
                s = tmp;
            }
            break;
        case LF_RSIZE:
            ok =
                lf_putf(buf, cap, &off, "%llu", dropped ? 0ull : (unsigned long long)req->resp_len);
            break;
        case LF_DURATION:
            if (logfmt_duration(now_ns > req->start_ns ? now_ns - req->start_ns : 0, tmp,
                                sizeof(tmp)) == 0) {
                ok = false;
            }
            s = tmp;
            break;
        case LF_RFLAGS:
            if (dropped) {
                s = "-";
            } else {
                logfmt_flags(req->resp_len >= 4 ? wire_read_u16(req->resp + 2) : 0, tmp,
                             sizeof(tmp));
                s = tmp;
            }
            break;
        default:
            break;
        }
        if (ok && s != NULL) {
            ok = lf_put(buf, cap, &off, s, strlen(s));
        }
    }
    if (!ok || !lf_put(buf, cap, &off, "\n", 1)) {
        return 0;
    }
    return off;
}
