//@ bench
//@ args: 20000
/* bench_fmt: the C library's number formatting and parsing and libm, where programs spend time
 * that is neither vectorised nor integer loops: printf("%.17g") and strtod of doubles (integer
 * arithmetic on digits inside glibc), printf("%d")/strtol, and exp, log, sin, pow.
 * Usage: bench_fmt [N] (N numbers; default 300000). The libm sum is printed to 6 digits: the two
 * architectures' libm builds may differ in the last bit of a result. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000;
    char buf[64];
    uint64_t x = 88172645463325252ULL, len = 0, roundtrip_bad = 0, ints = 0;
    double acc = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // A double of every magnitude from 1e-20 to 1e20, both signs.
        double d = (double)(x >> 11) * 0x1p-53 * 2 - 1;
        d *= pow(10.0, (double)(int)(x % 41) - 20);
        len += (uint64_t)snprintf(buf, sizeof buf, "%.17g", d);
        if (strtod(buf, NULL) != d)
            roundtrip_bad++;
        len += (uint64_t)snprintf(buf, sizeof buf, "%ld", (long)(x >> 20) - (1L << 43));
        ints += (uint64_t)strtol(buf, NULL, 10);
        double t = (double)(x & 0xffff) * (1.0 / 65536);
        acc += exp(t) + log(t + 1) + sin(t * 6.0) + pow(t + 0.5, 1.5);
    }
    printf("chars %llu roundtrip failures %llu ints %llx libm %.6e\n", (unsigned long long)len,
           (unsigned long long)roundtrip_bad, (unsigned long long)ints, acc);
    return 0;
}
