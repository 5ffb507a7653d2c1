// Hostile guest: reach the VM's memory. tests/hostile.rs runs a64x without address-space
// randomisation, so the VM's own binary is at a known place, and passes two of its addresses:
// RO, the first byte of a64x's ELF header, and RW, a byte of its writable data. The program tries
// plain loads and stores, and system calls that make the host kernel read or write there. Each
// attempt prints "contained (...)" or, only if it got through, "ESCAPED (...)".
// With a third argument, A64X (the a64x binary's path), /proc is attacked too: /proc/self/mem
// (which writes past page protections) and every spelling of /proc/self/maps must not show it.
//   hostile_mem RO RW [A64X]
//@ aarch64-only
//@ hostile
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int faulted;

static void on_segv(int sig) {
    (void)sig;
    faulted = 1;
    siglongjmp(back, 1);
}

static void verdict(const char *what, int escaped, const char *how) {
    printf("%s: %s (%s)\n", what, escaped ? "ESCAPED" : "contained", how);
}

/// A plain load from `addr` in translated code.
static void load(const char *what, uintptr_t addr) {
    faulted = 0;
    volatile uint32_t v = 0;
    if (sigsetjmp(back, 1) == 0)
        v = *(volatile uint32_t *)addr;
    if (faulted)
        verdict(what, 0, "SIGSEGV");
    else
        verdict(what, v == 0x464c457f, v == 0x464c457f ? "read the VM's ELF header" : "read guest memory");
}

/// A plain store to `addr`; `probe` is read back at the address the store would alias to.
static void store(const char *what, uintptr_t addr) {
    faulted = 0;
    if (sigsetjmp(back, 1) == 0)
        *(volatile uint8_t *)addr = 0x5a;
    verdict(what, 0, faulted ? "SIGSEGV" : "the store stayed in guest memory");
}

/// A 16-byte vector load (LDR Q) from `addr` in translated code.
static void vload(const char *what, uintptr_t addr) {
    faulted = 0;
    volatile uint64_t lo = 0;
    if (sigsetjmp(back, 1) == 0) {
        uint64_t v;
        asm volatile("ldr q0, [%1]\n\tfmov %0, d0" : "=r"(v) : "r"(addr) : "v0", "memory");
        lo = v;
    }
    if (faulted)
        verdict(what, 0, "SIGSEGV");
    else
        verdict(what, (uint32_t)lo == 0x464c457f, (uint32_t)lo == 0x464c457f ? "read the VM's ELF header" : "read guest memory");
}

/// A 16-byte vector store (STR Q) to `addr`.
static void vstore(const char *what, uintptr_t addr) {
    faulted = 0;
    if (sigsetjmp(back, 1) == 0)
        asm volatile("movi v0.16b, #0x5a\n\tstr q0, [%0]" : : "r"(addr) : "v0", "memory");
    verdict(what, 0, faulted ? "SIGSEGV" : "the store stayed in guest memory");
}

/// The first 16 bytes of an ELF64 little-endian header (a64x's own, at RO).
#define ELF_WORD0 0x00010102464c457fULL
#define ELF_WORD1 0ULL

/// Whether a plain load (inline code, confined) of `addr` faults.
static int plain_load_faults(uintptr_t addr) {
    faulted = 0;
    if (sigsetjmp(back, 1) == 0)
        (void)*(volatile uint64_t *)addr;
    return faulted;
}

/// The verdict on a pair helper's access of `addr` that did not fault and found `lo` there: it
/// escaped if it read a64x's ELF header, or reached memory a plain load of the same address
/// cannot (both are confined alike, and the helper's access needs more rights than a load).
static void helper_verdict(const char *what, uintptr_t addr, uint64_t lo) {
    if (lo == ELF_WORD0)
        verdict(what, 1, "read the VM's ELF header");
    else if (plain_load_faults(addr))
        verdict(what, 1, "reached memory a plain load cannot");
    else
        verdict(what, 0, "acted on guest memory");
}

/// LDXP of the 16 bytes at `addr` (16-aligned): done by a VM helper, not by inline code, so it
/// is the helper's confinement that is attacked.
static void ldxp(const char *what, uintptr_t addr) {
    faulted = 0;
    uint64_t lo = 0, hi = 0;
    if (sigsetjmp(back, 1) == 0)
        asm volatile("ldxp %0, %1, [%2]\n\tclrex" : "=&r"(lo), "=&r"(hi) : "r"(addr) : "memory");
    if (faulted)
        verdict(what, 0, "SIGSEGV");
    else
        helper_verdict(what, addr, lo);
}

/// CASP at `addr` (16-aligned) expecting the ELF header and swapping in a marker.
static void casp(const char *what, uintptr_t addr) {
    faulted = 0;
    register uint64_t x0 asm("x0") = ELF_WORD0, x1 asm("x1") = ELF_WORD1;
    register uint64_t x2 asm("x2") = 0x5a5a5a5a5a5a5a5aULL, x3 asm("x3") = 0x5a5a5a5a5a5a5a5aULL;
    if (sigsetjmp(back, 1) == 0)
        asm volatile(".arch_extension lse\n\tcasp x0, x1, x2, x3, [%2]"
                     : "+r"(x0), "+r"(x1)
                     : "r"(addr), "r"(x2), "r"(x3)
                     : "memory");
    if (faulted)
        verdict(what, 0, "SIGSEGV");
    else
        helper_verdict(what, addr, x0);
}

/// The result of a system call given a VM pointer: success means the kernel touched VM memory.
static void sys(const char *what, long r) {
    int e = errno;
    verdict(what, r >= 0, r >= 0 ? "the call succeeded" : strerror(e));
}

/// Whether `text` holds an address above the guest region (2^46): as hex map ranges (smaps),
/// or, for /proc/self/stat (`decimal`), as decimal fields.
static int vm_address_in(const char *text, int decimal) {
    const unsigned long long limit = 1ULL << 46;
    for (const char *p = text; *p; p++) {
        if (decimal ? (*p >= '0' && *p <= '9' && (p == text || p[-1] == ' '))
                    : (p == text || p[-1] == '\n')) {
            char *end;
            unsigned long long v = strtoull(p, &end, decimal ? 10 : 16);
            if (end != p && v >= limit && v != ~0ULL)
                return 1;
            if (!decimal && *end == '-' && strtoull(end + 1, NULL, 16) > limit)
                return 1;
        }
    }
    return 0;
}

/// /proc: the VM's memory through /proc/self/mem, its mappings through /proc/self/maps.
static void proc_attacks(const char *a64x, uintptr_t rw) {
    char path[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/mem", (int)gettid());
    const char *mems[] = {"/proc/self/mem", "/proc/self/../self/mem", path};
    for (int i = 0; i < 3; i++) {
        char what[160];
        snprintf(what, sizeof what, "pwrite() to the VM through %s", mems[i]);
        int fd = open(mems[i], O_RDWR);
        sys(what, fd < 0 ? -1 : pwrite(fd, "X", 1, (off_t)rw));
        if (fd >= 0)
            close(fd);
    }
    snprintf(path, sizeof path, "/proc/self/task/%d/maps", (int)gettid());
    const char *maps[] = {"/proc/self/maps", "/proc/self/../self/maps", "/proc/thread-self/../self/maps",
                          "//proc//self/./maps", path};
    for (int i = 0; i < 5; i++) {
        char what[160], buf[65536];
        snprintf(what, sizeof what, "the VM's mappings in %s", maps[i]);
        int fd = open(maps[i], O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        int shown = strstr(buf, a64x) != NULL;
        verdict(what, shown, shown ? "the VM's binary is listed" : n > 0 ? "only the guest's" : "unreadable");
        if (fd >= 0)
            close(fd);
    }
    int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
    int fd = openat(dir, "maps", O_RDONLY);
    char buf[65536];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    int shown = strstr(buf, a64x) != NULL;
    verdict("the VM's mappings through openat(/proc/self, \"maps\")", shown,
            shown ? "the VM's binary is listed" : "only the guest's");
    /* The other files that describe the process: no VM mapping, no VM address, not its name. */
    const char *more[] = {"/proc/self/smaps", "/proc/self/smaps_rollup", "/proc/self/stat", "/proc/self/cmdline"};
    for (int i = 0; i < 4; i++) {
        char what[160], big[1 << 18];
        snprintf(what, sizeof what, "the VM in %s", more[i]);
        fd = open(more[i], O_RDONLY);
        n = fd < 0 ? -1 : 0;
        for (ssize_t got = 1; fd >= 0 && got > 0 && n < (ssize_t)sizeof big - 1; n += got)
            got = read(fd, big + n, sizeof big - 1 - n), got = got < 0 ? 0 : got;
        if (fd >= 0)
            close(fd);
        for (ssize_t k = 0; k < n; k++)
            big[k] = big[k] ? big[k] : ' ';
        big[n > 0 ? n : 0] = 0;
        const char *base = strrchr(a64x, '/') ? strrchr(a64x, '/') + 1 : a64x;
        if (i == 3) /* the VM's path is one of the arguments here: it must not be the first */
            shown = strncmp(big, a64x, strlen(a64x)) == 0;
        else
            shown = strstr(big, a64x) != NULL || (i == 2 && strstr(big, base) != NULL) || vm_address_in(big, i == 2);
        verdict(what, shown, shown ? "the VM is shown" : n > 0 ? "only the guest's" : "unreadable");
    }
}

union semun {
    int val;
    void *ptr;
};

/// System V IPC, keys, futex_waitv, kcmp and prctl: calls whose pointers the kernel follows for
/// some commands only, or that lie inside structures; and shared memory attached over the VM.
static void ipc_attacks(uintptr_t ro, uintptr_t rw) {
    int sem = semget(IPC_PRIVATE, 2, 0600);
    sys("semctl(GETALL) into the VM", semctl(sem, 0, GETALL, (union semun){.ptr = (void *)rw}));
    sys("semctl(IPC_STAT) into the VM", semctl(sem, 0, IPC_STAT, (union semun){.ptr = (void *)rw}));
    sys("semctl(SETALL) from the VM's binary", semctl(sem, 0, SETALL, (union semun){.ptr = (void *)ro}));
    semctl(sem, 0, IPC_RMID);

    // A key whose payload the guest chose, read back through the VM's memory.
    long key = syscall(SYS_add_key, "user", "a64x-hostile", "0123456789abcdef", 16, -2L);
    sys("keyctl(KEYCTL_READ) into the VM", key < 0 ? key : syscall(SYS_keyctl, 11, key, rw, 16));
    sys("keyctl(KEYCTL_DESCRIBE) into the VM", key < 0 ? key : syscall(SYS_keyctl, 6, key, rw, 16));

    // futex_waitv compares a word with a value: EAGAIN or ETIMEDOUT would tell what the VM holds.
    struct {
        uint64_t val, uaddr;
        uint32_t flags, reserved;
    } waiter = {0x12345678, rw & ~(uintptr_t)3, 2 /* FUTEX_32 */ | 128 /* FUTEX_PRIVATE_FLAG */, 0};
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    errno = 0;
    long r = syscall(449 /* futex_waitv */, &waiter, 1, 0, &now, CLOCK_MONOTONIC);
    verdict("futex_waitv() on a word of the VM", r >= 0 || errno == EAGAIN || errno == ETIMEDOUT, strerror(errno));

    // kcmp reads a struct kcmp_epoll_slot for KCMP_EPOLL_TFD: EBADF or ENOENT say it did.
    int ep = epoll_create1(0);
    errno = 0;
    r = syscall(SYS_kcmp, getpid(), getpid(), 7 /* KCMP_EPOLL_TFD */, ep, rw);
    int e = errno;
    verdict("kcmp(KCMP_EPOLL_TFD) with the slot in the VM",
            r >= 0 || (e != EFAULT && e != ENOSYS && e != EPERM && e != EACCES), strerror(e));
    close(ep);

    prctl(PR_SET_NAME, "hostile-name");
    sys("prctl(PR_GET_NAME) into the VM", prctl(PR_GET_NAME, rw));
    sys("prctl(PR_SET_NAME) from the VM's binary", prctl(PR_SET_NAME, ro));
    sys("prctl(PR_GET_PDEATHSIG) into the VM", prctl(PR_GET_PDEATHSIG, rw));

    // mq_notify(SIGEV_THREAD) copies 32 bytes at sival_ptr to a netlink socket the guest reads.
    // The copy comes first: any error but EFAULT says it was made.
    int nl = socket(AF_NETLINK, SOCK_RAW, 0);
    long q = syscall(SYS_mq_open, "a64x-hostile", O_CREAT | O_RDWR, 0600, NULL);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_signo = nl};
    ev.sigev_value.sival_ptr = (void *)ro;
    errno = 0;
    r = syscall(SYS_mq_notify, q, &ev);
    e = errno;
    verdict("mq_notify(SIGEV_THREAD) with the cookie in the VM", r >= 0 || (e != EFAULT && e != ENOSYS), strerror(e));
    syscall(SYS_mq_unlink, "a64x-hostile");
    close(nl);

    // SO_ATTACH_FILTER reads the program through the sock_fprog's pointer (and SO_GET_FILTER
    // gives it back): any error but EFAULT says it was read.
    int us = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sock_fprog fp = {.len = 1, .filter = (struct sock_filter *)ro};
    errno = 0;
    r = setsockopt(us, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
    e = errno;
    verdict("setsockopt(SO_ATTACH_FILTER) with the program in the VM", r >= 0 || e != EFAULT, strerror(e));
    close(us);

    // SIOCGIFCONF fills the buffer its struct ifconf points to with the interfaces.
    int ds = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifconf ifc = {.ifc_len = 40, .ifc_buf = (char *)rw};
    sys("ioctl(SIOCGIFCONF) into the VM", ioctl(ds, SIOCGIFCONF, &ifc));
    close(ds);

    // Emulated rows that hand a pointer on to the kernel: readlinkat's buffer (the target is
    // the guest's choice), timer_create's sigevent (its value comes back in the signal) and id.
    char link[64];
    snprintf(link, sizeof link, "/tmp/a64x-hostile-link-%d", (int)getpid());
    symlink("AAAAAAAAAAAAAAAA", link);
    sys("readlinkat() into the VM", syscall(SYS_readlinkat, AT_FDCWD, link, rw, 16));
    unlink(link);
    timer_t tid;
    errno = 0;
    r = syscall(SYS_timer_create, CLOCK_MONOTONIC, ro, &tid);
    e = errno;
    // (EINVAL says the kernel read it: the VM's bytes made no valid sigevent.)
    verdict("timer_create() with the sigevent in the VM", r >= 0 || e != EFAULT, strerror(e));
    sys("timer_create() with the timer id into the VM", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, rw));

    int shm = shmget(IPC_PRIVATE, 4096, 0600);
    void *vm_page = (void *)(ro & ~(uintptr_t)4095);
    void *at = shmat(shm, vm_page, SHM_REMAP);
    sys("shmat(SHM_REMAP) over the VM's binary", at == (void *)-1 ? -1 : 0);
    at = shmat(shm, vm_page, 0);
    sys("shmat() at the VM's binary", at == (void *)-1 ? -1 : 0);
    sys("shmdt() of the VM's binary", shmdt(vm_page));
    // A NUMA policy (MPOL_DEFAULT) set on the VM's pages.
    sys("mbind() of the VM's binary", syscall(SYS_mbind, vm_page, 4096, 0, NULL, 0, 0));
    shmctl(shm, IPC_RMID, NULL);
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    uintptr_t ro = strtoull(argv[1], NULL, 0), rw = strtoull(argv[2], NULL, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    load("load from the VM's binary", ro);
    load("load from the VM's data", rw);
    store("store to the VM's data", rw);
    vload("vector load from the VM's binary", ro);
    vload("vector load from the VM's data", rw);
    vstore("vector store to the VM's data", rw);
    ldxp("ldxp from the VM's binary", ro);
    casp("casp on the VM's binary", ro);
    ldxp("ldxp from the VM's data", rw & ~(uintptr_t)15);
    casp("casp on the VM's data", rw & ~(uintptr_t)15);
    // An address with a tag in the top byte reaches the guest's own memory (top-byte-ignore).
    static uint32_t mine = 0x11223344;
    uint32_t tagged = *(volatile uint32_t *)((uintptr_t)&mine | (0x5aull << 56));
    printf("tagged pointer load: %s\n", tagged == 0x11223344 ? "reads the guest's word" : "wrong");

    int p[2];
    if (pipe(p) != 0)
        return 1;
    errno = 0;
    sys("write() from the VM's binary", write(p[1], (void *)ro, 4));
    sys("write() from the VM's data", write(p[1], (void *)rw, 4));
    write(p[1], "AAAA", 4);
    sys("read() into the VM's data", read(p[0], (void *)rw, 4));
    struct iovec iov = {(void *)rw, 4};
    write(p[1], "BBBB", 4);
    sys("readv() into the VM's data", readv(p[0], &iov, 1));
    sys("readv() with the iovec array in the VM", readv(p[0], (struct iovec *)rw, 1));
    sys("writev() from the VM's binary", ({ struct iovec w = {(void *)ro, 4}; writev(p[1], &w, 1); }));
    sys("clock_gettime() into the VM", clock_gettime(CLOCK_MONOTONIC, (struct timespec *)rw));
    sys("getrandom() into the VM", getrandom((void *)rw, 8, 0));
    sys("pipe2() into the VM", pipe2((int *)rw, 0));
    sys("gettimeofday() into the VM", syscall(SYS_gettimeofday, rw, 0));
    sys("uname() into the VM", syscall(SYS_uname, rw));
    sys("fstat() into the VM", syscall(SYS_fstat, 0, rw));
    sys("ppoll() with fds in the VM", syscall(SYS_ppoll, rw, 1, &(struct timespec){0, 0}, 0, 8));
    sys("getcwd() into the VM", syscall(SYS_getcwd, rw, 64));
    sys("futex(FUTEX_WAKE_OP) with uaddr2 in the VM",
        syscall(SYS_futex, &mine, 5 /* FUTEX_WAKE_OP */, 1, 1, rw, 0x10000000 /* set bit 0 */));
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "CCCC", 4, 0);
    struct iovec riov = {(void *)rw, 4};
    struct msghdr m = {.msg_iov = &riov, .msg_iovlen = 1};
    sys("recvmsg() into the VM", recvmsg(sv[1], &m, MSG_DONTWAIT));
    sys("sendmsg() from the VM's binary", ({
            struct iovec siov = {(void *)ro, 4};
            struct msghdr sm = {.msg_iov = &siov, .msg_iovlen = 1};
            sendmsg(sv[0], &sm, 0);
        }));
    sys("rt_sigprocmask() old set into the VM", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, rw, 8));
    sys("openat() of a path in the VM", syscall(SYS_openat, AT_FDCWD, ro, O_RDONLY));
    sys("fcntl(F_GETLK) into the VM", fcntl(p[0], F_GETLK, (void *)rw));
    ipc_attacks(ro, rw);
    if (argc > 3)
        proc_attacks(argv[3], rw);
    return 0;
}
