/* bench_strings: libc string routines in a loop: snprintf of integers,
 * strlen, strcmp, strchr, strstr, memcpy, memcmp and strtol.
 * Usage: bench_strings [ITERATIONS] */
//@ bench
//@ args: 2
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 2000;
    enum { N = 2000 };
    static char lines[N][64];
    static char big[N * 64];
    unsigned long check = 0;
    for (int it = 0; it < iters; it++) {
        size_t pos = 0;
        for (int i = 0; i < N; i++) {
            int n = snprintf(lines[i], sizeof lines[i], "item %d value %x name-%05d;", i * it, (unsigned)(i * 2654435761u),
                             (i * 37) % 99999);
            memcpy(big + pos, lines[i], (size_t)n);
            pos += (size_t)n;
        }
        big[pos] = 0;
        for (int i = 1; i < N; i++) {
            check += strlen(lines[i]);
            check += (unsigned)(strcmp(lines[i - 1], lines[i]) < 0);
            const char *p = strchr(lines[i], 'n');
            check += p ? (unsigned long)(p - lines[i]) : 0;
            check += (unsigned long)strtol(lines[i] + 5, NULL, 10) & 0xff;
            check += (unsigned)(memcmp(lines[i], lines[i - 1], 16) == 0);
        }
        const char *s = big;
        int found = 0;
        while ((s = strstr(s, "name-000")) != NULL) {
            found++;
            s += 8;
        }
        check = check * 3 + (unsigned long)found + strlen(big);
    }
    printf("bench_strings: %d iterations, check %lu\n", iters, check);
    return 0;
}
