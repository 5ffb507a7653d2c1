// Raw clone(2) the way libraries other than glibc's fork use it: without CLONE_VM, with and
// without a new stack (the child runs a function on the new stack and exits with a raw exit);
// CLONE_VM|CLONE_VFORK and CLONE_VFORK alone; CLONE_CHILD_SETTID; an exit signal other than
// SIGCHLD; clone3 (ENOSYS, so that glibc falls back to clone); glibc's fork and vfork. No pids
// are printed. Not compared, because qemu-aarch64 7.2 differs from Linux there: whether a vfork
// parent runs before its child exits (qemu does not suspend it), and CLONE_PARENT_SETTID
// without CLONE_VM (qemu writes the child's copy, Linux the parent's).
//@ aarch64-only
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// raw_clone(flags, stack, fn, arg, ptid, ctid): clone(2) on AArch64 (flags, stack, ptid, tls,
// ctid). In the child (x0 == 0), on whatever stack the kernel gave it: x0 = fn(arg), then exit.
long raw_clone(unsigned long flags, void *stack, int (*fn)(void *), void *arg, int *ptid, int *ctid);
__asm__(".text\n"
        ".global raw_clone\n"
        "raw_clone:\n"
        "    mov x9, x2\n"
        "    mov x10, x3\n"
        "    mov x2, x4\n"
        "    mov x3, xzr\n"
        "    mov x4, x5\n"
        "    mov x8, #220\n"
        "    svc #0\n"
        "    cbnz x0, 1f\n"
        "    mov x0, x10\n"
        "    blr x9\n"
        "    mov x8, #93\n"
        "    svc #0\n"
        "1:  ret\n");

static char stack_mem[4][64 * 1024] __attribute__((aligned(16)));
static volatile int global = 1;
static int pipefd[2];

static void say(const char *s) {
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

// Runs in a child on stack_mem[n]: checks its stack, changes `global` (its own copy unless the
// memory is shared), reports through the pipe and stdout.
static int child_fn(void *arg) {
    long n = (long)arg;
    char here;
    char *lo = stack_mem[n], *hi = stack_mem[n] + sizeof stack_mem[n];
    int on_new_stack = &here >= lo && &here < hi;
    global = 100 + n;
    char msg[64];
    int len = snprintf(msg, sizeof msg, "child %ld: on new stack %d, global %d\n", n, on_new_stack, global);
    ssize_t r = write(1, msg, len);
    r = write(pipefd[1], msg, 1);
    (void)r;
    return 40 + n;
}

static void on_usr1(int sig) {
    (void)sig;
}

static void reap(const char *what, long pid) {
    int st = 0;
    if (pid < 0) {
        printf("%s: clone failed: %s\n", what, strerror(errno));
        return;
    }
    if (waitpid(pid, &st, 0) != pid) {
        printf("%s: waitpid: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: exited %d, status %d, parent's global %d\n", what, WIFEXITED(st), WEXITSTATUS(st), global);
    fflush(stdout);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (pipe(pipefd) != 0) return 1;

    // 1. A fork-like clone onto a new stack.
    long pid = raw_clone(SIGCHLD, stack_mem[0] + sizeof stack_mem[0], child_fn, (void *)0, NULL, NULL);
    reap("new stack", pid);

    // 2. A fork-like clone on the same (copied) stack: the child returns 0 here.
    pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, NULL);
    if (pid == 0) {
        global = 7;
        say("child on the old stack\n");
        syscall(SYS_exit, 5);
    }
    reap("old stack", pid);

    // 3. CLONE_VM|CLONE_VFORK onto a new stack: the parent sleeps until the child exits, so the
    //    child's line comes first.
    pid = raw_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, stack_mem[1] + sizeof stack_mem[1], child_fn, (void *)1,
                    NULL, NULL);
    global = 1;
    reap("vm+vfork", pid);

    // 4. CLONE_VFORK without CLONE_VM.
    pid = raw_clone(CLONE_VFORK | SIGCHLD, stack_mem[2] + sizeof stack_mem[2], child_fn, (void *)2, NULL, NULL);
    reap("vfork", pid);

    // 5. CLONE_CHILD_SETTID: the child's copy of ctid holds its tid, the parent's is untouched.
    int ctid = 0;
    pid = syscall(SYS_clone, CLONE_CHILD_SETTID | SIGCHLD, 0, NULL, NULL, &ctid);
    if (pid == 0) syscall(SYS_exit, ctid == syscall(SYS_gettid) ? 21 : 22);
    reap("child settid", pid);
    printf("ctid in the parent %d\n", ctid);
    pid = raw_clone(CLONE_CHILD_SETTID | SIGCHLD, stack_mem[3] + sizeof stack_mem[3], child_fn, (void *)3, NULL,
                    &ctid);
    reap("child settid, new stack", pid);

    // 6. An exit signal other than SIGCHLD (handled: its default action would end this process);
    //    waitpid needs __WALL.
    signal(SIGUSR1, on_usr1);
    pid = syscall(SYS_clone, SIGUSR1, 0, NULL, NULL, NULL);
    if (pid == 0) syscall(SYS_exit, 9);
    int st = 0;
    long w = waitpid(pid, &st, __WALL);
    printf("SIGUSR1 child: waited %d\n", w == pid);  // qemu 7.2 reports status 0, Linux 9

    // 7. clone3: glibc tries it first and falls back to clone on ENOSYS.
    struct {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    } args = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};
    long r = syscall(435, &args, sizeof args);
    if (r == 0) syscall(SYS_exit, 0);
    if (r > 0) {
        reap("clone3", r);
    } else {
        printf("clone3: %s\n", errno == ENOSYS ? "ENOSYS" : strerror(errno));
    }

    // 8. glibc's fork and vfork.
    pid = fork();
    if (pid == 0) _exit(11);
    reap("fork", pid);
    pid = vfork();
    if (pid == 0) _exit(12);
    reap("vfork()", pid);

    char buf[16];
    close(pipefd[1]);
    ssize_t n = read(pipefd[0], buf, sizeof buf);
    printf("bytes from the children: %zd\n", n);
    return 0;
}
