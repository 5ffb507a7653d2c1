/* FEAT_BF16: BFCVT and BFCVTN/BFCVTN2 (single to BFloat16 in every FPCR rounding mode, with DN
 * and FZ, and their FPSR flags), BFDOT (vector and by element), BFMMLA and BFMLALB/BFMLALT
 * (vector and by element) over operands of every class (zeros, denormals, the largest values,
 * infinities, quiet and signalling NaNs), BFDOT and BFMMLA rounding to odd whatever FPCR says;
 * and that the feature is advertised (HWCAP2_BF16). */
//@ aarch64-only
//@ cflags: -march=armv8.6-a+bf16
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP2_BF16 (1 << 14)

#include "vec_forms.h"

FORM(bfcvt_s, "bfcvt h0, s1")
FORM(bfcvtn_4h, "bfcvtn v0.4h, v1.4s")
FORM(bfcvtn2_8h, "bfcvtn2 v0.8h, v1.4s")
FORM(bfdot_2s, "bfdot v0.2s, v1.4h, v2.4h")
FORM(bfdot_4s, "bfdot v0.4s, v1.8h, v2.8h")
FORM(bfdot_e1, "bfdot v0.2s, v1.4h, v2.2h[1]")
FORM(bfdot_e3, "bfdot v0.4s, v1.8h, v2.2h[3]")
FORM(bfmmla, "bfmmla v0.4s, v1.8h, v2.8h")
FORM(bfmlalb, "bfmlalb v0.4s, v1.8h, v2.8h")
FORM(bfmlalt, "bfmlalt v0.4s, v1.8h, v2.8h")
FORM(bfmlalb_e2, "bfmlalb v0.4s, v1.8h, v2.h[2]")
FORM(bfmlalt_e7, "bfmlalt v0.4s, v1.8h, v2.h[7]")

static const struct form forms[] = {
    {"bfcvt", bfcvt_s},       {"bfcvtn", bfcvtn_4h},   {"bfcvtn2", bfcvtn2_8h},     {"bfdot.2s", bfdot_2s},
    {"bfdot.4s", bfdot_4s},   {"bfdot.e1", bfdot_e1},  {"bfdot.e3", bfdot_e3},      {"bfmmla", bfmmla},
    {"bfmlalb", bfmlalb},     {"bfmlalt", bfmlalt},    {"bfmlalb.e2", bfmlalb_e2},  {"bfmlalt.e7", bfmlalt_e7},
};

/* Singles (also read as pairs of BFloat16): zeros, ones, values that round each way, ties, a
 * denormal, the largest, infinities, quiet and signalling NaNs, products that overflow or
 * underflow. */
static const uint32_t singles[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f80c000, 0x3f818000, 0x3f808000, 0xbf80ffff,
    0x00000001, 0x807fffff, 0x00400000, 0x7f7fffff, 0xff7f8000, 0x7f800000, 0xff800000, 0x7fc00000,
    0xffc12345, 0x7f800001, 0xff812345, 0x3eaaaaab, 0x5f000000, 0x20000000, 0x3f803f80, 0x7f7f0080,
};
#define NS (sizeof singles / sizeof singles[0])

int main(void) {
    printf("hwcap2 bf16: %d\n", (getauxval(AT_HWCAP2) & HWCAP2_BF16) != 0);
    /* FPCR: RN, DN, FZ, RP, RM, RZ, DN+FZ+RM. */
    const uint64_t fpcrs[] = {0, 1 << 25, 1 << 24, 1 << 22, 2 << 22, 3 << 22, 1 << 25 | 1 << 24 | 2 << 22};
    for (unsigned c = 0; c < sizeof fpcrs / sizeof fpcrs[0]; c++) {
        set_fpcr(fpcrs[c]);
        uint64_t digest = 0, flags = 0;
        for (unsigned a = 0; a < NS; a++)
            for (unsigned i = 0; i < NS; i++)
                for (unsigned j = 0; j < NS; j += 3) {
                    v128 d = {singles[a] | (uint64_t)singles[(a + 5) % NS] << 32,
                              singles[(a + 11) % NS] | (uint64_t)singles[(a + 17) % NS] << 32};
                    v128 n = {singles[i] | (uint64_t)singles[j] << 32,
                              singles[(i + j) % NS] | (uint64_t)singles[(i + 7) % NS] << 32};
                    v128 m = {singles[j] | (uint64_t)singles[(i + 3) % NS] << 32,
                              singles[(j + 13) % NS] | (uint64_t)singles[i] << 32};
                    for (unsigned f = 0; f < sizeof forms / sizeof forms[0]; f++) {
                        uint64_t fpsr;
                        v128 r = run_form(&forms[f], d, n, m, &fpsr, &digest, &flags);
                        if (c == 0 && (f == 0 || f == 3 || f == 7 || f == 8) && j == 0 && a % 4 == 0) {
                            char ops[40];
                            snprintf(ops, sizeof ops, "%08x %08x %08x", singles[a], singles[i], singles[j]);
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
