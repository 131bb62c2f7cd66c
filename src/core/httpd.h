/*
 * httpd.h - the small HTTP endpoints of vmdnsd (/metrics, /health, /ready).
 *
 * Each endpoint is a libevent evhttp on the control thread's event_base,
 * never on a worker, so a slow scraper can never delay a DNS answer. This
 * module only does the parts the three plugins share: parsing the listen
 * address the CoreDNS way ("127.0.0.1:9153", "[::1]:8080", ":8181"),
 * binding it (so a port in use fails at startup with a clear message), and
 * replying with text.
 */
#ifndef VMDNS_CORE_HTTPD_H
#define VMDNS_CORE_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct evhttp;
struct evhttp_request;

/* Parse "host:port", "[v6addr]:port" or ":port" (every address). The host
 * must be a numeric address or "localhost". Returns 0, or -1 with a reason
 * in err. */
int httpd_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err,
                     size_t errlen);

/* Create an evhttp on `base` listening on `addr` (GET and HEAD only).
 * *bound_port (if not NULL) gets the port actually bound (for ":0").
 * Returns NULL with a reason in err. Free with evhttp_free(). */
struct evhttp *httpd_listen(struct event_base *base, const char *addr, uint16_t *bound_port,
                            char *err, size_t errlen);

/* Send a complete reply: status code, reason phrase, content type and body. */
void httpd_reply(struct evhttp_request *req, int code, const char *reason, const char *content_type,
                 const char *body, size_t len);

/* The common case: a text/plain body given as a C string. */
void httpd_reply_text(struct evhttp_request *req, int code, const char *reason, const char *body);

#endif
