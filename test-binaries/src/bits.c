/* bits: shifts (logical, arithmetic, by variable amounts), rotates, bit
 * counting by loops, byte swapping, bit-field extract/insert, sign/zero
 * extension. Shift amounts always stay below the type width. */
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t vals[] = {0, 1, 0x80, 0xff, 0x8000, 0x12345678, 0x80000000ull, 0xffffffffull,
                                   0x0123456789abcdefull, 0x8000000000000000ull, 0xfedcba9876543210ull,
                                   0xffffffffffffffffull, 0x5555555555555555ull};
static volatile unsigned amounts[] = {0, 1, 3, 7, 8, 15, 16, 31, 32, 33, 63};

__attribute__((noinline)) static int popcount_loop(uint64_t x)
{
    int n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

__attribute__((noinline)) static int clz_loop(uint64_t x)
{
    int n = 0;
    if (!x)
        return 64;
    while (!(x & 0x8000000000000000ull)) {
        x <<= 1;
        n++;
    }
    return n;
}

__attribute__((noinline)) static int ctz_loop(uint32_t x)
{
    int n = 0;
    if (!x)
        return 32;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}

__attribute__((noinline)) static uint64_t rbit_loop(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (x & 1);
        x >>= 1;
    }
    return r;
}

/* RBIT then CLZ of the same width (a64x turns the pair into a count of trailing zeros), of 0
 * too: 64-bit, 32-bit, and a pair whose RBIT value is also kept (read by another instruction). */
__attribute__((noinline)) static void rbit_clz(uint64_t v, uint64_t out[4])
{
#if defined(__aarch64__)
    uint64_t a, b;
    uint32_t w;
    asm volatile("rbit %0, %3\n\tclz %0, %0\n\trbit %w1, %w3\n\tclz %w1, %w1\n\trbit %2, %3\n\tclz %3, %2"
                 : "=&r"(a), "=&r"(w), "=&r"(b), "+r"(v));
    out[0] = a;
    out[1] = w;
    out[2] = b;
    out[3] = v;
#else
    out[0] = v ? (uint64_t)__builtin_ctzll(v) : 64;
    out[1] = (uint32_t)v ? (uint64_t)__builtin_ctz((uint32_t)v) : 32;
    out[2] = rbit_loop(v);
    out[3] = out[0];
#endif
}

/* Chains of ADD/SUB immediates on one register (a64x adds their constants into one): 64-bit
 * ones, 32-bit ones that wrap, one whose middle value is kept, a SUB undone by an ADD, and a
 * 32-bit result added to in 64 bits (sizes not mixed). */
__attribute__((noinline)) static void offset_chains(uint64_t v, uint64_t out[5])
{
#if defined(__aarch64__)
    uint64_t a = v, b, c, d = v, e;
    uint32_t w = (uint32_t)v;
    asm volatile("add %0, %0, #0xfff\n\tadd %0, %0, #0xfff, lsl #12\n\tsub %0, %0, #1\n\tadd %0, %0, #7"
                 : "+r"(a));
    asm volatile("add %w0, %w0, #0xfff\n\tsub %w0, %w0, #0x800, lsl #12\n\tadd %w0, %w0, #0xfff, lsl #12\n\t"
                 "sub %w0, %w0, #3"
                 : "+r"(w));
    asm volatile("add %0, %2, #16\n\tadd %1, %0, #32\n\tsub %1, %1, #0x10, lsl #12" : "=&r"(b), "=&r"(c) : "r"(v));
    asm volatile("sub %0, %0, #0x20\n\tadd %0, %0, #0x20" : "+r"(d));
    asm volatile("sub %w0, %w1, #5\n\tadd %0, %0, #9" : "=&r"(e) : "r"(v));
    out[0] = a;
    out[1] = w;
    out[2] = b ^ (c << 1);
    out[3] = d;
    out[4] = e;
#else
    out[0] = v + 0xfff + (0xfffull << 12) - 1 + 7;
    out[1] = (uint32_t)((uint32_t)v + 0xfff - (0x800u << 12) + (0xfffu << 12) - 3);
    out[2] = (v + 16) ^ ((v + 16 + 32 - (0x10ull << 12)) << 1);
    out[3] = v;
    out[4] = (uint64_t)(uint32_t)((uint32_t)v - 5) + 9;
#endif
}

static uint64_t rotl64(uint64_t x, unsigned n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}

static uint32_t rotr32(uint32_t x, unsigned n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}

int main(void)
{
    uint64_t check = 0;
    const unsigned nv = sizeof(vals) / sizeof(vals[0]), na = sizeof(amounts) / sizeof(amounts[0]);
    for (unsigned i = 0; i < nv; i++) {
        uint64_t v = vals[i];
        uint32_t w = (uint32_t)v;
        printf("%016llx: pop=%d clz=%d ctz32=%d rbit=%016llx bswap=%016llx bswap32=%08x\n", (unsigned long long)v,
               popcount_loop(v), clz_loop(v), ctz_loop(w), (unsigned long long)rbit_loop(v),
               (unsigned long long)__builtin_bswap64(v), __builtin_bswap32(w));
        printf("  builtins: pop=%d clz=%d ctz=%d parity=%d\n", __builtin_popcountll(v), v ? __builtin_clzll(v) : 64,
               v ? __builtin_ctzll(v) : 64, __builtin_parityll(v));
        uint64_t rc[4];
        rbit_clz(v, rc);
        printf("  rbit+clz: %llu %llu %016llx %llu\n", (unsigned long long)rc[0], (unsigned long long)rc[1],
               (unsigned long long)rc[2], (unsigned long long)rc[3]);
        uint64_t oc[5];
        offset_chains(v, oc);
        printf("  offsets: %016llx %08llx %016llx %016llx %016llx\n", (unsigned long long)oc[0],
               (unsigned long long)oc[1], (unsigned long long)oc[2], (unsigned long long)oc[3],
               (unsigned long long)oc[4]);
        printf("  sext8=%lld sext16=%lld sext32=%lld zext8=%llu zext16=%llu\n", (long long)(int8_t)v,
               (long long)(int16_t)v, (long long)(int32_t)v, (unsigned long long)(uint8_t)v,
               (unsigned long long)(uint16_t)v);
        printf("  field[12:4]=%llx insert=%016llx\n", (unsigned long long)((v >> 4) & 0x1ff),
               (unsigned long long)((v & ~(0xffull << 20)) | ((v & 0xff) << 20)));
        for (unsigned j = 0; j < na; j++) {
            unsigned s = amounts[j];
            uint64_t lsl = v << s, lsr = v >> s;
            int64_t asr = (int64_t)v >> s;
            uint64_t rol = rotl64(v, s);
            uint32_t lsl32 = w << (s & 31), lsr32 = w >> (s & 31), ror32 = rotr32(w, s);
            int32_t asr32 = (int32_t)w >> (s & 31);
            check = check * 1000003 + lsl + lsr * 3 + (uint64_t)asr * 5 + rol * 7 + lsl32 + lsr32 * 11 +
                    (uint64_t)(uint32_t)asr32 * 13 + ror32 * 17;
            if (j % 3 == 0)
                printf("  s=%2u lsl=%llx lsr=%llx asr=%llx rol=%llx | %x %x %x %x\n", s, (unsigned long long)lsl,
                       (unsigned long long)lsr, (unsigned long long)asr, (unsigned long long)rol, lsl32, lsr32,
                       (unsigned)asr32, ror32);
        }
        check = check * 31 + (v & 0xf0f0f0f0f0f0f0f0ull) + (v | 0x0f0f) + (v ^ (v >> 7)) + (~v & (v << 3));
    }
    printf("check %016llx\n", (unsigned long long)check);
    return 0;
}
