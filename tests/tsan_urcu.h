/*
 * tests/tsan_urcu.h - liburcu's publication and atomics, made visible to
 * ThreadSanitizer. Force-included (-include) into every file of a
 * -DVMDNS_SANITIZE=thread build, and into no other build (CMakeLists.txt).
 *
 * liburcu 0.13 publishes a pointer with a fence in inline assembly and a
 * volatile store, reads it back inside the (uninstrumented) library unless
 * _LGPL_SOURCE is set, and implements uatomic_* as volatile accesses and
 * lock-prefixed assembly. TSan sees none of that as synchronisation, so
 * every structure a writer publishes with rcu_assign_pointer() and a worker
 * reads after rcu_dereference() would be reported as a race. Here each of
 * those operations becomes the C11 atomic it stands for: a release store,
 * an acquire load (consume, in practice), relaxed loads and stores, atomic
 * increments. TSan understands these, and still reports a vmdns data race
 * that these operations do not order.
 */
#ifndef VMDNS_TESTS_TSAN_URCU_H
#define VMDNS_TESTS_TSAN_URCU_H

#include <sanitizer/tsan_interface.h>
#include <urcu.h> /* the flavor in use; before rculfhash.h, which needs it */
#include <urcu/pointer.h>
#include <urcu/uatomic.h>

#undef rcu_dereference
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#undef rcu_set_pointer
#define rcu_set_pointer(pp, v) __atomic_store_n((pp), (v), __ATOMIC_RELEASE)
#undef rcu_assign_pointer
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#undef rcu_xchg_pointer
#define rcu_xchg_pointer(pp, v) __atomic_exchange_n((pp), (v), __ATOMIC_ACQ_REL)
#undef uatomic_read
#define uatomic_read(addr) __atomic_load_n((addr), __ATOMIC_RELAXED)
#undef uatomic_set
#define uatomic_set(addr, v) __atomic_store_n((addr), (v), __ATOMIC_RELAXED)
#undef uatomic_inc
#define uatomic_inc(addr) ((void)__atomic_add_fetch((addr), 1, __ATOMIC_SEQ_CST))
#undef uatomic_dec
#define uatomic_dec(addr) ((void)__atomic_sub_fetch((addr), 1, __ATOMIC_SEQ_CST))

/* A grace period: synchronize_rcu() returns once every read-side section
 * that began before it has ended. Model it as every rcu_read_unlock()
 * releasing one sync object (the address of synchronize_rcu itself) and
 * synchronize_rcu() acquiring it on return, so what a writer frees after
 * a grace period does not race with what readers read before. */
static inline void *vmdns_tsan_grace_period(void)
{
    return (void *)&synchronize_rcu;
}

static inline void vmdns_tsan_rcu_read_unlock(void)
{
    __tsan_release(vmdns_tsan_grace_period());
    rcu_read_unlock();
}

static inline void vmdns_tsan_synchronize_rcu(void)
{
    synchronize_rcu();
    __tsan_acquire(vmdns_tsan_grace_period());
}
#undef rcu_read_unlock
#define rcu_read_unlock() vmdns_tsan_rcu_read_unlock()
#undef synchronize_rcu
#define synchronize_rcu() vmdns_tsan_synchronize_rcu()

/* The lock-free hash table publishes nodes inside liburcu-cds: pair each
 * add with the lookups and iterations that reach the node (release and
 * acquire on the node's address), which is the ordering the table
 * guarantees. */
#include <urcu/rculfhash.h>

static inline struct cds_lfht_node *vmdns_tsan_lfht_node(struct cds_lfht_iter *iter)
{
    struct cds_lfht_node *node = cds_lfht_iter_get_node(iter);
    if (node != NULL)
        __tsan_acquire(node);
    return node;
}
#define cds_lfht_iter_get_node(iter) vmdns_tsan_lfht_node(iter)

static inline void vmdns_tsan_lfht_add(struct cds_lfht *ht, unsigned long hash,
                                       struct cds_lfht_node *node)
{
    __tsan_release(node);
    cds_lfht_add(ht, hash, node);
}
#define cds_lfht_add(ht, hash, node) vmdns_tsan_lfht_add(ht, hash, node)

/* A lookup's match function sees the nodes it is shown first. */
struct vmdns_tsan_match {
    cds_lfht_match_fct match;
    const void *key;
};

static inline int vmdns_tsan_match(struct cds_lfht_node *node, const void *arg)
{
    const struct vmdns_tsan_match *m = arg;
    __tsan_acquire(node);
    return m->match(node, m->key);
}

static inline void vmdns_tsan_lfht_lookup(struct cds_lfht *ht, unsigned long hash,
                                          cds_lfht_match_fct match, const void *key,
                                          struct cds_lfht_iter *iter)
{
    struct vmdns_tsan_match m = {match, key};
    cds_lfht_lookup(ht, hash, vmdns_tsan_match, &m, iter);
}
#define cds_lfht_lookup(ht, hash, match, key, iter)                                                \
    vmdns_tsan_lfht_lookup(ht, hash, match, key, iter)

static inline struct cds_lfht_node *
vmdns_tsan_lfht_add_replace(struct cds_lfht *ht, unsigned long hash, cds_lfht_match_fct match,
                            const void *key, struct cds_lfht_node *node)
{
    struct vmdns_tsan_match m = {match, key};
    __tsan_release(node);
    return cds_lfht_add_replace(ht, hash, vmdns_tsan_match, &m, node);
}
#define cds_lfht_add_replace(ht, hash, match, key, node)                                           \
    vmdns_tsan_lfht_add_replace(ht, hash, match, key, node)

#endif
