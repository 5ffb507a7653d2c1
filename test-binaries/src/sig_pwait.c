// The race-free wait for children that GNU make -j uses: SIGCHLD stays blocked except inside the
// wait, which unblocks it atomically through its signal-mask argument (pselect6, ppoll,
// epoll_pwait, epoll_pwait2 with an infinite timeout). A wait that dropped the mask would sleep
// forever with its children as zombies. Each mode runs CHILDREN children, JOBS at a time, and
// checks what the kernel promises: the handler runs under the temporary mask, the wait fails with
// EINTR, the old mask is back afterwards. A signalfd reads a SIGCHLD kept blocked.
//@ args: 300 4
// qemu-aarch64 7.2 has no epoll_pwait2 (ENOSYS), takes a signalfd4 mask size other than 8, and
// reads a stale SIGCHLD from the signalfd: the host build is the oracle (docs/testing.md).
//@ oracle: native
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum mode { PSELECT, PPOLL, EPOLL_PWAIT, EPOLL_PWAIT2, NMODES };
static const char *const names[NMODES] = {"pselect", "ppoll", "epoll_pwait", "epoll_pwait2"};

static volatile sig_atomic_t sigchld_seen, handler_saw_usr1_blocked, handler_saw_chld_blocked;

static void on_sigchld(int sig) {
    (void)sig;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    // The temporary mask blocks SIGUSR1 but not SIGCHLD; the handler adds SIGCHLD itself.
    if (sigismember(&now, SIGUSR1))
        handler_saw_usr1_blocked = 1;
    if (sigismember(&now, SIGCHLD))
        handler_saw_chld_blocked = 1;
    sigchld_seen = 1;
}

/// Wait with `mask` in force until a signal interrupts; returns the wait's errno (0: it returned).
static int wait_once(enum mode m, const sigset_t *mask, int epfd) {
    int r;
    struct epoll_event ev;
    switch (m) {
    case PSELECT:
        r = pselect(0, NULL, NULL, NULL, NULL, mask);
        break;
    case PPOLL:
        r = ppoll(NULL, 0, NULL, mask);
        break;
    case EPOLL_PWAIT:
        r = epoll_pwait(epfd, &ev, 1, -1, mask);
        break;
    default:
        r = epoll_pwait2(epfd, &ev, 1, NULL, mask);
        break;
    }
    return r < 0 ? errno : 0;
}

/// Run `total` children, `jobs` at a time, reaping them after each wakeup; returns 0 on success.
static int run_mode(enum mode m, int total, int jobs) {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    sigset_t wait_mask;
    sigemptyset(&wait_mask);
    sigaddset(&wait_mask, SIGUSR1);
    int started = 0, running = 0, reaped = 0, eintr = 0, other = 0;
    long status_sum = 0;
    handler_saw_usr1_blocked = handler_saw_chld_blocked = 0;
    while (reaped < total) {
        while (running < jobs && started < total) {
            pid_t p = fork();
            if (p == 0) {
                // The last child lingers so that the parent, with nothing left to reap, really
                // waits: otherwise a slow fork can leave every wakeup to the WNOHANG reaping.
                if (started == total - 1)
                    usleep(100000);
                _exit(started % 7);
            }
            if (p < 0) {
                perror("fork");
                return 1;
            }
            started++;
            running++;
        }
        // Reap whatever finished, as make does after each wakeup (SIGCHLD still blocked).
        int st;
        pid_t p;
        int any = 0;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
            status_sum += WEXITSTATUS(st);
            reaped++;
            running--;
            any = 1;
        }
        if (any || reaped == total)
            continue;
        sigchld_seen = 0;
        int e = wait_once(m, &wait_mask, epfd);
        if (e == EINTR && sigchld_seen)
            eintr++;
        else
            other++;
    }
    sigset_t after;
    sigprocmask(SIG_BLOCK, NULL, &after);
    printf("%s: %d children reaped, exit statuses sum %ld, waits ended by SIGCHLD with EINTR: %s, "
           "other wakeups: %d, handler ran under the temporary mask: %s, SIGCHLD blocked in it: %s, "
           "SIGCHLD blocked again after: %s, SIGUSR1 unblocked again after: %s\n",
           names[m], reaped, status_sum, eintr > 0 ? "yes" : "no", other,
           handler_saw_usr1_blocked ? "yes" : "no", handler_saw_chld_blocked ? "yes" : "no",
           sigismember(&after, SIGCHLD) ? "yes" : "no", sigismember(&after, SIGUSR1) ? "no" : "yes");
    close(epfd);
    return 0;
}

/// SIGCHLD kept blocked and read from a signalfd.
static int signalfd_child(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    // A SIGCHLD of the earlier children may still be pending: take it first.
    struct timespec zero = {0, 0};
    while (sigtimedwait(&chld, NULL, &zero) == SIGCHLD)
        ;
    int fd = signalfd(-1, &chld, SFD_CLOEXEC);
    if (fd < 0) {
        perror("signalfd");
        return 1;
    }
    pid_t p = fork();
    if (p == 0)
        _exit(42);
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    int st = 0;
    waitpid(p, &st, 0);
    printf("signalfd: read %zd bytes, signal %u, from the child: %s, status %d, code CLD_EXITED: %s\n",
           n, si.ssi_signo, si.ssi_pid == (unsigned)p ? "yes" : "no", si.ssi_status,
           si.ssi_code == CLD_EXITED ? "yes" : "no");
    // Bad arguments: a size other than the kernel's sigset, unknown flags, an unreadable mask.
    long r1 = syscall(SYS_signalfd4, -1, &chld, 4, 0);
    int e1 = errno;
    long r2 = syscall(SYS_signalfd4, -1, &chld, 8, 1);
    int e2 = errno;
    long r3 = syscall(SYS_signalfd4, -1, (void *)16, 8, 0);
    int e3 = errno;
    printf("signalfd errors: %ld %s, %ld %s, %ld %s\n", r1, strerror(e1), r2, strerror(e2), r3, strerror(e3));
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    int total = argc > 1 ? atoi(argv[1]) : 300;
    int jobs = argc > 2 ? atoi(argv[2]) : 4;
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    for (int m = 0; m < NMODES; m++)
        if (run_mode(m, total, jobs))
            return 1;
    // A bad temporary mask: the wait fails before waiting (EINVAL size, EFAULT address).
    int ep = epoll_create1(0);
    struct epoll_event ev;
    long a = syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &block, 4);
    int ea = errno;
    long b = syscall(SYS_epoll_pwait, ep, &ev, 1, 0, (void *)16, 8);
    int eb = errno;
    struct timespec zero = {0, 0};
    long c = syscall(SYS_ppoll, NULL, 0, &zero, (void *)16, 8);
    int ec = errno;
    unsigned long pack[2] = {(unsigned long)&block, 4};
    long d = syscall(SYS_pselect6, 0, NULL, NULL, NULL, &zero, pack);
    int ed = errno;
    long e = syscall(SYS_pselect6, 0, NULL, NULL, NULL, &zero, (void *)16);
    int ee = errno;
    printf("bad masks: epoll_pwait %ld %s, %ld %s; ppoll %ld %s; pselect6 %ld %s, %ld %s\n", a, strerror(ea), b,
           strerror(eb), c, strerror(ec), d, strerror(ed), e, strerror(ee));
    return signalfd_child();
}
