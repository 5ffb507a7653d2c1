// Alignment of exclusive, load-acquire/store-release (LDAPUR/STLUR included) and atomic accesses: without FEAT_LSE2
// (a64x does not advertise it) each raises an alignment fault (SIGBUS BUS_ADRALN at the
// address) when not aligned to its size, pairs to their total size, whether or not it crosses a
// 16-byte boundary (Arm ARM, AArch64.CheckAlignment: `check = atomic || ordered`); plain loads
// and stores, and byte accesses, never do. A store-exclusive is checked before its monitor
// (AArch64.ExclusiveMonitorsPass), also after a smaller load-exclusive armed the monitor at the
// same address. Each case prints the signal, si_code and whether si_addr is the address, or what
// the access gave.
//@ aarch64-only
//@ cflags: -march=armv8.4-a
// qemu 7.2 does not check LDAPR's alignment; the Arm ARM does (an ordered access, like LDAR).
//@ qemu-wrong: = 0xc3b19f8d7b695745 => = signal 7 code 1 addr ok
//@ qemu-wrong: = 0xe7d5c3b189abcdef => = signal 7 code 1 addr ok
//@ qemu-wrong: = 0x7866544289abcdef => = signal 7 code 1 addr ok
//@ qemu-wrong: = 0xae9c8a7866544230 => = signal 7 code 1 addr ok
// qemu 7.2 fails a misaligned store-exclusive's monitor (status 1) before checking alignment when
// the monitor is clear; the Arm ARM checks alignment first.
//@ qemu-wrong: = status 1 (stxr at +2) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxr at +4) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxr at +12) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxr at +15) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxp at +2) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxp at +4) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxp at +8) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxp at +12) => = signal 7 code 1 addr ok
//@ qemu-wrong: = status 1 (stxp at +15) => = signal 7 code 1 addr ok
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;
static void *expected;

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("= signal %d code %d addr %s\n", sig, si->si_code, si->si_addr == expected ? "ok" : "other");
    siglongjmp(back, 1);
}

#define TRY(what, addr, stmt)                                                                  \
    do {                                                                                   \
        printf("%s:\n", what);                                                             \
        expected = (void *)(addr);                                                         \
        if (sigsetjmp(back, 1) == 0) {                                                     \
            stmt;                                                                          \
        }                                                                                  \
    } while (0)

static uint64_t buf[8] __attribute__((aligned(64)));

/// Fill the buffer with a known pattern.
static void fill(void) {
    for (int i = 0; i < 64; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(0x11 * (i % 15) + i);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *b = (char *)buf;
    uint64_t v = 0x0123456789abcdefULL, o;
    uint32_t w = 0x89abcdef, st;
    // Each size at each offset of interest: aligned, misaligned inside 16 bytes, crossing 16.
    static const int offs[] = {0, 2, 4, 8, 12, 15};
    char what[64];
    for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        int k = offs[i];
        char *p = b + 16 + k;
        fill();
        snprintf(what, sizeof what, "ldxr x at +%d", k);
        TRY(what, p, ({ asm volatile("ldxr %0, [%1]\n\tclrex" : "=r"(o) : "r"(p) : "memory"); printf("= %#lx\n", (unsigned long)o); }));
        snprintf(what, sizeof what, "ldaxr w at +%d", k);
        TRY(what, p, ({ asm volatile("ldaxr %w0, [%1]\n\tclrex" : "=r"(st) : "r"(p) : "memory"); printf("= %#x\n", st); }));
        snprintf(what, sizeof what, "ldaxrh at +%d", k);
        TRY(what, p, ({ asm volatile("ldaxrh %w0, [%1]\n\tclrex" : "=r"(st) : "r"(p) : "memory"); printf("= %#x\n", st); }));
        snprintf(what, sizeof what, "ldxrb at +%d", k);
        TRY(what, p, ({ asm volatile("ldxrb %w0, [%1]\n\tclrex" : "=r"(st) : "r"(p) : "memory"); printf("= %#x\n", st); }));
        snprintf(what, sizeof what, "stxr x at +%d", k);
        TRY(what, p, ({ asm volatile("clrex\n\tstxr %w0, %1, [%2]" : "=&r"(st) : "r"(v), "r"(p) : "memory"); printf("= status %u (stxr at +%d)\n", st, k); }));
        snprintf(what, sizeof what, "stxp x at +%d", k);
        TRY(what, p, ({ asm volatile("clrex\n\tstxp %w0, %1, %1, [%2]" : "=&r"(st) : "r"(v), "r"(p) : "memory"); printf("= status %u (stxp at +%d)\n", st, k); }));
        if (k % 8) {
            // The monitor armed by a byte load-exclusive at the same address: still a fault.
            snprintf(what, sizeof what, "ldxrb+stxr x at +%d", k);
            TRY(what, p, ({ uint32_t b8; asm volatile("ldxrb %w0, [%2]\n\tstxr %w1, %3, [%2]" : "=&r"(b8), "=&r"(st) : "r"(p), "r"(v) : "memory"); printf("= status %u\n", st); }));
        }
        snprintf(what, sizeof what, "ldxr+stxr w at +%d", k);
        TRY(what, p, ({ asm volatile("ldxr %w0, [%2]\n\tstxr %w1, %w3, [%2]" : "=&r"(o), "=&r"(st) : "r"(p), "r"(w) : "memory"); printf("= status %u\n", st); }));
        snprintf(what, sizeof what, "ldar x at +%d", k);
        TRY(what, p, ({ asm volatile("ldar %0, [%1]" : "=r"(o) : "r"(p) : "memory"); printf("= %#lx\n", (unsigned long)o); }));
        snprintf(what, sizeof what, "ldarh at +%d", k);
        TRY(what, p, ({ asm volatile("ldarh %w0, [%1]" : "=r"(st) : "r"(p) : "memory"); printf("= %#x\n", st); }));
        snprintf(what, sizeof what, "ldapr x at +%d", k);
        TRY(what, p, ({ asm volatile("ldapr %0, [%1]" : "=r"(o) : "r"(p) : "memory"); printf("= %#lx\n", (unsigned long)o); }));
        // LDAPUR/LDAPURS/STLUR (FEAT_LRCPC2): the address with its offset is what is checked.
        snprintf(what, sizeof what, "ldapur x at +%d", k);
        TRY(what, p, ({ asm volatile("ldapur %0, [%1, #-16]" : "=r"(o) : "r"(p + 16) : "memory"); printf("= %#lx\n", (unsigned long)o); }));
        snprintf(what, sizeof what, "ldapursh w at +%d", k);
        TRY(what, p, ({ asm volatile("ldapursh %w0, [%1, #1]" : "=r"(st) : "r"(p - 1) : "memory"); printf("= %#x\n", st); }));
        snprintf(what, sizeof what, "stlur x at +%d", k);
        TRY(what, p, ({ asm volatile("stlur %0, [%1, #8]" ::"r"(v), "r"(p - 8) : "memory"); printf("= stored %#lx\n", (unsigned long)*(volatile uint64_t *)p); }));
        snprintf(what, sizeof what, "stlr w at +%d", k);
        TRY(what, p, ({ asm volatile("stlr %w0, [%1]" ::"r"(w), "r"(p) : "memory"); printf("= stored %#x\n", *(volatile uint32_t *)p); }));
        snprintf(what, sizeof what, "stlrb at +%d", k);
        TRY(what, p, ({ asm volatile("stlrb %w0, [%1]" ::"r"(w), "r"(p) : "memory"); printf("= stored %#x\n", *(volatile uint8_t *)p); }));
        snprintf(what, sizeof what, "cas x at +%d", k);
        TRY(what, p, ({ o = 0; asm volatile("cas %0, %1, [%2]" : "+r"(o) : "r"(v), "r"(p) : "memory"); printf("= old %#lx\n", (unsigned long)o); }));
        snprintf(what, sizeof what, "ldadd w at +%d", k);
        TRY(what, p, ({ asm volatile("ldadd %w1, %w0, [%2]" : "=r"(st) : "r"(w), "r"(p) : "memory"); printf("= old %#x\n", st); }));
        snprintf(what, sizeof what, "swph at +%d", k);
        TRY(what, p, ({ asm volatile("swph %w1, %w0, [%2]" : "=r"(st) : "r"(w), "r"(p) : "memory"); printf("= old %#x\n", st); }));
        snprintf(what, sizeof what, "ldsetb at +%d", k);
        TRY(what, p, ({ asm volatile("ldsetb %w1, %w0, [%2]" : "=r"(st) : "r"(w), "r"(p) : "memory"); printf("= old %#x\n", st); }));
        snprintf(what, sizeof what, "ldxp x at +%d", k);
        TRY(what, p, ({ uint64_t x1, x2; asm volatile("ldxp %0, %1, [%2]\n\tclrex" : "=&r"(x1), "=&r"(x2) : "r"(p) : "memory"); printf("= %#lx %#lx\n", (unsigned long)x1, (unsigned long)x2); }));
        snprintf(what, sizeof what, "ldxp w at +%d", k);
        TRY(what, p, ({ uint32_t x1, x2; asm volatile("ldxp %w0, %w1, [%2]\n\tclrex" : "=&r"(x1), "=&r"(x2) : "r"(p) : "memory"); printf("= %#x %#x\n", x1, x2); }));
        snprintf(what, sizeof what, "casp w at +%d", k);
        TRY(what, p, ({
                register uint64_t x0 asm("x0") = 0, x1 asm("x1") = 0;
                register uint64_t x2 asm("x2") = 1, x3 asm("x3") = 2;
                asm volatile("casp w0, w1, w2, w3, [%2]" : "+r"(x0), "+r"(x1) : "r"(p), "r"(x2), "r"(x3) : "memory");
                printf("= old %#lx %#lx\n", (unsigned long)x0, (unsigned long)x1);
            }));
        snprintf(what, sizeof what, "ldp x (plain) at +%d", k);
        TRY(what, p, ({ uint64_t x1, x2; asm volatile("ldp %0, %1, [%2]" : "=r"(x1), "=r"(x2) : "r"(p) : "memory"); printf("= %#lx %#lx\n", (unsigned long)x1, (unsigned long)x2); }));
    }
    printf("survived\n");
    return 0;
}
