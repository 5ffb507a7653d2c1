// Guest accesses the VM carries out itself must fault like the guest's, never kill the VM:
// translating code from a page of a file truncated under its mapping (mapped and executable, yet
// any access raises SIGBUS), the pair instructions the VM does in a helper (CASP, LDXP, STXP) on
// unmapped, read-only and truncated-file pages and at a misaligned address (a load-exclusive from
// a read-only page succeeds, as on hardware), and branches to
// addresses that cannot be fetched (unmapped, not executable, misaligned). Each case prints the
// signal and si_code the handler got, and whether si_addr is the address; compared with qemu.
//@ aarch64-only
//@ cflags: -march=armv8.1-a
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf back;
static void *expected;

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("  signal %d code %d addr %s\n", sig, si->si_code, si->si_addr == expected ? "ok" : "other");
    siglongjmp(back, 1);
}

#define TRY(what, addr, stmt)                                                                  \
    do {                                                                                   \
        printf("%s:\n", what);                                                             \
        expected = (void *)(addr);                                                         \
        if (sigsetjmp(back, 1) == 0) {                                                     \
            stmt;                                                                          \
            printf("  no fault\n");                                                        \
        }                                                                                  \
    } while (0)

static void casp(uint64_t *p) {
    register uint64_t x0 asm("x0") = 0, x1 asm("x1") = 0;
    register uint64_t x2 asm("x2") = 1, x3 asm("x3") = 2;
    asm volatile("casp x0, x1, x2, x3, [%2]" : "+r"(x0), "+r"(x1) : "r"(p), "r"(x2), "r"(x3) : "memory");
}

static void ldxp(uint64_t *p) {
    uint64_t a, b;
    asm volatile("ldxp %0, %1, [%2]" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
}

/// LDXP of a pair of words (32-bit registers) and of a pair of doublewords, printing both.
static void ldxp_print(uint64_t *p) {
    uint64_t a, b;
    uint32_t c, d;
    asm volatile("ldxp %0, %1, [%2]\n\tclrex" : "=&r"(a), "=&r"(b) : "r"(p) : "memory");
    asm volatile("ldxp %w0, %w1, [%2]\n\tclrex" : "=&r"(c), "=&r"(d) : "r"(p) : "memory");
    printf("  read %#lx %#lx, as words %#x %#x\n", (unsigned long)a, (unsigned long)b, c, d);
}

static void stxp(uint64_t *p) {
    uint32_t status;
    uint64_t a = 1, b = 2;
    uint64_t x, y;
    asm volatile("ldxp %1, %2, [%3]\n\tstxp %w0, %4, %5, [%3]"
                 : "=&r"(status), "=&r"(x), "=&r"(y)
                 : "r"(p), "r"(a), "r"(b)
                 : "memory");
}

/// A file of `words` RET instructions (a MOV X0, #42 at word 1024), mapped with `prot`.
static uint32_t *file_code(int prot, int *fd_out) {
    char path[] = "/tmp/fault_vm_accessXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    unlink(path);
    static uint32_t code[2048];
    for (int i = 0; i < 2048; i++) code[i] = 0xd65f03c0;
    code[1024] = 0xd2800540;
    if (write(fd, code, sizeof code) != (ssize_t)sizeof code) {
        perror("write");
        exit(1);
    }
    uint32_t *p = mmap(0, sizeof code, prot, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    *fd_out = fd;
    return p;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);

    int fd;
    uint32_t *code = file_code(PROT_READ | PROT_EXEC, &fd);
    printf("file code before truncation: %d\n", ((int (*)(void))(code + 1024))());
    if (ftruncate(fd, 0) != 0) perror("ftruncate");
    TRY("run truncated file code", code + 1030, ((void (*)(void))(code + 1030))());

    uint64_t *unmapped = (uint64_t *)0x1000;
    uint64_t *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd2;
    uint64_t *data = (uint64_t *)file_code(PROT_READ | PROT_WRITE, &fd2);
    data[2] = 7;
    if (ftruncate(fd2, 0) != 0) perror("ftruncate");
    static uint64_t ok[4] __attribute__((aligned(16)));
    TRY("casp, mapped", ok, casp(ok));
    TRY("casp, unmapped", unmapped, casp(unmapped));
    TRY("casp, read-only", ro, casp(ro));
    TRY("casp, truncated file", data, casp(data));
    TRY("casp, misaligned", (char *)ok + 8, casp((uint64_t *)((char *)ok + 8)));
    TRY("ldxp, unmapped", unmapped, ldxp(unmapped));
    TRY("ldxp, truncated file", data, ldxp(data));
    TRY("stxp, read-only", ro, stxp(ro));
    // A load-exclusive only reads: a read-only page is fine, as on hardware.
    uint64_t *ro_data = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro_data[0] = 0x1111222233334444ULL;
    ro_data[1] = 0x5555666677778888ULL;
    mprotect(ro_data, 4096, PROT_READ);
    TRY("ldxp, read-only", ro_data, ldxp_print(ro_data));
    TRY("ldxp, misaligned", (char *)ok + 8, ldxp((uint64_t *)((char *)ok + 8)));

    void *rw = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TRY("branch to unmapped", 0x1000, ((void (*)(void))0x1000)());
    TRY("branch to non-executable", rw, ((void (*)(void))rw)());
    TRY("branch to misaligned", (char *)main + 2, ((void (*)(void))((char *)main + 2))());
    printf("survived\n");
    return 0;
}
