//@ aarch64-only
/* Self-modifying code: writes AArch64 instructions into an executable mapping, runs them,
 * rewrites them in place, makes them visible with __builtin___clear_cache (DC CVAU + IC IVAU),
 * and runs them again: the translator must drop the stale translation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef int (*fn_t)(int);

/* mov w1, #imm ; add w0, w0, w1 ; ret */
static void emit(uint32_t *p, uint16_t imm) {
    p[0] = 0x52800001u | ((uint32_t)imm << 5);
    p[1] = 0x0b010000u;
    p[2] = 0xd65f03c0u;
}

int main(void) {
    uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    fn_t f = (fn_t)(uintptr_t)code;
    int total = 0;
    for (int round = 0; round < 20; round++) {
        emit(code, (uint16_t)(round * 7 + 1));
        __builtin___clear_cache((char *)code, (char *)(code + 3));
        int r = f(1000);
        total += r;
        printf("round %2d: f(1000) = %d\n", round, r);
    }
    /* A second function right after the first, translated separately. */
    emit(code + 4, 5);
    __builtin___clear_cache((char *)(code + 4), (char *)(code + 7));
    printf("second: %d, first again: %d\n", ((fn_t)(uintptr_t)(code + 4))(10), f(10));
    /* Remapping the page: munmap + mmap at the same place drops translations too. */
    munmap(code, 4096);
    code = mmap(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    emit(code, 999);
    __builtin___clear_cache((char *)code, (char *)(code + 3));
    printf("after remap: %d\n", ((fn_t)(uintptr_t)code)(1));
    printf("total %d\n", total);
    return 0;
}
