/* FMLAL, FMLSL, FMLAL2, FMLSL2 (FEAT_FHM), vector and by element: single-precision lanes plus
 * or minus products of half-precision lanes, fused. Every kind of half operand (zeros,
 * denormals, the largest, infinities, quiet and signalling NaNs with payloads) against every
 * kind of accumulator, under FPCR's rounding modes, DN, FZ (a denormal accumulator) and FZ16
 * (denormal halves), with the FPSR flags of each; the lower/upper halves of 64- and 128-bit
 * forms; every element index; and that the feature is advertised (HWCAP_ASIMDFHM). */
//@ aarch64-only
//@ cflags: -march=armv8.4-a+fp16fml
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP_ASIMDFHM (1 << 23)

#include "vec_forms.h"

FORM(fmlal_4s, "fmlal v0.4s, v1.4h, v2.4h")
FORM(fmlsl_4s, "fmlsl v0.4s, v1.4h, v2.4h")
FORM(fmlal2_4s, "fmlal2 v0.4s, v1.4h, v2.4h")
FORM(fmlsl2_2s, "fmlsl2 v0.2s, v1.2h, v2.2h")
FORM(fmlal_2s, "fmlal v0.2s, v1.2h, v2.2h")
FORM(fmlal_e0, "fmlal v0.4s, v1.4h, v2.h[0]")
FORM(fmlal_e3, "fmlal v0.2s, v1.2h, v2.h[3]")
FORM(fmlsl_e5, "fmlsl v0.4s, v1.4h, v2.h[5]")
FORM(fmlal2_e7, "fmlal2 v0.4s, v1.4h, v2.h[7]")
FORM(fmlsl2_e6, "fmlsl2 v0.2s, v1.2h, v2.h[6]")

static const struct form forms[] = {
    {"fmlal.4s", fmlal_4s},   {"fmlsl.4s", fmlsl_4s},     {"fmlal2.4s", fmlal2_4s},
    {"fmlsl2.2s", fmlsl2_2s}, {"fmlal.2s", fmlal_2s},     {"fmlal.e0", fmlal_e0},
    {"fmlal.e3", fmlal_e3},   {"fmlsl.e5", fmlsl_e5},     {"fmlal2.e7", fmlal2_e7},
    {"fmlsl2.e6", fmlsl2_e6},
};

/* Halves: zeros, one, a fraction, the smallest and largest denormals, the smallest normal, the
 * largest, infinities, quiet NaNs, signalling NaNs (payloads and signs). */
static const uint16_t halves[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x3555, 0x0001, 0x83ff, 0x0400, 0x7bff, 0xfbff,
    0x7c00, 0xfc00, 0x7e00, 0xfe3f, 0x7c01, 0xfd55, 0x4900, 0x1234,
};
/* Accumulators: zeros, ones, a denormal, the largest, infinities, quiet and signalling NaNs. */
static const uint32_t singles[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x00000001, 0x807fffff, 0x7f7fffff,
    0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0xff812345, 0x3eaaaaab,
};
#define NH (sizeof halves / sizeof halves[0])
#define NS (sizeof singles / sizeof singles[0])

static uint64_t pack4(uint16_t a, uint16_t b, uint16_t c, uint16_t d) {
    return a | (uint64_t)b << 16 | (uint64_t)c << 32 | (uint64_t)d << 48;
}

int main(void) {
    printf("hwcap asimdfhm: %d\n", (getauxval(AT_HWCAP) & HWCAP_ASIMDFHM) != 0);
    /* FPCR: RN, DN, FZ, FZ16, RP, RM, RZ, DN+FZ+FZ16. */
    const uint64_t fpcrs[] = {0, 1 << 25, 1 << 24, 1 << 19, 1 << 22, 2 << 22, 3 << 22,
                              1 << 25 | 1 << 24 | 1 << 19};
    for (unsigned c = 0; c < sizeof fpcrs / sizeof fpcrs[0]; c++) {
        set_fpcr(fpcrs[c]);
        uint64_t digest = 0, flags = 0;
        /* Every (accumulator, half, half) triple through FMLAL and FMLSL (lane 0 of 4S; the
         * other lanes carry neighbours), printed in full under the default FPCR. */
        for (unsigned a = 0; a < NS; a++)
            for (unsigned i = 0; i < NH; i++)
                for (unsigned j = 0; j < NH; j++) {
                    v128 d = {singles[a] | (uint64_t)singles[(a + 1) % NS] << 32,
                              singles[(a + 2) % NS] | (uint64_t)singles[(a + 3) % NS] << 32};
                    v128 n = {pack4(halves[i], halves[j], halves[(i + 3) % NH], halves[(j + 5) % NH]),
                              pack4(halves[(i + 7) % NH], halves[j], halves[i], halves[(i + j) % NH])};
                    v128 m = {pack4(halves[j], halves[i], halves[(j + 1) % NH], halves[(i + 2) % NH]),
                              pack4(halves[i], halves[(j + 9) % NH], halves[j], halves[(i + 4) % NH])};
                    for (unsigned f = 0; f < sizeof forms / sizeof forms[0]; f++) {
                        uint64_t fpsr;
                        v128 r = run_form(&forms[f], d, n, m, &fpsr, &digest, &flags);
                        if (c == 0 && f < 2 && (a % 5 == 0 || i == j)) {
                            char ops[32];
                            snprintf(ops, sizeof ops, "%08x %04x %04x", singles[a], halves[i], halves[j]);
                            show_form(&forms[f], ops, r, fpsr);
                        }
                    }
                }
        printf("fpcr %08llx: digest %016llx flags %02llx\n", (unsigned long long)fpcrs[c],
               (unsigned long long)digest, (unsigned long long)flags);
    }
    set_fpcr(0);
    return 0;
}
