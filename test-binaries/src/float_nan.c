/* float_nan: A64 scalar FP instructions on the operands where x86 and A64
 * differ: quiet and signalling NaNs in every operand position, signed zeros
 * for FMAX/FMIN, FMAXNM/FMINNM with NaNs, FNMUL/FNMADD of NaNs, the default
 * NaN, saturating conversions, FRINT* ties, FCMP/FCCMP flags. Results are
 * printed as bit patterns. AArch64 inline assembly: no host build. */
//@ aarch64-only
#include <stdint.h>
#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t dvals[] = {
    0x0000000000000000ULL, 0x8000000000000000ULL, 0x3ff0000000000000ULL, 0xbff8000000000000ULL,
    0x7ff0000000000000ULL, 0xfff0000000000000ULL, 0x7ff8000000000001ULL, 0xfff8000000000002ULL,
    0x7ff0000000000003ULL, 0xfff4000000000004ULL, 0x0000000000000001ULL, 0x4004000000000000ULL,
    0xc1e0000000200000ULL, 0x43e0000000000000ULL,
};
static const uint32_t svals[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f800000, 0xff800000, 0x7fc00001,
    0xffc00002, 0x7f800003, 0xffa00004, 0x00000001, 0x40200000, 0xcf000001, 0x5f000000,
};

#define D2(insn)                                                                                        \
    __attribute__((unused)) static uint64_t d_##insn(uint64_t a, uint64_t b) {                                                \
        uint64_t r;                                                                                     \
        __asm__ volatile("fmov d0, %1\n fmov d1, %2\n " #insn " d2, d0, d1\n fmov %0, d2"              \
                         : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "v2");                               \
        return r;                                                                                       \
    }                                                                                                   \
    __attribute__((unused)) static uint32_t s_##insn(uint32_t a, uint32_t b) {                                                \
        uint32_t r;                                                                                     \
        __asm__ volatile("fmov s0, %w1\n fmov s1, %w2\n " #insn " s2, s0, s1\n fmov %w0, s2"           \
                         : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "v2");                                \
        return r;                                                                                       \
    }
D2(fadd)
D2(fsub)
D2(fmul)
D2(fdiv)
D2(fnmul)
D2(fmax)
D2(fmin)
D2(fmaxnm)
D2(fminnm)

#define D3(insn)                                                                                        \
    static uint64_t d_##insn(uint64_t a, uint64_t b, uint64_t c) {                                      \
        uint64_t r;                                                                                     \
        __asm__ volatile("fmov d0, %1\n fmov d1, %2\n fmov d3, %3\n " #insn " d2, d0, d1, d3\n fmov %0, d2" \
                         : "=r"(r) : "r"(a), "r"(b), "r"(c) : "v0", "v1", "v2", "v3");                  \
        return r;                                                                                       \
    }
D3(fmadd)
D3(fmsub)
D3(fnmadd)
D3(fnmsub)

#define D1(insn)                                                                                        \
    static uint64_t d_##insn(uint64_t a) {                                                              \
        uint64_t r;                                                                                     \
        __asm__ volatile("fmov d0, %1\n " #insn " d2, d0\n fmov %0, d2" : "=r"(r) : "r"(a) : "v0", "v2"); \
        return r;                                                                                       \
    }
D1(fsqrt)
D1(fabs)
D1(fneg)
D1(frintn)
D1(frinta)
D1(frintp)
D1(frintm)
D1(frintz)
D1(frintx)
D1(frinti)

#define CVT(insn, reg)                                                                                  \
    static uint64_t c_##insn##_##reg(uint64_t a) {                                                      \
        uint64_t r;                                                                                     \
        __asm__ volatile("fmov d0, %1\n " #insn " %" #reg "0, d0" : "=r"(r) : "r"(a) : "v0");           \
        return r;                                                                                       \
    }
CVT(fcvtzs, x)
CVT(fcvtzs, w)
CVT(fcvtzu, x)
CVT(fcvtzu, w)
CVT(fcvtns, x)
CVT(fcvtas, w)
CVT(fcvtau, x)
CVT(fcvtps, w)
CVT(fcvtmu, w)

static uint64_t cvt_ds(uint64_t a) {
    uint64_t r;
    __asm__ volatile("fmov d0, %1\n fcvt s2, d0\n fmov %w0, s2" : "=r"(r) : "r"(a) : "v0", "v2");
    return r;
}

static uint64_t cvt_sd(uint32_t a) {
    uint64_t r;
    __asm__ volatile("fmov s0, %w1\n fcvt d2, s0\n fmov %0, d2" : "=r"(r) : "r"(a) : "v0", "v2");
    return r;
}

static uint64_t fcmp_flags(uint64_t a, uint64_t b) {
    uint64_t r;
    __asm__ volatile("fmov d0, %1\n fmov d1, %2\n fcmp d0, d1\n mrs %0, nzcv" : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "cc");
    return r >> 28;
}

static uint64_t fccmp_flags(uint64_t a, uint64_t b) {
    uint64_t r;
    __asm__ volatile("fmov d0, %1\n fmov d1, %2\n cmp %1, %2\n fccmp d0, d1, #5, ne\n mrs %0, nzcv"
                     : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "cc");
    return r >> 28;
}

int main(void) {
    for (unsigned i = 0; i < N(dvals); i++) {
        uint64_t a = dvals[i];
        printf("%016llx: sqrt %016llx abs %016llx neg %016llx\n", (unsigned long long)a,
               (unsigned long long)d_fsqrt(a), (unsigned long long)d_fabs(a), (unsigned long long)d_fneg(a));
        printf("  rint n %llx a %llx p %llx m %llx z %llx x %llx i %llx\n", (unsigned long long)d_frintn(a),
               (unsigned long long)d_frinta(a), (unsigned long long)d_frintp(a), (unsigned long long)d_frintm(a),
               (unsigned long long)d_frintz(a), (unsigned long long)d_frintx(a), (unsigned long long)d_frinti(a));
        printf("  cvt zs %llx %llx zu %llx %llx ns %llx as %llx au %llx ps %llx mu %llx fcvt %llx\n",
               (unsigned long long)c_fcvtzs_x(a), (unsigned long long)c_fcvtzs_w(a),
               (unsigned long long)c_fcvtzu_x(a), (unsigned long long)c_fcvtzu_w(a),
               (unsigned long long)c_fcvtns_x(a), (unsigned long long)c_fcvtas_w(a),
               (unsigned long long)c_fcvtau_x(a), (unsigned long long)c_fcvtps_w(a),
               (unsigned long long)c_fcvtmu_w(a), (unsigned long long)cvt_ds(a));
        for (unsigned j = 0; j < N(dvals); j++) {
            uint64_t b = dvals[j];
            printf("  %016llx: add %llx sub %llx mul %llx div %llx nmul %llx max %llx min %llx maxnm %llx minnm %llx"
                   " cmp %llx ccmp %llx\n",
                   (unsigned long long)b, (unsigned long long)d_fadd(a, b), (unsigned long long)d_fsub(a, b),
                   (unsigned long long)d_fmul(a, b), (unsigned long long)d_fdiv(a, b),
                   (unsigned long long)d_fnmul(a, b), (unsigned long long)d_fmax(a, b),
                   (unsigned long long)d_fmin(a, b), (unsigned long long)d_fmaxnm(a, b),
                   (unsigned long long)d_fminnm(a, b), (unsigned long long)fcmp_flags(a, b),
                   (unsigned long long)fccmp_flags(a, b));
            for (unsigned k = 0; k < N(dvals); k += 3) {
                uint64_t c = dvals[k];
                printf("    %llx: fmadd %llx fmsub %llx fnmadd %llx fnmsub %llx\n", (unsigned long long)c,
                       (unsigned long long)d_fmadd(a, b, c), (unsigned long long)d_fmsub(a, b, c),
                       (unsigned long long)d_fnmadd(a, b, c), (unsigned long long)d_fnmsub(a, b, c));
            }
        }
    }
    for (unsigned i = 0; i < N(svals); i++) {
        uint32_t a = svals[i];
        printf("s %08x: fcvt %016llx", a, (unsigned long long)cvt_sd(a));
        for (unsigned j = 0; j < N(svals); j++) {
            uint32_t b = svals[j];
            printf(" [%x %x %x %x %x %x]", s_fadd(a, b), s_fmul(a, b), s_fmax(a, b), s_fminnm(a, b), s_fnmul(a, b),
                   s_fdiv(a, b));
        }
        printf("\n");
    }
    return 0;
}
