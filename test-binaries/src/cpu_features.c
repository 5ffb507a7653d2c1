// Which optional instructions the CPU has: each one runs under a SIGILL handler that skips it,
// and the program prints whether it trapped, beside what AT_HWCAP/AT_HWCAP2 say. On a core (or
// an `-cpu` model) without a feature its instructions are unallocated and raise SIGILL, while the
// others still run. tests/cli.rs runs it with features turned off.
//@ aarch64-only
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>

static volatile int trapped;

static void on_ill(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    (void)sig;
    (void)si;
    trapped = 1;
    uc->uc_mcontext.pc += 4;
}

// Each probe is one instruction word (so no -march is needed) and reads or writes only x0, x1,
// v0 and the flags (LDAPR reads the stack).
#define PROBE(name, word)                                                                \
    static int name(void) {                                                              \
        trapped = 0;                                                                     \
        __asm__ volatile("mov x0, #7\n mov x1, #9\n .inst " #word "\n" ::: "x0", "x1", "v0", "cc", \
                         "memory");                                                      \
        return trapped;                                                                  \
    }

PROBE(crc32b, 0x1ac14000)   // crc32b w0, w0, w1
PROBE(crc32cx, 0x9ac15c00)  // crc32cx w0, w0, x1
PROBE(cfinv, 0xd500401f)    // cfinv
PROBE(rmif, 0xba000400)     // rmif x0, #0, #0
PROBE(setf8, 0x3a00080d)    // setf8 w0
PROBE(axflag, 0xd500405f)   // axflag
PROBE(xaflag, 0xd500403f)   // xaflag
PROBE(fadd_h, 0x1ee02800)   // fadd h0, h0, h0
PROBE(frint32z, 0x1e284000) // frint32z s0, s0
PROBE(fjcvtzs, 0x1e7e0000)  // fjcvtzs w0, d0
PROBE(ldapr, 0xf8bfc3e0)    // ldapr x0, [sp]
PROBE(pmull_q, 0x0ee0e000)  // pmull v0.1q, v0.1d, v0.1d
PROBE(sdot, 0x4e809400)     // sdot v0.4s, v0.16b, v0.16b
PROBE(sqrdmlah, 0x6e808400) // sqrdmlah v0.4s, v0.4s, v0.4s
PROBE(usdot, 0x4e809c00)    // usdot v0.4s, v0.16b, v0.16b
PROBE(bfdot, 0x6e40fc00)    // bfdot v0.4s, v0.8h, v0.8h
PROBE(madd, 0x9b010000)     // madd x0, x0, x1, x0 (always there)

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    printf("crc32 advertised %d: crc32b trapped %d, crc32cx trapped %d\n", !!(hwcap & (1 << 7)), crc32b(),
           crc32cx());
    printf("flagm advertised %d: cfinv trapped %d, rmif trapped %d, setf8 trapped %d\n", !!(hwcap & (1 << 27)),
           cfinv(), rmif(), setf8());
    printf("flagm2 advertised %d: axflag trapped %d, xaflag trapped %d\n", !!(hwcap2 & (1 << 7)), axflag(),
           xaflag());
    printf("fphp advertised %d: fadd h trapped %d\n", !!(hwcap & (1 << 9)), fadd_h());
    printf("frint advertised %d: frint32z trapped %d\n", !!(hwcap2 & (1 << 8)), frint32z());
    printf("jscvt advertised %d: fjcvtzs trapped %d\n", !!(hwcap & (1 << 13)), fjcvtzs());
    printf("lrcpc advertised %d: ldapr trapped %d\n", !!(hwcap & (1 << 15)), ldapr());
    printf("pmull advertised %d: pmull 1q trapped %d\n", !!(hwcap & (1 << 4)), pmull_q());
    printf("asimddp advertised %d: sdot trapped %d\n", !!(hwcap & (1 << 20)), sdot());
    printf("asimdrdm advertised %d: sqrdmlah trapped %d\n", !!(hwcap & (1 << 12)), sqrdmlah());
    printf("i8mm advertised %d: usdot trapped %d\n", !!(hwcap2 & (1 << 13)), usdot());
    printf("bf16 advertised %d: bfdot trapped %d\n", !!(hwcap2 & (1 << 14)), bfdot());
    printf("base: madd trapped %d\n", madd());
    return 0;
}
