/* Precise fault contexts where a translator keeps register values in the guest registers' own
 * slots: a function epilogue's worth of loads (ten callee-saved registers from LDPs, more than a
 * translator has host registers for), register copies of them, then a load that faults on a
 * guard page, in one straight block. A fault after the loads must show their values in those
 * registers and in the copies; a fault among them (the third LDP's second half crossing into the
 * guard page) must show the registers it and later LDPs load as they were before. The SIGSEGV
 * handler prints x9-x14 and x19-x28 of the signal frame and skips the access; after the block the code
 * stores every register, so the block's exit is checked too. Must match qemu-aarch64. */
//@ aarch64-only
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static char *guard;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    printf("  signal %d addr guard%+ld\n", sig, (long)((char *)si->si_addr - guard));
    for (int r = 9; r <= 28; r++)
        if (r < 15 || r > 18)
            printf("  x%d %#llx%s", r, (unsigned long long)mc->regs[r], r % 4 == 0 ? "\n" : "");
    printf("\n");
    mc->pc += 4;
}

/* x9-x28 after the block (x15-x18 stored, not shown: the block leaves them as they were). */
static uint64_t out[20];

/* What both blocks start from (x0 = the values, x1 = the last load's address, x2 = `out`), and
 * how they end: every register stored to `out`. */
#define KNOWN_VALUES                                                                               \
    "mov x9, #0x0909\n"                                                                            \
    "mov x10, #0x1010\n"                                                                           \
    "mov x11, #0x1111\n"                                                                           \
    "mov x12, #0x1212\n"                                                                           \
    "mov x13, #0x1313\n"                                                                           \
    "mov x14, #0x1414\n"                                                                           \
    "mov x19, #0x1919\n"                                                                           \
    "mov x20, #0x2020\n"                                                                           \
    "mov x21, #0x2121\n"                                                                           \
    "mov x22, #0x2222\n"                                                                           \
    "mov x23, #0x2323\n"                                                                           \
    "mov x24, #0x2424\n"                                                                           \
    "mov x25, #0x2525\n"                                                                           \
    "mov x26, #0x2626\n"                                                                           \
    "mov x27, #0x2727\n"                                                                           \
    "mov x28, #0x2828\n"                                                                           \
    "mov x0, %0\n"                                                                                 \
    "mov x1, %1\n"                                                                                 \
    "mov x2, %2\n"                                                                                 \
    "b 1f\n"                                                                                       \
    "1:\n"
/* An epilogue's loads: x19-x28 from the ten values. */
#define TEN_LOADS                                                                                  \
    "ldp x19, x20, [x0]\n"                                                                         \
    "ldp x21, x22, [x0, #16]\n"                                                                    \
    "ldp x23, x24, [x0, #32]\n"                                                                    \
    "ldp x25, x26, [x0, #48]\n"                                                                    \
    "ldp x27, x28, [x0, #64]\n"
#define STORE_ALL                                                                                  \
    "b 2f\n"                                                                                       \
    "2:\n"                                                                                         \
    "stp x9, x10, [x2]\n"                                                                          \
    "stp x11, x12, [x2, #16]\n"                                                                    \
    "stp x13, x14, [x2, #32]\n"                                                                    \
    "stp x15, x16, [x2, #48]\n"                                                                    \
    "stp x17, x18, [x2, #64]\n"                                                                    \
    "stp x19, x20, [x2, #80]\n"                                                                    \
    "stp x21, x22, [x2, #96]\n"                                                                    \
    "stp x23, x24, [x2, #112]\n"                                                                   \
    "stp x25, x26, [x2, #128]\n"                                                                   \
    "stp x27, x28, [x2, #144]\n"
#define OPERANDS(vals, at)                                                                         \
    : "r"(vals), "r"(at), "r"(out)                                                                 \
    : "x0", "x1", "x2", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x19", "x20", \
      "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "memory"

/* The loads, copies and sums of them, and a load that faults where x1 is on the guard page. */
static void epilogue(uint64_t *vals, char *at) {
    asm volatile(KNOWN_VALUES
                 TEN_LOADS
                 "mov x9, x19\n"
                 "add x10, x20, x21\n"
                 "mov x11, x28\n"
                 "eor x12, x22, x27\n"
                 "ldr x13, [x1]\n"
                 "add x14, x23, #1\n"
                 STORE_ALL
                 :
                 OPERANDS(vals, at));
}

/* The same loads, then the faulting load, and only after it copies of five of them into x9-x14
 * with their own registers set to constants: the copies' registers must show their old values at
 * the fault (a value kept in the slot of the register it is copied to too early would show
 * there). */
static void copies_after(uint64_t *vals, char *at) {
    asm volatile(KNOWN_VALUES
                 TEN_LOADS
                 "ldr x13, [x1]\n"
                 "add x15, x24, x25\n"
                 "add x16, x26, x27\n"
                 "add x17, x28, x15\n"
                 "mov x9, x19\n"
                 "mov x10, x20\n"
                 "mov x11, x21\n"
                 "mov x12, x22\n"
                 "mov x14, x23\n"
                 "mov x19, #0x19\n"
                 "mov x20, #0x20\n"
                 "mov x21, #0x21\n"
                 "mov x22, #0x22\n"
                 "mov x23, #0x23\n"
                 STORE_ALL
                 :
                 OPERANDS(vals, at));
}

/* No fault: x19 as the block found it is copied to x9 and used, then x19 is loaded again with
 * the others, and the old value is used once more near the end, the new one last: a translator
 * short of registers puts the new x19 aside first, in x19's CpuState slot say, then the old one,
 * which must not go there too (a build that read registers from their slots where first used
 * did: x19's slot was its home too). */
static void old_and_new(uint64_t *vals, char *at) {
    asm volatile(KNOWN_VALUES
                 "mov x9, x19\n"
                 "add x10, x9, #1\n"
                 TEN_LOADS
                 "add x11, x20, x21\n"
                 "add x12, x22, x23\n"
                 "add x14, x24, x25\n"
                 "add x15, x26, x27\n"
                 "add x16, x28, x9\n"
                 "add x17, x19, x13\n"
                 STORE_ALL
                 :
                 OPERANDS(vals, at));
}

static void show(const char *what) {
    printf("%s: after the block\n", what);
    for (int i = 0; i < 20; i++)
        if (i + 9 < 15 || i + 9 > 18)
            printf("  x%d %#llx%s", i + 9, (unsigned long long)out[i], (i + 9) % 4 == 0 ? "\n" : "");
    printf("\n");
}

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 1;
    guard = area + page;
    mprotect(guard, page, PROT_NONE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    /* The values just below the guard page, then a value to load. */
    uint64_t *vals = (uint64_t *)(guard - 10 * 8);
    for (int i = 0; i < 10; i++)
        vals[i] = 0x1000000000000000ull * (i + 1) + 0x1111 * (i + 1);
    uint64_t *word = (uint64_t *)area;
    *word = 0xabcdef;

    /* No fault: the block's exit. Then, several times (a translator may change its code for
     * blocks that run often), a fault at the last load. */
    epilogue(vals, (char *)word);
    show("no fault");
    for (int i = 0; i < 3; i++) {
        epilogue(vals, guard + 8 * i);
        show("fault at the last load");
    }
    /* A fault in the third LDP: its second register's word is on the guard page. */
    epilogue((uint64_t *)(guard - 40), (char *)word);
    show("fault in the third ldp");
    /* Both again once the block has run often enough to be translated again as hot code. */
    for (int i = 0; i < 40000; i++)
        epilogue(vals, (char *)word);
    epilogue(vals, guard);
    show("hot, fault at the last load");
    epilogue((uint64_t *)(guard - 40), (char *)word);
    show("hot, fault in the third ldp");
    copies_after(vals, guard);
    show("copies after the fault");
    for (int i = 0; i < 40000; i++)
        copies_after(vals, (char *)word);
    copies_after(vals, guard);
    show("hot, copies after the fault");
    old_and_new(vals, (char *)word);
    show("old and new x19");
    for (int i = 0; i < 40000; i++)
        old_and_new(vals, (char *)word);
    show("hot, old and new x19");
    return 0;
}
