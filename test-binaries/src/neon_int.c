//@ aarch64-only
//@ cflags: -march=armv8.2-a+dotprod
/* The rarer AdvSIMD integer instructions through arm_neon.h: SHSUB/UHSUB, SABD/UABD, SABA/UABA,
 * SABDL/UABDL/SABAL/UABAL(2), MUL/MLA/MLS by element, [SU]MULL/[SU]MLAL/[SU]MLSL(2) by element,
 * SADDLP/UADDLP/SADALP/UADALP, CLS/CLZ, RBIT, SHLL(2), SMAXP/SMINP, SMAXV/SMINV/SADDLV,
 * SDOT/UDOT (vector and by element), TBX, INS/DUP/UMOV/SMOV, LD1R-LD4R and LD1-LD4/ST1-ST4
 * (single structure), each on many generated inputs (a checksum and one sample printed).
 * Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random 128-bit vectors, with the edges (zeros, ones, sign bits, small values) now and then. */
static uint8x16_t rand_v(void)
{
    uint64_t r = next();
    uint64_t lo = next(), hi = next();
    switch (r & 15) {
    case 0: lo = hi = 0; break;
    case 1: lo = hi = ~0ull; break;
    case 2: lo = hi = 0x8000000080000000ull; break;
    case 3: lo = hi = 0x8080808080808080ull; break;
    case 4: lo &= 0x0101010101010101ull, hi &= 0x0f0f0f0f0f0f0f0full; break;
    case 5: lo = hi = 0x7fff7fff7fff7fffull; break;
    }
    return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi)));
}

/* Order-sensitive checksum of a vector. */
static uint64_t sum;

static void mix(uint8x16_t v)
{
    uint64x2_t w = vreinterpretq_u64_u8(v);
    sum = (sum ^ vgetq_lane_u64(w, 0)) * 0x100000001b3ull;
    sum = (sum ^ vgetq_lane_u64(w, 1)) * 0x100000001b3ull;
}

static void print_v(const char *what, uint8x16_t v)
{
    uint8_t b[16];
    vst1q_u8(b, v);
    printf("%s ", what);
    for (int i = 0; i < 16; i++)
        printf("%02x", b[i]);
    printf("\n");
}

#define ROUNDS 200

#define CHECK(name, expr)                                                                          \
    do {                                                                                           \
        sum = 0xcbf29ce484222325ull;                                                               \
        for (int i = 0; i < ROUNDS; i++) {                                                         \
            uint8x16_t a = rand_v(), b = rand_v(), c = rand_v();                                   \
            (void)a, (void)b, (void)c;                                                             \
            uint8x16_t r = (expr);                                                                 \
            mix(r);                                                                                \
            if (i == 5)                                                                            \
                print_v("  " name, r);                                                             \
        }                                                                                          \
        printf("%-22s %016" PRIx64 "\n", name, sum);                                               \
    } while (0)

/* Reinterpretations to and from bytes. */
#define S8(x) vreinterpretq_s8_u8(x)
#define S16(x) vreinterpretq_s16_u8(x)
#define U16(x) vreinterpretq_u16_u8(x)
#define S32(x) vreinterpretq_s32_u8(x)
#define U32(x) vreinterpretq_u32_u8(x)
#define S64(x) vreinterpretq_s64_u8(x)
#define B(x) vreinterpretq_u8_s8(x)
#define BS16(x) vreinterpretq_u8_s16(x)
#define BU16(x) vreinterpretq_u8_u16(x)
#define BS32(x) vreinterpretq_u8_s32(x)
#define BU32(x) vreinterpretq_u8_u32(x)
#define BS64(x) vreinterpretq_u8_s64(x)
#define BU64(x) vreinterpretq_u8_u64(x)
/* 64-bit halves, and a 64-bit result widened back (upper half zero). */
#define LO(x) vget_low_u8(x)
#define W(x) vcombine_u8((x), vdup_n_u8(0))

static void arithmetic(void)
{
    CHECK("shsub.16b", B(vhsubq_s8(S8(a), S8(b))));
    CHECK("uhsub.8h", BU16(vhsubq_u16(U16(a), U16(b))));
    CHECK("shsub.4s", BS32(vhsubq_s32(S32(a), S32(b))));
    CHECK("uhsub.8b", W(vhsub_u8(LO(a), LO(b))));
    CHECK("sabd.16b", B(vabdq_s8(S8(a), S8(b))));
    CHECK("uabd.16b", vabdq_u8(a, b));
    CHECK("sabd.8h", BS16(vabdq_s16(S16(a), S16(b))));
    CHECK("uabd.8h", BU16(vabdq_u16(U16(a), U16(b))));
    CHECK("sabd.2s", W(vreinterpret_u8_s32(vabd_s32(vget_low_s32(S32(a)), vget_low_s32(S32(b))))));
    CHECK("uabd.4s", BU32(vabdq_u32(U32(a), U32(b))));
    CHECK("saba.16b", B(vabaq_s8(S8(c), S8(a), S8(b))));
    CHECK("uaba.8h", BU16(vabaq_u16(U16(c), U16(a), U16(b))));
    CHECK("saba.4s", BS32(vabaq_s32(S32(c), S32(a), S32(b))));
    CHECK("uaba.8b", W(vaba_u8(LO(c), LO(a), LO(b))));
    CHECK("uabdl.8h", BU16(vabdl_u8(LO(a), LO(b))));
    CHECK("sabdl2.4s", BS32(vabdl_high_s16(S16(a), S16(b))));
    CHECK("uabdl.2d", BU64(vabdl_u32(vget_low_u32(U32(a)), vget_low_u32(U32(b)))));
    CHECK("uabal.8h", BU16(vabal_u8(U16(c), LO(a), LO(b))));
    CHECK("sabal2.4s", BS32(vabal_high_s16(S32(c), S16(a), S16(b))));
    CHECK("sabal2.2d", BS64(vabal_high_s32(S64(c), S32(a), S32(b))));
    CHECK("cls.16b", B(vclsq_s8(S8(a))));
    CHECK("cls.8h", BS16(vclsq_s16(S16(a))));
    CHECK("cls.2s", W(vreinterpret_u8_s32(vcls_s32(vget_low_s32(S32(a))))));
    CHECK("clz.16b", vclzq_u8(a));
    CHECK("clz.8h", BS16(vclzq_s16(S16(a))));
    CHECK("clz.4s", BU32(vclzq_u32(U32(a))));
    CHECK("clz.8b", W(vclz_u8(LO(a))));
    CHECK("rbit.16b", vrbitq_u8(a));
    CHECK("shll.8h", BU16(vshll_n_u8(LO(a), 8)));
    CHECK("shll2.4s", BS32(vshll_high_n_s16(S16(a), 16)));
    CHECK("shll.2d", BU64(vshll_n_u32(vget_low_u32(U32(a)), 32)));
}

static void pairwise(void)
{
    CHECK("uaddlp.8h", BU16(vpaddlq_u8(a)));
    CHECK("saddlp.4h", W(vreinterpret_u8_s16(vpaddl_s8(vget_low_s8(S8(a))))));
    CHECK("saddlp.4s", BS32(vpaddlq_s16(S16(a))));
    CHECK("uaddlp.4s", BU32(vpaddlq_u16(U16(a))));
    CHECK("saddlp.2d", BS64(vpaddlq_s32(S32(a))));
    CHECK("uaddlp.1d", W(vreinterpret_u8_u64(vpaddl_u32(vget_low_u32(U32(a))))));
    CHECK("sadalp.4s", BS32(vpadalq_s16(S32(c), S16(a))));
    CHECK("uadalp.8h", BU16(vpadalq_u8(U16(c), a)));
    CHECK("sadalp.8h", BS16(vpadalq_s8(S16(c), S8(a))));
    CHECK("uadalp.4s", BU32(vpadalq_u16(U32(c), U16(a))));
    CHECK("sadalp.1d", W(vreinterpret_u8_s64(vpadal_s32(vget_low_s64(S64(c)), vget_low_s32(S32(a))))));
    CHECK("uadalp.2d", BU64(vpadalq_u32(vreinterpretq_u64_u8(c), U32(a))));
    CHECK("smaxp.8b", W(vreinterpret_u8_s8(vpmax_s8(vget_low_s8(S8(a)), vget_low_s8(S8(b))))));
    CHECK("smaxp.8h", BS16(vpmaxq_s16(S16(a), S16(b))));
    CHECK("sminp.2s", W(vreinterpret_u8_s32(vpmin_s32(vget_low_s32(S32(a)), vget_low_s32(S32(b))))));
    CHECK("sminp.16b", B(vpminq_s8(S8(a), S8(b))));
    CHECK("smaxp.4s", BS32(vpmaxq_s32(S32(a), S32(b))));
    CHECK("sminp.4h", W(vreinterpret_u8_s16(vpmin_s16(vget_low_s16(S16(a)), vget_low_s16(S16(b))))));
    CHECK("umaxp.8h", BU16(vpmaxq_u16(U16(a), U16(b))));
    CHECK("smaxv.4s", BS32(vdupq_n_s32(vmaxvq_s32(S32(a)))));
    CHECK("smaxv.8b", B(vdupq_n_s8(vmaxv_s8(vget_low_s8(S8(a))))));
    CHECK("sminv.8h", BS16(vdupq_n_s16(vminvq_s16(S16(a)))));
    CHECK("sminv.16b", B(vdupq_n_s8(vminvq_s8(S8(a)))));
    CHECK("saddlv.16b", BS16(vdupq_n_s16(vaddlvq_s8(S8(a)))));
    CHECK("saddlv.8h", BS32(vdupq_n_s32(vaddlvq_s16(S16(a)))));
    CHECK("saddlv.4s", BS64(vdupq_n_s64(vaddlvq_s32(S32(a)))));
    CHECK("uaddlv.8h", BU32(vdupq_n_u32(vaddlvq_u16(U16(a)))));
}

static void by_element(void)
{
    CHECK("mul.8h[5]", BS16(vmulq_laneq_s16(S16(a), S16(b), 5)));
    CHECK("mul.4h[3]", W(vreinterpret_u8_u16(vmul_lane_u16(vget_low_u16(U16(a)), vget_low_u16(U16(b)), 3))));
    CHECK("mul.4s[3]", BS32(vmulq_laneq_s32(S32(a), S32(b), 3)));
    CHECK("mul.2s[1]", W(vreinterpret_u8_s32(vmul_lane_s32(vget_low_s32(S32(a)), vget_low_s32(S32(b)), 1))));
    CHECK("mla.8h[7]", BS16(vmlaq_laneq_s16(S16(c), S16(a), S16(b), 7)));
    CHECK("mla.4s[2]", BU32(vmlaq_laneq_u32(U32(c), U32(a), U32(b), 2)));
    CHECK("mls.8h[0]", BU16(vmlsq_lane_u16(U16(c), U16(a), vget_low_u16(U16(b)), 0)));
    CHECK("mls.4s[1]", BS32(vmlsq_lane_s32(S32(c), S32(a), vget_low_s32(S32(b)), 1)));
    CHECK("smull.4s[2]", BS32(vmull_lane_s16(vget_low_s16(S16(a)), vget_low_s16(S16(b)), 2)));
    CHECK("umull.2d[1]", BU64(vmull_lane_u32(vget_low_u32(U32(a)), vget_low_u32(U32(b)), 1)));
    CHECK("smull2.2d[3]", BS64(vmull_high_laneq_s32(S32(a), S32(b), 3)));
    CHECK("umull2.4s[6]", BU32(vmull_high_laneq_u16(U16(a), U16(b), 6)));
    CHECK("smlal.2d[1]", BS64(vmlal_lane_s32(S64(c), vget_low_s32(S32(a)), vget_low_s32(S32(b)), 1)));
    CHECK("umlal2.4s[3]", BU32(vmlal_high_lane_u16(U32(c), U16(a), vget_low_u16(U16(b)), 3)));
    CHECK("smlal2.4s[7]", BS32(vmlal_high_laneq_s16(S32(c), S16(a), S16(b), 7)));
    CHECK("smlsl.4s[4]", BS32(vmlsl_laneq_s16(S32(c), vget_low_s16(S16(a)), S16(b), 4)));
    CHECK("umlsl2.2d[2]", BU64(vmlsl_high_laneq_u32(vreinterpretq_u64_u8(c), U32(a), U32(b), 2)));
    CHECK("umlsl.2d[0]",
          BU64(vmlsl_lane_u32(vreinterpretq_u64_u8(c), vget_low_u32(U32(a)), vget_low_u32(U32(b)), 0)));
    CHECK("smull.8h", BS16(vmull_s8(vget_low_s8(S8(a)), vget_low_s8(S8(b)))));
    CHECK("umlal2.8h", BU16(vmlal_high_u8(U16(c), a, b)));
    CHECK("smlsl.4s", BS32(vmlsl_s16(S32(c), vget_low_s16(S16(a)), vget_low_s16(S16(b)))));
    CHECK("sdot.4s", BS32(vdotq_s32(S32(c), S8(a), S8(b))));
    CHECK("udot.4s", BU32(vdotq_u32(U32(c), a, b)));
    CHECK("udot.2s", W(vreinterpret_u8_u32(vdot_u32(vget_low_u32(U32(c)), LO(a), LO(b)))));
    CHECK("sdot.4s[3]", BS32(vdotq_laneq_s32(S32(c), S8(a), S8(b), 3)));
    CHECK("udot.4s[1]", BU32(vdotq_lane_u32(U32(c), a, LO(b), 1)));
    CHECK("sdot.2s[0]",
          W(vreinterpret_u8_s32(vdot_lane_s32(vget_low_s32(S32(c)), vget_low_s8(S8(a)), vget_low_s8(S8(b)), 0))));
}

static void permute(void)
{
    CHECK("tbx1", vqtbx1q_u8(c, a, vandq_u8(b, vdupq_n_u8(0x1f))));
    CHECK("tbx2", vqtbx2q_u8(c, (uint8x16x2_t){{a, b}}, vandq_u8(b, vdupq_n_u8(0x3f))));
    CHECK("tbx3.8b", W(vqtbx3_u8(LO(c), (uint8x16x3_t){{a, b, c}}, vand_u8(LO(b), vdup_n_u8(0x3f)))));
    CHECK("tbx4", vqtbx4q_u8(c, (uint8x16x4_t){{a, b, c, a}}, vandq_u8(a, vdupq_n_u8(0x4f))));
    CHECK("ins.b", vsetq_lane_u8(vgetq_lane_u8(b, 9), a, 3));
    CHECK("ins.h", BU16(vcopyq_laneq_u16(U16(a), 7, U16(b), 2)));
    CHECK("ins.d", BU64(vcopyq_laneq_u64(vreinterpretq_u64_u8(a), 0, vreinterpretq_u64_u8(b), 1)));
    CHECK("dup.16b[13]", vdupq_laneq_u8(a, 13));
    CHECK("dup.4h[3]", W(vreinterpret_u8_u16(vdup_laneq_u16(U16(a), 7))));
    CHECK("dup.2d[1]", BU64(vdupq_laneq_u64(vreinterpretq_u64_u8(a), 1)));
    CHECK("smov", BS64(vdupq_n_s64((int64_t)vgetq_lane_s8(S8(a), 11) + vgetq_lane_s16(S16(b), 5))));
    CHECK("smov.w", BS32(vdupq_n_s32((int32_t)vgetq_lane_s8(S8(a), 15) * 3 + vgetq_lane_s16(S16(b), 0))));
    CHECK("umov", BU64(vdupq_n_u64((uint64_t)vgetq_lane_u16(U16(a), 6) + vgetq_lane_u32(U32(b), 3))));
    CHECK("dup.gen", BU16(vdupq_n_u16((uint16_t)vgetq_lane_u64(vreinterpretq_u64_u8(a), 1))));
}

/* Lane loads and stores through a buffer walked with post-increment. */
static uint8_t mem[512] __attribute__((aligned(16)));

static void fill(void)
{
    for (int i = 0; i < 512; i += 8) {
        uint64_t r = next();
        memcpy(mem + i, &r, 8);
    }
}

static void loads_stores(void)
{
    uint64_t total = 0xcbf29ce484222325ull;
    for (int round = 0; round < 40; round++) {
        fill();
        uint8x16_t acc = vdupq_n_u8(0);
        const uint8_t *p = mem;
        uint16x8x2_t h2 = {{vdupq_n_u16(1), vdupq_n_u16(2)}};
        uint8x8x3_t b3 = {{vdup_n_u8(3), vdup_n_u8(4), vdup_n_u8(5)}};
        uint32x4x4_t s4 = {{vdupq_n_u32(6), vdupq_n_u32(7), vdupq_n_u32(8), vdupq_n_u32(9)}};
        uint64x2x3_t d3 = {{vdupq_n_u64(10), vdupq_n_u64(11), vdupq_n_u64(12)}};
        uint8x16x2_t q2 = {{vdupq_n_u8(13), vdupq_n_u8(14)}};
        /* Lane numbers must be constants: one step per lane. */
#define LOAD_STEP(k)                                                                               \
    do {                                                                                           \
        h2 = vld2q_lane_u16((const uint16_t *)p, h2, k);                                           \
        p += 4;                                                                                    \
        b3 = vld3_lane_u8(p, b3, k);                                                               \
        p += 3;                                                                                    \
        s4 = vld4q_lane_u32((const uint32_t *)(mem + 16 * k), s4, (k) & 3);                        \
        d3 = vld3q_lane_u64((const uint64_t *)(mem + 8 * k), d3, (k) & 1);                         \
        q2 = vld2q_lane_u8(p, q2, 15 - (k));                                                       \
        p += 2;                                                                                    \
    } while (0)
        LOAD_STEP(0);
        LOAD_STEP(1);
        LOAD_STEP(2);
        LOAD_STEP(3);
        LOAD_STEP(4);
        LOAD_STEP(5);
        LOAD_STEP(6);
        LOAD_STEP(7);
        acc = veorq_u8(acc, BU16(h2.val[0]));
        acc = vaddq_u8(acc, BU16(h2.val[1]));
        acc = veorq_u8(acc, vcombine_u8(b3.val[0], b3.val[1]));
        acc = vaddq_u8(acc, W(b3.val[2]));
        for (int r = 0; r < 4; r++)
            acc = veorq_u8(vextq_u8(acc, acc, 3), BU32(s4.val[r]));
        for (int r = 0; r < 3; r++)
            acc = vaddq_u8(vextq_u8(acc, acc, 5), BU64(d3.val[r]));
        acc = veorq_u8(acc, q2.val[0]);
        acc = vaddq_u8(acc, q2.val[1]);
        /* Replicating loads. */
        uint8x8x3_t r3 = vld3_dup_u8(mem + round);
        uint16x8x2_t r2 = vld2q_dup_u16((const uint16_t *)(mem + 2 * round));
        uint32x4x4_t r4 = vld4q_dup_u32((const uint32_t *)(mem + 4 * round));
        uint64x2x2_t r2d = vld2q_dup_u64((const uint64_t *)(mem + 8 * round));
        uint8x16_t r1 = vld1q_dup_u8(mem + 3 * round);
        acc = veorq_u8(acc, vcombine_u8(r3.val[0], r3.val[2]));
        acc = vaddq_u8(acc, W(r3.val[1]));
        acc = veorq_u8(acc, BU16(r2.val[1]));
        acc = vaddq_u8(acc, BU32(vaddq_u32(r4.val[0], r4.val[3])));
        acc = veorq_u8(acc, BU32(vsubq_u32(r4.val[1], r4.val[2])));
        acc = vaddq_u8(acc, BU64(veorq_u64(r2d.val[0], vshlq_n_u64(r2d.val[1], 3))));
        acc = veorq_u8(acc, r1);
        /* Lane stores into the buffer, read back. */
        uint8_t *q = mem + 256;
#define STORE_STEP(k)                                                                              \
    do {                                                                                           \
        vst2q_lane_u8(q, q2, (k) * 3);                                                             \
        q += 2;                                                                                    \
        uint16x4x3_t t3 = {{vget_low_u16(h2.val[0]), vget_high_u16(h2.val[1]), vget_low_u16(U16(acc))}}; \
        vst3_lane_u16((uint16_t *)q, t3, k);                                                       \
        q += 6;                                                                                    \
        vst4q_lane_u32((uint32_t *)q, s4, k);                                                      \
        q += 16;                                                                                   \
        vst3q_lane_u64((uint64_t *)q, d3, (k) & 1);                                                \
        q += 24;                                                                                   \
        vst1q_lane_u16((uint16_t *)q, U16(acc), (k) + 2);                                          \
        q += 2;                                                                                    \
    } while (0)
        STORE_STEP(0);
        STORE_STEP(1);
        STORE_STEP(2);
        STORE_STEP(3);
        acc = veorq_u8(acc, vld1q_u8(mem + 256));
        acc = vaddq_u8(acc, vld1q_u8(mem + 272));
        acc = veorq_u8(acc, vld1q_u8(mem + 288));
        uint64x2_t w = vreinterpretq_u64_u8(acc);
        total = (total ^ vgetq_lane_u64(w, 0)) * 0x100000001b3ull;
        total = (total ^ vgetq_lane_u64(w, 1)) * 0x100000001b3ull;
        for (int i = 256; i < 256 + 4 * 50; i++)
            total = (total ^ mem[i]) * 0x100000001b3ull;
        if (round == 7)
            print_v("  ldst", acc);
    }
    printf("%-22s %016" PRIx64 "\n", "ld/st lanes", total);
}

int main(void)
{
    arithmetic();
    pairwise();
    by_element();
    permute();
    loads_stores();
    return 0;
}
