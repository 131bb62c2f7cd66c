/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * view_node.h - the layout of a view node, private to src/view/.
 *
 * view.h keeps view_node_t opaque for everyone else; the zone code and the
 * name table need its fields.
 */
#ifndef VMDNS_VIEW_NODE_H
#define VMDNS_VIEW_NODE_H

#include <stdint.h>
#include <urcu.h>

#include "view/view.h"

struct view_node {
    struct rcu_head rcu;
    int64_t expires;
    uint32_t children; /* direct children present (writer-only) */
    uint16_t nrrsets;
    uint8_t flags;
    uint8_t owner_len;
    view_rrset_t *rrsets; /* inside this allocation */
    uint8_t owner[];      /* owner_len bytes, then padding, rrsets, wire */
};

#endif
