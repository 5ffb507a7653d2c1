/* hotloop: one clearly hot function (hot_loop: a long chain of dependent
 * integer operations that the compiler cannot vectorise or fold) and some
 * cold code around it; the subject of the --profile test (tests/profile.rs).
 * Usage: hotloop [MILLIONS]  (iterations of the hot loop, default 2) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hot function: a 64-bit LCG mixed with xorshift, each step depending
 * on the one before. */
__attribute__((noinline)) unsigned long hot_loop(unsigned long n, unsigned long seed)
{
    unsigned long x = seed;
    for (unsigned long i = 0; i < n; i++) {
        x = x * 6364136223846793005UL + i;
        x ^= x >> 29;
    }
    return x;
}

/* Cold: runs once, briefly. */
__attribute__((noinline)) static unsigned cold_checksum(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

int main(int argc, char **argv)
{
    unsigned long millions = argc > 1 ? strtoul(argv[1], NULL, 10) : 2;
    char label[64];
    snprintf(label, sizeof label, "hotloop %lu", millions);
    unsigned long r = hot_loop(millions * 1000000UL, cold_checksum(label));
    printf("%s: %016lx (label checksum %08x, %zu chars)\n", label, r, cold_checksum(label), strlen(label));
    return 0;
}
