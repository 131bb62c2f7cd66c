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

/* Set up every compiled-in plugin whose config key is present in root (and
 * those with no config key), in plugin.cfg order. NULL on error (err filled). */
chain_t *chain_new(const plugin_env_t *env, cfg_node_t *root, cfg_error_t *err);

/* The same with an explicit plugin list instead of plugin_registry[] (tests,
 * tools that embed the server with their own plugins). */
chain_t *chain_new_from(const plugin_t *const *plugins, size_t nplugins, const plugin_env_t *env,
                        cfg_node_t *root, cfg_error_t *err);

/* Call each plugin's start hook. Returns -1 on the first failure. */
int chain_start(chain_t *chain, cfg_error_t *err);

/* True when every plugin says it is ready; otherwise `why` lists who is not. */
bool chain_ready(const chain_t *chain, char *why, size_t why_len);

/* Name of the i-th plugin that was set up (chain order), or NULL past the
 * end (for coredns_plugin_enabled). */
const char *chain_plugin_name(const chain_t *chain, size_t i);

/* Tear every plugin down, in reverse order, and free the chain. */
void chain_free(chain_t *chain);

/* Per-packet context supplied by the server. */
typedef struct chain_packet {
    const uint8_t *pkt; /* received bytes */
    size_t len;
    req_proto_t proto;
    const struct sockaddr *peer;
    socklen_t peer_len;
    unsigned worker;
    uint64_t start_ns;
} chain_packet_t;

/* Answer one packet into out (cap bytes; for UDP at least 65535 so any
 * negotiated size fits; the UDP payload limit is applied inside). Returns
 * the response length, or 0 if the packet is to be dropped. Caller need not
 * hold rcu_read_lock (taken inside). */
size_t chain_process(const chain_t *chain, const view_t *view, const answer_limits_t *lim,
                     const chain_packet_t *p, uint8_t *out, size_t cap);

#endif
