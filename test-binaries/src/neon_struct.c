//@ aarch64-only
/* AdvSIMD structure loads and stores: LD2/LD3/LD4 and ST2/ST3/ST4 (multiple structures) of bytes,
 * halfwords, words and doublewords, 64- and 128-bit, with post-increment, as RGB(A) code uses
 * them. Compared with qemu-aarch64. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>

static uint8_t src[256], dst[256];

static void dump(const char *name) {
    unsigned h = 0;
    for (int i = 0; i < 256; i++) h = h * 31 + dst[i];
    printf("%-8s %08x %02x %02x %02x %02x\n", name, h, dst[0], dst[1], dst[17], dst[63]);
}

int main(void) {
    for (int i = 0; i < 256; i++) src[i] = (uint8_t)(i * 7 + 3);
    uint8x16x3_t rgb = vld3q_u8(src);
    uint8x16_t gray = vhaddq_u8(vhaddq_u8(rgb.val[0], rgb.val[1]), rgb.val[2]);
    vst1q_u8(dst, gray);
    uint8x16x3_t out = {{rgb.val[2], rgb.val[1], rgb.val[0]}};
    vst3q_u8(dst + 16, out);
    dump("ld3/st3");
    uint16x8x2_t h2 = vld2q_u16((const uint16_t *)src);
    uint16x8x2_t h2s = {{h2.val[1], h2.val[0]}};
    vst2q_u16((uint16_t *)dst, h2s);
    dump("ld2/st2");
    uint32x4x4_t w4 = vld4q_u32((const uint32_t *)src);
    uint32x4x4_t w4s = {{w4.val[3], w4.val[0], w4.val[2], w4.val[1]}};
    vst4q_u32((uint32_t *)(dst + 64), w4s);
    dump("ld4/st4");
    uint8x8x4_t b4 = vld4_u8(src + 5);
    uint8x8x4_t b4s = {{b4.val[1], b4.val[3], b4.val[0], b4.val[2]}};
    vst4_u8(dst + 3, b4s);
    dump("ld4 8b");
    int64x2x2_t d2 = vld2q_s64((const int64_t *)src);
    int64x2x2_t d2s = {{d2.val[1], d2.val[0]}};
    vst2q_s64((int64_t *)(dst + 128), d2s);
    dump("ld2 2d");
    /* A loop the compiler turns into post-indexed structure loads. */
    unsigned sum = 0;
    for (int i = 0; i + 48 <= 240; i += 48) {
        uint8x16x3_t v = vld3q_u8(src + i);
        uint8x16_t m = vmaxq_u8(vmaxq_u8(v.val[0], v.val[1]), v.val[2]);
        sum += vaddvq_u8(m);
    }
    printf("sum %u\n", sum);
    return 0;
}
