/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fdlimit.c - raise RLIMIT_NOFILE, and say how many connections it allows
 * (see fdlimit.h for why).
 */
#include "server/fdlimit.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"

void fdlimit_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("open files limit: getrlimit: %s", strerror(errno));
        return;
    }
    if (rl.rlim_cur == rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("open files limit: cannot raise %llu to the hard limit %llu: %s",
                 (unsigned long long)was, (unsigned long long)rl.rlim_max, strerror(errno));
        return;
    }
    if (rl.rlim_max == RLIM_INFINITY)
        log_info("open files limit raised from %llu to unlimited", (unsigned long long)was);
    else
        log_info("open files limit raised from %llu to %llu (the hard limit)",
                 (unsigned long long)was, (unsigned long long)rl.rlim_max);
}

uint64_t fdlimit_tcp_room(uint64_t own)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    uint64_t lim = (uint64_t)rl.rlim_cur;
    uint64_t reserve = lim / 4 < FDLIMIT_RESERVE ? lim / 4 : FDLIMIT_RESERVE;
    return lim > own + reserve ? lim - own - reserve : 0;
}
