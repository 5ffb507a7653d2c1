//@ aarch64-only
/* Self-modifying code across threads: the main thread rewrites a function in an executable
 * mapping and makes it visible with __builtin___clear_cache (IC IVAU); a second thread, which
 * has run the old version (and spins in a loop meanwhile), must run the new one. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

typedef int (*fn_t)(int);

static uint32_t *code;
static int request, answered, result;
static volatile int sink;

/* mov w1, #imm ; add w0, w0, w1 ; ret */
static void emit(uint32_t *p, uint16_t imm) {
    p[0] = 0x52800001u | ((uint32_t)imm << 5);
    p[1] = 0x0b010000u;
    p[2] = 0xd65f03c0u;
}

static void *runner(void *arg) {
    (void)arg;
    fn_t f = (fn_t)(uintptr_t)code;
    for (int seen = 0;;) {
        int r;
        /* Keep calling the function, so its translation stays hot in this thread. */
        while ((r = __atomic_load_n(&request, __ATOMIC_ACQUIRE)) == seen)
            sink = f(0);
        if (r < 0)
            return NULL;
        seen = r;
        result = f(1000);
        __atomic_store_n(&answered, r, __ATOMIC_RELEASE);
    }
}

int main(void) {
    code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    emit(code, 0);
    __builtin___clear_cache((char *)code, (char *)(code + 3));
    pthread_t t;
    pthread_create(&t, NULL, runner, NULL);
    long total = 0;
    for (int round = 1; round <= 30; round++) {
        emit(code, (uint16_t)(round * 7 + 1));
        __builtin___clear_cache((char *)code, (char *)(code + 3));
        __atomic_store_n(&request, round, __ATOMIC_RELEASE);
        while (__atomic_load_n(&answered, __ATOMIC_ACQUIRE) != round)
            ;
        if (round % 10 == 0)
            printf("round %d: %d\n", round, result);
        total += result;
    }
    __atomic_store_n(&request, -1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    printf("total %ld\n", total);
    return 0;
}
