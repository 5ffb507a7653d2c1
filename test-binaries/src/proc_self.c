/* /proc/self/cmdline, environ and stat describe the program, not the emulator: cmdline holds
 * exactly the argument strings (also after the program changes one in place, as setproctitle
 * does), environ the environment strings, and stat's name field is the program's. Another
 * process reading /proc/PID/cmdline and environ of this one (as ps, pgrep -f and pkill -f do)
 * sees the program's strings too, from the kernel. */
//@ args: one two three
//@ oracle: native
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int slurp(const char *path, char *buf, int size) {
    int fd = open(path, O_RDONLY), n = 0, got;
    if (fd < 0)
        return -1;
    while (n < size && (got = read(fd, buf + n, size - n)) > 0)
        n += got;
    close(fd);
    return n;
}

/* The strings of `list` laid end to end, each with its NUL. */
static int joined(char **list, char *out) {
    int n = 0;
    for (; *list; list++) {
        int len = strlen(*list) + 1;
        memcpy(out + n, *list, len);
        n += len;
    }
    return n;
}

int main(int argc, char **argv) {
    static char got[1 << 16], want[1 << 16];
    int n = slurp("/proc/self/cmdline", got, sizeof got), m = joined(argv, want);
    printf("cmdline: %d strings, %s\n", argc, n == m && memcmp(got, want, n) == 0 ? "as argv" : "DIFFERENT");
    argv[1][0] = 'O'; /* in place: the kernel reads the strings from the process's memory */
    n = slurp("/proc/self/cmdline", got, sizeof got);
    printf("after an in-place change: %.*s\n", (int)strlen(got + strlen(got) + 1), got + strlen(got) + 1);
    n = slurp("/proc/self/environ", got, sizeof got), m = joined(environ, want);
    printf("environ: %s\n", n == m && memcmp(got, want, n) == 0 ? "as environ" : "DIFFERENT");
    n = slurp("/proc/self/stat", got, sizeof got);
    got[n > 0 ? n : 0] = 0;
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    char comm[32];
    snprintf(comm, sizeof comm, "(%.15s)", base);
    printf("stat: pid %s, name %s\n", atoi(got) == getpid() ? "ours" : "OTHER",
           strstr(got, comm) ? "the program's" : "OTHER");
    fflush(stdout);
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)parent);
        n = slurp(path, got, sizeof got), m = joined(argv, want);
        printf("cmdline read by another process: %s\n", n == m && memcmp(got, want, n) == 0 ? "as argv" : "DIFFERENT");
        snprintf(path, sizeof path, "/proc/%d/environ", (int)parent);
        n = slurp(path, got, sizeof got), m = joined(environ, want);
        printf("environ read by another process: %s\n", n == m && memcmp(got, want, n) == 0 ? "as environ" : "DIFFERENT");
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, 0, 0);
    return 0;
}
