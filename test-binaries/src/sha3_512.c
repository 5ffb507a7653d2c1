/* FEAT_SHA512 (SHA512H, SHA512H2, SHA512SU0, SHA512SU1) and FEAT_SHA3 (EOR3, BCAX, RAX1, XAR):
 * each on pseudo-random registers, also with the destination the same register as a source (the
 * instruction reads all its sources before it writes), that both are advertised (HWCAP_SHA512,
 * HWCAP_SHA3), and FIPS 180-4's SHA-512 test vector "abc" computed by a compression function
 * made of these instructions, checked against the digest the standard gives. */
//@ aarch64-only
//@ cflags: -march=armv8.2-a+sha3
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#define HWCAP_SHA3 (1 << 17)
#define HWCAP_SHA512 (1 << 21)

static uint64_t state = 0x9e3779b97f4a7c15;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}
static uint64x2_t vrand(void) {
    uint64_t a = next(), b = next();
    return vcombine_u64(vcreate_u64(a), vcreate_u64(b));
}
static void show(const char *what, uint64x2_t v) {
    printf("%s %016llx %016llx\n", what, (unsigned long long)vgetq_lane_u64(v, 1),
           (unsigned long long)vgetq_lane_u64(v, 0));
}

static void each_instruction(void) {
    for (int i = 0; i < 48; i++) {
        uint64x2_t d = vrand(), n = vrand(), m = vrand(), a = vrand();
        show("sha512h  ", vsha512hq_u64(d, n, m));
        show("sha512h2 ", vsha512h2q_u64(d, n, m));
        show("sha512su0", vsha512su0q_u64(d, n));
        show("sha512su1", vsha512su1q_u64(d, n, m));
        show("eor3     ", veor3q_u64(n, m, a));
        show("bcax     ", vbcaxq_u64(n, m, a));
        show("rax1     ", vrax1q_u64(n, m));
        /* XAR's rotate is an immediate: a few of them. */
        switch (i % 4) {
        case 0: show("xar 0    ", vxarq_u64(n, m, 0)); break;
        case 1: show("xar 1    ", vxarq_u64(n, m, 1)); break;
        case 2: show("xar 41   ", vxarq_u64(n, m, 41)); break;
        default: show("xar 63   ", vxarq_u64(n, m, 63)); break;
        }
    }
    /* The destination among the sources. */
    uint64x2_t v0 = vrand(), v1 = vrand(), v2 = vrand();
    asm("sha512h %q0, %q1, %2.2d" : "+w"(v0) : "w"(v1), "w"(v0));
    show("h  d=m    ", v0);
    asm("sha512su1 %0.2d, %0.2d, %1.2d" : "+w"(v1) : "w"(v2));
    show("su1 d=n   ", v1);
    asm("eor3 %0.16b, %1.16b, %0.16b, %0.16b" : "+w"(v2) : "w"(v1));
    show("eor3 d=m=a", v2);
    asm("bcax %0.16b, %0.16b, %1.16b, %0.16b" : "+w"(v0) : "w"(v2));
    show("bcax d=n=a", v0);
    asm("rax1 %0.2d, %0.2d, %0.2d" : "+w"(v1));
    show("rax1 d=n=m", v1);
}

/* SHA-512 (FIPS 180-4) with the SHA512 instructions. */
static const uint64_t K[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538,
    0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe,
    0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2, 0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5, 0x983e5152ee66dfab,
    0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df, 0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8, 0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
    0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c,
    0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6,
    0x113f9804bef90dae, 0x1b710b35131c471b, 0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};

/* One block. The state is four pairs P0 = {a, b}, P1 = {c, d}, P2 = {e, f}, P3 = {g, h} (low
 * lane first); two rounds are SHA512H, which makes T1 of both from {d, e}, {f, g} and h plus the
 * round constants and message words, and SHA512H2, which makes the new a's from {a, b} and c; the
 * pairs then move along: (P0, P1, P2, P3) <- (new a's, P0, P1 + T1s, P2). The message schedule:
 * SHA512SU0 then SHA512SU1 on the 16-word window w[0..8]. */
static void compress(uint64x2_t s[4], const uint8_t block[128]) {
    uint64x2_t w[8], p[4] = {s[0], s[1], s[2], s[3]};
    for (int i = 0; i < 8; i++)
        w[i] = vreinterpretq_u64_u8(vrev64q_u8(vld1q_u8(block + 16 * i)));
    for (int r = 0; r < 40; r++) {
        int j = r % 8;
        uint64x2_t kw = vaddq_u64(w[j], vld1q_u64(&K[2 * r]));
        uint64x2_t acc = vaddq_u64(p[3], vextq_u64(kw, kw, 1));
        uint64x2_t t = vsha512hq_u64(acc, vextq_u64(p[2], p[3], 1), vextq_u64(p[1], p[2], 1));
        uint64x2_t a = vsha512h2q_u64(t, p[1], p[0]);
        uint64x2_t e = vaddq_u64(p[1], t);
        p[3] = p[2], p[2] = e, p[1] = p[0], p[0] = a;
        if (r < 32)
            w[j] = vsha512su1q_u64(vsha512su0q_u64(w[j], w[(j + 1) % 8]), w[(j + 7) % 8],
                                   vextq_u64(w[(j + 4) % 8], w[(j + 5) % 8], 1));
    }
    for (int i = 0; i < 4; i++)
        s[i] = vaddq_u64(s[i], p[i]);
}

static void sha512_abc(void) {
    uint64x2_t s[4] = {
        vcombine_u64(vcreate_u64(0x6a09e667f3bcc908), vcreate_u64(0xbb67ae8584caa73b)),
        vcombine_u64(vcreate_u64(0x3c6ef372fe94f82b), vcreate_u64(0xa54ff53a5f1d36f1)),
        vcombine_u64(vcreate_u64(0x510e527fade682d1), vcreate_u64(0x9b05688c2b3e6c1f)),
        vcombine_u64(vcreate_u64(0x1f83d9abfb41bd6b), vcreate_u64(0x5be0cd19137e2179)),
    };
    uint8_t block[128] = {'a', 'b', 'c', 0x80};
    block[127] = 24; /* the length in bits */
    compress(s, block);
    char hex[129];
    for (int i = 0; i < 4; i++)
        for (int l = 0; l < 2; l++)
            sprintf(hex + 32 * i + 16 * l, "%016llx",
                    (unsigned long long)(l ? vgetq_lane_u64(s[i], 1) : vgetq_lane_u64(s[i], 0)));
    const char *fips = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    printf("sha512(\"abc\") %s\n%s\n", strcmp(hex, fips) == 0 ? "matches FIPS 180-4" : "WRONG", hex);
}

int main(void) {
    unsigned long hw = getauxval(AT_HWCAP);
    printf("HWCAP_SHA3 %s, HWCAP_SHA512 %s\n", hw & HWCAP_SHA3 ? "yes" : "no", hw & HWCAP_SHA512 ? "yes" : "no");
    each_instruction();
    sha512_abc();
    return 0;
}
