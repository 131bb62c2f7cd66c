/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ssh_key.c - libFuzzer harness for libvmssh's key-line parser
 * (vmssh_key_parse), which judges text fetched from GitHub before it can
 * reach a VM's authorized_keys, and for the GitHub login check.
 *
 * Beyond "no crash", an accepted key is held to what the writer relies on:
 * no control character anywhere in the line, the base64 span inside the
 * input, an allowed type at least as strong as required, and the line
 * rebuilt as "TYPE BASE64" (what authorized_keys gets) accepted again with
 * the same verdict and strength. A violated check aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmssh_int.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_ssh_key: check failed: %s (line %d)\n", #cond, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy: out-of-bounds reads past size are caught by ASan. */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    vmssh_key_t k;
    vmssh_key_status_t st = vmssh_key_parse(line, size, &k);
    FUZZ_CHECK(vmssh_key_strerror(st) != NULL);
    if (st == VMSSH_KEY_OK) {
        for (size_t i = 0; i < size; i++)
            FUZZ_CHECK((unsigned char)line[i] >= 0x20 || line[i] == '\t');
        FUZZ_CHECK(k.type && k.b64 >= line && k.b64 + k.b64_len <= line + size);
        FUZZ_CHECK(k.bits >= 256);
        if (strcmp(k.type, "ssh-rsa") == 0)
            FUZZ_CHECK(k.bits >= 2048);
        size_t tl = strlen(k.type), n = tl + 1 + k.b64_len;
        char *again = malloc(n);
        FUZZ_CHECK(again != NULL);
        memcpy(again, k.type, tl);
        again[tl] = ' ';
        memcpy(again + tl + 1, k.b64, k.b64_len);
        vmssh_key_t k2;
        FUZZ_CHECK(vmssh_key_parse(again, n, &k2) == VMSSH_KEY_OK);
        FUZZ_CHECK(k2.type == k.type && k2.bits == k.bits && k2.b64_len == k.b64_len);
        free(again);
    }
    /* The same bytes as a login (up to the first NUL). */
    char *login = malloc(size + 1);
    if (login) {
        memcpy(login, data, size);
        login[size] = '\0';
        if (vmssh_valid_github_login(login)) {
            size_t n = strlen(login);
            FUZZ_CHECK(n >= 1 && n <= 39 && login[0] != '-' && login[n - 1] != '-');
            FUZZ_CHECK(strstr(login, "--") == NULL && strspn(login, "abcdefghijklmnopqrstuvwxyz"
                                                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                    "0123456789-") == n);
        }
        free(login);
    }
    free(line);
    return 0;
}
