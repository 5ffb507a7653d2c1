/* FJCVTZS (FEAT_JSCVT): JavaScript's ToInt32 of a double. Every kind of input (zeros, the
 * 32-bit range's edges, fractions, values beyond 2^63 whose low 32 bits are not zero, infinities,
 * NaNs, denormals with and without FPCR.FZ), the result, NZCV and the FPSR flags of each, and
 * that the instruction is advertised (HWCAP_JSCVT). */
//@ aarch64-only
//@ cflags: -march=armv8.3-a
//@ qemu-wrong: fz1 0000000000000001 -> 00000000 nzcv 4 fpsr 80 => fz1 0000000000000001 -> 00000000 nzcv 0 fpsr 80
//@ qemu-wrong: fz1 000fffffffffffff -> 00000000 nzcv 4 fpsr 80 => fz1 000fffffffffffff -> 00000000 nzcv 0 fpsr 80
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#define HWCAP_JSCVT (1 << 13)

static uint64_t get_fpsr(void) { uint64_t v; asm volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void set_fpsr(uint64_t v) { asm volatile("msr fpsr, %0" : : "r"(v)); }
static void set_fpcr(uint64_t v) { asm volatile("msr fpcr, %0" : : "r"(v)); }

/* The result, NZCV (set to all ones first, so that clearing shows) and FPSR. */
static void js(uint64_t bits, uint32_t *res, uint64_t *nzcv, uint64_t *fpsr) {
    uint32_t r;
    uint64_t flags, ones = 0xf0000000;
    set_fpsr(0);
    asm volatile("msr nzcv, %3\n fmov d16, %2\n fjcvtzs %w0, d16\n mrs %1, nzcv"
                 : "=r"(r), "=r"(flags) : "r"(bits), "r"(ones) : "v16", "cc");
    *res = r;
    *nzcv = flags >> 28;
    *fpsr = get_fpsr();
}

static uint64_t d(double x) { uint64_t b; memcpy(&b, &x, 8); return b; }

int main(void) {
    printf("hwcap jscvt: %d\n", (getauxval(AT_HWCAP) & HWCAP_JSCVT) != 0);
    uint64_t v[] = {
        d(0.0), d(-0.0), d(1.0), d(-1.0), d(1.5), d(-1.5), d(0.999), d(-0.999),
        d(2147483647.0), d(2147483647.5), d(2147483648.0), d(-2147483648.0), d(-2147483648.5),
        d(-2147483649.0), d(4294967296.0 + 5), d(-4294967296.0 - 5), d(1e20), d(-1e20),
        d(9223372036854775808.0), d(18446744073709551616.0 + 8589934592.0),
        d(0x1p70 + 0x1p40), d(-0x1p62 - 0x1p20), d(0x1.fffffffffffffp+62), d(0x1p84 + 0x1p33),
        d(0x1p85 + 0x1p33), d(1e308), 0x7ff0000000000000, 0xfff0000000000000,
        0x7ff8000000000000, 0x7ff0000000000001, 0xfff8000000000123, 0x0000000000000001,
        0x8000000000000001, 0x000fffffffffffff, d(0x1p-1022), d(4503599627370496.5),
        d(123456789.0), d(-987654321.0),
    };
    for (int fz = 0; fz < 2; fz++) {
        set_fpcr(fz ? 1 << 24 : 0);
        for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
            uint32_t r;
            uint64_t nzcv, fpsr;
            js(v[i], &r, &nzcv, &fpsr);
            printf("fz%d %016llx -> %08x nzcv %llx fpsr %02llx\n", fz, (unsigned long long)v[i], r,
                   (unsigned long long)nzcv, (unsigned long long)fpsr);
        }
    }
    set_fpcr(0);
    /* A pseudo-random sweep over exponents around the 32-bit range and beyond. */
    uint64_t x = 0x243f6a8885a308d3, sum = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t bits = (x & 0x800fffffffffffff) | (uint64_t)(1000 + (x >> 52) % 120) << 52;
        uint32_t r;
        uint64_t nzcv, fpsr;
        js(bits, &r, &nzcv, &fpsr);
        sum = sum * 31 + r + (nzcv << 40) + (fpsr << 48);
    }
    printf("sweep %016llx\n", (unsigned long long)sum);
    return 0;
}
