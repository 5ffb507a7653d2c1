// Hostile guest: reach the VM's own descriptors, and see the VM through the parts of /proc that
// describe a process beyond its maps (hostile_mem.c tries those). The VM keeps a descriptor of
// itself (for exec); to the guest it must be as closed as any number it never opened, under
// every way of naming it. A descriptor number is the VM's when fcntl(F_GETFD) says EBADF and
// yet another call finds a file there: that, or the VM's path or name, is an escape.
//   hostile_proc A64X_PATH
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *a64x;

static void verdict(const char *what, int escaped, const char *detail) {
    printf("%s: %s (%s)\n", what, escaped ? "ESCAPED" : "contained", detail);
}

static int closed(int fd) { return fcntl(fd, F_GETFD) < 0 && errno == EBADF; }

/// Every number the guest sees closed, tried with `probe`: how many it found open.
static int count_found(int (*probe)(int)) {
    int found = 0;
    for (int fd = 3; fd < 1024; fd++)
        if (closed(fd) && probe(fd))
            found++;
    return found;
}

static int by_dup(int fd) {
    int d = dup(fd);
    if (d >= 0)
        close(d);
    return d >= 0;
}

static int by_fstat(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0;
}

static int by_readlink(int fd) {
    char path[64], target[4096];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return readlink(path, target, sizeof target) >= 0;
}

static int by_fdinfo(int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    int f = open(path, O_RDONLY);
    if (f >= 0)
        close(f);
    return f >= 0;
}

static int pair[2];

/// Pass the descriptor to ourselves with SCM_RIGHTS: the copy received would be the VM's file.
static int by_scm_rights(int fd) {
    char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(pair[0], &m, 0) < 0)
        return 0;
    char got[CMSG_SPACE(sizeof(int))];
    struct msghdr r = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = got, .msg_controllen = sizeof got};
    if (recvmsg(pair[1], &r, 0) > 0 && CMSG_FIRSTHDR(&r)) {
        int copy;
        memcpy(&copy, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof copy);
        close(copy);
    }
    return 1;
}

static int pidfd = -1;

static int by_pidfd_getfd(int fd) {
    int d = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (d >= 0)
        close(d);
    return d >= 0;
}

/// A listing of `dir` (fd/ or fdinfo/): any entry that is a number the guest sees closed.
static void listing(const char *dir) {
    char what[128];
    int shown = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && atoi(e->d_name) != dirfd(d) && closed(atoi(e->d_name)))
            shown++;
    if (d)
        closedir(d);
    snprintf(what, sizeof what, "a VM descriptor in the listing of %s", dir);
    verdict(what, shown, shown ? "listed" : d ? "only the guest's" : "unreadable");
}

/// The whole of a (small) file, NUL-terminated.
static char *slurp(const char *path) {
    static char buf[1 << 16];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    return n > 0 ? buf : NULL;
}

/// The sum of the guest's mappings as its own /proc/self/maps lists them, in kB.
static unsigned long long guest_kb(void) {
    char *maps = slurp("/proc/self/maps");
    unsigned long long kb = 0;
    for (char *p = maps; p && *p;) {
        unsigned long long s, e;
        if (sscanf(p, "%llx-%llx", &s, &e) == 2)
            kb += (e - s) / 1024;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return kb;
}

static void process_files(void) {
    const char *base = strrchr(a64x, '/') ? strrchr(a64x, '/') + 1 : a64x;
    char *comm = slurp("/proc/self/comm");
    size_t len = strlen(base) < 15 ? strlen(base) : 15;
    int named = comm && strncmp(comm, base, len) == 0 && comm[len] == '\n';
    verdict("the VM's name in /proc/self/comm", named, named ? "the VM's" : comm ? "the guest's" : "unreadable");
    /* No handler installed: the VM's SIGSEGV/SIGBUS handlers must not show as caught. */
    char *status = slurp("/proc/self/status");
    char *cgt = status ? strstr(status, "SigCgt:") : NULL;
    unsigned long long caught = cgt ? strtoull(cgt + 7, NULL, 16) : 0;
    verdict("the VM's signal handlers in /proc/self/status", caught != 0,
            caught ? "caught signals shown" : cgt ? "the guest's" : "no SigCgt line");
    char *vmsize = status ? strstr(status, "VmSize:") : NULL;
    unsigned long long size = vmsize ? strtoull(vmsize + 7, NULL, 10) : 0, mine = guest_kb();
    verdict("the VM's size in /proc/self/status", size > mine + mine / 8,
            size > mine + mine / 8 ? "larger than the guest's mappings" : vmsize ? "the guest's" : "no VmSize line");
    char *statm = slurp("/proc/self/statm");
    unsigned long long pages = statm ? strtoull(statm, NULL, 10) : 0;
    verdict("the VM's size in /proc/self/statm", pages * 4 > mine + mine / 8,
            pages * 4 > mine + mine / 8 ? "larger than the guest's mappings" : statm ? "the guest's" : "unreadable");
    /* /proc/self/syscall shows the registers of the host: sp and pc above the guest region. */
    char *sc = slurp("/proc/self/syscall");
    int host = 0;
    for (char *p = sc; p && (p = strstr(p, "0x")); p += 2)
        host |= strtoull(p, NULL, 16) >= (1ULL << 46);
    verdict("the VM's registers in /proc/self/syscall", host, host ? "host addresses" : sc ? "the guest's" : strerror(errno));
    char target[4096];
    ssize_t n = readlink("/proc/self/../self/exe", target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    verdict("the VM's path through /proc/self/../self/exe", strcmp(target, a64x) == 0, n > 0 ? target : strerror(errno));
    /* Relative to a working directory under /proc. */
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) && chdir("/proc/self") == 0) {
        char *maps = slurp("maps");
        int shown = maps && strstr(maps, a64x) != NULL;
        verdict("the VM's mappings in maps under the working directory /proc/self", shown,
                shown ? "the VM's binary is listed" : maps ? "only the guest's" : "unreadable");
        n = readlink("exe", target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        verdict("the VM's path through exe under the working directory /proc/self", strcmp(target, a64x) == 0,
                n > 0 ? target : strerror(errno));
        if (chdir(cwd) != 0)
            perror("chdir");
    }
}

/// /proc/<tid>/maps of a second thread: a directory of this process, though not /proc/<pid>.
static void *thread_maps(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)gettid());
    char *maps = slurp(path);
    int shown = maps && strstr(maps, a64x) != NULL;
    verdict("the VM's mappings in /proc/<tid>/maps of a thread", shown,
            shown ? "the VM's binary is listed" : maps ? "only the guest's" : "unreadable");
    return NULL;
}

/// Whether `fd` is open on a procfs file: what a path swapped to /proc/self/mem would give.
static int on_procfs(int fd) {
    struct statfs st;
    return fd >= 0 && fstatfs(fd, &st) == 0 && st.f_type == 0x9fa0;
}

static void opened(const char *what, int fd) {
    verdict(what, fd >= 0, fd >= 0 ? "opened" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

static volatile int racing = 1;
static char swapped[64];

/// Flips `swapped` between a file's path and /proc/self/mem while the main thread opens it.
static void *swap_path(void *arg) {
    const char *plain = arg;
    while (racing) {
        strcpy(swapped, "/proc/self/mem");
        strcpy(swapped, plain);
    }
    return NULL;
}

/// /proc reached by ways a lexical look at the path cannot see.
static void proc_by_other_paths(void) {
    char link[64], path[128], target[4096];
    snprintf(link, sizeof link, "/tmp/a64x-hostile-%d", (int)getpid());
    unlink(link);
    if (symlink("/proc/self", link) == 0) {
        snprintf(path, sizeof path, "%s/mem", link);
        opened("/proc/self/mem read-write through a symlink to /proc/self", open(path, O_RDWR));
        snprintf(path, sizeof path, "%s/maps", link);
        int fd = open(path, O_RDONLY);
        char *maps = fd >= 0 ? slurp(path) : NULL;
        int shown = maps && strstr(maps, a64x) != NULL;
        verdict("the VM's mappings through a symlink to /proc/self", shown,
                shown ? "the VM's binary is listed" : maps ? "only the guest's" : "unreadable");
        if (fd >= 0)
            close(fd);
        snprintf(path, sizeof path, "%s/exe", link);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        verdict("the VM's path through a symlink to /proc/self and exe", strcmp(target, a64x) == 0,
                n > 0 ? target : strerror(errno));
        unlink(link);
    }
    /* An O_PATH descriptor of mem, reopened read-write through /proc/self/fd. */
    int o = open("/proc/self/mem", O_PATH);
    snprintf(path, sizeof path, "/proc/self/fd/%d", o);
    opened("/proc/self/mem reopened read-write from an O_PATH descriptor", o < 0 ? -1 : open(path, O_RDWR));
    if (o >= 0)
        close(o);
    /* openat2 with RESOLVE_* flags, relative to /proc/self. */
    int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
    struct open_how how = {.flags = O_RDWR, .resolve = RESOLVE_NO_XDEV};
    opened("/proc/self/mem read-write through openat2(RESOLVE_NO_XDEV)",
           (int)syscall(SYS_openat2, dir, "mem", &how, sizeof how));
    close(dir);
    /* Another a64x's memory: a child of ours. */
    int ready[2];
    if (pipe(ready) == 0) {
        pid_t child = fork();
        if (child == 0) {
            char c;
            close(ready[1]);
            if (read(ready[0], &c, 1) < 0)
                _exit(1);
            _exit(0);
        }
        snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
        opened("a child VM's memory through /proc/<pid>/mem", open(path, O_RDWR));
        close(ready[1]);
        waitpid(child, NULL, 0);
        close(ready[0]);
    }
    /* A path another thread swaps to /proc/self/mem between the VM's look and the kernel's. */
    char plain[64];
    snprintf(plain, sizeof plain, "/tmp/a64x-hostile-file-%d", (int)getpid());
    close(open(plain, O_CREAT | O_WRONLY, 0600));
    strcpy(swapped, plain);
    pthread_t t;
    pthread_create(&t, NULL, swap_path, plain);
    int got = 0;
    for (int i = 0; i < 20000; i++) {
        int fd = open(swapped, O_RDWR);
        got += on_procfs(fd);
        if (fd >= 0)
            close(fd);
    }
    racing = 0;
    pthread_join(t, NULL);
    unlink(plain);
    char detail[64];
    snprintf(detail, sizeof detail, "%d of 20000 opens reached it", got);
    verdict("/proc/self/mem by a path swapped during open", got, detail);
    /* Another mount of proc (needs privilege; unprivileged, mount fails and that contains it). */
    char mnt[64];
    snprintf(mnt, sizeof mnt, "/tmp/a64x-hostile-proc-%d", (int)getpid());
    mkdir(mnt, 0700);
    if (mount("proc", mnt, "proc", 0, NULL) == 0) {
        snprintf(path, sizeof path, "%s/self/mem", mnt);
        opened("/proc/self/mem through another mount of proc", open(path, O_RDWR));
        umount(mnt);
    } else {
        verdict("/proc/self/mem through another mount of proc", 0, strerror(errno));
    }
    rmdir(mnt);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    a64x = argv[1];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
    pidfd = syscall(SYS_pidfd_open, getpid(), 0);
    struct {
        const char *what;
        int (*probe)(int);
    } ways[] = {{"dup", by_dup},
                {"fstat", by_fstat},
                {"readlink of /proc/self/fd/N", by_readlink},
                {"open of /proc/self/fdinfo/N", by_fdinfo},
                {"SCM_RIGHTS", by_scm_rights},
                {"pidfd_getfd", by_pidfd_getfd}};
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        char what[128], detail[64];
        int found = count_found(ways[i].probe);
        snprintf(what, sizeof what, "a VM descriptor through %s", ways[i].what);
        snprintf(detail, sizeof detail, "%d found", found);
        verdict(what, found, detail);
    }
    listing("/proc/self/fd");
    listing("/proc/self/fdinfo");
    listing("/proc/thread-self/fd");
    process_files();
    proc_by_other_paths();
    pthread_t t;
    pthread_create(&t, NULL, thread_maps, NULL);
    pthread_join(t, NULL);
    return 0;
}
