/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain.h - run one packet through the plugin chain and the view.
 *
 * The server's workers call chain_process() for every packet they receive,
 * UDP or TCP. It parses the query, decides drop/FORMERR/NOTIMP, lets the
 * plugins' query hooks answer if they want, answers from the view otherwise,
 * then calls the done hooks (logs, metrics). It never blocks or allocates.
 */
#ifndef VMDNS_CORE_CHAIN_H
#define VMDNS_CORE_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/plugin.h"

/* The plugins that are set up, and the hooks they registered, in order. */
typedef struct chain chain_t;

/* The parsed config of every plugin that is in the chain (chain order):
 * what `parse` made of each section, nothing started. */
typedef struct chain_conf chain_conf_t;

/* Parse the section of every compiled-in plugin whose config key is
 * present in root (and of those with no config key), in plugin.cfg order.
 * Side-effect free. NULL on error (err: "FILE:LINE: problem"). */
chain_conf_t *chain_parse(const plugin_parse_env_t *penv, cfg_node_t *root, cfg_error_t *err);

/* The same with an explicit plugin list instead of plugin_registry[]. */
chain_conf_t *chain_parse_from(const plugin_t *const *plugins, size_t nplugins,
                               const plugin_parse_env_t *penv, cfg_node_t *root, cfg_error_t *err);

/* --check-config: run the plugins' `check` hooks (zone file syntax). */
int chain_check(const chain_conf_t *cc, cfg_error_t *err);

/* Free a parsed config that was not given to chain_build. NULL is fine. */
void chain_conf_free(chain_conf_t *cc);

/* Set the plugins of cc up, in order. A plugin whose instance in `prev`
 * (the running chain, or NULL) was set up from an equal config (conf_equal)
 * is not set up again: the new chain shares that instance (counted; torn
 * down when the last chain that holds it is freed), and it is not started
 * again. On a new view (view_kept false) only plugins that do not touch
 * the view (PLUGIN_VIEW_NONE) are shared, and no running state is handed
 * over (env->prev_state). Takes cc (freed, also on error). NULL on error
 * (err filled; what was set up is torn down). */
chain_t *chain_build(const plugin_env_t *env, chain_conf_t *cc, const chain_t *prev, bool view_kept,
                     cfg_error_t *err);

/* True if `chain` holds the very instance `prev` runs for the plugin
 * named `name` (both have it, shared). */
bool chain_shares(const chain_t *chain, const chain_t *prev, const char *name);

/* True if cc and prev agree on the plugin `name`: in neither, or in both
 * with equal configs (so its instance would be reused). */
bool chain_conf_keeps(const chain_conf_t *cc, const chain_t *prev, const char *name);

/* May a configuration parsed into cc keep running on prev's view? Yes if
 * every plugin whose data is bound to its instance (PLUGIN_VIEW_BOUND)
 * keeps that instance (chain_conf_keeps), and every plugin that hands its
 * data over (PLUGIN_VIEW_HANDOVER: file, redis) and is in prev is in cc
 * too (so it can remove what it no longer serves) and agrees
 * (plugin_t.view_keepable), or can take its data out when dropped
 * (plugin_t.drop: file and redis can). */
bool chain_view_keepable(const chain_conf_t *cc, const chain_t *prev);

/* The state of the instance of plugin `name` in chain, or NULL. */
void *chain_state(const chain_t *chain, const char *name);

/* Parse and set up in one go (tests, tools that embed the server): no
 * unknown-key check, nothing reused. */
chain_t *chain_new(const plugin_env_t *env, cfg_node_t *root, cfg_error_t *err);
chain_t *chain_new_from(const plugin_t *const *plugins, size_t nplugins, const plugin_env_t *env,
                        cfg_node_t *root, cfg_error_t *err);

/* Call the start hook of each instance not started yet (a reused one
 * already runs). Returns -1 on the first failure. */
int chain_start(chain_t *chain, cfg_error_t *err);

/* The chain's configuration takes over from prev's (NULL at startup):
 * each instance's activate hook (plugin_t.activate), in order; then, when
 * the view is kept, the drop hook of prev's instances whose plugin the new
 * chain does not have. */
void chain_activate(chain_t *chain, const chain_t *prev, bool view_kept);

/* -1 with err if a plugin's background setup work failed (plugin_t.failed:
 * a broken zone file found by a reload's loader thread), else 0. */
int chain_failed(const chain_t *chain, cfg_error_t *err);

/* True when every plugin says it is ready; otherwise `why` lists who is not.
 * A plugin that is ready but filled its reason (a detail, e.g. a redis
 * backend serving stale data) is listed in `why` too, "plugin: detail". */
bool chain_ready(const chain_t *chain, char *why, size_t why_len);

/* Name of the i-th plugin that was set up (chain order), or NULL past the
 * end (for coredns_plugin_enabled). */
const char *chain_plugin_name(const chain_t *chain, size_t i);

/* Server blocks (chain.c: one per item of `servers`, or one for a config
 * without it), for coredns_plugin_enabled: how many; block b's i-th zone
 * ("example.com."), i-th `server` label ("dns://127.0.0.1:53"), i-th
 * plugin (chain order); NULL past the end. */
size_t chain_blocks(const chain_t *chain);
const char *chain_block_zone(const chain_t *chain, size_t b, size_t i);
const char *chain_block_server(const chain_t *chain, size_t b, size_t i);
const char *chain_block_plugin(const chain_t *chain, size_t b, size_t i);

/* True if the chain's plugin `name` is a data source (one instance for
 * every block: file, redis). */
bool chain_plugin_global_name(const chain_t *chain, const char *name);

/* Drop the chain's hold on its instances, in reverse order: those no other
 * chain holds are torn down (and their config freed). NULL is fine. */
void chain_free(chain_t *chain);

/* Per-packet context supplied by the server. */
typedef struct chain_packet {
    const uint8_t *pkt; /* received bytes */
    size_t len;
    req_proto_t proto;
    const struct sockaddr *peer;
    socklen_t peer_len;
    unsigned worker; /* request_t.worker */
    unsigned slot;   /* request_t.slot */
    uint64_t start_ns;
    unsigned listener; /* the listen address (index into the config's `listen`
                        * list, its first alias: server_listen_alias) the
                        * packet came to; picks the server blocks that may
                        * answer it */
    int fd;            /* request_t.tcp_fd: the TCP socket, -1 for UDP (0 is read as -1) */
} chain_packet_t;

/* Answer one packet into out (cap bytes; for UDP at least 65535 so any
 * negotiated size fits; the UDP payload limit is applied inside). Returns
 * the response length, or 0 if the packet is to be dropped. Caller need not
 * hold rcu_read_lock (taken inside). */
size_t chain_process(const chain_t *chain, const view_t *view, const answer_limits_t *lim,
                     const chain_packet_t *p, uint8_t *out, size_t cap);

#endif
