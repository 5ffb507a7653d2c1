// Hostile guest: one thread maps and unmaps a page over and over while another makes system
// calls whose results the VM copies into that page itself (fstat, uname, rt_sigaction,
// rt_sigprocmask, epoll_pwait, readlinkat, rt_sigpending) or reads from it (rt_sigaction's new
// action, a select-style sigset). Linux answers EFAULT when the page is gone; the VM must too,
// and never crash in its own copy. Prints "survived" and how the calls ended (counts vary, so
// only whether both outcomes happened).
//   hostile_race [ITERATIONS]
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *page;
static atomic_int stop;

static void *flipper(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        munmap(page, 4096);
        mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t t;
    pthread_create(&t, NULL, flipper, NULL);
    int ep = epoll_create1(0);
    long ok = 0, efault = 0, other = 0;
    for (long i = 0; i < iters; i++) {
        long r;
        switch (i % 7) {
        case 0: r = syscall(SYS_fstat, 1, page); break;
        case 1: r = syscall(SYS_uname, page); break;
        case 2: r = syscall(SYS_rt_sigaction, SIGUSR1, page, page + 64, 8); break;
        case 3: r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, page, 8); break;
        case 4: r = syscall(SYS_epoll_pwait, ep, page, 64, 0, NULL, 8); break;
        case 5: r = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", page, 4096); break;
        default: r = syscall(SYS_rt_sigpending, page, 8); break;
        }
        if (r >= 0)
            ok++;
        else if (errno == EFAULT)
            efault++;
        else
            other++;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("survived: %ld calls, some succeeded: %s, some found the page gone (EFAULT): %s, other errors: %ld\n",
           iters, ok ? "yes" : "no", efault ? "yes" : "no", other);
    return 0;
}
