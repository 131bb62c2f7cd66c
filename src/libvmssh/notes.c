/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notes.c - what this host believes about its open VMs, kept in state_dir
 * so that the common operations need not read the ruleset.
 *
 * Reading a map of 5,000 elements back from the kernel (`nft list`, or
 * `nft get element`, which loads the whole set) costs ten times more than
 * changing it. So open, close and renew act on what the host believes
 * (this note per VM, and the port hint in ports.c) and let the kernel
 * check it: the nft batch that adds a forward uses `create`, which fails
 * if the port, the address or the VM id is taken; the one that removes a
 * forward names its three elements and fails as a whole if one is
 * missing. On such a refusal the caller reads the ruleset (the truth),
 * acts on that, and these notes are corrected from it. A lost or stale
 * note costs one slow path, never a wrong change.
 *
 * state_dir/vms/ID holds one line: "PORT ADDR EXPIRES NAME".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmssh_int.h"

static int note_path(const char *state_dir, const char *vm_id, char *buf, size_t cap)
{
    int n = vm_id ? snprintf(buf, cap, "%s/vms/%s", state_dir, vm_id)
                  : snprintf(buf, cap, "%s/vms", state_dir);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int vmssh_note_load(const char *state_dir, const char *vm_id, vmssh_entry_t *e)
{
    char path[4096], line[512];
    if (note_path(state_dir, vm_id, path, sizeof(path)) < 0)
        return -1;
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    unsigned port;
    long long expires;
    char addr[16], name[254];
    memset(e, 0, sizeof(*e));
    if (!got || sscanf(line, "%5u %15s %lld %253s", &port, addr, &expires, name) != 4 || port < 1 ||
        port > 65535 || !vmssh_valid_ipv4(addr) || !vmssh_valid_vm_id(vm_id))
        return -1;
    snprintf(e->vm_id, sizeof(e->vm_id), "%s", vm_id);
    strcpy(e->vm_ip, addr);
    strcpy(e->name, name);
    e->port = (uint16_t)port;
    e->expires = expires;
    return 0;
}

void vmssh_note_store(const char *state_dir, const vmssh_entry_t *e)
{
    char dir[4096], path[4096], tmp[4200];
    if (note_path(state_dir, NULL, dir, sizeof(dir)) < 0 ||
        note_path(state_dir, e->vm_id, path, sizeof(path)) < 0)
        return;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    fprintf(f, "%u %s %lld %s\n", e->port, e->vm_ip, (long long)e->expires, e->name);
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

void vmssh_note_drop(const char *state_dir, const char *vm_id)
{
    char path[4096];
    if (note_path(state_dir, vm_id, path, sizeof(path)) == 0)
        unlink(path);
}

void vmssh_notes_sync(const char *state_dir, const vmssh_fwd_list_t *l)
{
    char dir[4096];
    if (note_path(state_dir, NULL, dir, sizeof(dir)) < 0)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] != '.' && !vmssh_fwd_find(l, de->d_name))
                vmssh_note_drop(state_dir, de->d_name);
        }
        closedir(d);
    }
    uint8_t *used = calloc(65536 / 8, 1);
    for (size_t i = 0; i < l->n; i++) {
        vmssh_entry_t have;
        const vmssh_entry_t *e = &l->v[i];
        /* nft reports what is left of a timeout in whole seconds: a note
         * a second off is still right. */
        if (vmssh_note_load(state_dir, e->vm_id, &have) < 0 || have.port != e->port ||
            strcmp(have.vm_ip, e->vm_ip) != 0 || strcmp(have.name, e->name) != 0 ||
            (have.expires != e->expires &&
             (!have.expires || !e->expires || llabs(have.expires - e->expires) > 2)))
            vmssh_note_store(state_dir, e);
        if (used)
            used[l->v[i].port >> 3] |= (uint8_t)(1u << (l->v[i].port & 7));
    }
    if (used)
        vmssh_hint_store(state_dir, used);
    free(used);
}
