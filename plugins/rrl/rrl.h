/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rrl.h - what the tests and the fuzz harness see of an `rrl` instance
 * (the plugin itself is plugin_rrl, reached through plugin_t).
 */
#ifndef VMDNS_PLUGINS_RRL_H
#define VMDNS_PLUGINS_RRL_H

#include "core/plugin.h"
#include "rrl/rrl_table.h"

extern const plugin_t plugin_rrl;

/* The table an instance (the state its setup returned) charges. */
rrl_table_t *rrl_instance_table(void *state);

#endif
