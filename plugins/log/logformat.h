/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logformat.h - a query log line in a format of the user's, with CoreDNS's
 * placeholders (`log . "{remote} {type} {name} {rcode}"`, `{common}`,
 * `{combined}`).
 *
 * The format is compiled once, when the config is read, into a list of
 * literal pieces and fields; a worker renders it into its buffer without
 * allocating. Placeholders, as CoreDNS's replacer names them: {type}
 * {name} {class} {proto} {size} {remote} {port} {local} {rcode} {rsize}
 * {duration}, and the header ones {>id} {>opcode} {>do} {>bufsize}
 * {>rflags} (case-insensitive after the '>'). {common} and {combined} stand
 * for those formats; a metadata placeholder {/NAME} is "-" (vmdnsd has no
 * metadata plugin), and so is {local} (the address the query came to is
 * not known per query); any other {text} is kept as it is, as CoreDNS does.
 */
#ifndef VMDNS_LOG_LOGFORMAT_H
#define VMDNS_LOG_LOGFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/plugin.h"

#define LOGFORMAT_MAX_OPS 96
#define LOGFORMAT_MAX_LIT 1024

/* CoreDNS's formats ({common} is its default; {combined} adds the opcode). */
#define LOGFORMAT_COMMON                                                                           \
    "{remote}:{port} - {>id} \"{type} {class} {name} {proto} {size} {>do} {>bufsize}\" {rcode} "   \
    "{>rflags} {rsize} {duration}"
#define LOGFORMAT_COMBINED LOGFORMAT_COMMON " \"{>opcode}\""

/* One piece of the line: literal text (lit[off..off+len)) or a field. */
typedef struct logformat_op {
    uint8_t field; /* 0: literal */
    uint16_t off, len;
} logformat_op_t;

/* A compiled format (plain data: copy it freely). */
typedef struct logformat {
    size_t nops;
    logformat_op_t ops[LOGFORMAT_MAX_OPS];
    size_t litlen;
    char lit[LOGFORMAT_MAX_LIT];
} logformat_t;

/* Compile text. 0, or -1 with a reason in why (too long). */
int logformat_compile(const char *text, logformat_t *f, char *why, size_t whylen);

/* Render the line for an answered request ("[INFO] " + the format + "\n"),
 * `now_ns` being CLOCK_MONOTONIC when it was answered. Returns the length,
 * 0 if cap is too small. Never allocates. */
size_t logformat_render(const logformat_t *f, const request_t *req, uint64_t now_ns, char *buf,
                        size_t cap);

#endif
