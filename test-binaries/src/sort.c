/* sort: qsort with comparators (ints, structs by two keys) and a hand-written
 * top-down merge sort and insertion sort, checked against each other. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    int key;
    unsigned id;
    char name[12];
};

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_int_desc(const void *a, const void *b)
{
    return cmp_int(b, a);
}

/* total order: key ascending, then id descending */
static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->id < y->id) - (x->id > y->id);
}

static void merge_sort(int *a, int *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t mid = n / 2;
    merge_sort(a, tmp, mid);
    merge_sort(a + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static void insertion_sort(int *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static unsigned long digest(const int *a, size_t n)
{
    unsigned long h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 1000003u + (unsigned)a[i];
    return h;
}

int main(void)
{
    enum { N = 20000, M = 1500 };
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *tmp = malloc(N * sizeof *tmp);
    int *c = malloc(M * sizeof *c);
    if (!a || !b || !tmp || !c)
        return 1;
    for (int i = 0; i < N; i++)
        a[i] = (int)(rng() % 200001) - 100000;
    memcpy(b, a, N * sizeof *a);
    memcpy(c, a, M * sizeof *a);
    qsort(a, N, sizeof *a, cmp_int);
    merge_sort(b, tmp, N);
    insertion_sort(c, M);
    printf("qsort:     first %d %d %d last %d digest %lx\n", a[0], a[1], a[2], a[N - 1], digest(a, N));
    printf("mergesort: first %d %d %d last %d digest %lx\n", b[0], b[1], b[2], b[N - 1], digest(b, N));
    printf("agree: %d\n", memcmp(a, b, N * sizeof *a) == 0);
    printf("insertion (first %d): %d .. %d digest %lx\n", M, c[0], c[M - 1], digest(c, M));
    int sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= a[i - 1] <= a[i];
    printf("sorted: %d\n", sorted);
    qsort(b, N, sizeof *b, cmp_int_desc);
    printf("descending: %d %d .. %d\n", b[0], b[1], b[N - 1]);
    int key = a[N / 3];
    int *found = bsearch(&key, a, N, sizeof *a, cmp_int);
    printf("bsearch %d: found %d\n", key, found && *found == key);

    static struct rec recs[300];
    for (unsigned i = 0; i < 300; i++) {
        recs[i].key = (int)(rng() % 20) - 10;
        recs[i].id = i;
        snprintf(recs[i].name, sizeof recs[i].name, "r%03u", (unsigned)(rng() % 1000));
    }
    qsort(recs, 300, sizeof recs[0], cmp_rec);
    for (unsigned i = 0; i < 300; i += 23)
        printf("rec key %3d id %3u name %s\n", recs[i].key, recs[i].id, recs[i].name);
    free(a);
    free(b);
    free(c);
    free(tmp);
    return 0;
}
