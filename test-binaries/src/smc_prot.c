//@ aarch64-only
// qemu-aarch64 keeps the pages a brk shrink gives back (mapped, executable as they were) and
// zeroes them when the break grows again, where Linux unmaps them (mm/mmap.c, brk) and maps
// fresh read+write ones.
//@ qemu-wrong: heap: fresh page run: SIGILL => heap: fresh page run: SIGSEGV
/* Code whose pages change protection or go away: a JIT's W^X flips (write with the page
 * read+write, run it read+execute, the cache made coherent with __builtin___clear_cache), and
 * code on heap pages given back with brk and taken again. A translation may only outlive its
 * code while the page stays executable: after a brk shrink the fresh page must fault when run
 * (SIGSEGV), and code written there and made executable must run as written, the stale
 * translation of the old page not. (The kernel makes a page made executable coherent with the
 * data written there before, as Linux on arm64 does for fresh pages.) */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

typedef int (*fn_t)(int);

/* mov w1, #imm ; add w0, w0, w1 ; ret */
static void emit(uint32_t *p, uint16_t imm) {
    p[0] = 0x52800001u | ((uint32_t)imm << 5);
    p[1] = 0x0b010000u;
    p[2] = 0xd65f03c0u;
}

static sigjmp_buf back;

static void on_fault(int sig) {
    siglongjmp(back, sig);
}

/* f(x), or minus the signal running it raised. */
static int run_or_fault(fn_t f, int x) {
    int sig = sigsetjmp(back, 1);
    if (sig)
        return -sig;
    return f(x);
}

static const char *outcome(int r) {
    return r == -SIGSEGV ? "SIGSEGV" : r == -SIGILL ? "SIGILL" : "ran";
}

static void flips(void) {
    uint32_t *code = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return;
    }
    emit(code + 8, 5);
    long total = 0;
    for (int round = 0; round < 64; round++) {
        mprotect(code, PAGE, PROT_READ | PROT_WRITE);
        /* Each round a different function at one of two places: both stay translated while
         * the page is executable. */
        emit(code + (round % 2) * 8, (uint16_t)(round * 3 + 1));
        mprotect(code, PAGE, PROT_READ | PROT_EXEC);
        __builtin___clear_cache((char *)code, (char *)(code + 16));
        int a = ((fn_t)(uintptr_t)code)(round), b = ((fn_t)(uintptr_t)(code + 8))(round);
        total += a * 7 + b;
        if (round % 16 == 0)
            printf("flip %2d: %d %d\n", round, a, b);
    }
    printf("flips total %ld\n", total);
    munmap(code, PAGE);
}

static void heap(void) {
    char line[4][64];
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t base = (cur + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    if ((uintptr_t)syscall(SYS_brk, base + 2 * PAGE) != base + 2 * PAGE) {
        printf("brk: cannot grow\n");
        return;
    }
    uint32_t *code = (uint32_t *)base;
    fn_t f = (fn_t)(uintptr_t)code;
    mprotect(code, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    emit(code, 11);
    __builtin___clear_cache((char *)code, (char *)(code + 3));
    int first = f(100);
    /* Given back and taken again: a fresh zeroed read+write page. */
    syscall(SYS_brk, base);
    syscall(SYS_brk, base + 2 * PAGE);
    int unexecutable = run_or_fault(f, 100);
    emit(code, 22);
    mprotect(code, PAGE, PROT_READ | PROT_EXEC);
    int rewritten = run_or_fault(f, 100);
    syscall(SYS_brk, cur);
    /* (No printing, which may allocate on the heap, until the break is back.) */
    snprintf(line[0], sizeof line[0], "heap: first %d", first);
    snprintf(line[1], sizeof line[1], "heap: fresh page run: %s", outcome(unexecutable));
    snprintf(line[2], sizeof line[2], "heap: rewritten %d", rewritten);
    for (int i = 0; i < 3; i++)
        puts(line[i]);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    printf("start\n");
    flips();
    heap();
    return 0;
}
