/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_name_table.c - the RCU open-addressing index of a zone's names
 * (src/view/name_table.c): every name found after growth, tombstones reused
 * without unbounded growth, replace returns the old node, and readers that
 * race a writer growing the table never miss a name that was there all
 * along.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/rcu.h"

#include "dns/name.h"
#include "view/name_table.h"
#include "view/view_node.h"

#define NAMES 100000

static view_node_t *make(unsigned i)
{
    char text[64];
    uint8_t wire[NAME_MAX_WIRE];
    snprintf(text, sizeof(text), "vm-%u.vm.example.com.", i);
    size_t len = name_from_text(text, wire);
    assert_true(len > 0);
    return view_node_new(wire, len, NULL, 0, 0);
}

static uint64_t hash_of(const view_node_t *n)
{
    return name_hash(n->owner, n->owner_len);
}

static view_node_t *find(const name_table_t *t, const view_node_t *like)
{
    rcu_read_lock();
    view_node_t *n = name_table_lookup(t, hash_of(like), like->owner, like->owner_len);
    rcu_read_unlock();
    return n;
}

static void count_cb(view_node_t *node, void *ctx)
{
    (void)node;
    (*(size_t *)ctx)++;
}

static void test_grow_remove_reuse(void **state)
{
    (void)state;
    name_table_t t;
    assert_int_equal(name_table_init(&t, 0), 0);
    view_node_t **nodes = calloc(NAMES, sizeof(*nodes));
    int failed;
    for (unsigned i = 0; i < NAMES; i++) {
        nodes[i] = make(i);
        assert_null(name_table_put(&t, hash_of(nodes[i]), nodes[i], &failed));
        assert_int_equal(failed, 0);
    }
    for (unsigned i = 0; i < NAMES; i++)
        assert_ptr_equal(find(&t, nodes[i]), nodes[i]);
    size_t n = 0;
    name_table_foreach(&t, count_cb, &n);
    assert_int_equal(n, NAMES);

    /* Churn: remove and re-add half the names ten times. The table must
     * keep working and not grow: tombstones are reused or rebuilt away. */
    for (int round = 0; round < 10; round++) {
        for (unsigned i = 0; i < NAMES; i += 2)
            assert_ptr_equal(
                name_table_remove(&t, hash_of(nodes[i]), nodes[i]->owner, nodes[i]->owner_len),
                nodes[i]);
        for (unsigned i = 0; i < NAMES; i += 2)
            assert_null(find(&t, nodes[i]));
        for (unsigned i = 1; i < NAMES; i += 2)
            assert_ptr_equal(find(&t, nodes[i]), nodes[i]);
        for (unsigned i = 0; i < NAMES; i += 2)
            assert_null(name_table_put(&t, hash_of(nodes[i]), nodes[i], &failed));
    }
    assert_int_equal(t.live, NAMES);
    n = 0;
    name_table_foreach(&t, count_cb, &n);
    assert_int_equal(n, NAMES);

    /* Replacing a name returns the node it replaced. */
    view_node_t *again = make(7);
    assert_ptr_equal(name_table_put(&t, hash_of(again), again, &failed), nodes[7]);
    assert_ptr_equal(find(&t, nodes[7]), again);
    assert_int_equal(t.live, NAMES);
    view_node_free(nodes[7]);
    nodes[7] = again;

    synchronize_rcu();
    rcu_barrier(); /* old arrays are freed by call_rcu */
    for (unsigned i = 0; i < NAMES; i++)
        view_node_free(nodes[i]);
    free(nodes);
    name_table_destroy(&t);
}

/* ---- readers racing a growing, churning writer ---- */

#define STABLE 2000
#define GROWTH 200000

typedef struct race {
    name_table_t t;
    view_node_t *stable[STABLE];
    atomic_bool stop;              /* set by the writer when it is done */
    atomic_ulong passes;           /* full passes over the stable names, for the writer */
    unsigned long lookups, misses; /* the reader's own; read after the join */
} race_t;

static void *reader(void *arg)
{
    race_t *r = arg;
    rcu_register_thread();
    while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
        for (unsigned i = 0; i < STABLE; i++) {
            rcu_read_lock();
            view_node_t *n = name_table_lookup(&r->t, hash_of(r->stable[i]), r->stable[i]->owner,
                                               r->stable[i]->owner_len);
            if (n != r->stable[i])
                r->misses++;
            rcu_read_unlock();
            r->lookups++;
        }
        atomic_fetch_add_explicit(&r->passes, 1, memory_order_relaxed);
    }
    rcu_unregister_thread();
    return NULL;
}

static void test_readers_race_growth(void **state)
{
    (void)state;
    static race_t r;
    memset(&r, 0, sizeof(r));
    atomic_init(&r.stop, false);
    atomic_init(&r.passes, 0);
    assert_int_equal(name_table_init(&r.t, 0), 0);
    int failed;
    for (unsigned i = 0; i < STABLE; i++) {
        r.stable[i] = make(1000000 + i);
        name_table_put(&r.t, hash_of(r.stable[i]), r.stable[i], &failed);
    }
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &r), 0);
    view_node_t **grown = calloc(GROWTH, sizeof(*grown));
    for (unsigned i = 0; i < GROWTH; i++) {
        grown[i] = make(i);
        name_table_put(&r.t, hash_of(grown[i]), grown[i], &failed);
        assert_int_equal(failed, 0);
        if (i % 3 == 2) /* tombstones between the stable names' probes */
            name_table_remove(&r.t, hash_of(grown[i - 1]), grown[i - 1]->owner,
                              grown[i - 1]->owner_len);
    }
    /* Stop the reader only once it has made two whole passes (a count to
     * wait for, not a sleep), however the two threads were scheduled. */
    while (atomic_load_explicit(&r.passes, memory_order_relaxed) < 2)
        sched_yield();
    atomic_store_explicit(&r.stop, true, memory_order_release);
    pthread_join(th, NULL);
    assert_true(r.lookups >= 2 * STABLE);
    assert_int_equal(r.misses, 0);
    synchronize_rcu();
    rcu_barrier();
    for (unsigned i = 0; i < GROWTH; i++)
        view_node_free(grown[i]);
    for (unsigned i = 0; i < STABLE; i++)
        view_node_free(r.stable[i]);
    free(grown);
    name_table_destroy(&r.t);
}

int main(void)
{
    rcu_register_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_remove_reuse),
        cmocka_unit_test(test_readers_race_growth),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rcu_unregister_thread();
    return rc;
}
