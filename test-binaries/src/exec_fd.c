// Exec without a plain path: fexecve of the program's own file opened close-on-exec (python's
// os.execve(fd, ...)), of a memfd copy of it, execveat relative to a directory descriptor,
// execve("/proc/self/fd/N") and "/dev/fd/N"; and execveat's errors (bad flags, an empty path
// without AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW on a symlink, a bad descriptor). Each exec runs in
// a forked child that re-runs this program with "child TAG", which prints the tag.
// qemu-aarch64 7.2 cannot exec an AArch64 program without binfmt_misc, so the host build of this
// program is the oracle (it execs itself the same ways).
//@ oracle: native
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void run(const char *what, int (*exec)(void *), void *arg) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int e = exec(arg);
        printf("%s: exec failed: %s\n", what, strerror(e));
        fflush(stdout);
        _exit(127);
    }
    int st = 0;
    waitpid(p, &st, 0);
    printf("%s: exited %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static char *args[4];

static int by_fd(void *arg) {
    fexecve(*(int *)arg, args, environ);
    return errno;
}

static int by_path(void *arg) {
    execve((const char *)arg, args, environ);
    return errno;
}

static int by_dirfd(void *arg) {
    const char *base = (const char *)arg;
    char dir[4096];
    if (!realpath("/proc/self/exe", dir))
        return errno;
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    syscall(SYS_execveat, dfd, base, args, environ, 0);
    return errno;
}

/// execveat's own errors; returns the errno of each in turn as text.
static void errors(const char *self) {
    int fd = open(self, O_RDONLY | O_CLOEXEC);
    long r = syscall(SYS_execveat, AT_FDCWD, self, args, environ, 0x40000);
    printf("execveat unknown flag: %ld %s\n", r, strerror(errno));
    r = syscall(SYS_execveat, fd, "", args, environ, 0);
    printf("execveat empty path without AT_EMPTY_PATH: %ld %s\n", r, strerror(errno));
    r = syscall(SYS_execveat, 999, "", args, environ, AT_EMPTY_PATH);
    printf("execveat closed descriptor: %ld %s\n", r, strerror(errno));
    r = syscall(SYS_execveat, AT_FDCWD, "no-such-program", args, environ, 0);
    printf("execveat missing file: %ld %s\n", r, strerror(errno));
    char link[64];
    snprintf(link, sizeof link, "/tmp/exec_fd_link_%d", getpid());
    if (symlink(self, link) == 0) {
        r = syscall(SYS_execveat, AT_FDCWD, link, args, environ, AT_SYMLINK_NOFOLLOW);
        printf("execveat AT_SYMLINK_NOFOLLOW on a symlink: %ld %s\n", r, strerror(errno));
        unlink(link);
    }
    close(fd);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        printf("  child %s runs\n", argv[2]);
        return 3;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    args[0] = argv[0];
    args[1] = "child";
    args[3] = NULL;

    int fd = open(self, O_RDONLY | O_CLOEXEC);
    args[2] = "fexecve";
    run("fexecve of a close-on-exec descriptor", by_fd, &fd);

    // A copy of the program in a memfd: a file with no path to re-open.
    int mfd = memfd_create("copy", MFD_CLOEXEC);
    char buf[65536];
    ssize_t k;
    lseek(fd, 0, SEEK_SET);
    while ((k = read(fd, buf, sizeof buf)) > 0)
        if (write(mfd, buf, (size_t)k) != k)
            return 1;
    args[2] = "memfd";
    run("fexecve of a memfd", by_fd, &mfd);

    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    args[2] = "proc-fd";
    run("execve of /proc/self/fd/N", by_path, path);
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    args[2] = "dev-fd";
    run("execve of /dev/fd/N", by_path, path);

    char copy[4096];
    strcpy(copy, self);
    args[2] = "dirfd";
    run("execveat relative to a directory descriptor", by_dirfd, basename(copy));

    errors(self);
    return 0;
}
