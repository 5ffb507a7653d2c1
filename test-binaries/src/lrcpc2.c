/* FEAT_LRCPC2: STLUR and LDAPUR/LDAPURS of every size with negative and positive unscaled
 * offsets (naturally aligned: without FEAT_LSE2 a misaligned one is an alignment fault), the sign extensions to W and X, and that the feature is advertised (HWCAP_ILRCPC). */
//@ aarch64-only
//@ cflags: -march=armv8.4-a
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

#define HWCAP_ILRCPC (1 << 26)

static uint8_t buf[64] __attribute__((aligned(16)));

int main(void) {
    printf("hwcap ilrcpc: %d\n", (getauxval(AT_HWCAP) & HWCAP_ILRCPC) != 0);
    uint8_t *mid = buf + 32;
    uint64_t x = 0x8091a2b3c4d5e6f7;
    asm volatile("stlurb %w1, [%0, #-3]\n stlurh %w1, [%0, #6]\n stlur %w1, [%0, #-12]\n stlur %1, [%0, #16]"
                 : : "r"(mid), "r"(x) : "memory");
    for (int i = 0; i < 64; i++)
        printf("%02x%s", buf[i], i % 16 == 15 ? "\n" : "");
    uint64_t r[10];
    asm volatile("ldapurb %w0, [%10, #-3]\n ldapurh %w1, [%10, #6]\n ldapur %w2, [%10, #-12]\n"
                 "ldapur %3, [%10, #16]\n ldapursb %w4, [%10, #16]\n ldapursb %5, [%10, #21]\n"
                 "ldapursh %w6, [%10, #22]\n ldapursh %7, [%10, #-10]\n ldapursw %8, [%10, #-12]\n"
                 "ldapursw %9, [%10, #20]"
                 : "=&r"(r[0]), "=&r"(r[1]), "=&r"(r[2]), "=&r"(r[3]), "=&r"(r[4]), "=&r"(r[5]), "=&r"(r[6]),
                   "=&r"(r[7]), "=&r"(r[8]), "=&r"(r[9])
                 : "r"(mid)
                 : "memory");
    for (int i = 0; i < 10; i++)
        printf("r%d %016llx\n", i, (unsigned long long)r[i]);
    return 0;
}
