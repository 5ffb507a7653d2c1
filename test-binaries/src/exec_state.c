// What an execve keeps and what it resets (fs/exec.c, `man 2 execve`), seen by the program it
// starts: the pid and parent, descriptors (close-on-exec ones closed), ignored signals (handled
// ones back to their default), the blocked mask and pending signals, no alternate signal stack,
// none of the old mappings, interval timers, rlimits, umask, the working directory, argv and the
// environment given; and the process's name, a `#!` script's own. Once from a forked child (the usual fork and exec), once from a child forked
// by a second thread, then from the first process itself. a64x carries such an exec out in its own host process; tests/process.rs runs
// this also with that turned off, and the host build of this program is the oracle.
//@ oracle: native
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

// An address inside a64x's guest region and free in a native process.
#define OLD_MAPPING ((void *)0x3e0000000000ul)

static void on_usr2(int sig) { (void)sig; }

static const char *disposition(int sig) {
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    if (sa.sa_handler == SIG_IGN)
        return "ignored";
    if (sa.sa_handler == SIG_DFL)
        return "default";
    return "handled";
}

static const char *yes(int b) { return b ? "yes" : "no"; }

// Runs after the exec: print what the new program finds.
static int check(char **argv) {
    long pid = atol(argv[2]), ppid = atol(argv[3]);
    int keep = atoi(argv[4]), gone = atoi(argv[5]), dup_gone = atoi(argv[6]);
    printf("%s: argv[0] %s, same pid %s, same parent %s\n", argv[7], argv[0], yes(getpid() == pid),
           yes(getppid() == ppid));
    printf("%s: EXEC_STATE=%s\n", argv[7], getenv("EXEC_STATE") ? getenv("EXEC_STATE") : "(unset)");
    printf("%s: kept descriptor open %s, close-on-exec ones open %s %s\n", argv[7],
           yes(fcntl(keep, F_GETFD) >= 0), yes(fcntl(gone, F_GETFD) >= 0), yes(fcntl(dup_gone, F_GETFD) >= 0));
    char buf[16] = {0};
    lseek(keep, 0, SEEK_SET);
    ssize_t n = read(keep, buf, sizeof buf - 1);
    printf("%s: kept descriptor reads %zd bytes: %s\n", argv[7], n, buf);
    printf("%s: SIGUSR1 %s, SIGUSR2 %s, SIGCHLD %s, SIGTERM %s\n", argv[7], disposition(SIGUSR1),
           disposition(SIGUSR2), disposition(SIGCHLD), disposition(SIGTERM));
    sigset_t mask, pending;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigpending(&pending);
    printf("%s: SIGHUP blocked %s, pending %s; SIGINT blocked %s\n", argv[7], yes(sigismember(&mask, SIGHUP)),
           yes(sigismember(&pending, SIGHUP)), yes(sigismember(&mask, SIGINT)));
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("%s: alternate stack disabled %s\n", argv[7], yes(ss.ss_flags & SS_DISABLE));
    unsigned char vec;
    int r = mincore(OLD_MAPPING, 4096, &vec);
    printf("%s: old mapping gone %s\n", argv[7], yes(r != 0 && errno == ENOMEM));
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    printf("%s: interval timer still armed %s\n", argv[7], yes(it.it_value.tv_sec > 0));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("%s: descriptor limit kept %s\n", argv[7], yes(rl.rlim_cur == 200));
    mode_t old = umask(0);
    printf("%s: umask %03o\n", argv[7], old);
    char cwd[4096];
    printf("%s: in /tmp %s\n", argv[7], yes(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0));
    fflush(stdout);
    return 0;
}

// Set up state for `check` to find, then exec this program again; returns only on failure.
static void setup_and_exec(const char *self, const char *tag) {
    char path[] = "/tmp/a64x-exec_state-XXXXXX";
    int keep = mkstemp(path);
    if (keep < 0 || write(keep, "kept", 4) != 4) {
        perror("mkstemp");
        exit(1);
    }
    unlink(path);
    int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int dup_gone = fcntl(keep, F_DUPFD_CLOEXEC, 40);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, on_usr2);
    signal(SIGCHLD, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGHUP);
    static char stack[65536];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    if (mmap(OLD_MAPPING, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
        OLD_MAPPING) {
        perror("mmap");
        exit(1);
    }
    struct itimerval it = {.it_value = {.tv_sec = 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = 200;
    setrlimit(RLIMIT_NOFILE, &rl);
    umask(027);
    if (chdir("/tmp") != 0) {
        perror("chdir");
        exit(1);
    }
    char pid[32], ppid[32], k[16], g[16], d[16];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(ppid, sizeof ppid, "%ld", (long)getppid());
    snprintf(k, sizeof k, "%d", keep);
    snprintf(g, sizeof g, "%d", gone);
    snprintf(d, sizeof d, "%d", dup_gone);
    char *argv[] = {"renamed", "check", pid, ppid, k, g, d, (char *)tag, NULL};
    char *envp[] = {"EXEC_STATE=given", NULL};
    fflush(stdout);
    execve(self, argv, envp);
    perror("execve");
    exit(1);
}

static char self[4096];

// fork, set up and exec in the child (tagged `tag`), wait and report.
static void fork_and_exec(const char *tag) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0)
        setup_and_exec(self, tag);
    int status;
    waitpid(child, &status, 0);
    printf("%s: exit status %d\n", tag, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

// Runs as a `#!` script's interpreter: argv[1] is the script's path. The kernel names the
// process after the path exec'd (its last component, at most 15 bytes), the script's.
static int check_comm(const char *script) {
    char comm[32] = {0}, want[16] = {0};
    FILE *f = fopen("/proc/self/comm", "r");
    if (!f || !fgets(comm, sizeof comm, f)) {
        perror("/proc/self/comm");
        return 1;
    }
    fclose(f);
    comm[strcspn(comm, "\n")] = 0;
    const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
    strncpy(want, base, 15);
    printf("script: named after the script %s\n", yes(strcmp(comm, want) == 0));
    fflush(stdout);
    return 0;
}

// fork, write a script whose interpreter is this program and exec it in the child, wait.
static void fork_and_exec_script(void) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char path[] = "/tmp/a64x-xs-XXXXXX";
        int fd = mkstemp(path);
        char line[4200];
        int n = snprintf(line, sizeof line, "#!%s\n", self);
        if (fd < 0 || write(fd, line, n) != n || fchmod(fd, 0755) != 0) {
            perror("script");
            exit(1);
        }
        close(fd);
        char *argv[] = {"script", "comm", NULL};
        char *envp[] = {NULL};
        execve(path, argv, envp);
        perror("execve script");
        exit(1);
    }
    int status;
    waitpid(child, &status, 0);
    printf("script: exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

// fork and exec from a thread of the first process's.
static void *thread_forks(void *arg) {
    (void)arg;
    fork_and_exec("child of a thread");
    return NULL;
}

// The process's threads (/proc/self/status), once the count is 1 or after about 2 s: a thread
// just joined may be a moment longer in the list, but a process whose guest threads have all
// ended has no other (a64x ends a thread of its own it ran meanwhile, src/prefault.rs).
static long threads_settled(void) {
    long t = -1;
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        t = -1;
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "Threads:", 8) == 0)
                t = atol(line + 8);
        if (f)
            fclose(f);
        if (t == 1)
            break;
        usleep(1000);
    }
    return t;
}

int main(int argc, char **argv) {
    if (argc >= 8 && strcmp(argv[1], "check") == 0)
        return check(argv);
    if (argc == 3 && strcmp(argv[2], "comm") == 0) {
        int r = check_comm(argv[1]);
        unlink(argv[1]);
        return r;
    }
    // The program's own file by an absolute path: the exec happens after a chdir.
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        perror("readlink");
        return 1;
    }
    self[n] = 0;
    fork_and_exec("forked child");
    fork_and_exec_script();
    pthread_t t;
    pthread_create(&t, NULL, thread_forks, NULL);
    pthread_join(t, NULL);
    printf("threads after the join: %ld\n", threads_settled());
    fflush(stdout);
    setup_and_exec(self, "first process");
    return 1;
}
