/* A SIGSEGV handler that recovers with siglongjmp: stores and loads through unmapped and
 * read-only addresses inside loops, si_addr and si_code checked, the signal mask restored by
 * siglongjmp. (A fault with no handler ends the process by SIGSEGV; qemu adds a message of its own
 * to stderr then, so that case is not compared here.) */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_code, faults;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    faults++;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(env, sig);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    long page = sysconf(_SC_PAGESIZE);
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, page);

    volatile long sum = 0;
    for (int round = 0; round < 5; round++) {
        int sig = sigsetjmp(env, 1);
        if (sig == 0) {
            for (int i = 0; i < 1000; i++) sum += i;
            if (round % 2 == 0)
                ((volatile char *)gone)[round * 8] = 1; /* unmapped: SEGV_MAPERR */
            else
                ((volatile char *)ro)[round] = 1; /* read-only: SEGV_ACCERR */
            printf("round %d: no fault?\n", round);
        } else {
            char *want = round % 2 == 0 ? gone + round * 8 : ro + round;
            printf("round %d: signal %d, si_addr %s, si_code %s, sum %ld\n", round, sig,
                   fault_addr == want ? "right" : "wrong",
                   fault_code == (round % 2 == 0 ? SEGV_MAPERR : SEGV_ACCERR) ? "right" : "wrong", sum);
        }
    }
    /* A load fault in a function called from a loop. */
    volatile int *bad = (volatile int *)gone;
    if (sigsetjmp(env, 1) == 0) {
        for (int i = 0; i < 3; i++) sum += bad[i];
    } else {
        printf("load fault recovered, faults %d\n", faults);
    }
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
    return 0;
}
