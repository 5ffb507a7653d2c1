//@ bench
/* bench_saxpy: auto-vectorised float and double loops (saxpy, dot product, scaling, clamp).
 * Usage: bench_saxpy [ROUNDS]. Sums printed with 2 decimals: an AArch64 build may fuse
 * multiply-adds that an x86-64 build rounds twice. */
#include <stdio.h>
#include <stdlib.h>

#define N 4096
static float x[N], y[N];
static double u[N], w[N];

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 40000;
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i % 97) * 0.125f;
        y[i] = (float)(i % 13) - 6.0f;
        u[i] = (double)(i % 31) * 0.5;
        w[i] = 1.0;
    }
    double dot = 0;
    for (int r = 0; r < rounds; r++) {
        float a = (float)(r % 7) * 0.001f;
        for (int i = 0; i < N; i++) y[i] = a * x[i] + y[i];
        for (int i = 0; i < N; i++) y[i] = y[i] > 100.0f ? 100.0f : (y[i] < -100.0f ? -100.0f : y[i]);
        for (int i = 0; i < N; i++) w[i] = w[i] * 0.999 + u[i] * 0.001;
        if (r % 1000 == 0) {
            float s = 0;
            for (int i = 0; i < N; i++) s += x[i] * y[i];
            dot += s;
        }
    }
    double sy = 0, sw = 0;
    for (int i = 0; i < N; i++) {
        sy += y[i];
        sw += w[i];
    }
    printf("%.2f %.2f %.2f\n", sy, sw, dot);
    return 0;
}
