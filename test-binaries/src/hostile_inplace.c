// Hostile guest: execs that a64x carries out in its own host process, abused. Each part prints
// "contained (...)" or "ESCAPED (...)"; tests/hostile.rs fails on any escape.
//   hostile_inplace chain N    exec itself N times, then wait for the end of stdin: the host
//                              process the VM runs in must not keep what each program left
//                              (memory, descriptors, mappings), which tests/hostile.rs checks
//   hostile_inplace            the other parts:
//   - an exec while another thread writes memory and makes syscalls: the exec still happens (the
//     kernel ends the other thread), and the new program has one thread;
//   - an exec of a file that claims to be an AArch64 ELF program and is not: the exec fails
//     (ENOEXEC, as the kernel checks the headers before its point of no return), and the parent
//     sees the child end, with no hang;
//   - execs whose path, argv or envp point at unmapped pages and at the VM's memory (above the
//     guest region): EFAULT each, and the program goes on;
//   - a chain of 50 execs of programs with a SIGWINCH handler while another process sends it
//     SIGWINCH without pause, so signals arrive while the VM tears a program down and starts the
//     next: the chain runs to its end.
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// A line of /proc/self/status as a number ("Threads:"), -1 if missing.
static long status_field(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, strlen(name)) == 0)
            v = atol(line + strlen(name));
    if (f)
        fclose(f);
    return v;
}

static void exec_self(char *mode, char *arg) {
    char *argv[] = {"hostile_inplace", mode, arg, NULL};
    fflush(stdout);
    execv("/proc/self/exe", argv);
    printf("exec: ESCAPED (execv failed)\n");
    exit(1);
}

// chain N: exec again N times, then say so and wait for the end of stdin (tests/hostile.rs
// looks at the host process meanwhile).
static int chain(int n) {
    if (n > 0) {
        char next[16];
        snprintf(next, sizeof next, "%d", n - 1);
        exec_self("chain", next);
    }
    printf("chain done\n");
    fflush(stdout);
    char b;
    while (read(0, &b, 1) > 0) {
    }
    return 0;
}

static volatile sig_atomic_t winches;
static void on_winch(int sig) {
    (void)sig;
    winches++;
}

// storm N: with a SIGWINCH handler, exec again N times, then say that the chain ended.
static int storm(int n) {
    signal(SIGWINCH, on_winch);
    if (n > 0) {
        char next[16];
        snprintf(next, sizeof next, "%d", n - 1);
        exec_self("storm", next);
    }
    printf("exec chain under a signal storm: contained (ran to its end)\n");
    return 0;
}

// execve with pointers the guest may not pass: each must fail with EFAULT.
static void bad_pointers(void) {
    char *unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(unmapped, 4096);
    char *vm = (char *)0x7f0000000000ul; // above the 64 TiB guest region: the VM's side
    char *argv_bad[] = {"x", unmapped, NULL};
    char *argv_vm[] = {"x", vm, NULL};
    char *ok[] = {"x", NULL};
    struct {
        const char *what;
        const char *path;
        char **argv, **envp;
    } tries[] = {
        {"unmapped path", unmapped, ok, ok},
        {"path in the VM", vm, ok, ok},
        {"argv array unmapped", "/proc/self/exe", (char **)unmapped, ok},
        {"argv array in the VM", "/proc/self/exe", (char **)vm, ok},
        {"argv string unmapped", "/proc/self/exe", argv_bad, ok},
        {"argv string in the VM", "/proc/self/exe", argv_vm, ok},
        {"envp array in the VM", "/proc/self/exe", ok, (char **)vm},
        {"envp string unmapped", "/proc/self/exe", ok, argv_bad},
    };
    int faults = 0, n = sizeof tries / sizeof tries[0];
    for (int i = 0; i < n; i++) {
        errno = 0;
        execve(tries[i].path, tries[i].argv, tries[i].envp);
        if (errno == EFAULT)
            faults++;
        else
            printf("exec with %s: ESCAPED (errno %d)\n", tries[i].what, errno);
    }
    printf("execs with bad pointers: %s (%d of %d EFAULT)\n", faults == n ? "contained" : "ESCAPED", faults, n);
}

static void *writer(void *arg) {
    volatile unsigned long *p = arg;
    for (;;) {
        p[0]++;
        getppid();
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "chain") == 0)
        return chain(atoi(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "storm") == 0)
        return storm(atoi(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "threads") == 0) {
        long t = status_field("Threads:");
        printf("exec beside a running thread: %s (%ld thread%s after it)\n", t == 1 ? "contained" : "ESCAPED", t,
               t == 1 ? "" : "s");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "fake") == 0) {
        char path[] = "/tmp/a64x-hostile_inplace-XXXXXX";
        int fd = mkstemp(path);
        // An ELF header for AArch64 (64-bit, little-endian, EM_AARCH64) and nothing after it.
        unsigned char h[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        h[16] = 2;   // ET_EXEC
        h[18] = 183; // EM_AARCH64
        if (fd < 0 || write(fd, h, sizeof h) != sizeof h || fchmod(fd, 0700) != 0)
            return 1;
        close(fd);
        char *av[] = {path, NULL};
        fflush(stdout);
        execv(path, av);
        unlink(path);
        printf("exec of a fake ELF file: contained (refused before the point of no return)\n");
        return 0;
    }
    fflush(stdout);
    int st;
    pid_t p = fork();
    if (p == 0) {
        pthread_t t;
        static unsigned long word;
        pthread_create(&t, NULL, writer, &word);
        usleep(1000);
        exec_self("threads", "");
    }
    waitpid(p, &st, 0);
    p = fork();
    if (p == 0) {
        char *av[] = {"hostile_inplace", "fake", NULL};
        execv("/proc/self/exe", av);
        _exit(1);
    }
    waitpid(p, &st, 0);
    printf("the fake ELF file's process: %s\n", WIFEXITED(st) || WIFSIGNALED(st) ? "contained (it ended)" : "ESCAPED");
    bad_pointers();
    fflush(stdout);
    pid_t chain_pid = fork();
    if (chain_pid == 0)
        exec_self("storm", "50");
    pid_t sender = fork();
    if (sender == 0) {
        while (kill(chain_pid, SIGWINCH) == 0) {
        }
        _exit(0);
    }
    waitpid(chain_pid, &st, 0);
    kill(sender, SIGKILL);
    int sst;
    waitpid(sender, &sst, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("exec chain under a signal storm: ESCAPED (status %#x)\n", st);
    return 0;
}
