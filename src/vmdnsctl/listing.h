/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listing.h - `vmdnsctl list`: a backend's names as zone-file text.
 */
#ifndef VMDNSCTL_LISTING_H
#define VMDNSCTL_LISTING_H

#include <stdio.h>

#include "vmdns/registrar.h"

/* Print one zone (or all if zone is NULL), zones and names in DNS order,
 * with comments for leases and bad values. 0, or -1 with err. */
int listing_print(vmdns_registrar_t *r, const char *zone, FILE *out, vmdns_error_t *err);

#endif
