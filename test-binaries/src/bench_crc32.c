/* bench_crc32: table-driven CRC-32 over a 1 MiB buffer, many times
 * (a load-dependent chain of table lookups, shifts and xors).
 * Usage: bench_crc32 [ITERATIONS] */
//@ bench
//@ args: 2
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t table[256];

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 150;
    enum { SIZE = 1 << 20 };
    unsigned char *buf = malloc(SIZE);
    if (!buf)
        return 1;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t x = 12345;
    for (size_t i = 0; i < SIZE; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(x >> 23);
    }
    uint32_t acc = 0;
    for (int it = 0; it < iters; it++) {
        buf[it % SIZE] ^= (unsigned char)it;
        uint32_t c = 0xffffffffu;
        for (size_t i = 0; i < SIZE; i++)
            c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        acc = acc * 31 + (c ^ 0xffffffffu);
    }
    printf("bench_crc32: %d iterations, result %08x\n", iters, acc);
    free(buf);
    return 0;
}
