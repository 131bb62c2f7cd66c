/*
 * addr.c - the addresses users give a registrar handle (Redis nodes,
 * sentinels, vmdnsd servers for wait_visible), parsed once when the handle
 * is opened with the one host:port parser (common/hostport.h).
 */
#include "registrar_int.h"

int vmdns_addr_parse(const char *text, int unix_ok, uint16_t default_port, vmdns_addr_t *out,
                     vmdns_error_t *err)
{
    char why[300];
    if (vmdns_hostport_parse(text, unix_ok ? VMDNS_HP_UNIX : 0, default_port, out, why,
                             sizeof(why)) != 0)
        return vmdns_fail(err, VMDNS_ERR_INVALID, "bad address %s", why);
    return 0;
}
