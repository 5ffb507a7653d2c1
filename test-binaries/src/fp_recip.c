//@ aarch64-only
/* The reciprocal family and FMULX through arm_neon.h: FRECPE, FRSQRTE, FRECPS, FRSQRTS, FRECPX,
 * URECPE, URSQRTE, FMULX (vector, scalar, by element), single and double precision, over
 * edge values (zeros, infinities, NaNs, denormals, the smallest and largest normals) and a
 * sweep of ordinary values, in all four rounding modes and with FPCR.FZ. Each group prints a
 * hash of the results and the FPSR flags it raised. Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t get_fpsr(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}
static void set_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" ::"r"(v) : "memory"); }
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v) : "memory"); }

static uint32_t fbits(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}
static uint64_t dbits(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    return b;
}
static float bitsf(uint32_t b) {
    float x;
    memcpy(&x, &b, 4);
    return x;
}
static double bitsd(uint64_t b) {
    double x;
    memcpy(&x, &b, 8);
    return x;
}

#define NV 40
static float fv[NV];
static double dv[NV];

static void init(void) {
    static const uint32_t fe[] = {0,          0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0x7f800005,
                                  0x00000001, 0x00200000, 0x00400000, 0x007fffff, 0x00800000, 0x80800001,
                                  0x7f7fffff, 0x3f800000, 0xbf800000, 0x40000000, 0x3f000000, 0x7e800000,
                                  0x7e7fffff, 0x00100000};
    static const uint64_t de[] = {0,
                                  0x8000000000000000ULL,
                                  0x7ff0000000000000ULL,
                                  0xfff0000000000000ULL,
                                  0x7ff8000000000001ULL,
                                  0x7ff0000000000007ULL,
                                  1,
                                  0x0004000000000000ULL,
                                  0x0008000000000000ULL,
                                  0x000fffffffffffffULL,
                                  0x0010000000000000ULL,
                                  0x8010000000000001ULL,
                                  0x7fefffffffffffffULL,
                                  0x3ff0000000000000ULL,
                                  0xbff0000000000000ULL,
                                  0x4000000000000000ULL,
                                  0x3fe0000000000000ULL,
                                  0x7fd0000000000000ULL,
                                  0x7fcfffffffffffffULL,
                                  0x0002000000000000ULL};
    for (int i = 0; i < 20; i++) {
        fv[i] = bitsf(fe[i]);
        dv[i] = bitsd(de[i]);
    }
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 20; i < NV; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        fv[i] = bitsf((uint32_t)(s >> 32) & 0x7fffffff) * (i & 1 ? -1.0f : 1.0f);
        dv[i] = (double)(i - 30) * 0.37 + bitsd(s >> 12 | 0x3ff0000000000000ULL);
    }
}

static uint64_t h;
static void mix(uint64_t x) { h = (h ^ x) * 0x100000001b3ULL; }

static void group(const char *name, void (*f)(int, int)) {
    h = 0xcbf29ce484222325ULL;
    set_fpsr(0);
    for (int i = 0; i < NV; i++)
        for (int j = 0; j < NV; j += 3)
            f(i, j);
    printf("  %-8s %016llx fpsr %#llx\n", name, (unsigned long long)h, (unsigned long long)get_fpsr());
}

static void g_recpe(int i, int j) {
    (void)j;
    float32x4_t r = vrecpeq_f32(vdupq_n_f32(fv[i]));
    float64x2_t d = vrecpeq_f64(vdupq_n_f64(dv[i]));
    mix(fbits(r[0]) | (uint64_t)fbits(vrecpes_f32(fv[i])) << 32);
    mix(dbits(d[1]) ^ dbits(vrecped_f64(dv[i])));
}
static void g_rsqrte(int i, int j) {
    (void)j;
    float32x4_t r = vrsqrteq_f32(vdupq_n_f32(fv[i]));
    float64x2_t d = vrsqrteq_f64(vdupq_n_f64(dv[i]));
    mix(fbits(r[0]) | (uint64_t)fbits(vrsqrtes_f32(fv[i])) << 32);
    mix(dbits(d[1]) ^ dbits(vrsqrted_f64(dv[i])));
}
static void g_recps(int i, int j) {
    float32x4_t r = vrecpsq_f32(vdupq_n_f32(fv[i]), vdupq_n_f32(fv[j]));
    float64x2_t d = vrecpsq_f64(vdupq_n_f64(dv[i]), vdupq_n_f64(dv[j]));
    mix(fbits(r[2]) | (uint64_t)fbits(vrecpss_f32(fv[j], fv[i])) << 32);
    mix(dbits(d[0]));
}
static void g_rsqrts(int i, int j) {
    float32x4_t r = vrsqrtsq_f32(vdupq_n_f32(fv[i]), vdupq_n_f32(fv[j]));
    float64x2_t d = vrsqrtsq_f64(vdupq_n_f64(dv[i]), vdupq_n_f64(dv[j]));
    mix(fbits(r[2]) | (uint64_t)fbits(vrsqrtss_f32(fv[j], fv[i])) << 32);
    mix(dbits(d[0]) ^ dbits(vrsqrtsd_f64(dv[j], dv[i])));
}
static void g_mulx(int i, int j) {
    float32x4_t a = {fv[i], fv[j], fv[(i + j) % NV], fv[(i * 7) % NV]};
    float32x4_t r = vmulxq_f32(a, vdupq_n_f32(fv[j]));
    float32x4_t e = vmulxq_laneq_f32(a, a, 2);
    float64x2_t d = vmulxq_f64(vdupq_n_f64(dv[i]), vdupq_n_f64(dv[j]));
    mix(fbits(r[0]) | (uint64_t)fbits(r[3]) << 32);
    mix(fbits(e[1]) | (uint64_t)fbits(vmulxs_f32(fv[i], fv[j])) << 32);
    mix(dbits(d[1]) ^ dbits(vmulxd_f64(dv[j], dv[i])));
}
static void g_recpx(int i, int j) {
    (void)j;
    mix(fbits(vrecpxs_f32(fv[i])) | (uint64_t)dbits(vrecpxd_f64(dv[i])) << 1);
}
static void g_urecpe(int i, int j) {
    uint32x4_t a = {fbits(fv[i]), fbits(fv[j]), (uint32_t)i << 26, 0xffffffffu - (uint32_t)j * 0x01234567u};
    uint32x4_t r = vrecpeq_u32(a), s = vrsqrteq_u32(a);
    mix(r[0] | (uint64_t)r[1] << 32);
    mix(r[2] ^ (uint64_t)r[3] << 32);
    mix(s[0] | (uint64_t)s[1] << 32);
    mix(s[2] ^ (uint64_t)s[3] << 32);
}

int main(void) {
    init();
    static const char *const mode[4] = {"near", "up", "down", "zero"};
    for (int fz = 0; fz < 2; fz++)
        for (int m = 0; m < 4; m++) {
            set_fpcr((uint64_t)m << 22 | (uint64_t)fz << 24);
            printf("mode %s fz %d\n", mode[m], fz);
            group("frecpe", g_recpe);
            group("frsqrte", g_rsqrte);
            group("frecps", g_recps);
            group("frsqrts", g_rsqrts);
            group("fmulx", g_mulx);
            group("frecpx", g_recpx);
            group("urecpe", g_urecpe);
        }
    set_fpcr(0);
    printf("samples:");
    for (int i = 0; i < 20; i++)
        printf(" %08x/%016llx", fbits(vrecpes_f32(fv[i])), (unsigned long long)dbits(vrsqrted_f64(dv[i])));
    printf("\n");
    return 0;
}
