/* arith: 32/64-bit integer add, sub, mul, div, mod (incl. negative divisors),
 * unsigned wrap-around, widening multiplies, comparisons. No undefined
 * behaviour: no division by zero, no INT_MIN / -1, no signed overflow. */
#include <stdint.h>
#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* volatile so that -O2 cannot fold the operations away */
static volatile int32_t s32[] = {0, 1, -1, 7, -7, 13, -13, 100, -100, 2147483647, -2147483647, 65536, -65536, 123456789};
static volatile int32_t d32[] = {1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 1000, -1000, 65537};
static volatile int64_t s64[] = {0, 1, -1, 7, -7, 1000000007LL, -1000000007LL, 4294967296LL, -4294967296LL,
                                 9223372036854775807LL, -9223372036854775807LL, 0x123456789abcdefLL};
static volatile int64_t d64[] = {1, -1, 3, -3, 10, -10, 4294967295LL, -4294967295LL, 1000000007LL, -65536};
static volatile uint32_t u32[] = {0, 1, 2, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 0xdeadbeefu};
static volatile uint64_t u64[] = {0, 1, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                  0xffffffffffffffffull, 0xdeadbeefcafebabeull};

__attribute__((noinline)) static int64_t mulhi_s(int64_t a, int64_t b)
{
    return (int64_t)(((__int128)a * b) >> 64);
}

__attribute__((noinline)) static uint64_t mulhi_u(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

int main(void)
{
    uint64_t check = 0;
    printf("== int32 div/mod\n");
    for (unsigned i = 0; i < N(s32); i++) {
        for (unsigned j = 0; j < N(d32); j++) {
            int32_t a = s32[i], b = d32[j];
            int32_t q = a / b, r = a % b;
            if (j % 4 == 0)
                printf("%d / %d = %d, %d %% %d = %d\n", a, b, q, a, b, r);
            check = check * 31 + (uint32_t)q * 7u + (uint32_t)r;
        }
    }
    printf("== int64 div/mod\n");
    for (unsigned i = 0; i < N(s64); i++) {
        for (unsigned j = 0; j < N(d64); j++) {
            int64_t a = s64[i], b = d64[j];
            int64_t q = a / b, r = a % b;
            if (j % 3 == 0)
                printf("%lld / %lld = %lld r %lld\n", (long long)a, (long long)b, (long long)q, (long long)r);
            check = check * 31 + (uint64_t)q + (uint64_t)r * 3;
        }
    }
    printf("== unsigned wrap\n");
    for (unsigned i = 0; i < N(u32); i++) {
        uint32_t a = u32[i];
        uint32_t s = a + 0x80000001u, d = a - 3u, m = a * 0x9e3779b9u;
        uint32_t q = a / 7u, r = a % 7u;
        printf("u32 %u: +%u -%u *%u /7=%u %%7=%u neg=%u\n", a, s, d, m, q, r, -a);
        check = check * 31 + s + d + m + q + r;
    }
    for (unsigned i = 0; i < N(u64); i++) {
        uint64_t a = u64[i];
        uint64_t s = a + 0x8000000000000001ull, d = a - 3u, m = a * 0x9e3779b97f4a7c15ull;
        uint64_t q = a / 10u, r = a % 10u;
        printf("u64 %llu: +%llx -%llx *%llx /10=%llu %%10=%llu\n", (unsigned long long)a, (unsigned long long)s,
               (unsigned long long)d, (unsigned long long)m, (unsigned long long)q, (unsigned long long)r);
        check = check * 31 + s + d + m + q + r;
    }
    printf("== add/sub/mul int32 (no overflow)\n");
    for (unsigned i = 0; i < N(d32); i++) {
        int32_t a = d32[i];
        int32_t b = d32[(i + 5) % N(d32)];
        printf("%d + %d = %d; %d - %d = %d; %d * %d = %d\n", a, b, a + b, a, b, a - b, a, b, a * b);
        check = check * 31 + (uint32_t)(a * b - a + b);
    }
    printf("== widening and high multiplies\n");
    for (unsigned i = 0; i < N(s64); i++) {
        int64_t a = s64[i], b = s64[(i + 3) % N(s64)];
        printf("smulh(%llx,%llx) = %llx\n", (unsigned long long)a, (unsigned long long)b,
               (unsigned long long)mulhi_s(a, b));
        check = check * 31 + (uint64_t)mulhi_s(a, b);
    }
    for (unsigned i = 0; i < N(u64); i++) {
        uint64_t a = u64[i], b = u64[(i + 5) % N(u64)];
        printf("umulh(%llx,%llx) = %llx\n", (unsigned long long)a, (unsigned long long)b,
               (unsigned long long)mulhi_u(a, b));
        check = check * 31 + mulhi_u(a, b);
    }
    for (unsigned i = 0; i < N(s32); i++) {
        int64_t w = (int64_t)s32[i] * (int64_t)s32[(i + 1) % N(s32)];
        uint64_t uw = (uint64_t)(uint32_t)s32[i] * (uint32_t)s32[(i + 2) % N(s32)];
        printf("smull %lld umull %llu\n", (long long)w, (unsigned long long)uw);
        check = check * 31 + (uint64_t)w + uw;
    }
    printf("== comparisons\n");
    for (unsigned i = 0; i < N(s64); i++) {
        int64_t a = s64[i], b = s64[(i + 1) % N(s64)];
        uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
        int flags = (a < b) | (a <= b) << 1 | (a > b) << 2 | (a == b) << 3 | (ua < ub) << 4 | (ua >= ub) << 5 |
                    (ua > ub) << 6;
        printf("cmp %lld %lld -> %02x, min %lld max %lld\n", (long long)a, (long long)b, flags,
               (long long)(a < b ? a : b), (long long)(a > b ? a : b));
        check = check * 31 + (uint64_t)flags;
    }
    printf("check %016llx\n", (unsigned long long)check);
    return 0;
}
