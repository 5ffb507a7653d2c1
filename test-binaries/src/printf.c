/* printf: integer and string conversions of printf with flags, widths,
 * precisions and length modifiers (no floating point). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    static const int ints[] = {0, 1, -1, 42, -42, 255, 65535, INT_MAX, INT_MIN};
    static const long long lls[] = {0, -1, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    static const char *strs[] = {"", "a", "hello", "a longer string"};

    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int v = ints[i];
        printf("[%d] [%i] [%u] [%x] [%X] [%o] [%5d] [%-5d|] [%05d] [%+d] [% d] [%08x] [%#x] [%#o] [%.3d] [%hd] "
               "[%hhd] [%hhu]\n",
               v, v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, v, v, v, v, v, (unsigned)v, (unsigned)v,
               (unsigned)v, v, (short)v, (signed char)v, (unsigned char)v);
    }
    for (unsigned i = 0; i < sizeof lls / sizeof lls[0]; i++) {
        long long v = lls[i];
        printf("[%lld] [%llu] [%llx] [%lx] [%ld] [%20lld] [%-20lld|] [%jd] [%zu] [%016llX]\n", v,
               (unsigned long long)v, (unsigned long long)v, (unsigned long)v, (long)v, v, v, (intmax_t)v,
               (size_t)v, (unsigned long long)v);
    }
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const char *s = strs[i];
        printf("[%s] [%8s] [%-8s] [%.3s] [%-10.2s] [%*s] [%-*s] [%.*s]\n", s, s, s, s, s, 6, s, 6, s, 4, s);
    }
    for (char c = 'a'; c <= 'e'; c++)
        printf("[%c] [%3c] [%-3c] [%d]", c, c, c, c);
    printf("\n[%%] [100%%]\n");
    int n1 = 0, n2 = 0;
    printf("count%n this%n\n", &n1, &n2);
    printf("n1=%d n2=%d\n", n1, n2);
    int total = printf("%s=%d;", "ret", 7);
    printf(" printf returned %d\n", total);
    /* a table with column alignment */
    for (int i = 1; i <= 1000000; i *= 10)
        printf("|%-8d|%8d|%08d|%8x|\n", i, -i, i, (unsigned)i * 2654435761u);
    fputs("fputs line\n", stdout);
    putchar('P');
    putchar('\n');
    puts("puts line");
    fprintf(stdout, "%s %d\n", "fprintf", 123);
    return 0;
}
