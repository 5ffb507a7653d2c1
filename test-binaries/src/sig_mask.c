// Asynchronous signals sent by the program to itself: SA_SIGINFO handlers with their siginfo, the
// handler's mask (sa_mask, the signal itself, SA_NODEFER), SA_RESETHAND, SIG_IGN and default-ignored
// signals, signals blocked with sigprocmask staying pending until unblocked, sigwaitinfo, and the
// frames of nested handlers.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr2_count, hup_count, nested_depth, max_depth;
static volatile int info_ok, mask_usr1, mask_usr2, mask_term, nodefer_self_blocked = -1;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    usr1_count++;
    info_ok = sig == SIGUSR1 && si->si_signo == SIGUSR1 && si->si_code == SI_TKILL && si->si_pid == getpid();
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    mask_usr1 = sigismember(&cur, SIGUSR1);
    mask_usr2 = sigismember(&cur, SIGUSR2);
    mask_term = sigismember(&cur, SIGTERM);
}

static void on_usr2(int sig) {
    (void)sig;
    usr2_count++;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    nodefer_self_blocked = sigismember(&cur, SIGUSR2);
    // SA_NODEFER: raising it again from the handler nests immediately.
    nested_depth++;
    if (nested_depth > max_depth)
        max_depth = nested_depth;
    if (nested_depth < 3)
        raise(SIGUSR2);
    nested_depth--;
}

static void on_hup(int sig) {
    (void)sig;
    hup_count++;
}

static int blocked(int sig) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);

    raise(SIGUSR1);
    printf("SIGUSR1: count %d, siginfo ok %d, in handler blocked: USR1 %d USR2 %d TERM %d\n", usr1_count, info_ok,
           mask_usr1, mask_usr2, mask_term);
    printf("after handler: USR1 blocked %d, USR2 blocked %d\n", blocked(SIGUSR1), blocked(SIGUSR2));

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("SIGUSR2 (SA_NODEFER): count %d, max depth %d, self blocked in handler %d\n", usr2_count, max_depth,
           nodefer_self_blocked);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    raise(SIGHUP);
    struct sigaction old;
    sigaction(SIGHUP, NULL, &old);
    printf("SIGHUP (SA_RESETHAND): count %d, now SIG_DFL %d\n", hup_count, old.sa_handler == SIG_DFL);

    // Blocked: stays pending until unblocked, then runs before sigprocmask returns.
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    usr1_count = 0;
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("blocked: count %d, pending %d\n", usr1_count, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked: count %d (standard signals do not queue)\n", usr1_count);
    sigpending(&pend);
    printf("pending now %d\n", sigismember(&pend, SIGUSR1));

    // sigwaitinfo takes a blocked signal without running its handler.
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    siginfo_t si;
    int got = sigwaitinfo(&set, &si);
    printf("sigwaitinfo: %d, si_signo %d, handler count %d\n", got, si.si_signo, usr1_count);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    // Ignored signals, explicitly and by default.
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    raise(SIGCHLD);
    raise(SIGWINCH);
    raise(SIGURG);
    printf("ignored signals: still running\n");

    // A pending signal that becomes ignored is discarded.
    sa.sa_handler = on_hup;
    sa.sa_flags = 0;
    sigaction(SIGHUP, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGHUP);
    signal(SIGHUP, SIG_IGN);
    sigpending(&pend);
    printf("pending after SIG_IGN %d\n", sigismember(&pend, SIGHUP));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("SIGHUP count %d\n", hup_count);
    return 0;
}
