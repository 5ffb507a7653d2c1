// Hostile guest: run the translator binary natively with arguments of the guest's choosing, by
// its real path (given as argv[1] by tests/hostile.rs), through /proc paths the VM does not
// emulate literally, and through the VM's own descriptors found in /proc/self/fd. Each attempt
// runs in a child that prints "contained (...)" when the exec fails; an exec that succeeds
// runs `a64x --version`, whose version line tests/hostile.rs counts as an escape, or this
// program again (the guest's /proc/self/exe), which says so.
//   hostile_exec A64X_PATH [host-program]   (host-program: also exec it, for --no-host-exec)
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void try_exec(const char *what, const char *path) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {"a64x", "--version", NULL};
        execv(path, argv);
        printf("%s: contained (%s)\n", what, strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    /* Run again by an exec of /proc/self/exe under some spelling: that is the guest's program,
       as on Linux, not a64x (which would have printed its version). */
    if (strcmp(argv[1], "--version") == 0) {
        printf("exec through a /proc/self/exe spelling: contained (the guest's own program ran)\n");
        return 0;
    }
    try_exec("exec of the a64x binary by its path", argv[1]);
    try_exec("exec through //proc/self/../self/exe", "//proc/self/../self/exe");
    try_exec("exec through /proc/self/task/../exe", "/proc/self/task/../exe");
    // Every descriptor /proc/self/fd shows, the VM's included.
    DIR *d = opendir("/proc/self/fd");
    int tried = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[64], target[4096];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strcmp(target, argv[1]) == 0) {
            try_exec("exec through the VM's descriptor of itself", path);
            tried++;
        }
    }
    printf("VM descriptors naming a64x found: %s\n", tried ? "some" : "none");
    if (argc > 2)
        try_exec("exec of a host program", argv[2]);
    return 0;
}
