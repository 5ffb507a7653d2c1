/* bench_sieve: repeated sieve of Eratosthenes over 8 M numbers (a byte
 * array: stores with a stride, then a counting pass).
 * Usage: bench_sieve [ITERATIONS] */
//@ bench
//@ args: 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 50;
    enum { LIMIT = 8000000 };
    unsigned char *comp = malloc(LIMIT + 1);
    if (!comp)
        return 1;
    unsigned long total = 0;
    for (int it = 0; it < iters; it++) {
        unsigned limit = LIMIT - (unsigned)it * 1000;
        memset(comp, 0, limit + 1);
        for (unsigned i = 2; (unsigned long)i * i <= limit; i++)
            if (!comp[i])
                for (unsigned j = i * i; j <= limit; j += i)
                    comp[j] = 1;
        unsigned count = 0;
        for (unsigned i = 2; i <= limit; i++)
            count += !comp[i];
        total += count;
    }
    printf("bench_sieve: %d iterations, %lu primes counted\n", iters, total);
    free(comp);
    return 0;
}
