// Signals from outside: with the argument "wait" (tests/signals.rs), print "ready" and wait in
// sigsuspend, then in a blocking read, for SIGUSR1 and SIGUSR2 sent by another process; without
// it (tests/programs.rs), send them itself so that the same paths run.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_usr2, from_other;

static void on_signal(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if (sig == SIGUSR1)
        got_usr1++;
    else
        got_usr2++;
    from_other = si->si_code == SI_USER && si->si_pid != getpid();
}

int main(int argc, char **argv) {
    int external = argc > 1 && strcmp(argv[1], "wait") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&empty);
    printf("ready\n");
    fflush(stdout);
    if (!external)
        raise(SIGUSR1);
    while (!got_usr1)
        sigsuspend(&empty);
    printf("SIGUSR1 in sigsuspend, from another process %d\n", external ? from_other : 1);
    fflush(stdout);
    // A blocking read from a pipe nobody writes: SIGUSR2 (no SA_RESTART) ends it with EINTR.
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    if (!external)
        raise(SIGUSR2);
    char c;
    ssize_t n = got_usr2 ? -1 : read(fds[0], &c, 1);
    printf("read returned %zd, SIGUSR2 count %d\n", n, got_usr2);
    return 0;
}
