//@ aarch64-only
/* AdvSIMD saturating and rounding integer instructions through arm_neon.h: SQADD/UQADD/SQSUB/
 * UQSUB, SUQADD/USQADD, SQABS/SQNEG, SQXTN/UQXTN/SQXTUN(2), SQSHL/UQSHL/SQSHLU (immediate),
 * SQSHL/UQSHL/SQRSHL/UQRSHL/SRSHL/URSHL (register), SRSHR/URSHR/SRSRA/URSRA, RSHRN(2), the
 * saturating narrowing shifts, SQDMULH/SQRDMULH, SQDMULL/SQDMLAL/SQDMLSL (+ by element),
 * SQRDMLAH/SQRDMLSH, RADDHN/RSUBHN, in vector and scalar forms, each on three input sets (edge
 * values, pseudo-random, small). After each, FPSR.QC (bit 27) is read with MRS and cleared.
 * Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint8_t A[16] __attribute__((aligned(16)));
static uint8_t B[16] __attribute__((aligned(16)));
static uint8_t C[16] __attribute__((aligned(16)));
static uint8_t out[16] __attribute__((aligned(16)));
static unsigned qc_total;

static void qc_clear(void) { __asm__ volatile("msr fpsr, %0" ::"r"(0UL) : "memory"); }

static void show(const char *name, size_t n) {
    uint64_t fpsr;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr)::"memory");
    unsigned qc = (unsigned)(fpsr >> 27) & 1;
    qc_total += qc;
    printf("%-22s qc=%u ", name, qc);
    for (size_t i = n; i-- > 0;) printf("%02x", out[i]);
    printf("\n");
}

/* Run one expression between clearing and reading FPSR; its value goes through memory. */
#define T(name, expr)                                                                              \
    do {                                                                                           \
        qc_clear();                                                                                \
        __typeof__(expr) r_ = (expr);                                                              \
        memcpy(out, &r_, sizeof r_);                                                               \
        show(name, sizeof r_);                                                                     \
    } while (0)

/* RDM (SQRDMLAH/SQRDMLSH) as instruction words on v0 (accumulator), v1, v2: clang 14 has neither
 * the intrinsics nor the mnemonics without -march=armv8.1-a. */
#define RDM(word, T, acc, x, y)                                                                    \
    ({                                                                                             \
        register T a_ __asm__("v0") = (acc);                                                       \
        register __typeof__(x) x_ __asm__("v1") = (x);                                             \
        register __typeof__(y) y_ __asm__("v2") = (y);                                             \
        __asm__(".inst " #word : "+w"(a_) : "w"(x_), "w"(y_));                                     \
        a_;                                                                                        \
    })

static uint32_t seed = 12345;
static uint8_t rnd(void) {
    seed = seed * 1103515245u + 12345u;
    return (uint8_t)(seed >> 16);
}

static void fill(int set) {
    static const uint8_t ea[16] = {0x7f, 0x80, 0xff, 0x00, 0x01, 0x7e, 0x81, 0xfe,
                                   0xff, 0x7f, 0x00, 0x80, 0xff, 0xff, 0xff, 0x7f};
    static const uint8_t eb[16] = {0x01, 0x80, 0x7f, 0xff, 0x80, 0x7f, 0x02, 0x80,
                                   0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80};
    static const uint8_t ec[16] = {0x80, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0xff, 0xff,
                                   0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x7f};
    for (int i = 0; i < 16; i++) {
        switch (set) {
        case 0:
            A[i] = ea[i], B[i] = eb[i], C[i] = ec[i];
            break;
        case 1:
            A[i] = rnd(), B[i] = rnd(), C[i] = rnd();
            break;
        default:
            A[i] = (uint8_t)(i * 3 % 11), B[i] = (uint8_t)((i * 5 + 1) % 7), C[i] = (uint8_t)(i % 4);
            break;
        }
    }
    /* Make the compiler forget what it knows about the inputs. */
    __asm__ volatile("" ::: "memory");
}

#define LQ(t, p) vld1q_##t((const void *)(p))
#define LD(t, p) vld1_##t((const void *)(p))
#define S(type, p) ({ type v_; memcpy(&v_, (p), sizeof v_); v_; })

static void three_same(void) {
    T("sqadd 16b", vqaddq_s8(LQ(s8, A), LQ(s8, B)));
    T("uqadd 16b", vqaddq_u8(LQ(u8, A), LQ(u8, B)));
    T("sqadd 4h", vqadd_s16(LD(s16, A), LD(s16, B)));
    T("uqadd 8h", vqaddq_u16(LQ(u16, A), LQ(u16, B)));
    T("sqadd 4s", vqaddq_s32(LQ(s32, A), LQ(s32, B)));
    T("uqadd 2s", vqadd_u32(LD(u32, A), LD(u32, B)));
    T("sqadd 2d", vqaddq_s64(LQ(s64, A), LQ(s64, B)));
    T("uqadd 2d", vqaddq_u64(LQ(u64, A), LQ(u64, B)));
    T("sqsub 16b", vqsubq_s8(LQ(s8, A), LQ(s8, B)));
    T("uqsub 8b", vqsub_u8(LD(u8, A), LD(u8, B)));
    T("sqsub 8h", vqsubq_s16(LQ(s16, A), LQ(s16, B)));
    T("uqsub 4s", vqsubq_u32(LQ(u32, A), LQ(u32, B)));
    T("sqsub 2d", vqsubq_s64(LQ(s64, A), LQ(s64, B)));
    T("uqsub 2d", vqsubq_u64(LQ(u64, A), LQ(u64, B)));
    T("sqadd b", vqaddb_s8(S(int8_t, A), S(int8_t, B)));
    T("uqadd h", vqaddh_u16(S(uint16_t, A), S(uint16_t, B)));
    T("sqsub s", vqsubs_s32(S(int32_t, A), S(int32_t, B)));
    T("uqsub d", vqsubd_u64(S(uint64_t, A), S(uint64_t, B)));
    T("sqadd d", vqaddd_s64(S(int64_t, A + 8), S(int64_t, B + 8)));

    T("sqshl 16b", vqshlq_s8(LQ(s8, A), LQ(s8, B)));
    T("uqshl 8h", vqshlq_u16(LQ(u16, A), LQ(s16, B)));
    T("sqshl 2s", vqshl_s32(LD(s32, A), LD(s32, B)));
    T("uqshl 2d", vqshlq_u64(LQ(u64, A), LQ(s64, B)));
    T("sqrshl 8h", vqrshlq_s16(LQ(s16, A), LQ(s16, B)));
    T("uqrshl 4s", vqrshlq_u32(LQ(u32, A), LQ(s32, B)));
    T("sqrshl 2d", vqrshlq_s64(LQ(s64, A), LQ(s64, B)));
    T("uqrshl 8b", vqrshl_u8(LD(u8, A), LD(s8, B)));
    T("srshl 16b", vrshlq_s8(LQ(s8, A), LQ(s8, B)));
    T("urshl 8h", vrshlq_u16(LQ(u16, A), LQ(s16, B)));
    T("srshl 2d", vrshlq_s64(LQ(s64, A), LQ(s64, B)));
    T("urshl 4s", vrshlq_u32(LQ(u32, A), LQ(s32, B)));
    T("srshl d", vrshld_s64(S(int64_t, A), S(int64_t, B)));
    T("urshl d", vrshld_u64(S(uint64_t, A + 8), S(int64_t, B)));
    T("sqshl d", vqshld_s64(S(int64_t, A), S(int64_t, B)));
    T("uqrshl b", vqrshlb_u8(S(uint8_t, A), S(int8_t, B + 4)));
    T("sqshl h", vqshlh_s16(S(int16_t, A + 2), S(int16_t, B + 2)));
    T("sqrshl s", vqrshls_s32(S(int32_t, A + 4), S(int32_t, B + 8)));

    T("sqdmulh 8h", vqdmulhq_s16(LQ(s16, A), LQ(s16, B)));
    T("sqdmulh 2s", vqdmulh_s32(LD(s32, A), LD(s32, B)));
    T("sqrdmulh 8h", vqrdmulhq_s16(LQ(s16, A), LQ(s16, B)));
    T("sqrdmulh 4s", vqrdmulhq_s32(LQ(s32, A), LQ(s32, B)));
    T("sqdmulh h", vqdmulhh_s16(S(int16_t, A + 10), S(int16_t, B + 10)));
    T("sqrdmulh s", vqrdmulhs_s32(S(int32_t, A + 8), S(int32_t, C)));
    T("sqdmulh 8h[7]", vqdmulhq_laneq_s16(LQ(s16, A), LQ(s16, B), 7));
    T("sqrdmulh 8h[5]", vqrdmulhq_laneq_s16(LQ(s16, A), LQ(s16, C), 5));
    T("sqrdmulh 4s[1]", vqrdmulhq_lane_s32(LQ(s32, A), LD(s32, B), 1));
    T("sqdmulh 2s[3]", vqdmulh_laneq_s32(LD(s32, A), LQ(s32, C), 3));
    T("sqdmulh s[2]", vqdmulhs_laneq_s32(S(int32_t, A + 12), LQ(s32, B), 2));
    T("sqrdmulh h[1]", vqrdmulhh_lane_s16(S(int16_t, A + 2), LD(s16, B), 1));

    T("sqrdmlah 8h", RDM(0x6e428420, int16x8_t, LQ(s16, C), LQ(s16, A), LQ(s16, B)));
    T("sqrdmlsh 2s", RDM(0x2e828c20, int32x2_t, LD(s32, C), LD(s32, A), LD(s32, B)));
    T("sqrdmlah 4s[3]", RDM(0x6fa2d820, int32x4_t, LQ(s32, C), LQ(s32, A), LQ(s32, B)));
    T("sqrdmlsh 4h[6]", RDM(0x2f62f820, int16x4_t, LD(s16, C), LD(s16, A), LQ(s16, B)));
    T("sqrdmlah h", RDM(0x7e428420, int16x8_t, LQ(s16, C), LQ(s16, A), LQ(s16, B)));
    T("sqrdmlsh s[1]", RDM(0x7fa2f020, int32x4_t, LQ(s32, C), LQ(s32, A), LQ(s32, B)));
}

static void two_misc(void) {
    T("suqadd 16b", vuqaddq_s8(LQ(s8, C), LQ(u8, A)));
    T("usqadd 8h", vsqaddq_u16(LQ(u16, C), LQ(s16, A)));
    T("suqadd 2d", vuqaddq_s64(LQ(s64, C), LQ(u64, A)));
    T("usqadd 2s", vsqadd_u32(LD(u32, C), LD(s32, A)));
    T("suqadd b", vuqaddb_s8(S(int8_t, C), S(uint8_t, A)));
    T("usqadd d", vsqaddd_u64(S(uint64_t, C + 8), S(int64_t, A + 8)));
    T("sqabs 16b", vqabsq_s8(LQ(s8, A)));
    T("sqneg 8h", vqnegq_s16(LQ(s16, A)));
    T("sqabs 2d", vqabsq_s64(LQ(s64, A)));
    T("sqneg 2s", vqneg_s32(LD(s32, B)));
    T("sqabs b", vqabsb_s8(S(int8_t, A + 1)));
    T("sqneg d", vqnegd_s64(S(int64_t, B + 8)));
    T("sqabs s", vqabss_s32(S(int32_t, A + 8)));

    T("sqxtn 8b", vqmovn_s16(LQ(s16, A)));
    T("uqxtn 4h", vqmovn_u32(LQ(u32, A)));
    T("sqxtn 2s", vqmovn_s64(LQ(s64, A)));
    T("sqxtn2 8h", vqmovn_high_s32(LD(s16, C), LQ(s32, A)));
    T("uqxtn2 16b", vqmovn_high_u16(LD(u8, C), LQ(u16, B)));
    T("sqxtun 8b", vqmovun_s16(LQ(s16, A)));
    T("sqxtun2 4s", vqmovun_high_s64(LD(u32, C), LQ(s64, B)));
    T("sqxtn b", vqmovnh_s16(S(int16_t, A)));
    T("uqxtn h", vqmovns_u32(S(uint32_t, A + 4)));
    T("sqxtun s", vqmovund_s64(S(int64_t, A + 8)));
}

static void shifts(void) {
    T("sqshl 16b #3", vqshlq_n_s8(LQ(s8, A), 3));
    T("uqshl 8h #9", vqshlq_n_u16(LQ(u16, A), 9));
    T("sqshlu 4s #5", vqshluq_n_s32(LQ(s32, A), 5));
    T("sqshl 2d #63", vqshlq_n_s64(LQ(s64, A), 63));
    T("uqshl 2s #0", vqshl_n_u32(LD(u32, A), 0));
    T("sqshlu 8b #7", vqshlu_n_s8(LD(s8, A), 7));
    T("sqshlu d #1", vqshlud_n_s64(S(int64_t, A), 1));
    T("uqshl b #4", vqshlb_n_u8(S(uint8_t, A + 2), 4));
    T("sqshl h #15", vqshlh_n_s16(S(int16_t, B + 2), 15));
    T("urshr 8h #3", vrshrq_n_u16(LQ(u16, A), 3));
    T("srshr 16b #8", vrshrq_n_s8(LQ(s8, A), 8));
    T("srshr 2d #64", vrshrq_n_s64(LQ(s64, A), 64));
    T("urshr 2d #1", vrshrq_n_u64(LQ(u64, A), 1));
    T("ursra 4s #31", vrsraq_n_u32(LQ(u32, C), LQ(u32, A), 31));
    T("srsra 8h #2", vrsraq_n_s16(LQ(s16, C), LQ(s16, A), 2));
    T("srsra 2s #32", vrsra_n_s32(LD(s32, C), LD(s32, A), 32));
    T("urshr d #64", vrshrd_n_u64(S(uint64_t, A + 8), 64));
    T("srsra d #7", vrsrad_n_s64(S(int64_t, C), S(int64_t, A), 7));

    T("rshrn 8b #3", vrshrn_n_u16(LQ(u16, A), 3));
    T("rshrn2 8h #16", vrshrn_high_n_s32(LD(s16, C), LQ(s32, A), 16));
    T("rshrn 2s #1", vrshrn_n_u64(LQ(u64, A), 1));
    T("sqshrn 8b #2", vqshrn_n_s16(LQ(s16, A), 2));
    T("sqrshrn 4h #5", vqrshrn_n_s32(LQ(s32, A), 5));
    T("uqshrn 2s #17", vqshrn_n_u64(LQ(u64, A), 17));
    T("uqrshrn2 16b #1", vqrshrn_high_n_u16(LD(u8, C), LQ(u16, A), 1));
    T("sqshrn2 4s #32", vqshrn_high_n_s64(LD(s32, C), LQ(s64, B), 32));
    T("sqshrun 8b #1", vqshrun_n_s16(LQ(s16, A), 1));
    T("sqrshrun 2s #31", vqrshrun_n_s64(LQ(s64, A), 31));
    T("sqrshrun2 8h #4", vqrshrun_high_n_s32(LD(u16, C), LQ(s32, B), 4));
    T("sqshrn b #2", vqshrnh_n_s16(S(int16_t, A), 2));
    T("uqrshrn h #3", vqrshrns_n_u32(S(uint32_t, A + 4), 3));
    T("sqshrun s #9", vqshrund_n_s64(S(int64_t, A + 8), 9));
    T("sqrshrun h #1", vqrshruns_n_s32(S(int32_t, A), 1));
    T("sqrshrn s #32", vqrshrnd_n_s64(S(int64_t, B + 8), 32));
}

static void long_ops(void) {
    T("sqdmull 4s", vqdmull_s16(LD(s16, A), LD(s16, B)));
    T("sqdmull2 2d", vqdmull_high_s32(LQ(s32, A), LQ(s32, B)));
    T("sqdmlal 4s", vqdmlal_s16(LQ(s32, C), LD(s16, A), LD(s16, B)));
    T("sqdmlsl2 4s", vqdmlsl_high_s16(LQ(s32, C), LQ(s16, A), LQ(s16, B)));
    T("sqdmlal2 2d", vqdmlal_high_s32(LQ(s64, C), LQ(s32, A), LQ(s32, A)));
    T("sqdmlal 2d[1]", vqdmlal_lane_s32(LQ(s64, C), LD(s32, A), LD(s32, B), 1));
    T("sqdmull 4s[7]", vqdmull_laneq_s16(LD(s16, A), LQ(s16, B), 7));
    T("sqdmlsl 2d[3]", vqdmlsl_laneq_s32(LQ(s64, C), LD(s32, A), LQ(s32, A), 3));
    T("sqdmull2 4s[1]", vqdmull_high_laneq_s16(LQ(s16, A), LQ(s16, A), 1));
    T("sqdmull s", vqdmullh_s16(S(int16_t, A + 10), S(int16_t, B + 10)));
    T("sqdmull d", vqdmulls_s32(S(int32_t, A + 8), S(int32_t, A + 8)));
    T("sqdmlal s", vqdmlalh_s16(S(int32_t, C), S(int16_t, A), S(int16_t, B)));
    T("sqdmlsl d", vqdmlsls_s32(S(int64_t, C + 8), S(int32_t, A + 4), S(int32_t, B)));
    T("sqdmull s[4]", vqdmullh_laneq_s16(S(int16_t, A + 10), LQ(s16, B), 4));
    T("sqdmlal d[1]", vqdmlals_lane_s32(S(int64_t, C), S(int32_t, A + 8), LD(s32, B), 1));

    T("raddhn 8b", vraddhn_s16(LQ(s16, A), LQ(s16, B)));
    T("raddhn2 8h", vraddhn_high_u32(LD(u16, C), LQ(u32, A), LQ(u32, B)));
    T("rsubhn 2s", vrsubhn_u64(LQ(u64, A), LQ(u64, B)));
    T("srhadd 16b", vrhaddq_s8(LQ(s8, A), LQ(s8, B)));
    T("urhadd 4s", vrhaddq_u32(LQ(u32, A), LQ(u32, B)));
}

int main(void) {
    for (int set = 0; set < 3; set++) {
        fill(set);
        printf("-- set %d\n", set);
        three_same();
        two_misc();
        shifts();
        long_ops();
    }
    /* QC is sticky until written: an unsaturated op leaves it set. */
    fill(0);
    qc_clear();
    int8x16_t x = vqaddq_s8(LQ(s8, A), LQ(s8, A));
    __asm__ volatile("" : "+w"(x)::"memory");
    x = vqaddq_s8(LQ(s8, C), vdupq_n_s8(0));
    memcpy(out, &x, sizeof x);
    show("sticky", sizeof x);
    printf("saturations: %u\n", qc_total);
    return 0;
}
