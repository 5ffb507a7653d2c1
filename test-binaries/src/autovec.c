//@ cflags: -march=armv8.2-a+dotprod
/* Loops that gcc -O3 and clang -O2 vectorise with AdvSIMD: reductions (sums, min/max, sums of
 * absolute differences, dot products, popcounts), saturating clamps, widening multiplies and
 * multiply-accumulates, shifts (by constants and by elements), byte reversal, conditional
 * selects, narrowing stores, averages, leading-zero counts, and float/double arithmetic on
 * integer-valued data (exact in any order and with or without fused multiply-add, so the
 * x86-64 build prints the same). Every loop is its own function over arrays whose length is
 * not a multiple of the vector length, so the scalar tails run too. Results print as integers. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 1003

static int8_t s8a[N], s8b[N];
static uint8_t u8a[N], u8b[N], u8r[N];
static int16_t s16a[N], s16b[N], s16r[N];
static uint16_t u16a[N], u16b[N];
static int32_t s32a[N], s32b[N], s32r[N];
static uint32_t u32a[N], u32b[N], u32r[N];
static int64_t s64a[N], s64b[N], s64r[N];
static uint64_t u64a[N], u64r[N];
static float fa[N], fb[N], fc[N], fr[N];
static double da[N], db[N], dr[N];

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(int round)
{
    for (int i = 0; i < N; i++) {
        uint64_t r = next(), q = next();
        /* Edge values at the start of some rounds. */
        if (round & 1 && i < 40) {
            r = (i & 1) ? ~0ull : 0x8000000080008080ull;
            q = (i & 2) ? 0x7fffffff7fff7f7full : 0;
        }
        s8a[i] = (int8_t)r;
        s8b[i] = (int8_t)(r >> 8);
        u8a[i] = (uint8_t)(r >> 16);
        u8b[i] = (uint8_t)(r >> 24);
        s16a[i] = (int16_t)(r >> 32);
        s16b[i] = (int16_t)(r >> 48);
        u16a[i] = (uint16_t)q;
        u16b[i] = (uint16_t)(q >> 16);
        s32a[i] = (int32_t)q;
        s32b[i] = (int32_t)(q >> 32);
        u32a[i] = (uint32_t)(r ^ q);
        u32b[i] = (uint32_t)((r ^ q) >> 32);
        s64a[i] = (int64_t)(r * 3);
        s64b[i] = (int64_t)(q * 5);
        u64a[i] = r ^ (q << 1);
        /* Small integers: every float/double result below is exact. */
        fa[i] = (float)((int)(r % 2001) - 1000);
        fb[i] = (float)((int)(q % 201) - 100);
        fc[i] = (float)((int)((r >> 20) % 4001) - 2000);
        da[i] = (double)((int64_t)(q % 200001) - 100000);
        db[i] = (double)((int)(r % 2001) - 1000);
    }
}

static uint64_t h = 0xcbf29ce484222325ull;

static void put(uint64_t x) { h = (h ^ x) * 0x100000001b3ull; }

static void put_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        put(b[i]);
}

#define NOINLINE __attribute__((noinline))

NOINLINE static int32_t sum_s8(void)
{
    int32_t s = 0;
    for (int i = 0; i < N; i++)
        s += s8a[i];
    return s;
}

NOINLINE static uint32_t sum_u8(void)
{
    uint32_t s = 0;
    for (int i = 0; i < N; i++)
        s += u8a[i];
    return s;
}

NOINLINE static int64_t sum_s32(void)
{
    int64_t s = 0;
    for (int i = 0; i < N; i++)
        s += s32a[i];
    return s;
}

NOINLINE static uint64_t sum_u64(void)
{
    uint64_t s = 0;
    for (int i = 0; i < N; i++)
        s += u64a[i];
    return s;
}

NOINLINE static int32_t max_s32(void)
{
    int32_t m = INT32_MIN;
    for (int i = 0; i < N; i++)
        m = s32a[i] > m ? s32a[i] : m;
    return m;
}

NOINLINE static uint8_t min_u8(void)
{
    uint8_t m = 255;
    for (int i = 0; i < N; i++)
        m = u8a[i] < m ? u8a[i] : m;
    return m;
}

NOINLINE static int16_t min_s16(void)
{
    int16_t m = INT16_MAX;
    for (int i = 0; i < N; i++)
        m = s16a[i] < m ? s16a[i] : m;
    return m;
}

NOINLINE static int8_t max_s8(void)
{
    int8_t m = INT8_MIN;
    for (int i = 0; i < N; i++)
        m = s8a[i] > m ? s8a[i] : m;
    return m;
}

NOINLINE static uint32_t sad_u8(void)
{
    uint32_t s = 0;
    for (int i = 0; i < N; i++)
        s += u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i];
    return s;
}

NOINLINE static int32_t sad_s16(void)
{
    int32_t s = 0;
    for (int i = 0; i < N; i++) {
        int d = s16a[i] - s16b[i];
        s += d < 0 ? -d : d;
    }
    return s;
}

NOINLINE static void absdiff_u8(void)
{
    for (int i = 0; i < N; i++)
        u8r[i] = u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i];
}

NOINLINE static int32_t dot_s8(void)
{
    int32_t s = 0;
    for (int i = 0; i < N; i++)
        s += s8a[i] * s8b[i];
    return s;
}

NOINLINE static uint32_t dot_u8(void)
{
    uint32_t s = 0;
    for (int i = 0; i < N; i++)
        s += (uint32_t)u8a[i] * u8b[i];
    return s;
}

NOINLINE static int64_t dot_s16(void)
{
    int64_t s = 0;
    for (int i = 0; i < N; i++)
        s += s16a[i] * s16b[i];
    return s;
}

NOINLINE static uint32_t popcount_u32(void)
{
    uint32_t s = 0;
    for (int i = 0; i < N; i++)
        s += (uint32_t)__builtin_popcount(u32a[i]);
    return s;
}

NOINLINE static void clamp_s32_u8(void)
{
    for (int i = 0; i < N; i++) {
        int32_t x = s32a[i] >> 20;
        u8r[i] = (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
    }
}

NOINLINE static void clamp_s32_s16(void)
{
    for (int i = 0; i < N; i++) {
        int32_t x = s32a[i] >> 8;
        s16r[i] = (int16_t)(x < -32768 ? -32768 : x > 32767 ? 32767 : x);
    }
}

NOINLINE static void sat_add_u8(void)
{
    for (int i = 0; i < N; i++) {
        unsigned x = u8a[i] + u8b[i];
        u8r[i] = (uint8_t)(x > 255 ? 255 : x);
    }
}

NOINLINE static void widen_mul_s16(void)
{
    for (int i = 0; i < N; i++)
        s32r[i] = s16a[i] * s16b[i];
}

NOINLINE static void widen_mul_u32(void)
{
    for (int i = 0; i < N; i++)
        u64r[i] = (uint64_t)u32a[i] * u32b[i];
}

NOINLINE static void widen_mla_s32(void)
{
    for (int i = 0; i < N; i++)
        s64r[i] = s64a[i] + (int64_t)s32a[i] * s32b[i];
}

NOINLINE static void mul_const_s32(void)
{
    for (int i = 0; i < N; i++)
        s32r[i] = (int32_t)((uint32_t)s32a[i] * 2654435761u + (uint32_t)s32b[i]);
}

NOINLINE static void mul_scalar_s16(int16_t k)
{
    for (int i = 0; i < N; i++)
        s16r[i] = (int16_t)(s16a[i] * k + s16b[i]);
}

NOINLINE static void shifts(void)
{
    for (int i = 0; i < N; i++) {
        s32r[i] = (s32a[i] >> 3) ^ (int32_t)((uint32_t)s32b[i] << 5);
        u32r[i] = (u32a[i] >> (u32b[i] & 31)) + (u32b[i] << (u32a[i] & 31));
        s64r[i] = (s64a[i] >> 17) + (int64_t)((uint64_t)s64b[i] >> 9);
    }
}

NOINLINE static void shift_s16_by_elem(void)
{
    for (int i = 0; i < N; i++)
        s16r[i] = (int16_t)(s16a[i] >> (u16b[i] & 15));
}

NOINLINE static void byte_reverse(void)
{
    for (int i = 0; i < N; i++) {
        u32r[i] = __builtin_bswap32(u32a[i]);
        u64r[i] = __builtin_bswap64(u64a[i]);
        s16r[i] = (int16_t)__builtin_bswap16((uint16_t)s16a[i]);
    }
}

NOINLINE static void conditionals(void)
{
    for (int i = 0; i < N; i++) {
        s32r[i] = s32a[i] > s32b[i] ? (int32_t)((uint32_t)s32a[i] - (uint32_t)s32b[i]) : s32b[i] & 0xffff;
        s64r[i] = s64a[i] < s64b[i] ? s64a[i] : s64b[i];
        u8r[i] = u8a[i] == u8b[i] ? 1 : (u8a[i] & 0x80) ? u8b[i] : u8a[i];
    }
}

NOINLINE static void abs_neg(void)
{
    for (int i = 0; i < N; i++) {
        int32_t x = s32a[i] == INT32_MIN ? 0 : s32a[i];
        s32r[i] = x < 0 ? -x : x;
        int16_t y = s16a[i] == INT16_MIN ? 0 : s16a[i];
        s16r[i] = (int16_t)(y < 0 ? -y : -(y >> 1));
    }
}

NOINLINE static void narrow(void)
{
    for (int i = 0; i < N; i++) {
        s16r[i] = (int16_t)(s32a[i] >> 16);
        u8r[i] = (uint8_t)(u16a[i] >> 4);
    }
}

NOINLINE static void average_u8(void)
{
    for (int i = 0; i < N; i++)
        u8r[i] = (uint8_t)((u8a[i] + u8b[i] + 1) >> 1);
}

NOINLINE static void halving_sub_u16(void)
{
    for (int i = 0; i < N; i++)
        s16r[i] = (int16_t)(((int32_t)u16a[i] - u16b[i]) >> 1);
}

NOINLINE static void leading_zeros(void)
{
    for (int i = 0; i < N; i++)
        u32r[i] = u32a[i] ? (uint32_t)__builtin_clz(u32a[i]) : 32;
}

NOINLINE static void float_ops(void)
{
    for (int i = 0; i < N; i++) {
        fr[i] = fa[i] * fb[i] + fc[i];
        fc[i] = fa[i] > fb[i] ? fa[i] : fb[i] * 2.0f;
        fb[i] = (fa[i] < 0 ? -fa[i] : fa[i]) - fb[i];
    }
}

NOINLINE static void double_ops(void)
{
    for (int i = 0; i < N; i++) {
        dr[i] = da[i] * db[i] - da[i];
        db[i] = da[i] < db[i] ? da[i] : db[i] + 0.5;
    }
}

NOINLINE static void float_convert(void)
{
    for (int i = 0; i < N; i++) {
        s32r[i] = (int32_t)fr[i];
        s64r[i] = (int64_t)dr[i];
        fa[i] = (float)s16a[i];
        da[i] = (double)s32b[i];
    }
}

NOINLINE static int32_t float_sum_as_int(void)
{
    /* Integer conversion inside the loop keeps the sum exact and order-free. */
    int32_t s = 0;
    for (int i = 0; i < N; i++)
        s += (int32_t)(fa[i] * 0.5f);
    return s;
}

int main(void)
{
    for (int round = 0; round < 6; round++) {
        fill(round);
        put((uint32_t)sum_s8());
        put(sum_u8());
        put((uint64_t)sum_s32());
        put(sum_u64());
        put((uint32_t)max_s32());
        put(min_u8());
        put((uint16_t)min_s16());
        put((uint8_t)max_s8());
        put(sad_u8());
        put((uint32_t)sad_s16());
        put((uint32_t)dot_s8());
        put(dot_u8());
        put((uint64_t)dot_s16());
        put(popcount_u32());
        put((uint32_t)float_sum_as_int());
        printf("round %d reductions %016" PRIx64 "\n", round, h);
        absdiff_u8();
        put_bytes(u8r, sizeof u8r);
        clamp_s32_u8();
        put_bytes(u8r, sizeof u8r);
        clamp_s32_s16();
        put_bytes(s16r, sizeof s16r);
        sat_add_u8();
        put_bytes(u8r, sizeof u8r);
        printf("round %d clamps %016" PRIx64 "\n", round, h);
        widen_mul_s16();
        put_bytes(s32r, sizeof s32r);
        widen_mul_u32();
        put_bytes(u64r, sizeof u64r);
        widen_mla_s32();
        put_bytes(s64r, sizeof s64r);
        mul_const_s32();
        put_bytes(s32r, sizeof s32r);
        mul_scalar_s16((int16_t)(round * 1234 - 3000));
        put_bytes(s16r, sizeof s16r);
        printf("round %d multiplies %016" PRIx64 "\n", round, h);
        shifts();
        put_bytes(s32r, sizeof s32r);
        put_bytes(u32r, sizeof u32r);
        put_bytes(s64r, sizeof s64r);
        shift_s16_by_elem();
        put_bytes(s16r, sizeof s16r);
        byte_reverse();
        put_bytes(u32r, sizeof u32r);
        put_bytes(u64r, sizeof u64r);
        put_bytes(s16r, sizeof s16r);
        printf("round %d shifts %016" PRIx64 "\n", round, h);
        conditionals();
        put_bytes(s32r, sizeof s32r);
        put_bytes(s64r, sizeof s64r);
        put_bytes(u8r, sizeof u8r);
        abs_neg();
        put_bytes(s32r, sizeof s32r);
        put_bytes(s16r, sizeof s16r);
        narrow();
        put_bytes(s16r, sizeof s16r);
        put_bytes(u8r, sizeof u8r);
        average_u8();
        put_bytes(u8r, sizeof u8r);
        halving_sub_u16();
        put_bytes(s16r, sizeof s16r);
        leading_zeros();
        put_bytes(u32r, sizeof u32r);
        printf("round %d selects %016" PRIx64 "\n", round, h);
        float_ops();
        put_bytes(fr, sizeof fr);
        put_bytes(fb, sizeof fb);
        put_bytes(fc, sizeof fc);
        double_ops();
        put_bytes(dr, sizeof dr);
        put_bytes(db, sizeof db);
        float_convert();
        put_bytes(s32r, sizeof s32r);
        put_bytes(s64r, sizeof s64r);
        put_bytes(fa, sizeof fa);
        put_bytes(da, sizeof da);
        printf("round %d float %016" PRIx64 "\n", round, h);
    }
    return 0;
}
