/* bench_matmul_int: 32-bit integer matrix multiplication (200 x 200), naive
 * i-k-j order, repeated with a feedback so that no iteration can be skipped.
 * Usage: bench_matmul_int [ITERATIONS] */
//@ bench
//@ args: 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 200 };
static int32_t a[N][N], b[N][N], c[N][N];

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 500;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (i * 31 + j * 17) % 97 - 48;
            b[i][j] = (i * 13 + j * 7) % 89 - 44;
        }
    uint32_t check = 0;
    for (int it = 0; it < iters; it++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                c[i][j] = 0;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                int32_t aik = a[i][k];
                for (int j = 0; j < N; j++)
                    c[i][j] += aik * b[k][j];
            }
        uint32_t sum = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                sum = sum * 3 + (uint32_t)c[i][j];
        a[it % N][(it * 7) % N] ^= (int32_t)(sum & 15);
        check ^= sum + (uint32_t)it;
    }
    printf("bench_matmul_int: %d iterations, check %08x, c[17][42]=%d\n", iters, check, c[17][42]);
    return 0;
}
