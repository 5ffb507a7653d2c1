/* float: scalar single and double precision arithmetic, fused multiply-add,
 * square roots, min/max, rounding, comparisons with NaN, conversions between
 * floats and integers including out-of-range values (A64 saturates; x86 gives
 * INT_MIN: so there is no host build to compare with, `//@ aarch64-only`),
 * printf %f %g %e %a and strtod. No libm calls: only builtins that AArch64
 * compiles to single instructions. No element-wise array loops (they would be
 * vectorised at -O3 and use AdvSIMD FP, which is not what this tests). */
//@ aarch64-only
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static volatile double dv[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.75, 1e-310,
                               1e300, -1e300, 123456.789, -98765.4321, 3.141592653589793,
                               2147483647.5, 2147483648.0, -2147483649.0, 4294967296.0,
                               9.3e18, 1.9e19, -9.3e18, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0};
static volatile float fv[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.5f, -2.5f, 3.75f, 1e-40f, 3e38f,
                              -3e38f, 123.456f, 16777217.0f, 2147483648.0f, 5e9f, -5e9f,
                              1.0f / 0.0f, 0.0f / 0.0f};

static void bits_d(const char *what, double x) {
    uint64_t u;
    memcpy(&u, &x, 8);
    printf("%s %016llx %.17g %a\n", what, (unsigned long long)u, x, x);
}

static void bits_f(const char *what, float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    printf("%s %08x %.9g %a\n", what, u, (double)x, (double)x);
}

static void arith(void) {
    for (unsigned i = 0; i < N(dv); i++) {
        for (unsigned j = 0; j < N(dv); j += 3) {
            double a = dv[i], b = dv[j];
            printf("d %u %u: %g %g %g %g %e\n", i, j, a + b, a - b, a * b, a / b, -(a * b));
            bits_d("  fma", __builtin_fma(a, b, 1.0));
            bits_d("  fms", __builtin_fma(-a, b, 0.25));
            bits_d("  fnma", -__builtin_fma(a, b, -3.0));
            printf("  max %g min %g fmax %g fmin %g\n", a > b ? a : b, a < b ? a : b, __builtin_fmax(a, b),
                   __builtin_fmin(a, b));
            printf("  cmp %d %d %d %d %d %d unord %d\n", a < b, a <= b, a == b, a != b, a > b, a >= b,
                   __builtin_isunordered(a, b));
        }
    }
    for (unsigned i = 0; i < N(fv); i++) {
        for (unsigned j = 0; j < N(fv); j += 2) {
            float a = fv[i], b = fv[j];
            bits_f("f add", a + b);
            bits_f("f sub", a - b);
            bits_f("f mul", a * b);
            bits_f("f div", a / b);
            bits_f("f fma", __builtin_fmaf(a, b, -1.5f));
            printf("  cmp %d %d %d fmax %g fmin %g\n", a < b, a == b, a > b, (double)__builtin_fmaxf(a, b),
                   (double)__builtin_fminf(a, b));
        }
    }
}

static void unary(void) {
    for (unsigned i = 0; i < N(dv); i++) {
        double a = dv[i];
        printf("u %u: sqrt %.17g abs %g neg %g\n", i, __builtin_sqrt(a), __builtin_fabs(a), -a);
        printf("  floor %g ceil %g trunc %g round %g rint %g nearbyint %g\n", __builtin_floor(a), __builtin_ceil(a),
               __builtin_trunc(a), __builtin_round(a), __builtin_rint(a), __builtin_nearbyint(a));
        float f = (float)a;
        bits_f("  to float", f);
        bits_d("  back", (double)f);
    }
    for (unsigned i = 0; i < N(fv); i++) {
        float a = fv[i];
        printf("uf %u: sqrt %.9g floor %g ceil %g trunc %g round %g rint %g\n", i, (double)__builtin_sqrtf(a),
               (double)__builtin_floorf(a), (double)__builtin_ceilf(a), (double)__builtin_truncf(a),
               (double)__builtin_roundf(a), (double)__builtin_rintf(a));
    }
}

static void conversions(void) {
    for (unsigned i = 0; i < N(dv); i++) {
        volatile double a = dv[i];
        int32_t s32 = (int32_t)a;
        uint32_t u32 = (uint32_t)a;
        int64_t s64 = (int64_t)a;
        uint64_t u64 = (uint64_t)a;
        printf("c %u: %d %u %lld %llu lround %ld llrint %lld\n", i, s32, u32, (long long)s64, (unsigned long long)u64,
               __builtin_lround(a), (long long)__builtin_llrint(a));
    }
    for (unsigned i = 0; i < N(fv); i++) {
        volatile float a = fv[i];
        printf("cf %u: %d %u %lld %llu\n", i, (int32_t)a, (uint32_t)a, (long long)(int64_t)a,
               (unsigned long long)(uint64_t)a);
    }
    static volatile int64_t iv[] = {0, 1, -1, 42, -42, 16777217, 9007199254740993LL, INT64_MAX, INT64_MIN,
                                    (int64_t)0x8000000000000001ULL};
    for (unsigned i = 0; i < N(iv); i++) {
        int64_t x = iv[i];
        bits_d("i2d", (double)x);
        bits_d("u2d", (double)(uint64_t)x);
        bits_f("i2f", (float)x);
        bits_f("u2f", (float)(uint64_t)x);
        bits_d("w2d", (double)(int32_t)x);
        bits_f("uw2f", (float)(uint32_t)x);
    }
}

/* Loops over floats the compiler cannot vectorise (each step depends on the previous). */
static void loops(void) {
    double s = 0, p = 1, x = 0.1;
    for (int i = 1; i <= 1000; i++) {
        s += 1.0 / ((double)i * i);
        p *= 1.0 + x / i;
        x = x * 1.0001 - 0.00001;
    }
    printf("loops %.17g %.17g %.17g\n", s, p, x);
    float fs = 0;
    for (int i = 0; i < 5000; i++)
        fs = fs * 0.999f + (float)(i % 7) * 0.5f;
    printf("loopf %.9g\n", (double)fs);
    /* Newton's square root, Horner polynomial, a tiny Mandelbrot. */
    double r = 2;
    for (int i = 0; i < 10; i++)
        r = 0.5 * (r + 2 / r);
    printf("newton %.17g\n", r);
    int inside = 0;
    for (int py = 0; py < 24; py++) {
        for (int px = 0; px < 64; px++) {
            double cr = -2.0 + px * (2.6 / 64), ci = -1.2 + py * (2.4 / 24), zr = 0, zi = 0;
            int k = 0;
            while (k < 100 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            inside += k == 100;
            putchar(k == 100 ? '#' : k > 10 ? '+' : '.');
        }
        putchar('\n');
    }
    printf("inside %d\n", inside);
}

static void formatting(void) {
    static const char *in[] = {"0", "-0", "1e10", "3.14159265358979323846", "0x1.8p3", "inf", "-nan", "1e-320",
                               "2.2250738585072014e-308", "123456789012345678901234567890", "0.1", "1.7976931348623157e308",
                               "4.9406564584124654e-324", "1e400"};
    for (unsigned i = 0; i < N(in); i++) {
        double d = strtod(in[i], NULL);
        float f = strtof(in[i], NULL);
        printf("strtod %s: %f %g %e %a | %.3f %g\n", in[i], d, d, d, d, (double)f, (double)f);
    }
    printf("%.0f %.1f %.20f %10.4f %-10.2e| %G %E\n", 0.5, 0.25, 0.1, -3.14159, 6.02e23, 1e-5, 1e100);
}

int main(void) {
    arith();
    unary();
    conversions();
    loops();
    formatting();
    return 0;
}
