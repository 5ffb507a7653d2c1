// System-call arguments the VM copies itself (paths, struct stat, uname's buffer, a sigaction)
// at addresses that fault: a read-only page, a page of a file cut short under its mapping
// (mapped, yet any access raises SIGBUS), a path running into an unmapped page. Linux answers
// EFAULT and the process goes on; so must the VM, whose copies catch the fault instead of dying
// of it. Then the same with SIGSEGV and SIGBUS blocked (a fault the VM took then would kill it),
// and paths that end right before an unmapped page, longer than one copy, or too long. The host
// build is the oracle: the errors are the kernel's own.
//@ oracle: native
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAGE 4096

static void show(const char *what, long r) {
    printf("%-36s %s\n", what, r >= 0 ? "ok" : strerror(errno));
}

/// Two pages of a file mapped shared and read-write, then the file cut to nothing: the mapping
/// stays, and any access to it raises SIGBUS.
static char *cut_file(void) {
    char path[] = "/tmp/sys_copy_faultXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    unlink(path);
    if (ftruncate(fd, 2 * PAGE) != 0) {
        perror("ftruncate");
        exit(1);
    }
    char *p = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    strcpy(p, "/tmp");
    if (ftruncate(fd, 0) != 0) perror("ftruncate");
    close(fd);
    return p;
}

static void bad_pointers(const char *when, char *cut, char *ro, char *edge) {
    char what[80];
    struct stat st;
    int fd = open("/", O_RDONLY | O_DIRECTORY);
#define SHOW(name, call)                                                                      \
    do {                                                                                      \
        snprintf(what, sizeof what, "%s, %s", name, when);                                    \
        errno = 0;                                                                            \
        show(what, (long)(call));                                                             \
    } while (0)
    SHOW("open cut-file path", open(cut, O_RDONLY));
    SHOW("open path into unmapped", open(edge + PAGE - 4, O_RDONLY));
    SHOW("stat cut-file path", stat(cut, &st));
    SHOW("fstat into read-only", fstat(fd, (struct stat *)ro));
    SHOW("fstat into cut file", fstat(fd, (struct stat *)cut));
    SHOW("uname into read-only", uname((struct utsname *)ro));
    SHOW("rt_sigaction from cut file", syscall(SYS_rt_sigaction, SIGUSR1, cut, NULL, 8));
    SHOW("rt_sigaction into read-only", syscall(SYS_rt_sigaction, SIGUSR1, NULL, ro, 8));
    close(fd);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    char *cut = cut_file();
    char *ro = mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    // A page of path bytes with the one after it unmapped.
    char *edge = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED || edge == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    munmap(edge + PAGE, PAGE);
    memset(edge, 'a', PAGE);
    memcpy(edge, "/tmp/", 5);

    bad_pointers("caught", cut, ro, edge);
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    sigprocmask(SIG_BLOCK, &faults, NULL);
    bad_pointers("blocked", cut, ro, edge);
    sigprocmask(SIG_UNBLOCK, &faults, NULL);

    // A path that ends with the page: "/nonexistent" and its NUL in the last bytes.
    static const char tail[] = "/nonexistent";
    char *at = edge + PAGE - sizeof tail;
    memcpy(at, tail, sizeof tail);
    errno = 0;
    show("open path ending at the page's end", open(at, O_RDONLY));
    // Longer than the first bytes a copy takes, within one page and across two.
    char longer[700];
    memset(longer, 'b', sizeof longer);
    memcpy(longer, "/tmp/", 5);
    for (int i = 100; i < (int)sizeof longer; i += 100) longer[i] = '/';
    longer[sizeof longer - 1] = 0;
    errno = 0;
    show("open 700-byte path", open(longer, O_RDONLY));
    char *two = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(two, 'c', 2 * PAGE);
    char *across = two + PAGE - 100;
    memcpy(across, "/tmp/", 5);
    across[200] = 0;
    errno = 0;
    show("open path across two pages", open(across, O_RDONLY));
    two[2 * PAGE - 1] = 0;
    errno = 0;
    show("open path of 4095+ bytes", open(two + 1, O_RDONLY));
    // And a plain path still opens after all that.
    errno = 0;
    show("open /tmp", open("/tmp", O_RDONLY | O_DIRECTORY));
    printf("survived\n");
    return 0;
}
