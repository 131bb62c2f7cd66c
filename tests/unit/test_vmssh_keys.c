/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_keys.c - the SSH key checks of keys_validate.c: every line of
 * data/vmssh_keys.txt (ssh-keygen's keys and crafted bad ones of every
 * kind) gets its expected verdict, fresh ssh-keygen keys pass (when
 * ssh-keygen is installed), control characters and oversize lines are
 * refused, and GitHub logins follow GitHub's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmssh_int.h"

static vmssh_key_status_t expected(const char *word)
{
    static const struct {
        const char *word;
        vmssh_key_status_t st;
    } map[] = {
        {"ok", VMSSH_KEY_OK},
        {"rsa_too_short", VMSSH_KEY_RSA_TOO_SHORT},
        {"bad_type", VMSSH_KEY_BAD_TYPE},
        {"mismatch", VMSSH_KEY_TYPE_MISMATCH},
        {"bad_blob", VMSSH_KEY_BAD_BLOB},
        {"bad_base64", VMSSH_KEY_BAD_BASE64},
        {"bad_format", VMSSH_KEY_BAD_FORMAT},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].word, word) == 0)
            return map[i].st;
    }
    fail_msg("unknown verdict '%s' in vmssh_keys.txt", word);
    return VMSSH_KEY_EMPTY;
}

static void test_vectors(void **state)
{
    (void)state;
    FILE *f = fopen(VMDNS_TEST_DATA "/vmssh_keys.txt", "r");
    assert_non_null(f);
    char buf[16384];
    int n = 0, n_ok = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#' || buf[0] == '\0')
            continue;
        char *verdict = buf, *name = strchr(buf, ' ');
        assert_non_null(name);
        *name++ = '\0';
        char *line = strchr(name, ' ');
        assert_non_null(line);
        *line++ = '\0';
        vmssh_key_t k;
        vmssh_key_status_t got = vmssh_key_parse(line, strlen(line), &k);
        if (got != expected(verdict))
            fail_msg("%s: expected %s, got '%s'", name, verdict, vmssh_key_strerror(got));
        if (got == VMSSH_KEY_OK) {
            n_ok++;
            assert_non_null(k.type);
            assert_true(strncmp(line, k.type, strlen(k.type)) == 0);
            assert_true(k.b64 > line && k.b64 + k.b64_len <= line + strlen(line));
            assert_true(k.bits >= 256);
        }
        n++;
    }
    fclose(f);
    assert_true(n >= 40);
    assert_true(n_ok >= 10);
}

static void test_bits_and_fields(void **state)
{
    (void)state;
    /* ssh-keygen -t rsa -b 3072 and -t ecdsa -b 521 from the vectors. */
    FILE *f = fopen(VMDNS_TEST_DATA "/vmssh_keys.txt", "r");
    assert_non_null(f);
    char buf[16384];
    int seen = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *line = strstr(buf, " keygen_");
        if (!line || strncmp(buf, "ok ", 3) != 0)
            continue;
        line = strchr(line + 1, ' ') + 1;
        vmssh_key_t k;
        assert_int_equal(vmssh_key_parse(line, strlen(line), &k), VMSSH_KEY_OK);
        unsigned want = strstr(buf, "rsab3072")    ? 3072
                        : strstr(buf, "rsab2048")  ? 2048
                        : strstr(buf, "ecdsab521") ? 521
                        : strstr(buf, "ecdsab384") ? 384
                                                   : 256;
        assert_int_equal(k.bits, want);
        /* The comment is not part of the key. */
        assert_int_equal(k.b64[k.b64_len], ' ');
        seen++;
    }
    fclose(f);
    assert_int_equal(seen, 6);
}

static void test_control_characters(void **state)
{
    (void)state;
    const char *good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDfLGxm7s0mrFD8Q6vX/"
                       "jV0fVlp2P0z+G+/p4CldVpB";
    vmssh_key_t k;
    assert_int_equal(vmssh_key_parse(good, strlen(good), &k), VMSSH_KEY_OK);
    char buf[256];
    /* A second line smuggled in through the comment, a CR, a NUL, DEL. */
    const char *tails[] = {" x\ncommand=\"sh\" ssh-ed25519 AAAA", " x\r", " x\x7f"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s", good, tails[i]);
        assert_int_equal(vmssh_key_parse(buf, strlen(buf), &k), VMSSH_KEY_BAD_FORMAT);
    }
    memcpy(buf, good, strlen(good));
    buf[strlen(good)] = '\0';
    assert_int_equal(vmssh_key_parse(buf, strlen(good) + 1, &k), VMSSH_KEY_BAD_FORMAT);
    /* Surrounding blanks and tabs are fine; a blank line is EMPTY. */
    snprintf(buf, sizeof buf, "  \t%s\t comment here  ", good);
    assert_int_equal(vmssh_key_parse(buf, strlen(buf), &k), VMSSH_KEY_OK);
    assert_int_equal(vmssh_key_parse("", 0, &k), VMSSH_KEY_EMPTY);
    assert_int_equal(vmssh_key_parse(" \t ", 3, &k), VMSSH_KEY_EMPTY);
    /* Only len bytes are read: the same good line cut short is bad. */
    assert_int_not_equal(vmssh_key_parse(good, strlen(good) - 4, &k), VMSSH_KEY_OK);
}

static void test_oversize(void **state)
{
    (void)state;
    size_t n = 20000;
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, "ssh-rsa ", 8);
    memset(buf + 8, 'A', n - 8);
    buf[n] = '\0';
    vmssh_key_t k;
    assert_int_equal(vmssh_key_parse(buf, n, &k), VMSSH_KEY_BAD_BASE64);
    free(buf);
    for (int st = VMSSH_KEY_OK; st <= VMSSH_KEY_RSA_TOO_SHORT; st++)
        assert_non_null(vmssh_key_strerror((vmssh_key_status_t)st));
}

/* Keys made now by ssh-keygen, when it is installed. */
static void test_fresh_keygen(void **state)
{
    (void)state;
    if (system("command -v ssh-keygen >/dev/null 2>&1") != 0)
        skip();
    char dir[] = "/tmp/vmssh-keys-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const struct {
        const char *args;
        vmssh_key_status_t st;
    } kinds[] = {
        {"-t ed25519", VMSSH_KEY_OK},      {"-t ecdsa -b 256", VMSSH_KEY_OK},
        {"-t ecdsa -b 384", VMSSH_KEY_OK}, {"-t ecdsa -b 521", VMSSH_KEY_OK},
        {"-t rsa -b 2048", VMSSH_KEY_OK},  {"-t rsa -b 1024", VMSSH_KEY_RSA_TOO_SHORT},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char cmd[512], path[128];
        snprintf(path, sizeof path, "%s/k%zu", dir, i);
        snprintf(cmd, sizeof cmd, "ssh-keygen -q %s -N '' -C 'fresh key' -f %s </dev/null",
                 kinds[i].args, path);
        assert_int_equal(system(cmd), 0);
        char pub[160];
        snprintf(pub, sizeof pub, "%s.pub", path);
        FILE *f = fopen(pub, "r");
        assert_non_null(f);
        char line[4096];
        assert_non_null(fgets(line, sizeof line, f));
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        vmssh_key_t k;
        assert_int_equal(vmssh_key_parse(line, strlen(line), &k), kinds[i].st);
        unlink(path);
        unlink(pub);
    }
    rmdir(dir);
}

static void test_github_logins(void **state)
{
    (void)state;
    assert_true(vmssh_valid_github_login("octocat"));
    assert_true(vmssh_valid_github_login("a"));
    assert_true(vmssh_valid_github_login("Mona-Lisa-2"));
    assert_true(vmssh_valid_github_login("0"));
    char l[48];
    memset(l, 'a', 39);
    l[39] = '\0';
    assert_true(vmssh_valid_github_login(l));
    l[39] = 'a';
    l[40] = '\0';
    assert_false(vmssh_valid_github_login(l));
    assert_false(vmssh_valid_github_login(NULL));
    assert_false(vmssh_valid_github_login(""));
    assert_false(vmssh_valid_github_login("-octocat"));
    assert_false(vmssh_valid_github_login("octocat-"));
    assert_false(vmssh_valid_github_login("octo--cat"));
    assert_false(vmssh_valid_github_login("octo_cat"));
    assert_false(vmssh_valid_github_login("octo.cat"));
    assert_false(vmssh_valid_github_login("octo/cat"));
    assert_false(vmssh_valid_github_login("../etc"));
    assert_false(vmssh_valid_github_login("octo cat"));
    assert_false(vmssh_valid_github_login("octo%2fcat"));
    assert_false(vmssh_valid_github_login("oct\xc3\xb6"));
    assert_false(vmssh_valid_github_login("-"));
}

#define BASE_CFG "external_interface: eth0\nport_range: 30000-30010\npublic_ipv4: 203.0.113.1\n"
#define ED_KEY   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDfLGxm7s0mrFD8Q6vX/jV0fVlp2P0z+G+/p4CldVpB"
#define DSA_KEY  "ssh-dss AAAAB3NzaC1kc3MAAACBAM+q"

static void test_github_config(void **state)
{
    (void)state;
    vmssh_config_t c;
    vmssh_error_t err;
    const char *t = BASE_CFG;
    assert_int_equal(vmssh_config_parse(t, strlen(t), "v.yaml", &c, &err), 0);
    assert_string_equal(c.github.api_url, "https://api.github.com");
    assert_int_equal(c.github.timeout_ms, 5000);
    assert_int_equal(c.github.retries, 2);
    assert_int_equal(c.github.max_stale_s, 3600);
    assert_null(c.github.token_file);
    assert_null(c.github.cache_dir);
    assert_null(c.github.options);
    vmssh_config_free(&c);
    t = BASE_CFG "github:\n  api_url: http://127.0.0.1:8080/api/v3/\n  token_file: /etc/t\n"
                 "  timeout: 2s\n  retries: 0\n  cache_dir: /var/cache/vmssh\n"
                 "  ca_file: /etc/ca.pem\n  max_stale: 10m\n  options: restrict,pty\n";
    assert_int_equal(vmssh_config_parse(t, strlen(t), "v.yaml", &c, &err), 0);
    assert_string_equal(c.github.api_url, "http://127.0.0.1:8080/api/v3");
    assert_string_equal(c.github.token_file, "/etc/t");
    assert_int_equal(c.github.timeout_ms, 2000);
    assert_int_equal(c.github.retries, 0);
    assert_string_equal(c.github.cache_dir, "/var/cache/vmssh");
    assert_string_equal(c.github.ca_file, "/etc/ca.pem");
    assert_int_equal(c.github.max_stale_s, 600);
    assert_string_equal(c.github.options, "restrict,pty");
    vmssh_config_free(&c);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {BASE_CFG "github:\n  colour: red\n", "v.yaml:5: github: unknown key 'colour'"},
        {BASE_CFG "github:\n  api_url: ftp://x\n", "v.yaml:5: github.api_url: 'ftp://x'"},
        {BASE_CFG "github:\n  api_url: https://a b\n", "v.yaml:5: github.api_url: blanks"},
        {BASE_CFG "github:\n  timeout: soon\n", "v.yaml:5: github.timeout: bad duration"},
        {BASE_CFG "github:\n  timeout: 0s\n", "v.yaml:5: github.timeout: bad duration"},
        {BASE_CFG "github:\n  retries: 99\n", "v.yaml:5: github.retries:"},
        {BASE_CFG "github:\n  max_stale: x\n", "v.yaml:5: github.max_stale: bad duration"},
        {BASE_CFG "github:\n  options: \"a\\nb\"\n", "v.yaml:5: github.options: control"},
        {BASE_CFG "github:\n  options: a b\n", "v.yaml:5: github.options: blanks"},
        {BASE_CFG "github:\n  token_file: [a]\n", "v.yaml:5: github.token_file: expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(vmssh_config_parse(bad[i].text, strlen(bad[i].text), "v.yaml", &c, &err),
                         -1);
        assert_int_equal(err.code, VMSSH_ERR_CONFIG);
        if (strncmp(err.message, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("case %zu: got '%s', want '%s...'", i, err.message, bad[i].msg);
    }
}

static int n_warn;
static void count_warn(void *ud, const char *msg)
{
    (void)ud;
    assert_non_null(strstr(msg, "octocat"));
    n_warn++;
}

static void test_json(void **state)
{
    (void)state;
    vmssh_keyset_t set = {0};
    vmssh_error_t err;
    const char *body =
        "[{\"id\": 1, \"key\": \"" ED_KEY "\"}, {\"id\": 2, \"key\": \"" DSA_KEY
        "\"}, {\"id\": 3}, 7, {\"id\": 4, \"key\": \"" ED_KEY " c\\nrestrict " ED_KEY "\"}]";
    n_warn = 0;
    assert_int_equal(
        vmssh_keys_from_json(body, strlen(body), "octocat", &set, count_warn, NULL, &err), 0);
    assert_int_equal(set.n, 1);
    assert_int_equal(set.dropped, 4);
    assert_int_equal(n_warn, 4);
    assert_string_equal(set.v[0].key, ED_KEY);
    assert_string_equal(set.v[0].login, "octocat");
    /* A second login adds to the same set. */
    assert_int_equal(vmssh_keys_from_json("[]", 2, "hubot", &set, NULL, NULL, &err), 0);
    assert_int_equal(set.n, 1);
    vmssh_keyset_free(&set);
    const char *bad[] = {
        "", "{\"key\": 1}", "[{\"id\": 1, \"key\": ", "null", "\"x\"", "[1] trailing"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            vmssh_keys_from_json(bad[i], strlen(bad[i]), "octocat", &set, NULL, NULL, &err), -1);
        assert_int_equal(err.code, VMSSH_ERR_KEYS);
        assert_non_null(strstr(err.message, "octocat"));
        assert_int_equal(set.n, 0);
    }
    vmssh_keyset_free(&set);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_write(void **state)
{
    (void)state;
    char dir[] = "/tmp/vmssh-akeys-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/authorized_keys", dir);
    vmssh_keyset_t set = {0};
    vmssh_error_t err;
    const char *b1 = "[{\"id\": 1, \"key\": \"" ED_KEY "\"}]";
    assert_int_equal(vmssh_keys_from_json(b1, strlen(b1), "octocat", &set, NULL, NULL, &err), 0);
    assert_int_equal(vmssh_keys_from_json(b1, strlen(b1), "hubot", &set, NULL, NULL, &err), 0);
    mode_t old = umask(0);
    assert_int_equal(vmssh_keys_write(path, &set, NULL, &err), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_string_equal(slurp(path), ED_KEY " github:octocat\n" ED_KEY " github:hubot\n");
    assert_int_equal(vmssh_keys_write(path, &set, "restrict,pty", &err), 0);
    assert_string_equal(slurp(path), "restrict,pty " ED_KEY " github:octocat\n"
                                     "restrict,pty " ED_KEY " github:hubot\n");
    /* Bad options or an unwritable place: the old file stays, no temp. */
    assert_int_equal(vmssh_keys_write(path, &set, "a\nb", &err), -1);
    char nowhere[160];
    snprintf(nowhere, sizeof nowhere, "%s/no/such/dir", dir);
    assert_int_equal(vmssh_keys_write(nowhere, &set, NULL, &err), -1);
    assert_int_equal(err.code, VMSSH_ERR_SYSTEM);
    assert_string_equal(slurp(path), "restrict,pty " ED_KEY " github:octocat\n"
                                     "restrict,pty " ED_KEY " github:hubot\n");
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    vmssh_keyset_free(&set);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_bits_and_fields),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_fresh_keygen),
        cmocka_unit_test(test_github_logins),
        cmocka_unit_test(test_github_config),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
