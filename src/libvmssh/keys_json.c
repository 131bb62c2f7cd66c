/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys_json.c - turns GitHub's answer to GET /users/LOGIN/keys (a JSON list
 * of {"id": N, "key": "TYPE BASE64"}) into checked key lines. Every key
 * goes through vmssh_key_parse; refused ones are reported and counted, not
 * written. A body that is not such a list is an error, never a crash.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmssh_int.h"

void vmssh_keyset_free(vmssh_keyset_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].login);
        free(s->v[i].key);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int keyset_add(vmssh_keyset_t *s, const char *login, const vmssh_key_t *k)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        void *v = realloc(s->v, cap * sizeof *s->v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    size_t tl = strlen(k->type);
    char *line = malloc(tl + 1 + k->b64_len + 1);
    char *l = strdup(login);
    if (!line || !l) {
        free(line);
        free(l);
        return -1;
    }
    memcpy(line, k->type, tl);
    line[tl] = ' ';
    memcpy(line + tl + 1, k->b64, k->b64_len);
    line[tl + 1 + k->b64_len] = '\0';
    s->v[s->n].login = l;
    s->v[s->n].key = line;
    s->n++;
    return 0;
}

int vmssh_keys_from_json(const char *body, size_t len, const char *login, vmssh_keyset_t *set,
                         void (*warn)(void *ud, const char *msg), void *ud, vmssh_error_t *err)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: malformed JSON from GitHub (%s)", login,
                          je.text);
    if (!json_is_array(root)) {
        json_decref(root);
        return vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: GitHub's answer is not a list", login);
    }
    size_t i;
    json_t *item;
    json_array_foreach(root, i, item)
    {
        json_t *key = json_is_object(item) ? json_object_get(item, "key") : NULL;
        json_t *id = json_is_object(item) ? json_object_get(item, "id") : NULL;
        char msg[200];
        if (!json_is_string(key)) {
            snprintf(msg, sizeof msg, "keys of %s: entry %zu has no key string: dropped", login, i);
            set->dropped++;
            if (warn)
                warn(ud, msg);
            continue;
        }
        vmssh_key_t k;
        vmssh_key_status_t st =
            vmssh_key_parse(json_string_value(key), json_string_length(key), &k);
        if (st != VMSSH_KEY_OK) {
            snprintf(msg, sizeof msg, "keys of %s: key %lld dropped: %s", login,
                     json_is_integer(id) ? (long long)json_integer_value(id) : -1LL,
                     vmssh_key_strerror(st));
            set->dropped++;
            if (warn)
                warn(ud, msg);
            continue;
        }
        if (keyset_add(set, login, &k) < 0) {
            json_decref(root);
            return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
        }
    }
    json_decref(root);
    return 0;
}
