/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * run.c - running nft and iptables: fork/exec with an argv (never a
 * shell, so no VM id or name is ever interpreted), the batch written to
 * the child's stdin, its stdout collected, the first line of its stderr
 * kept for the error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmssh_int.h"

extern char **environ;

typedef struct growbuf {
    char *p;
    size_t n, cap;
} growbuf_t;

static int grow_read(growbuf_t *b, int fd)
{
    if (b->n + 4097 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
        b->p[b->n] = '\0'; /* terminated even if nothing is ever read */
    }
    ssize_t got = read(fd, b->p + b->n, b->cap - b->n - 1);
    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (got == 0)
        return 0;
    b->n += (size_t)got;
    b->p[b->n] = '\0';
    return 1;
}

int vmssh_run(const char *const *argv, const char *input, char **out, char *errbuf, size_t errcap)
{
    int in[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (errcap)
        errbuf[0] = '\0';
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        snprintf(errbuf, errcap, "pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0)
                close(in[i]);
            if (po[i] >= 0)
                close(po[i]);
            if (pe[i] >= 0)
                close(pe[i]);
        }
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        snprintf(errbuf, errcap, "cannot run %s: %s", argv[0], strerror(rc));
        close(in[1]);
        close(po[0]);
        close(pe[0]);
        return -1;
    }
    /* Feed stdin while draining stdout and stderr (a big batch or a big
     * listing must not deadlock on full pipes). SIGPIPE is not raised:
     * MSG_NOSIGNAL does not exist for pipes, so write errors are ignored
     * through a blocked-and-discarded SIGPIPE around the loop. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    size_t in_len = input ? strlen(input) : 0, in_off = 0;
    if (!input) {
        close(in[1]);
        in[1] = -1;
    } else {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    growbuf_t ob = {0}, eb = {0};
    int open_out = 1, open_err = 1, failed = 0;
    while (open_out || open_err || in[1] >= 0) {
        struct pollfd fds[3];
        int nf = 0, io = -1, ie = -1, ii = -1;
        if (open_out) {
            fds[nf] = (struct pollfd){.fd = po[0], .events = POLLIN};
            io = nf++;
        }
        if (open_err) {
            fds[nf] = (struct pollfd){.fd = pe[0], .events = POLLIN};
            ie = nf++;
        }
        if (in[1] >= 0) {
            fds[nf] = (struct pollfd){.fd = in[1], .events = POLLOUT};
            ii = nf++;
        }
        if (poll(fds, (nfds_t)nf, -1) < 0) {
            if (errno == EINTR)
                continue;
            failed = 1;
            break;
        }
        if (io >= 0 && fds[io].revents) {
            int r = grow_read(&ob, po[0]);
            if (r < 0)
                failed = 1;
            if (r <= 0)
                open_out = 0;
        }
        if (ie >= 0 && fds[ie].revents) {
            int r = grow_read(&eb, pe[0]);
            if (r <= 0)
                open_err = 0;
        }
        if (ii >= 0 && fds[ii].revents) {
            ssize_t w = write(in[1], input + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
                close(in[1]);
                in[1] = -1;
            }
        }
    }
    if (in[1] >= 0)
        close(in[1]);
    close(po[0]);
    close(pe[0]);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&block, NULL, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (eb.p && errcap) {
        /* The first non-empty line of stderr, for the message. */
        const char *s = eb.p;
        while (*s == '\n')
            s++;
        size_t n = strcspn(s, "\n");
        if (n >= errcap)
            n = errcap - 1;
        memcpy(errbuf, s, n);
        errbuf[n] = '\0';
    }
    free(eb.p);
    if (failed) {
        free(ob.p);
        snprintf(errbuf, errcap, "reading the output of %s failed", argv[0]);
        return -1;
    }
    if (out) {
        *out = ob.p ? ob.p : strdup("");
    } else {
        free(ob.p);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (errcap && !errbuf[0])
        snprintf(errbuf, errcap, "%s killed by signal %d", argv[0],
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 255;
}
