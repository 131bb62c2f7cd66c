/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_reply_cap.c - unit tests of src/common/reply_cap.c: a hiredis reader
 * with a cap installed refuses a string over max_bulk and a reply over
 * max_total as they are parsed, says why, and the buffer check catches a
 * huge bulk string while it is still being received; replies under the
 * caps parse as before, and a reader installed with NULL uses the
 * thread's default caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/reply_cap.h"

static redisReader *capped_reader(vmdns_reply_cap_t *cap)
{
    redisReader *r = redisReaderCreate();
    assert_non_null(r);
    vmdns_reply_cap_install(r, cap);
    return r;
}

static void feed(redisReader *r, const char *s)
{
    assert_int_equal(redisReaderFeed(r, s, strlen(s)), REDIS_OK);
}

static void small_replies_pass(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 16, 1000);
    redisReader *r = capped_reader(&cap);
    void *reply = NULL;
    feed(r, "*3\r\n$5\r\nhello\r\n:42\r\n$-1\r\n+OK\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    redisReply *rep = reply;
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 3);
    assert_string_equal(rep->element[0]->str, "hello");
    assert_int_equal(rep->element[1]->integer, 42);
    assert_int_equal(rep->element[2]->type, REDIS_REPLY_NIL);
    freeReplyObject(reply);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    assert_string_equal(((redisReply *)reply)->str, "OK");
    freeReplyObject(reply);
    assert_string_equal(cap.why, "");
    redisReaderFree(r);
}

static void long_string_refused(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 16, 1000);
    redisReader *r = capped_reader(&cap);
    void *reply = NULL;
    feed(r, "$17\r\n12345678901234567\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_null(reply);
    assert_non_null(strstr(cap.why, "reply string of 17 bytes, more than the cap of 16"));
    redisReaderFree(r);
}

static void big_reply_refused(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 100, 1500); /* 64 bytes per element + strings */
    redisReader *r = capped_reader(&cap);
    void *reply = NULL;
    char buf[4096] = "*20\r\n";
    for (int i = 0; i < 20; i++)
        strcat(buf, "$10\r\n0123456789\r\n");
    feed(r, buf);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_non_null(strstr(cap.why, "reply larger than 1500 bytes"));
    redisReaderFree(r);

    /* a declared array longer than the cap allows is refused at once */
    vmdns_reply_cap_init(&cap, 100, 1000);
    r = capped_reader(&cap);
    feed(r, "*1000000\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_non_null(strstr(cap.why, "reply array of 1000000 elements"));
    redisReaderFree(r);

    /* the total is per reply: many small replies in a row are fine */
    vmdns_reply_cap_init(&cap, 100, 1000);
    r = capped_reader(&cap);
    for (int i = 0; i < 100; i++) {
        feed(r, "*2\r\n$10\r\n0123456789\r\n$10\r\n0123456789\r\n");
        assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
        assert_non_null(reply);
        freeReplyObject(reply);
    }
    redisReaderFree(r);
}

static void huge_bulk_caught_while_received(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 1024, 1 << 20);
    redisReader *r = capped_reader(&cap);
    void *reply = NULL;
    feed(r, "$629145600\r\n");
    char *chunk = malloc(16384);
    assert_non_null(chunk);
    memset(chunk, 'x', 16384);
    size_t fed = 0;
    while (vmdns_reply_cap_buffer_ok(r, &cap)) {
        assert_int_equal(redisReaderFeed(r, chunk, 16384), REDIS_OK);
        assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
        assert_null(reply); /* incomplete */
        fed += 16384;
        assert_true(fed < (1u << 20)); /* stopped long before 600 MB */
    }
    assert_true(fed >= 64 * 1024);
    assert_non_null(strstr(cap.why, "reply element of more than 1024 bytes"));
    free(chunk);
    redisReaderFree(r);
}

static void null_cap_uses_defaults(void **state)
{
    (void)state;
    redisReader *r = capped_reader(NULL);
    void *reply = NULL;
    char head[32];
    snprintf(head, sizeof(head), "$%u\r\n", VMDNS_REPLY_DEFAULT_BULK + 1);
    feed(r, head);
    char *body = calloc(1, VMDNS_REPLY_DEFAULT_BULK + 3);
    assert_non_null(body);
    memset(body, 'y', VMDNS_REPLY_DEFAULT_BULK + 1);
    memcpy(body + VMDNS_REPLY_DEFAULT_BULK + 1, "\r\n", 2);
    assert_int_equal(redisReaderFeed(r, body, VMDNS_REPLY_DEFAULT_BULK + 3), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    free(body);
    redisReaderFree(r);
    /* and a reply under them passes */
    r = capped_reader(NULL);
    feed(r, "$3\r\nabc\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    assert_string_equal(((redisReply *)reply)->str, "abc");
    freeReplyObject(reply);
    redisReaderFree(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_replies_pass),     cmocka_unit_test(long_string_refused),
        cmocka_unit_test(big_reply_refused),      cmocka_unit_test(huge_bulk_caught_while_received),
        cmocka_unit_test(null_cap_uses_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
