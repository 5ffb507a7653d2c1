//@ aarch64-only
/* AdvSIMD floating point: arithmetic, fused multiply-add, min/max, compares, conversions,
 * rounding, pairwise and by-element forms, on ordinary values and on NaN, infinity, -0 and
 * out-of-range lanes; plus auto-vectorised float and double loops. Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void show4(const char *name, float32x4_t v) {
    uint32_t b[4];
    memcpy(b, &v, 16);
    printf("%-10s %08x %08x %08x %08x\n", name, b[0], b[1], b[2], b[3]);
}

static void show2(const char *name, float64x2_t v) {
    uint64_t b[2];
    memcpy(b, &v, 16);
    printf("%-10s %016llx %016llx\n", name, (unsigned long long)b[0], (unsigned long long)b[1]);
}

static void showu4(const char *name, uint32x4_t v) {
    show4(name, vreinterpretq_f32_u32(v));
}

#define N 512
static float fa[N], fb[N], fc[N];
static double da[N], db[N];

int main(void) {
    float32x4_t a = {1.5f, -2.25f, 0.0f, 3.0e38f};
    float32x4_t b = {0.5f, NAN, -0.0f, 3.0e38f};
    float32x4_t c = {INFINITY, -INFINITY, 1e-40f, -7.75f};
    float64x2_t x = {1.0 / 3.0, -1e308};
    float64x2_t y = {NAN, -1e308};
    show4("add", vaddq_f32(a, b));
    show4("sub", vsubq_f32(a, c));
    show4("mul", vmulq_f32(a, c));
    show4("div", vdivq_f32(a, b));
    show4("fma", vfmaq_f32(c, a, b));
    show4("fms", vfmsq_f32(c, a, b));
    show4("max", vmaxq_f32(a, b));
    show4("min", vminq_f32(b, c));
    show4("maxnm", vmaxnmq_f32(a, b));
    show4("minnm", vminnmq_f32(b, c));
    show4("abd", vabdq_f32(a, c));
    show4("padd", vpaddq_f32(a, c));
    show4("pmax", vpmaxq_f32(a, c));
    show4("abs", vabsq_f32(c));
    show4("neg", vnegq_f32(b));
    show4("sqrt", vsqrtq_f32(c));
    show4("rndn", vrndnq_f32(vmulq_n_f32(a, 1.25f)));
    show4("rndm", vrndmq_f32(c));
    show4("rndp", vrndpq_f32(vmulq_n_f32(a, 0.3f)));
    show4("rnda", vrndaq_f32((float32x4_t){2.5f, -2.5f, 0.5f, -1.5f}));
    show4("rndz", vrndq_f32((float32x4_t){2.7f, -2.7f, 1e10f, -0.2f}));
    showu4("ceq", vceqq_f32(a, b));
    showu4("cge", vcgeq_f32(a, c));
    showu4("cgt", vcgtq_f32(c, a));
    showu4("cle0", vclezq_f32(c));
    showu4("cagt", vcagtq_f32(a, c));
    showu4("cvtzs", vreinterpretq_u32_s32(vcvtq_s32_f32(c)));
    showu4("cvtzu", vcvtq_u32_f32((float32x4_t){-1.0f, 4e9f, 5e9f, 123.9f}));
    showu4("cvtns", vreinterpretq_u32_s32(vcvtnq_s32_f32((float32x4_t){2.5f, 3.5f, -2.5f, NAN})));
    show4("scvtf", vcvtq_f32_s32((int32x4_t){-7, 16777217, 0, -2147483647 - 1}));
    show4("ucvtf", vcvtq_f32_u32((uint32x4_t){7, 4294967295u, 0, 2147483648u}));
    show4("mul_lane", vmulq_laneq_f32(a, c, 3));
    show4("fma_lane", vfmaq_laneq_f32(a, b, c, 1));
    show2("addd", vaddq_f64(x, y));
    show2("muld", vmulq_f64(x, x));
    show2("fmad", vfmaq_f64(x, x, x));
    show2("divd", vdivq_f64(x, (float64x2_t){0.0, -0.0}));
    show2("cvtl", vcvt_f64_f32(vget_low_f32(c)));
    show2("cvtl2", vcvt_high_f64_f32(c));
    show4("cvtn", vcombine_f32(vcvt_f32_f64(x), vcvt_f32_f64((float64x2_t){1e300, -1e-300})));
    show2("cvtzsd", vreinterpretq_f64_s64(vcvtq_s64_f64((float64x2_t){-1e19, 123456789.75})));
    show4("fmov", vdupq_n_f32(0.125f));
    /* Auto-vectorised loops. */
    for (int i = 0; i < N; i++) {
        fa[i] = (float)i * 0.5f - 64.0f;
        fb[i] = (float)(N - i) * 0.25f;
        da[i] = i / 3.0;
    }
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < N; i++) fc[i] = fa[i] * fb[i] + fc[i] * 0.5f;
        for (int i = 0; i < N; i++) db[i] = da[i] * 1.5 - db[i] / 4.0;
        for (int i = 0; i < N; i++) fa[i] = fa[i] > 0 ? sqrtf(fa[i]) : -fa[i];
    }
    float s = 0, mx = -1e30f;
    double t = 0;
    int cnt = 0;
    for (int i = 0; i < N; i++) {
        s += fc[i];
        t += db[i];
        mx = fc[i] > mx ? fc[i] : mx;
        cnt += (int)fc[i] > 100;
    }
    printf("loops %a %a %a %d\n", s, t, mx, cnt);
    return 0;
}
