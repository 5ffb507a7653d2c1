/* Half-precision conversions (ARMv8.0 FCVT to and from H, FCVTN/FCVTL with 4H): many bit
 * patterns, every FPCR rounding mode, FZ, DN and AHP, with the FPSR flags each raises. */
//@ aarch64-only
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t get_fpsr(void) { uint64_t v; asm volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void set_fpsr(uint64_t v) { asm volatile("msr fpsr, %0" : : "r"(v)); }
static uint64_t get_fpcr(void) { uint64_t v; asm volatile("mrs %0, fpcr" : "=r"(v)); return v; }
static void set_fpcr(uint64_t v) { asm volatile("msr fpcr, %0" : : "r"(v)); }

static uint16_t s_to_h(uint32_t x) {
    uint16_t r;
    asm volatile("fmov s0, %w1\n fcvt h0, s0\n fmov %w0, s0" : "=r"(r) : "r"(x) : "v0");
    return r;
}
static uint16_t d_to_h(uint64_t x) {
    uint16_t r;
    asm volatile("fmov d0, %1\n fcvt h0, d0\n fmov %w0, s0" : "=r"(r) : "r"(x) : "v0");
    return r;
}
static uint32_t h_to_s(uint16_t x) {
    uint32_t r;
    asm volatile("fmov s0, %w1\n fcvt s0, h0\n fmov %w0, s0" : "=r"(r) : "r"((uint32_t)x) : "v0");
    return r;
}
static uint64_t h_to_d(uint16_t x) {
    uint64_t r;
    asm volatile("fmov s0, %w1\n fcvt d0, h0\n fmov %0, d0" : "=r"(r) : "r"((uint32_t)x) : "v0");
    return r;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

int main(void) {
    static const uint32_t singles[] = {
        0x3f800000, 0xc0200000, 0x477fe000, 0x477ff000, 0x477fefff, 0x47800000, 0x33800000, 0x33000000,
        0x33000001, 0x387fc000, 0x38800000, 0x387ff000, 0x00000001, 0x80400000, 0x7f800000, 0xff800000,
        0x7fc12345, 0x7f812345, 0xffa00001, 0x00000000, 0x80000000, 0x3f801000, 0x3f803000, 0x3f802001,
        0x47ffe000, 0x48000000, 0x37ffffff, 0x3a7fffff,
    };
    static const uint64_t doubles[] = {
        0x3ff0000000000000, 0x40effc0000000000, 0x40effe0000000000, 0x3e70000000000000, 0x3e60000000000001,
        0x7ff8000000012345, 0x7ff0000000000001, 0x0000000000000001, 0x3ff0020000000001, 0xc0effc0000000000,
    };
    static const uint16_t halves[] = {0x3c00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7d01, 0xfe3f, 0x8000, 0x8001};
    uint64_t fpcr0 = get_fpcr();
    for (int mode = 0; mode < 4; mode++) {
        for (int extra = 0; extra < 4; extra++) {
            uint64_t bits = (uint64_t)mode << 22 | (extra & 1 ? 1ull << 24 : 0) | (extra & 2 ? 1ull << 25 : 0);
            for (int ahp = 0; ahp < 2; ahp++) {
                uint64_t fpcr = bits | (ahp ? 1ull << 26 : 0);
                printf("rmode %d fz %d dn %d ahp %d\n", mode, extra & 1, extra >> 1, ahp);
                for (unsigned i = 0; i < sizeof singles / sizeof singles[0]; i++) {
                    set_fpcr(fpcr); set_fpsr(0);
                    uint16_t h = s_to_h(singles[i]);
                    uint64_t f = get_fpsr();
                    set_fpcr(fpcr0);
                    printf(" s %08x -> %04x fpsr %02llx\n", singles[i], h, (unsigned long long)f);
                }
                for (unsigned i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
                    set_fpcr(fpcr); set_fpsr(0);
                    uint16_t h = d_to_h(doubles[i]);
                    uint64_t f = get_fpsr();
                    set_fpcr(fpcr0);
                    printf(" d %016llx -> %04x fpsr %02llx\n", (unsigned long long)doubles[i], h, (unsigned long long)f);
                }
                for (unsigned i = 0; i < sizeof halves / sizeof halves[0]; i++) {
                    set_fpcr(fpcr); set_fpsr(0);
                    uint32_t s = h_to_s(halves[i]);
                    uint64_t d = h_to_d(halves[i]);
                    uint64_t f = get_fpsr();
                    set_fpcr(fpcr0);
                    printf(" h %04x -> %08x %016llx fpsr %02llx\n", halves[i], s, (unsigned long long)d, (unsigned long long)f);
                }
                /* Random patterns through the vector forms, summed. */
                uint64_t acc = 0, facc = 0;
                for (int k = 0; k < 2000; k++) {
                    uint32_t in[4], out[4];
                    for (int j = 0; j < 4; j++) in[j] = (uint32_t)next();
                    set_fpcr(fpcr); set_fpsr(0);
                    float16x4_t n = vcvt_f16_f32(vreinterpretq_f32_u32(vld1q_u32(in)));
                    float16x8_t n2 = vcvt_high_f16_f32(n, vreinterpretq_f32_u32(vld1q_u32(in)));
                    float32x4_t l = vcvt_f32_f16(n);
                    float32x4_t l2 = vcvt_high_f32_f16(n2);
                    facc = facc * 3 + get_fpsr();
                    set_fpcr(fpcr0);
                    vst1q_u32(out, vreinterpretq_u32_f32(l));
                    for (int j = 0; j < 4; j++) acc = acc * 31 + out[j];
                    vst1q_u32(out, vreinterpretq_u32_f32(l2));
                    for (int j = 0; j < 4; j++) acc = acc * 31 + out[j];
                }
                printf(" vector: %016llx flags %016llx\n", (unsigned long long)acc, (unsigned long long)facc);
            }
        }
    }
    return 0;
}
