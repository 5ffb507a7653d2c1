/* FEAT_RNG: RNDR and RNDRRS give 64 random bits and NZCV = 0000 (Z set would mean no value),
 * whatever NZCV was; values differ from read to read; the feature is advertised (HWCAP2_RNG).
 * Prints only what does not depend on the values. Also FEAT_SB, the other ARMv8.5 feature
 * a64x advertises: SB runs (no effect a program can see) and HWCAP_SB says so. */
//@ aarch64-only
//@ cflags: -march=armv8.5-a+rng+sb
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP2_RNG (1 << 16)
#define HWCAP_SB (1 << 29)

/* The value and NZCV after the read, with NZCV set to 1111 before it. */
#define READ(reg, v, nzcv)                                                                                  \
    asm volatile("msr nzcv, %2\n\tmrs %0, " reg "\n\tmrs %1, nzcv" : "=r"(v), "=r"(nzcv) : "r"(0xf0000000ul))

int main(void) {
    printf("HWCAP2_RNG %s\n", getauxval(AT_HWCAP2) & HWCAP2_RNG ? "yes" : "no");
    asm volatile("sb" ::: "memory");
    printf("SB ran, HWCAP_SB %s\n", getauxval(AT_HWCAP) & HWCAP_SB ? "yes" : "no");
    for (int reseed = 0; reseed < 2; reseed++) {
        uint64_t v[64], nzcv, bad = 0, ones = 0;
        for (int i = 0; i < 64; i++) {
            if (reseed)
                READ("rndrrs", v[i], nzcv);
            else
                READ("rndr", v[i], nzcv);
            bad += nzcv != 0;
            ones += __builtin_popcountll(v[i]);
        }
        int same = 0;
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < i; j++)
                same += v[i] == v[j];
        /* 4096 bits: half ones, within a wide margin. */
        printf("%s: NZCV not 0000 %llu times, repeated values %d, ones %s\n", reseed ? "rndrrs" : "rndr",
               (unsigned long long)bad, same, ones > 1800 && ones < 2300 ? "about half" : "SKEWED");
    }
    return 0;
}
