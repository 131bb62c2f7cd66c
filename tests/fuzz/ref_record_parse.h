/* ref_record_parse.h - the jansson-based reference reader (test only). */
#ifndef VMDNS_REF_RECORD_PARSE_H
#define VMDNS_REF_RECORD_PARSE_H

#include "vmdns/record.h"

/* Same contract as vmdns_record_parse_json (vmdns/record.h). */
int ref_record_parse_json(const char *json, size_t len, uint32_t default_ttl, vmdns_rrlist_t *out,
                          vmdns_error_t *err);

#endif
