// Hostile guest: configure the a64x that runs the program it execs. A guest execve of an AArch64
// program re-executes a64x with the guest's environment; the variables a64x reads would turn its
// defences off (A64X_NO_CONFINE=1: translated accesses unconfined) or point it at a persistent
// translation cache the guest controls (A64X_CACHE_DIR, HOME, XDG_CACHE_HOME: a directory with a
// key of the guest's making, whose entries a64x would run as host code), or make the host's
// dynamic loader that starts a64x load a library of the guest's (LD_PRELOAD: host code).
//   hostile_env RO_ADDR RW_ADDR A64X_PATH   (the VM's ELF header and data, tests/hostile.rs)
// with HOSTILE_PRELOAD naming an x86-64 library whose constructor creates PRELOADED (below).
// The child reads RO_ADDR: "contained (SIGSEGV)" when the read faults, "ESCAPED" when it reads
// the VM. It also reports that it still sees the variables (the guest's environment is its own)
// and the parent that none of the planted cache directories was used.
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;

static void on_segv(int sig) {
    (void)sig;
    siglongjmp(back, 1);
}

static const char PRELOADED[] = "/tmp/a64x-hostile-env-preloaded";

static const char *const DIRS[] = {"/tmp/a64x-hostile-env-cache", "/tmp/a64x-hostile-env-home",
                                   "/tmp/a64x-hostile-env-xdg"};

static int child(const char *addr) {
    const char *nc = getenv("A64X_NO_CONFINE"), *cd = getenv("A64X_CACHE_DIR");
    printf("environment kept: %s\n", nc && cd && !strcmp(nc, "1") ? "yes" : "no");
    signal(SIGSEGV, on_segv);
    signal(SIGBUS, on_segv);
    volatile unsigned long *p = (unsigned long *)strtoul(addr, 0, 0);
    if (sigsetjmp(back, 1) == 0) {
        unsigned long v = *p;
        printf("A64X_NO_CONFINE through exec: %s (read %#lx)\n",
               (v & 0xffffffff) == 0x464c457f ? "ESCAPED" : "contained", v);
    } else {
        printf("A64X_NO_CONFINE through exec: contained (SIGSEGV)\n");
    }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "child") == 0)
        return child(argv[2]);
    if (argc < 2)
        return 2;
    /* tests/hostile.rs removes the directories first. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *args[] = {argv[0], "child", argv[1], NULL};
        static char preload[4200];
        const char *so = getenv("HOSTILE_PRELOAD");
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", so ? so : "");
        char *env[] = {"A64X_NO_CONFINE=1", "A64X_CACHE_DIR=/tmp/a64x-hostile-env-cache",
                       "HOME=/tmp/a64x-hostile-env-home", "XDG_CACHE_HOME=/tmp/a64x-hostile-env-xdg",
                       "QEMU_LD_PREFIX=/nonexistent", preload, NULL};
        execve(argv[0], args, env);
        perror("execve");
        _exit(1);
    }
    int st;
    waitpid(p, &st, 0);
    struct stat s;
    for (int i = 0; i < 3; i++)
        printf("cache directory %s: %s\n", DIRS[i], stat(DIRS[i], &s) == 0 ? "ESCAPED (made)" : "contained (unused)");
    printf("LD_PRELOAD through exec: %s\n", stat(PRELOADED, &s) == 0 ? "ESCAPED (host code ran)" : "contained (not loaded)");
    return 0;
}
