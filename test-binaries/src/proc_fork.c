// Processes: fork + waitpid and exit codes, a pipe from child to parent, children killed by
// signals (WIFSIGNALED), wait4 with rusage, waitid's siginfo, getppid in the child, vfork +
// _exit (and a vfork child that computes its exit code), and a child that forks a grandchild.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int status) {
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: other status\n", what);
}

// Work for a vfork child (noinline: real calls, translated on their own).
__attribute__((noinline)) static unsigned mix(unsigned n) {
    unsigned h = 2166136261u;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ i) * 16777619u;
    return h;
}

__attribute__((noinline)) static unsigned mix2(unsigned n) {
    unsigned h = 7;
    for (unsigned i = 0; i < n; i++)
        h = h * 31 + (i % 5 == 0 ? i >> 1 : i << 2);
    return h;
}

int main(void) {
    int status;
    pid_t me = getpid();

    // Exit codes, waited for in reverse order of creation.
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        kids[i] = fork();
        if (kids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (kids[i] == 0)
            _exit(10 + i);
    }
    for (int i = 2; i >= 0; i--) {
        pid_t got = waitpid(kids[i], &status, 0);
        printf("child %d: waitpid returned its pid: %s; ", i, got == kids[i] ? "yes" : "no");
        report("status", status);
    }

    // A pipe: the child writes, the parent reads to EOF.
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        close(fds[0]);
        char buf[128];
        int n = snprintf(buf, sizeof buf, "hello from the child, my parent is %s\n",
                         getppid() == me ? "the parent" : "someone else");
        if (write(fds[1], buf, n) != n)
            _exit(1);
        pid_t self = getpid();
        if (write(fds[1], &self, sizeof self) != sizeof self)
            _exit(1);
        _exit(3);
    }
    close(fds[1]);
    char buf[256];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + len, sizeof buf - len)) > 0)
        len += n;
    close(fds[0]);
    pid_t reported;
    if (len >= sizeof reported) {
        memcpy(&reported, buf + len - sizeof reported, sizeof reported);
        printf("%.*s", (int)(len - sizeof reported), buf);
        printf("the child's getpid is what fork returned: %s\n", reported == p ? "yes" : "no");
    }
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    pid_t got = wait4(p, &status, 0, &ru);
    printf("wait4 returned the pid: %s, rusage filled: %s\n", got == p ? "yes" : "no",
           ru.ru_maxrss >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 ? "yes" : "no");
    report("pipe child", status);

    // Killed by signals: SIGTERM from kill(), SIGKILL from raise().
    fflush(stdout);
    p = fork();
    if (p == 0) {
        kill(getpid(), SIGTERM);
        pause();
        _exit(0);
    }
    waitpid(p, &status, 0);
    report("kill(SIGTERM) child", status);
    fflush(stdout);
    p = fork();
    if (p == 0) {
        raise(SIGKILL);
        _exit(0);
    }
    waitpid(p, &status, 0);
    report("raise(SIGKILL) child", status);
    // The parent kills a child that waits.
    fflush(stdout);
    p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    kill(p, SIGUSR1);
    waitpid(p, &status, 0);
    report("killed by the parent", status);

    // waitid: the siginfo says how the child ended.
    fflush(stdout);
    p = fork();
    if (p == 0)
        _exit(42);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, p, &si, WEXITED) == 0)
        printf("waitid: pid matches: %s, si_signo SIGCHLD: %s, CLD_EXITED: %s, status %d\n",
               si.si_pid == p ? "yes" : "no", si.si_signo == SIGCHLD ? "yes" : "no",
               si.si_code == CLD_EXITED ? "yes" : "no", si.si_status);

    // vfork: the parent runs again only after the child's _exit.
    fflush(stdout);
    p = vfork();
    if (p == 0)
        _exit(7);
    waitpid(p, &status, 0);
    report("vfork child", status);

    // A vfork child that runs code before its _exit: code the parent ran before (a64x gives a
    // vfork child no translations: it makes them again) and code it runs first.
    unsigned before = mix(1000);
    fflush(stdout);
    p = vfork();
    if (p == 0)
        _exit((mix(1000) ^ mix2(77)) & 0x7f);
    waitpid(p, &status, 0);
    report("vfork child that computes", status);
    printf("expected %u\n", (before ^ mix2(77)) & 0x7f);

    // A child that forks a grandchild and reports its exit code as its own.
    fflush(stdout);
    p = fork();
    if (p == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(5);
        int st;
        waitpid(g, &st, 0);
        _exit(WIFEXITED(st) ? 20 + WEXITSTATUS(st) : 1);
    }
    waitpid(p, &status, 0);
    report("child of a grandchild", status);

    // No children left.
    printf("wait with no children: %s\n", wait(&status) == -1 ? "ECHILD" : "a child?");
    return 0;
}
