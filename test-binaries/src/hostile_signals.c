// Hostile guest: take the VM's signal handling over. A SIGSEGV the guest sends itself with the
// si_code of a hardware fault must not pass for a fault of translated code (which used to reset
// the VM's host handler, so that the next real fault killed the VM instead of reaching the
// guest's handler); a guest that ignores or blocks SIGSEGV and then faults must die of SIGSEGV,
// as on Linux, not spin retrying the access. Prints "contained (...)" or "ESCAPED (...)".
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int handled;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)si;
    (void)uc;
    handled++;
    siglongjmp(back, 1);
}

static void fault(void) {
    *(volatile int *)16 = 1;
}

/// In a child: fault with SIGSEGV ignored (`how` 0) or blocked (1); how the child ended.
static void doomed(const char *what, int how) {
    pid_t p = fork();
    if (p == 0) {
        alarm(10);
        if (how == 0) {
            signal(SIGSEGV, SIG_IGN);
        } else {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGSEGV);
            sigprocmask(SIG_BLOCK, &s, NULL);
        }
        fault();
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    int segv = WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
    printf("%s: %s (%s)\n", what, segv ? "contained" : "ESCAPED",
           segv ? "killed by SIGSEGV" : WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);

    // A forged fault: SIGSEGV with SEGV_MAPERR queued to ourselves, then a real fault.
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGSEGV;
    si.si_code = SEGV_MAPERR;
    si.si_addr = (void *)0x1234;
    handled = 0;
    long r = 0;
    int e = 0;
    if (sigsetjmp(back, 1) == 0) {
        r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGSEGV, &si);
        e = errno;
    }
    printf("forged SIGSEGV with a fault's si_code: %s\n", r < 0 ? strerror(e) : "sent");
    handled = 0;
    if (sigsetjmp(back, 1) == 0)
        fault();
    printf("real fault after it: %s (%s)\n", handled == 1 ? "contained" : "ESCAPED",
           handled == 1 ? "the guest's handler ran" : "no handler");
    handled = 0;
    if (sigsetjmp(back, 1) == 0)
        syscall(SYS_tgkill, getpid(), gettid(), SIGSEGV);
    printf("SIGSEGV sent with tgkill: %s (%s)\n", handled == 1 ? "contained" : "ESCAPED",
           handled == 1 ? "the guest's handler ran" : "no handler");

    doomed("fault with SIGSEGV ignored", 0);
    doomed("fault with SIGSEGV blocked", 1);
    return 0;
}
