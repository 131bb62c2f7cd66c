/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keys_fetch.c - fetches one GitHub user's public keys (GET
 * {api_url}/users/{login}/keys) with libcurl, politely: a capped answer
 * (1 MiB), a timeout, bounded retries with backoff on 5xx and network
 * errors only, rate limits turned into an error that says when to retry,
 * and an ETag cache (If-None-Match; a 304 costs no rate limit) that also
 * stands in, while younger than max_stale, when GitHub cannot be asked.
 * The token is read from token_file and only ever put in the header.
 */
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmssh_int.h"

#define BODY_MAX (1u << 20)

typedef struct {
    char *buf;
    size_t len, cap;
    bool too_big;
    char etag[256];
    long ratelimit_remaining; /* -1: no header */
    long long ratelimit_reset;
    long retry_after; /* -1: no header */
} resp_t;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    resp_t *r = ud;
    size_t n = sz * nm;
    if (r->len + n > BODY_MAX) {
        r->too_big = true;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return 0;
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    r->buf[r->len] = '\0';
    return n;
}

/* "Name: value" into value (trimmed) if the header is name. */
static bool header_is(const char *line, size_t n, const char *name, char *val, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return false;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(val, v, len);
    val[len] = '\0';
    return true;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    resp_t *r = ud;
    size_t n = sz * nm;
    char v[256];
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response (after a 100) */
        r->etag[0] = '\0';
        r->ratelimit_remaining = r->retry_after = -1;
        r->ratelimit_reset = 0;
    } else if (header_is(p, n, "ETag", v, sizeof v)) {
        snprintf(r->etag, sizeof r->etag, "%s", v);
    } else if (header_is(p, n, "X-RateLimit-Remaining", v, sizeof v)) {
        r->ratelimit_remaining = strtol(v, NULL, 10);
    } else if (header_is(p, n, "X-RateLimit-Reset", v, sizeof v)) {
        r->ratelimit_reset = strtoll(v, NULL, 10);
    } else if (header_is(p, n, "Retry-After", v, sizeof v)) {
        /* Seconds, or an HTTP date (RFC 9110). */
        char *end;
        long secs = strtol(v, &end, 10);
        struct tm tm = {0};
        if (end != v && !*end && secs >= 0) {
            r->retry_after = secs;
        } else if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
            time_t at = timegm(&tm), now = time(NULL);
            r->retry_after = at > now ? (long)(at - now) : 0;
        }
    }
    return n;
}

static char *read_small(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max + 1, f) : 0;
    fclose(f);
    if (!b || n > max) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

/* Write data to path atomically (cache files). */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0 && errno != EINTR)
            break;
        if (w > 0)
            off += (size_t)w;
    }
    if (close(fd) < 0 || off < len || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    char body[4096], etag[4096];
    bool on;
} cache_t;

static void say(void (*note)(void *, const char *), void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(void (*note)(void *, const char *), void *ud, const char *fmt, ...)
{
    if (!note)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    note(ud, msg);
}

/* Use the cached answer (older than the question allows: max_stale). */
static int use_stale(const vmssh_github_config_t *g, const cache_t *c, const char *login,
                     const char *why, vmssh_keyset_t *set, void (*note)(void *, const char *),
                     void *ud, vmssh_error_t *err)
{
    struct stat st;
    if (!c->on || stat(c->body, &st) < 0)
        return -1;
    time_t age = time(NULL) - st.st_mtime;
    if (age < 0 || (uint64_t)age > g->max_stale_s)
        return -1;
    size_t len;
    char *body = read_small(c->body, BODY_MAX, &len);
    if (!body)
        return -1;
    int rc = vmssh_keys_from_json(body, len, login, set, note, ud, err);
    free(body);
    if (rc == 0)
        say(note, ud, "keys of %s: %s; using the cached copy from %lds ago", login, why, (long)age);
    return rc;
}

int vmssh_keys_fetch(const vmssh_github_config_t *g, const char *login, vmssh_keyset_t *set,
                     void (*note)(void *ud, const char *msg), void *ud, vmssh_error_t *err)
{
    if (!vmssh_valid_github_login(login))
        return vmssh_fail(err, VMSSH_ERR_INVALID,
                          "bad GitHub login '%s' (letters, digits, single inner hyphens, at most "
                          "39 characters)",
                          login);
    size_t before = set->n;
    /* A token goes in clear over http:// only to this machine (tests). */
    if (g->token_file && strncmp(g->api_url, "http://", 7) == 0) {
        const char *host = g->api_url + 7;
        size_t hl = strcspn(host, ":/");
        bool local = (hl == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
                     (hl == 9 && strncmp(host, "localhost", 9) == 0) ||
                     strncmp(host, "[::1]", 5) == 0;
        if (!local)
            return vmssh_fail(err, VMSSH_ERR_CONFIG,
                              "github.api_url %s is plain http: the token is sent only over "
                              "https (or to 127.0.0.1)",
                              g->api_url);
    }
    char token[512] = "";
    if (g->token_file) {
        size_t n;
        char *t = read_small(g->token_file, 400, &n);
        if (!t)
            return vmssh_fail(err, VMSSH_ERR_KEYS,
                              "github.token_file %s: cannot read it (or "
                              "over 400 bytes)",
                              g->token_file);
        while (n && isspace((unsigned char)t[n - 1]))
            t[--n] = '\0';
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f) {
                free(t);
                return vmssh_fail(err, VMSSH_ERR_KEYS,
                                  "github.token_file %s: blanks or control characters in the "
                                  "token",
                                  g->token_file);
            }
        }
        snprintf(token, sizeof token, "Authorization: Bearer %s", t);
        free(t);
    }
    cache_t c = {.on = g->cache_dir != NULL};
    char lower[40];
    size_t ll = 0;
    for (; login[ll]; ll++)
        lower[ll] = (char)tolower((unsigned char)login[ll]);
    lower[ll] = '\0';
    if (c.on) {
        if (mkdir(g->cache_dir, 0700) < 0 && errno != EEXIST)
            say(note, ud, "keys of %s: cannot create cache_dir %s: %s", login, g->cache_dir,
                strerror(errno));
        snprintf(c.body, sizeof c.body, "%s/%s.keys.json", g->cache_dir, lower);
        snprintf(c.etag, sizeof c.etag, "%s/%s.etag", g->cache_dir, lower);
    }
    char *etag = c.on ? read_small(c.etag, 255, NULL) : NULL;
    if (etag && access(c.body, R_OK) != 0) {
        free(etag);
        etag = NULL;
    }
    pthread_once(&curl_once, curl_init);
    CURL *cu = curl_easy_init();
    if (!cu) {
        free(etag);
        return vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory (curl)");
    }
    char url[4200], inm[300];
    snprintf(url, sizeof url, "%s/users/%s/keys", g->api_url, login);
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Accept: application/vnd.github+json");
    hdr = curl_slist_append(hdr, "X-GitHub-Api-Version: 2022-11-28");
    if (token[0])
        hdr = curl_slist_append(hdr, token);
    if (etag) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        hdr = curl_slist_append(hdr, inm);
    }
    free(etag);
    resp_t r = {0};
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(cu, CURLOPT_USERAGENT, "vmssh");
    curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)g->timeout_ms);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(cu, CURLOPT_HEADERDATA, &r);
    if (g->ca_file)
        curl_easy_setopt(cu, CURLOPT_CAINFO, g->ca_file);
    int rc = -1;
    char why[300] = "";
    long status = 0;
    for (uint32_t attempt = 0;; attempt++) {
        r.len = 0;
        r.too_big = false;
        CURLcode cc = curl_easy_perform(cu);
        status = 0;
        curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
        bool transient;
        if (r.too_big) {
            snprintf(why, sizeof why, "GitHub's answer is over 1 MiB");
            transient = false;
        } else if (cc != CURLE_OK) {
            snprintf(why, sizeof why, "GitHub unreachable (%s)", curl_easy_strerror(cc));
            /* A certificate problem will not mend itself by retrying. */
            transient = cc != CURLE_PEER_FAILED_VERIFICATION && cc != CURLE_SSL_CACERT_BADFILE &&
                        cc != CURLE_SSL_CONNECT_ERROR && cc != CURLE_UNSUPPORTED_PROTOCOL;
        } else if (status >= 500) {
            snprintf(why, sizeof why, "GitHub answered HTTP %ld", status);
            transient = true;
        } else {
            break;
        }
        if (!transient || attempt >= g->retries) {
            status = -1;
            break;
        }
        say(note, ud, "keys of %s: %s; retrying", login, why);
        usleep((useconds_t)(200000u << (attempt < 5 ? attempt : 5)));
    }
    if (status == 200) {
        vmssh_keyset_t got = {0};
        if (vmssh_keys_from_json(r.buf ? r.buf : "", r.len, login, &got, note, ud, err) == 0) {
            if (c.on && (write_file(c.body, r.buf ? r.buf : "", r.len) < 0 ||
                         (r.etag[0] ? write_file(c.etag, r.etag, strlen(r.etag))
                                    : (unlink(c.etag), 0)) < 0))
                say(note, ud, "keys of %s: cannot write the cache in %s", login, g->cache_dir);
            rc = 0;
        }
        set->dropped += got.dropped;
        if (rc == 0) { /* move got's items into set */
            for (size_t i = 0; i < got.n; i++) {
                if (set->n == set->cap) {
                    size_t cap = set->cap ? set->cap * 2 : 8;
                    void *v = realloc(set->v, cap * sizeof *set->v);
                    if (!v) {
                        rc = vmssh_fail(err, VMSSH_ERR_NOMEM, "out of memory");
                        break;
                    }
                    set->v = v;
                    set->cap = cap;
                }
                set->v[set->n++] = got.v[i];
                got.v[i].login = got.v[i].key = NULL;
            }
        }
        vmssh_keyset_free(&got);
    } else if (status == 304 && c.on) {
        size_t len;
        char *body = read_small(c.body, BODY_MAX, &len);
        if (!body) {
            rc = vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: 304 but the cache is gone", login);
        } else {
            rc = vmssh_keys_from_json(body, len, login, set, note, ud, err);
            utimensat(AT_FDCWD, c.body, NULL, 0); /* confirmed now: fresh again */
            free(body);
        }
    } else if (status == 404) {
        rc = vmssh_fail(err, VMSSH_ERR_KEYS, "GitHub user '%s' not found", login);
    } else if ((status == 403 || status == 429) &&
               (r.ratelimit_remaining == 0 || r.retry_after >= 0)) {
        time_t now = time(NULL), when = now + 60;
        if (r.retry_after >= 0)
            when = now + r.retry_after;
        else if (r.ratelimit_reset > 0)
            when = (time_t)r.ratelimit_reset;
        struct tm tm;
        char at[32];
        gmtime_r(&when, &tm);
        strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S UTC", &tm);
        snprintf(why, sizeof why, "GitHub rate limit reached (HTTP %ld); retry after %s (in %llds)",
                 status, at, (long long)(when > now ? when - now : 0));
        if (use_stale(g, &c, login, why, set, note, ud, err) == 0)
            rc = 0;
        else
            rc = vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: %s", login, why);
    } else if (status == -1) {
        if (use_stale(g, &c, login, why, set, note, ud, err) == 0)
            rc = 0;
        else
            rc = vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: %s", login, why);
    } else {
        rc = vmssh_fail(err, VMSSH_ERR_KEYS, "keys of %s: GitHub answered HTTP %ld", login, status);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(cu);
    free(r.buf);
    explicit_bzero(token, sizeof token);
    if (rc == 0 && set->n == before)
        rc = vmssh_fail(err, VMSSH_ERR_KEYS, "GitHub user '%s' has no usable SSH key", login);
    return rc;
}
