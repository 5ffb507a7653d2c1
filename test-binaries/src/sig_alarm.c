// Timer signals: SIGALRM from setitimer interrupting a tight loop (the VM must leave chained
// translated code to deliver it), a blocking read interrupted with and without SA_RESTART, and
// sigsuspend waiting for a blocked SIGALRM.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static volatile unsigned long spin;
static int pipe_fd[2];

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void on_alarm_write(int sig) {
    (void)sig;
    alarms++;
    // Data arrives while the read is interrupted: a restarted read returns it.
    if (write(pipe_fd[1], "x", 1) != 1)
        _exit(3);
}

static void arm(long usec) {
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = usec;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void handler(void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
}

int main(void) {
    handler(on_alarm, 0);
    arm(20000);
    while (alarms == 0)
        spin++;
    printf("tight loop interrupted: alarms %d, spun %s\n", alarms, spin > 0 ? "yes" : "no");

    // Again, with more work per iteration (the result is unused, so the compiler may drop it).
    alarms = 0;
    arm(10000);
    unsigned long a = 1, b = 1;
    while (!alarms) {
        unsigned long t = a + b;
        a = b;
        b = t;
    }
    printf("fibonacci loop interrupted: alarms %d\n", alarms);

    if (pipe(pipe_fd) != 0)
        return 1;
    char c = 0, two[2];
    handler(on_alarm_write, SA_RESTART);
    alarms = 0;
    arm(20000);
    ssize_t n = read(pipe_fd[0], &c, 1);
    printf("read with SA_RESTART: %zd '%c', alarms %d\n", n, n == 1 ? c : '?', alarms);

    handler(on_alarm_write, 0);
    alarms = 0;
    arm(20000);
    n = read(pipe_fd[0], two, 2);
    int e = errno;
    printf("read without SA_RESTART: %zd %s, alarms %d\n", n, n < 0 && e == EINTR ? "EINTR" : "?", alarms);
    n = read(pipe_fd[0], &c, 1);
    printf("the byte written by the handler is still there: %zd '%c'\n", n, n == 1 ? c : '?');

    // sigsuspend: SIGALRM blocked except while waiting.
    handler(on_alarm, 0);
    sigset_t block, wait, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    alarms = 0;
    arm(10000);
    sigemptyset(&wait);
    int r = sigsuspend(&wait);
    e = errno;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("sigsuspend: %d %s, alarms %d, SIGALRM blocked again %d\n", r, e == EINTR ? "EINTR" : "?", alarms,
           sigismember(&cur, SIGALRM));

    // alarm(): a second resolution, so only check that it can be set and cancelled.
    alarm(5);
    printf("alarm cancelled, %u s were left\n", alarm(0) > 0 ? 1u : 0u);
    return 0;
}
