/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abi.c - reading the structs a caller allocates, whatever header version
 * the caller was compiled with.
 *
 * vmdns_registrar_opts_t and vmdns_vm_t start with struct_size, the size
 * the caller knows. Reading one means: take the library's defaults, lay
 * the caller's first struct_size bytes over them (an older caller simply
 * lacks the newer fields, which keep their defaults), and refuse a newer,
 * bigger struct only if it sets a field this library does not know (all
 * zero means "not used", so a program built against a newer header still
 * works with an older library as long as it does not ask for more). This
 * is the contract of Linux's copy_struct_from_user().
 */
#include <string.h>

#include "registrar_int.h"

int vmdns_abi_copy_in(void *dst, size_t dst_size, const void *src, size_t src_size,
                      const char *what, vmdns_error_t *err)
{
    if (src_size < sizeof(size_t))
        return vmdns_fail(err, VMDNS_ERR_INVALID, "%s: struct_size not set (use the init macro)",
                          what);
    if (src_size > dst_size) {
        const unsigned char *extra = (const unsigned char *)src + dst_size;
        for (size_t i = 0; i < src_size - dst_size; i++)
            if (extra[i])
                return vmdns_fail(err, VMDNS_ERR_INVALID,
                                  "%s: a field at byte %zu is not known to this libvmdns (struct "
                                  "of %zu bytes, this version knows %zu)",
                                  what, dst_size + i, src_size, dst_size);
    }
    memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
    *(size_t *)dst = dst_size;
    return 0;
}

void vmdns_vm_init_size(vmdns_vm_t *vm, size_t size)
{
    if (!vm || size < sizeof(size_t))
        return;
    memset(vm, 0, size);
    vm->struct_size = size;
}
