//@ aarch64-only
/* Code replaced while the process has threads, then run by a thread started afterwards: a64x's
 * threads share translations, so a new thread must not be handed the translation of code that
 * is gone. Each round writes `mov w0, #round; ret` into a page, runs it on a thread (which
 * translates it), then replaces the code one way (munmap and a fresh MAP_FIXED mapping at the
 * same address; mprotect to RW, rewrite, mprotect to RX; a rewrite in place made visible with
 * IC IVAU) and runs it on a new thread, which must see the new value. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef int (*fn_t)(void);

static void *page;

static void emit(int value) {
    uint32_t insns[2] = {0x52800000u | ((uint32_t)value << 5), 0xd65f03c0u}; /* mov w0, #value; ret */
    memcpy(page, insns, sizeof insns);
    __builtin___clear_cache((char *)page, (char *)page + sizeof insns);
}

static void *call(void *out) {
    *(int *)out = ((fn_t)page)();
    return NULL;
}

static int on_thread(void) {
    pthread_t t;
    int r = -1;
    pthread_create(&t, NULL, call, &r);
    pthread_join(t, NULL);
    return r;
}

int main(void) {
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 1;
    const char *ways[] = {"remap", "mprotect", "ic ivau"};
    for (int round = 1; round <= 30; round++) {
        int way = round % 3;
        emit(round);
        int before = on_thread();
        if (way == 0) {
            munmap(page, 4096);
            void *p = mmap(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (p != page) return 2;
            emit(round + 100);
        } else if (way == 1) {
            mprotect(page, 4096, PROT_READ | PROT_WRITE);
            emit(round + 100);
            mprotect(page, 4096, PROT_READ | PROT_EXEC);
        } else {
            emit(round + 100);
        }
        int after = on_thread();
        mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
        printf("%-8s round %2d: %d then %d\n", ways[way], round, before, after);
    }
    return 0;
}
