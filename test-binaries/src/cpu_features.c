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
PROBE(fmlal, 0x4e20ec00)    // fmlal v0.4s, v0.4h, v0.4h
PROBE(fadd_8h, 0x4e401400)  // fadd v0.8h, v0.8h, v0.8h
PROBE(fmla_he, 0x4f001000)  // fmla v0.8h, v0.8h, v0.h[0]
PROBE(frint32z_v, 0x4e21e800) // frint32z v0.4s, v0.4s
PROBE(sdot_e, 0x4f80e000)   // sdot v0.4s, v0.16b, v0.4b[0]
PROBE(sqrdmlah_e, 0x6f80d000) // sqrdmlah v0.4s, v0.4s, v0.s[0]
PROBE(sudot_e, 0x4f00f000)  // sudot v0.4s, v0.16b, v0.4b[0]
PROBE(bfdot_e, 0x4f40f000)  // bfdot v0.4s, v0.8h, v0.2h[0]
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
    printf("asimdhp advertised %d: fadd 8h trapped %d, fmla h[0] trapped %d\n", !!(hwcap & (1 << 10)), fadd_8h(),
           fmla_he());
    printf("asimdfhm advertised %d: fmlal trapped %d\n", !!(hwcap & (1 << 23)), fmlal());
    printf("frint advertised %d: frint32z trapped %d, frint32z 4s trapped %d\n", !!(hwcap2 & (1 << 8)), frint32z(),
           frint32z_v());
    printf("jscvt advertised %d: fjcvtzs trapped %d\n", !!(hwcap & (1 << 13)), fjcvtzs());
    printf("lrcpc advertised %d: ldapr trapped %d\n", !!(hwcap & (1 << 15)), ldapr());
    printf("pmull advertised %d: pmull 1q trapped %d\n", !!(hwcap & (1 << 4)), pmull_q());
    printf("asimddp advertised %d: sdot trapped %d, sdot b[0] trapped %d\n", !!(hwcap & (1 << 20)), sdot(), sdot_e());
    printf("asimdrdm advertised %d: sqrdmlah trapped %d, sqrdmlah s[0] trapped %d\n", !!(hwcap & (1 << 12)),
           sqrdmlah(), sqrdmlah_e());
    printf("i8mm advertised %d: usdot trapped %d, sudot b[0] trapped %d\n", !!(hwcap2 & (1 << 13)), usdot(), sudot_e());
    printf("bf16 advertised %d: bfdot trapped %d, bfdot h[0] trapped %d\n", !!(hwcap2 & (1 << 14)), bfdot(), bfdot_e());
    printf("base: madd trapped %d\n", madd());
    return 0;
}
