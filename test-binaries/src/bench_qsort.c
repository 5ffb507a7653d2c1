/* bench_qsort: libc qsort (indirect calls to a comparator) and a hand-written
 * merge sort over 200 000 pseudo-random ints, repeated.
 * Usage: bench_qsort [ITERATIONS] */
//@ bench
//@ args: 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void merge_sort(int *a, int *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t mid = n / 2, i = 0, j = mid, k = 0;
    merge_sort(a, tmp, mid);
    merge_sort(a + mid, tmp, n - mid);
    while (i < mid && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 12;
    enum { N = 200000 };
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *tmp = malloc(N * sizeof *tmp);
    if (!a || !b || !tmp)
        return 1;
    uint32_t x = 2463534242u;
    unsigned long check = 0;
    for (int it = 0; it < iters; it++) {
        for (int i = 0; i < N; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            a[i] = (int)(x % 1000000u) - 500000;
        }
        memcpy(b, a, N * sizeof *a);
        qsort(a, N, sizeof *a, cmp_int);
        merge_sort(b, tmp, N);
        check = check * 31 + (unsigned)a[N / 2] + (unsigned)a[N - 1] + (unsigned)(memcmp(a, b, N * sizeof *a) != 0);
    }
    printf("bench_qsort: %d iterations, check %lx\n", iters, check);
    free(a);
    free(b);
    free(tmp);
    return 0;
}
