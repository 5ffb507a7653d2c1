/* FEAT_I8MM: SMMLA, UMMLA, USMMLA (2x8 by 8x2 byte matrices into a 2x2 matrix of words),
 * USDOT (vector and by element) and SUDOT (by element), on pseudo-random bytes including the
 * extremes (-128, 127, 255), 64- and 128-bit forms, every element index. */
//@ aarch64-only
//@ cflags: -march=armv8.6-a+i8mm
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t state = 0x2545f4914f6cdd1d;
static uint8_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    /* One byte in four an extreme. */
    static const uint8_t edge[4] = {0x80, 0x7f, 0xff, 0x00};
    return (state >> 40) % 4 == 0 ? edge[(state >> 8) % 4] : (uint8_t)(state >> 24);
}
static uint8x16_t bytes(void) {
    uint8_t b[16];
    for (int i = 0; i < 16; i++)
        b[i] = next();
    return vld1q_u8(b);
}
static void show(const char *what, int32x4_t v) {
    printf("%-14s %08x %08x %08x %08x\n", what, (uint32_t)vgetq_lane_s32(v, 0), (uint32_t)vgetq_lane_s32(v, 1),
           (uint32_t)vgetq_lane_s32(v, 2), (uint32_t)vgetq_lane_s32(v, 3));
}
static void show2(const char *what, int32x2_t v) {
    printf("%-14s %08x %08x\n", what, (uint32_t)vget_lane_s32(v, 0), (uint32_t)vget_lane_s32(v, 1));
}

int main(void) {
    for (int i = 0; i < 40; i++) {
        uint8x16_t a = bytes(), b = bytes();
        int32x4_t acc = vreinterpretq_s32_u8(bytes());
        show("smmla", vmmlaq_s32(acc, vreinterpretq_s8_u8(a), vreinterpretq_s8_u8(b)));
        show("ummla", vreinterpretq_s32_u32(vmmlaq_u32(vreinterpretq_u32_s32(acc), a, b)));
        show("usmmla", vusmmlaq_s32(acc, a, vreinterpretq_s8_u8(b)));
        show("usdot", vusdotq_s32(acc, a, vreinterpretq_s8_u8(b)));
        show2("usdot.2s", vusdot_s32(vget_low_s32(acc), vget_low_u8(a), vget_low_s8(vreinterpretq_s8_u8(b))));
        show("usdot[0]", vusdotq_laneq_s32(acc, a, vreinterpretq_s8_u8(b), 0));
        show("usdot[3]", vusdotq_laneq_s32(acc, a, vreinterpretq_s8_u8(b), 3));
        show("sudot[1]", vsudotq_laneq_s32(acc, vreinterpretq_s8_u8(a), b, 1));
        show("sudot[2]", vsudotq_laneq_s32(acc, vreinterpretq_s8_u8(a), b, 2));
        show2("sudot.2s[3]", vsudot_laneq_s32(vget_low_s32(acc), vget_low_s8(vreinterpretq_s8_u8(a)), b, 3));
    }
    return 0;
}
