// ccmp_conds: conditions tested on the flags of CCMP and CCMN (a64x turns such a condition into
// a 0/1 value rather than packing and unpacking NZCV, lift/cond.rs): every condition of the
// CCMP against every condition of the CSEL that reads its flags, each with its own NZCV
// immediate, once with the flags overwritten after (the packing dead) and once read back with
// MRS (the packing kept); chained CCMP/CCMN, CSINC/CSINV/CSNEG, CSET, ADC's carry, FCSEL and a
// B.cond after a CCMP. Each function runs on every pair of a few edge values, enough times that
// both translation tiers run it. Prints checksums; compared with qemu.
//@ aarch64-only
#include <stdint.h>
#include <stdio.h>

static const uint64_t vals[] = {0, 1, 2, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                                0x80000000ull, 0x7fffffffull};
#define NV (sizeof vals / sizeof vals[0])

// CMP a, b; CCMP c, d, #k, c1; CSEL r, a, c, c2; then the flags overwritten (dead) or read (kept).
#define PAIR(c1, c2, k)                                                                            \
    __attribute__((noinline)) static uint64_t dead_##c1##_##c2(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { \
        uint64_t r;                                                                                \
        __asm__("cmp %1, %2\n\tccmp %3, %4, #" #k ", " #c1 "\n\tcsel %0, %1, %3, " #c2 "\n\tcmn xzr, xzr" \
                : "=&r"(r) : "r"(a), "r"(b), "r"(c), "r"(d) : "cc");                              \
        return r;                                                                                  \
    }                                                                                              \
    __attribute__((noinline)) static uint64_t kept_##c1##_##c2(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { \
        uint64_t r, f;                                                                             \
        __asm__("cmp %w2, %w3\n\tccmn %w4, %w5, #" #k ", " #c1 "\n\tcsel %0, %2, %4, " #c2 "\n\tmrs %1, nzcv" \
                : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c), "r"(d) : "cc");                    \
        return r ^ f;                                                                              \
    }

#define ROW(c1)                                                                                    \
    PAIR(c1, eq, 0) PAIR(c1, ne, 4) PAIR(c1, hs, 2) PAIR(c1, lo, 13) PAIR(c1, mi, 8) PAIR(c1, pl, 9) \
    PAIR(c1, vs, 1) PAIR(c1, vc, 15) PAIR(c1, hi, 6) PAIR(c1, ls, 3) PAIR(c1, ge, 5) PAIR(c1, lt, 10) \
    PAIR(c1, gt, 12) PAIR(c1, le, 7)

#define CONDS(X) X(eq) X(ne) X(hs) X(lo) X(mi) X(pl) X(vs) X(vc) X(hi) X(ls) X(ge) X(lt) X(gt) X(le)
CONDS(ROW)

typedef uint64_t (*fn4)(uint64_t, uint64_t, uint64_t, uint64_t);

#define ENTRIES(c1)                                                                                \
    dead_##c1##_eq, dead_##c1##_ne, dead_##c1##_hs, dead_##c1##_lo, dead_##c1##_mi, dead_##c1##_pl, \
    dead_##c1##_vs, dead_##c1##_vc, dead_##c1##_hi, dead_##c1##_ls, dead_##c1##_ge, dead_##c1##_lt, \
    dead_##c1##_gt, dead_##c1##_le, kept_##c1##_eq, kept_##c1##_ne, kept_##c1##_hs, kept_##c1##_lo, \
    kept_##c1##_mi, kept_##c1##_pl, kept_##c1##_vs, kept_##c1##_vc, kept_##c1##_hi, kept_##c1##_ls, \
    kept_##c1##_ge, kept_##c1##_lt, kept_##c1##_gt, kept_##c1##_le,
static const fn4 pairs[] = {CONDS(ENTRIES)};

// Chains of three comparisons and the other consumers of a CCMP's flags.
__attribute__((noinline)) static uint64_t chain(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t r, s, t;
    __asm__("cmp %3, %4\n\tccmp %5, %6, #4, ne\n\tccmn %3, %6, #9, ge\n\tcset %0, hi\n\t"
            "csinc %1, %3, %5, lt\n\tcsinv %2, %4, %6, vs\n\tcmp xzr, xzr"
            : "=&r"(r), "=&r"(s), "=&r"(t) : "r"(a), "r"(b), "r"(c), "r"(d) : "cc");
    return r + 3 * s + 5 * t;
}

__attribute__((noinline)) static uint64_t chain_kept(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t r, s, f;
    __asm__("cmp %w3, %w4\n\tccmn %w5, %w6, #2, lo\n\tccmp %3, %5, #13, mi\n\tcsneg %0, %3, %4, le\n\t"
            "adc %1, %5, %6\n\tmrs %2, nzcv"
            : "=&r"(r), "=&r"(s), "=&r"(f) : "r"(a), "r"(b), "r"(c), "r"(d) : "cc");
    return r ^ (s << 1) ^ f;
}

__attribute__((noinline)) static uint64_t branch_after(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t r;
    __asm__("mov %0, #0\n\tcmp %1, %2\n\tccmp %3, %4, #8, hs\n\tb.gt 1f\n\tmov %0, #7\n1:\n\t"
            "ccmn %1, %4, #1, vc\n\tb.le 2f\n\tadd %0, %0, #100\n2:\n\tcmp xzr, xzr"
            : "=&r"(r) : "r"(a), "r"(b), "r"(c), "r"(d) : "cc");
    return r;
}

__attribute__((noinline)) static uint64_t fp_after(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    double x = (double)(int64_t)a, y = (double)(int64_t)c, r;
    __asm__("cmp %1, %2\n\tccmp %3, %4, #6, pl\n\tfcsel %d0, %d5, %d6, ls"
            : "=w"(r) : "r"(a), "r"(b), "r"(c), "r"(d), "w"(x), "w"(y) : "cc");
    union { double d; uint64_t u; } u = {r};
    return u.u;
}

static uint64_t run(fn4 f) {
    uint64_t sum = 0;
    for (int rep = 0; rep < 3; rep++)
        for (unsigned i = 0; i < NV * NV * NV * NV; i++) {
            uint64_t v = f(vals[i % NV], vals[i / NV % NV], vals[i / NV / NV % NV], vals[i / NV / NV / NV]);
            sum = sum * 31 + v;
        }
    return sum;
}

int main(void) {
    uint64_t all = 0;
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t s = run(pairs[i]);
        all ^= s + i;
        if (i % 28 == 27)
            printf("row %u: %016llx\n", i / 28, (unsigned long long)all);
    }
    printf("chain %016llx\n", (unsigned long long)run(chain));
    printf("chain kept %016llx\n", (unsigned long long)run(chain_kept));
    printf("branch %016llx\n", (unsigned long long)run(branch_after));
    printf("fcsel %016llx\n", (unsigned long long)run(fp_after));
    return 0;
}
