//@ bench
//@ cflags: -ftree-vectorize
//@ args: 200
/* bench_vecint: auto-vectorised integer loops of image and signal code: rounding averages of
 * bytes (URHADD), sums of absolute differences (UABD and across-lanes adds), byte maxima (UMAXV),
 * population counts (CNT), shift-and-accumulate (USRA), absolute values of halfwords (ABS),
 * halfword sums narrowed to their high bytes (ADDHN).
 * Usage: bench_vecint [ROUNDS]. Prints a checksum per loop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096
static uint8_t a[N], b[N], avg[N];
static int16_t s[N], t[N];
static uint32_t acc[N], src[N];
static uint64_t bits[N / 8];
static uint16_t w1[N], w2[N];
static uint8_t hn[N];

static void average(void) {
    for (int i = 0; i < N; i++) avg[i] = (uint8_t)((a[i] + b[i] + 1) >> 1);
}

static uint32_t sad(void) {
    uint32_t sum = 0;
    for (int i = 0; i < N; i++) sum += (uint32_t)abs(a[i] - b[i]);
    return sum;
}

static uint8_t byte_max(void) {
    uint8_t m = 0;
    for (int i = 0; i < N; i++) m = avg[i] > m ? avg[i] : m;
    return m;
}

static uint64_t popcount(void) {
    uint64_t n = 0;
    for (int i = 0; i < N / 8; i++) n += (uint64_t)__builtin_popcountll(bits[i]);
    return n;
}

static void shift_acc(void) {
    for (int i = 0; i < N; i++) acc[i] += src[i] >> 3;
}

static void absolute(void) {
    for (int i = 0; i < N; i++) t[i] = (int16_t)(s[i] < 0 ? -s[i] : s[i]);
}

static void high_narrow(void) {
    for (int i = 0; i < N; i++) hn[i] = (uint8_t)((uint16_t)(w1[i] + w2[i]) >> 8);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 100000;
    for (int i = 0; i < N; i++) {
        a[i] = (uint8_t)(i * 7 + 3);
        b[i] = (uint8_t)(i * 13 + 1);
        s[i] = (int16_t)(i * 37 - 70000);
        src[i] = (uint32_t)i * 2654435761u;
        w1[i] = (uint16_t)(i * 40503u);
        w2[i] = (uint16_t)(i * 9973u);
    }
    for (int i = 0; i < N / 8; i++) bits[i] = (uint64_t)i * 0x9e3779b97f4a7c15ull;
    uint64_t c_sad = 0, c_max = 0, c_pop = 0;
    for (int r = 0; r < rounds; r++) {
        a[r % N] ^= (uint8_t)r;
        average();
        c_sad += sad();
        c_max += byte_max();
        bits[r % (N / 8)] += (uint64_t)r;
        c_pop += popcount();
        shift_acc();
        s[r % N] = (int16_t)(s[r % N] + r);
        absolute();
        w1[r % N] = (uint16_t)(w1[r % N] + r);
        high_narrow();
    }
    uint64_t c_acc = 0, c_abs = 0, c_hn = 0;
    for (int i = 0; i < N; i++) {
        c_acc += acc[i];
        c_abs += (uint16_t)t[i];
        c_hn += hn[i];
    }
    printf("sad %llu max %llu popcount %llu acc %llu abs %llu hn %llu\n", (unsigned long long)c_sad,
           (unsigned long long)c_max, (unsigned long long)c_pop, (unsigned long long)c_acc,
           (unsigned long long)c_abs, (unsigned long long)c_hn);
    return 0;
}
