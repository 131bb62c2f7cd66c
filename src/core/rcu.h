/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rcu.h - liburcu as vmdnsd includes it.
 *
 * Every file that publishes or reads RCU-protected data includes this
 * instead of <urcu.h>. In a normal build it is just <urcu.h>. In a
 * ThreadSanitizer build (-DVMDNS_SANITIZE=thread) it also maps liburcu's
 * publication macros (rcu_assign_pointer, rcu_xchg_pointer,
 * rcu_dereference, uatomic_read/set) onto compiler atomics: liburcu is not built with
 * TSan, and its rcu_assign_pointer/rcu_dereference (volatile accesses,
 * barriers in assembly or calls into the library) are invisible to it, so
 * every reader of a node a writer just published would be reported as a
 * race. A release store and an acquire load are what those macros promise;
 * on x86 they compile to the same plain moves. A grace period is modelled
 * the same way: every rcu_read_unlock() releases one sync object and
 * synchronize_rcu() acquires it once it returns, so what a reader did
 * happens before what the writer frees after the grace period. The
 * suppressions for what happens inside liburcu itself (call_rcu callbacks
 * included) are in tests/tsan.supp.
 */
#ifndef VMDNS_CORE_RCU_H
#define VMDNS_CORE_RCU_H

#include <urcu.h>

#if defined(__SANITIZE_THREAD__)
#define VMDNS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMDNS_TSAN 1
#endif
#endif

/* Publication through liburcu-cds (a zone added to the view's cds_lfht) is
 * hidden inside the library: VMDNS_TSAN_RELEASE(obj) before publishing
 * obj there and VMDNS_TSAN_ACQUIRE(obj) after finding it tell TSan. No
 * code at all in other builds. */
#ifdef VMDNS_TSAN
#include <sanitizer/tsan_interface.h>
#define VMDNS_TSAN_RELEASE(obj) __tsan_release((void *)(obj))
#define VMDNS_TSAN_ACQUIRE(obj) __tsan_acquire((void *)(obj))
#else
#define VMDNS_TSAN_RELEASE(obj) ((void)0)
#define VMDNS_TSAN_ACQUIRE(obj) ((void)0)
#endif

/* First thing in every call_rcu callback: it runs after a grace period,
 * so (as after synchronize_rcu) what readers did before happens before it.
 * Without this TSan takes each free there for a race, and even a
 * suppressed report costs: a reload replacing 150,000 names took 18 s to
 * free them. No code in other builds. */
#ifdef VMDNS_TSAN
#define VMDNS_RCU_CALLBACK_BEGIN() __tsan_acquire((void *)&urcu_memb_synchronize_rcu)
#else
#define VMDNS_RCU_CALLBACK_BEGIN() ((void)0)
#endif

#ifdef VMDNS_TSAN
#undef rcu_dereference
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#undef rcu_assign_pointer
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#undef rcu_xchg_pointer
#define rcu_xchg_pointer(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#undef uatomic_read
#define uatomic_read(addr) __atomic_load_n((addr), __ATOMIC_RELAXED)
#undef uatomic_set
#define uatomic_set(addr, v) __atomic_store_n((addr), (v), __ATOMIC_RELAXED)
/* Any fixed address serves as the grace period's sync object. */
#define VMDNS_TSAN_GP ((void *)&urcu_memb_synchronize_rcu)
#undef rcu_read_unlock
#define rcu_read_unlock() (__tsan_release(VMDNS_TSAN_GP), urcu_memb_read_unlock())
#undef synchronize_rcu
#define synchronize_rcu() (urcu_memb_synchronize_rcu(), __tsan_acquire(VMDNS_TSAN_GP))
#endif

#endif
