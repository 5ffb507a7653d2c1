// SHLL/SHLL2 (shift left long by the element size), which gcc emits for widening shifts by the
// element width (python's hashlib modules run one): 8-, 16- and 32-bit elements, low and high
// halves, through the arm_neon.h intrinsics.
//@ aarch64-only
#include <arm_neon.h>
#include <stdio.h>

int main(void) {
    uint8_t b[16];
    uint16_t h[8];
    uint32_t s[4];
    for (int i = 0; i < 16; i++) b[i] = (uint8_t)(i * 37 + 200);
    for (int i = 0; i < 8; i++) h[i] = (uint16_t)(i * 9001 + 40000);
    for (int i = 0; i < 4; i++) s[i] = 0x89abcdefu * (i + 1);
    uint8x16_t vb = vld1q_u8(b);
    uint16x8_t vh = vld1q_u16(h);
    uint32x4_t vs = vld1q_u32(s);
    uint16x8_t r0 = vshll_n_u8(vget_low_u8(vb), 8), r1 = vshll_high_n_u8(vb, 8);
    int16x8_t r2 = vshll_n_s8(vreinterpret_s8_u8(vget_low_u8(vb)), 8);
    uint32x4_t r3 = vshll_n_u16(vget_low_u16(vh), 16), r4 = vshll_high_n_u16(vh, 16);
    uint64x2_t r5 = vshll_n_u32(vget_low_u32(vs), 32), r6 = vshll_high_n_u32(vs, 32);
    int64x2_t r7 = vshll_high_n_s32(vreinterpretq_s32_u32(vs), 32);
    for (int i = 0; i < 8; i++) printf("%04x %04x %04x\n", ((uint16_t *)&r0)[i], ((uint16_t *)&r1)[i], (uint16_t)((int16_t *)&r2)[i]);
    for (int i = 0; i < 4; i++) printf("%08x %08x\n", ((uint32_t *)&r3)[i], ((uint32_t *)&r4)[i]);
    for (int i = 0; i < 2; i++)
        printf("%016llx %016llx %016llx\n", (unsigned long long)((uint64_t *)&r5)[i], (unsigned long long)((uint64_t *)&r6)[i],
               (unsigned long long)((int64_t *)&r7)[i]);
    return 0;
}
