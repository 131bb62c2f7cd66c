/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * corefile_bind.h - the addresses of a Corefile `bind` directive (for the
 * Corefile reader only).
 *
 * CoreDNS's `bind` takes IP addresses and network interface names, and a
 * block `{ except ADDRESS... }` of addresses to leave out; an interface
 * stands for every address it has when the Corefile is read.
 */
#ifndef VMDNS_CONFIG_COREFILE_BIND_H
#define VMDNS_CONFIG_COREFILE_BIND_H

#include <arpa/inet.h>
#include <stddef.h>

#include "config/corefile_plugin.h"

/* One address to listen on, and the token it came from. */
typedef struct cf_bind_addr {
    const cf_token_t *at;
    char addr[INET6_ADDRSTRLEN];
} cf_bind_addr_t;

/* Append the addresses of the `bind` directive d to *list (*n entries,
 * grown with realloc; the caller frees it). 0, or -1 with "FILE:LINE:
 * problem" in err. */
int cf_bind_expand(const cf_directive_t *d, cf_bind_addr_t **list, size_t *n, cfg_error_t *err);

#endif
