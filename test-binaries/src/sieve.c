/* sieve: the sieve of Eratosthenes (byte array and bit array), prime counts,
 * twin primes, and a segmented check with trial division. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_prime_trial(uint32_t n)
{
    if (n < 2)
        return 0;
    for (uint32_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

int main(void)
{
    enum { LIMIT = 2000000 };
    unsigned char *comp = calloc(LIMIT + 1, 1);
    uint64_t *bits = calloc(LIMIT / 64 + 1, sizeof *bits);
    if (!comp || !bits)
        return 1;
    for (uint32_t i = 2; (uint64_t)i * i <= LIMIT; i++)
        if (!comp[i])
            for (uint32_t j = i * i; j <= LIMIT; j += i)
                comp[j] = 1;
    for (uint32_t i = 2; (uint64_t)i * i <= LIMIT; i++)
        if (!(bits[i >> 6] >> (i & 63) & 1))
            for (uint32_t j = i * i; j <= LIMIT; j += i)
                bits[j >> 6] |= 1ull << (j & 63);
    uint32_t count = 0, twins = 0, last = 0, mismatch = 0;
    uint64_t sum = 0;
    for (uint32_t i = 2; i <= LIMIT; i++) {
        int p = !comp[i];
        mismatch += p != !(bits[i >> 6] >> (i & 63) & 1);
        if (p) {
            count++;
            sum += i;
            if (last && i - last == 2)
                twins++;
            last = i;
        }
        if (i == 10 || i == 100 || i == 1000 || i == 10000 || i == 100000 || i == 1000000)
            printf("pi(%u) = %u\n", i, count);
    }
    printf("primes <= %u: %u, sum %llu, twin pairs %u, largest %u, mismatches %u\n", LIMIT, count,
           (unsigned long long)sum, twins, last, mismatch);
    uint32_t agree = 0;
    for (uint32_t n = LIMIT - 3000; n <= LIMIT; n++)
        agree += is_prime_trial(n) == !comp[n];
    printf("trial division agrees on %u of 3001\n", agree);
    printf("first primes:");
    for (uint32_t i = 2, k = 0; k < 20; i++)
        if (!comp[i])
            printf(" %u", i), k++;
    printf("\n");
    free(comp);
    free(bits);
    return 0;
}
