//@ aarch64-only
//@ cflags: -frounding-math
/* The floating-point environment: fesetround in all four modes with scalar arithmetic, sqrt,
 * fma, conversions (lrint, rint, nearbyint, casts, float <-> double) and AdvSIMD arithmetic
 * (arm_neon.h); feraiseexcept/fetestexcept/feclearexcept around division by zero, overflow,
 * underflow, inexact and invalid operations (sqrt(-1), 0/0, inf-inf, out-of-range
 * conversions), compares (quiet vs signalling); FPCR.FZ and FPCR.DN set with MSR on denormal
 * and NaN inputs (FPSR read raw, IDC included); libm (sin, cos, tan, exp, log, pow, atan2,
 * cbrt, hypot, fma) over many inputs in two rounding modes. Results are printed in hex (%a).
 * Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const int modes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
static const char *const mode_name[4] = {"near", "up", "down", "zero"};

static volatile double vd[] = {1.0, -1.0, 0.1, -0.7, 3.0, 1e308, -2.5, 0.5, 1.5,
                               2.5, 1e-310, 123456789.123, -0.0, 4503599627370497.0};
static volatile float vf[] = {1.0f, -1.0f, 0.1f, -0.7f, 3.0f, 3e38f, -2.5f, 0.5f, 1.5f, 1e-40f};
#define N_D (sizeof vd / sizeof vd[0])
#define N_F (sizeof vf / sizeof vf[0])

static unsigned long long bits(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    return (unsigned long long)b;
}

static uint64_t get_fpsr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}
static void set_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" ::"r"(v) : "memory"); }
static uint64_t get_fpcr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v) : "memory"); }

static void show_flags(const char *what) {
    int e = fetestexcept(FE_ALL_EXCEPT);
    printf("  %-22s%s%s%s%s%s%s\n", what, e & FE_INVALID ? " invalid" : "", e & FE_DIVBYZERO ? " divbyzero" : "",
           e & FE_OVERFLOW ? " overflow" : "", e & FE_UNDERFLOW ? " underflow" : "", e & FE_INEXACT ? " inexact" : "",
           e ? "" : " none");
    feclearexcept(FE_ALL_EXCEPT);
}

static void arithmetic(void) {
    for (int mi = 0; mi < 4; mi++) {
        fesetround(modes[mi]);
        printf("mode %s (fegetround ok: %d)\n", mode_name[mi], fegetround() == modes[mi]);
        feclearexcept(FE_ALL_EXCEPT);
        for (unsigned i = 0; i < N_D; i++) {
            double a = vd[i], b = vd[(i * 5 + 3) % N_D], c = vd[(i * 7 + 1) % N_D];
            printf(" d %a %a: + %a - %a * %a / %a sqrt %a fma %a\n", a, b, a + b, a - b, a * b, a / b, sqrt(fabs(a)),
                   fma(a, b, c));
            printf("   rint %a nearbyint %a lrint %ld llrint %lld (long) %ld (int) %d (float) %a round %a\n", rint(a),
                   nearbyint(a), lrint(a), llrint(a), (long)(a / 1e300), (int)(a / 1e10), (double)(float)a, round(a));
        }
        show_flags("double ops");
        for (unsigned i = 0; i < N_F; i++) {
            float a = vf[i], b = vf[(i * 3 + 1) % N_F];
            printf(" f %a %a: + %a * %a / %a sqrt %a fma %a (double) %a rintf %a lrintf %ld (unsigned) %u\n", a, b,
                   a + b, a * b, a / b, sqrtf(fabsf(a)), fmaf(a, b, 0.1f), (double)a, rintf(a), lrintf(a),
                   (unsigned)(fabsf(a) * 1000.0f));
        }
        show_flags("float ops");
        for (long k = -3; k <= 3; k++) {
            volatile long big = (1L << 62) + k * 0x55555555L;
            volatile unsigned long ubig = 0xfffffffffffff800UL + (unsigned long)k * 0x101;
            printf(" cvt %ld: %a %a %a %a\n", k, (double)big, (float)big, (double)ubig, (float)ubig);
        }
        show_flags("int->fp");
        float32x4_t x = {vf[0], vf[2], vf[3], vf[6]}, y = {vf[2], vf[4], vf[7], vf[8]};
        float64x2_t p = {vd[2], vd[3]}, q = {vd[4], vd[11]};
        float32x4_t r1 = vaddq_f32(x, y), r2 = vmulq_f32(x, y), r3 = vdivq_f32(x, y), r4 = vfmaq_f32(x, y, y);
        float64x2_t r5 = vaddq_f64(p, q), r6 = vdivq_f64(p, q), r7 = vsqrtq_f64(q);
        int32x4_t r8 = vcvtq_s32_f32(vmulq_n_f32(x, 3.3f));
        float32x4_t r9 = vrndiq_f32(vmulq_n_f32(x, 3.3f));
        float32x2_t r10 = vcvt_f32_f64(r6);
        float32x4_t r11 = vcvtq_f32_s32(vdupq_n_s32(0x7fffffc1));
        printf(" neon %a %a %a %a | %a %a | %a %a | %a %a | %a %a | %d %d %d %d | %a %a | %a %a | %a\n", r1[0], r1[3],
               r2[1], r2[2], r3[0], r3[3], r4[1], r4[2], r5[0], r5[1], r6[0], r6[1], r8[0], r8[1], r8[2], r8[3],
               r9[1], r9[2], r10[0], r10[1], r11[0]);
        (void)r7;
        show_flags("neon");
    }
    fesetround(FE_TONEAREST);
}

static void exceptions(void) {
    printf("exceptions\n");
    volatile double zero = 0.0, one = 1.0, big = DBL_MAX, tiny = DBL_MIN, inf = INFINITY, m1 = -1.0;
    volatile double r;
    volatile float fr;
    feclearexcept(FE_ALL_EXCEPT);
    show_flags("clear");
    r = one / zero;
    show_flags("1/0");
    r = big * 2.0;
    show_flags("max*2");
    r = tiny * tiny;
    show_flags("min*min");
    r = tiny / 4.0;
    show_flags("min/4 (exact)");
    r = tiny / 3.0;
    show_flags("min/3");
    r = one / 3.0;
    show_flags("1/3");
    // Tiny before rounding, the smallest normal after: underflow on AArch64, not on x86.
    volatile double above = DBL_MIN * (1.0 + DBL_EPSILON), below1 = 1.0 - DBL_EPSILON;
    r = above * below1;
    printf("  %a\n", r);
    show_flags("tiny before rounding");
    float64x2_t tv = vmulq_f64(vdupq_n_f64(above), vdupq_n_f64(below1));
    printf("  %a\n", tv[1]);
    show_flags("tiny before (neon)");
    volatile float fabove = FLT_MIN * (1.0f + FLT_EPSILON), fbelow1 = 1.0f - FLT_EPSILON;
    fr = fabove * fbelow1;
    show_flags("tiny before (float)");
    fr = (float)((double)FLT_MIN * (1.0 - 0x1p-30));
    show_flags("tiny before (cvt)");
    r = sqrt(m1);
    show_flags("sqrt(-1)");
    r = zero / zero;
    show_flags("0/0");
    r = inf - inf;
    show_flags("inf-inf");
    r = inf * zero;
    show_flags("inf*0");
    r = one + 1.0;
    show_flags("1+1");
    volatile int i = (int)(big);
    show_flags("(int)DBL_MAX");
    volatile unsigned u = (unsigned)(m1 * 1.5);
    show_flags("(unsigned)-1.5");
    volatile long l = (long)(one * 0x1p63);
    show_flags("(long)2^63");
    l = (long)(one * -0x1p63);
    show_flags("(long)-2^63");
    i = (int)(one * 2.5);
    show_flags("(int)2.5");
    fr = (float)(big);
    show_flags("(float)DBL_MAX");
    fr = (float)(tiny);
    show_flags("(float)DBL_MIN");
    fr = (float)(one / 3.0);
    show_flags("(float)(1/3)");
    volatile double nan = NAN;
    volatile int c = nan < one;
    show_flags("nan < 1");
    c = nan == one;
    show_flags("nan == 1");
    c = isless(nan, one);
    show_flags("isless(nan, 1)");
    c = __builtin_isnan(nan);
    show_flags("isnan");
    for (int e = 0; e < 5; e++) {
        static const int ex[5] = {FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW, FE_INEXACT};
        feraiseexcept(ex[e]);
        printf("  raised %d: test %d all %d\n", e, fetestexcept(ex[e]) == ex[e], fetestexcept(FE_ALL_EXCEPT));
    }
    feclearexcept(FE_OVERFLOW | FE_INEXACT);
    printf("  after clear: %d\n", fetestexcept(FE_ALL_EXCEPT));
    fexcept_t saved;
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    fesetexceptflag(&saved, FE_INVALID);
    printf("  restored invalid: %d\n", fetestexcept(FE_ALL_EXCEPT));
    feclearexcept(FE_ALL_EXCEPT);
    (void)r;
    (void)i;
    (void)u;
    (void)l;
    (void)fr;
    (void)c;
}

static void flush_and_default_nan(void) {
    printf("fz/dn\n");
    volatile double den = 0x1p-1060, nden = -0x1.8p-1070, one = 1.0, minn = DBL_MIN, half = 0.5;
    volatile float fden = 0x1p-140f, fmin = FLT_MIN;
    volatile uint64_t payload = 0x7ff0000000001234ULL;
    volatile double snan;
    memcpy((void *)&snan, (const void *)&payload, 8);
    uint64_t base = get_fpcr();
    for (int fz = 0; fz < 2; fz++)
        for (int dn = 0; dn < 2; dn++) {
            set_fpcr(base | (uint64_t)fz << 24 | (uint64_t)dn << 25);
            set_fpsr(0);
            double a = den + den, b = den * one, c = minn * half, d = minn * 0.75, e = nden - 0.0;
            uint64_t s1 = get_fpsr();
            set_fpsr(0);
            float f = fden * 1.0f, g = fmin * 0.5f, h = (float)den;
            double k = (double)fden;
            uint64_t s2 = get_fpsr();
            set_fpsr(0);
            int lt = den < 0x1p-1070, eq = den == 0.0;
            double n1 = snan + one, n2 = one * snan, n3 = sqrt(snan);
            uint64_t s3 = get_fpsr();
            printf(" fz=%d dn=%d: %a %a %a %a %a fpsr %#llx | %a %a %a %a fpsr %#llx | %d %d %llx %llx %llx fpsr %#llx\n",
                   fz, dn, a, b, c, d, e, (unsigned long long)s1, f, g, h, k, (unsigned long long)s2, lt, eq, bits(n1),
                   bits(n2), bits(n3), (unsigned long long)s3);
            float32x4_t v = {fden, fmin, 1.0f, -fden};
            float32x4_t w = vmulq_n_f32(v, 0.5f);
            uint32x4_t z = vceqq_f32(v, vdupq_n_f32(0.0f));
            printf("   neon %a %a %a %a eq %x %x fpsr %#llx\n", w[0], w[1], w[2], w[3], z[0], z[3],
                   (unsigned long long)get_fpsr());
        }
    set_fpcr(base);
    set_fpsr(0);
}

static uint64_t mix(uint64_t h, double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    return (h ^ b) * 0x100000001b3ULL;
}

static void libm(void) {
    printf("libm\n");
    for (int mi = 0; mi < 4; mi += 3) {
        fesetround(modes[mi]);
        uint64_t h[10] = {0};
        for (int i = 0; i < 400; i++) {
            volatile double x = (i - 200) * 0.0731 + 0.0001 * i * i, y = 1.0 + i * 0.013;
            h[0] = mix(h[0], sin(x));
            h[1] = mix(h[1], cos(x));
            h[2] = mix(h[2], tan(x));
            h[3] = mix(h[3], exp(x));
            h[4] = mix(h[4], log(fabs(x) + 1e-3));
            h[5] = mix(h[5], pow(y, x));
            h[6] = mix(h[6], atan2(x, y - 2.0));
            h[7] = mix(h[7], cbrt(x));
            h[8] = mix(h[8], hypot(x, y));
            h[9] = mix(h[9], fma(x, y, -x * y));
            if (i % 97 == 0)
                printf(" %s x=%a sin %a cos %a exp %a log %a pow %a atan2 %a cbrt %a hypot %a\n", mode_name[mi], x,
                       sin(x), cos(x), exp(x), log(fabs(x) + 1e-3), pow(y, x), atan2(x, y - 2.0), cbrt(x),
                       hypot(x, y));
        }
        printf(" %s hashes", mode_name[mi]);
        for (int k = 0; k < 10; k++)
            printf(" %016llx", (unsigned long long)h[k]);
        printf("\n");
        show_flags("libm");
    }
    fesetround(FE_TONEAREST);
}

int main(void) {
    arithmetic();
    exceptions();
    flush_and_default_nan();
    libm();
    return 0;
}
