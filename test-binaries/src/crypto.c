//@ aarch64-only
//@ cflags: -march=armv8-a+crypto
/* The cryptographic extension instructions through the arm_neon.h intrinsics: AESE, AESD,
 * AESMC, AESIMC, SHA1C/P/M/H/SU0/SU1, SHA256H/H2/SU0/SU1, PMULL/PMULL2 of bytes and
 * doublewords and PMUL, on many generated inputs (checksums and a few values printed), then a
 * whole AES-128 encryption and decryption of the FIPS-197 example, SHA-1 and SHA-256 of "abc"
 * and of a longer message, all with those instructions. Compared with qemu-aarch64. */
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

/* Random 128-bit vectors, with the edges (all zeros, all ones) now and then. */
static uint8x16_t rand_v(void)
{
    uint64_t r = next();
    uint64_t lo = next(), hi = next();
    if ((r & 15) == 0)
        lo = hi = 0;
    else if ((r & 15) == 1)
        lo = hi = ~0ull;
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

#define ROUNDS 300

#define CHECK(name, expr)                                                                          \
    do {                                                                                           \
        sum = 0xcbf29ce484222325ull;                                                               \
        for (int i = 0; i < ROUNDS; i++) {                                                         \
            uint8x16_t a = rand_v(), b = rand_v(), c = rand_v();                                   \
            (void)a, (void)b, (void)c;                                                             \
            uint8x16_t r = (expr);                                                                 \
            mix(r);                                                                                \
            if (i == 3)                                                                            \
                print_v("  " name, r);                                                             \
        }                                                                                          \
        printf("%-12s %016" PRIx64 "\n", name, sum);                                               \
    } while (0)

#define U32(x) vreinterpretq_u32_u8(x)
#define U8(x) vreinterpretq_u8_u32(x)
#define P64(x) vreinterpretq_p64_u8(x)
#define P8(x) vreinterpretq_p8_u8(x)

static void instructions(void)
{
    CHECK("aese", vaeseq_u8(a, b));
    CHECK("aesd", vaesdq_u8(a, b));
    CHECK("aesmc", vaesmcq_u8(a));
    CHECK("aesimc", vaesimcq_u8(a));
    CHECK("aesmc(imc)", vaesmcq_u8(vaesimcq_u8(a)));
    CHECK("sha1c", U8(vsha1cq_u32(U32(a), vgetq_lane_u32(U32(b), 1), U32(c))));
    CHECK("sha1p", U8(vsha1pq_u32(U32(a), vgetq_lane_u32(U32(b), 2), U32(c))));
    CHECK("sha1m", U8(vsha1mq_u32(U32(a), vgetq_lane_u32(U32(b), 3), U32(c))));
    CHECK("sha1h", U8(vdupq_n_u32(vsha1h_u32(vgetq_lane_u32(U32(a), 0)))));
    CHECK("sha1su0", U8(vsha1su0q_u32(U32(a), U32(b), U32(c))));
    CHECK("sha1su1", U8(vsha1su1q_u32(U32(a), U32(b))));
    CHECK("sha256h", U8(vsha256hq_u32(U32(a), U32(b), U32(c))));
    CHECK("sha256h2", U8(vsha256h2q_u32(U32(a), U32(b), U32(c))));
    CHECK("sha256su0", U8(vsha256su0q_u32(U32(a), U32(b))));
    CHECK("sha256su1", U8(vsha256su1q_u32(U32(a), U32(b), U32(c))));
    CHECK("pmull.1q", vreinterpretq_u8_p128(vmull_p64(vgetq_lane_p64(P64(a), 0), vgetq_lane_p64(P64(b), 1))));
    CHECK("pmull2.1q", vreinterpretq_u8_p128(vmull_high_p64(P64(a), P64(b))));
    CHECK("pmull.8h", vreinterpretq_u8_p16(vmull_p8(vget_low_p8(P8(a)), vget_low_p8(P8(b)))));
    CHECK("pmull2.8h", vreinterpretq_u8_p16(vmull_high_p8(P8(a), P8(b))));
    CHECK("pmul.16b", vreinterpretq_u8_p8(vmulq_p8(P8(a), P8(b))));
    CHECK("pmul.8b", vcombine_u8(vreinterpret_u8_p8(vmul_p8(vget_low_p8(P8(a)), vget_high_p8(P8(b)))),
                                 vdup_n_u8(0)));
}

/* AES-128 (FIPS-197): the key schedule's SubWord is AESE with a zero key of the word in all
 * four columns (ShiftRows then moves nothing). */
static uint32_t sub_word(uint32_t w)
{
    uint8x16_t v = U8(vdupq_n_u32(w));
    return vgetq_lane_u32(U32(vaeseq_u8(v, vdupq_n_u8(0))), 0);
}

static void aes128_keys(const uint8_t key[16], uint8x16_t rk[11])
{
    uint32_t w[44];
    memcpy(w, key, 16);
    uint32_t rcon = 1;
    for (int i = 4; i < 44; i++) {
        uint32_t t = w[i - 1];
        if (i % 4 == 0) {
            t = sub_word((t >> 8) | (t << 24)) ^ rcon; /* RotWord in little-endian words */
            rcon = ((rcon << 1) ^ ((rcon & 0x80) ? 0x1b : 0)) & 0xff;
        }
        w[i] = w[i - 4] ^ t;
    }
    for (int r = 0; r < 11; r++)
        rk[r] = vld1q_u8((const uint8_t *)&w[4 * r]);
}

static uint8x16_t aes128_encrypt(const uint8x16_t rk[11], uint8x16_t s)
{
    for (int r = 0; r < 9; r++)
        s = vaesmcq_u8(vaeseq_u8(s, rk[r]));
    return veorq_u8(vaeseq_u8(s, rk[9]), rk[10]);
}

static uint8x16_t aes128_decrypt(const uint8x16_t rk[11], uint8x16_t s)
{
    s = vaesimcq_u8(vaesdq_u8(s, rk[10]));
    for (int r = 9; r > 1; r--)
        s = vaesimcq_u8(vaesdq_u8(s, vaesimcq_u8(rk[r])));
    return veorq_u8(vaesdq_u8(s, vaesimcq_u8(rk[1])), rk[0]);
}

static void aes(void)
{
    uint8_t key[16], pt[16];
    for (int i = 0; i < 16; i++) {
        key[i] = i;
        pt[i] = i * 0x11;
    }
    uint8x16_t rk[11];
    aes128_keys(key, rk);
    print_v("aes128 round key 10:", rk[10]);
    uint8x16_t ct = aes128_encrypt(rk, vld1q_u8(pt));
    print_v("aes128 FIPS-197 C.1 ciphertext:", ct);
    print_v("aes128 decrypted:", aes128_decrypt(rk, ct));
    /* CBC over generated blocks. */
    uint8x16_t iv = vdupq_n_u8(0);
    sum = 0xcbf29ce484222325ull;
    for (int i = 0; i < 1000; i++) {
        iv = aes128_encrypt(rk, veorq_u8(iv, rand_v()));
        mix(iv);
    }
    printf("aes128-cbc of 1000 blocks: %016" PRIx64 "\n", sum);
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32x4_t load_be(const uint8_t *p)
{
    return U32(vrev32q_u8(vld1q_u8(p)));
}

static void sha256_block(uint32_t st[8], const uint8_t *p)
{
    uint32x4_t abcd = vld1q_u32(st), efgh = vld1q_u32(st + 4);
    uint32x4_t a0 = abcd, e0 = efgh;
    uint32x4_t m[4] = {load_be(p), load_be(p + 16), load_be(p + 32), load_be(p + 48)};
    for (int i = 0; i < 16; i++) {
        uint32x4_t wk = vaddq_u32(m[i % 4], vld1q_u32(K256 + 4 * i));
        uint32x4_t prev = abcd;
        abcd = vsha256hq_u32(abcd, efgh, wk);
        efgh = vsha256h2q_u32(efgh, prev, wk);
        if (i < 12)
            m[i % 4] = vsha256su1q_u32(vsha256su0q_u32(m[i % 4], m[(i + 1) % 4]), m[(i + 2) % 4], m[(i + 3) % 4]);
    }
    vst1q_u32(st, vaddq_u32(abcd, a0));
    vst1q_u32(st + 4, vaddq_u32(efgh, e0));
}

static void sha1_block(uint32_t st[5], const uint8_t *p)
{
    static const uint32_t K1[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    uint32x4_t abcd = vld1q_u32(st), a0 = abcd;
    uint32_t e = st[4];
    uint32x4_t m[4] = {load_be(p), load_be(p + 16), load_be(p + 32), load_be(p + 48)};
    for (int i = 0; i < 20; i++) {
        uint32x4_t wk = vaddq_u32(m[i % 4], vdupq_n_u32(K1[i / 5]));
        uint32_t e_next = vsha1h_u32(vgetq_lane_u32(abcd, 0));
        if (i < 5)
            abcd = vsha1cq_u32(abcd, e, wk);
        else if (i < 10 || i >= 15)
            abcd = vsha1pq_u32(abcd, e, wk);
        else
            abcd = vsha1mq_u32(abcd, e, wk);
        e = e_next;
        if (i < 16)
            m[i % 4] = vsha1su1q_u32(vsha1su0q_u32(m[i % 4], m[(i + 1) % 4], m[(i + 2) % 4]), m[(i + 3) % 4]);
    }
    vst1q_u32(st, vaddq_u32(abcd, a0));
    st[4] += e;
}

/* Merkle-Damgard padding and the blocks of `msg`; `sha256` picks the function. */
static void digest(const uint8_t *msg, size_t len, int sha256, uint32_t *st)
{
    static const uint32_t iv256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    static const uint32_t iv1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(st, sha256 ? iv256 : iv1, sha256 ? 32 : 20);
    uint8_t block[64];
    size_t off = 0;
    int done = 0, marker = 0;
    while (!done) {
        size_t n = len - off < 64 ? len - off : 64;
        memset(block, 0, 64);
        memcpy(block, msg + off, n);
        off += n;
        if (n < 64 && !marker) {
            block[n] = 0x80;
            marker = 1;
        }
        if (n < 56 && marker) {
            uint64_t bits = (uint64_t)len * 8;
            for (int i = 0; i < 8; i++)
                block[63 - i] = bits >> (8 * i);
            done = 1;
        }
        if (sha256)
            sha256_block(st, block);
        else
            sha1_block(st, block);
    }
}

static void hashes(void)
{
    static uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = next();
    struct {
        const char *name;
        const uint8_t *p;
        size_t len;
    } msgs[] = {
        {"\"abc\"", (const uint8_t *)"abc", 3},
        {"\"\"", (const uint8_t *)"", 0},
        {"56 bytes", (const uint8_t *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56},
        {"1000 bytes", big, sizeof big},
    };
    for (size_t k = 0; k < sizeof msgs / sizeof msgs[0]; k++) {
        uint32_t st[8];
        digest(msgs[k].p, msgs[k].len, 0, st);
        printf("sha1(%s)   = ", msgs[k].name);
        for (int i = 0; i < 5; i++)
            printf("%08" PRIx32, st[i]);
        printf("\n");
        digest(msgs[k].p, msgs[k].len, 1, st);
        printf("sha256(%s) = ", msgs[k].name);
        for (int i = 0; i < 8; i++)
            printf("%08" PRIx32, st[i]);
        printf("\n");
    }
}

int main(void)
{
    instructions();
    aes();
    hashes();
    return 0;
}
