/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmssh_notes.c - the beliefs libvmssh keeps in state_dir: a note per
 * open VM and the used-ports hint; stored, loaded, dropped, and made to
 * match a listing of the ruleset (reconcile). Garbage is not a note.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmssh_int.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/vmssh-notes-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static vmssh_entry_t entry(const char *id, uint16_t port, const char *ip, int64_t expires)
{
    vmssh_entry_t e = {.port = port, .vm_port = 22, .expires = expires};
    snprintf(e.vm_id, sizeof(e.vm_id), "%s", id);
    snprintf(e.vm_ip, sizeof(e.vm_ip), "%s", ip);
    snprintf(e.name, sizeof(e.name), "%s.vm.example.com", id);
    return e;
}

static void test_note_roundtrip(void **state)
{
    (void)state;
    vmssh_entry_t e = entry("vm-1", 30001, "10.0.0.2", 1700000000), got;
    assert_int_equal(vmssh_note_load(dir, "vm-1", &got), -1);
    vmssh_note_store(dir, &e);
    assert_int_equal(vmssh_note_load(dir, "vm-1", &got), 0);
    assert_string_equal(got.vm_id, "vm-1");
    assert_int_equal(got.port, 30001);
    assert_string_equal(got.vm_ip, "10.0.0.2");
    assert_string_equal(got.name, "vm-1.vm.example.com");
    assert_int_equal(got.expires, 1700000000);
    vmssh_note_drop(dir, "vm-1");
    assert_int_equal(vmssh_note_load(dir, "vm-1", &got), -1);
    /* A damaged note is no note. */
    char path[128];
    snprintf(path, sizeof(path), "%s/vms/vm-2", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("70000 10.0.0.300 x\n", f);
    fclose(f);
    assert_int_equal(vmssh_note_load(dir, "vm-2", &got), -1);
}

static void test_hint(void **state)
{
    (void)state;
    uint8_t used[65536 / 8] = {0};
    vmssh_hint_load(dir, used); /* none yet: all free */
    assert_int_equal(vmssh_port_choose(30000, 30001, used, 30000), 30000);
    vmssh_hint_update(dir, 30000, true);
    vmssh_hint_load(dir, used);
    assert_int_equal(vmssh_port_choose(30000, 30001, used, 30000), 30001);
    vmssh_hint_update(dir, 30000, false);
    memset(used, 0, sizeof(used));
    vmssh_hint_load(dir, used);
    assert_int_equal(vmssh_port_choose(30000, 30001, used, 30000), 30000);
}

static void test_sync(void **state)
{
    (void)state;
    vmssh_entry_t stale = entry("gone", 30005, "10.0.0.5", 0), got;
    vmssh_note_store(dir, &stale);
    vmssh_entry_t wrong = entry("vm-a", 39999, "10.0.0.9", 0);
    vmssh_note_store(dir, &wrong);
    vmssh_fwd_list_t l = {0};
    vmssh_entry_t a = entry("vm-a", 30010, "10.0.0.10", 0),
                  b = entry("vm-b", 30011, "10.0.0.11", 5);
    assert_int_equal(vmssh_fwd_list_add(&l, &a), 0);
    assert_int_equal(vmssh_fwd_list_add(&l, &b), 0);
    vmssh_notes_sync(dir, &l);
    assert_int_equal(vmssh_note_load(dir, "gone", &got), -1);
    assert_int_equal(vmssh_note_load(dir, "vm-a", &got), 0);
    assert_int_equal(got.port, 30010); /* corrected from the ruleset */
    assert_int_equal(vmssh_note_load(dir, "vm-b", &got), 0);
    assert_int_equal(got.expires, 5);
    uint8_t used[65536 / 8] = {0};
    vmssh_hint_load(dir, used);
    assert_int_equal(vmssh_port_choose(30010, 30012, used, 30010), 30012);
    assert_int_equal(vmssh_port_choose(39999, 39999, used, 39999), 39999);
    vmssh_fwd_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_roundtrip),
        cmocka_unit_test(test_hint),
        cmocka_unit_test(test_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
