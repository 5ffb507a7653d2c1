// Hostile guest: one thread maps and unmaps a page over and over while another makes system
// calls whose results the VM copies into that page itself (fstat, uname, rt_sigaction,
// rt_sigprocmask, epoll_pwait, readlinkat, rt_sigpending) or reads from it (rt_sigaction's new
// action, a select-style sigset, an ifconf whose copy the kernel is given and whose length the
// VM copies back). Linux answers EFAULT when the page is gone; the VM must too,
// and never crash in its own copy. Then the same race against the pair instructions the VM
// carries out in a helper (CASP, LDXP, STXP) on that page: a guest SIGSEGV when the page is gone,
// never a fault in the VM. Prints "survived" and how the calls ended (counts vary, so only whether
// both outcomes happened).
//   hostile_race [ITERATIONS]
//@ aarch64-only
//@ hostile
//@ cflags: -march=armv8.1-a
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *page;
static atomic_int stop;
static sigjmp_buf back;

static void on_segv(int sig) {
    (void)sig;
    siglongjmp(back, 1);
}

/// The pair instructions on the page, `iters` times; how many completed and how many faulted.
static void pairs(long iters, long *done, long *faulted) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    for (volatile long i = 0; i < iters; i++) {
        uint64_t *p = (uint64_t *)(page + 16 * (i % 64));
        if (sigsetjmp(back, 1)) {
            (*faulted)++;
            continue;
        }
        if (i % 2) {
            register uint64_t x0 asm("x0") = 0, x1 asm("x1") = 0;
            register uint64_t x2 asm("x2") = (uint64_t)i, x3 asm("x3") = 2;
            asm volatile("casp x0, x1, x2, x3, [%2]" : "+r"(x0), "+r"(x1) : "r"(p), "r"(x2), "r"(x3) : "memory");
        } else {
            uint64_t a, b;
            uint32_t st;
            asm volatile("ldxp %0, %1, [%3]\n\tstxp %w2, %0, %1, [%3]"
                         : "=&r"(a), "=&r"(b), "=&r"(st)
                         : "r"(p)
                         : "memory");
        }
        (*done)++;
    }
    sigaction(SIGSEGV, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
}

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
    int inet = socket(AF_INET, SOCK_DGRAM, 0);
    long ok = 0, efault = 0, other = 0;
    for (long i = 0; i < iters; i++) {
        long r;
        switch (i % 8) {
        case 0: r = syscall(SYS_fstat, 1, page); break;
        case 1: r = syscall(SYS_uname, page); break;
        case 2: r = syscall(SYS_rt_sigaction, SIGUSR1, page, page + 64, 8); break;
        case 3: r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, page, 8); break;
        case 4: r = syscall(SYS_epoll_pwait, ep, page, 64, 0, NULL, 8); break;
        case 5: r = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", page, 4096); break;
        // (A zeroed ifconf, past what the other calls write: no buffer, the kernel says the
        // length it needs.)
        case 6: r = syscall(SYS_ioctl, inet, SIOCGIFCONF, page + 2048); break;
        default: r = syscall(SYS_rt_sigpending, page, 8); break;
        }
        if (r >= 0)
            ok++;
        else if (errno == EFAULT)
            efault++;
        else
            other++;
    }
    long done = 0, faulted = 0;
    pairs(iters, &done, &faulted);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("survived: %ld calls, some succeeded: %s, some found the page gone (EFAULT): %s, other errors: %ld\n",
           iters, ok ? "yes" : "no", efault ? "yes" : "no", other);
    printf("pair instructions survived: %ld, some done: %s, some faulted (SIGSEGV): %s\n", done + faulted,
           done ? "yes" : "no", faulted ? "yes" : "no");
    return 0;
}
