/* SPDX-License-Identifier: BSD-2-Clause */
/* keys_cmd.h - the `vmssh keys` command (keys_cmd.c), called from main. */
#ifndef VMSSH_KEYS_CMD_H
#define VMSSH_KEYS_CMD_H

/* argv[first..] are keys's arguments; config is --config's value or NULL.
 * Returns the exit status. */
int vmssh_cli_keys(int argc, char **argv, const char *config, int first);

#endif
