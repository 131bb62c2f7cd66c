/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_reply_cap.c - unit tests of src/common/reply_cap.c: a hiredis reader
 * with a cap installed refuses a string over max_bulk and a reply over
 * max_total as they are parsed, says why, and the buffer check catches a
 * huge bulk string while it is still being received; replies under the
 * caps parse as before, and a reader installed with NULL uses the
 * thread's default caps. With an arena (async readers), replies read the
 * same, a second reply reuses the first one's memory, nested arrays and a
 * big string work, the caps still apply, and replies freed after the
 * owner let go of the arena (as hiredis may do) are freed with it (ASan
 * sees any leak or use after free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/reply_arena.h"
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

static redisReader *arena_reader(vmdns_reply_cap_t *cap)
{
    redisReader *r = redisReaderCreate();
    assert_non_null(r);
    assert_int_equal(vmdns_reply_cap_install_arena(r, cap), 0);
    assert_non_null(cap->arena);
    return r;
}

static redisReply *get(redisReader *r)
{
    void *reply = NULL;
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    assert_non_null(reply);
    return reply;
}

static void arena_replies_read_the_same(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 1 << 20, 1 << 24);
    redisReader *r = arena_reader(&cap);
    feed(r, "*4\r\n$5\r\nhello\r\n:42\r\n$-1\r\n*2\r\n$0\r\n\r\n-ERR no\r\n+OK\r\n");
    redisReply *a = get(r);
    assert_int_equal(a->type, REDIS_REPLY_ARRAY);
    assert_int_equal(a->elements, 4);
    assert_string_equal(a->element[0]->str, "hello");
    assert_int_equal(a->element[0]->len, 5);
    assert_int_equal(a->element[1]->type, REDIS_REPLY_INTEGER);
    assert_int_equal(a->element[1]->integer, 42);
    assert_int_equal(a->element[2]->type, REDIS_REPLY_NIL);
    redisReply *inner = a->element[3];
    assert_int_equal(inner->type, REDIS_REPLY_ARRAY);
    assert_int_equal(inner->elements, 2);
    assert_int_equal(inner->element[0]->len, 0);
    assert_string_equal(inner->element[0]->str, "");
    assert_int_equal(inner->element[1]->type, REDIS_REPLY_ERROR);
    assert_string_equal(inner->element[1]->str, "ERR no");
    r->fn->freeObject(a);
    /* the next reply is built where the last one was */
    redisReply *b = get(r);
    assert_int_equal(b->type, REDIS_REPLY_STATUS);
    assert_string_equal(b->str, "OK");
    assert_ptr_equal(b, a);
    r->fn->freeObject(b);
    feed(r, "*0\r\n");
    redisReply *e = get(r);
    assert_int_equal(e->type, REDIS_REPLY_ARRAY);
    assert_int_equal(e->elements, 0);
    r->fn->freeObject(e);
    redisReaderFree(r);
    vmdns_reply_cap_release_arena(&cap);
    assert_null(cap.arena);
}

static void arena_big_replies(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 4 << 20, 64 << 20);
    redisReader *r = arena_reader(&cap);
    /* a 2 MB string (a block of its own), then 20,000 small elements (many
     * blocks), then a small reply again */
    size_t big = 2u << 20;
    char *body = malloc(big + 32);
    assert_non_null(body);
    int h = snprintf(body, 32, "$%zu\r\n", big);
    memset(body + h, 'v', big);
    memcpy(body + h + big, "\r\n", 2);
    assert_int_equal(redisReaderFeed(r, body, (size_t)h + big + 2), REDIS_OK);
    free(body);
    redisReply *s = get(r);
    assert_int_equal(s->len, big);
    assert_int_equal(s->str[0], 'v');
    assert_int_equal(s->str[big - 1], 'v');
    assert_int_equal(s->str[big], '\0');
    r->fn->freeObject(s);
    feed(r, "*20000\r\n");
    for (int i = 0; i < 20000; i++) {
        char item[32];
        snprintf(item, sizeof(item), "$%d\r\n%d\r\n",
                 i < 10      ? 1
                 : i < 100   ? 2
                 : i < 1000  ? 3
                 : i < 10000 ? 4
                             : 5,
                 i);
        feed(r, item);
    }
    redisReply *a = get(r);
    assert_int_equal(a->elements, 20000);
    for (int i = 0; i < 20000; i += 997) {
        char want[16];
        snprintf(want, sizeof(want), "%d", i);
        assert_string_equal(a->element[i]->str, want);
    }
    r->fn->freeObject(a);
    feed(r, ":7\r\n");
    redisReply *n = get(r);
    assert_int_equal(n->integer, 7);
    r->fn->freeObject(n);
    redisReaderFree(r);
    vmdns_reply_cap_release_arena(&cap);
}

static void arena_caps_still_apply(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 16, 1000);
    redisReader *r = arena_reader(&cap);
    void *reply = NULL;
    feed(r, "*2\r\n$3\r\nabc\r\n$17\r\n01234567890123456\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_non_null(strstr(cap.why, "reply string of 17 bytes"));
    redisReaderFree(r); /* the partial reply is freed through the arena */
    vmdns_reply_cap_release_arena(&cap);
    vmdns_reply_cap_init(&cap, 16, 1000);
    r = arena_reader(&cap);
    feed(r, "*100\r\n");
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
    assert_non_null(strstr(cap.why, "reply array of 100 elements"));
    redisReaderFree(r);
    vmdns_reply_cap_release_arena(&cap);
}

static void arena_outlives_its_owner(void **state)
{
    (void)state;
    vmdns_reply_cap_t cap;
    vmdns_reply_cap_init(&cap, 1 << 20, 1 << 24);
    redisReader *r = arena_reader(&cap);
    feed(r, "*2\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n$1\r\nc\r\n");
    redisReply *a = get(r); /* complete, in a callback */
    void *none = NULL;
    assert_int_equal(redisReaderGetReply(r, &none), REDIS_OK);
    assert_null(none); /* the second is partial: held by the reader */
    /* the owner lets go (redis_conn_close), the reader's privdata with it */
    vmdns_reply_cap_release_arena(&cap);
    r->privdata = NULL;
    assert_string_equal(a->element[1]->str, "b"); /* still readable */
    r->fn->freeObject(a);
    feed(r, "$1\r\nd\r\n");
    redisReaderFree(r); /* frees the partial reply, and the arena with it */
    /* a reader whose owner let go before a reply began: it gets an arena
     * of its own, freed with that reply */
    r = arena_reader(&cap);
    vmdns_reply_cap_release_arena(&cap);
    r->privdata = NULL;
    feed(r, "*1\r\n$2\r\nok\r\n");
    redisReply *late = get(r);
    assert_string_equal(late->element[0]->str, "ok");
    r->fn->freeObject(late);
    redisReaderFree(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_replies_pass),
        cmocka_unit_test(long_string_refused),
        cmocka_unit_test(big_reply_refused),
        cmocka_unit_test(huge_bulk_caught_while_received),
        cmocka_unit_test(null_cap_uses_defaults),
        cmocka_unit_test(arena_replies_read_the_same),
        cmocka_unit_test(arena_big_replies),
        cmocka_unit_test(arena_caps_still_apply),
        cmocka_unit_test(arena_outlives_its_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
